"""Re-fit only the trial stage of a stored posterior: its area stage read back from pyabc's history beside it.

Why: the trial stage anchors intervention routes, which the area's baseline never runs, so new trial targets or
routes (or a longer trial stage) need not repeat the area stage, whose particles `calibrate` keeps in
`<area>.db` (pyabc's history of that stage). `area_stage` rebuilds the area posterior from that history (the last
generation's particles and weights, on the prior ranges the posterior recorded); `refit_trials` runs
`trial_fit.fit_trials` on it with the area's current targets, then the predictive check, as `calibrate` would.

Refused (a ValueError saying why) when the current targets file's area targets differ from those the area stage
fitted (then the area stage is stale: re-calibrate). Not detected: a model change that moves the baseline; re-run
the area stage (`calibrate AREA`) after one (tests/baseline.json's `baseline` entries say whether it moved).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyabc
import xarray as xr
from actlocally.runtime.executor import Executor

from .posterior import parameter_names
from .predictive import with_predictive
from .smc import decode, from_probit
from .targets import TargetsFile
from .trial_fit import fit_trials


def area_stage(posterior: xr.Dataset, db: Path) -> xr.Dataset:
    """The area stage's posterior (particles, weights, run record) from its pyabc history `db`."""
    history = pyabc.History(f"sqlite:///{Path(db).resolve()}", _id=1)
    df, w = history.get_distribution(m=0, t=history.max_t)
    ranges = json.loads(posterior.attrs["prior_json"])
    names = [decode(c) for c in df.columns]
    unknown = [n for n in names if n not in ranges]
    if unknown:
        raise ValueError(f"{db}: parameters {unknown} are not in the posterior's recorded priors")
    trial = [n for n in str(posterior.attrs.get("trial_parameters", "")).split() if n not in names]
    data = {}
    for c, n in zip(df.columns, names, strict=True):
        lo, hi = ranges[n]
        data[n] = ("particle", from_probit(df[c].to_numpy(float), lo, hi), dict(posterior[n].attrs))
    w = np.asarray(w, float)
    data["weight"] = ("particle", w / w.sum(), {"units": "1", "long_name": "importance weight"})
    drop = [v for v in posterior.data_vars if "particle" in posterior[v].dims or v.startswith("trial_")
            or v.startswith("target_")]
    out = posterior.drop_vars([*drop, *trial], errors="ignore").drop_dims(
        ["particle", "trial_generation"], errors="ignore").assign(data)
    out = out.assign_coords(particle=np.arange(len(df)))
    out.attrs = {k: v for k, v in posterior.attrs.items() if not k.startswith("trial_") and k != "source_path"}
    out.attrs.update(parameters=" ".join(names),
                     effective_sample_size=round(float(1.0 / np.sum((w / w.sum()) ** 2)), 1))
    return out


def check_same_area_targets(posterior: xr.Dataset, targets: TargetsFile) -> None:
    """A ValueError if the targets' area targets are not those the stored area stage fitted."""
    stored = TargetsFile.model_validate_json(posterior.attrs["targets_json"])
    if stored.area != targets.area or stored.targets != targets.targets:
        changed = sorted(set(stored.targets) ^ set(targets.targets)
                         | {k for k in set(stored.targets) & set(targets.targets)
                            if stored.targets[k] != targets.targets[k]})
        raise ValueError(f"the area targets changed since the area stage was fitted ({', '.join(changed) or 'area'}"
                         "); re-calibrate the area (`actlocally calibrate AREA`)")


def refit_trials(posterior: xr.Dataset, db: Path, targets: TargetsFile, executor: Executor, *, seed: int,
                 particles: int, populations: int, trial_pupils: int, draws: int, out_dir: Path,
                 on_generation=None, resume: bool = False) -> xr.Dataset:
    """The stored posterior with its trial stage fitted afresh to `targets`' trials (area stage as stored), or
    (`resume`) its kept trial-stage history continued for `populations` more generations."""
    check_same_area_targets(posterior, targets)
    if not any(t.fit for t in targets.trial_targets().values()):
        raise ValueError("the targets file has no fitted trial targets ([trials.<spec>.<outcome>])")
    from .abc import _global_numpy_seed  # pyabc draws from numpy's global generator: seeded for the run, as there

    area = area_stage(posterior, db)
    area.attrs["targets_json"] = targets.model_dump_json()
    name = str(posterior.attrs["area"])
    with _global_numpy_seed(seed):
        out = fit_trials(area, targets, name, executor, seed=seed, particles=particles, populations=populations,
                         trial_pupils=trial_pupils, on_generation=on_generation, out_dir=out_dir, name=name,
                         resume=resume)
    missing = [n for n in parameter_names(area) if n not in out]
    if missing:
        raise ValueError(f"the trial stage lost area parameters {missing}")
    return with_predictive(out, targets, executor, draws=draws) if draws else out
