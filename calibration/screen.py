"""Which free parameters move an area's calibration targets: a Morris screen run before ABC-SMC.

Why: ABC-SMC's importance weights degenerate as the number of parameters its kernel moves grows. Measured here:
with all 17 free parameters in one multivariate normal kernel and 200 particles, the effective sample size fell
from 200 to 1-7 after the first generation; on a toy problem where 5 of 17 parameters matter it fell to 3-8, and
when only those 5 were moved (the other 12 drawn from their prior) it stayed at 110-155. So the kernel moves the
parameters this screen finds influential, and the rest are proposed afresh from their prior every generation
(`PriorTransition`): they stay in the posterior with their full prior uncertainty and a weight factor of 1.

Each Morris trajectory uses one replicate (the same synthetic population and random streams) for all its points,
so an elementary effect is the parameter's effect, not run-to-run noise. Effects are in units of each target's
uncertainty (sd), so a parameter is ranked by how far it moves the ABC distance. Sampling and analysis go through
SALib's `ProblemSpec` (one output per target).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
import xarray as xr
from actlocally.model.scenario import Scenario
from actlocally.runtime.executor import Executor
from SALib import ProblemSpec
from scipy import stats

from .runs import StatisticsRun, run_task

LEVELS = 4  # Morris grid levels (SALib's default)


def screen(scenario: Scenario, sds: dict[str, float], ranges: dict[str, tuple[float, float]], executor: Executor,
           *, trajectories: int = 8, seed: int = 1, pupils: int = 2000) -> xr.Dataset:
    """Morris mu* of every parameter on every fitted target, in target sds: dims (parameter, target), plus
    `score`, the root sum of squares over targets (how far the parameter moves the distance)."""
    names, targets = list(ranges), list(sds)
    spec = ProblemSpec({"names": names, "bounds": [list(ranges[n]) for n in names], "outputs": targets})
    spec.sample_morris(trajectories, num_levels=LEVELS, seed=seed)
    x = spec.samples
    points = len(names) + 1
    tasks = [StatisticsRun(scenario, tuple(zip(names, map(float, row), strict=True)),
                        5_000_000 + seed * 1000 + i // points, pupils, tuple(sds)) for i, row in enumerate(x)]
    sims: list[dict | None] = [None] * len(tasks)
    for i, result in executor.map_unordered(run_task, tasks):
        sims[i] = result
    y = pd.DataFrame(sims)
    spec.set_results(np.column_stack([y[t].to_numpy(float) / sds[t] for t in targets]))
    spec.analyze_morris(num_levels=LEVELS, seed=seed, print_to_console=False)
    per_target = [spec.analysis[t] if len(targets) > 1 else spec.analysis for t in targets]  # one output: unkeyed
    mu_star = np.column_stack([np.nan_to_num(np.asarray(r["mu_star"], float)) for r in per_target])
    return xr.Dataset(
        {"mu_star": (("parameter", "target"), mu_star,
                     {"units": "target sd", "long_name": "Morris mu*: mean absolute elementary effect"}),
         "score": ("parameter", np.sqrt((mu_star**2).sum(axis=1)),
                   {"units": "target sd", "long_name": "root sum of squares of mu* over fitted targets"})},
        coords={"parameter": names, "target": list(sds)},
        attrs={"trajectories": trajectories, "runs": len(tasks), "levels": LEVELS, "pupils": pupils})


def select_moved(scores: pd.Series, max_moved: int = 6, min_share: float = 0.1) -> list[str]:
    """The parameters the kernel moves: the largest scores, at most `max_moved` (assumption: about the number of
    fitted targets, which cannot identify more), each at least `min_share` of the top score (assumption)."""
    ranked = scores.sort_values(ascending=False)
    keep = ranked[ranked >= min_share * ranked.iloc[0]]
    return list(keep.index[:max_moved])


class PriorTransition(pyabc.transition.Transition):
    """Proposes its parameters from their prior, independently of the particles: standard normal on the probit
    scale the calibration works on. Its density is the prior's, so it leaves importance weights unchanged."""

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        self.columns = list(X.columns)

    def rvs_single(self) -> pyabc.Parameter:
        return pyabc.Parameter({c: float(np.random.normal()) for c in self.columns})

    def pdf(self, x):
        values = [x[c] for c in self.columns] if isinstance(x, dict) else x[self.columns].to_numpy(float)
        return np.exp(stats.norm.logpdf(np.asarray(values, float)).sum(axis=-1))
