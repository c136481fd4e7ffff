"""The Intervention base class, its pydantic parameters and the registry scenario files name them by."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .targeting import parse_locality_rule

REGISTRY: dict[str, type[Intervention]] = {}


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

    model_config = ConfigDict(extra="forbid")
    type: str
    label: str | None = Field(None, description="name in results; defaults to the type")
    start_day: int = Field(0, ge=0, description="school day of the run on which it starts")
    localities: str | list[str] = Field("all", description="in a partitioned area (e.g. England): the localities "
                                        "it runs in, a rule such as \"fsm_share >= 0.3\" or a list of names")

    @field_validator("localities")
    @classmethod
    def _locality_rule(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            parse_locality_rule(value)
        elif not value:
            raise ValueError("give at least one locality name, a rule, or 'all'")
        return value


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
