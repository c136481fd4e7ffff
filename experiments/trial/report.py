"""`trial.nc`, `trial.csv` and a chart of model against published, and the terminal table."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure
import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.storage import atomic_path, write_csv_atomic, write_netcdf_atomic
from rich.markup import escape
from rich.table import Table

SCALE_WORDS = {"months": "EEF months", "sd": "SD", "pp": "percentage points", "relative": "relative change",
               "odds_ratio": "odds ratio"}


def write_trial_outputs(ds: xr.Dataset, table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write the replicate estimates (NetCDF), the summary (CSV) and the chart (PNG) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_netcdf_atomic(ds, out_dir / "trial.nc"), write_csv_atomic(table, out_dir / "trial.csv")]
    written.append(trial_chart(ds, table, out_dir / "trial.png"))
    return written


def trial_chart(ds: xr.Dataset, table: pd.DataFrame, path: Path) -> Path:
    """One panel per outcome: the published estimate (and interval) beside the model's replicate spread."""
    n = len(table)
    fig = matplotlib.figure.Figure(figsize=(7.0, 1.9 + 1.4 * n), layout="constrained")
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    for ax, (_, row) in zip(axes, table.iterrows(), strict=True):
        est = ds["estimate"].sel(outcome=row["outcome"]).values
        est = est[np.isfinite(est)]
        ax.scatter(est, np.full(est.size, 0.0) + np.linspace(-0.12, 0.12, est.size), s=8, color="#9bb7d4",
                   label="model: one trial each replicate")
        ax.errorbar([row["model"]], [0.0], xerr=[[row["model"] - row["model_lo"]], [row["model_hi"] - row["model"]]],
                    fmt="o", color="#1f4e79", capsize=4, label="model: median, 5%-95%")
        if np.isfinite(row["paired"]):
            ax.scatter([row["paired"]], [0.3], marker="|", s=160, color="#2e7d32",
                       label="model: effect in the same pupils (paired)")
        lo = row["published_lo"] if np.isfinite(row["published_lo"]) else row["published"]
        hi = row["published_hi"] if np.isfinite(row["published_hi"]) else row["published"]
        ax.errorbar([row["published"]], [0.6], xerr=[[row["published"] - lo], [hi - row["published"]]], fmt="D",
                    color="#c55a11", capsize=4, label="published")
        null = 1.0 if ds["outcome_scale"].sel(outcome=row["outcome"]).item() == "odds_ratio" else 0.0
        ax.axvline(null, color="#888888", lw=0.8, ls=":")
        ax.set_yticks([0.0, 0.3, 0.6], ["model trials", "true effect", "published"])
        ax.set_ylim(-0.4, 1.0)
        scale = SCALE_WORDS[str(ds["outcome_scale"].sel(outcome=row["outcome"]).item())]
        verdict = "inside" if row["inside"] else "outside"
        ax.set_title(f"{row['label']}\npublished {verdict} the model's range", fontsize=9, loc="left")
        ax.set_xlabel(scale, fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(ds.attrs["title"], fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path


def trial_table(table: pd.DataFrame, title: str) -> Table:
    """The terminal table: one row per trial outcome (user text escaped, never read as markup)."""
    t = Table(title=escape(title))
    for col in ("trial", "outcome", "published", "model (5%-95%)", "inside", "paired effect"):
        t.add_column(col, justify="right" if col not in ("trial", "outcome") else "left")
    for _, r in table.iterrows():
        pub = f"{r['published']:+.3g}"
        if np.isfinite(r["published_lo"]):
            pub += f" ({r['published_lo']:+.3g} to {r['published_hi']:+.3g})"
        model = f"{r['model']:+.3g} ({r['model_lo']:+.3g} to {r['model_hi']:+.3g})"
        paired = "-" if not np.isfinite(r["paired"]) else f"{r['paired']:+.3g}"
        t.add_row(escape(r["trial"]), escape(r["outcome"]), pub, model, "yes" if r["inside"] else "no", paired)
    return t
