"""The brief's three charts as self-contained SVG data URIs, each with alt text that states what it shows.

Effect with interval (every replicate's paired effect, the mean and the 90% interval), effect by pupil group, and
cost per outcome beside the comparison's other scenarios. Text is drawn as paths, so no font is needed to view them.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import textwrap

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from actlocally.experiments.brief.data import GROUP_WORDS, Brief, Number

HIGHLIGHT, OTHER, INK = "#0072B2", "#A0A0A0", "#1A1A1A"
EFFECT_PANELS = ("days_attended", "pupils_out_of_persistent_absence", "expected_standard_pp", "months_of_progress",
                 "disadvantage_gap_months", "waiting_days")


@dataclasses.dataclass(frozen=True)
class Chart:
    """An image to embed: data URI, alt text and a caption."""

    uri: str
    alt: str
    caption: str


def _uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _money(value: float, _pos=None) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.3g}m"
    return f"{value / 1e3:,.3g}k" if abs(value) >= 1e3 else f"{value:,.0f}"


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(colors=INK, labelsize=8)
    ax.grid(axis="x", alpha=0.3)


def _panels(brief: Brief) -> list[Number]:
    """The headline outcomes (with their group), then the standard ones, six in all."""
    nums = [x.number for x in brief.lead] + [brief.headlines[m] for m in EFFECT_PANELS]
    seen: dict[tuple[str, str], Number] = {}
    for n in nums:
        seen.setdefault((n.metric, n.group), n)
    return list(seen.values())[:6]


def effect_interval(brief: Brief) -> Chart:
    """One row per outcome: each replicate's effect (dots), the mean (diamond) and the 90% interval (bar)."""
    panels = _panels(brief)
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.0, 0.42 * len(panels) + 0.4))
    parts = []
    for ax, n in zip(axes, panels, strict=True):
        values = brief.effects[n.metric].sel(group=n.group).values
        jitter = np.linspace(-0.15, 0.15, values.size)
        ax.scatter(values, jitter, s=8, color=OTHER, zorder=2)
        ax.hlines(0, n.low, n.high, color=HIGHLIGHT, linewidth=4, alpha=0.6, zorder=3)
        ax.scatter([n.mean], [0], marker="D", s=36, color=HIGHLIGHT, edgecolor=INK, zorder=4)
        ax.axvline(0, color=INK, linewidth=0.8)
        who = "" if n.group == "all" else f", {GROUP_WORDS[n.group]}"
        ax.set_yticks([0], ["\n".join(textwrap.wrap(f"{n.label}{who} ({n.unit})", 60))], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(-0.5, 0.5)
        _style(ax)
        parts.append(f"{n.label.lower()}{who} {n.mean_text} ({n.low_text} to {n.high_text} {n.unit})")
    fig.suptitle("Change against the baseline (diamond: mean; bar: 90% of simulated years; dots: each year)",
                 fontsize=9, color=INK)
    fig.tight_layout(h_pad=0.4)
    alt = ("Chart of the change against the baseline, with the range of simulated years: " + "; ".join(parts) + ".")
    return Chart(_uri(fig), alt, "Each dot is one simulated year (replicate): the scenario minus its baseline on the "
                 "same synthetic pupils. The bar covers 90% of them.")


def effect_by_group(brief: Brief) -> Chart:
    """The first two outcomes of the group table, by pupil group, as horizontal bars (labels cannot collide)."""
    moved = [m for m, row in brief.by_group.items() if not all(n.no_change for n in row.values())]
    metrics = (moved + [m for m in brief.by_group if m not in moved])[:2]
    groups = list(GROUP_WORDS)
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 1.9))
    parts = []
    for i, (ax, metric) in enumerate(zip(axes, metrics, strict=True)):
        nums = [brief.by_group[metric][g] for g in groups]
        mean = np.array([n.mean for n in nums])
        err = np.array([[n.mean - n.low for n in nums], [n.high - n.mean for n in nums]])
        y = np.arange(len(groups))[::-1]
        ax.barh(y, mean, 0.6, color=[HIGHLIGHT if g == "all" else "#56B4E9" for g in groups], edgecolor=INK,
                linewidth=0.5)
        ax.errorbar(mean, y, xerr=np.clip(err, 0, None), fmt="none", ecolor=INK, capsize=3, linewidth=1)
        ax.axvline(0, color=INK, linewidth=0.8)
        ax.set_yticks(y, [GROUP_WORDS[g] for g in groups] if i == 0 else [""] * len(groups), fontsize=7.5)
        ax.set_title(f"{nums[0].label}\n({nums[0].unit})", fontsize=8.5, color=INK)
        _style(ax)
        parts.append(f"{nums[0].label.lower()}: " + ", ".join(f"{GROUP_WORDS[g]} {n.mean_text}"
                                                               for g, n in zip(groups, nums, strict=True)))
    fig.tight_layout()
    alt = "Bar chart of the change against the baseline by pupil group (mean, with 90% interval): " + \
        "; ".join(parts) + "."
    return Chart(_uri(fig), alt, "Bars: mean change for each group; whiskers: 90% of simulated years.")


