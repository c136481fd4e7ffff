"""Supervised toothbrushing: it reaches the youngest pupils of the chosen schools, cuts their absence by the dental
share of illness absence it avoids, leaves every other pupil exactly as the baseline has them, and costs its formula."""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from actlocally.experiments.brief.sources import interventions_of
from actlocally.model.calendar import DAYS_PER_YEAR, TERM_DAYS
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import SCENARIOS_DIR

PUPILS = 2000
NO_PEERS = {"attendance.b_peer": 0.0}  # a class's absence yesterday would pass a reached pupil's change to classmates
# a large dental share and cut, so the change is measurable on 2,000 pupils: k = 0.5 x 0.4 x 0.8 = 0.16
BIG = {"type": "supervised_toothbrushing", "share_illness_dental": 0.4, "dental_absence_reduction": 0.8}


def paired(scenario_factory, entry, years=1, parameters=NO_PEERS):
    out = []
    for interventions in ([], [entry]):
        sc = scenario_factory(years=years, pupils=PUPILS, interventions=interventions)
        out.append(LocalityModel(sc, parameters=parameters).run())
    return out


def test_it_reaches_reception_to_year_2_of_the_chosen_schools(scenario_factory):
    m = LocalityModel(scenario_factory(pupils=PUPILS, interventions=[{"type": "supervised_toothbrushing"}]))
    iv = m.interventions[0]
    reached = iv.reached(m)
    kids = m.children
    primary = np.isin(kids.school, [s.index for s in m.school_agents if s.phase == "primary"])
    young = primary & (kids.year_group <= 2)
    assert not reached[~young].any()
    assert reached[young].mean() == pytest.approx(0.85, abs=4 * math.sqrt(0.85 * 0.15 / young.sum()))
    shift = -math.log1p(-0.5 * 0.03 * 0.25)  # illness share x dental share x reduction, at the defaults
    np.testing.assert_allclose(m.attendance_shift[reached], shift, rtol=1e-6)
    assert not m.attendance_shift[~reached].any()


def test_reached_pupils_miss_fewer_days_and_no_one_else_changes(scenario_factory):
    base, brush = paired(scenario_factory, BIG)
    reached = brush.interventions[0].reached(brush)
    b, t = base.children, brush.children
    for name in ("sessions_attended", "attainment_z", "difficulty"):
        assert np.array_equal(getattr(b, name)[~reached], getattr(t, name)[~reached]), name
    absent_base = float((b.sessions_possible - b.sessions_attended)[reached].sum())
    absent_brush = float((t.sessions_possible - t.sessions_attended)[reached].sum())
    cut = 1.0 - absent_brush / absent_base
    k = 0.5 * 0.4 * 0.8
    assert absent_base > 500
    # odds of absence x (1 - k): absence falls by about k where it is rare (a little more through shorter spells)
    assert 0.6 * k < cut < 1.5 * k, (cut, k)
    assert np.all(t.attainment_z[reached] >= b.attainment_z[reached] - 1e-6)


def test_pupils_moving_up_leave_it_and_reception_joins(scenario_factory):
    sc = scenario_factory(years=2, pupils=PUPILS, interventions=[{"type": "supervised_toothbrushing"}])
    m = LocalityModel(sc)
    for _ in range(DAYS_PER_YEAR):
        m.step()
    reached = m.interventions[0].reached(m)
    assert reached.any() and np.all(m.children.year_group[reached] <= 2)
    assert not m.attendance_shift[~reached].any()
    assert np.unique(m.attendance_shift[reached]).size == 1


def test_cost_is_pupils_brushing_times_the_unit_cost(scenario_factory):
    m = LocalityModel(scenario_factory(pupils=PUPILS, interventions=[{"type": "supervised_toothbrushing"}])).run()
    iv = m.interventions[0]
    annual = iv.reached(m).sum() * iv.params.cost_gbp_per_child_year
    assert annual > 0
    cost = m.results()["cost_gbp"].isel(intervention=0).values
    np.testing.assert_allclose(cost, annual * np.array(TERM_DAYS) / DAYS_PER_YEAR, rtol=1e-12)


def test_the_brief_lists_the_dental_share_among_its_assumptions():
    """The funder's brief names each intervention's assumptions; the dental share of illness absence is one."""
    entries = tomllib.loads((SCENARIOS_DIR / "keighley_supervised_toothbrushing.toml").read_text())["interventions"]
    (info,) = interventions_of(json.dumps({"interventions": entries}))
    rows = {p.name: p for p in info.params}
    assert rows["share_illness_dental"].assumption and rows["dental_absence_reduction"].assumption
    assert "no figure in FACTS" in rows["share_illness_dental"].source
