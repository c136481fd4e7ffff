"""Scenario files: an area, years, seed, parameter overrides and interventions, validated with pydantic."""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, Strict, ValidationError

from .area import AreaProfile, load_area, read_toml
from .errors import InputError, from_validation_error
from .interventions.parameters import MODEL_GROUPS, parameter_rows, split_overrides
from .interventions.registry import REGISTRY, InterventionParams
from .outcomes import parse_headline
from .params import DEFAULTS
from .strict import MAX_INTERVENTIONS, MAX_LIST, MAX_PUPILS, MAX_SEED, SAFE_NAME, Integer, Number, ShortText, Text

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class Scenario(BaseModel):
    """What a strategist edits: where, how long, which seed, which interventions."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText = Field(pattern=SAFE_NAME, max_length=80)
    title: ShortText = Field("", max_length=120, description="a plain-language title for briefs (default: the name)")
    description: Text = ""
    headline: list[ShortText] = Field(default_factory=list, max_length=6,
                                      description="outcomes the brief leads with, e.g. 'mothers_out_of_depression'")
    area: Annotated[str, Strict(), Field(min_length=1, max_length=1000)]
    years: Integer = Field(1, ge=1, le=10)
    seed: Integer = Field(20261123, ge=0, le=MAX_SEED)
    first_year: Integer = Field(2025, ge=2000, le=2100)
    pupils: Integer | None = Field(None, ge=100, le=MAX_PUPILS,
                                   description="rescale the area to this many pupils (tests, quick looks)")
    parameters: dict[ShortText, Number] = Field(default_factory=dict, max_length=MAX_LIST)
    interventions: list[dict[ShortText, Any]] = Field(default_factory=list, max_length=MAX_INTERVENTIONS)
    _path: Path | None = PrivateAttr(None)
    _area: AreaProfile | None = PrivateAttr(None)
    _interventions: list[InterventionParams] = PrivateAttr(default_factory=list)

    @property
    def area_profile(self) -> AreaProfile:
        if self._area is None:
            self._area = _resolve_area(self.area, self._path)
        return self._area

    @property
    def intervention_params(self) -> list[InterventionParams]:
        if not self._interventions and self.interventions:
            self._interventions = parse_interventions(self.interventions, self._path)
        return self._interventions

    def validate_all(self) -> Scenario:
        """Check the parts pydantic's field types cannot: parameter names, the area, each intervention."""
        _ = self.area_profile
        known = parameter_rows(self.intervention_params)
        for key in self.parameters:
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else "; see `actlocally params` for the names"
                raise InputError(self._path, f"parameters.{key}", f"unknown parameter{hint}")
            if key in DEFAULTS.rows:
                check_in_prior(key, self.parameters[key], self._path, f"parameters.{key}")
        split_overrides(self.parameters, self.intervention_params, self._path)  # values inside the fields' bounds
        known = school_names(self.area_profile)
        for i, p in enumerate(self.intervention_params):
            chosen = getattr(p, "schools", None)
            unknown = [n for n in chosen if n not in known] if isinstance(chosen, list) else []
            if unknown:
                raise InputError(self._path, f"interventions[{i}].schools", f"unknown school(s) {unknown}; area "
                                 f"'{self.area_profile.name}' has: " + ", ".join(sorted(known)[:12])
                                 + (" ..." if len(known) > 12 else ""))
        for i, entry in enumerate(self.headline):
            try:
                parse_headline(entry)
            except ValueError as err:
                raise InputError(self._path, f"headline[{i}]", str(err)) from None
        labels = [p.label or p.type for p in self.intervention_params]
        clash = sorted(set(labels) & MODEL_GROUPS)
        if clash:
            raise InputError(self._path, "interventions", f"label {clash} is the name of a model mechanism's "
                             "parameter group; give the intervention another `label`")
        if self.area_profile.partition is None:
            for i, p in enumerate(self.intervention_params):
                if p.localities != "all":
                    raise InputError(self._path, f"interventions[{i}].localities", f"area '{self.area}' is not "
                                     "partitioned into localities (no [partition] table, as england.toml has); "
                                     "leave `localities` out or use 'all'")
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise InputError(self._path, "interventions", f"two interventions share the label {sorted(dup)}; "
                             "give each a distinct `label`")
        return self


def school_names(area: AreaProfile) -> set[str]:
    """Names the area's schools can have: its named schools and the generated '<area> <phase> <i>' names."""
    names = {s.name for s in area.schools.named}
    for phase in ("primary", "secondary"):
        count = int(getattr(area.schools, phase).value)
        names |= {f"{area.display_name} {phase} {i + 1}" for i in range(count)}
    return names


def check_in_prior(key: str, value: float, path: Path | None, field: str) -> None:
    """A scenario's parameter override is finite and inside the prior range from parameters.toml, or exactly 0
    (which switches the term or mechanism off, as a scenario may do on purpose)."""
    lo, hi = DEFAULTS.rows[key].prior
    if not (math.isfinite(value) and (lo <= value <= hi or value == 0.0)):
        raise InputError(path, field, f"{value!r} is outside the prior range [{lo:g}, {hi:g}] of {key} "
                         f"({DEFAULTS.rows[key].unit}; source: {DEFAULTS.rows[key].source}); 0 switches it off")


def _resolve_area(area: str, path: Path | None) -> AreaProfile:
    if area.endswith(".toml") and path is not None and not Path(area).is_absolute():
        area = str(path.parent / area)
    try:
        return load_area(area)
    except InputError as err:
        if err.path is None:
            raise InputError(path, "area", err.problem) from None
        raise


def parse_interventions(entries: list[dict[str, Any]], path: Path | None) -> list[InterventionParams]:
    """Validate each intervention table against its registered class's parameters."""
    out = []
    for i, entry in enumerate(entries):
        kind = entry.get("type")
        if not isinstance(kind, str) or kind not in REGISTRY:
            raise InputError(path, f"interventions[{i}].type",
                             f"unknown intervention {kind!r}; allowed: {', '.join(sorted(REGISTRY))}")
        try:
            out.append(REGISTRY[kind].Params.model_validate(entry))
        except ValidationError as err:
            e = err.errors()[0]
            loc = ".".join(str(x) for x in e["loc"])
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                allowed = ", ".join(REGISTRY[kind].Params.model_fields)
                msg = f"unknown field for {kind}; allowed: {allowed}"
            raise InputError(path, f"interventions[{i}].{loc}", msg) from None
    return out


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by path or by the name of a built-in scenario file, fully validated."""
    path = Path(name_or_path)
    if not path.exists() and path.suffix != ".toml":
        candidate = SCENARIOS_DIR / f"{name_or_path}.toml"
        if candidate.exists():
            path = candidate
    data = read_toml(path)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
    scenario._path = path
    return scenario.validate_all()


def builtin_scenarios() -> list[Path]:
    return sorted(SCENARIOS_DIR.glob("*.toml"))
