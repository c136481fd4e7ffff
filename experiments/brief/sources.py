"""Where a brief's numbers come from: the interventions' settings and sourced parameters, the area's figures.

Everything here is read from what the comparison stored (each scenario's JSON and parameters) and from the
intervention classes' declared parameters (`param(...)`: unit and source) and the area profile (source and year, or
an estimate with its reason), so the brief never restates a number by hand.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from actlocally.model.area import AreaProfile, Figure, Share
from actlocally.model.interventions.registry import REGISTRY, InterventionParams
from actlocally.model.params import DEFAULTS
from actlocally.model.references import plain_source
from actlocally.model.scenario import Scenario, parse_interventions
from pydantic import BaseModel

_COMMON = {"type", "label", "start_day", "localities"}


@dataclasses.dataclass(frozen=True)
class ParamRow:
    """One number behind the effect or the cost, with its unit and source."""

    owner: str
    name: str
    value: str
    unit: str
    source: str
    from_scenario: bool  # set in the scenario file rather than left at its default

    @property
    def assumption(self) -> bool:
        return self.source.lower().startswith("assumption")


@dataclasses.dataclass(frozen=True)
class InterventionInfo:
    """What one intervention is, as the scenario sets it."""

    label: str
    kind: str
    what: str
    settings: tuple[tuple[str, str], ...]
    params: tuple[ParamRow, ...]
    start_day: int


@dataclasses.dataclass(frozen=True)
class AreaFigure:
    """One figure of the area profile: a published figure (source, year) or an estimate."""

    name: str
    value: str
    source: str
    year: str
    estimate: bool


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "none"
    if value is None:
        return "not set"
    return str(getattr(value, "root", value))


def _what(kind: str) -> str:
    doc = (REGISTRY[kind].__doc__ or kind).strip().splitlines()[0]
    return doc.rstrip(".")


def intervention_info(p: InterventionParams, given: dict[str, Any]) -> InterventionInfo:
    """Settings (schools, offer, services, ...) and sourced numeric parameters of one intervention."""
    settings, params = [], []
    label = p.label or p.type
    for name, field in type(p).model_fields.items():
        if name in _COMMON:
            continue
        value = getattr(p, name)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else None
        if extra and "source" in extra:
            params.append(ParamRow(label, name, _text(value), str(extra["unit"]), plain_source(str(extra["source"])),
                                   name in given))
        else:
            settings.append((name.replace("_", " "), _text(value)))
    return InterventionInfo(label=label, kind=p.type, what=_what(p.type), settings=tuple(settings),
                            params=tuple(params), start_day=p.start_day)


def interventions_of(scenario_json: str) -> list[InterventionInfo]:
    """The interventions of a stored scenario (its JSON from the comparison), validated as when it ran."""
    raw = json.loads(scenario_json)
    parsed = parse_interventions(raw.get("interventions", []), None)
    return [intervention_info(p, entry) for p, entry in zip(parsed, raw.get("interventions", []), strict=True)]


def parameter_overrides(parameters_json: str) -> list[ParamRow]:
    """Model parameters the run used that differ from the defaults in parameters.toml, with unit and source."""
    used = json.loads(parameters_json)
    rows = []
    for key, value in sorted(used.items()):
        row = DEFAULTS.rows.get(key)
        if row is not None and float(value) != row.value:
            rows.append(ParamRow("model", key, f"{float(value):g}", row.unit,
                                 f"{plain_source(row.source)} (default {row.value:g})", True))
    return rows


def model_assumption_count() -> tuple[int, int]:
    """(parameters in the model's table, of which assumptions rather than published figures)."""
    rows = DEFAULTS.rows.values()
    return len(rows), sum(1 for p in rows if p.source.lower().startswith("assumption"))


def area_figures(area: AreaProfile) -> list[AreaFigure]:
    """Every figure of an area profile, in file order, with its provenance."""
    out: list[AreaFigure] = []

    def walk(obj: BaseModel, prefix: str) -> None:
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            key = f"{prefix}{name}"
            if isinstance(value, Figure):
                shown = f"{value.value:.1%}" if isinstance(value, Share) else f"{value.value:,.4g}"
                out.append(AreaFigure(key.replace("_", " "), shown, plain_source(value.source or value.reason or ""),
                                      "" if value.year is None else str(value.year), value.estimate))
            elif isinstance(value, BaseModel):
                walk(value, f"{key}.")

    walk(area, "")
    return out


def load_scenario_json(scenario_json: str) -> Scenario:
    """The stored scenario as a model object (its area resolved by name)."""
    return Scenario.model_validate_json(scenario_json).validate_all()
