"""The trial stage as the evidence page and the brief read it: fitted or checked, and the stored fit of each."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.calibration.posterior import POSTERIORS_DIR, load_posterior, parameter_names
from actlocally.calibration.targets import TARGETS_DIR, load_targets
from actlocally.calibration.trial_record import trial_stage
from actlocally.calibration.trial_refit import area_stage, check_same_area_targets
from actlocally.experiments.brief.anchors import find_anchors, how_used
from actlocally.experiments.cli import app
from actlocally.experiments.evidence.build import CHECKED, FITTED, trial_rows
from typer.testing import CliRunner

TARGETS = ["attendance_rate", "trial:magic_breakfast.ks1_attainment", "trial:magic_breakfast.ks2_attainment",
           "trial:place2be_counselling.attendance_change"]


def fitted_posterior(area: str = "bradford") -> xr.Dataset:
    """A posterior as the trial stage leaves it: run record in attributes, predictive draws per target."""
    sims = np.array([np.linspace(0.9, 0.95, 20), np.linspace(1.0, 3.0, 20), np.linspace(1.0, 2.0, 20),
                     np.linspace(-1.0, 1.0, 20)])
    ds = xr.Dataset({"weight": ("particle", [0.5, 0.5]), "attendance.a0": ("particle", [4.0, 4.1]),
                     "target_observed": ("target", [0.93, 2.0, 0.0, 0.028]),
                     "target_low": ("target", [0.92, 0.0, -2.0, -0.13]),
                     "target_high": ("target", [0.94, 4.0, 2.0, 0.19]),
                     "target_fitted": ("target", np.array([1, 1, 1, 0], "i1")),
                     "target_simulated": (("target", "sample"), sims),
                     "trial_effective_sample_size": ("trial_generation", [50.0, 31.5])},
                    coords={"target": TARGETS, "trial_generation": [0, 1]})
    ds.attrs.update(area=area, parameters="attendance.a0", trial_parameters="learning.breakfast_climate",
                    trial_simulations=300, trial_particles=50, trial_pupils=3000)
    return ds


def test_a_fitted_trial_stage_says_which_outcomes_it_fitted_and_how_well():
    stage = trial_stage(fitted_posterior())
    assert stage.how == "fitted" and stage.area == "bradford" and stage.generations == 2
    assert stage.fitted_trials() == {"magic_breakfast"}  # Place2Be only reported
    ks1, ks2 = stage.of("magic_breakfast")
    assert (ks1.outcome, ks1.fitted, ks1.inside) == ("ks1_attainment", True, True)
    assert ks1.model == pytest.approx(2.0) and ks1.model_lo == pytest.approx(np.quantile(np.linspace(1, 3, 20), .05))
    assert ks2.inside is False  # 0 below the simulated 1.05-1.95
    assert "1 of 2 inside" in stage.describe() and "effective sample size 32" in stage.describe()
    assert trial_stage(xr.Dataset(attrs={"parameters": ""})).how == "none"


def test_a_carried_posterior_reads_its_source_trial_stage(tmp_path):
    fitted_posterior().to_netcdf(tmp_path / "bradford.nc", engine="h5netcdf")
    carried = xr.Dataset(attrs={"area": "holme_wood", "source_path": str(tmp_path / "holme_wood.nc"),
                                "trial_stage": "routes carried from bradford's posterior (2026): one weighted draw"})
    stage = trial_stage(carried)
    assert stage.how == "carried" and stage.area == "bradford" and stage.fitted_trials() == {"magic_breakfast"}
    assert how_used("magic_breakfast", stage) == "fitted in calibration (carried from bradford)"
    assert how_used("place2be_counselling", stage) == "checked only"
    assert "could not be read" in trial_stage(carried, posteriors_dir=tmp_path / "nowhere").problem


def test_evidence_rows_mark_fitted_trials_and_show_the_stage_fit():
    stage = trial_stage(fitted_posterior())
    table = pd.DataFrame([{"trial": t, "outcome": o, "label": o, "published": 0.0, "published_lo": -1.0,
                           "published_hi": 1.0, "model": 0.1, "model_lo": -0.2, "model_hi": 0.4, "inside": True,
                           "source": "s"} for t, o in (("magic_breakfast", "ks1_attainment"),
                                                       ("place2be_counselling", "attendance_change"),
                                                       ("headstart", "absence"))])
    rows = trial_rows(table, stage)
    assert list(rows["used"]) == [FITTED, CHECKED, CHECKED]
    assert rows["fit"].iloc[0] == pytest.approx(2.0) and rows["fit"].iloc[1:].isna().all()
    assert set(trial_rows(table)["used"]) == {CHECKED}  # no posterior: nothing was fitted


def test_brief_anchor_says_fitted_and_falls_back_to_the_stored_stage_fit(tmp_path):
    stage = trial_stage(fitted_posterior())
    anchors = find_anchors([("Breakfast club", "breakfast_club")], tmp_path / "comparison", "bradford", stage)
    mb = next(a for a in anchors if a.trial == "magic_breakfast")
    assert mb.fitted == "fitted in calibration" and "trial-stage check" in mb.where
    assert [o.inside for o in mb.outcomes] == [True, False]
    assert mb.outcomes[0].label.startswith("KS1")
    bic = next(a for a in anchors if a.trial == "breakfast_in_the_classroom")
    assert bic.fitted == "checked only" and bic.outcomes == () and bic.where == ""
    plain = find_anchors([("Breakfast club", "breakfast_club")], tmp_path / "comparison", "bradford")
    assert all(a.fitted == "" and a.outcomes == () for a in plain)


def test_area_stage_is_read_back_from_the_stored_history():
    """Every stored particle's area columns are one of the area stage's particles; routes dropped."""
    post = load_posterior("bradford")
    area = area_stage(post, POSTERIORS_DIR / "bradford.db")
    names = parameter_names(area)
    assert not set(names) & set(str(post.attrs["trial_parameters"]).split())
    assert area.sizes["particle"] == int(post.attrs["population_size"])
    assert np.isclose(float(area["weight"].sum()), 1.0) and "trial_simulations" not in area.attrs
    stored = np.column_stack([post[n].values for n in names])
    table = np.column_stack([area[n].values for n in names])
    assert all(np.isclose(table, row).all(axis=1).any() for row in stored)
    changed = load_targets("bradford").model_copy(deep=True)
    changed.targets["attendance_rate"] = changed.targets["attendance_rate"].model_copy(update={"value": 0.5})
    with pytest.raises(ValueError, match="attendance_rate"):
        check_same_area_targets(post, changed)


def _one_trial_targets(path: Path) -> Path:
    """Bradford's targets with one trial target (Vision for Baltimore) after its area targets."""
    text = (TARGETS_DIR / "bradford.toml").read_text()
    area = text.split("\n[trials.")[0]
    trial = "[trials." + text.split("\n[trials.vision_for_baltimore.reading]")[1].split("\n[")[0]
    path.write_text(area + "\n[trials.vision_for_baltimore.reading]" + trial[len("[trials."):] + "\n")
    return path


