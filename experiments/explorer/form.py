"""The scenario form's logic, free of Shiny: registry fields as widgets, form values to a scenario, TOML and URL.

Everything the browser sends is validated by the same code as the command line (`actlocally.model.scenario`), so
a field shows the CLI's own message. The share URL carries the scenario as base64url-encoded JSON in `?s=`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import tomllib
import types
import typing
from typing import Any, Literal
from urllib.parse import parse_qs

import tomli_w
from actlocally.model.area import available_areas
from actlocally.model.errors import InputError, from_validation_error
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.interventions.targeting import validate_selector
from actlocally.model.mechanisms.services import KINDS
from actlocally.model.scenario import Scenario
from pydantic import ValidationError

TOP_FIELDS = ("name", "area", "years", "seed", "pupils")
SKIP = {"type"}  # the slot's kind, chosen when it is added
YEAR_CHOICES = tuple(str(y) for y in range(12))  # a list of year groups (0 = Reception ... 11 = Year 11)
BOOL_CHOICES = ("false", "true")


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One intervention setting as a widget: its kind, choices, default and help text (unit and source)."""

    name: str
    kind: str  # "number", "text", "select", "multi", "schools"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    optional: bool = False


def _kind(annotation: Any) -> tuple[str, tuple[str, ...], bool]:
    """Widget kind, choices and whether blank is allowed, from a pydantic field's annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    optional = origin in (typing.Union, types.UnionType) and type(None) in args
    if optional:
        inner = [a for a in args if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:  # the school selector: a rule or a list of names
        return "schools", (), optional
    if origin is Literal:
        return "select", tuple(str(a) for a in args), optional
    if annotation is bool:
        return "select", BOOL_CHOICES, optional
    if origin is list:
        return "multi", YEAR_CHOICES if args == (int,) else tuple(KINDS), optional
    if annotation in (int, float):
        return "number", (), optional
    return "text", (), optional


def intervention_fields(kind: str) -> list[FieldSpec]:
    """The declared settings of a registered intervention, with units, priors and sources as help text."""
    out = []
    for name, info in REGISTRY[kind].Params.model_fields.items():
        if name in SKIP:
            continue
        widget, choices, optional = _kind(info.annotation)
        if validate_selector in [getattr(m, "func", None) for m in info.metadata]:
            widget = "schools"  # a rule or a list of names (targeting.SchoolSelector)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        help_text = info.description or ""
        if extra:
            lo, hi = extra["prior"]
            help_text = f"{extra['unit']}; prior {lo:g} to {hi:g}; source: {extra['source']}"
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if choices in (YEAR_CHOICES, BOOL_CHOICES) and default is not None:  # as the widget shows it
            default = [str(y) for y in default] if choices == YEAR_CHOICES else str(default).lower()
        out.append(FieldSpec(name, widget, default, help_text, choices, optional or default is None))
    return out


def parse_number(text: Any) -> Any:
    """A number typed in a box: int if it reads as one, else float; text that is no number is passed on as
    written so validation names it."""
    if not isinstance(text, str):
        return text
    s = text.strip().replace(",", "")
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return text


def intervention_entry(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    """One `[[interventions]]` table from widget values; blank optional settings are left out (their default)."""
    entry: dict[str, Any] = {"type": kind}
    for spec in intervention_fields(kind):
        v = values.get(spec.name)
        if v is None or v == "" or v == ():
            continue
        if spec.kind == "number":
            v = parse_number(v)
        elif spec.kind == "multi":
            v = list(v)
        elif spec.kind == "schools" and isinstance(v, list | tuple):
            v = list(v)
        if v == spec.default and spec.kind != "schools":
            continue  # the scenario file stays as short as one written by hand
        if spec.choices == YEAR_CHOICES:
            v = [int(y) for y in v]
        elif spec.choices == BOOL_CHOICES:
            v = v == "true"
        entry[spec.name] = v
    return entry


def parse_parameters(text: str) -> dict[str, Any]:
    """Parameter overrides typed one per line as `name = value` (e.g. `attendance.b_hunger = 0.3`)."""
    out: dict[str, Any] = {}
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        out[key.strip().strip('"')] = parse_number(value) if sep else value
    return out


def format_parameters(params: dict[str, Any]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in params.items())


def scenario_data(top: dict[str, Any], interventions: list[dict[str, Any]], parameters: str = "") -> dict[str, Any]:
    """The scenario as a TOML-ready dict, in the order a scenario file is written."""
    data: dict[str, Any] = {}
    for key in TOP_FIELDS:
        v = top.get(key)
        if v is None or v == "":
            continue
        data[key] = parse_number(v) if key in ("years", "seed", "pupils") else v
    params = parse_parameters(parameters)
    if params:
        data["parameters"] = params
    if interventions:
        data["interventions"] = interventions
    return data


@dataclasses.dataclass
class Checked:
    """A form checked by the CLI's validation: the scenario, or the CLI's message and each field's message."""

    scenario: Scenario | None
    message: str = ""
    fields: dict[str, str] = dataclasses.field(default_factory=dict)  # scenario field path -> problem


def check(data: dict[str, Any], source: str = "scenario form") -> Checked:
    """Validate as `load_scenario` does (pydantic, then names, area and each intervention)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        fields = {".".join(str(x) for x in e["loc"]): e["msg"] for e in err.errors()}
        return Checked(None, str(from_validation_error(source, err)), fields)
    try:
        scenario.validate_all()
    except InputError as err:
        err = InputError(source, err.field, err.problem) if err.path is None else err
        return Checked(None, str(err), {err.field or "": err.problem})
    return Checked(scenario)


def to_toml(data: dict[str, Any]) -> str:
    """The scenario file the form is building, laid out as one written by hand ([parameters], [[interventions]])."""
    top = {k: v for k, v in data.items() if k not in ("parameters", "interventions")}
    parts = [tomli_w.dumps(top)]
    if data.get("parameters"):
        parts.append("[parameters]\n" + tomli_w.dumps(data["parameters"]))
    for entry in data.get("interventions") or []:
        parts.append("[[interventions]]\n" + tomli_w.dumps(entry))
    return "\n".join(parts)


def from_toml(text: str, source: str) -> dict[str, Any]:
    """A scenario file's content as a dict, or the CLI's malformed-TOML message."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(source, None, f"malformed TOML: {err}") from None


def encode_query(data: dict[str, Any], replicates: int) -> str:
    """The share link's query string: the scenario as base64url JSON, and the replicates."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=False).encode()
    return f"?s={base64.urlsafe_b64encode(raw).decode().rstrip('=')}&replicates={int(replicates)}"


def decode_query(search: str) -> tuple[dict[str, Any] | None, int | None]:
    """The scenario and replicates from a share link's query string; (None, None) when absent or unreadable."""
    q = parse_qs((search or "").lstrip("?"))
    reps = q.get("replicates", [None])[0]
    reps = int(reps) if reps and reps.isdigit() else None
    s = q.get("s", [None])[0]
    if not s:
        return None, reps
    try:
        data = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    except (ValueError, json.JSONDecodeError):
        return None, reps
    return (data if isinstance(data, dict) else None), reps


def default_data(area: str | None = None) -> dict[str, Any]:
    """A first scenario: the first area, one year, a universal breakfast club in primaries."""
    area = area or ("keighley_central" if "keighley_central" in available_areas() else available_areas()[0])
    return {"name": f"{area}_explorer", "area": area, "years": 1, "seed": 20261123,
            "interventions": [{"type": "breakfast_club", "schools": "phase == 'primary'", "offer": "universal"}]}
