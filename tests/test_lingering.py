"""A difficulty's attendance penalty that outlasts it (`attendance.disengagement_days`, the Place2Be route)."""

import math

import numpy as np
import pytest
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.attendance import LINGER_FLOOR, attendance_args, linger_decay, lingering_row
from actlocally.model.params import DEFAULTS
from actlocally.model.steady_state import mean_lingering, steady_lingering


def test_the_share_starts_at_one_days_decay_when_a_difficulty_lifts_and_decays_to_zero(scenario_factory):
    model = LocalityModel(scenario_factory(parameters={"attendance.disengagement_days": 20.0}))
    a = attendance_args(model)
    decay = math.exp(-1 / 20)
    assert a.linger and a.linger_decay == pytest.approx(decay)
    share = lingering_row.py_func(a, True, False, np.float32(0.0))  # lifted today
    assert share == np.float32(decay)
    days = 1
    while share > 0:
        share = lingering_row.py_func(a, False, False, share)
        days += 1
        assert share == 0 or share == pytest.approx(decay ** days, rel=1e-5)
    assert days == math.ceil(math.log(LINGER_FLOOR) / math.log(decay))  # dropped below the floor
    assert lingering_row.py_func(a, False, True, np.float32(0.5)) == 0  # a new difficulty takes the whole penalty


def test_off_by_default_and_no_one_carries_a_share():
    assert DEFAULTS["attendance.disengagement_days"] == 0 and linger_decay(0.0) == 0.0
    assert mean_lingering(np.full(3, 0.001), DEFAULTS) is None


def test_lifted_difficulty_keeps_children_away_only_while_it_lingers(scenario_factory):
    """Same draws with and without lingering: only children with a share today miss days they would have attended,
    and only while it lingers (no one is more present with it)."""
    still = {"attendance.b_peer": 0.0, "attendance.b_absent_yesterday": 0.0}  # so days do not couple
    on = LocalityModel(scenario_factory(parameters={**still, "attendance.disengagement_days": 40.0}))
    off = LocalityModel(scenario_factory(parameters=still))
    lost = 0
    for _ in range(60):
        on.step()
        off.step()
        assert np.array_equal(on.children.difficulty, off.children.difficulty)  # wellbeing does not read it
        fewer = off.children.present & ~on.children.present
        assert not (on.children.present & ~off.children.present).any()
        assert not (fewer & (on.children.lingering == 0)).any()
        lost += int(fewer.sum())
    assert lost > 0


def test_the_steady_start_matches_the_flow_of_lifts():
    """Out of difficulty the days since the last lift are geometric in the onset: the drawn shares average to the
    mean the steady state uses."""
    params = DEFAULTS.with_overrides({"attendance.disengagement_days": 30.0})
    onset = np.full(200_000, 0.002)
    u = np.random.default_rng(1).random(onset.size)
    drawn = steady_lingering(onset, np.zeros(onset.size, bool), params, u)
    assert drawn.dtype == np.float32 and drawn.max() < 1
    assert drawn.mean() == pytest.approx(mean_lingering(onset[:1], params)[0], rel=0.05)
    assert not steady_lingering(onset[:3], np.ones(3, bool), params, u[:3]).any()  # in difficulty: the whole penalty
