"""The summer break and holiday activities and food (HAF): the loss follows its rule, the baseline's value added
makes up the area's mean loss so mean attainment holds steady, and HAF changes exactly the pupils it feeds."""

from __future__ import annotations

import numpy as np
import pytest
from actlocally.model.area import load_area
from actlocally.model.calendar import DAYS_PER_YEAR, SUMMER_HOLIDAY_WEEKDAYS, TERM_DAYS
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.summer import expected_summer_loss_z, summer_break, summer_loss_z
from actlocally.model.params import DEFAULTS
from actlocally.model.synthesis import synthesise

PUPILS = 1500
HAF = {"type": "holiday_activities_and_food", "p_attend": 0.5}


def run(scenario_factory, years=2, interventions=(), parameters=None) -> LocalityModel:
    sc = scenario_factory(years=years, pupils=PUPILS, interventions=list(interventions))
    return LocalityModel(sc, parameters=parameters or {}).run()


def test_summer_loss_follows_the_rule(scenario_factory):
    """Each child loses loss * (food insecure * (1 - provision) - national share); provision is then cleared."""
    m = LocalityModel(scenario_factory(years=2, pupils=PUPILS))
    m.holiday_provision[::3] = 0.5
    insecure = m.families.food_insecure[m.children.family]
    assert 0 < insecure.mean() < 1
    before = m.children.attainment_z.astype(np.float64)
    provision = m.holiday_provision.astype(np.float64)
    summer_break(m)
    s = DEFAULTS.group("summer")
    expected = -s["loss_food_insecure_z"] * (insecure * (1.0 - provision) - s["national_food_insecure_share"])
    np.testing.assert_allclose(m.children.attainment_z - before, expected, atol=1e-6)
    assert not m.holiday_provision.any()


def test_value_added_makes_up_each_groups_mean_summer_loss():
    """Value added per phase x FSM group rises by exactly the group's mean expected summer loss (the same children,
    drawn from the same seed, with and without a loss)."""
    area = load_area("keighley_central")
    params = DEFAULTS.with_overrides({"summer.loss_food_insecure_z": 0.1})
    with_loss = synthesise(area, params, np.random.default_rng(1), pupils=2000)
    without = synthesise(area, DEFAULTS.with_overrides({"summer.loss_food_insecure_z": 0.0}),
                         np.random.default_rng(1), pupils=2000)
    c = with_loss.children
    loss = summer_loss_z(with_loss.families.food_insecure[c.family].astype(float), params)
    secondary = c.year_group >= 7
    expected = [[loss[(secondary == bool(p)) & (c.fsm == bool(g))].mean() for g in (0, 1)] for p in (0, 1)]
    np.testing.assert_allclose(with_loss.value_added - without.value_added, expected, atol=1e-9)
    assert expected_summer_loss_z(area, params) == pytest.approx(
        0.1 * (area.shares.food_insecure_households.value - 0.15))


def test_a_large_summer_loss_leaves_mean_attainment_steady(scenario_factory):
    """Paired three-year runs, a summer loss of 1 z for every food-insecure child (national share 0, so the area's
    whole loss counts) against none: value added makes up the loss at the synthesised food-insecure share during each
    year, so mean z at each year's end differs only by the loss of the share's own movement since synthesis (not made
    up, it would fall ~0.2 z a summer: Keighley's 20% food-insecure households)."""
    big = {"summer.loss_food_insecure_z": 1.0, "summer.national_food_insecure_share": 0.0}
    none = {"summer.loss_food_insecure_z": 0.0}
    assert expected_summer_loss_z(load_area("keighley_central"), DEFAULTS.with_overrides(big)) == pytest.approx(0.2)
    means, shares = {}, []
    for name, params in (("big", big), ("none", none)):
        m = LocalityModel(scenario_factory(years=3, pupils=PUPILS), parameters=params)
        start = float(m.families.food_insecure[m.children.family].mean())
        means[name] = []
        for day in range(3 * DAYS_PER_YEAR):
            if name == "big" and day % DAYS_PER_YEAR == 0:  # this step opens with the summer break
                shares.append(float(m.families.food_insecure[m.children.family].mean()) - start)
            m.step()
            if m.today.last_of_year:
                means[name].append(float(m.children.attainment_z.mean()))
    diff = np.subtract(means["big"], means["none"])
    unmade = -np.cumsum(shares)  # the loss value added does not expect: the share's movement since synthesis
    assert np.all(np.abs(diff - unmade) < 0.02), (diff, unmade)


