"""Paired effects of each scenario against its baseline, and their summary (mean and 90% interval over replicates).

Every effect is computed within a replicate (scenario minus its baseline, both run on the same random streams)
and over the scenario's last academic year, so it reads as "in a year with the intervention running". Interval:
the 5th and 95th percentiles of the paired effects across replicates, i.e. how much the effect itself varies
from one simulated year to another (not a confidence interval of the mean).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.model.calendar import DAYS_PER_YEAR
from actlocally.model.eef import months_of_progress

GROUPS = ("all", "disadvantaged", "other", "girls", "boys")
INTERVAL = (0.05, 0.95)


@dataclasses.dataclass(frozen=True)
class Metric:
    """One row of the strategist's table."""

    name: str
    label: str
    unit: str
    by_group: bool = True
    better: str = "higher"  # which direction is good, for colouring and plain-language text


METRICS = (
    Metric("days_attended", "Days attended per pupil", "days per pupil per year"),
    Metric("persistent_absence_pp", "Persistent absence", "percentage points", better="lower"),
    Metric("pupils_out_of_persistent_absence", "Pupils moved out of persistent absence", "pupils per year"),
    Metric("severe_absence_pp", "Severe absence", "percentage points", better="lower"),
    Metric("expected_standard_pp", "Share at the expected standard (Years 2, 6, 11)", "percentage points"),
    Metric("months_of_progress", "Progress (EEF months)", "months"),
    Metric("disadvantage_gap_months", "Disadvantage attainment gap", "months", by_group=False, better="lower"),
    Metric("child_difficulty_pp", "Pupils in emotional difficulty", "percentage points", better="lower"),
    Metric("mothers_depression_pp", "Mothers with depression", "percentage points", better="lower"),
    Metric("waiting_days", "Mean wait for support (all services)", "school days", by_group=False, better="lower"),
    Metric("cost_gbp", "Cost", "GBP per year", by_group=False, better="lower"),
)
METRIC = {m.name: m for m in METRICS}
COST_PER_PUPIL = Metric("cost_per_pupil_out_of_pa", "Cost per pupil moved out of persistent absence",
                        "GBP per pupil", by_group=False, better="lower")
COST_PER_MONTH = Metric("cost_per_month_of_progress", "Cost per month of progress (all pupils in the area)",
                        "GBP per month", by_group=False, better="lower")


def outcomes(one: xr.Dataset) -> xr.Dataset:
    """Last-year outcomes of one scenario, per replicate (and group), from which effects are differences."""
    last_year = one.isel(year=-1)
    last_term = one.isel(term=-1)
    terms = one.isel(term=slice(-3, None))
    pupils_real = last_term["pupils"] / float(one["population_scale"])
    z = last_term["mean_attainment_z"]
    offered = (terms["started"] + terms["did_not_attend"]).sum(["term", "service"])
    waited = (terms["waiting_days_mean"].fillna(0.0) * (terms["started"] + terms["did_not_attend"])).sum(
        ["term", "service"])
    out = xr.Dataset({
        "days_attended": last_year["attendance_rate_year"] * DAYS_PER_YEAR,
        "persistent_absence_pp": 100 * last_year["persistent_absence_rate_year"],
        "persistent_absence_pupils": last_year["persistent_absence_rate_year"] * pupils_real,
        "severe_absence_pp": 100 * last_year["severe_absence_rate_year"],
        "expected_standard_pp": 100 * last_year["expected_standard_share_year"],
        "mean_attainment_z": z,
        "gap_z": z.sel(group="other") - z.sel(group="disadvantaged"),
        "child_difficulty_pp": 100 * last_term["child_difficulty_prevalence"],
        "mothers_depression_pp": 100 * last_term["parent_depression_prevalence"],
        "waiting_days": waited / offered.where(offered > 0),
        "cost_gbp": terms["cost_gbp"].sum(["term", "intervention"]) / float(one["population_scale"]),
    })
    return out.drop_vars([c for c in out.coords if c not in ("replicate", "group")])


def paired_effects(ds: xr.Dataset) -> xr.Dataset:
    """Effect of each non-baseline scenario, per replicate and group: scenario minus its baseline."""
    arms = [str(s) for s, b in zip(ds["scenario"].values, ds["baseline"].values, strict=True) if s != b]
    parts = []
    for name in arms:
        base = str(ds["baseline"].sel(scenario=name).values)
        e = metric_values(outcomes(scenario_slice(ds, name)) - outcomes(scenario_slice(ds, base)))
        parts.append(e.expand_dims(scenario=[name]).assign_coords(baseline=("scenario", [base])))
    return xr.concat(parts, dim="scenario")


