"""Trials as calibration targets: the statistic is `actlocally trial`'s, the trial stage fits the routes end to end."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from actlocally.calibration.abc import calibrate
from actlocally.calibration.posterior import draw, load_posterior, open_posterior
from actlocally.calibration.targets import TARGETS_DIR, Target, TargetsFile, load_targets
from actlocally.calibration.trial import run_trial
from actlocally.calibration.trial_fit import carry_trial_parameters, recarry
from actlocally.calibration.trial_spec import load_trial
from actlocally.calibration.trial_targets import TRIAL_PARAMETERS, TRIAL_SEED, trial_statistics
from actlocally.model.errors import InputError
from actlocally.model.interventions.parameters import known_rows
from actlocally.runtime.executor import Executor

PUPILS = 1500


def one_particle_posterior(values: dict[str, float]) -> xr.Dataset:
    """A posterior of one particle (every draw gives these values)."""
    ds = xr.Dataset({k: ("particle", [v]) for k, v in values.items()} | {"weight": ("particle", [1.0])})
    ds.attrs["parameters"] = " ".join(values)
    return ds


def test_abc_trial_statistic_is_what_actlocally_trial_computes():
    """Same draw, population and replicate: the ABC statistic equals the trial command's paired effect."""
    values = {"learning.breakfast_settled_ks1": 0.5, "attendance.a0": 4.2}
    spec = load_trial("magic_breakfast")
    with Executor(0) as ex:
        ds = run_trial(spec, ex, area="keighley_central", replicates=2, seed=TRIAL_SEED, pupils=PUPILS,
                       posterior=one_particle_posterior(values))
    for r in (0, 1):
        params = draw(one_particle_posterior(values), TRIAL_SEED, r)
        stats = trial_statistics("keighley_central", params, r, PUPILS,
                                 ["trial:magic_breakfast.ks1_attainment", "trial:magic_breakfast.ks2_attainment"])
        assert stats["trial:magic_breakfast.ks1_attainment"] == float(ds["paired"].sel(replicate=r,
                                                                                       outcome="ks1_attainment"))
        assert stats["trial:magic_breakfast.ks2_attainment"] == float(ds["paired"].sel(replicate=r,
                                                                                       outcome="ks2_attainment"))
    assert stats["trial:magic_breakfast.ks1_attainment"] > 0  # the club reaches Year 2 pupils: a real effect


def test_a_pre_post_trial_statistic_is_the_papers_estimate():
    """Place2Be has no counterfactual arm: the statistic is its pre-post estimate, as `actlocally trial` has it."""
    with Executor(0) as ex:
        ds = run_trial(load_trial("place2be_counselling"), ex, area="keighley_central", replicates=1,
                       seed=TRIAL_SEED, pupils=4000)
    stats = trial_statistics("keighley_central", {}, 0, 4000, ["trial:place2be_counselling.attendance_change"])
    np.testing.assert_equal(stats["trial:place2be_counselling.attendance_change"],
                            float(ds["estimate"].sel(replicate=0, outcome="attendance_change")))


def test_bradford_targets_carry_the_trials_with_their_published_values():
    t = load_targets("bradford")
    trials = t.trial_targets()
    assert {"trial:magic_breakfast.ks1_attainment", "trial:nyc_community_schools.chronic_absence",
            "trial:vision_for_baltimore.reading", "trial:breakfast_in_the_classroom.attainment",
            "trial:headstart.absence", "trial:place2be_counselling.persistent_absence_or"} <= set(trials)
    for name, target in trials.items():
        spec, outcome = name.removeprefix("trial:").split(".")
        published = next(o.published for o in load_trial(spec).outcomes if o.name == outcome)
        assert target.value == published and target.sd > 0


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("[trials.headstart.absence]", "[trials.headstart.wellbeing]", "trials.headstart.wellbeing", "no outcome"),
    ("[trials.headstart.absence]", "[trials.head_start.absence]", "trials.head_start.absence", "no shipped trial"),
    ("value = -5.6", "value = -4.0", "trials.nyc_community_schools.chronic_absence", "not the published"),
])
def test_a_bad_trial_target_names_file_and_field(tmp_path, old, new, field, words):
    bad = tmp_path / "t.toml"
    bad.write_text((TARGETS_DIR / "bradford.toml").read_text().replace(old, new))
    with pytest.raises(InputError) as err:
        load_targets(bad)
    assert err.value.field == field and words in str(err.value) and str(err.value.path) == str(bad)


def test_route_parameters_are_known_to_posteriors_and_sweeps():
    rows = known_rows()
    for name in TRIAL_PARAMETERS:
        lo, hi = rows[name].prior
        assert lo < hi and rows[name].source


