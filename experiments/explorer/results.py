"""What the Compare tab shows, read from a finished comparison's files (summary.csv, comparison.nc).

Every table here is a view of `summary.csv` (the numbers `actlocally compare` wrote), or is computed from
`comparison.nc` with the paired-effects code (`experiments/compare`), so the page, its CSV downloads and the
command line agree. Each chart is drawn from the same DataFrame its CSV download writes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.experiments.compare.effects import (
    ALL_METRICS,
    COST_METRICS,
    COST_PER_MONTH,
    COST_PER_PUPIL,
    INTERVAL,
    METRIC,
    METRICS,
)
from actlocally.experiments.compare.plots import SERVICE_LABELS
from actlocally.experiments.compare.report import fmt

FILES = ("comparison.nc", "summary.csv")


def finished_comparisons(outputs: Path) -> list[str]:
    """Folders under `outputs` holding a finished comparison, newest first."""
    if not outputs.is_dir():
        return []
    found = [d for d in outputs.iterdir() if d.is_dir() and all((d / f).is_file() for f in FILES)]
    return [d.name for d in sorted(found, key=lambda d: (d / "summary.csv").stat().st_mtime, reverse=True)]


@dataclasses.dataclass
class Finished:
    """A finished comparison, loaded: its folder, summary table and Dataset."""

    folder: Path
    summary: pd.DataFrame
    ds: xr.Dataset

    @property
    def arms(self) -> list[str]:
        return list(dict.fromkeys(self.summary["scenario"]))


def load(folder: Path) -> Finished:
    """Read summary.csv and comparison.nc into memory (the file is closed at once, so a rerun can replace it)."""
    summary = pd.read_csv(folder / "summary.csv")
    with xr.open_dataset(folder / "comparison.nc", engine="h5netcdf") as ds:
        return Finished(folder, summary, ds.load())


def _interval(row: pd.Series, signed: bool = True) -> str:
    return f"{fmt(row['low_5pct'], row['unit'], signed)} to {fmt(row['high_95pct'], row['unit'], signed)}"


def headline(f: Finished, scenario: str, group: str = "all") -> pd.DataFrame:
    """The headline table: each outcome's mean change against the baseline and its 90% interval."""
    sub = f.summary[(f.summary["scenario"] == scenario) & (f.summary["group"] == group)].set_index("metric")
    rows = []
    for m in (*ALL_METRICS, *COST_METRICS.values()):  # every row summary.csv has
        if m.name not in sub.index:
            continue
        r = sub.loc[m.name]
        signed = not m.name.startswith("cost_per")
        rows.append({"outcome": m.label, "unit": m.unit, "mean": r["mean"], "low_5pct": r["low_5pct"],
                     "high_95pct": r["high_95pct"], "change (mean)": fmt(r["mean"], m.unit, signed),
                     "90% interval": _interval(r, signed)})
    return pd.DataFrame(rows)


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """A table's text columns for the page (the CSV keeps the numbers at full precision); effects by group are
    shown wide, one column per group."""
    if table.empty:
        return table
    if "group" in table.columns and "outcome" in table.columns and "scenario" not in table.columns:
        cells = table.assign(cell=table["change (mean)"] + " (" + table["90% interval"] + ")")
        wide = cells.pivot(index=["outcome", "unit"], columns="group", values="cell")
        order = [m.label for m in METRICS if m.label in set(table["outcome"])]
        wide = wide.reindex(order, level=0)[[g for g in dict.fromkeys(table["group"])]]
        wide.columns.name = None
        return wide.reset_index()
    if "mean_wait_days" in table.columns:
        return table.assign(mean_wait_days=table["mean_wait_days"].round(1),
                            people_offered_support=table["people_offered_support"].round(0)).drop(columns="kind")
    return table[[c for c in table.columns if c not in ("mean", "low_5pct", "high_95pct", "metric")]]


def by_group(f: Finished, scenario: str) -> pd.DataFrame:
    """Effect by pupil group for the outcomes that have groups: one row per (outcome, group)."""
    sub = f.summary[f.summary["scenario"] == scenario]
    rows = []
    for m in METRICS:
        if not m.by_group:
            continue
        for _, r in sub[sub["metric"] == m.name].iterrows():
            rows.append({"metric": m.name, "outcome": m.label, "group": r["group"], "unit": m.unit,
                         "mean": r["mean"], "low_5pct": r["low_5pct"], "high_95pct": r["high_95pct"],
                         "change (mean)": fmt(r["mean"], m.unit), "90% interval": _interval(r)})
    return pd.DataFrame(rows)


