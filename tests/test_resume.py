"""A comparison killed with SIGKILL mid-batch resumes: finished runs are kept; the result equals an unbroken run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import xarray as xr
from actlocally.runtime.run_store import RunStore

SCENARIO = """
name = "{name}"
area = "keighley_central"
pupils = 2000
{extra}
"""
COMPARISON = """
name = "resume"
baselines = ["base.toml"]
scenarios = ["club.toml"]
replicates = 20
seed = 4
"""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from actlocally.experiments.cli import app; app()", *args]


def finished_runs(folder) -> dict[str, int]:
    """Finished run directories -> inode, so a rewritten run would show up as a new inode."""
    store = folder / "runs.zarr"
    return {str(p.relative_to(store)): p.stat().st_ino for p in store.glob("*/r[0-9]*") if (p / "zarr.json").exists()}


def test_resume_after_kill_minus_nine(tmp_path):
    (tmp_path / "base.toml").write_text(SCENARIO.format(name="base", extra=""))
    (tmp_path / "club.toml").write_text(SCENARIO.format(
        name="club", extra="[[interventions]]\ntype = 'breakfast_club'\noffer = 'universal'"))
    (tmp_path / "cmp.toml").write_text(COMPARISON)
    out = tmp_path / "out"
    folder = out / "resume"
    args = cli("compare", str(tmp_path / "cmp.toml"), "--workers", "1", "--out", str(out))
    proc = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(finished_runs(folder) if folder.exists() else {}) < 6:
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "no runs finished in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its Dask scheduler and workers, mid-batch
    proc.wait()
    before = finished_runs(folder)
    assert 6 <= len(before) < 40, len(before)
    assert not (folder / "comparison.nc").exists()

    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = finished_runs(folder)
    assert len(after) == 40
    assert all(after[k] == ino for k, ino in before.items()), "a finished run was redone"
    assert not any((folder / "runs.zarr" / ".partial").iterdir())

    fresh_out = tmp_path / "fresh"
    fresh = subprocess.run(cli("compare", str(tmp_path / "cmp.toml"), "--workers", "0", "--out", str(fresh_out)),
                           capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    a = xr.open_dataset(folder / "comparison.nc").load().drop_attrs()
    b = xr.open_dataset(fresh_out / "resume" / "comparison.nc").load().drop_attrs()
    xr.testing.assert_identical(a, b)


def test_a_changed_batch_does_not_reuse_old_runs(tmp_path):
    store = RunStore(tmp_path / "runs.zarr")
    assert store.prepare("s", "one") == set()
    ds = xr.Dataset({"x": ("term", [1.0, 2.0])}, coords={"term": [0, 1]})
    store.put("s", 0, ds)
    store.put("s", 3, ds * 2)
    assert RunStore(tmp_path / "runs.zarr").prepare("s", "one") == {0, 3}
    again = RunStore(tmp_path / "runs.zarr")
    again.prepare("s", "one")
    xr.testing.assert_identical(again.load("s", [3])["x"].isel(replicate=0, drop=True), (ds * 2)["x"])
    assert RunStore(tmp_path / "runs.zarr").prepare("s", "two") == set()  # other seed or scenario: start afresh
    try:
        store.prepare("../outside", "one")
    except ValueError as err:
        assert "leave the store" in str(err)
    else:
        raise AssertionError("a group name escaped the store")
