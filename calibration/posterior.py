"""Stored posteriors: find an area's, and draw one parameter set per replicate from it.

A draw depends only on (seed, replicate): every scenario of a comparison gets the same parameters in replicate r,
so comparisons stay paired while their intervals include parameter uncertainty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from actlocally.model.errors import InputError
from actlocally.model.rng import stable_hash

POSTERIORS_DIR = Path(__file__).resolve().parent / "posteriors"


def posterior_path(area_or_path: str | Path) -> Path:
    """`calibration/posteriors/<area>.nc` for an area name; a path is returned as it is."""
    p = Path(area_or_path)
    return p if p.suffix == ".nc" else POSTERIORS_DIR / f"{area_or_path}.nc"


def has_posterior(area: str) -> bool:
    return posterior_path(area).is_file()


def load_posterior(area_or_path: str | Path) -> xr.Dataset:
    """A stored posterior (particles, weights, run record), or an InputError naming what is available."""
    path = posterior_path(area_or_path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in POSTERIORS_DIR.glob("*.nc"))) or "none yet"
        raise InputError(path, None, f"no stored posterior; calibrated areas: {known} "
                         "(run `actlocally calibrate AREA` first)")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            post = ds.load()
    except (OSError, ValueError) as err:
        raise InputError(path, None, f"cannot read as NetCDF ({type(err).__name__}); a posterior is the .nc file "
                         "`actlocally calibrate` writes") from None
    if "weight" not in post or "parameters" not in post.attrs:
        raise InputError(path, "weight", "not a calibration posterior: it needs a 'weight' variable over 'particle' "
                         "and a 'parameters' attribute (the .nc file `actlocally calibrate` writes)")
    missing = [n for n in parameter_names(post) if n not in post]
    if missing:
        raise InputError(path, missing[0], "a parameter listed in the 'parameters' attribute has no variable")
    post.attrs["source_path"] = str(path.resolve())
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


def posterior_id(posterior: xr.Dataset) -> str:
    """What identifies a posterior in a run store's fingerprint."""
    a = posterior.attrs
    return f"{a.get('area')}:{a.get('created')}:{a.get('seed')}:{a.get('population_size')}"
