"""Atomic output: write to a temporary file beside the target, then rename, so no half-written file remains."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import xarray as xr


def _encodable(ds: xr.Dataset) -> xr.Dataset:
    """NetCDF attributes must be str/number; booleans and None become strings."""
    ds = ds.copy()
    ds.attrs = {k: (str(v) if isinstance(v, bool) or v is None else v) for k, v in ds.attrs.items()}
    return ds


def write_netcdf_atomic(ds: xr.Dataset, path: str | Path) -> Path:
    """Write `ds` to `path` as NetCDF4 (h5netcdf) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _encodable(ds).to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
