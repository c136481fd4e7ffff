"""Charts of sensitivity indices (PNG and SVG), one per analysed output.

Sobol': horizontal bars of first-order (S1) and total-order (ST) indices with their confidence intervals, sorted by
ST. Morris: bars of mu* with intervals, beside the mu*-sigma plane (high sigma against mu*: non-linear effects or
interactions; points near the origin: the parameter hardly matters).
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from actlocally.experiments.compare.plots import PALETTE, save_figure
from matplotlib.figure import Figure

MAX_BARS = 25


def index_charts(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Every output's chart; file stems are `<method>_<output>` with unsafe characters replaced."""
    paths = []
    for out in ds["output"].values:
        one = ds.sel(output=out)
        stem = f"{ds.attrs['method']}_" + re.sub(r"[^A-Za-z0-9_\-]+", "_", str(out)).strip("_")
        title = f"{out} ({one['output_units'].values})" if "output_units" in one.coords else str(out)
        fig = sobol_bars(one, title) if ds.attrs["method"] == "sobol" else morris_chart(one, title)
        paths += save_figure(fig, out_dir, stem)
    return paths


def _order(values: np.ndarray) -> np.ndarray:
    """Indices of the largest values first (NaN last), at most MAX_BARS."""
    return np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[:MAX_BARS]


def sobol_bars(one: xr.Dataset, title: str) -> Figure:
    """S1 and ST per parameter with their confidence intervals, largest ST at the top."""
    idx = _order(one["ST"].values)[::-1]
    names = one["parameter"].values[idx]
    y = np.arange(len(idx))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(idx) + 1.6))
    for offset, key, colour, label in ((0.2, "ST", PALETTE[4], "total order (ST)"),
                                       (-0.2, "S1", PALETTE[1], "first order (S1)")):
        ax.barh(y + offset, one[key].values[idx], height=0.38, color=colour, label=label,
                xerr=one[f"{key}_conf"].values[idx], error_kw={"elinewidth": 0.8, "capsize": 2})
    ax.set_yticks(y, names, fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(f"Sobol' index (bars; whiskers: {100 * float(one.attrs.get('conf_level', 0.95)):.0f}% interval)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def morris_chart(one: xr.Dataset, title: str) -> Figure:
    """mu* bars with intervals (left) and the mu*-sigma plane (right)."""
    idx = _order(one["mu_star"].values)
    names = one["parameter"].values[idx]
    mu_star, conf, sigma = (one[k].values[idx] for k in ("mu_star", "mu_star_conf", "sigma"))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.3 * len(idx) + 2.2))
    y = np.arange(len(idx))[::-1]
    left.barh(y, mu_star, color=PALETTE[4], xerr=conf, error_kw={"elinewidth": 0.8, "capsize": 2})
    left.set_yticks(y, names, fontsize=8)
    left.set_xlabel("mu* (mean |elementary effect|, output units)")
    right.scatter(mu_star, sigma, color=PALETTE[5], s=18)
    top = float(np.nanmax(np.r_[mu_star, sigma, 1e-12]))
    for name, x, s in zip(names[:6], mu_star[:6], sigma[:6], strict=False):
        if x > 0.02 * top:  # leave the crowd near the origin unlabelled
            right.annotate(str(name), (x, s), fontsize=7, xytext=(3, 3), textcoords="offset points")
    right.plot([0, top], [0, top], color="grey", lw=0.6, ls="--")
    right.set_xlabel("mu*")
    right.set_ylabel("sigma (SD of elementary effects)")
    fig.suptitle(title, fontsize=10)
    return fig
