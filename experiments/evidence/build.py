"""The evidence table: an area's targets (posterior predictive) and the virtual trials, each against the model.

Rows of two kinds. A **target** (an observed statistic of the area, `calibration/targets/<area>.toml`): the model's
value is the median of its statistic over runs drawn from the posterior (or at default parameters without one), its
interval the 5%-95% range, and it passes when the observed value lies inside that range; `used` says whether the
target was in the calibration's distance or only checked. A **trial** (a published study,
`calibration/trials/*.toml`): the model's value is the median of replicate trials analysed as the paper did, its
interval their 5%-95% range, and it passes when the published estimate lies inside. A trial outcome is "fitted in
calibration" when the posterior's trial stage had it in its distance (`calibration/trial_record.py`: the area's own
trial stage, or the one its routes were carried from), else "checked only"; a fitted outcome also shows the trial
stage's own check (`fit`, `fit_lo`, `fit_hi`: the fitted statistic in the stored predictive draws). A trial runs on
its spec's area with that area's stored posterior (the routes an area carries are that posterior's).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.calibration.posterior import has_posterior, load_posterior
from actlocally.calibration.predictive import predictive_check
from actlocally.calibration.statistics import STATISTICS
from actlocally.calibration.targets import TargetsFile
from actlocally.calibration.trial import run_trial, summary
from actlocally.calibration.trial_record import TrialStage, trial_stage
from actlocally.calibration.trial_spec import TrialSpec
from actlocally.runtime.executor import Executor

COLUMNS = ("kind", "name", "description", "published", "published_lo", "published_hi", "model", "model_lo",
           "model_hi", "pass", "used", "source", "fit", "fit_lo", "fit_hi")
FITTED, CHECKED = "fitted in calibration (trial stage)", "checked only"


def target_rows(sim: pd.DataFrame, targets: TargetsFile) -> pd.DataFrame:
    """One row per target from the predictive simulations (one column per target, one row per draw)."""
    rows = []
    for name, t in targets.targets.items():
        lo, mid, hi = np.nanquantile(sim[name].to_numpy(float), [0.05, 0.5, 0.95])
        source = t.source if t.source else f"estimate: {t.reason}"
        rows.append({"kind": "target", "name": name, "description": STATISTICS[name][0], "published": t.value,
                     "published_lo": t.range[0] if t.range else t.value - 1.645 * t.sd,
                     "published_hi": t.range[1] if t.range else t.value + 1.645 * t.sd,
                     "model": mid, "model_lo": lo, "model_hi": hi, "pass": bool(lo <= t.value <= hi),
                     "used": "calibration" if t.fit else "checked only", "source": f"{source} ({t.year})"})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def trial_rows(table: pd.DataFrame, stage: TrialStage | None = None) -> pd.DataFrame:
    """One row per trial outcome from `calibration.trial.summary` tables; fitted or checked by the trial stage."""
    fits = {(f.spec, f.outcome): f for f in stage.fits if f.fitted} if stage is not None else {}
    nan = float("nan")
    rows = []
    for _, r in table.iterrows():
        fit = fits.get((r["trial"], r["outcome"]))
        used = CHECKED if fit is None else FITTED if stage.how == "fitted" else f"{FITTED}, carried from {stage.area}"
        rows.append({"kind": "trial", "name": f"{r['trial']}.{r['outcome']}", "description": r["label"],
                     "published": r["published"], "published_lo": r["published_lo"],
                     "published_hi": r["published_hi"], "model": r["model"], "model_lo": r["model_lo"],
                     "model_hi": r["model_hi"], "pass": bool(r["inside"]), "used": used, "source": r["source"],
                     "fit": fit.model if fit else nan, "fit_lo": fit.model_lo if fit else nan,
                     "fit_hi": fit.model_hi if fit else nan})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def trial_posterior(posterior: xr.Dataset | None, spec: TrialSpec) -> xr.Dataset | None:
    """The posterior a trial runs with: the given one if it is of the trial's area, else that area's stored one."""
    if posterior is not None and posterior.attrs.get("area") == spec.area:
        return posterior
    return load_posterior(spec.area) if posterior is not None and has_posterior(spec.area) else None


def evidence(posterior: xr.Dataset | None, targets: TargetsFile, trials: list[TrialSpec], executor: Executor, *,
             draws: int, trial_replicates: int, trial_pupils: int | None, seed: int = 1,
             area_pupils: int = 2000) -> tuple[pd.DataFrame, xr.Dataset]:
    """(the evidence table, the raw simulations behind it: predictive draws per target, replicate trials)."""
    sim, _ = predictive_check(posterior, targets, executor, draws=draws, seed=seed, area=targets.area,
                              pupils=area_pupils)
    names = list(targets.targets)
    raw = xr.Dataset({"target_simulated": (("target", "draw"), sim[names].to_numpy(float).T,
                                           {"long_name": "the target's statistic in runs drawn from the posterior",
                                            "units": "share"})},
                     coords={"target": names, "draw": np.arange(len(sim))})
    parts = [target_rows(sim, targets)]
    stage = trial_stage(posterior) if posterior is not None else None
    for spec in trials:
        ds = run_trial(spec, executor, replicates=trial_replicates, seed=seed, pupils=trial_pupils,
                       posterior=trial_posterior(posterior, spec))
        parts.append(trial_rows(summary(ds), stage))
        raw[f"trial_{spec.name}"] = (("replicate_" + spec.name, "outcome_" + spec.name), ds["estimate"].values,
                                     {"long_name": f"{spec.title}: replicate trial estimates",
                                      "units": "see the evidence table"})
        raw = raw.assign_coords({f"outcome_{spec.name}": list(ds["outcome"].values)})
    raw.attrs.update(area=targets.area, posterior="the area's calibrated posterior" if posterior is not None
                     else "default parameters: the area is not calibrated",
                     trial_stage=stage.describe() if stage is not None and not stage.problem
                     else stage.problem if stage is not None else "")
    return pd.concat(parts, ignore_index=True), raw
