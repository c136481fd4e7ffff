"""Issue 16's defects, one test each: exit 2 with one line naming file and field, nothing written, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from actlocally.experiments.compare.comparison import plan_comparison
from actlocally.model.errors import InputError
from actlocally.runtime.folder_lock import LOCK_NAME, clean_temporary_files, folder_lock
from conftest import small_scenario
from typer.testing import CliRunner

runner = CliRunner()
SCENARIO = """
name = "{name}"
area = "keighley_central"
pupils = 300
{extra}
"""


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(res, *words: str) -> str:
    """The command failed as bad input should: exit 2, one error line naming what is wrong, no traceback."""
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert "Traceback" not in res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_a_trailing_newline_in_a_name_is_rejected(tmp_path):
    with pytest.raises(InputError, match="name"):
        plan_comparison([small_scenario(name="base")], [small_scenario(name="arm")], name="nl\n", replicates=1)
    sc = write(tmp_path / "s.toml", 'name = "nl\\n"\narea = "keighley_central"\n')
    one_line_error(runner.invoke(app, ["validate", str(sc)]), str(sc), "'name'")
    base = write(tmp_path / "b.toml", SCENARIO.format(name="b", extra=""))
    res = runner.invoke(app, ["sensitivity", str(base), "--output", "nl\n", "--out", str(tmp_path / "o")])
    one_line_error(res, "--output")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("extra", "field"), [
    ('[parameters]\n"learning.catch_up_share" = 1e308', "parameters.learning.catch_up_share"),
    ('[parameters]\n"attendance.a0" = nan', "parameters.attendance.a0"),
    ('[parameters]\n"attendance.a0" = "4.3"', "parameters.attendance.a0"),
    ('[parameters]\n"attendance.a0" = true', "parameters.attendance.a0"),
    ("[[interventions]]\ntype = 'breakfast_club'\np_enrol = 1.5", "interventions[0].p_enrol"),
    ("[[interventions]]\ntype = 'breakfast_club'\np_enrol = '0.3'", "interventions[0].p_enrol"),
    ("[[interventions]]\ntype = ['x']", "interventions[0].type"),
    ("[[interventions]]\ntype = 'breakfast_club'\nschools = ['No Such School']", "interventions[0].schools"),
])
def test_absurd_values_fail_validate_and_run_alike(tmp_path, extra, field):
    sc = write(tmp_path / "s.toml", SCENARIO.format(name="s", extra=extra))
    one_line_error(runner.invoke(app, ["validate", str(sc)]), str(sc), field)
    out = tmp_path / "o.nc"
    one_line_error(runner.invoke(app, ["run", str(sc), "--out", str(out), "--posterior", "none"]), field)
    assert not out.exists()


@pytest.mark.parametrize(("change", "field"), [
    (("secondary = { value = ", "secondary = { value = inf, x = "), None),
    (("fsm = { value = 0.45", "fsm = { value = 1.45"), "shares.fsm.value"),
    (("fsm = { value = 0.45", 'fsm = { value = "0.45"'), "shares.fsm.value"),
])
def test_bad_area_values_are_refused(tmp_path, change, field):
    from actlocally.model.area import AREAS_DIR

    text = (AREAS_DIR / "keighley_central.toml").read_text()
    assert change[0] in text
    area = write(tmp_path / "a.toml", text.replace(change[0], change[1], 1))
    line = one_line_error(runner.invoke(app, ["validate", str(area)]), str(area))
    assert field is None or field in line


@pytest.mark.parametrize("body", [b"\xff\xfe\x00binary", b"name = 'x'\n" + b"a = " + b"[" * 5000 + b"]" * 5000,
                                  "name = 'é'".encode("latin-1")])
def test_binary_deep_and_non_utf8_files_are_refused(tmp_path, body):
    path = tmp_path / "s.toml"
    path.write_bytes(body)
    one_line_error(runner.invoke(app, ["validate", str(path)]), str(path))


@pytest.mark.parametrize("label", ["[/]", "[bold red]x[/]", "a [link=http://x]b[/link]"])
def test_markup_in_user_text_is_shown_as_written(tmp_path, label):
    extra = f"[[interventions]]\ntype = 'breakfast_club'\nlabel = {label!r}"
    sc = write(tmp_path / "s.toml", SCENARIO.format(name="s", extra=extra).replace("keighley_central",
                                                                                   "keighley_central"))
    res = runner.invoke(app, ["validate", str(sc)])
    assert res.exit_code == 0, res.output
    assert label in res.output.replace("\n", "")
    bad = write(tmp_path / "b.toml", SCENARIO.format(name="s", extra=f"[parameters]\n{label!r} = 1"))
    one_line_error(runner.invoke(app, ["validate", str(bad)]), label)


def test_run_into_an_existing_folder_fails_before_simulating(tmp_path):
    sc = write(tmp_path / "s.toml", SCENARIO.format(name="s", extra=""))
    started = time.perf_counter()
    one_line_error(runner.invoke(app, ["run", str(sc), "--out", str(tmp_path), "--posterior", "none"]), "--out")
    assert time.perf_counter() - started < 5


def _huge_posterior(path, particles: int) -> None:
    """A tiny HDF5/NetCDF file declaring `particles` weights (chunked, never written: a few KB on disk)."""
    with h5py.File(path, "w") as f:
        f.attrs["parameters"] = "attendance.a0"
        for name in ("weight", "attendance.a0"):
            d = f.create_dataset(name, shape=(particles,), chunks=(1024,), dtype="f8")
            d.dims[0].label = "particle"
        f.create_dataset("particle", shape=(particles,), chunks=(1024,), dtype="i8")
        f["particle"].make_scale("particle")
        for name in ("weight", "attendance.a0"):
            f[name].dims[0].attach_scale(f["particle"])


def test_a_posterior_declaring_two_billion_weights_is_refused_fast(tmp_path):
    path = tmp_path / "huge.nc"
    _huge_posterior(path, 2_000_000_000)
    assert path.stat().st_size < 200_000
    sc = write(tmp_path / "s.toml", SCENARIO.format(name="s", extra=""))
    started = time.perf_counter()
    res = runner.invoke(app, ["run", str(sc), "--posterior", str(path), "--out", str(tmp_path / "o.nc")])
    one_line_error(res, str(path), "particle")
    assert time.perf_counter() - started < 5
    assert not (tmp_path / "o.nc").exists()


@pytest.mark.parametrize(("weights", "a0", "field"), [
    ([1.0, np.nan], [4.3, 4.4], "weight"), ([1.0, -1.0], [4.3, 4.4], "weight"), ([0.0, 0.0], [4.3, 4.4], "weight"),
    ([1.0, 1.0], [4.3, np.nan], "attendance.a0"), ([1.0, 1.0], [4.3, 99.0], "attendance.a0"),
])
def test_hostile_posterior_values_are_refused(tmp_path, weights, a0, field):
    path = tmp_path / "p.nc"
    xr.Dataset({"weight": ("particle", weights), "attendance.a0": ("particle", a0)},
               attrs={"parameters": "attendance.a0"}).to_netcdf(path, engine="h5netcdf")
    sc = write(tmp_path / "s.toml", SCENARIO.format(name="s", extra=""))
    res = runner.invoke(app, ["run", str(sc), "--posterior", str(path), "--out", str(tmp_path / "o.nc")])
    one_line_error(res, str(path), field)


def test_a_second_command_on_a_locked_folder_refuses_naming_the_first(tmp_path):
    base = write(tmp_path / "base.toml", SCENARIO.format(name="base", extra=""))
    arm = write(tmp_path / "arm.toml", SCENARIO.format(name="arm", extra="[parameters]\n'attendance.a0' = 4.4"))
    folder = tmp_path / "out" / "arm_vs_base"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from actlocally.runtime.folder_lock import folder_lock\n"
        f"with folder_lock({str(folder)!r}, 'actlocally compare (the first)'):\n"
        "    print('locked', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = ["compare", str(base), str(arm), "--replicates", "1", "--workers", "0", "--out", str(tmp_path / "out")]
        line = one_line_error(runner.invoke(app, args), "in use", f"pid {holder.pid}", "the first")
        assert str(folder) in line
        assert not (folder / "runs.zarr").exists()
    finally:
        holder.kill()
        holder.wait()
    with folder_lock(folder):  # the kernel dropped the killed holder's lock: no stale lock to clear by hand
        assert (folder / LOCK_NAME).exists()
        with pytest.raises(InputError, match="in use"):  # and it holds against a second opener in one process
            with folder_lock(folder):
                pass


def test_orphan_temporary_files_are_removed_under_the_lock(tmp_path):
    orphan = tmp_path / ".comparison.nc.k3j4.tmp"
    orphan.write_bytes(b"half a file")
    keep = tmp_path / "comparison.nc"
    keep.write_bytes(b"x")
    with folder_lock(tmp_path):
        pass
    assert not orphan.exists() and keep.exists()
    assert clean_temporary_files(tmp_path) == []


def test_calibrate_report_cannot_write_outside_its_folder(tmp_path):
    res = runner.invoke(app, ["calibrate", "report", "../../escape", "--out", str(tmp_path / "o")])
    one_line_error(res)
    assert not (tmp_path / "o").exists() and not (tmp_path.parent / "escape").exists()
