"""Posterior predictive check: run the model for draws from the posterior and compare with every target.

The calibration stores its check in the posterior file (`target_observed`, `target_low`, `target_high`,
`target_simulated`), so anyone reading the posterior (a funder brief, say) can tell how well the model fits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.executor import Executor

from .posterior import draw
from .runs import StatisticsRun, baseline_scenario, run_task, scenario_from_record
from .statistics import STATISTICS
from .targets import TargetsFile
from .trial_targets import TRIAL_PUPILS, is_trial, split_name


def describe(name: str) -> str:
    """What a target's statistic is, in words."""
    if is_trial(name):
        spec, outcome = split_name(name)
        return f"trial {spec}: {outcome} (paired effect, or the paper's estimate for a pre-post design)"
    return STATISTICS[name][0]


def predictive_check(posterior: xr.Dataset | None, targets: TargetsFile, executor: Executor, draws: int = 50,
                     seed: int = 1, area: str | None = None,
                     pupils: int | None = None, with_trials: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate every target for `draws` posterior draws (default parameters without a posterior, then `area` and
    `pupils` must be given): (simulations, summary table). `with_trials` adds the trial targets (each draw runs
    those trials too, on `trial_pupils` as the fit did)."""
    area = area or posterior.attrs["area"]
    pupils = pupils or int(posterior.attrs["pupils"])
    every = targets.all_targets() if with_trials else targets.targets
    names = tuple(every)
    trial_pupils = int(posterior.attrs.get("trial_pupils", TRIAL_PUPILS)) if posterior is not None else None
    scenario = scenario_from_record(posterior) if posterior is not None else baseline_scenario(area)
    tasks = [StatisticsRun(scenario, tuple(sorted(draw(posterior, seed, r).items())) if posterior is not None else (),
                           1_000_000 + r, pupils, names, trial_pupils) for r in range(draws)]
    sims = [None] * draws
    for i, stats in executor.map_unordered(run_task, tasks):
        sims[i] = stats
    sim = pd.DataFrame(sims)
    rows = []
    for name, t in every.items():
        lo, mid, hi = np.nanquantile(sim[name], [0.05, 0.5, 0.95])
        rows.append({"target": name, "description": describe(name), "observed": t.value,
                     "observed_low": t.range[0] if t.range else t.value - 1.645 * t.sd,
                     "observed_high": t.range[1] if t.range else t.value + 1.645 * t.sd,
                     "simulated_median": mid, "simulated_low_5pct": lo, "simulated_high_95pct": hi,
                     "inside_90pct": bool(lo <= t.value <= hi), "fitted": t.fit})
    return sim, pd.DataFrame(rows)


_OWN = "the target's own (see targets_json)"


def with_predictive(posterior: xr.Dataset, targets: TargetsFile, executor: Executor, draws: int = 40) -> xr.Dataset:
    """The posterior with its predictive check attached (dims `target`, `sample`)."""
    sim, table = predictive_check(posterior, targets, executor, draws=draws, seed=int(posterior.attrs["seed"]),
                                  with_trials=True)
    names = list(targets.all_targets())
    out = posterior.drop_vars([v for v in posterior.data_vars if str(v).startswith("target_")], errors="ignore")
    out = out.assign(
        target_observed=("target", table["observed"].to_numpy(float), {"long_name": "observed value", "units": _OWN}),
        target_low=("target", table["observed_low"].to_numpy(float),
                    {"long_name": "observed range, low", "units": _OWN}),
        target_high=("target", table["observed_high"].to_numpy(float),
                     {"long_name": "observed range, high", "units": _OWN}),
        target_fitted=("target", table["fitted"].to_numpy(bool).astype("i1"),
                       {"long_name": "1 if the target is in the ABC distance", "units": "1"}),
        target_simulated=(("target", "sample"), sim[names].to_numpy(float).T,
                          {"long_name": "the target's statistic in runs drawn from the posterior", "units": _OWN}),
    ).assign_coords(target=names, sample=np.arange(draws))
    out.attrs["method"] = "ABC-SMC (pyabc), uniform priors, distance scaled by target uncertainty"
    out.attrs["predictive_inside_90pct"] = int(table["inside_90pct"].sum())
    return out
