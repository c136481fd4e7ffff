"""Area profiles: a locality's or district's figures, each with its source and year (or marked as an estimate)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, from_validation_error

AREAS_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "areas"


class Figure(BaseModel):
    """One number with its provenance: `source` and `year`, or `estimate = true` with a `reason`."""

    model_config = ConfigDict(extra="forbid")
    value: float
    source: str | None = None
    year: int | str | None = None
    estimate: bool = False
    reason: str | None = None
    se: float | None = Field(default=None, ge=0, description="standard error, same unit as value")
    range: tuple[float, float] | None = Field(default=None, description="plausible range (low, high)")

    @model_validator(mode="after")
    def _has_provenance(self) -> Figure:
        if self.estimate:
            if not self.reason:
                raise ValueError("an estimate needs a one-line 'reason'")
        elif not (self.source and self.year not in (None, "")):
            raise ValueError("give 'source' and 'year', or 'estimate = true' with a 'reason'")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range must be (low, high)")
        return self


class Share(Figure):
    """A proportion between 0 and 1."""

    value: float = Field(ge=0.0, le=1.0)


class Count(Figure):
    """A non-negative count or capacity."""

    value: float = Field(ge=0.0)


class Pupils(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: Count  # Reception to Year 6
    secondary: Count  # Year 7 to Year 11


class NamedSchool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    phase: Literal["primary", "secondary"]
    roll: Count | None = None


class Schools(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: Count
    secondary: Count
    named: list[NamedSchool] = []


class Shares(BaseModel):
    """Shares of pupils (fsm, eal, sen_support, ehcp) and of households with children (the rest)."""

    model_config = ConfigDict(extra="forbid")
    fsm: Share
    eal: Share
    sen_support: Share
    ehcp: Share
    low_income_households: Share
    food_insecure_households: Share
    parent_depression: Share


class Capacity(BaseModel):
    """Service capacities as new cases per calendar week (MHSTs as teams in place).

    The model converts them to school weeks (services take cases on the 190 school days).
    """

    model_config = ConfigDict(extra="forbid")
    mhst_teams: Count
    mhst_schools_covered_share: Share
    camhs_new_cases_per_week: Count
    early_help_new_cases_per_week: Count
    food_support_new_cases_per_week: Count
    talking_therapies_new_cases_per_week: Count
    youth_service_new_cases_per_week: Count | None = None


class Neighbourhood(BaseModel):
    """Crime and antisocial behaviour relative to the Bradford district average (1.0 = district average)."""

    model_config = ConfigDict(extra="forbid")
    crime_index: Count
    asb_index: Count | None = None


class Observed(BaseModel):
    """Observed outcomes: the starting attainment and, later, calibration targets."""

    model_config = ConfigDict(extra="forbid")
    attendance_rate: Share
    persistent_absence_rate: Share
    persistent_absence_rate_disadvantaged: Share | None = None
    severe_absence_rate: Share
    ks2_expected_disadvantaged: Share
    ks2_expected_other: Share
    probable_disorder_share: Share
    mhst_reach_share: Share | None = None


class AreaProfile(BaseModel):
    """A locality or district as the model sees it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    display_name: str
    kind: Literal["locality", "district"]
    description: str = ""
    deprivation_rank_note: str | None = None
    pupils: Pupils
    schools: Schools
    shares: Shares
    capacity: Capacity
    neighbourhood: Neighbourhood | None = None
    observed: Observed

    @model_validator(mode="after")
    def _consistent(self) -> AreaProfile:
        if self.schools.primary.value < 1 or self.schools.secondary.value < 1:
            raise ValueError("schools: need at least one primary and one secondary school")
        for phase in ("primary", "secondary"):
            named = [s for s in self.schools.named if s.phase == phase]
            if len(named) > getattr(self.schools, phase).value:
                raise ValueError(f"schools.named lists more {phase} schools than schools.{phase}")
        if self.shares.sen_support.value + self.shares.ehcp.value > 1:
            raise ValueError("shares: sen_support + ehcp cannot exceed 1")
        return self


def available_areas() -> list[str]:
    """Names of the built-in area profiles."""
    return sorted(p.stem for p in AREAS_DIR.glob("*.toml"))


def read_toml(path: Path) -> dict:
    """Read a TOML file or raise InputError naming the file and the line."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(path, None, f"malformed TOML: {err}") from None


def load_area(name_or_path: str | Path) -> AreaProfile:
    """Load and validate an area profile by built-in name or by file path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        candidate = AREAS_DIR / f"{name_or_path}.toml"
        if not candidate.exists():
            raise InputError(None, "area", f"unknown area '{name_or_path}'; allowed: {', '.join(available_areas())}"
                             " or a path to an area .toml file")
        path = candidate
    data = read_toml(path)
    try:
        return AreaProfile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
