"""The comparison's charts (PNG and SVG): outcomes over terms, effect by group, waiting lists over time.

Bands are the 5th-95th percentiles across replicates; lines are medians. Colours come from one colour-blind-safe
palette (Okabe-Ito) so a scenario keeps its colour across charts.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.experiments.compare.effects import GROUPS, INTERVAL, METRIC
from actlocally.model.outcomes import SERVICE_LABELS
from actlocally.runtime.storage import atomic_path

PALETTE = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")


def _colours(ds: xr.Dataset) -> dict[str, str]:
    return {str(s): PALETTE[i % len(PALETTE)] for i, s in enumerate(ds["scenario"].values)}


def _areas(ds: xr.Dataset) -> dict[str, list[str]]:
    """Baseline -> [baseline, its scenarios...], in comparison order."""
    out: dict[str, list[str]] = {}
    for s, b in zip(ds["scenario"].values, ds["baseline"].values, strict=True):
        out.setdefault(str(b), []).append(str(s))
    return out


def save_figure(fig, out_dir: Path, stem: str) -> list[Path]:
    """Write a chart as PNG and SVG (no date in the SVG, so reruns are byte-identical), atomically; close it."""
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


TERM_EFFECTS = (("attendance_rate", "Attendance", "percentage points of sessions"),
                ("persistent_absence_rate", "Persistent absence", "percentage points of pupils"),
                ("child_difficulty_prevalence", "Pupils in emotional difficulty", "percentage points of pupils"))


def outcomes_over_terms(ds: xr.Dataset, out_dir: Path) -> list[Path]:
    """Change against the baseline by term (paired within each replicate), one row per area, a line per scenario.

    Plotting the paired change, not the two levels, keeps a small effect visible: the levels' bands across
    replicates are much wider than the effect, which common random numbers make precise.
    """
    areas, colours = _areas(ds), _colours(ds)
    rows = {base: names[1:] for base, names in areas.items() if len(names) > 1}
    if not rows:
        rows = {base: [] for base in areas}
    fig, axes = plt.subplots(len(rows), len(TERM_EFFECTS), figsize=(12, 3.0 * len(rows)), squeeze=False)
    for row, (base, names) in zip(axes, rows.items(), strict=True):
        ref = scenario_slice(ds, base).sel(group="all")
        x = np.arange(ref.sizes["term"])
        for name in names:
            one = scenario_slice(ds, name).sel(group="all")
            for ax, (var, _, _) in zip(row, TERM_EFFECTS, strict=True):
                _band(ax, x, 100 * (one[var] - ref[var]), colours[name], name)
        for ax, (_, title, unit) in zip(row, TERM_EFFECTS, strict=True):
            ax.axhline(0, color="#333333", linewidth=0.8)
            ax.set_title(f"{title}: {ds['area'].sel(scenario=base).item()}", fontsize=9.5)
            ax.set_ylabel(f"change ({unit})", fontsize=8)
            ax.set_xticks(x, [str(t) for t in ref["term_label"].values], rotation=30, ha="right", fontsize=8)
            ax.grid(alpha=0.3)
        if names:
            row[0].legend(fontsize=8, loc="best")
    fig.suptitle("Change against the baseline by term (line: median; band: 90% of replicates, paired on the same "
                 "pupils and luck)", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_dir, "outcomes_by_term")


def effect_by_group(effects: xr.Dataset, out_dir: Path) -> list[Path]:
    """Change in persistent absence and in days attended, by pupil group, per scenario with its 90% interval."""
    names = [str(s) for s in effects["scenario"].values]
    colours = {n: PALETTE[(i + 1) % len(PALETTE)] for i, n in enumerate(names)}
    groups = list(GROUPS)
    fig, axes = plt.subplots(1, 3, figsize=(16, 3.8))
    width = 0.8 / len(names)
    for ax, metric in zip(axes, ("persistent_absence_pp", "days_attended", "child_difficulty_pp"), strict=True):
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
    handles, labels = axes[0].get_legend_handles_labels()
    columns = min(len(names), 3)
    rows = -(-len(names) // columns)
    fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=8, frameon=False)  # below: never on a bar
    fig.suptitle("Effect against the baseline, by group (bar: mean; whisker: 90% of replicates)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05 * rows, 1, 1))
    return save_figure(fig, out_dir, "effect_by_group")


def waiting_lists(ds: xr.Dataset, out_dir: Path, columns: int = 3) -> list[Path]:
    """Mean waiting-list length per term for each kind of service an area has (summed over its services of that
    kind), at most `columns` panels a row; the baseline is drawn dashed on top so it shows where the lines meet."""
    areas, colours = _areas(ds), _colours(ds)
    panels, idle = [], []
    for base, names in areas.items():
        ref = scenario_slice(ds, base)
        have = set(np.ravel(ref["service_kind"].values).tolist()) if "service" in ref.dims else set()
        for kind in (k for k in SERVICE_LABELS if k in have):
            waits = [float(scenario_slice(ds, n)["queue_length_mean"].where(
                scenario_slice(ds, n)["service_kind"] == kind).max(skipna=True).fillna(0)) for n in names]
            if max(waits) > 0:
                panels.append((base, names, kind))
            else:  # nobody ever waits: a panel would be empty
                idle.append(f"{SERVICE_LABELS[kind]} ({ds['area'].sel(scenario=base).item()})")
    n_rows = max(1, -(-len(panels) // columns))
    fig, axes = plt.subplots(n_rows, columns, figsize=(3.6 * columns, 2.7 * n_rows), squeeze=False)
    for ax, (base, names, kind) in zip(axes.flat, panels, strict=False):
        for name in [*names[1:], base]:  # the baseline last, so it is drawn over the scenarios
            one = scenario_slice(ds, name)
            x = np.arange(one.sizes["term"])
            q = one["queue_length_mean"].where(one["service_kind"] == kind).sum("service") / float(
                one["population_scale"])
            lo, mid, hi = (q.quantile(v, dim="replicate").values for v in (INTERVAL[0], 0.5, INTERVAL[1]))
            is_base = name == base
            ax.fill_between(x, lo, hi, color=colours[name], alpha=0.12 if is_base else 0.2, linewidth=0)
            ax.plot(x, mid, color=colours[name], linestyle="--" if is_base else "-", linewidth=1.6 if is_base else 2,
                    marker="o", markersize=3, label=f"{name} (baseline)" if is_base else name, zorder=4 if is_base
                    else 3)
        ax.set_title(f"{SERVICE_LABELS[kind]}\n{ds['area'].sel(scenario=base).item()}", fontsize=9)
        ax.set_xticks(x, [f"T{t + 1}" for t in x], fontsize=8)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("people waiting", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    note = f"\nno one waits in any run for: {', '.join(idle)}" if idle else ""
    fig.suptitle("Waiting lists by term (mean length, scaled to the whole area; line: median, band: 90% of "
                 f"replicates){note}", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out_dir, "waiting_lists")


def all_charts(ds: xr.Dataset, effects: xr.Dataset, out_dir: Path) -> list[Path]:
    """Write every comparison chart; return the files written."""
    return outcomes_over_terms(ds, out_dir) + effect_by_group(effects, out_dir) + waiting_lists(ds, out_dir)