def tiny_targets() -> TargetsFile:
    observed = load_targets("keighley_central").targets
    target = Target(value=2.0, range=(0.0, 4.0), year="2014/15", source="EEF Magic Breakfast [E2]")
    return TargetsFile(area="keighley_central",
                       targets={k: observed[k] for k in ("attendance_rate", "persistent_absence_rate")},
                       trials={"magic_breakfast": {"ks1_attainment": target}})


def test_a_tiny_calibration_with_trial_targets_runs_end_to_end(tmp_path):
    routes = ("learning.breakfast_settled_ks1", "service_hub.engagement_gain")
    result = calibrate("keighley_central", populations=1, particles=6, seed=3, pupils=600, targets=tiny_targets(),
                       parameters=["attendance.a0"], out_dir=tmp_path, name="kc", predictive_draws=3,
                       trial_stage={"particles": 6, "populations": 2, "trial_pupils": PUPILS, "parameters": routes})
    post = load_posterior(result.path)  # the stored file passes the posterior checks, intervention names included
    assert post.sizes["particle"] == 6 and post.sizes["trial_generation"] == 2
    assert set(post.attrs["parameters"].split()) == {"attendance.a0", *routes}
    assert post.attrs["trial_parameters"].split() == list(routes)
    assert post.attrs["trial_kernel_parameters"] == "learning.breakfast_settled_ks1"  # the hub's: from its prior
    assert np.isclose(post["weight"].sum(), 1.0)
    # the predictive check covers the trial target too, computed on the trial population
    assert "trial:magic_breakfast.ks1_attainment" in list(post["target"].values)
    sims = post["target_simulated"].sel(target="trial:magic_breakfast.ks1_attainment").values
    assert np.all(np.isfinite(sims)) and np.all(sims > 0)
    assert not list(tmp_path.glob(".*"))  # no temporary databases left


def test_other_areas_carry_the_routes_from_the_source_posterior(tmp_path):
    src = one_particle_posterior({"attendance.a0": 4.1, "learning.breakfast_settled_ks1": 0.4})
    src = xr.concat([src, src.assign({"learning.breakfast_settled_ks1": ("particle", [0.6])})], "particle")
    src["weight"] = ("particle", [0.25, 0.75])
    src.attrs.update(parameters="attendance.a0 learning.breakfast_settled_ks1", area="bradford",
                     trial_parameters="learning.breakfast_settled_ks1")
    path = tmp_path / "bradford.nc"
    src.to_netcdf(path, engine="h5netcdf")
    area = one_particle_posterior({"attendance.a0": 4.5})
    area = xr.concat([area] * 400, "particle")
    area["weight"] = ("particle", np.full(400, 1 / 400))
    area.attrs.update(area="holme_wood", parameters="attendance.a0")
    out = carry_trial_parameters(area, seed=2, source=path)
    assert out.attrs["parameters"].split() == ["attendance.a0", "learning.breakfast_settled_ks1"]
    np.testing.assert_array_equal(out["weight"].values, area["weight"].values)  # the area's weights unchanged
    carried = out["learning.breakfast_settled_ks1"].values
    assert set(np.unique(carried)) == {0.4, 0.6} and 0.65 < np.mean(carried == 0.6) < 0.85  # drawn by weight
    assert (out["attendance.a0"].values == 4.5).all()
    out.to_netcdf(tmp_path / "hw.nc", engine="h5netcdf")
    open_posterior(tmp_path / "hw.nc")  # a valid posterior file
    # after the source is re-fitted, the routes are drawn afresh from it (the area's own columns untouched)
    src["learning.breakfast_settled_ks1"] = ("particle", [0.1, 0.2])
    src.to_netcdf(tmp_path / "bradford2.nc", engine="h5netcdf")
    again = recarry(out, Executor(0), draws=0, source=tmp_path / "bradford2.nc")
    assert set(np.unique(again["learning.breakfast_settled_ks1"].values)) == {0.1, 0.2}
    assert again.attrs["parameters"].split() == ["attendance.a0", "learning.breakfast_settled_ks1"]
    np.testing.assert_array_equal(again["attendance.a0"].values, out["attendance.a0"].values)


def test_sensitivity_all_sweeps_every_route_of_a_scenario_with_the_interventions():
    from actlocally.experiments.sensitivity.inputs import select_parameters
    from actlocally.model.interventions.parameters import parameter_rows
    from conftest import small_scenario

    sc = small_scenario(interventions=[{"type": "service_hub", "schools": "all"},
                                       {"type": "breakfast_club", "offer": "universal"},
                                       {"type": "tuition"}, {"type": "parental_engagement"}])
    names = select_parameters("all", rows=parameter_rows(sc.intervention_params))
    assert set(TRIAL_PARAMETERS) <= set(names)


