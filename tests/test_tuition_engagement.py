"""Tuition and parental engagement: the dose response, size of effect on those reached, nothing for the rest (paired
runs share random streams), and their virtual trials (pupil and household allocation) run end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from actlocally.calibration.trial_spec import load_trial
from actlocally.experiments.cli import app
from actlocally.model.errors import InputError
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.tuition import TuitionArgs, tuition_args, tuition_gain
from actlocally.model.params import DEFAULTS
from typer.testing import CliRunner

PUPILS = 2000
NEW_TRIALS = ("national_tutoring_programme", "eef_small_group_tuition", "parent_attendance_nudges")


def run(scenario_factory, interventions=(), parameters=None) -> LocalityModel:
    return LocalityModel(scenario_factory(pupils=PUPILS, interventions=list(interventions)),
                         parameters=parameters or {}).run()


def year_gain(hours: float, group: float = 3.0, secondary: bool = False) -> float:
    """The dose curve's gain over a year of `hours` one-hour sessions (summed session by session)."""
    a = TuitionArgs(**DEFAULTS.group("tutoring"))
    total, before = 0.0, 0.0
    for _ in range(int(hours)):
        total += float(tuition_gain(a, np.array([1.0]), np.array([before]), np.array([group]),
                                    np.array([secondary]))[0])
        before += 1.0
    return total


def test_more_hours_more_effect_each_hour_worth_less():
    gains = [year_gain(h) for h in (5, 10, 20, 40, 80)]
    assert all(b > a for a, b in zip(gains, gains[1:], strict=False))  # more hours, more effect
    per_hour = [g / h for g, h in zip(gains, (5, 10, 20, 40, 80), strict=True)]
    assert all(b < a for a, b in zip(per_hour, per_hour[1:], strict=False))  # diminishing returns
    s = DEFAULTS["tutoring.saturation_hours"]
    rate = DEFAULTS["tutoring.z_per_hour_primary"] * 3.0 ** -DEFAULTS["tutoring.group_size_exponent"]
    assert year_gain(25) == pytest.approx(rate * s * (1 - np.exp(-25 / s)), rel=1e-9)  # the closed form
    assert year_gain(25, group=1) > year_gain(25, group=3) > year_gain(25, group=6)  # smaller groups gain more
    assert year_gain(25, secondary=True) < year_gain(25)  # EEF: +2 months secondary, +4 primary


def test_a_tutored_pupil_gains_what_the_mechanism_says_and_no_one_else_changes(scenario_factory):
    base = run(scenario_factory)
    ivs = [{"type": "tuition", "year_groups": [6], "attainment_below_z": 0.5, "sessions": 20,
            "sessions_per_week": 2.0, "group_size": 2}]
    tut = run(scenario_factory, ivs)
    iv = tut.interventions[0]
    reached, z, z0 = iv.reached(tut), tut.children.attainment_z, base.children.attainment_z
    assert reached.sum() > 20 and (tut.children.year_group[reached] == 6).all()
    assert np.array_equal(z[~reached], z0[~reached])  # common random numbers: exactly unchanged
    hours = tut.tuition.hours_year[reached].astype(float)
    assert 0.8 * 20 < hours.mean() < 20  # sessions missed when absent are lost
    a = tuition_args(tut)
    expected = a.z_per_hour_primary * 2.0 ** -a.group_size_exponent * a.saturation_hours * (
        1 - np.exp(-hours / a.saturation_hours))
    np.testing.assert_allclose(z[reached] - z0[reached], expected, rtol=2e-3, atol=2e-5)  # float32 attainment
    more = run(scenario_factory, [{**ivs[0], "sessions": 40}])
    assert (more.children.attainment_z[reached] - z0[reached]).mean() > (z[reached] - z0[reached]).mean()


def test_the_rule_picks_year_groups_attainment_and_fsm(scenario_factory):
    m = LocalityModel(scenario_factory(pupils=PUPILS, interventions=[
        {"type": "tuition", "year_groups": [5, 6], "attainment_below_z": -0.3, "fsm_only": True,
         "share_offered": 0.5}]))
    iv, c = m.interventions[0], m.children
    want = np.isin(c.year_group, [5, 6]) & (c.attainment_z < -0.3) & c.fsm
    assert np.array_equal(iv.targeted(m), want)
    assert iv.reached(m).sum() == pytest.approx(0.5 * want.sum(), abs=4 * np.sqrt(want.sum() * 0.25))
    assert not iv.reached(m)[~want].any()


