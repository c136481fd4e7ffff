"""The portfolio's outputs: `portfolio.csv` (one row per allocation evaluated) and the Pareto chart.

`pareto`: no other evaluated allocation is at least as good on cost and every objective (the means over
replicates) and better on one. `robust`: the same test on the worst decile instead of the mean: for each
objective, the value of the worst 10% of replicates (each replicate runs with its own posterior draw), so a
robust allocation stays on the front when parameters and luck go against it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from actlocally.experiments.compare.effects import INTERVAL, METRIC, METRICS
from actlocally.experiments.compare.plots import save_figure
from actlocally.experiments.portfolio.search import PortfolioSearch
from actlocally.runtime.storage import atomic_path
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

WORST_DECILE = 0.9  # quantile of the signed objective (higher = worse)


def _front(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of F (all columns minimised)."""
    mask = np.zeros(len(F), bool)
    if len(F):
        mask[NonDominatedSorting().do(F, only_non_dominated_front=True)] = True
    return mask


def portfolio_table(search: PortfolioSearch) -> pd.DataFrame:
    """One row per evaluated allocation: costs, every headline effect (mean, 90% interval), pareto and robust."""
    rows = []
    for ev in search.evaluated.values():
        row = {"allocation": ev.name, "interventions": search.space.describe(ev.x), "placements": int(ev.x.sum()),
               "generation": ev.generation, "cost_gbp_planned": ev.planned_cost}
        for m in METRICS:
            v = ev.effects[m.name].values
            v = v[np.isfinite(v)]
            lo, hi = np.quantile(v, INTERVAL) if v.size else (np.nan, np.nan)
            row |= {f"{m.name}_mean": float(v.mean()) if v.size else np.nan, f"{m.name}_low_5pct": float(lo),
                    f"{m.name}_high_95pct": float(hi)}
        for m in search.objectives:
            signed = search.sign(m) * ev.effects[m].values
            row[f"{m}_worst_decile"] = search.sign(m) * float(np.nanquantile(signed, WORST_DECILE))
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    mean_F = np.column_stack([table["cost_gbp_planned"]] + [search.sign(m) * table[f"{m}_mean"]
                                                             for m in search.objectives])
    worst_F = np.column_stack([table["cost_gbp_planned"]] + [search.sign(m) * table[f"{m}_worst_decile"]
                                                              for m in search.objectives])
    table["pareto"] = _front(mean_F)
    table["robust"] = _front(worst_F)
    table["budget_gbp"] = search.budget_gbp
    table["area"] = search.space.baseline.area_profile.name  # lets the explorer show an area's portfolios
    return table.sort_values(["cost_gbp_planned", "allocation"]).reset_index(drop=True)


def write_table(table: pd.DataFrame, out_dir: Path) -> Path:
    path = out_dir / "portfolio.csv"
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return path


def pareto_chart(table: pd.DataFrame, search: PortfolioSearch, out_dir: Path) -> list[Path]:
    """Cost against each objective: every allocation evaluated, the Pareto set joined, robust ones ringed."""
    objectives = list(search.objectives)
    fig, axes = plt.subplots(1, len(objectives), figsize=(4.6 * len(objectives), 4.2), squeeze=False)
    cost_k = table["cost_gbp_planned"] / 1000
    for ax, m in zip(axes[0], objectives, strict=True):
        metric = METRIC[m]
        y = table[f"{m}_mean"]
        lo, hi = table[f"{m}_low_5pct"], table[f"{m}_high_95pct"]
        err = np.clip([y - lo, hi - y], 0.0, None)  # a mean can sit a rounding error outside its interval
        ax.errorbar(cost_k, y, yerr=err, fmt="none", ecolor="#bbbbbb", elinewidth=0.8, zorder=1)
        ax.scatter(cost_k[~table["pareto"]], y[~table["pareto"]], s=18, color="#999999", label="evaluated", zorder=2)
        front = table[table["pareto"]]
        ax.scatter(front["cost_gbp_planned"] / 1000, front[f"{m}_mean"], s=26, color="#0072B2",
                   label="Pareto set (all objectives, means)", zorder=3)
        best = np.minimum.accumulate(search.sign(m) * table.sort_values("cost_gbp_planned")[f"{m}_mean"].values)
        ax.step(np.r_[0.0, np.sort(cost_k.values)], np.r_[0.0, search.sign(m) * best], where="post",
                color="#0072B2", linewidth=0.8, alpha=0.6, label="best for this outcome at a cost", zorder=2)
        ax.scatter([0], [0], marker="s", s=30, color="#000000", label="baseline (no change)", zorder=3)
        robust = table[table["robust"]]
        ax.scatter(robust["cost_gbp_planned"] / 1000, robust[f"{m}_mean"], s=110, facecolors="none",
                   edgecolors="#D55E00", linewidths=1.5, label="stays good in the worst decile", zorder=4)
        ax.axvline(search.budget_gbp / 1000, color="#000000", linestyle=":", linewidth=1, label="budget")
        ax.axhline(0, color="#000000", linewidth=0.5)
        ax.set_xlabel("planned cost (GBP thousand per year)")
        ax.set_ylabel(f"change in {metric.label.lower()}\n({metric.unit}; {metric.better} is better)")
        ax.set_title(metric.label, fontsize=10)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.suptitle(f"Portfolios within GBP {search.budget_gbp:,.0f} a year ({search.space.baseline.area}): "
                 f"{len(table)} allocations, {search.replicates} replicates each; bars: 90% of replicates",
                 fontsize=10)
    fig.tight_layout()
    return save_figure(fig, out_dir, "pareto")
