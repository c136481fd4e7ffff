"""Area profiles: a locality's or district's figures, each with its source and year (or marked as an estimate)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from .errors import InputError, from_validation_error
from .strict import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_LIST,
    MAX_NATION_PUPILS,
    MAX_PUPILS,
    Bounded,
    Flag,
    Integer,
    Number,
    ShortText,
    Text,
)

AREAS_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "areas"
# How far `shares.fsm` may sit from the named schools' pupil-weighted FSM share (absolute). School shares are
# published as whole or one-decimal percentages of a January census, often a year apart from the area's figure,
# and England's FSM share moved 0.8-1.3 points a year in 2022-2024 (FACTS §7 [A12][A13]): two points covers a
# year's change plus rounding, while a wrong roll or a missing school moves it by more.
FSM_TOLERANCE = 0.02


class Figure(BaseModel):
    """One number with its provenance: `source` and `year`, or `estimate = true` with a `reason`."""

    model_config = ConfigDict(extra="forbid")
    value: Number = Field(ge=-1e9, le=1e9)
    source: Text | None = None
    year: Annotated[int, Strict(), Field(ge=1900, le=2100)] | ShortText | None = None
    estimate: Flag = False
    reason: Text | None = None
    se: Number | None = Field(default=None, ge=0, le=1e9, description="standard error, same unit as value")
    range: tuple[Bounded, Bounded] | None = Field(default=None, description="plausible range (low, high)")

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

    value: Number = Field(ge=0.0, le=1.0)


class Count(Figure):
    """A non-negative count or capacity (at most 100,000: more than any Bradford service's weekly cases)."""

    value: Number = Field(ge=0.0, le=100_000.0)


class PupilCount(Figure):
    """Pupils in one phase: at most MAX_NATION_PUPILS; an area that is not partitioned into localities at most
    MAX_PUPILS (more than any English local authority; checked with the profile)."""

    value: Number = Field(ge=0.0, le=MAX_NATION_PUPILS)


class Index(Figure):
    """A rate relative to the district average (1.0 = average); 100 times the district is beyond any ward."""

    value: Number = Field(ge=0.0, le=100.0)


class Pupils(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: PupilCount  # Reception to Year 6
    secondary: PupilCount  # Year 7 to Year 11


class NamedSchool(BaseModel):
    """One school of the area: fixed across replicates; figures with `source` and `year`, or `estimate` + `reason`.

    Figures left out (roll, shares) are filled in by a fixed rule (model/schools.py); attendance is recorded
    where known, for reports and checks.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    name: ShortText = Field(min_length=1)
    phase: Literal["primary", "secondary"]
    roll: Number | None = Field(default=None, ge=0, le=MAX_PUPILS, description="pupils on roll (Reception to Year 11)")
    disadvantaged_share: Number | None = Field(default=None, ge=0, le=1, description="share eligible for FSM")
    eal_share: Number | None = Field(default=None, ge=0, le=1, description="share of pupils with EAL")
    attendance_rate: Number | None = Field(default=None, ge=0, le=1, description="share of sessions attended")
    source: Text | None = None
    year: Integer | ShortText | None = None
    estimate: Flag = False
    reason: Text | None = None

    @model_validator(mode="after")
    def _has_provenance(self) -> NamedSchool:
        given = any(v is not None for v in (self.roll, self.disadvantaged_share, self.eal_share, self.attendance_rate))
        if given and not ((self.estimate and self.reason) or (self.source and self.year is not None)):
            raise ValueError(f"school '{self.name}': give 'source' and 'year', or 'estimate = true' with a 'reason'")
        return self


class Schools(BaseModel):
    model_config = ConfigDict(extra="forbid")
    primary: Count
    secondary: Count
    named: list[NamedSchool] = Field(default_factory=list, max_length=MAX_LIST)


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
    crime_index: Index
    asb_index: Index | None = None


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
    # KS2 expected share by absence over KS2 minus all pupils, England 2018/19 (FACTS §11 [V1])
    ks2_gap_absence_0: Share | None = None
    ks2_gap_absence_0_1: Share | None = None
    ks2_gap_absence_1_2: Share | None = None


class Spread(BaseModel):
    """Between-locality spread of the partition's shares (SD on the logit scale) and sizes (SD of log pupils)."""

    model_config = ConfigDict(extra="forbid")
    pupils: Count
    fsm: Count
    eal: Count
    low_income_households: Count
    food_insecure_households: Count
    parent_depression: Count
    eal_deprivation_correlation: Figure


class Partition(BaseModel):
    """How a national or regional profile splits into local-authority-sized localities, each its own model.

    Each locality's size and shares are drawn on the named stream `stream` from the run's seed, so the partition
    is the same in every run with that seed; shares are then re-centred so the pupil-weighted means equal the
    profile's figures (the national marginals hold exactly). FSM, low income, food insecurity and parent
    depression move together on one deprivation factor; EAL correlates with it by `eal_deprivation_correlation`.
    """

    model_config = ConfigDict(extra="forbid")
    localities: int = Field(ge=1, le=1000, description="number of localities")
    stream: str = Field("partition", pattern=r"^[a-z][a-z0-9_:]*$", description="named random stream")
    name_prefix: str = Field("la", pattern=r"^[a-z][a-z0-9_]*$")
    spread: Spread


class AreaProfile(BaseModel):
    """A locality or district as the model sees it."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    display_name: ShortText
    kind: Literal["locality", "district", "nation"]
    description: Text = ""
    deprivation_rank_note: Text | None = None
    pupils: Pupils
    schools: Schools
    shares: Shares
    capacity: Capacity
    neighbourhood: Neighbourhood | None = None
    observed: Observed
    partition: Partition | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AreaProfile:
        if self.schools.primary.value < 1 or self.schools.secondary.value < 1:
            raise ValueError("schools: need at least one primary and one secondary school")
        for phase in ("primary", "secondary"):
            named = [s for s in self.schools.named if s.phase == phase]
            if len(named) > getattr(self.schools, phase).value:
                raise ValueError(f"schools.named lists more {phase} schools than schools.{phase}")
        names = [s.name for s in self.schools.named]
        if len(set(names)) != len(names):
            raise ValueError("schools.named: school names must be unique")
        if self.shares.sen_support.value + self.shares.ehcp.value > 1:
            raise ValueError("shares: sen_support + ehcp cannot exceed 1")
        if self.partition is not None:
            if self.partition.localities > self.schools.primary.value:
                raise ValueError("partition.localities: more localities than primary schools")
            if not -1.0 <= self.partition.spread.eal_deprivation_correlation.value <= 1.0:
                raise ValueError("partition.spread.eal_deprivation_correlation: must lie in [-1, 1]")
        elif self.kind == "nation":
            raise ValueError("kind = 'nation' needs a [partition] table (a nation runs as its localities)")
        else:
            for phase in ("primary", "secondary"):
                if getattr(self.pupils, phase).value > MAX_PUPILS:
                    raise ValueError(f"pupils.{phase}: at most {MAX_PUPILS:,} in an area that is not partitioned "
                                     "into localities (give a [partition] table)")
        return self


def available_areas() -> list[str]:
    """Names of the built-in area profiles."""
    return sorted(p.stem for p in AREAS_DIR.glob("*.toml"))


def read_toml(path: Path | str) -> dict[str, Any]:
    """Read a UTF-8 TOML file of bounded size and nesting, or raise InputError naming the file and the problem."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(path, None, "is a folder; give a .toml file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(path, None, f"file is larger than {MAX_FILE_BYTES:,} bytes; an input file is a few KB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, "file not found") from None
    except (OSError, ValueError) as err:
        raise InputError(path, None, f"cannot read the file ({type(err).__name__})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(path, None, f"not UTF-8 text (bad byte at offset {err.start}); save it as UTF-8 TOML"
                         ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(path, None, f"malformed TOML: {err}") from None
    except RecursionError:
        raise InputError(path, None, f"tables or arrays nested too deeply (at most {MAX_DEPTH} levels)") from None
    where = _too_deep(data)
    if where is not None:
        raise InputError(path, where, f"nested too deeply (at most {MAX_DEPTH} levels of tables and arrays)")
    return data


def _too_deep(data: object) -> str | None:
    """The dotted place where nesting exceeds MAX_DEPTH, or None (iterative, so no recursion limit)."""
    stack: list[tuple[object, str, int]] = [(data, "", 0)]
    while stack:
        obj, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where or "<top>"
        items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
        for key, value in items:
            if isinstance(value, dict | list):
                stack.append((value, f"{where}.{key}" if where else str(key), depth + 1))
    return None


def load_area(name_or_path: str | Path) -> AreaProfile:
    """Load and validate an area profile by built-in name or by file path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        candidate = AREAS_DIR / f"{name_or_path}.toml"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name_or_path)) or not candidate.is_file():
            raise InputError(None, "area", f"unknown area '{name_or_path}'; allowed: {', '.join(available_areas())}"
                             " or a path to an area .toml file")
        path = candidate
    data = read_toml(path)
    try:
        profile = AreaProfile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
    implied = schools_fsm_share(profile)
    if implied is not None and abs(implied - profile.shares.fsm.value) > FSM_TOLERANCE:
        raise InputError(path, "shares.fsm", f"{profile.shares.fsm.value:.3f} disagrees with the named schools' "
                         f"pupil-weighted FSM share {implied:.3f} (primary rolls x disadvantaged_share, which the "
                         f"model follows) by more than {FSM_TOLERANCE:.2f}; correct the figure or the schools' "
                         "rolls and shares")
    return profile


def schools_fsm_share(area: AreaProfile) -> float | None:
    """The FSM share the model will have, or None where it is the profile's own figure (partitioned, or left free).

    Each primary serves one neighbourhood whose families are FSM-eligible with the school's share, and pupils of
    both phases come from the neighbourhoods in proportion to the primary rolls (model/schools.py), so the model's
    share is the primary-roll-weighted mean of the primaries' shares. Primaries without a share are filled to
    make up `shares.fsm` within [0, 1] (a school without a roll shares the pupils the listed rolls leave).
    """
    if area.partition is not None:  # a nation's localities are drawn around its shares (model/partition.py)
        return None
    prim = [s for s in area.schools.named if s.phase == "primary"]
    n_no_roll = int(area.schools.primary.value) - sum(s.roll is not None for s in prim)
    left = max(area.pupils.primary.value - sum(s.roll for s in prim if s.roll is not None), n_no_roll)
    each = left / n_no_roll if n_no_roll > 0 else 0.0  # a school without a roll: its expected share of `left`
    total = sum(s.roll for s in prim if s.roll is not None) + (left if n_no_roll > 0 else 0.0)
    known = [(each if s.roll is None else s.roll, s.disadvantaged_share) for s in prim
             if s.disadvantaged_share is not None]
    fsm_known = sum(r * d for r, d in known)
    free_roll = total - sum(r for r, _ in known)
    if total <= 0:
        return None
    if free_roll <= 0:
        return fsm_known / total
    want = (area.shares.fsm.value * total - fsm_known) / free_roll
    return (fsm_known + min(max(want, 0.0), 1.0) * free_roll) / total
