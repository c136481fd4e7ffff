"""The parameter table: every default with its prior range, unit and source, loaded from parameters.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

PARAMETERS_FILE = Path(__file__).with_name("parameters.toml")


class Param(BaseModel):
    """One model parameter: a value with its prior range, unit and where the number comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float
    prior: tuple[float, float]
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    calibrate: bool = False
    doc: str = ""

    @model_validator(mode="after")
    def _value_in_prior(self) -> Param:
        lo, hi = self.prior
        if not lo <= self.value <= hi:
            raise ValueError(f"default {self.value} outside its prior range {self.prior}")
        return self


class ParamTable(Mapping[str, float]):
    """Read-only mapping 'mechanism.name' -> value, with the full `Param` rows kept for reporting."""

    def __init__(self, rows: dict[str, Param], overrides: Mapping[str, float] | None = None) -> None:
        self.rows = dict(rows)
        self._groups: dict[str, dict[str, float]] = {}
        self._values = {k: p.value for k, p in rows.items()}
        for key, value in (overrides or {}).items():
            if key not in self._values:
                raise KeyError(key)
            self._values[key] = float(value)

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def with_overrides(self, overrides: Mapping[str, float]) -> ParamTable:
        """A copy with some values replaced (unknown names raise KeyError)."""
        merged = {k: v for k, v in self._values.items() if v != self.rows[k].value}
        merged.update(overrides)
        return ParamTable(self.rows, merged)

    def group(self, prefix: str) -> dict[str, float]:
        """Values of one mechanism, keyed without the prefix: table.group('hunger')['p_hungry_if_insecure']."""
        if prefix not in self._groups:
            head = prefix + "."
            self._groups[prefix] = {k[len(head):]: v for k, v in self._values.items() if k.startswith(head)}
        return self._groups[prefix]

    def free(self) -> list[str]:
        """Names marked `calibrate = true` (fitted in calibration, varied in sensitivity)."""
        return [k for k, p in self.rows.items() if p.calibrate]

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)


def load_parameters(path: Path = PARAMETERS_FILE) -> ParamTable:
    """Load the parameter table; a malformed row fails loudly with its name."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    rows: dict[str, Param] = {}
    for mechanism, entries in raw.items():
        for name, row in entries.items():
            key = f"{mechanism}.{name}"
            try:
                rows[key] = Param.model_validate(row)
            except Exception as err:  # pragma: no cover - the shipped table is tested
                raise ValueError(f"{path}: parameter '{key}': {err}") from None
    return ParamTable(rows)


DEFAULTS = load_parameters()
