"""The comparison's charts (PNG and SVG): outcomes over terms, effect by group, waiting lists over time.

Bands are the 5th-95th percentiles across replicates; lines are medians. Colours come from one colour-blind-safe
palette (Okabe-Ito) so a scenario keeps its colour across charts.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from actlocally.experiments.compare.comparison import scenario_slice  # noqa: E402
from actlocally.experiments.compare.effects import GROUPS, INTERVAL, METRIC  # noqa: E402
from actlocally.model.outcomes import SERVICE_LABELS  # noqa: E402
from actlocally.runtime.storage import atomic_path  # noqa: E402

PALETTE = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")


def _colours(ds: xr.Dataset) -> dict[str, str]:
    return {str(s): PALETTE[i % len(PALETTE)] for i, s in enumerate(ds["scenario"].values)}


def _areas(ds: xr.Dataset) -> dict[str, list[str]]:
    """Baseline -> [baseline, its scenarios...], in comparison order."""
    out: dict[str, list[str]] = {}
    for s, b in zip(ds["scenario"].values, ds["baseline"].values, strict=True):
        out.setdefault(str(b), []).append(str(s))
    return out


def _save(fig, out_dir: Path, stem: str) -> list[Path]:
    paths = []
    for ext in ("png", "svg"):
        path = out_dir / f"{stem}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight",
                        metadata={"Date": None} if ext == "svg" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def _band(ax, x, values: xr.DataArray, colour: str, label: str) -> None:
    lo, mid, hi = (values.quantile(q, dim="replicate").values for q in (INTERVAL[0], 0.5, INTERVAL[1]))
    ax.fill_between(x, lo, hi, color=colour, alpha=0.2, linewidth=0)
    ax.plot(x, mid, color=colour, marker="o", markersize=3, label=label)


def outcomes_over_terms(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Attendance and persistent absence by term, one row per area, a line and band per scenario."""
    areas, colours = _areas(ds), _colours(ds)
    fig, axes = plt.subplots(len(areas), 2, figsize=(10, 3.2 * len(areas)), squeeze=False)
    for row, names in zip(axes, areas.values(), strict=True):
        for name in names:
            one = scenario_slice(ds, name).sel(group="all")
            x = np.arange(one.sizes["term"])
            _band(row[0], x, 100 * one["attendance_rate"], colours[name], name)
            _band(row[1], x, 100 * one["persistent_absence_rate"], colours[name], name)
            labels = [str(t) for t in one["term_label"].values]
        for ax, title in zip(row, ("Attendance (% of sessions)", "Persistent absence (% of pupils)"), strict=True):
            ax.set_title(f"{title}: {ds['area'].sel(scenario=names[0]).item()}", fontsize=10)
            ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
            ax.grid(alpha=0.3)
        row[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Outcomes by term (line: median; band: 90% of replicates)", fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, "outcomes_by_term")


def effect_by_group(effects: xr.Dataset, out_dir: Path) -> list[Path]:
    """Change in persistent absence and in days attended, by pupil group, per scenario with its 90% interval."""
    names = [str(s) for s in effects["scenario"].values]
    colours = {n: PALETTE[(i + 1) % len(PALETTE)] for i, n in enumerate(names)}
    groups = list(GROUPS)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / len(names)
    for ax, metric in zip(axes, ("persistent_absence_pp", "days_attended"), strict=True):
        for i, name in enumerate(names):
            v = effects[metric].sel(scenario=name, group=groups)
            mean = v.mean("replicate").values
            lo = v.quantile(INTERVAL[0], dim="replicate").values
            hi = v.quantile(INTERVAL[1], dim="replicate").values
            x = np.arange(len(groups)) + (i - (len(names) - 1) / 2) * width
            ax.bar(x, mean, width, color=colours[name], label=name)
            ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="none", ecolor="#333333", capsize=2, linewidth=1)
        m = METRIC[metric]
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xticks(np.arange(len(groups)), groups)
        ax.set_title(f"Change in {m.label.lower()} ({m.unit})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Effect against the baseline, by group (bar: mean; whisker: 90% of replicates)", fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, "effect_by_group")


def waiting_lists(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Mean waiting-list length per term by kind of service (summed over services of a kind), per area."""
    areas, colours = _areas(ds), _colours(ds)
    kinds = [k for k in SERVICE_LABELS if k in set(np.ravel(ds["service_kind"].values).tolist())]
    fig, axes = plt.subplots(len(areas), len(kinds), figsize=(3.2 * len(kinds), 2.8 * len(areas)), squeeze=False)
    for row, names in zip(axes, areas.values(), strict=True):
        for name in names:
            one = scenario_slice(ds, name)
            x = np.arange(one.sizes["term"])
            for ax, kind in zip(row, kinds, strict=True):
                q = one["queue_length_mean"].where(one["service_kind"] == kind).sum("service")
                _band(ax, x, q / float(one["population_scale"]), colours[name], name)
        for ax, kind in zip(row, kinds, strict=True):
            ax.set_title(f"{SERVICE_LABELS[kind]}\n{ds['area'].sel(scenario=names[0]).item()}", fontsize=9)
            ax.set_xticks(x, [f"T{t + 1}" for t in x], fontsize=8)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("people waiting")
        row[0].legend(fontsize=7)
    fig.suptitle("Waiting lists by term (mean length, scaled to the whole area)", fontsize=11)
    fig.tight_layout()
    return _save(fig, out_dir, "waiting_lists")


def all_charts(ds: xr.Dataset, effects: xr.Dataset, out_dir: Path) -> list[Path]:
    """Write every comparison chart; return the files written."""
    return outcomes_over_terms(ds, out_dir) + effect_by_group(effects, out_dir) + waiting_lists(ds, out_dir)
