"""Paired effects of each scenario against its baseline, and their summary (mean and 90% interval over replicates).

Every effect is computed within a replicate (scenario minus its baseline, both run on the same random streams)
and over the scenario's last academic year, so it reads as "in a year with the intervention running". Interval:
the 5th and 95th percentiles of the paired effects across replicates, i.e. how much the effect itself varies
from one simulated year to another (not a confidence interval of the mean).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.model.calendar import DAYS_PER_YEAR
from actlocally.model.eef import months_of_progress
from actlocally.model.outcomes import (
    ALL_METRICS,
    COST_METRICS,
    METRIC,
    METRICS,
    SERVICE_LABELS,
    SERVICE_METRICS,
    Metric,
)

__all__ = ["ALL_METRICS", "COST_METRICS", "COST_PER_MONTH", "COST_PER_PUPIL", "GROUPS", "INTERVAL", "METRIC",
           "METRICS", "Metric", "cost_per_pupil", "outcomes", "paired_effects", "summary_table"]

GROUPS = ("all", "disadvantaged", "other", "girls", "boys")
INTERVAL = (0.05, 0.95)
COST_PER_PUPIL = COST_METRICS["pupils_out_of_persistent_absence"]
COST_PER_MONTH = COST_METRICS["months_of_progress"]


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
    mothers_real = (last_term["mothers"] if "mothers" in one else np.nan) / float(one["population_scale"])
    out = xr.Dataset({
        "days_attended": last_year["attendance_rate_year"] * DAYS_PER_YEAR,
        "persistent_absence_pp": 100 * last_year["persistent_absence_rate_year"],
        "persistent_absence_pupils": last_year["persistent_absence_rate_year"] * pupils_real,
        "severe_absence_pp": 100 * last_year["severe_absence_rate_year"],
        "expected_standard_pp": 100 * last_year["expected_standard_share_year"],
        "mean_attainment_z": z,
        "gap_z": z.sel(group="other") - z.sel(group="disadvantaged"),
        "child_difficulty_pp": 100 * last_term["child_difficulty_prevalence"],
        "difficulty_pupils": last_term["child_difficulty_prevalence"] * pupils_real,
        "mothers_depression_pp": 100 * last_term["parent_depression_prevalence"],
        "depressed_mothers": last_term["parent_depression_prevalence"] * mothers_real,
        "waiting_days": waited / offered.where(offered > 0),
        "cost_gbp": terms["cost_gbp"].sum(["term", "intervention"]) / float(one["population_scale"]),
        **_per_service(terms, float(one["population_scale"])),
    })
    return out.drop_vars([c for c in out.coords if c not in ("replicate", "group")])


def _per_service(terms: xr.Dataset, scale: float) -> dict[str, xr.DataArray]:
    """Last year's mean wait and people starting support for each kind of service (NaN where the area has none)."""
    out = {}
    nan = xr.full_like(terms["pupils"].isel(term=0, group=0, drop=True), np.nan, dtype=float)
    kinds = terms["service_kind"].values if "service" in terms.dims else np.array([])
    for kind in SERVICE_LABELS:
        pick = kinds == kind
        if not pick.any():
            out[f"wait_days_{kind}"], out[f"helped_{kind}"] = nan, nan
            continue
        t = terms.isel(service=pick)
        offered = (t["started"] + t["did_not_attend"]).sum(["term", "service"])
        waited = (t["waiting_days_mean"].fillna(0.0) * (t["started"] + t["did_not_attend"])).sum(["term", "service"])
        out[f"wait_days_{kind}"] = waited / offered.where(offered > 0)
        out[f"helped_{kind}"] = t["started"].sum(["term", "service"]) / scale
    return out


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
        "children_out_of_difficulty": -d["difficulty_pupils"],
        "mothers_depression_pp": d["mothers_depression_pp"],
        "mothers_out_of_depression": -d["depressed_mothers"],
        "waiting_days": d["waiting_days"],
        "cost_gbp": d["cost_gbp"],
        **{f"wait_days_{k}": d[f"wait_days_{k}"] for k in SERVICE_LABELS},
        **{f"helped_{k}": d[f"helped_{k}"] for k in SERVICE_LABELS},
    })
    for m in ALL_METRICS:
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
    """One row per (scenario, group, metric): mean and 90% interval of the paired effects over replicates.

    Per-service rows appear only for services the scenario's area has; a cost row follows for every outcome with a
    unit of gain (pupils out of persistent absence, children out of emotional difficulty, ...), for all pupils.
    """
    rows = []
    for s in effects["scenario"].values:
        one = effects.sel(scenario=s)
        base, n = str(one["baseline"].values), one.sizes["replicate"]
        for g in GROUPS:
            for m in ALL_METRICS:
                if not m.by_group and g != "all":
                    continue
                values = one[m.name].sel(group=g).values
                if m in SERVICE_METRICS and not np.isfinite(values).any():
                    continue
                rows.append(_row(s, base, g, m, *_interval(values), n))
        cost = one["cost_gbp"].sel(group="all").values
        for name, cm in COST_METRICS.items():
            gain = one[name].sel(group="all").values * (1 if METRIC[name].better == "higher" else -1)
            rows.append(_row(s, base, "all", cm, *cost_per_pupil(cost, gain), n))
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
