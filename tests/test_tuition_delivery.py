"""Tuition's delivery route: the school's own staff, lesson time and sessions not held each give less than a trained
tutor out of lessons for the same booking, by the size the mechanism says; pupils not tutored are exactly unchanged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from actlocally.calibration.trial_spec import load_trial
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.tuition import tuition_args, tuition_gain

PUPILS = 2000
COURSE = {"type": "tuition", "year_groups": [6, 11], "attainment_below_z": 0.5, "sessions": 20,
          "sessions_per_week": 2.0, "group_size": 3}


@pytest.fixture(scope="module")
def runs():
    """One baseline and one run per delivery, all on the same streams (common random numbers)."""
    from conftest import small_scenario

    def run(**delivery) -> LocalityModel:
        return LocalityModel(small_scenario(pupils=PUPILS, interventions=[{**COURSE, **delivery}])).run()

    base = LocalityModel(small_scenario(pupils=PUPILS, interventions=[])).run()
    return {"base": base, "trained": run(), "staff": run(tutor="school_staff"), "lesson": run(in_lesson_time=True),
            "half": run(share_delivered=0.5)}


def gain(runs, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each tutored pupil's attainment against baseline, and who was tutored."""
    m = runs[name]
    reached = m.interventions[0].reached(m)
    return (m.children.attainment_z - runs["base"].children.attainment_z).astype(np.float64), reached


@pytest.mark.parametrize("name", ["trained", "staff", "lesson", "half"])
def test_pupils_not_tutored_are_exactly_unchanged_whatever_the_delivery(runs, name):
    g, reached = gain(runs, name)
    assert reached.sum() > 40
    assert np.array_equal(reached, gain(runs, "trained")[1])  # the same pupils chosen: delivery draws its own lane
    assert (g[~reached] == 0.0).all()


def test_school_staff_give_their_hour_ratio_of_a_trained_tutor(runs):
    trained, reached = gain(runs, "trained")
    staff, _ = gain(runs, "staff")
    ratio = tuition_args(runs["staff"]).school_staff_hour_ratio
    assert 0 < ratio < 1
    assert np.array_equal(runs["staff"].tuition.hours_year, runs["trained"].tuition.hours_year)  # same hours
    np.testing.assert_allclose(staff[reached], ratio * trained[reached], rtol=5e-3, atol=2e-5)  # float32 z


def test_an_hour_in_lesson_time_costs_an_hour_of_class_learning(runs):
    trained, reached = gain(runs, "trained")
    lesson, _ = gain(runs, "lesson")
    hours = runs["lesson"].tuition.hours_year[reached].astype(np.float64)
    lost = (trained[reached] - lesson[reached])[hours > 0]
    assert (lost > 0).all()
    m = runs["lesson"]
    q, a = m.params.group("learning"), tuition_args(m)
    # a day attended less a day missed, at full efficiency, over the hours of a class day
    per_hour = q["z_per_school_year"] / 190 * (1 - q["catch_up_share"]) / a.lesson_hours_per_day
    per_pupil = lost / hours[hours > 0] / per_hour
    assert 0.5 < np.median(per_pupil) <= 1.05  # lowered only by the day's penalties (hunger, difficulty, sight)
    assert lost.mean() < 0.2 * trained[reached][hours > 0].mean()  # displacement is smaller than the tuition gain


def test_sessions_not_held_give_fewer_hours_and_less_gain(runs):
    trained, reached = gain(runs, "trained")
    half, _ = gain(runs, "half")
    full_hours = runs["trained"].tuition.hours_year[reached].sum()
    half_hours = runs["half"].tuition.hours_year[reached].sum()
    assert half_hours == pytest.approx(0.5 * full_hours, rel=0.06)
    assert half[reached].mean() < 0.75 * trained[reached].mean()
    assert runs["half"].interventions[0].annual_cost_gbp(runs["half"]) == pytest.approx(
        0.5 * runs["trained"].interventions[0].annual_cost_gbp(runs["trained"]))  # sessions not held not paid


def test_the_trial_specs_state_their_delivery():
    ntp, eef = load_trial("national_tutoring_programme").treatment, load_trial("eef_small_group_tuition").treatment
    assert (ntp["tutor"], ntp["in_lesson_time"]) == ("school_staff", True) and ntp["share_delivered"] < 1
    assert (eef["tutor"], eef["in_lesson_time"], eef["share_delivered"]) == ("trained", False, 1.0)


def test_a_secondary_schools_own_staff_hour_is_the_primary_ratio_times_the_phase_factor():
    a = SimpleNamespace(z_per_hour_primary=0.03, z_per_hour_secondary=0.015, group_size_exponent=0.3,
                        saturation_hours=30.0, school_staff_hour_ratio=0.4, school_staff_secondary_factor=2.0)
    hours, before, size = np.full(4, 1.0), np.full(4, 5.0), np.full(4, 4.0)
    secondary = np.array([False, False, True, True])
    staff = np.array([False, True, False, True])
    g = tuition_gain(a, hours, before, size, secondary, staff)
    assert g[1] == pytest.approx(0.4 * g[0])  # primary: the ratio alone
    assert g[3] == pytest.approx(0.4 * 2.0 * g[2])  # secondary: the ratio times the factor
    a.school_staff_secondary_factor = 1.0
    assert tuition_gain(a, hours, before, size, secondary, staff)[3] == pytest.approx(0.4 * g[2])
