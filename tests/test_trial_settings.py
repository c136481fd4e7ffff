"""`actlocally trial --set NAME=VALUE`: a model or intervention parameter set in every replicate, over the posterior's
draw."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from actlocally.calibration.posterior import load_posterior
from actlocally.calibration.trial import trial_tasks
from actlocally.calibration.trial_spec import load_trial
from actlocally.experiments.cli import app
from typer.testing import CliRunner

AREA = "keighley_central"


@pytest.mark.parametrize("option, message", [
    ("attendance.disengagement_days=500", "outside the prior range [0, 120]"),
    ("no_such.parameter=1", "not a model or intervention parameter"),
    ("breakfast_club.enrol_ratio_older=0.1", "outside the prior range [0.3, 1]"),
    ("attendance.disengagement_days", "expected NAME=VALUE"),
    ("attendance.disengagement_days=sixty", "'sixty' is not a number"),
    ("attendance.disengagement_days=nan", "outside the prior range"),
])
def test_a_bad_setting_is_one_clear_error_and_nothing_is_written(tmp_path, option, message):
    result = CliRunner().invoke(app, ["trial", "place2be_counselling", "--set", option, "--replicates", "2",
                                      "--workers", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--set" in result.output and message in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_the_same_setting_twice_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["trial", "place2be_counselling", "--set", "attendance.b_hunger=-0.2",
                                      "--set", "attendance.b_hunger=-0.3", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "set twice" in result.output


def test_settings_override_each_replicates_posterior_draw():
    spec, posterior = load_trial("place2be_counselling"), load_posterior("bradford")
    drawn = trial_tasks(spec, replicates=3, posterior=posterior)
    both = trial_tasks(spec, replicates=3, posterior=posterior, settings={"attendance.disengagement_days": 60.0,
                                                                         "attendance.b_difficulty": -0.5})
    for a, b in zip(drawn, both, strict=True):
        a, b = dict(a.parameters), dict(b.parameters)
        assert b.pop("attendance.disengagement_days") == 60.0 and b.pop("attendance.b_difficulty") == -0.5
        assert b == {k: v for k, v in a.items() if k != "attendance.b_difficulty"}  # the rest of the draw as it was
    alone = trial_tasks(spec, replicates=2, settings={"attendance.disengagement_days": 60.0})
    assert all(t.parameters == (("attendance.disengagement_days", 60.0),) for t in alone)


def run_with_setting(out, spec: str, name: str, value: str) -> xr.Dataset:
    """A small trial (2 replicates, 4,000 pupils) with one `--set`; its trial.nc, loaded."""
    result = CliRunner().invoke(app, ["trial", spec, "--area", AREA, "--replicates", "2", "--pupils", "4000",
                                      "--workers", "0", "--out", str(out), "--set", f"{name}={value}"])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out / "trials" / spec / "trial.nc") as ds:
        return ds.load()


def test_a_set_route_reaches_the_trial_and_is_recorded(tmp_path):
    """Place2Be's pre-post attendance change is lower with a lingering penalty (same pupils' luck: same seed)."""
    runs = {}
    for days in ("0", "90"):
        ds = run_with_setting(tmp_path / days, "place2be_counselling", "attendance.disengagement_days", days)
        assert json.loads(ds.attrs["settings_json"]) == {"attendance.disengagement_days": float(days)}
        runs[days] = ds["estimate"].sel(outcome="attendance_change").values
    assert np.all(np.isfinite(runs["0"])) and runs["90"].mean() < runs["0"].mean()


def test_an_intervention_setting_reaches_its_arm_and_only_the_pupils_it_names(tmp_path):
    """Magic Breakfast with Years 3+ enrolling at 0.3 of the younger pupils' rate: Year 6's effect falls, Year 2's
    (same enrolment draws) stays within 1% (it moves only through what pupils share: mixed classes, queues)."""
    paired = {ratio: run_with_setting(tmp_path / ratio, "magic_breakfast", "breakfast_club.enrol_ratio_older",
                                      ratio)["paired"] for ratio in ("1", "0.3")}
    ks1, ks2 = ({r: paired[r].sel(outcome=o).values for r in paired} for o in ("ks1_attainment", "ks2_attainment"))
    assert np.allclose(ks1["1"], ks1["0.3"], rtol=0.01) and (ks2["0.3"] < ks2["1"]).all()
