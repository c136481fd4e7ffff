"""A posterior a researcher can read: per parameter, prior range, mean, median, 90% interval, shift, bound warnings.

Everything is in natural units (the parameter table's units) under dotted names (`attendance.a0`), read from the
posterior NetCDF that `calibrate` writes. pyabc's own database beside it (`<area>.db`) holds the same particles on
each parameter's probit scale under identifier names (`attendance__a0`); it is kept for pyabc's tools
(`pyabc.History("sqlite:///<area>.db")`, `pyabc.visualization`), and `abc.from_probit` maps its values back.

Weighted quantiles use numpy's `quantile(weights=..., method="inverted_cdf")`: the smallest value whose weighted
cumulative share reaches q (the only method numpy supports with weights).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.runtime.storage import write_csv_atomic, write_netcdf_atomic

from .posterior import parameter_names

EDGE = 0.05  # the outermost share of a prior range that counts as "at the bound" (assumption)
EDGE_MASS_WARN = 0.25  # warn when this much posterior weight sits there: 5x a flat posterior's 5% (assumption)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | Iterable[float]) -> np.ndarray:
    """Quantiles of a weighted sample: numpy's inverted weighted CDF."""
    return np.quantile(np.asarray(x, float), np.asarray(q, float), weights=np.asarray(w, float),
                       method="inverted_cdf")


def summarise(posterior: xr.Dataset) -> pd.DataFrame:
    """One row per parameter: unit, prior range, posterior mean, sd, median, 5% and 95%, shift and a warning.

    `shift_prior_sd` is how far the data moved the mean, in prior standard deviations (uniform prior: width/sqrt 12);
    `sd_ratio` is the posterior sd over the prior sd (1: the data said nothing; near 0: pinned down).
    """
    w = np.asarray(posterior["weight"].values, float)
    w = w / w.sum()
    moved = set(str(posterior.attrs.get("kernel_parameters", "")).split())
    rows = []
    for name in parameter_names(posterior):
        x = np.asarray(posterior[name].values, float)
        lo, hi = float(posterior[name].attrs["prior_low"]), float(posterior[name].attrs["prior_high"])
        mean = float(np.sum(w * x))
        sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
        q05, q50, q95 = (float(v) for v in weighted_quantile(x, w, (0.05, 0.5, 0.95)))
        prior_mean, prior_sd = (lo + hi) / 2, (hi - lo) / np.sqrt(12.0)
        edge = EDGE * (hi - lo)
        low_mass, high_mass = float(w[x <= lo + edge].sum()), float(w[x >= hi - edge].sum())
        rows.append({
            "parameter": name, "unit": str(posterior[name].attrs.get("units", "")), "prior_low": lo,
            "prior_high": hi, "mean": mean, "sd": sd, "median": q50, "q05": q05, "q95": q95,
            "shift_prior_sd": (mean - prior_mean) / prior_sd, "sd_ratio": sd / prior_sd,
            "mass_at_low_bound": low_mass, "mass_at_high_bound": high_mass,
            "proposal": "kernel" if name in moved or not moved else "prior",
            "warning": bound_warning(name, lo, hi, low_mass, high_mass),
        })
    return pd.DataFrame(rows)


def bound_warning(name: str, lo: float, hi: float, low_mass: float, high_mass: float) -> str:
    """What to do when the posterior piles against a prior bound ('' when it does not)."""
    side, mass, bound = ("upper", high_mass, hi) if high_mass >= low_mass else ("lower", low_mass, lo)
    if mass < EDGE_MASS_WARN:
        return ""
    return (f"{mass:.0%} of the posterior sits in the {side} {EDGE:.0%} of the prior range (bound {bound:g}; a flat "
            f"posterior puts {EDGE:.0%} there): the targets push {name} against its bound. If values beyond "
            f"{bound:g} are plausible, widen its `prior` in model/parameters.toml (with a source); if not, the model "
            "lacks a route that produces the targets: add the mechanism rather than stretch the parameter.")


def summary_dataset(table: pd.DataFrame, posterior: xr.Dataset) -> xr.Dataset:
    """The summary table as a Dataset over `parameter` (for NetCDF), with units and the posterior's record."""
    ds = xr.Dataset.from_dataframe(table.set_index("parameter"))
    long = {"prior_low": "prior range, low", "prior_high": "prior range, high", "mean": "posterior mean",
            "sd": "posterior standard deviation", "median": "posterior median", "q05": "posterior 5th percentile",
            "q95": "posterior 95th percentile", "shift_prior_sd": "shift of the mean from the prior mean",
            "sd_ratio": "posterior sd / prior sd", "mass_at_low_bound": "posterior weight in the lowest 5% of the "
            "prior range", "mass_at_high_bound": "posterior weight in the highest 5% of the prior range"}
    for var, text in long.items():
        units = "prior sd" if var == "shift_prior_sd" else "1" if var.startswith(("sd_", "mass")) else "natural"
        ds[var].attrs = {"long_name": text, "units": units + (" (see `unit`)" if units == "natural" else "")}
    ds.attrs = {k: posterior.attrs[k] for k in ("area", "seed", "created", "population_size", "generations")
                if k in posterior.attrs}
    ds.attrs["title"] = f"actlocally posterior summary: {posterior.attrs.get('area', '')}"
    return ds


def particles_table(posterior: xr.Dataset) -> pd.DataFrame:
    """The last generation's particles in natural units, one column per parameter (dotted names), plus weight."""
    names = parameter_names(posterior)
    table = pd.DataFrame({n: posterior[n].values for n in names})
    table.insert(0, "weight", posterior["weight"].values / posterior["weight"].values.sum())
    table.index.name = "particle"
    return table


def write_summary(posterior: xr.Dataset, out_dir: Path, stem: str) -> tuple[pd.DataFrame, list[Path]]:
    """Write `<stem>_summary.csv`, `<stem>_summary.nc` and `<stem>_particles.csv` into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = summarise(posterior)
    paths = [write_csv_atomic(table, out_dir / f"{stem}_summary.csv"),
             write_netcdf_atomic(summary_dataset(table, posterior), out_dir / f"{stem}_summary.nc"),
             write_csv_atomic(particles_table(posterior).reset_index(), out_dir / f"{stem}_particles.csv")]
    return table, paths
