"""Per-school effects: each scenario against its baseline, school by school, over the last academic year.

Schools are fixed across replicates (model/schools.py), so a school's effect in replicate r and in replicate r'
are effects on the same school, and their spread is the model's uncertainty about it, not a mix of schools.
Reach and cost are the scenario's own (the baseline's are zero); attendance, persistent absence and attainment
are paired differences within a replicate (common random numbers).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.experiments.compare.effects import INTERVAL
from actlocally.experiments.compare.plots import save_figure
from actlocally.model.eef import months_of_progress


@dataclasses.dataclass(frozen=True)
class SchoolMetric:
    name: str
    label: str
    unit: str


SCHOOL_METRICS = (
    SchoolMetric("school_attendance_pp", "Attendance", "percentage points"),
    SchoolMetric("school_persistent_absence_pp", "Persistent absence (last term)", "percentage points"),
    SchoolMetric("school_progress_months", "Attainment (EEF months of progress)", "months"),
    SchoolMetric("school_reached_share", "Pupils reached", "share of pupils"),
    SchoolMetric("school_cost_gbp", "Cost", "GBP per year"),
)


def _levels(one: xr.Dataset) -> xr.Dataset:
    """Last-year per-school levels of one scenario, per replicate."""
    terms = one.isel(term=slice(-3, None))
    last = one.isel(term=-1)
    return xr.Dataset({
        "attendance": 100 * terms["attendance_rate_school"].mean("term"),
        "pa": 100 * last["persistent_absence_rate_school"],
        "z": last["mean_attainment_z_school"],
        "reach": last["reached_share_school"],
        "cost": terms["cost_gbp_school"].sum("term") / float(one["population_scale"]),
    })


def school_effects(ds: xr.Dataset) -> xr.Dataset:
    """Per (scenario, replicate, school): the SCHOOL_METRICS of every non-baseline scenario."""
    parts = []
    for s, b in zip(ds["scenario"].values, ds["baseline"].values, strict=True):
        if s == b:
            continue
        arm, base = _levels(scenario_slice(ds, str(s))), _levels(scenario_slice(ds, str(b)))
        arm, base = xr.align(arm, base, join="inner")
        e = xr.Dataset({
            "school_attendance_pp": arm["attendance"] - base["attendance"],
            "school_persistent_absence_pp": arm["pa"] - base["pa"],
            "school_progress_months": xr.apply_ufunc(months_of_progress, arm["z"] - base["z"]),
            "school_reached_share": arm["reach"],
            "school_cost_gbp": arm["cost"],
        })
        e = e.drop_vars([c for c in e.coords if c not in ("replicate", "school")])
        parts.append(e.expand_dims(scenario=[str(s)]))
    out = xr.concat(parts, dim="scenario", join="outer")
    for m in SCHOOL_METRICS:
        what = "" if m.name in ("school_reached_share", "school_cost_gbp") else "change in "
        out[m.name].attrs = {"units": m.unit, "long_name": f"{what}{m.label.lower()} by school, against the baseline"
                             if what else f"{m.label.lower()} by school (the scenario's)"}
    return out


def school_table(effects: xr.Dataset) -> pd.DataFrame:
    """One row per (scenario, school, metric): mean and 90% interval over replicates."""
    rows = []
    for s in effects["scenario"].values:
        for school in effects["school"].values:
            for m in SCHOOL_METRICS:
                v = effects[m.name].sel(scenario=s, school=school).values
                v = v[np.isfinite(v)]
                if v.size == 0:
                    continue
                lo, hi = np.quantile(v, INTERVAL)
                rows.append({"scenario": str(s), "school": str(school), "metric": m.name, "label": m.label,
                             "unit": m.unit, "mean": float(v.mean()), "low_5pct": float(lo), "high_95pct": float(hi),
                             "replicates": int(v.size)})
    return pd.DataFrame(rows)


def school_chart(effects: xr.Dataset, out_dir: Path) -> list[Path]:
    """Per scenario: each school's change in attendance, persistent absence and attainment, its reach and cost."""
    names = [str(s) for s in effects["scenario"].values]
    shown = tuple(m.name for m in SCHOOL_METRICS)
    fig, axes = plt.subplots(len(names), len(shown), figsize=(4.2 * len(shown), 0.9 + 0.32 * effects.sizes["school"]
                             * len(names)), squeeze=False)
    metric = {m.name: m for m in SCHOOL_METRICS}
    for row, name in zip(axes, names, strict=True):
        one = effects.sel(scenario=name)
        keep = np.isfinite(one["school_attendance_pp"]).any("replicate").values
        schools = [str(x) for x in one["school"].values[keep]]
        y = np.arange(len(schools))
        for ax, var in zip(row, shown, strict=True):
            v = one[var].isel(school=np.flatnonzero(keep))
            mean = v.mean("replicate").values
            lo, hi = (v.quantile(q, dim="replicate").values for q in INTERVAL)
            ax.barh(y, mean, color="#0072B2", height=0.6)
            err = np.clip([mean - lo, hi - mean], 0.0, None)  # a mean can sit a rounding error outside its interval
            ax.errorbar(mean, y, xerr=err, fmt="none", ecolor="#333333", capsize=2, linewidth=1)
            ax.axvline(0, color="#333333", linewidth=0.8)
            ax.set_yticks(y, schools if ax is row[0] else [""] * len(y), fontsize=8)
            ax.invert_yaxis()
            ax.set_title(f"{metric[var].label}\n({metric[var].unit})", fontsize=9)
            ax.grid(axis="x", alpha=0.3)
        row[0].set_ylabel(name, fontsize=9)
    fig.suptitle("By school, against the baseline (bar: mean; whisker: 90% of replicates)", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_dir, "effect_by_school")
