"""Re-fitting one group of trial routes: the rest of each particle and the full stage's record kept as stored."""

from __future__ import annotations

import json
import shutil

import numpy as np
import xarray as xr
from actlocally.calibration.posterior import POSTERIORS_DIR, parameter_names
from actlocally.calibration.targets import load_targets
from actlocally.calibration.trial_group_refit import route_group
from actlocally.calibration.trial_record import trial_stage
from actlocally.calibration.trial_run import _scenario, design_values
from actlocally.calibration.trial_spec import load_trial
from actlocally.experiments.cli import app
from actlocally.model.interventions.parameters import split_overrides
from typer.testing import CliRunner

BREAKFAST = ("learning.breakfast_settled_ks1", "learning.breakfast_settled_ks2", "learning.breakfast_climate",
             "learning.breakfast_climate_ks2_ratio", "breakfast_club.enrol_ratio_older")


def test_a_group_is_every_route_its_trials_share_and_every_trial_anchoring_them():
    targets = load_targets("bradford")
    assert route_group(targets, ["breakfast_in_the_classroom"]) == (BREAKFAST, ("magic_breakfast",
                                                                               "breakfast_in_the_classroom"))
    routes, trials = route_group(targets, ["vision_for_baltimore"])
    assert routes == ("learning.penalty_vision",) and trials == ("vision_for_baltimore",)


def test_a_specs_arm_settings_win_over_a_posteriors_draw_of_the_same_field():
    """Breakfast in the classroom's cafeteria arm keeps the enrolment the paper's participation gave it."""
    from actlocally.calibration.trial_run import TrialTask

    spec = load_trial("breakfast_in_the_classroom")
    task = TrialTask(spec, "keighley_central", 1, 0, 800)
    one, two = "Keighley Central primary 1", "Keighley Central primary 2"
    sc = _scenario(task, [one], [two])
    pinned = design_values(spec, sc)
    assert pinned["control.enrol_ratio_older"] == 1.0 and pinned["control.p_enrol"] == 0.52
    _, arms = split_overrides({"breakfast_club.enrol_ratio_older": 0.3, "breakfast_club.p_enrol": 0.2, **pinned},
                              sc.intervention_params)
    control = next(a for a in arms if a.label == "control")
    assert control.enrol_ratio_older == 1.0 and control.p_enrol == 0.52
    paired = _scenario(task, [], [two])  # the paired world: no treatment arm to set
    assert not any(k.startswith("treatment.") for k in design_values(spec, paired))


def test_calibrate_trials_only_refits_one_group_and_keeps_the_rest(tmp_path):
    for suffix in (".nc", ".db"):
        shutil.copy(POSTERIORS_DIR / f"bradford{suffix}", tmp_path / f"bradford{suffix}")
    path = tmp_path / "bradford.nc"
    with xr.open_dataset(path) as ds:
        stored = ds.load()
    before = path.read_bytes()
    res = CliRunner().invoke(app, ["calibrate", "trials", str(path), "--only", "no_such_trial", "--workers", "0"])
    assert res.exit_code == 2 and "no_such_trial" in res.output and "Traceback" not in res.output
    assert path.read_bytes() == before
    res = CliRunner().invoke(app, ["calibrate", "trials", str(path), "--only", "magic_breakfast", "--particles", "5",
                                   "--populations", "1", "--pupils", "800", "--workers", "0", "--draws", "0"])
    assert res.exit_code == 0, res.output
    with xr.open_dataset(path) as out:
        out = out.load()
    assert out.sizes["particle"] == 5 and set(BREAKFAST) <= set(parameter_names(out))
    kept = [n for n in parameter_names(stored) if n not in BREAKFAST]
    table = np.column_stack([stored[n].values for n in kept])
    assert all((table == np.array([out[n].values[i] for n in kept])).all(axis=1).any() for i in range(5))
    assert out.sizes["trial_generation"] == stored.sizes["trial_generation"]
    assert out.attrs["trial_simulations"] == stored.attrs["trial_simulations"]
    assert out.attrs["trial_parameters"] == stored.attrs["trial_parameters"]  # every route already listed
    assert "breakfast_club.enrol_ratio_older" in out.attrs["trial_parameters"].split()
    *earlier, record = json.loads(out.attrs["trial_group_refits_json"])
    assert earlier == json.loads(stored.attrs.get("trial_group_refits_json", "[]"))  # appended, the earlier kept
    assert record["trials"] == ["magic_breakfast", "breakfast_in_the_classroom"] and record["particles"] == 5
    assert (tmp_path / "bradford.magic_breakfast.trials.db").is_file()
    assert "magic_breakfast and breakfast_in_the_classroom re-fitted alone (1 generations x 5" in trial_stage(
        out).describe()


def test_a_refit_stopped_between_generations_keeps_its_seconds_and_resumes(tmp_path):
    """The history's settings file is rewritten after every generation, so a resumed run's record counts the
    seconds spent before the stop (a run stopped early used to leave none)."""
    from actlocally.calibration.trial_group_refit import refit_route_group
    from actlocally.runtime.executor import Executor

    for suffix in (".nc", ".db"):
        shutil.copy(POSTERIORS_DIR / f"bradford{suffix}", tmp_path / f"bradford{suffix}")
    with xr.open_dataset(tmp_path / "bradford.nc") as ds:
        stored = ds.load()

    def stop(g: dict) -> None:
        raise KeyboardInterrupt

    settings = dict(seed=3, particles=5, trial_pupils=800, draws=0, out_dir=tmp_path)
    with Executor(0) as ex:
        try:
            refit_route_group(stored, load_targets("bradford"), ["vision_for_baltimore"], ex, populations=2,
                              on_generation=stop, **settings)
        except KeyboardInterrupt:
            pass
        kept = json.loads((tmp_path / "bradford.vision_for_baltimore.trials.json").read_text())["runtime_s"]
        assert kept > 0
        out = refit_route_group(stored, load_targets("bradford"), ["vision_for_baltimore"], ex, populations=1,
                                resume=True, **settings)
    record = json.loads(out.attrs["trial_group_refits_json"])[-1]
    assert [g["t"] for g in record["generations"]] == [0, 1] and record["runtime_s"] > kept
