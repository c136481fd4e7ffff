"""Stored posteriors: find an area's, and draw one parameter set per replicate from it.

A draw depends only on (seed, replicate): every scenario of a comparison gets the same parameters in replicate r,
so comparisons stay paired while their intervals include parameter uncertainty.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import xarray as xr
from actlocally.model.errors import InputError
from actlocally.model.interventions.parameters import known_rows, yield_to_scenario
from actlocally.model.rng import stable_hash

POSTERIORS_DIR = Path(__file__).resolve().parent / "posteriors"
MAX_FILE_BYTES = 200_000_000  # a 6-generation, 200-particle posterior is ~40 KB
MAX_PARTICLES = 100_000  # 500 times the particles calibration uses
MAX_VALUES = 20_000_000  # numbers in all of a posterior's variables together (160 MB as float64)


def posterior_path(area_or_path: str | Path) -> Path:
    """`calibration/posteriors/<area>.nc` for an area name; a path is returned as it is."""
    p = Path(area_or_path)
    return p if p.suffix == ".nc" else POSTERIORS_DIR / f"{area_or_path}.nc"


def has_posterior(area: str) -> bool:
    return posterior_path(area).is_file()


def open_posterior(path: Path) -> xr.Dataset:
    """Open a posterior file and check it before reading any values: sizes, variables, dims, names, then values.

    A valid posterior has a `particle` dimension of at most MAX_PARTICLES, a `weight` variable over it (finite,
    non-negative, not all zero), an attribute `parameters` naming model parameters, and one finite variable over
    `particle` per parameter, inside that parameter's prior range. Anything else is one InputError naming the
    file and the field; nothing large is allocated first.
    """
    try:
        if not path.is_file():
            raise InputError(path, None, "no such posterior file (expected a NetCDF written by `actlocally "
                             "calibrate`)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(path, None, f"file is larger than {MAX_FILE_BYTES:,} bytes; not a posterior")
        _check_declared_sizes(path)  # before xarray, which reads index coordinates whole on opening
        ds = xr.open_dataset(path, engine="h5netcdf", cache=False)
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - any unreadable file is the same user error
        raise InputError(path, None, f"cannot read as NetCDF ({type(err).__name__})") from None
    try:
        return _checked(ds, path)
    except InputError:
        ds.close()
        raise
    except Exception as err:  # noqa: BLE001 - a malformed variable or attribute of any kind
        ds.close()
        raise InputError(path, None, f"not a usable posterior ({type(err).__name__}: {err})") from None


def _check_declared_sizes(path: Path) -> None:
    """Refuse a file whose arrays declare more than MAX_VALUES numbers (read from HDF5 metadata only)."""
    total = 0

    def visit(name: str, obj: object) -> None:
        nonlocal total
        if isinstance(obj, h5py.Dataset):
            total += int(np.prod(obj.shape, dtype=np.float64)) if obj.shape else 1

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    if total > MAX_VALUES:
        raise InputError(path, "particle", f"declares {total:,} numbers; a posterior holds at most {MAX_VALUES:,} "
                         f"(at most {MAX_PARTICLES:,} particles)")


def _checked(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """The lazily opened posterior, checked in order of cost (see `open_posterior`), then loaded."""
    n = int(ds.sizes.get("particle", 0))
    if not 1 <= n <= MAX_PARTICLES:
        raise InputError(path, "particle", f"a posterior needs a 'particle' dimension of 1 to {MAX_PARTICLES:,} "
                         f"particles (found {n:,})")
    total = sum(int(np.prod(v.shape, dtype=np.float64)) for v in ds.variables.values())
    if total > MAX_VALUES:
        raise InputError(path, None, f"holds {total:,} numbers; a posterior holds at most {MAX_VALUES:,}")
    if "weight" not in ds or ds["weight"].dims != ("particle",) or ds["weight"].dtype.kind not in "fiu":
        raise InputError(path, "weight", "a posterior needs a numeric 'weight' variable over 'particle'")
    rows = known_rows()
    names = ds.attrs.get("parameters")
    if names is None:  # a hand-made posterior: its variables over `particle` that are model parameters
        names = " ".join(str(v) for v in ds.data_vars if v in rows and ds[v].dims == ("particle",))
        ds.attrs["parameters"] = names
    if not isinstance(names, str) or not names.split() or len(names) > 100_000:
        raise InputError(path, "parameters", "the attribute 'parameters' must name the fitted parameters, "
                         "separated by spaces")
    for name in names.split():
        if name not in rows:
            raise InputError(path, name, "not a model or intervention parameter (see `actlocally params`)")
        if name not in ds or ds[name].dims != ("particle",) or ds[name].dtype.kind not in "fiu":
            raise InputError(path, name, "each parameter needs a numeric variable over 'particle'")
    w = np.asarray(ds["weight"].values, dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise InputError(path, "weight", "weights must be finite, non-negative and not all zero")
    for name in names.split():
        lo, hi = rows[name].prior
        v = np.asarray(ds[name].values, dtype=float)
        if not np.all(np.isfinite(v)) or v.min() < lo or v.max() > hi:
            raise InputError(path, name, f"values must be finite and inside the prior range [{lo:g}, {hi:g}]")
    loaded = ds.load()
    ds.close()
    return loaded


def load_posterior(area_or_path: str | Path) -> xr.Dataset:
    """A stored posterior (particles, weights, run record), or an InputError naming what is available."""
    path = posterior_path(area_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in POSTERIORS_DIR.glob("*.nc"))) or "none yet"
        raise InputError(path, None, f"no stored posterior; calibrated areas: {known} "
                         "(run `actlocally calibrate AREA` first)")
    post = open_posterior(path)
    post.attrs["source_path"] = str(path.resolve())  # a comparison records which file it drew from
    return post


def parameter_names(posterior: xr.Dataset) -> list[str]:
    return str(posterior.attrs["parameters"]).split()


def draw(posterior: xr.Dataset, seed: int, replicate: int) -> dict[str, float]:
    """One weighted draw of the parameters for (seed, replicate)."""
    ss = np.random.SeedSequence([int(seed), int(replicate), stable_hash("posterior")])
    rng = np.random.default_rng(ss)
    w = posterior["weight"].values
    i = int(rng.choice(w.size, p=w / w.sum()))
    return {name: float(posterior[name].values[i]) for name in parameter_names(posterior)}


def scenario_draw(posterior: xr.Dataset, seed: int, replicate: int, scenario) -> dict[str, float]:
    """`draw` for one scenario's run: the values the scenario sets itself (its `[parameters]`, the fields written
    in its intervention tables) are left out, so they win over the draw (`yield_to_scenario`)."""
    return yield_to_scenario(draw(posterior, seed, replicate), scenario.parameters, scenario.intervention_params)


def posterior_id(posterior: xr.Dataset) -> str:
    """What identifies a posterior in a run store's fingerprint."""
    a = posterior.attrs
    return f"{a.get('area')}:{a.get('created')}:{a.get('seed')}:{a.get('population_size')}"


