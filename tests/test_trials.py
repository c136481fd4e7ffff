"""Virtual trials: specs validate (or fail naming file and field), the estimators recover a known effect, an
intervention that reaches nobody has exactly zero paired effect, and `actlocally trial` writes its files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from actlocally.calibration.trial_analysis import ancova, difference_in_means, pre_post_odds_ratio
from actlocally.calibration.trial_run import TrialTask, run_trial_replicate
from actlocally.calibration.trial_spec import TrialSpec, load_trial, trial_names
from actlocally.experiments.cli import app
from actlocally.model.errors import InputError
from typer.testing import CliRunner

GOOD = """
name = "tiny"
title = "A tiny breakfast trial"
source = "test"
area = "keighley_central"
[eligibility]
schools = "phase == 'primary'"
[treatment]
type = "breakfast_club"
[[outcomes]]
name = "ks1"
label = "KS1"
pupils = [2]
measure = "attainment_gain"
scale = "months"
analysis = "ancova"
published = 2.0
"""


def test_every_shipped_spec_validates():
    assert len(trial_names()) >= 6
    for name in trial_names():
        assert isinstance(load_trial(name), TrialSpec)


@pytest.mark.parametrize(("edit", "field"), [
    (("analysis = \"ancova\"", "analysis = \"pre_post\""), "outcomes"),
    (("type = \"breakfast_club\"", "type = \"breakfast_clubs\""), "treatment.type"),
    (("type = \"breakfast_club\"", "type = \"breakfast_club\"\nschools = \"all\""), "treatment.schools"),
    (("published = 2.0", "published = \"2.0\""), "outcomes.0.published"),
    (("pupils = [2]", "pupils = [14]"), "outcomes.0.pupils"),
    (("name = \"tiny\"", "name = \"tiny\"\nyearz = 1"), "yearz"),
])
def test_a_bad_spec_names_file_and_field(tmp_path, edit, field):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*edit, 1))
    with pytest.raises(InputError) as err:
        load_trial(path)
    assert str(path) in str(err.value) and field in str(err.value)


def _clustered(effect: float, rng: np.random.Generator, schools: int = 60, per: int = 40):
    school = np.repeat(np.arange(schools), per)
    treated = np.repeat(rng.permutation(np.arange(schools) < schools // 2), per)
    y0 = rng.normal(size=school.size)
    y = 0.6 * y0 + np.repeat(rng.normal(0, 0.3, schools), per) + effect * treated + rng.normal(0, 0.8, school.size)
    return y, y0, treated, school


def test_estimators_cover_a_known_effect():
    rng = np.random.default_rng(5)
    covered_dim = covered_ancova = 0
    for _ in range(40):
        y, y0, treated, school = _clustered(0.2, rng)
        _, lo, hi = difference_in_means(y, treated, school)
        covered_dim += lo <= 0.2 <= hi
        _, lo, hi = ancova(y, y0, treated, school)
        covered_ancova += lo <= 0.2 <= hi
    assert covered_dim >= 34 and covered_ancova >= 34  # 95% intervals: ~38 of 40 expected


def test_pre_post_odds_ratio_recovers_a_known_ratio():
    rng = np.random.default_rng(3)
    pre = rng.random(20_000) < 0.3
    odds_post = 0.3 / 0.7 * 0.8
    post = rng.random(20_000) < odds_post / (1 + odds_post)
    est, lo, hi = pre_post_odds_ratio(pre, post)
    assert lo <= 0.8 <= hi and abs(est - 0.8) < 0.06


def test_an_intervention_that_reaches_nobody_has_exactly_zero_paired_effect(tmp_path):
    path = tmp_path / "nobody.toml"
    path.write_text(GOOD.replace('type = "breakfast_club"', 'type = "breakfast_club"\np_enrol = 0.0'))
    res = run_trial_replicate(TrialTask(load_trial(path), "keighley_central", 1, 0, 1500))
    assert res["ks1"]["paired"] == 0.0
    assert np.isfinite(res["ks1"]["estimate"])  # the trial analysis still sees allocation noise


def test_trial_command_writes_csv_with_the_published_columns(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(GOOD)
    result = CliRunner().invoke(app, ["trial", str(spec), "--replicates", "2", "--pupils", "1500", "--workers", "0",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "trials" / "tiny" / "trial.csv")
    for col in ("published", "published_lo", "published_hi", "model", "model_lo", "model_hi", "inside"):
        assert col in table.columns
    assert table.loc[0, "published"] == 2.0 and table.loc[0, "replicates"] == 2
    assert (tmp_path / "out" / "trials" / "tiny" / "trial.nc").exists()
    assert (tmp_path / "out" / "trials" / "tiny" / "trial.png").stat().st_size > 1000


def test_a_bad_spec_exits_2_without_a_traceback(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(GOOD.replace("published = 2.0", "published = nan"))
    result = CliRunner().invoke(app, ["trial", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_breakfast_club_effects_can_differ_between_ks1_and_ks2():
    """The settled-morning gain is by key stage (Magic Breakfast: KS1 +2 months, KS2 none), so the paired effects
    of one trial differ between Year 2 and Year 6, and follow the parameters."""
    spec = load_trial("magic_breakfast")
    task = TrialTask(spec, "keighley_central", 1, 0, 3000)
    res = run_trial_replicate(task)
    assert res["ks1_attainment"]["paired"] > res["ks2_attainment"]["paired"] + 0.5
    flipped = run_trial_replicate(TrialTask(spec, "keighley_central", 1, 0, 3000, (
        ("learning.breakfast_settled_ks1", 0.0), ("learning.breakfast_settled_ks2", 0.3))))
    assert flipped["ks2_attainment"]["paired"] > flipped["ks1_attainment"]["paired"] + 0.5


def test_the_class_climate_reaches_ks2_by_its_ratio_and_ks1_not_at_all():
    """`breakfast_climate_ks2_ratio` scales the class-climate gain in Years 3-11 only: with the settled-morning
    gains off, Year 2's paired effect is the same bit for bit at any ratio, while Year 6's rises with the ratio."""
    spec = load_trial("magic_breakfast")
    base = (("learning.breakfast_climate", 0.4), ("learning.breakfast_settled_ks1", 0.0),
            ("learning.breakfast_settled_ks2", 0.0))
    runs = [run_trial_replicate(TrialTask(spec, "keighley_central", 1, 0, 3000,
                                          (*base, ("learning.breakfast_climate_ks2_ratio", r)))) for r in (0.0, 1.0)]
    assert runs[0]["ks1_attainment"]["paired"] == runs[1]["ks1_attainment"]["paired"]
    assert runs[1]["ks2_attainment"]["paired"] > runs[0]["ks2_attainment"]["paired"] + 0.3
    assert runs[0]["ks1_attainment"]["paired"] > runs[0]["ks2_attainment"]["paired"] + 0.3


def test_place2be_pre_post_sees_englands_summer_term():
    """Place2Be compares the term before counselling with the term it ended (often summer): a worse summer term
    (`attendance.season_summer`, FACTS §1a) lowers the pre-post attendance change, the same pupils and luck
    otherwise (common random numbers; referral does not read attendance)."""
    spec = load_trial("place2be_counselling")
    still = (("attendance.b_absent_yesterday", 0.0), ("attendance.b_peer", 0.0))
    flat, worst = (run_trial_replicate(TrialTask(spec, "keighley_central", 1, 0, 4000,
                                                 (*still, ("attendance.season_summer", v))))["attendance_change"]
                   for v in (0.0, -0.4))
    assert flat["n"] == worst["n"] >= 10
    assert worst["estimate"] < flat["estimate"] - 0.3
