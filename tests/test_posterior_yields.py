"""A scenario's own settings win over a posterior's draw of the same parameter (`scenario_draw`)."""

from __future__ import annotations

from actlocally.calibration.posterior import draw, load_posterior, scenario_draw
from actlocally.experiments.compare.comparison import _draw
from actlocally.model.interventions.parameters import yield_to_scenario
from actlocally.model.locality import LocalityModel

CLUBS = [{"type": "breakfast_club", "label": "club_a", "schools": "phase == 'primary'", "enrol_ratio_older": 0.9},
         {"type": "breakfast_club", "label": "club_b", "schools": "phase == 'secondary'"}]


def test_explicit_fields_and_parameters_are_left_out_of_the_draw(scenario_factory):
    sc = scenario_factory(interventions=CLUBS, parameters={"learning.penalty_hunger": 0.2})
    drawn = {"breakfast_club.enrol_ratio_older": 0.4, "learning.penalty_hunger": 0.3,
             "service_hub.engagement_gain": 0.1, "attendance.a0": 4.5}
    kept = yield_to_scenario(drawn, sc.parameters, sc.intervention_params)
    # club_a writes its ratio: the draw reaches club_b alone, by its label; the scenario's [parameters] win
    assert kept == {"club_b.enrol_ratio_older": 0.4, "service_hub.engagement_gain": 0.1, "attendance.a0": 4.5}
    # nothing set by the scenario: the draw is passed whole
    plain = scenario_factory(interventions=[{**CLUBS[1], "label": None}])
    assert yield_to_scenario(drawn, plain.parameters, plain.intervention_params) == drawn
    # a field set by label in [parameters] counts as the scenario's own too
    unset = {k: v for k, v in CLUBS[0].items() if k != "enrol_ratio_older"}
    by_label = scenario_factory(interventions=[unset, CLUBS[1]], parameters={"club_b.enrol_ratio_older": 0.7})
    kept = yield_to_scenario(drawn, by_label.parameters, by_label.intervention_params)
    assert kept["club_a.enrol_ratio_older"] == 0.4 and "club_b.enrol_ratio_older" not in kept


def test_a_run_on_the_stored_posterior_keeps_the_scenario_s_ratio(scenario_factory):
    post = load_posterior("keighley_central")
    sc = scenario_factory(interventions=CLUBS)
    params = scenario_draw(post, 7, 0, sc)
    assert draw(post, 7, 0)["breakfast_club.enrol_ratio_older"] < 0.9  # the fitted value differs from the setting
    model = LocalityModel(sc, parameters=params)
    ratios = {iv.label: iv.params.enrol_ratio_older for iv in model.interventions}
    assert ratios["club_a"] == 0.9
    assert ratios["club_b"] == draw(post, 7, 0)["breakfast_club.enrol_ratio_older"]
    # a comparison's replicate gets the same parameters (and so a run key that changes with the scenario's value)
    assert dict(_draw(post, 7, 0, sc)) == params