def restrict_to_priors(posterior: xr.Dataset) -> xr.Dataset:
    """The posterior under the current, narrower prior ranges: particles outside them dropped, weights renormalised.

    With uniform priors this is exact for the same model: the posterior is likelihood x prior, and a prior that
    shrinks to a sub-range only zeroes the density outside it. It is a stop-gap when priors narrow (not a
    re-calibration): the effective sample size falls, and a model changed since the fit needs a new one. Records
    what it kept in the attributes.
    """
    rows = known_rows()
    keep = np.ones(posterior.sizes["particle"], bool)
    for name in parameter_names(posterior):
        lo, hi = rows[name].prior
        v = posterior[name].values
        keep &= (v >= lo) & (v <= hi)
    if not keep.any():
        raise InputError(None, "posterior", "no particle lies inside the current prior ranges: re-calibrate")
    out = posterior.isel(particle=np.flatnonzero(keep))
    w = out["weight"].values
    out["weight"] = out["weight"].copy(data=w / w.sum())
    ess = float(w.sum() ** 2 / (w ** 2).sum())
    for name in parameter_names(out):
        lo, hi = rows[name].prior
        out[name].attrs.update(prior_low=lo, prior_high=hi)
    out.attrs["restricted_to_prior"] = (f"{int(keep.sum())} of {keep.size} particles inside the current prior "
                                        f"ranges kept, weights renormalised (ESS {ess:.1f}); the model has changed "
                                        "since this fit: re-calibrate")
    return out
