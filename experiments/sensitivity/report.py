"""A sensitivity sweep's outputs: the indices NetCDF, a ranked table (terminal and CSV) and the charts.

Ranking: Sobol' by total-order index ST (everything a parameter does, alone and with others), Morris by mu* (mean
absolute elementary effect); parameters whose interval reaches zero are still listed, in order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.sensitivity.plots import index_charts
from actlocally.runtime.storage import write_csv_atomic, write_netcdf_atomic
from rich.markup import escape
from rich.table import Table

RANK_BY = {"sobol": "ST", "morris": "mu_star"}
COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf", "mu", "sigma")}


def ranked_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per (output, parameter), ranked within each output (1 = moves the output most)."""
    method = ds.attrs["method"]
    rows = []
    for out in ds["output"].values:
        one = ds.sel(output=out)
        key = np.nan_to_num(one[RANK_BY[method]].values, nan=-np.inf)
        for rank, i in enumerate(np.argsort(-key, kind="stable"), start=1):
            p = one.isel(parameter=i)
            row = {"output": str(out), "outcome": _coord(one, "outcome", out), "group": _coord(one, "group", ""),
                   "rank": rank, "parameter": str(p["parameter"].values), "lower": float(p["lower"]),
                   "upper": float(p["upper"])}
            if "parameter_units" in p.coords:
                row["parameter_unit"] = str(p["parameter_units"].values)
            row.update({c: float(p[c]) for c in COLUMNS[method]})
            rows.append(row)
    return pd.DataFrame(rows)


def _coord(one: xr.Dataset, name: str, default: str) -> str:
    return str(one[name].values) if name in one.coords else str(default)


def rich_table(table: pd.DataFrame, output: str, method: str, title: str, top: int | None = None) -> Table:
    """The ranked parameters of one output for the terminal."""
    rows = table[table["output"] == output]
    if top:
        rows = rows.head(top)
    t = Table(title=escape(f"{title}: {output}"))
    t.add_column("#", justify="right", no_wrap=True)
    t.add_column("parameter", no_wrap=True)
    t.add_column("range", overflow="fold")
    if method == "sobol":
        for col in ("first order S1", "total order ST"):
            t.add_column(col, justify="right", no_wrap=True)
    else:
        for col in ("mu*", "mu", "sigma"):
            t.add_column(col, justify="right", no_wrap=True)
    for _, r in rows.iterrows():
        cells = [str(r["rank"]), r["parameter"], f"{r['lower']:.3g}..{r['upper']:.3g}"]
        if method == "sobol":
            cells += [_pm(r["S1"], r["S1_conf"]), _pm(r["ST"], r["ST_conf"])]
        else:
            cells += [_pm(r["mu_star"], r["mu_star_conf"]), _num(r["mu"], "+"), _num(r["sigma"])]
        t.add_row(*cells)
    return t


def _pm(value: float, half: float) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:.3f}±{half:.3f}" if abs(value) < 100 else f"{value:.4g}±{half:.2g}"


def _num(value: float, sign: str = "") -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:{sign}.3f}" if abs(value) < 100 else f"{value:{sign}.4g}"


def write_sensitivity_outputs(ds: xr.Dataset, out_dir: Path) -> tuple[pd.DataFrame, list[Path]]:
    """sensitivity.nc, sensitivity.csv and the charts (PNG and SVG), each written atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = ranked_table(ds)
    written = [write_netcdf_atomic(ds, out_dir / "sensitivity.nc"),
               write_csv_atomic(table, out_dir / "sensitivity.csv")]
    written += index_charts(ds, out_dir)
    return table, written
