"""Outputs others can read: files 0644 under umask 022 (honouring the umask), and every NetCDF variable described."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from actlocally.runtime.storage import atomic_path, write_csv_atomic
from typer.testing import CliRunner

runner = CliRunner()
SCENARIO = 'name = "{name}"\narea = "holme_wood"\npupils = 300\n{extra}'
MHST = '[[interventions]]\ntype = "mental_health_support_team"\nschools = "all"\n'
COMPARISON = 'name = "outs"\nbaselines = ["base.toml"]\nscenarios = ["mh.toml"]\nreplicates = 2\nseed = 3\n'


def undescribed(ds: xr.Dataset) -> list[str]:
    """Variables (data and coordinates) without both `units` and `long_name`."""
    return [str(k) for k in ds.variables if not {"units", "long_name"} <= set(ds[k].attrs)]


@pytest.fixture
def umask():
    """Set a umask for one test and restore the old one after."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_files_get_the_mode_the_umask_gives(tmp_path, umask, mask, mode):
    umask(mask)
    path = write_csv_atomic(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert _mode(path) == mode
    with atomic_path(tmp_path / "u.txt") as tmp:
        tmp.write_text("x")
    assert _mode(tmp_path / "u.txt") == mode


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("outs")
    old = os.umask(0o022)
    try:
        (root / "base.toml").write_text(SCENARIO.format(name="base", extra=""))
        (root / "mh.toml").write_text(SCENARIO.format(name="mh", extra=MHST))
        (root / "cmp.toml").write_text(COMPARISON)
        res = runner.invoke(app, ["compare", str(root / "cmp.toml"), "--workers", "0", "--out", str(root / "out"),
                                  "--posterior", "none"])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["run", str(root / "mh.toml"), "--out", str(root / "run.nc"), "--children",
                                  str(root / "children.nc"), "--posterior", "none"])
        assert res.exit_code == 0, res.output
    finally:
        os.umask(old)
    return root


def test_every_comparison_output_is_readable_by_others(compared):
    files = [p for p in (compared / "out" / "outs").iterdir() if p.is_file()]
    assert {"comparison.nc", "effects.nc", "summary.csv", "waiting_lists.png"} <= {p.name for p in files}
    assert {p.name: oct(_mode(p)) for p in files} == {p.name: oct(0o644) for p in files}
    assert _mode(compared / "run.nc") == 0o644


@pytest.mark.parametrize("name", ["out/outs/comparison.nc", "out/outs/effects.nc", "run.nc", "children.nc"])
def test_every_netcdf_variable_has_units_and_long_name(compared, name):
    with xr.open_dataset(compared / name) as ds:
        assert len(ds.variables) > 10
        assert undescribed(ds) == []


def test_waiting_lists_show_only_services_someone_waits_for_with_the_baseline_on_top(compared, monkeypatch, tmp_path):
    from actlocally.experiments.compare import plots
    from actlocally.model.outcomes import SERVICE_LABELS

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, out_dir, stem: figures.append(fig) or [])
    with xr.open_dataset(compared / "out" / "outs" / "comparison.nc") as ds:
        ds = ds.load()
    plots.waiting_lists(ds, tmp_path)
    axes = [ax for ax in figures[0].axes if ax.get_visible()]
    assert figures[0].axes[0].get_gridspec().ncols <= 3
    one = ds.sel(scenario="base")
    waited = {str(k) for k in one["service_kind"].values[(one["queue_length_mean"].max(["term", "replicate"]) > 0)
                                                         .values]}
    titles = {ax.get_title().split("\n")[0] for ax in axes}
    assert titles == {SERVICE_LABELS[k] for k in waited} and titles  # none empty, none missing
    for ax in axes:
        base_line = [ln for ln in ax.get_lines() if ln.get_label().endswith("(baseline)")][0]
        other = [ln for ln in ax.get_lines() if ln is not base_line]
        assert base_line.get_linestyle() == "--" and all(base_line.get_zorder() > ln.get_zorder() for ln in other)