def test_a_course_longer_than_a_year_is_refused(scenario_factory):
    with pytest.raises(InputError, match="sessions"):
        scenario_factory(interventions=[{"type": "tuition", "sessions": 100, "sessions_per_week": 1.0}])


def test_engagement_mailings_cut_persistent_absence_in_reached_families_only(scenario_factory):
    base = run(scenario_factory)
    pe = run(scenario_factory, [{"type": "parental_engagement", "engagement_base_gain": 0.0}])
    iv = pe.interventions[0]
    reached = iv.reached(pe)
    assert reached.mean() > 0.5
    # families not reached keep their engagement exactly (their children may still change through classmates:
    # the attendance mechanism's peer effect)
    untouched = ~iv.family_reached
    assert np.array_equal(pe.families.engagement[untouched], base.families.engagement[untouched])

    def pa(m):
        c = m.children
        return (c.sessions_attended[reached] < 0.9 * c.sessions_possible[reached]).mean()
    assert pa(pe) < 0.95 * pa(base)  # the RCT: -15% relative; the model's share is checked by its trial
    none = run(scenario_factory, [{"type": "parental_engagement", "engagement_base_gain": 0.0,
                                   "engagement_per_mailing": 0.0}])
    assert np.array_equal(none.children.sessions_attended, base.children.sessions_attended)


@pytest.mark.parametrize("name", NEW_TRIALS)
def test_reduced_trial_of_each_new_spec_writes_its_csv(tmp_path, name):
    result = CliRunner().invoke(app, ["trial", name, "--replicates", "2", "--pupils", "2500", "--workers", "0",
                                      "--area", "keighley_central", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "trials" / name / "trial.csv")
    spec = load_trial(name)
    assert list(table["outcome"]) == [o.name for o in spec.outcomes]
    assert np.isfinite(table["model"]).all() and (table["replicates"] == 2).all()
    sign = np.sign(table["published"])  # the paired effect points the published way
    assert (np.sign(table["paired"]) == sign).all()


WITHIN = """
name = "within"
title = "A pupil-level trial"
source = "test"
[allocation]
unit = "pupil"
[treatment]
type = "tuition"
[[outcomes]]
name = "ks2"
label = "KS2"
pupils = [6]
measure = "attainment_gain"
scale = "months"
analysis = "ancova"
published = 1.0
"""


@pytest.mark.parametrize("edit, field", [
    ('type = "breakfast_club"', "allocation.unit"),  # a club is given to schools, not drawn by pupil
    ('type = "tuition"\nshare_offered = 0.3', "treatment.share_offered"),  # the allocation sets it
])
def test_a_within_school_allocation_needs_a_treatment_that_draws_its_recipients(tmp_path, edit, field):
    good, path = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(WITHIN)
    assert load_trial(good).allocation.unit == "pupil"
    path.write_text(WITHIN.replace('type = "tuition"', edit))
    with pytest.raises(InputError) as err:
        load_trial(path)
    assert err.value.field == field and "bad.toml" in str(err.value)


def test_the_explorer_composes_both_from_the_registry(scenario_factory):
    from actlocally.experiments.explorer.form import intervention_entry, intervention_fields

    kinds = {s.name: (s.kind, s.choices) for s in intervention_fields("tuition")}
    assert kinds["year_groups"][0] == "multi" and "11" in kinds["year_groups"][1]
    assert kinds["fsm_only"] == ("select", ("false", "true"))
    tuition = intervention_entry("tuition", {"schools": "all", "year_groups": ("6", "11"), "fsm_only": "true",
                                             "group_size": "4", "sessions": "25"})
    assert tuition == {"type": "tuition", "schools": "all", "fsm_only": True, "group_size": 4}  # defaults left out
    engagement = intervention_entry("parental_engagement", {"schools": "all", "year_groups": ("1", "2"),
                                                            "engagement_per_mailing": "0.1"})
    assert engagement["year_groups"] == [1, 2]
    m = LocalityModel(scenario_factory(pupils=PUPILS, interventions=[tuition, engagement]))  # composed, one run
    assert {iv.name for iv in m.interventions} == {"tuition", "parental_engagement"}
