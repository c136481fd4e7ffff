"""What a sensitivity sweep varies and reads: the parameters, their ranges, and the outputs to analyse.

Each choice is checked here so that a bad command fails with one `InputError` naming the option, before any run:
an unknown parameter, a parameter the scenario file fixes, a posterior file without the expected layout, an
unknown outcome or group.

Posterior ranges (`--ranges posterior:PATH.nc`): a NetCDF file with a `particle` dimension, one variable per
parameter (named as in `model/parameters.toml`, e.g. `attendance.a0`) and a `weight` variable (non-negative,
summing to anything positive). Each parameter's range is its 5%-95% weighted quantile over the particles, so a
sweep over a posterior asks which of the parameters still uncertain after calibration move the answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from actlocally.calibration.posterior import open_posterior
from actlocally.experiments.compare.effects import GROUPS, METRIC
from actlocally.model.errors import InputError
from actlocally.model.params import DEFAULTS, Param

POSTERIOR_QUANTILES = (0.05, 0.95)


@dataclasses.dataclass(frozen=True)
class Output:
    """One analysed output: a metric of `effects.METRICS` for one group of pupils."""

    outcome: str
    group: str

    @property
    def label(self) -> str:
        return f"{self.outcome}[{self.group}]"


def select_parameters(spec: str, fixed: Iterable[str] = (), rows: Mapping[str, Param] | None = None) -> list[str]:
    """Names to vary: `free` (the calibration-free set), `all`, or a comma-separated list of table names.

    `rows` are every name the scenario knows (`parameter_rows`: the model's table and its interventions' declared
    parameters, e.g. `breakfast_club.p_enrol`); `all` and a list may name intervention parameters, `free` is the
    model's calibration-free set.

    Parameters set in the scenario's own `[parameters]` table (`fixed`) are held at that value: `free` and `all`
    leave them out, and naming one is an error, since the scenario has switched it off on purpose.
    """
    fixed = set(fixed)
    rows = DEFAULTS.rows if rows is None else rows
    spec = spec.strip()
    if spec in ("free", "all"):
        names = DEFAULTS.free() if spec == "free" else list(rows)
        names = [n for n in names if n not in fixed]
    else:
        names = [n.strip() for n in spec.split(",") if n.strip()]
        for n in names:
            if n not in rows:
                close = [k for k in rows if k.endswith("." + n.split(".")[-1])]
                hint = f" (did you mean {', '.join(close)}?)" if close else " (see `actlocally params`)"
                raise InputError(None, "--parameters", f"unknown parameter '{n}'{hint}; give 'free', 'all' or "
                                 "names from model/parameters.toml separated by commas")
            if n in fixed:
                raise InputError(None, "--parameters", f"'{n}' is fixed by the scenario's [parameters] table; "
                                 "remove it there to vary it")
        if len(set(names)) != len(names):
            raise InputError(None, "--parameters", "a parameter is named twice")
    if len(names) < 2:
        raise InputError(None, "--parameters", f"sensitivity needs at least two parameters to vary, got {names}")
    return names


def parameter_ranges(names: list[str], ranges: str = "prior",
                     rows: Mapping[str, Param] | None = None) -> tuple[list[tuple[float, float]], str]:
    """(lo, hi) per parameter and a description of where they came from: `prior` or `posterior:PATH.nc`."""
    rows = DEFAULTS.rows if rows is None else rows
    if ranges == "prior":
        return [tuple(map(float, rows[n].prior)) for n in names], "prior ranges (model/parameters.toml)"
    if ranges.startswith("posterior:"):
        path = Path(ranges.removeprefix("posterior:"))
        return posterior_ranges(path, names), f"posterior 5%-95% weighted quantiles ({path})"
    raise InputError(None, "--ranges", f"'{ranges}' is not allowed: give 'prior' or 'posterior:PATH.nc'")


def posterior_ranges(path: Path, names: list[str]) -> list[tuple[float, float]]:
    """5%-95% weighted quantiles of each parameter over a stored posterior's particles (see module docstring)."""
    ds = open_posterior(path)  # sizes, names, weights and ranges checked before any values are read
    w = np.asarray(ds["weight"].values, dtype=float)
    out = []
    for n in names:
        if n not in ds or ds[n].dims != ("particle",):
            raise InputError(path, n, "no such variable over 'particle'; the posterior must hold every parameter "
                             "varied (or choose them with --parameters)")
        lo, hi = weighted_quantiles(np.asarray(ds[n].values, dtype=float), w, POSTERIOR_QUANTILES)
        if not hi > lo:
            raise InputError(path, n, f"the posterior's 5%-95% range is empty ({lo:g} to {hi:g}); leave the "
                             "parameter out with --parameters")
        out.append((lo, hi))
    return out


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Iterable[float]) -> list[float]:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF at mid-points, interpolated)."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(np.interp(q, cdf, x)) for q in qs]


def select_outputs(outcomes: str, groups: str) -> list[Output]:
    """Outputs to analyse: each outcome (comma-separated METRICS names) for each group (comma-separated)."""
    metrics = [o.strip() for o in outcomes.split(",") if o.strip()]
    wanted = [g.strip() for g in groups.split(",") if g.strip()]
    if not metrics:
        raise InputError(None, "--outcome", "give at least one outcome")
    if not wanted:
        raise InputError(None, "--group", "give at least one group")
    for m in metrics:
        if m not in METRIC:
            raise InputError(None, "--outcome", f"unknown outcome '{m}'; allowed: {', '.join(METRIC)}")
    for g in wanted:
        if g not in GROUPS:
            raise InputError(None, "--group", f"unknown group '{g}'; allowed: {', '.join(GROUPS)}")
    out = []
    for m in metrics:
        for g in wanted:
            if not METRIC[m].by_group and g != "all":
                raise InputError(None, "--group", f"outcome '{m}' is reported for group 'all' only")
            out.append(Output(m, g))
    return out
