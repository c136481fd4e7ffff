"""Calibration diagnostics: posterior against prior, correlated pairs, epsilon and acceptance, predictive check.

`write_report` writes PNGs, the posterior summary (`posterior_summary.csv`/`.nc`, `posterior_particles.csv`, see
`summary.py`) and one self-contained HTML page (images embedded) into its output folder.
The posterior predictive check runs the model for weighted draws from the posterior (on the executor) and asks,
for every target, whether the observed value falls inside the simulated 90% interval.
"""

from __future__ import annotations

import base64
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.executor import Executor
from actlocally.runtime.storage import atomic_path, write_csv_atomic
from jinja2 import Environment, PackageLoader, select_autoescape

from .posterior import parameter_names
from .predictive import predictive_check
from .summary import write_summary
from .targets import TargetsFile


def _weighted_corr(posterior: xr.Dataset, names: list[str]) -> np.ndarray:
    cov = np.cov(np.stack([posterior[n].values for n in names]), aweights=posterior["weight"].values)
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_marginals(posterior: xr.Dataset, out: Path) -> Path:
    names = parameter_names(posterior)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows), squeeze=False)
    w = posterior["weight"].values
    for ax, name in zip(axes.flat, names, strict=False):
        lo, hi = posterior[name].attrs["prior_low"], posterior[name].attrs["prior_high"]
        ax.hist(posterior[name].values, bins=20, range=(lo, hi), weights=w, density=True, color="#0072B2",
                alpha=0.75, label="posterior")
        ax.plot([lo, hi], [1 / (hi - lo)] * 2, color="#D55E00", linewidth=1.5, label="prior")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Posterior (bars) against the uniform prior (line): {posterior.attrs['area']}", fontsize=10)
    fig.tight_layout()
    return _save(fig, out)


def plot_pairs(posterior: xr.Dataset, out: Path, n_pairs: int = 6) -> tuple[Path, list[tuple[str, str, float]]]:
    names = parameter_names(posterior)
    corr = _weighted_corr(posterior, names)
    pairs = sorted(((names[i], names[j], corr[i, j]) for i in range(len(names)) for j in range(i + 1, len(names))),
                   key=lambda p: -abs(p[2]))[:n_pairs]
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.0 * len(pairs), 2.9), squeeze=False)
    w = posterior["weight"].values
    for ax, (a, b, r) in zip(axes[0], pairs, strict=True):
        ax.scatter(posterior[a].values, posterior[b].values, s=8 + 300 * w, alpha=0.5, color="#009E73")
        ax.set_xlabel(a, fontsize=7)
        ax.set_ylabel(b, fontsize=7)
        ax.set_title(f"r = {r:+.2f}", fontsize=8)
        ax.tick_params(labelsize=6)
    fig.suptitle("Most correlated parameter pairs in the posterior (point size: weight)", fontsize=10)
    fig.tight_layout()
    return _save(fig, out), pairs


def plot_generations(posterior: xr.Dataset, out: Path) -> Path:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 2.8))
    g = posterior["generation"].values
    a1.plot(g, posterior["epsilon"].values, marker="o", color="#0072B2")
    a1.set_title("epsilon (acceptance threshold)", fontsize=9)
    a2.plot(g, posterior["acceptance_rate"].values, marker="o", color="#D55E00")
    a2.set_title("acceptance rate", fontsize=9)
    for ax in (a1, a2):
        ax.set_xlabel("generation")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, out)


def plot_predictive(sim: pd.DataFrame, table: pd.DataFrame, out: Path) -> Path:
    n = len(table)
    cols = 4
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for ax, row in zip(axes.flat, table.itertuples(), strict=False):
        ax.hist(sim[row.target].dropna(), bins=15, color="#56B4E9", alpha=0.8)
        ax.axvspan(row.observed_low, row.observed_high, color="#E69F00", alpha=0.25)
        ax.axvline(row.observed, color="#D55E00", linewidth=2)
        ax.set_title(row.target + ("" if row.fitted else " (not fitted)"), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Posterior predictive check: simulated (bars), observed value (line) and its range (band)",
                 fontsize=10)
    fig.tight_layout()
    return _save(fig, out)


def _ess(posterior: xr.Dataset) -> list[float | None]:
    """Effective sample size by generation (posteriors from before it was recorded have none)."""
    if "effective_sample_size" not in posterior:
        return [None] * posterior.sizes["generation"]
    return posterior["effective_sample_size"].values.tolist()


def _screen_rows(posterior: xr.Dataset) -> list[tuple[str, float]]:
    """(parameter, Morris score in target sds), largest first, when a screen chose the kernel's parameters."""
    if "screen_score" not in posterior:
        return []
    score = posterior["screen_score"].to_series().sort_values(ascending=False)
    return [(str(k), float(v)) for k, v in score.items()]


def write_report(posterior: xr.Dataset, targets: TargetsFile, out_dir: Path, executor: Executor,
                 draws: int = 50) -> tuple[Path, pd.DataFrame]:
    """All diagnostics for one area: PNGs, predictive.csv, the posterior summary and report.html; returns (html path,
    check table)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sim, table = predictive_check(posterior, targets, executor, draws=draws, seed=int(posterior.attrs["seed"]),
                                  with_trials=True)
    images = {"marginals": plot_marginals(posterior, out_dir / "marginals.png")}
    images["pairs"], pairs = plot_pairs(posterior, out_dir / "pairs.png")
    images["generations"] = plot_generations(posterior, out_dir / "generations.png")
    images["predictive"] = plot_predictive(sim, table, out_dir / "predictive.png")
    write_csv_atomic(table, out_dir / "predictive.csv")
    summary, _ = write_summary(posterior, out_dir, "posterior")
    env = Environment(loader=PackageLoader("actlocally.calibration", "templates"), autoescape=select_autoescape())
    page = env.get_template("report.html.j2").render(
        attrs=posterior.attrs, table=table.to_dict("records"), pairs=pairs, draws=draws,
        images={k: base64.b64encode(p.read_bytes()).decode() for k, p in images.items()},
        generations=list(zip(posterior["generation"].values.tolist(), posterior["epsilon"].values.tolist(),
                             posterior["acceptance_rate"].values.tolist(), posterior["samples"].values.tolist(),
                             _ess(posterior), strict=True)),
        moved=str(posterior.attrs.get("kernel_parameters", " ".join(parameter_names(posterior)))).split(),
        screen=_screen_rows(posterior), summary=summary.to_dict("records"),
        inside=int(table["inside_90pct"].sum()))
    path = out_dir / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path, table