def cost_per_outcome(f: Finished) -> pd.DataFrame:
    """Cost per pupil moved out of persistent absence and per month of progress, for every scenario."""
    rows = []
    for m in (METRIC["cost_gbp"], COST_PER_PUPIL, COST_PER_MONTH):
        for _, r in f.summary[(f.summary["metric"] == m.name) & (f.summary["group"] == "all")].iterrows():
            signed = m.name == "cost_gbp"
            rows.append({"scenario": r["scenario"], "outcome": m.label, "unit": m.unit, "mean": r["mean"],
                         "low_5pct": r["low_5pct"], "high_95pct": r["high_95pct"],
                         "value (mean)": fmt(r["mean"], m.unit, signed), "90% interval": _interval(r, signed)})
    return pd.DataFrame(rows)


def _last_year(one: xr.Dataset, var: str) -> xr.DataArray:
    """Mean of the last academic year's three terms, per replicate."""
    return one[var].isel(term=slice(-3, None)).mean("term")


def school_effects(f: Finished, scenario: str) -> pd.DataFrame:
    """Per school: change in attendance and in persistent absence (percentage points, mean of the last year's terms)
    against the baseline, paired by replicate; the mean and the 90% interval over replicates."""
    base = str(f.ds["baseline"].sel(scenario=scenario).values)
    arm, ref = scenario_slice(f.ds, scenario), scenario_slice(f.ds, base)
    rows = []
    for var, label in (("attendance_rate_school", "attendance"), ("persistent_absence_rate_school",
                                                                  "persistent_absence")):
        d = 100 * (_last_year(arm, var) - _last_year(ref, var).reindex(school=arm["school"].values))
        for school in d["school"].values:
            v = d.sel(school=school).values
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            rows.append({"school": str(school), "phase": str(arm["school_phase"].sel(school=school).values),
                         "outcome": label, "unit": "percentage points", "mean": float(v.mean()),
                         "low_5pct": float(np.quantile(v, INTERVAL[0])),
                         "high_95pct": float(np.quantile(v, INTERVAL[1]))})
    out = pd.DataFrame(rows)
    if len(out):
        out["change (mean)"] = [fmt(x, "percentage points") for x in out["mean"]]
        out["90% interval"] = [_interval(r) for _, r in out.iterrows()]
    return out


def waits(f: Finished, scenario: str) -> pd.DataFrame:
    """Mean wait (school days, last year) by kind of service, the scenario beside its baseline."""
    base = str(f.ds["baseline"].sel(scenario=scenario).values)
    rows = []
    for name, role in ((base, "baseline"), (scenario, "scenario")):
        one = scenario_slice(f.ds, name).isel(term=slice(-3, None))
        offered = one["started"] + one["did_not_attend"]
        for kind in dict.fromkeys(str(k) for k in one["service_kind"].values):
            sel = one["service_kind"] == kind
            n = offered.where(sel).sum(["term", "service"])
            w = (one["waiting_days_mean"].fillna(0.0) * offered).where(sel).sum(["term", "service"])
            mean_wait = (w / n.where(n > 0)).values
            mean_wait = mean_wait[np.isfinite(mean_wait)]
            rows.append({"service": SERVICE_LABELS.get(kind, kind), "kind": kind, "run": role, "scenario": name,
                         "mean_wait_days": float(mean_wait.mean()) if mean_wait.size else np.nan,
                         "people_offered_support": float(n.mean("replicate")) / float(one["population_scale"])})
    return pd.DataFrame(rows)


def terms(f: Finished, scenario: str, var: str = "persistent_absence_rate") -> pd.DataFrame:
    """A term-by-term outcome (all pupils, %), median and 90% band over replicates, scenario and baseline."""
    base = str(f.ds["baseline"].sel(scenario=scenario).values)
    rows = []
    for name in (base, scenario):
        one = scenario_slice(f.ds, name).sel(group="all")
        x = 100 * one[var]
        lo, mid, hi = (x.quantile(q, dim="replicate").values for q in (INTERVAL[0], 0.5, INTERVAL[1]))
        for t, label in enumerate(one["term_label"].values):
            rows.append({"scenario": name, "term": str(label), "median_pct": float(mid[t]),
                         "low_5pct": float(lo[t]), "high_95pct": float(hi[t])})
    return pd.DataFrame(rows)


def area_of(f: Finished, scenario: str) -> str:
    """The area a scenario ran on, by its profile's name (as portfolios and evidence pages record it)."""
    if "area_profile_json" in f.ds.coords:
        return str(json.loads(str(f.ds["area_profile_json"].sel(scenario=scenario).values)).get("name", ""))
    return str(f.ds["area"].sel(scenario=scenario).values)


def kinds_of(f: Finished, scenario: str) -> set[str]:
    """The intervention types a scenario used (registry names), from its stored scenario JSON."""
    if "scenario_json" not in f.ds.variables and "scenario_json" not in f.ds.coords:
        return set()
    raw = json.loads(str(f.ds["scenario_json"].sel(scenario=scenario).values))
    return {str(e.get("type")) for e in raw.get("interventions", []) if isinstance(e, dict)}
