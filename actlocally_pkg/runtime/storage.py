"""Atomic output: write to a temporary file beside the target, then rename, so no half-written file remains.

Files are left with the mode an ordinary `open()` would give (0666 less the process umask, so 0644 under the usual
022), not mkstemp's private 0600, so colleagues and web servers can read results.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import xarray as xr

from .describe import describe


def _encodable(ds: xr.Dataset) -> xr.Dataset:
    """NetCDF attributes must be str/number; booleans and None become strings; shared coordinates get described."""
    ds = describe(ds)
    ds.attrs = {k: (str(v) if isinstance(v, bool) or v is None else v) for k, v in ds.attrs.items()}
    return ds


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (/proc), else set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, on failure remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_netcdf_atomic(ds: xr.Dataset, path: str | Path) -> Path:
    """Write `ds` to `path` as NetCDF4 (h5netcdf) atomically."""
    with atomic_path(path) as tmp:
        _encodable(ds).to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def write_csv_atomic(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table to CSV atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return Path(path)
