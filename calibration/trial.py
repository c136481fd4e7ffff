"""A virtual trial over replicates: tasks on the executor, then model against published per outcome.

`run_trial` is what `actlocally trial` runs, and what calibration uses to score a trial as a target: each replicate
draws its parameters (from a posterior, if given), allocates schools, runs the trial world and its paired world
and analyses them as the paper did (`trial_run`). The model's estimate is the median over replicates and its
interval the 5%-95% range: the spread a trial run in the model's world would show, luck, allocation and
parameter uncertainty together. `inside` says whether the published estimate lies in that range.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.executor import Executor

from .posterior import draw
from .trial_run import TrialTask, run_trial_replicate
from .trial_spec import TrialSpec

FIELDS = ("estimate", "estimate_lo", "estimate_hi", "paired", "n")
CSV_COLUMNS = ("trial", "outcome", "label", "published", "published_lo", "published_hi", "model", "model_lo",
               "model_hi", "inside", "paired", "paired_lo", "paired_hi", "replicates", "source")


def trial_tasks(spec: TrialSpec, *, area: str | None = None, replicates: int = 20, seed: int = 1,
                pupils: int | None = None, posterior: xr.Dataset | None = None,
                settings: Mapping[str, float] | None = None) -> list[TrialTask]:
    """One task per replicate; parameters drawn from the posterior per replicate when one is given, then
    `settings` (model parameters set in every replicate, e.g. a route's value to see what it does) over them."""
    tasks = []
    for r in range(replicates):
        params = draw(posterior, seed, r) if posterior is not None else {}
        params.update(settings or {})
        tasks.append(TrialTask(spec, area or spec.area, seed, r, pupils, tuple(sorted(params.items()))))
    return tasks


def run_trial(spec: TrialSpec, executor: Executor, **kw) -> xr.Dataset:
    """Every replicate's estimates: variables (replicate, outcome) for each of FIELDS, with the published figures."""
    tasks = trial_tasks(spec, **kw)
    results: list[dict | None] = [None] * len(tasks)
    for i, res in executor.map_unordered(run_trial_replicate, tasks):
        results[i] = res
    names = [o.name for o in spec.outcomes]
    data = {f: (("replicate", "outcome"), np.array([[res[n][f] for n in names] for res in results], float))
            for f in FIELDS}
    ds = xr.Dataset(data, coords={"replicate": np.arange(len(tasks)), "outcome": names})
    units = {o.name: o.scale for o in spec.outcomes}
    ds["outcome_scale"] = ("outcome", [units[n] for n in names])
    for key in ("published", "published_lo", "published_hi"):
        ds[key] = ("outcome", [np.nan if getattr(o, key) is None else float(getattr(o, key)) for o in spec.outcomes])
    ds["outcome_label"] = ("outcome", [o.label for o in spec.outcomes])
    long = {"estimate": "trial estimate, analysed as the paper did", "estimate_lo": "its 95% interval, low",
            "estimate_hi": "its 95% interval, high", "paired": "paired effect in the same pupils (common random "
            "numbers)", "n": "pupils analysed", "published": "published estimate", "published_lo": "published "
            "interval, low", "published_hi": "published interval, high", "outcome_scale": "scale of the outcome",
            "outcome_label": "outcome"}
    for name, text in long.items():
        ds[name].attrs.update(long_name=text, units="pupils" if name == "n" else "see outcome_scale")
    ds.attrs.update(trial=spec.name, title=spec.title, source=spec.source, area=tasks[0].area if tasks else spec.area,
                    seed=kw.get("seed", 1), pupils=str(kw.get("pupils")), spec_json=spec.model_dump_json(),
                    posterior="yes" if kw.get("posterior") is not None else "no (default parameters)",
                    settings_json=json.dumps(dict(sorted((kw.get("settings") or {}).items()))))
    return ds


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """One row per outcome: published, model median and 5%-95% over replicates, inside, the paired effect."""
    rows = []
    for name in ds["outcome"].values:
        one = ds.sel(outcome=name)
        est, paired = one["estimate"].values, one["paired"].values
        est, paired = est[np.isfinite(est)], paired[np.isfinite(paired)]
        lo, mid, hi = np.quantile(est, [0.05, 0.5, 0.95]) if est.size else (np.nan,) * 3
        plo, pmid, phi = np.quantile(paired, [0.05, 0.5, 0.95]) if paired.size else (np.nan,) * 3
        published = float(one["published"])
        rows.append({"trial": ds.attrs["trial"], "outcome": str(name), "label": str(one["outcome_label"].values),
                     "published": published, "published_lo": float(one["published_lo"]),
                     "published_hi": float(one["published_hi"]), "model": mid, "model_lo": lo, "model_hi": hi,
                     "inside": bool(lo <= published <= hi), "paired": pmid, "paired_lo": plo, "paired_hi": phi,
                     "replicates": int(est.size), "source": ds.attrs["source"]})
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))
