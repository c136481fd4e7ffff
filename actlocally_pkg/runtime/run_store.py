"""A Zarr store of finished runs, written one run at a time, so an interrupted batch resumes where it stopped.

Layout (one Zarr group per scenario, one array per finished run)::

    runs.zarr/<group>/            group; attrs: the batch fingerprint and the results layout (dims, coords, attrs)
    runs.zarr/<group>/r000007     float64 array: every result variable of replicate 7, flattened in layout order

Each run array is written to `runs.zarr/.partial/` and renamed into place, so a run is either there whole or not
at all, even after `kill -9`. A group whose fingerprint differs from the batch being run is discarded, so a
changed command never mixes old and new runs: callers build it from `model.provenance` (resolved parameters, area
profile content, interventions, seed, population and a hash of the model's source files). Each run also carries
its own key (replicate, posterior draw or sample rows) and a checksum of its values written with it; `prepare`
re-reads every stored run, and a run whose key differs or whose values no longer match their checksum (a deleted
or swapped chunk) is named in `PrepareReport.damaged`, removed and run again, never read as numbers. Flat arrays keep a
write to ~3 ms (an `xarray.Dataset.to_zarr` of the same results takes ~200 ms), which matters for 4,000-run
batches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr
import zarr


def fingerprint(*parts: object) -> str:
    """A short stable hash of JSON-serialisable parts (what makes two batches the same batch)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def results_layout(ds: xr.Dataset) -> dict:
    """Everything about a results Dataset but its data values: variable dims, shapes, dtypes, attrs; coords."""
    coords = {name: {"dims": list(c.dims), "data": c.values.tolist(), "attrs": dict(c.attrs)}
              for name, c in ds.coords.items()}
    variables = [{"name": name, "dims": list(v.dims), "shape": list(v.shape), "dtype": str(v.dtype),
                  "attrs": dict(v.attrs)} for name, v in ds.data_vars.items()]
    return {"coords": coords, "variables": variables, "attrs": _jsonable(ds.attrs)}