def metric_values(d: xr.Dataset, change: bool = True) -> xr.Dataset:
    """The METRICS from a difference of `outcomes` (an effect), or from one run's `outcomes` (`change=False`).

    Metrics without a group dimension are given one, filled for "all" only, so every metric has the same shape.
    """
    e = xr.Dataset({
        "days_attended": d["days_attended"],
        "persistent_absence_pp": d["persistent_absence_pp"],
        "pupils_out_of_persistent_absence": -d["persistent_absence_pupils"],
        "severe_absence_pp": d["severe_absence_pp"],
        "expected_standard_pp": d["expected_standard_pp"],
        "months_of_progress": xr.apply_ufunc(months_of_progress, d["mean_attainment_z"]),
        "disadvantage_gap_months": xr.apply_ufunc(months_of_progress, d["gap_z"]),
        "child_difficulty_pp": d["child_difficulty_pp"],
        "mothers_depression_pp": d["mothers_depression_pp"],
        "waiting_days": d["waiting_days"],
        "cost_gbp": d["cost_gbp"],
    })
    for m in METRICS:
        what = f"change in {m.label.lower()} against the baseline" if change else m.label.lower()
        e[m.name].attrs = {"units": m.unit, "long_name": what}
        if not m.by_group:
            e[m.name] = e[m.name].expand_dims(group=["all"]).reindex(group=list(GROUPS))
    return e


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    lo, hi = np.quantile(x, INTERVAL)
    return float(x.mean()), float(lo), float(hi)


def summary_table(effects: xr.Dataset) -> pd.DataFrame:
    """One row per (scenario, group, metric): mean and 90% interval of the paired effects over replicates."""
    rows = []
    for s in effects["scenario"].values:
        one = effects.sel(scenario=s)
        base = str(one["baseline"].values)
        for g in GROUPS:
            for m in METRICS:
                if not m.by_group and g != "all":
                    continue
                mean, lo, hi = _interval(one[m.name].sel(group=g).values)
                rows.append(_row(s, base, g, m, mean, lo, hi, one.sizes["replicate"]))
        cost = one["cost_gbp"].sel(group="all").values
        moved = one["pupils_out_of_persistent_absence"].sel(group="all").values
        rows.append(_row(s, base, "all", COST_PER_PUPIL, *cost_per_pupil(cost, moved), one.sizes["replicate"]))
        months = one["months_of_progress"].sel(group="all").values
        rows.append(_row(s, base, "all", COST_PER_MONTH, *cost_per_month(cost, months), one.sizes["replicate"]))
    return pd.DataFrame(rows)


def cost_per_pupil(cost: np.ndarray, moved: np.ndarray) -> tuple[float, float, float]:
    """Mean cost over mean pupils moved; interval from the moved interval (no bound where it reaches zero or below).

    A per-replicate ratio is unstable when few pupils move, so the interval divides the mean cost by the ends of the
    pupils-moved interval. NaN when, on average, nobody moves out of persistent absence.
    """
    c, (m, lo, hi) = float(np.mean(cost)), _interval(moved)
    if not np.isfinite(m) or m <= 0:
        return np.nan, np.nan, np.nan
    return c / m, c / hi if hi > 0 else np.nan, c / lo if lo > 0 else np.inf


def cost_per_month(cost: np.ndarray, months: np.ndarray) -> tuple[float, float, float]:
    """Mean cost over mean months of progress (EEF scale, averaged over all pupils), in the style of cost_per_pupil.

    Reads as "what one month of additional progress for every pupil in the area costs at this rate". The interval
    divides the mean cost by the ends of the months interval (no bound where it reaches zero or below); NaN when the
    mean progress is zero or negative.
    """
    return cost_per_pupil(cost, months)


def _row(scenario, baseline, group, m: Metric, mean, lo, hi, n) -> dict:
    return {"scenario": str(scenario), "baseline": baseline, "group": group, "metric": m.name, "label": m.label,
            "unit": m.unit, "mean": mean, "low_5pct": lo, "high_95pct": hi, "replicates": int(n)}