def test_haf_feeds_only_the_pupils_it_reaches(scenario_factory):
    """Paired runs: a reached child of a food-insecure family keeps loss * covered share of z; everyone else (not
    reached, or food secure) ends exactly where the baseline leaves them."""
    base = run(scenario_factory, years=1)
    haf = run(scenario_factory, years=1, interventions=[HAF])
    iv = haf.interventions[0]
    reached = iv.reached(haf)
    assert reached.any() and np.all(haf.children.fsm[reached])
    assert reached.mean() == pytest.approx(0.5 * haf.children.fsm.mean(), abs=0.03)
    assert np.array_equal(haf.children.attainment_z[~reached], base.children.attainment_z[~reached])
    gained = haf.children.attainment_z[reached].astype(np.float64) - base.children.attainment_z[reached]
    assert iv.covered_share() == pytest.approx(16 * 0.75 / SUMMER_HOLIDAY_WEEKDAYS)
    full = DEFAULTS["summer.loss_food_insecure_z"] * iv.covered_share()
    fed = np.isclose(gained, full, atol=1e-5)
    assert np.all(fed | np.isclose(gained, 0.0, atol=1e-5))  # food insecure at the summer, or not
    assert 0 < fed.sum() < reached.sum()
    insecure = haf.families.food_insecure[haf.children.family]
    assert fed.sum() > 0.5 * insecure[reached].sum()  # families' food insecurity moves a little over the year


def test_haf_started_mid_year_reaches_and_costs_nothing_until_its_summer(scenario_factory):
    base = run(scenario_factory, years=1)
    haf = run(scenario_factory, years=1, interventions=[{**HAF, "start_day": 100}])
    assert not haf.interventions[0].reached(haf).any()
    assert float(haf.results()["cost_gbp"].sum()) == 0.0
    assert np.array_equal(base.children.attainment_z, haf.children.attainment_z)


def test_haf_costs_a_summers_child_days_each_year(scenario_factory):
    """Each year costs its eligible FSM pupils x p_attend x days offered x p_attend_day x the daily cost,
    pro-rated over its terms by school days."""
    m = LocalityModel(scenario_factory(years=1, pupils=PUPILS, interventions=[HAF]))
    iv = m.interventions[0]
    eligible = int(iv.eligible.sum())
    assert eligible == int(m.children.fsm.sum()) > 0  # schools = "all": every FSM pupil
    m.run()
    p = iv.params
    annual = eligible * p.p_attend * p.days_offered * p.p_attend_day * p.cost_gbp_per_child_day
    cost = m.results()["cost_gbp"].isel(intervention=0).values
    np.testing.assert_allclose(cost, annual * np.array(TERM_DAYS) / DAYS_PER_YEAR, rtol=1e-12)


def test_both_compose_in_the_explorer_and_run_against_the_baseline(tmp_path):
    """The web explorer's form builds both from their registered fields, in one scenario, and runs it."""
    from actlocally.experiments.explorer import results
    from actlocally.experiments.explorer.form import check, intervention_entry, to_toml
    from actlocally.experiments.explorer.runs import Progress, RunSettings, run_scenario

    entries = [intervention_entry("supervised_toothbrushing", {"schools": "phase == 'primary'", "max_year_group": "1"}),
               intervention_entry("holiday_activities_and_food", {"schools": "all", "p_attend": "0.4"})]
    assert entries == [{"type": "supervised_toothbrushing", "schools": "phase == 'primary'", "max_year_group": 1},
                       {"type": "holiday_activities_and_food", "schools": "all", "p_attend": 0.4}]
    data = {"name": "teeth_and_summer", "area": "keighley_central", "pupils": 500, "seed": 3, "interventions": entries}
    checked = check(data)
    assert checked.scenario is not None, checked.message
    folder = run_scenario(checked.scenario, to_toml(data), 1, RunSettings(outputs=tmp_path, workers=0,
                                                                          posterior="none"), Progress())
    f = results.load(folder)
    assert list(f.ds["scenario"].values) == ["baseline_keighley_central", "teeth_and_summer"]
    effect = f.summary.query("scenario == 'teeth_and_summer' and group == 'all'").set_index("metric")["mean"]
    assert effect["cost_gbp"] > 0 and effect["days_attended"] > 0 and effect["months_of_progress"] > 0