def cost_per_outcome(brief: Brief) -> Chart:
    """Cost per unit of each of the brief's cost measures, this scenario beside the comparison's others."""
    rows = brief.costs
    k = len(brief.cost_measures)
    fig, axes = plt.subplots(1, k, figsize=(7.0, 0.4 * len(rows) + 1.0), squeeze=False)
    axes = axes[0]
    parts = []
    for j, (ax, m) in enumerate(zip(axes, brief.cost_measures, strict=True)):
        title = "\n".join(textwrap.wrap(f"Per {m.per} (£)", 30))
        nums = [r.per[j] for r in rows]
        y = np.arange(len(rows))[::-1]
        finite_hi = [n.high for n in nums if np.isfinite(n.high)] + [n.mean for n in nums if np.isfinite(n.mean)]
        edge = 1.1 * max(finite_hi) if finite_hi else 1.0
        for yi, r, n in zip(y, rows, nums, strict=True):
            colour = HIGHLIGHT if r.this else OTHER
            if not np.isfinite(n.mean):
                ax.text(0, yi, " no gain on average", va="center", fontsize=7, color=INK)
                continue
            ax.barh(yi, n.mean, 0.6, color=colour, edgecolor=INK, linewidth=0.5)
            hi = n.high if np.isfinite(n.high) else edge
            lo = n.low if np.isfinite(n.low) else 0.0
            ax.hlines(yi, lo, hi, color=INK, linewidth=1)
            if not np.isfinite(n.high):
                ax.annotate("", xy=(edge, yi), xytext=(edge * 0.93, yi), arrowprops={"arrowstyle": "->", "lw": 1})
        labels = ["\n".join(textwrap.wrap(r.title, 28)) for r in rows] if j == 0 else [""] * len(rows)
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_xlim(0, edge * 1.02)
        ax.set_title(title, fontsize=8, color=INK)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(_money))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        if not finite_hi:
            ax.set_xticks([])
        _style(ax)
        parts.append(f"{title.replace(chr(10), ' ')}: " + ", ".join(
            f"{r.title} {n.mean_text} ({n.low_text} to {n.high_text})" for r, n in zip(rows, nums, strict=True)))
    fig.tight_layout()
    alt = "Horizontal bar chart of cost per outcome for each scenario of the comparison (this one highlighted): " + \
        "; ".join(parts) + "."
    return Chart(_uri(fig), alt, f"{brief.title} in blue; lines: the range over 90% of simulated years, an "
                 "arrow where it has no upper bound (some years show no gain).")


def all_charts(brief: Brief) -> dict[str, Chart]:
    """The three charts a brief shows."""
    return {"effect": effect_interval(brief), "groups": effect_by_group(brief), "costs": cost_per_outcome(brief)}
