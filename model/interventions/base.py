"""The Intervention base class, its pydantic parameters and the registry scenario files name them by."""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from ..strict import ShortText

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

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    type: Annotated[str, Strict()]
    label: ShortText | None = Field(None, min_length=1, description="name in results; defaults to the type")
    start_day: int = Field(0, ge=0, le=1900, description="school day of the run on which it starts (10 years at most)")

    @model_validator(mode="after")
    def _inside_priors(self) -> InterventionParams:
        """Every `param(...)` value is finite and inside its declared prior range."""
        for name, info in type(self).model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            value = getattr(self, name)
            if "prior" not in extra or not isinstance(value, float | int):
                continue
            lo, hi = extra["prior"]
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name} = {value!r} is outside its prior range [{lo:g}, {hi:g}] "
                                 f"({extra.get('unit')}; source: {extra.get('source')})")
        return self


class Intervention:
    """Sets model state (enrolments, coverage, hub flags); mechanisms carry the effects, never edited params."""

    name: ClassVar[str] = "intervention"
    Params: ClassVar[type[InterventionParams]] = InterventionParams

    def __init__(self, params: InterventionParams) -> None:
        self.params = params
        self.label = params.label or self.name

    @property
    def stream(self) -> str:
        return f"intervention:{self.label}"

    def setup(self, model) -> None:
        """Called once when the model is built."""

    def new_year(self, model) -> None:
        """Called after year-group progression (children moved school, Reception joined)."""

    def apply(self, model, day: int) -> None:
        """Called every school day before the mechanisms."""

    def annual_cost_gbp(self, model) -> float:
        """Cost of a full year at the current scale."""
        return 0.0

    def reached(self, model) -> np.ndarray:
        """Boolean mask of children this intervention reaches (for reach figures)."""
        return np.zeros(model.children.n, bool)
