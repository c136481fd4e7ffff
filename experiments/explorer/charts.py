"""The Compare tab's charts, each drawn from exactly the DataFrame its "data as CSV" button downloads.

Bars are means over replicates and whiskers or bands the 90% interval (5th-95th percentiles), as in the
comparison's own charts; colours from the same Okabe-Ito palette.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from actlocally.experiments.compare.plots import PALETTE  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def _empty(message: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


def _bars(ax, labels: list[str], df: pd.DataFrame, colour: str) -> None:
    y = np.arange(len(labels))
    mean = df["mean"].to_numpy()
    err = [mean - df["low_5pct"].to_numpy(), df["high_95pct"].to_numpy() - mean]
    ax.barh(y, mean, color=colour)
    ax.errorbar(mean, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", capsize=2, linewidth=1)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.grid(axis="x", alpha=0.3)


def effect_by_group(df: pd.DataFrame) -> Figure:
    """Change in persistent absence and days attended by group (bar: mean; whisker: 90% interval)."""
    if df.empty:
        return _empty("no effects by group")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    for ax, metric, colour in zip(axes, ("persistent_absence_pp", "days_attended"), (PALETTE[5], PALETTE[4]),
                                  strict=True):
        sub = df[df["metric"] == metric]
        _bars(ax, list(sub["group"]), sub, colour)
        ax.invert_yaxis()
        ax.set_title(f"{sub['outcome'].iloc[0]} ({sub['unit'].iloc[0]})", fontsize=9)
    fig.tight_layout()
    return fig


def schools(df: pd.DataFrame, outcome: str = "attendance") -> Figure:
    """Per-school change (percentage points), mean and 90% interval, schools sorted by the mean."""
    sub = df[df["outcome"] == outcome].sort_values("mean") if len(df) else df
    if sub.empty:
        return _empty("no per-school results")
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.28 * len(sub)))
    _bars(ax, list(sub["school"]), sub, PALETTE[3])
    ax.set_title(f"Change in {outcome.replace('_', ' ')} by school (percentage points, last year)", fontsize=9)
    fig.tight_layout()
    return fig


def waits(df: pd.DataFrame) -> Figure:
    """Mean wait for support by service, baseline beside scenario."""
    if df.empty:
        return _empty("no services")
    services = list(dict.fromkeys(df["service"]))
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.45 * len(services)))
    y = np.arange(len(services))
    for i, (role, colour) in enumerate((("baseline", PALETTE[0]), ("scenario", PALETTE[1]))):
        sub = df[df["run"] == role].set_index("service").reindex(services)
        ax.barh(y + (i - 0.5) * 0.4, sub["mean_wait_days"].to_numpy(), 0.4, color=colour, label=role)
    ax.set_yticks(y, services, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean wait from referral to first offer (school days, last year)", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def terms(df: pd.DataFrame) -> Figure:
    """Persistent absence by term: median and 90% band, scenario and baseline."""
    if df.empty:
        return _empty("no terms")
    fig, ax = plt.subplots(figsize=(8, 3))
    for i, (name, sub) in enumerate(df.groupby("scenario", sort=False)):
        x = np.arange(len(sub))
        ax.fill_between(x, sub["low_5pct"], sub["high_95pct"], color=PALETTE[i], alpha=0.2, linewidth=0)
        ax.plot(x, sub["median_pct"], color=PALETTE[i], marker="o", markersize=3, label=name)
        ax.set_xticks(x, list(sub["term"]), rotation=30, ha="right", fontsize=8)
    ax.set_title("Persistent absence by term (% of pupils; line: median; band: 90% of replicates)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
