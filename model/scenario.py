"""Scenario files: an area, years, seed, parameter overrides and interventions, validated with pydantic."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .area import AreaProfile, load_area, read_toml
from .errors import InputError, from_validation_error
from .interventions.registry import REGISTRY, InterventionParams
from .outcomes import parse_headline
from .params import DEFAULTS

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class Scenario(BaseModel):
    """What a strategist edits: where, how long, which seed, which interventions."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", max_length=80)
    title: str = Field("", max_length=120, description="a plain-language title for briefs (default: from the name)")
    description: str = ""
    headline: list[str] = Field(default_factory=list, max_length=6,
                                description="outcomes the brief leads with, e.g. 'children_out_of_difficulty.girls'")
    area: str
    years: int = Field(1, ge=1, le=10)
    seed: int = Field(20261123, ge=0)
    first_year: int = Field(2025, ge=2000, le=2100)
    pupils: int | None = Field(None, ge=100, description="rescale the area to this many pupils (tests, quick looks)")
    parameters: dict[str, float] = Field(default_factory=dict)
    interventions: list[dict[str, Any]] = Field(default_factory=list)
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
        for key in self.parameters:
            if key not in DEFAULTS:
                close = difflib.get_close_matches(key, list(DEFAULTS), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else "; see `actlocally params` for the names"
                raise InputError(self._path, f"parameters.{key}", f"unknown parameter{hint}")
        for i, entry in enumerate(self.headline):
            try:
                parse_headline(entry)
            except ValueError as err:
                raise InputError(self._path, f"headline[{i}]", str(err)) from None
        _ = self.area_profile
        _ = self.intervention_params
        labels = [p.label or p.type for p in self.intervention_params]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise InputError(self._path, "interventions", f"two interventions share the label {sorted(dup)}; "
                             "give each a distinct `label`")
        return self


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
        if kind not in REGISTRY:
            raise InputError(path, f"interventions[{i}].type",
                             f"unknown intervention '{kind}'; allowed: {', '.join(sorted(REGISTRY))}")
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
