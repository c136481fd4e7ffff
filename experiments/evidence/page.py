"""Write the evidence page (self-contained HTML), its table (CSV) and the simulations behind it (NetCDF)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.storage import atomic_path, write_csv_atomic, write_netcdf_atomic
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def _fmt(x: float) -> str:
    """A figure for the page: shares as percentages, other numbers to three significant figures."""
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.3g}"


def headline(table: pd.DataFrame) -> str:
    """One sentence a brief can quote: how many checks pass, of each kind."""
    parts = []
    for kind, words in (("target", "area figures"), ("trial", "trial results")):
        rows = table[table["kind"] == kind]
        if len(rows):
            parts.append(f"{int(rows['pass'].sum())} of {len(rows)} {words}")
    return "The model reproduces " + " and ".join(parts) + " within its 90% range." if parts else ""


def write_evidence(table: pd.DataFrame, raw: xr.Dataset, out_dir: Path, area: str) -> list[Path]:
    """evidence.html, evidence.csv and evidence.nc in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("actlocally.experiments.evidence", "templates"),
                      autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    rows = [{**r, **{k: _fmt(r.get(k, np.nan)) for k in ("published", "published_lo", "published_hi", "model",
                                                         "model_lo", "model_hi", "fit", "fit_lo", "fit_hi")}}
            for r in table.to_dict("records")]
    html = env.get_template("evidence.html.j2").render(
        area=area, rows=rows, headline=headline(table), posterior=raw.attrs.get("posterior", ""),
        trial_stage=raw.attrs.get("trial_stage", ""), made=date.today().isoformat())
    page = out_dir / "evidence.html"
    with atomic_path(page) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return [page, write_csv_atomic(table, out_dir / "evidence.csv"), write_netcdf_atomic(raw, out_dir / "evidence.nc")]
