"""Virtual-trial specifications (`calibration/trials/*.toml`): a published study's design, outcome and estimate.

A spec names who is eligible (schools by rule), how units are allocated (schools, a share treated, drawn on the
trial's own random stream; or pupils or households within the eligible schools, drawn by the intervention), what
the treated (and, if any, control) schools receive (an intervention table as in
a scenario), how long it runs, and for each outcome: which pupils (year groups, `all`, `supported` or
`sight_problem`), the measure, the scale, the analysis the paper used, and the published estimate with its interval
where known and its source.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from actlocally.model.area import read_toml
from actlocally.model.errors import InputError, from_validation_error
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.interventions.targeting import validate_selector
from actlocally.model.scenario import parse_interventions
from actlocally.model.strict import Bounded
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

TRIALS_DIR = Path(__file__).resolve().parent / "trials"
STRICT = ConfigDict(extra="forbid", strict=True)


class Eligibility(BaseModel):
    model_config = STRICT
    schools: str | list[str] = "all"

    @field_validator("schools")
    @classmethod
    def _rule(cls, v: str | list[str]) -> str | list[str]:
        return validate_selector(v)


class Allocation(BaseModel):
    """Schools drawn on the trial's stream; or, within every eligible school, pupils or households given the
    treatment by the intervention's own draw (its `allocation_share_field` set to `share_treated`)."""

    model_config = STRICT
    unit: Literal["school", "pupil", "household"] = "school"
    share_treated: float = Field(0.5, gt=0.0, le=1.0)


class Outcome(BaseModel):
    """One published outcome and how to compute it from the simulated trial."""

    model_config = STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    label: str = Field(min_length=1, max_length=200)
    pupils: Literal["all", "supported", "sight_problem"] | list[int] = "all"
    years: list[int] | None = Field(None, description="year groups, with `sight_problem` or `supported`")
    measure: Literal["attainment_gain", "persistent_absence", "attendance", "term_persistent_absence",
                     "term_attendance"]
    scale: Literal["months", "sd", "pp", "relative", "odds_ratio"]
    analysis: Literal["difference_in_means", "ancova", "pre_post"]
    per_recipient: bool = False
    published: Bounded
    published_lo: Bounded | None = None
    published_hi: Bounded | None = None
    note: str = ""

    @field_validator("pupils", "years")
    @classmethod
    def _year_groups(cls, v: Any) -> Any:
        if isinstance(v, list) and (not v or any(not 0 <= y <= 11 for y in v)):
            raise ValueError("year groups are 0 (Reception) to 11 (Year 11), at least one")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Outcome:
        values = [x for x in (self.published, self.published_lo, self.published_hi) if x is not None]
        if not all(math.isfinite(x) for x in values):
            raise ValueError("published figures must be finite numbers")
        if self.published_lo is not None and self.published_hi is not None and not (
                self.published_lo <= self.published <= self.published_hi):
            raise ValueError("published_lo <= published <= published_hi")
        pre_post = self.measure.startswith("term_")
        if pre_post != (self.analysis == "pre_post"):
            raise ValueError("term_* measures go with analysis = 'pre_post' (and only they)")
        if self.analysis == "pre_post" and self.pupils != "supported":
            raise ValueError("a pre-post analysis follows the pupils who were supported: pupils = 'supported'")
        if self.scale == "odds_ratio" and self.measure != "term_persistent_absence":
            raise ValueError("an odds ratio is of persistent absence in a term (measure 'term_persistent_absence')")
        if self.scale == "months" and self.measure != "attainment_gain":
            raise ValueError("months of progress are a scale of attainment (measure 'attainment_gain')")
        return self


class TrialSpec(BaseModel):
    """A published study to replicate on a synthetic population."""

    model_config = STRICT
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    title: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    anchors: list[str] = Field(default_factory=list, description="intervention types this trial anchors")
    area: str = "bradford"
    years: int = Field(1, ge=1, le=3, description="school years followed (more than 1: pre-post outcomes only)")
    eligibility: Eligibility = Eligibility()
    allocation: Allocation = Allocation()
    treatment: dict[str, Any]
    control: dict[str, Any] | None = None
    outcomes: list[Outcome] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct_outcomes(self) -> TrialSpec:
        names = [o.name for o in self.outcomes]
        if len(set(names)) != len(names):
            raise ValueError("two outcomes share a name")
        if self.years > 1 and any(o.analysis != "pre_post" for o in self.outcomes):
            raise ValueError("years > 1 only with pre-post outcomes (a between-school design follows one school year)")
        return self


def trial_names() -> list[str]:
    """The shipped trial specs, by name."""
    return sorted(p.stem for p in TRIALS_DIR.glob("*.toml"))


def load_trial(name_or_path: str | Path) -> TrialSpec:
    """A trial spec by path or shipped name, validated; a bad file raises one InputError naming file and field."""
    path = Path(name_or_path)
    if not path.exists() and path.suffix != ".toml" and (TRIALS_DIR / f"{name_or_path}.toml").exists():
        path = TRIALS_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise InputError(path, None, f"no such trial spec; shipped trials: {', '.join(trial_names())}")
    data = read_toml(path)
    try:
        spec = TrialSpec.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
    for key, table in (("treatment", spec.treatment), ("control", spec.control)):
        if table is not None:
            try:
                parse_interventions([{**table, "schools": "all"}], path)
            except InputError as err:
                raise InputError(path, key + "." + (err.field or "").split(".", 1)[-1], err.problem) from None
            if "schools" in table:
                raise InputError(path, f"{key}.schools", "the allocation chooses the schools; remove `schools`")
    if spec.allocation.unit != "school":
        _within_school_allocation(spec, path)
    return spec


def _within_school_allocation(spec: TrialSpec, path: Path) -> None:
    """A pupil or household allocation needs a treatment that draws its own recipients, and no control arm."""
    unit = spec.allocation.unit
    field = getattr(REGISTRY[spec.treatment["type"]], "allocation_share_field", None)
    if field is None:
        allowed = sorted(k for k, c in REGISTRY.items() if getattr(c, "allocation_share_field", None))
        raise InputError(path, "allocation.unit", f"'{unit}' allocation needs a treatment that chooses its own "
                         f"recipients ({', '.join(allowed)}); allowed for '{spec.treatment['type']}': 'school'")
    if field in spec.treatment:
        raise InputError(path, f"treatment.{field}", "the allocation sets it (allocation.share_treated); remove it")
    if spec.control is not None:
        raise InputError(path, "control", f"a '{unit}' allocation compares recipients with eligible non-recipients "
                         "in the same schools; remove the control arm")
