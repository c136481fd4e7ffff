"""What a comparison leaves behind for a strategist: the NetCDF, the summary CSV, the charts and a terminal table."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import xarray as xr
from actlocally.experiments.compare.against import against_effects
from actlocally.experiments.compare.effects import (
    ALL_METRICS,
    COST_METRICS,
    METRIC,
    paired_effects,
    summary_table,
)
from actlocally.experiments.compare.plots import all_charts
from actlocally.experiments.compare.school_effects import school_chart, school_effects, school_table
from actlocally.runtime.storage import write_csv_atomic, write_netcdf_atomic
from rich.markup import escape
from rich.table import Table

# decimals shown per unit in the terminal table (the CSV keeps full precision)
_DECIMALS = {"days per pupil per year": 2, "percentage points": 2, "pupils per year": 0, "months": 2,
             "school days": 1, "GBP per year": 0, "GBP per pupil": 0, "GBP per month": 0, "pupils": 0,
             "mothers": 0, "people per year": 0, "GBP per child": 0, "GBP per mother": 0}
_COST_NAMES = {m.name for m in COST_METRICS.values()}


def write_comparison_outputs(ds: xr.Dataset, out_dir: Path, against: str | None = None
                             ) -> tuple[pd.DataFrame, list[Path]]:
    """Write comparison.nc, effects.nc, summary.csv and the charts into `out_dir`; return the summary table.

    With `against`, effects are each scenario's paired effect minus that scenario's (see compare/against.py).
    """
    effects = paired_effects(ds)
    effects.attrs = {k: v for k, v in ds.attrs.items() if k != "title"}
    effects.attrs["title"] = f"actlocally paired effects: {ds.attrs.get('comparison')}"
    if against is not None:
        effects = against_effects(effects, against)
    table = summary_table(effects)
    by_school = school_effects(ds)  # always against the baseline
    ds = xr.merge([ds, by_school], join="left", combine_attrs="override")
    written = [write_netcdf_atomic(ds, out_dir / "comparison.nc"), write_netcdf_atomic(effects, out_dir / "effects.nc"),
               write_csv_atomic(table, out_dir / "summary.csv"),
               write_csv_atomic(school_table(by_school), out_dir / "school_effects.csv")]
    written += all_charts(ds, effects, out_dir) + school_chart(by_school, out_dir)
    return table, written


def fmt(value: float, unit: str, signed: bool = True) -> str:
    """A number as the table shows it: sign, thousands separators, decimals by unit; 'n/a' for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "no bound"
    d = _DECIMALS.get(unit, 2)
    if round(value, d) == 0:
        return f"{0.0:,.{d}f}"  # no "-0" or "+0.00"
    text = f"{value:+,.{d}f}" if signed else f"{value:,.{d}f}"
    return ("£" + text) if unit.startswith("GBP") and not signed else text


def cell(row: pd.Series) -> str:
    signed = row["metric"] not in _COST_NAMES
    return (f"{fmt(row['mean'], row['unit'], signed)}\n[dim]({fmt(row['low_5pct'], row['unit'], signed)} to "
            f"{fmt(row['high_95pct'], row['unit'], signed)})[/]")


def rich_table(table: pd.DataFrame, title: str, group: str = "all") -> Table:
    """Metrics down, scenarios across: mean change against baseline and its 90% interval over replicates."""
    sub = table[table["group"] == group]
    scenarios = list(dict.fromkeys(sub["scenario"]))
    reps = int(sub["replicates"].iloc[0]) if len(sub) else 0
    out = Table(title=f"{escape(title)}\nchange against baseline, {group} pupils: mean (90% interval over {reps} "
                      "replicates)",
                show_lines=True)
    out.add_column("outcome (last year of the run)")
    for s in scenarios:
        base = sub.loc[sub["scenario"] == s, "baseline"].iloc[0]
        out.add_column(f"{escape(str(s))}\n[dim]vs {escape(str(base))}[/]", justify="right")
    for m in (*ALL_METRICS, *COST_METRICS.values()):
        if not m.by_group and group != "all":
            continue
        cells = []
        for s in scenarios:
            hit = sub[(sub["scenario"] == s) & (sub["metric"] == m.name)]
            cells.append(cell(hit.iloc[0]) if len(hit) else "")
        if not any(cells):
            continue  # a service none of these areas has
        out.add_row(f"{m.label}\n[dim]{m.unit}[/]", *cells)
    return out


def group_table(table: pd.DataFrame, metric: str = "persistent_absence_pp") -> Table:
    """One metric by pupil group: who gains."""
    m = METRIC[metric]
    sub = table[table["metric"] == metric]
    out = Table(title=f"{m.label}: change by group ({m.unit}), mean (90% interval)")
    out.add_column("scenario")
    groups = list(dict.fromkeys(sub["group"]))
    for g in groups:
        out.add_column(g, justify="right")
    for s in dict.fromkeys(sub["scenario"]):
        rows = sub[sub["scenario"] == s].set_index("group")
        out.add_row(escape(str(s)), *(cell(rows.loc[g]) for g in groups))
    return out