def test_calibrate_trials_refits_only_the_trial_stage(tmp_path):
    for suffix in (".nc", ".db"):
        shutil.copy(POSTERIORS_DIR / f"bradford{suffix}", tmp_path / f"bradford{suffix}")
    targets = _one_trial_targets(tmp_path / "targets.toml")
    assert list(load_targets(targets).trial_targets()) == ["trial:vision_for_baltimore.reading"]
    res = CliRunner().invoke(app, ["calibrate", "trials", str(tmp_path / "bradford.nc"), "--targets", str(targets),
                                   "--particles", "5", "--populations", "1", "--pupils", "800", "--workers", "0",
                                   "--draws", "0"])
    assert res.exit_code == 0, res.output
    out = xr.open_dataset(tmp_path / "bradford.nc")
    assert out.attrs["trial_kernel_parameters"] == "learning.penalty_vision" and out.sizes["particle"] == 5
    assert out.attrs["trial_particles"] == 5 and out.attrs["trial_pupils"] == 800
    assert int(out.attrs["population_size"]) == int(load_posterior("bradford").attrs["population_size"])
    first = out.load()
    out.close()
    resume = ["calibrate", "trials", str(tmp_path / "bradford.nc"), "--targets", str(targets), "--particles", "5",
              "--populations", "1", "--workers", "0", "--draws", "0", "--resume"]
    res = CliRunner().invoke(app, [*resume, "--pupils", "900"])
    assert res.exit_code == 2 and "other pupils" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, [*resume, "--pupils", "800"])
    assert res.exit_code == 0, res.output
    with xr.open_dataset(tmp_path / "bradford.nc") as cont:
        assert list(cont["trial_generation"].values) == [0, 1]
        assert float(cont["trial_epsilon"][1]) <= float(first["trial_epsilon"][0])
        assert cont.attrs["trial_simulations"] > first.attrs["trial_simulations"]
    meta = tmp_path / "bradford.trials.json"
    kept = meta.read_text()
    meta.write_text(kept.replace('"scales"', '"scale"'))
    res = CliRunner().invoke(app, [*resume, "--pupils", "800"])
    assert res.exit_code == 2 and "not a trial stage's settings" in res.output and "Traceback" not in res.output
    meta.write_text(kept)
    (tmp_path / "bradford.trials.db").write_bytes(b"not a database")
    res = CliRunner().invoke(app, [*resume, "--pupils", "800"])
    assert res.exit_code == 2 and "not a readable pyabc history" in res.output and "Traceback" not in res.output
    (tmp_path / "bradford.trials.db").unlink()
    res = CliRunner().invoke(app, [*resume, "--pupils", "800"])
    assert res.exit_code == 2 and "no kept trial-stage history" in res.output
    bad = tmp_path / "bad.toml"
    bad.write_text(targets.read_text().replace("value = 0.916", "value = 0.92", 1))
    res = CliRunner().invoke(app, ["calibrate", "trials", str(tmp_path / "bradford.nc"), "--targets", str(bad),
                                   "--workers", "0"])
    assert res.exit_code == 2 and "area targets changed" in res.output and "Traceback" not in res.output