def flatten(ds: xr.Dataset, layout: dict) -> np.ndarray:
    """All data variables of one run as one float64 vector, in layout order."""
    parts = []
    for var in layout["variables"]:
        values = ds[var["name"]]
        if list(values.dims) != var["dims"] or list(values.shape) != var["shape"]:
            raise ValueError(f"run does not match the stored layout at {var['name']}: {values.dims} {values.shape}")
        parts.append(np.asarray(values.values, dtype=np.float64).ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


def unflatten(matrix: np.ndarray, layout: dict, replicates: list[int]) -> xr.Dataset:
    """Rebuild a Dataset with a leading `replicate` dimension from stacked flat vectors (one row per run)."""
    coords = {name: (c["dims"], np.asarray(c["data"]), c["attrs"]) for name, c in layout["coords"].items()}
    coords["replicate"] = ("replicate", np.asarray(replicates, dtype=np.int64), {})
    data, start = {}, 0
    for var in layout["variables"]:
        size = int(np.prod(var["shape"], dtype=np.int64))
        block = matrix[:, start:start + size].reshape(len(replicates), *var["shape"])
        start += size
        data[var["name"]] = (["replicate", *var["dims"]], block.astype(var["dtype"]), var["attrs"])
    return xr.Dataset(data, coords=coords, attrs=layout["attrs"])


def checksum(vector: np.ndarray) -> str:
    """A hash of a run's values as stored (float64 bytes)."""
    return hashlib.blake2b(np.ascontiguousarray(vector, dtype=np.float64).tobytes(), digest_size=16).hexdigest()


class DamagedRunError(RuntimeError):
    """A stored run whose values do not match the checksum written with them."""


@dataclasses.dataclass
class PrepareReport:
    """What `prepare` found in a group: runs reused, runs stale (their inputs changed) and runs damaged."""

    reused: int = 0
    stale: int = 0
    damaged: list[str] = dataclasses.field(default_factory=list)

    def add(self, other: PrepareReport) -> None:
        self.reused += other.reused
        self.stale += other.stale
        self.damaged += other.damaged

    def message(self, total: int) -> str:
        """E.g. '12 of 300 runs reused, 288 to run (276 with changed inputs; 1 damaged: base/r000003)'."""
        text = f"{self.reused} of {total} runs reused, {total - self.reused} to run"
        notes = []
        if self.stale:
            notes.append(f"{self.stale} stored with other inputs")
        if self.damaged:
            shown = ", ".join(self.damaged[:5]) + (" ..." if len(self.damaged) > 5 else "")
            notes.append(f"{len(self.damaged)} damaged, recomputed: {shown}")
        return text + (f" ({'; '.join(notes)})" if notes else "")


class RunStore:
    """Finished runs of a batch, by group (scenario) and replicate, in one Zarr store on local disk."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._partial = self.path / ".partial"
        zarr.open_group(str(self.path), mode="a")
        shutil.rmtree(self._partial, ignore_errors=True)  # debris of an interrupted write
        self._partial.mkdir(parents=True, exist_ok=True)
        self._layouts: dict[str, dict] = {}
        self.report = PrepareReport()

    def _group_dir(self, group: str) -> Path:
        target = (self.path / group).resolve()
        if target.parent != self.path.resolve() or group.startswith("."):
            raise ValueError(f"group name {group!r} would leave the store")
        return target

    def prepare(self, group: str, batch_fingerprint: str, run_keys: Mapping[int, str] | None = None) -> set[int]:
        """Open (or create) a group for this batch; return the replicates finished in it, intact and with the
        same key (`run_keys[r]`, when given). Everything else stored there is removed; `self.report` says what."""
        gdir = self._group_dir(group)
        report = PrepareReport()
        if gdir.exists():
            try:
                attrs = dict(zarr.open_group(str(gdir), mode="r").attrs)
            except Exception:  # noqa: BLE001 - unreadable group metadata: the group is damage, start it afresh
                attrs = {}
                report.damaged.append(group)
            if attrs.get("fingerprint") != batch_fingerprint:
                report.stale += len(self.finished(group))
                self._discard(gdir)
        g = zarr.open_group(str(gdir), mode="a")
        if g.attrs.get("fingerprint") != batch_fingerprint:
            g.attrs["fingerprint"] = batch_fingerprint
        if "layout" in g.attrs:
            self._layouts[group] = g.attrs["layout"]
        done = set()
        for r in sorted(self.finished(group)):
            state = self._check(gdir / f"r{r:06d}", None if run_keys is None else run_keys.get(r, ""))
            if state == "ok":
                done.add(r)
            else:
                report.stale += state == "stale"
                if state == "damaged":
                    report.damaged.append(f"{group}/r{r:06d}")
                self._discard(gdir / f"r{r:06d}")
        report.reused = len(done)
        self.report = report
        return done

    def _check(self, run_dir: Path, key: str | None) -> str:
        """'ok', 'stale' (stored with another key) or 'damaged' (unreadable, or values not matching checksum)."""
        try:
            arr = zarr.open_array(str(run_dir), mode="r")
            attrs = dict(arr.attrs)
            if key is not None and attrs.get("run_key") != key:
                return "stale"
            return "ok" if attrs.get("checksum") == checksum(arr[...]) else "damaged"
        except Exception:  # noqa: BLE001 - any failure to read a stored run means it is damaged
            return "damaged"

    def _discard(self, path: Path) -> None:
        trash = self._partial / f"discard-{uuid.uuid4().hex}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def finished(self, group: str) -> set[int]:
        gdir = self._group_dir(group)
        return {int(p.name[1:]) for p in gdir.glob("r[0-9]*") if (p / "zarr.json").exists()}

    def put(self, group: str, replicate: int, ds: xr.Dataset, attrs: dict | None = None, key: str = "") -> None:
        """Store one finished run atomically (write aside, then rename into the group), with its key and checksum."""
        gdir = self._group_dir(group)
        if group not in self._layouts:
            layout = results_layout(ds)
            zarr.open_group(str(gdir), mode="a").attrs["layout"] = layout
            self._layouts[group] = layout
        vector = flatten(ds, self._layouts[group])
        tmp = self._partial / uuid.uuid4().hex
        arr = zarr.create_array(store=str(tmp), shape=vector.shape, chunks=vector.shape or (1,), dtype="f8",
                                attributes=_jsonable({**(attrs or {}), "run_key": key,
                                                      "checksum": checksum(vector)}))
        arr[...] = vector
        final = gdir / f"r{replicate:06d}"
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)

    def load(self, group: str, replicates: list[int]) -> xr.Dataset:
        """The stored runs of a group, stacked on `replicate` in the order asked for."""
        gdir = self._group_dir(group)
        layout = self._layouts.get(group) or zarr.open_group(str(gdir), mode="r").attrs["layout"]
        rows = []
        for r in replicates:
            arr = zarr.open_array(str(gdir / f"r{r:06d}"), mode="r")
            values = arr[...]
            if arr.attrs.get("checksum") != checksum(values):
                raise DamagedRunError(f"stored run {group}/r{r:06d} in {self.path} is damaged (its values do not "
                                      "match their checksum); rerun the command to recompute it")
            rows.append(values)
        return unflatten(np.stack(rows), layout, replicates)


def _jsonable(attrs: dict) -> dict:
    """Attributes as plain JSON types (numpy scalars become Python numbers)."""
    return json.loads(json.dumps(attrs, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
