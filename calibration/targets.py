"""Calibration targets: observed statistics per area with value, uncertainty, year and source.

A target's uncertainty is a standard error (`se`) or a plausible `range`, read as a 90% interval (sd = width /
3.29). The distance in ABC weights each target by 1 / sd, so a well-measured figure pulls harder than a guess.
"""

from __future__ import annotations

import re
from pathlib import Path

from actlocally.model.area import read_toml
from actlocally.model.errors import InputError, from_validation_error
from actlocally.model.strict import MAX_LIST, Bounded, Flag, Number, ShortText, Text
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .statistics import STATISTICS
from .trial_targets import check_trial_target, trial_target_name

TARGETS_DIR = Path(__file__).resolve().parent / "targets"
Z90 = 3.29  # width of a 90% normal interval in standard deviations


class Target(BaseModel):
    """One observed statistic."""

    model_config = ConfigDict(extra="forbid")
    value: Number = Field(ge=-1e9, le=1e9)
    se: Number | None = Field(None, gt=0, le=1e9)
    range: tuple[Bounded, Bounded] | None = None
    year: ShortText
    source: Text | None = None
    estimate: Flag = False
    reason: Text | None = None
    fit: Flag = Field(True, description="false: reported in the predictive check, left out of the distance")

    @model_validator(mode="after")
    def _complete(self) -> Target:
        if (self.se is None) == (self.range is None):
            raise ValueError("give exactly one of `se` or `range` as the uncertainty")
        if self.range is not None and not self.range[0] <= self.value <= self.range[1]:
            raise ValueError(f"range {list(self.range)} does not contain the value {self.value}")
        if self.range is not None and self.range[1] <= self.range[0]:
            raise ValueError("range must be [low, high] with low < high")
        if not self.year.strip():
            raise ValueError("give the figure's `year` (e.g. \"2023/24\")")
        if not self.source and not (self.estimate and self.reason):
            raise ValueError("give a `source`, or `estimate = true` with a `reason`")
        return self

    @property
    def sd(self) -> float:
        """The target's uncertainty as a standard deviation."""
        return self.se if self.se is not None else (self.range[1] - self.range[0]) / Z90


class TargetsFile(BaseModel):
    """An area's targets and, optionally, published trial estimates (`[trials.<spec>.<outcome>]`, see
    `trial_targets.py`), fitted in a stage of their own to the intervention routes the trials anchor."""

    model_config = ConfigDict(extra="forbid")
    area: ShortText
    targets: dict[ShortText, Target] = Field(min_length=1, max_length=MAX_LIST)
    trials: dict[ShortText, dict[ShortText, Target]] = Field(default_factory=dict, max_length=MAX_LIST)

    def trial_targets(self) -> dict[str, Target]:
        """The trial targets by statistic name (`trial:<spec>.<outcome>`)."""
        return {trial_target_name(s, o): t for s, outcomes in self.trials.items() for o, t in outcomes.items()}

    def all_targets(self) -> dict[str, Target]:
        """Area targets and trial targets, by statistic name."""
        return {**self.targets, **self.trial_targets()}


def load_targets(area_or_path: str | Path) -> TargetsFile:
    """Load an area's targets (by area name or path) and check the model can produce each statistic."""
    path = Path(area_or_path)
    if path.suffix != ".toml":
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(area_or_path)):
            raise InputError(None, "AREA", f"{str(area_or_path)!r} is not an area name or a targets .toml file")
        path = TARGETS_DIR / f"{area_or_path}.toml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in TARGETS_DIR.glob("*.toml")))
            raise InputError(path, None, f"no calibration targets for area '{area_or_path}'; areas with targets: "
                             f"{known}")
    data = read_toml(path)
    try:
        spec = TargetsFile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
    for name in spec.targets:
        if name not in STATISTICS:
            raise InputError(path, f"targets.{name}", "the model cannot produce this statistic; allowed: "
                             + ", ".join(STATISTICS))
    for spec_name, outcomes in spec.trials.items():
        for outcome, t in outcomes.items():
            problem = check_trial_target(spec_name, outcome, t.value)
            if problem:
                raise InputError(path, f"trials.{spec_name}.{outcome}", problem)
    if not any(t.fit for t in spec.targets.values()):
        raise InputError(path, "targets", "every target has fit = false: nothing to calibrate against")
    return spec
