"""The Intervention base class, its pydantic parameters and the registry scenario files name them by."""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from ..strict import ShortText
from .targeting import parse_locality_rule

REGISTRY: dict[str, type[Intervention]] = {}
MAX_SETTING = 1e9


def register(name: str):
    """Class decorator: make an intervention available to scenario files as `type = "<name>"`."""

    def wrap(cls: type[Intervention]) -> type[Intervention]:
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return wrap


def param(default: float, *, prior: tuple[float, float], unit: str, source: str, **kw: Any):
    """A numeric intervention parameter with its prior range, unit and source (shown by `actlocally params`)."""
    return Field(default, json_schema_extra={"prior": list(prior), "unit": unit, "source": source}, **kw)


class InterventionParams(BaseModel):
    """Settings common to every intervention; subclasses add their own fields."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    type: Annotated[str, Strict()]
    label: ShortText | None = Field(None, min_length=1, description="name in results; defaults to the type")
    start_day: int = Field(0, ge=0, le=1900, description="school day of the run on which it starts (10 years at most)")
    localities: ShortText | list[ShortText] = Field(
        "all", description="in a partitioned area (e.g. England): the localities it runs in, a rule such as "
        "\"fsm_share >= 0.3\" or a list of names")

    @field_validator("localities")
    @classmethod
    def _locality_rule(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            parse_locality_rule(value)
        elif not value:
            raise ValueError("give at least one locality name, a rule, or 'all'")
        return value

    @model_validator(mode="after")
    def _physical(self) -> InterventionParams:
        """Every number is finite and at most MAX_SETTING in size (a stated physical bound: no cost in GBP, case
        count or multiplier of a local intervention comes near it); field bounds (ge/le) are checked by pydantic.
        A setting may leave its `param(...)` prior (e.g. p_enrol = 1 for a club every child joins): the prior
        is the range sensitivity and calibration explore, not a limit on what a strategist may set."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, float | int) and not isinstance(value, bool) and not (
                    math.isfinite(value) and abs(value) <= MAX_SETTING):
                raise ValueError(f"{name} = {value!r} is not a finite number of at most {MAX_SETTING:g}")
        return self


class Intervention:
    """Sets model state (enrolments, coverage, hub flags); mechanisms carry the effects, never edited params.

    Life of an intervention in a run (`LocalityModel` calls these, in this order):

    - `setup(model)` once at build: choose the schools or children it will serve and make any services it adds
      (services must exist before results are recorded). Nothing is delivered yet.
    - `start(model)` on its `start_day` (before that day's mechanisms; at build when `start_day` is 0): switch on.
    - `apply(model, day)` every school day from `start_day` on, before the mechanisms.
    - `new_year(model)` after each year-group progression once started (children moved school, Reception joined);
      `model.school_year` is then the new year's index, so yearly draws are fresh.

    Cost: `annual_cost_gbp` is what a full year of what it delivers costs at the current scale; results pro-rate it
    from `start_day`, so nothing is costed before it starts.
    """

    name: ClassVar[str] = "intervention"
    Params: ClassVar[type[InterventionParams]] = InterventionParams

    def __init__(self, params: InterventionParams) -> None:
        self.params = params
        self.label = params.label or self.name
        self.started = False

    @property
    def stream(self) -> str:
        """Name of its own random stream (common random numbers: its draws never shift another's)."""
        return f"intervention:{self.label}"

    def setup(self, model: Any) -> None:
        """Called once when the model is built: choose targets, add services; deliver nothing yet."""

    def start(self, model: Any) -> None:
        """Called once, on `start_day`: switch the intervention on."""

    def begin(self, model: Any) -> None:
        """Start now (the model calls this on `start_day`); idempotent."""
        if not self.started:
            self.started = True
            self.start(model)

    def new_year(self, model: Any) -> None:
        """Called after year-group progression, once started."""

    def apply(self, model: Any, day: int) -> None:
        """Called every school day from `start_day` on, before the mechanisms."""

    def annual_cost_gbp(self, model: Any) -> float:
        """Cost of a full year of what it delivers, at the current scale (GBP)."""
        return 0.0

    def reached(self, model: Any) -> np.ndarray:
        """Boolean mask of children this intervention reaches (for reach figures); none before it starts."""
        return np.zeros(model.children.n, bool)

    def targeted(self, model: Any) -> np.ndarray:
        """Children its rule makes eligible, reached or not (a pupil- or household-level trial compares the two)."""
        return self.reached(model)