def test_trials_of_one_particle_share_worlds_without_changing_a_number():
    """Several trials in one call share schools and paired worlds: each statistic as if run alone."""
    names = ["trial:magic_breakfast.ks1_attainment", "trial:vision_for_baltimore.reading",
             "trial:nyc_community_schools.chronic_absence"]
    params = {"learning.penalty_vision": 0.3, "service_hub.absence_followup": 0.7}
    together = trial_statistics("keighley_central", params, 4, PUPILS, names)
    for name in names:
        assert trial_statistics("keighley_central", params, 4, PUPILS, [name]) == {name: together[name]}
    assert together["trial:vision_for_baltimore.reading"] > 0


def test_a_hubs_health_service_avoids_illness_absences_and_is_off_by_default(scenario_factory):
    """The NYC route: at 0 the hub run is unchanged; above 0 attendance rises (same luck, illness absences avoided)."""
    from actlocally.model.locality import LocalityModel

    def run(extra: dict) -> LocalityModel:
        sc = scenario_factory(pupils=1200, interventions=[{"type": "service_hub", "schools": "all", **extra}])
        m = LocalityModel(sc, replicate=1)
        m.run()
        return m

    off, zero, on = run({}), run({"illness_absence_avoided": 0.0}), run({"illness_absence_avoided": 0.4})
    assert np.array_equal(off.children.sessions_attended, zero.children.sessions_attended)
    gained = on.children.sessions_attended.astype(int) - off.children.sessions_attended
    assert gained.sum() > 0 and (gained >= 0).mean() > 0.9  # nearly every pupil attends as much or more


def test_trial_routes_are_grouped_so_no_two_kernels_share_a_route():
    from actlocally.calibration.trial_targets import TRIAL_PARAMETERS, route_groups

    groups = route_groups(["vision_for_baltimore", "magic_breakfast", "breakfast_in_the_classroom",
                           "national_tutoring_programme", "eef_small_group_tuition"], TRIAL_PARAMETERS)
    assert groups == [["learning.breakfast_settled_ks1", "learning.breakfast_settled_ks2",
                       "learning.breakfast_climate", "learning.breakfast_climate_ks2_ratio",
                       "breakfast_club.enrol_ratio_older"],
                      ["learning.penalty_vision"],
                      ["tutoring.z_per_hour_primary", "tutoring.z_per_hour_secondary",
                       "tutoring.school_staff_hour_ratio", "tutoring.school_staff_secondary_factor"]]
    assert route_groups(["no_such_trial"], TRIAL_PARAMETERS) == []
    only = route_groups(["magic_breakfast"], ["learning.breakfast_climate"])  # routes outside the fit are left out
    assert only == [["learning.breakfast_climate"]]


def test_a_kernel_per_group_proposes_each_group_near_its_own_particles():
    import pandas as pd
    from actlocally.calibration.smc import _transition

    tr = _transition(["a", "b", "c"], [["a"], ["b"]])  # c: from the prior
    particles = pd.DataFrame({"a": np.full(50, 3.0) + np.linspace(-0.1, 0.1, 50),
                              "b": np.full(50, -3.0) + np.linspace(-0.1, 0.1, 50), "c": np.full(50, 3.0)})
    tr.fit(particles, np.full(50, 1 / 50))
    np.random.seed(1)
    draws = pd.DataFrame([tr.rvs_single() for _ in range(400)])
    assert abs(draws["a"].mean() - 3) < 0.1 and abs(draws["b"].mean() + 3) < 0.1 and abs(draws["c"].mean()) < 0.2
    # the density is the product of the groups' kernel densities and the prior's
    x = pd.Series({"a": 3.0, "b": -3.0, "c": 0.0})
    assert [tuple(k) for k in tr.mapping] == [("a",), ("b",), ("c",)]
    parts = [t.pdf(x[list(k)]) for k, t in tr.mapping.items()]
    assert np.isclose(tr.pdf(x), np.prod(parts)) and parts[0] > 1 and np.isclose(parts[2], 1 / np.sqrt(2 * np.pi))


def test_a_kernel_width_of_one_makes_the_kernel_as_wide_as_the_particles():
    import pandas as pd
    from actlocally.calibration.smc import _transition

    particles = pd.DataFrame({"a": np.linspace(-1, 1, 40), "b": np.linspace(0, 2, 40) ** 2})
    w = np.full(40, 1 / 40)
    wide, default = _transition(["a", "b"], [["a", "b"]], 1.0), _transition(["a", "b"], [["a", "b"]])
    wide.fit(particles, w)
    default.fit(particles, w)
    cov = np.cov(particles.to_numpy().T, aweights=w)
    assert np.allclose(wide.cov, cov, rtol=0.05) and np.all(np.diag(default.cov) < 0.6 * np.diag(cov))
