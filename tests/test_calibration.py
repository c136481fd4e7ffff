"""Calibration: targets are checked, ABC-SMC recovers known parameters, posteriors feed paired comparisons."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from actlocally.calibration.abc import calibrate, prior_ranges, run_statistics
from actlocally.calibration.posterior import draw, load_posterior
from actlocally.calibration.summary import weighted_quantile
from actlocally.calibration.targets import TARGETS_DIR, Target, TargetsFile, load_targets
from actlocally.experiments.compare.comparison import attach_posteriors, plan_comparison, run_comparison
from actlocally.model.area import load_area
from actlocally.model.errors import InputError
from actlocally.model.scenario import load_scenario
from actlocally.runtime.executor import Executor
from conftest import small_scenario

AREAS = ("bradford", "keighley_central", "holme_wood", "manningham_girlington")


@pytest.mark.parametrize("area", AREAS)
def test_targets_match_the_area_profile_and_the_model_can_produce_them(area):
    targets = load_targets(area)
    observed = load_area(area).observed
    for name, t in targets.targets.items():
        assert t.value == getattr(observed, name).value, name
        assert t.sd > 0 and t.year
    assert {"attendance_rate", "persistent_absence_rate", "persistent_absence_rate_disadvantaged",
            "severe_absence_rate", "ks2_expected_disadvantaged", "ks2_expected_other",
            "probable_disorder_share"} <= set(targets.targets)


def test_targets_the_model_cannot_produce_are_rejected(tmp_path):
    text = (TARGETS_DIR / "holme_wood.toml").read_text()
    bad = tmp_path / "t.toml"
    bad.write_text(text.replace("[targets.severe_absence_rate]", "[targets.happiness_index]"))
    with pytest.raises(InputError) as err:
        load_targets(bad)
    assert err.value.field == "targets.happiness_index" and "cannot produce" in str(err.value)
    assert "severe_absence_rate" in str(err.value)  # says what is allowed
    bad.write_text(text.replace("range = [0.89, 0.925]", ""))
    with pytest.raises(InputError, match="exactly one of `se` or `range`"):
        load_targets(bad)


TRUE = {"attendance.a0": 4.0, "attendance.b_fsm": -0.9}


def synthetic_targets(pupils: int, runs: int = 6) -> TargetsFile:
    """Targets simulated at known parameters: the mean of a few runs, with their spread as the standard error."""
    names = ["attendance_rate", "persistent_absence_rate", "persistent_absence_rate_disadvantaged",
             "persistent_absence_rate_other"]
    sc = load_scenario("baseline_holme_wood")
    sims = [run_statistics(sc, TRUE, 500 + r, pupils, names) for r in range(runs)]
    return TargetsFile(area="holme_wood", targets={
        n: Target(value=float(np.mean([s[n] for s in sims])), se=float(np.std([s[n] for s in sims]) + 1e-3),
                  year="synthetic", estimate=True, reason="simulated at known parameters") for n in names})


def interval(post: xr.Dataset, name: str, q=(0.05, 0.95)) -> tuple[float, float]:
    lo, hi = weighted_quantile(post[name].values, post["weight"].values, q)
    return float(lo), float(hi)


def recover(tmp_path, pupils, populations, particles, predictive_draws=0):
    targets = synthetic_targets(pupils)
    result = calibrate("holme_wood", populations=populations, particles=particles, seed=5, pupils=pupils,
                       targets=targets, parameters=list(TRUE), out_dir=tmp_path, predictive_draws=predictive_draws)
    post = result.posterior
    for name, value in TRUE.items():
        lo, hi = interval(post, name)
        assert lo <= value <= hi, (name, value, lo, hi)
        prior = post[name].attrs["prior_high"] - post[name].attrs["prior_low"]
        assert hi - lo < 0.8 * prior, f"{name}: the posterior is not narrower than the prior"
    return result


def test_abc_recovers_known_parameters_small(tmp_path):
    result = recover(tmp_path, pupils=800, populations=3, particles=40, predictive_draws=6)
    assert result.path.exists() and result.db_path.exists()
    assert not list(tmp_path.glob(".*"))  # no temporary files left
    post = xr.open_dataset(result.path)
    assert post.sizes["particle"] == 40 and post.sizes["generation"] == 3
    assert np.isclose(float(post["weight"].sum()), 1.0)
    assert [k for k in post.variables if not {"units", "long_name"} <= set(post[k].attrs)] == []
    for key in ("seed", "pyabc_version", "actlocally_version", "targets_json", "prior_json", "runtime_s", "method"):
        assert key in post.attrs
    # the predictive check travels with the posterior: every synthetic target is reproduced
    assert post.sizes["sample"] == 6 and set(post["target"].values) == set(post.attrs["targets_json"].split('"')) & \
        set(post["target"].values)
    inside = (post["target_simulated"].quantile(0.05, "sample") <= post["target_observed"]) & (
        post["target_observed"] <= post["target_simulated"].quantile(0.95, "sample"))
    assert int(inside.sum()) >= 3


@pytest.mark.slow
def test_abc_recovers_known_parameters_large(tmp_path):
    recover(tmp_path, pupils=2000, populations=5, particles=150)


def test_same_seed_same_posterior_in_process(tmp_path):
    targets = synthetic_targets(600, runs=3)
    runs = [calibrate("holme_wood", populations=2, particles=12, seed=9, pupils=600, targets=targets,
                      parameters=["attendance.a0"], out_dir=tmp_path / str(i), predictive_draws=0).posterior
            for i in range(2)]
    np.testing.assert_array_equal(runs[0]["attendance.a0"].values, runs[1]["attendance.a0"].values)
    np.testing.assert_array_equal(runs[0]["weight"].values, runs[1]["weight"].values)


def test_comparisons_draw_one_parameter_set_per_replicate_shared_by_scenarios(tmp_path):
    targets = synthetic_targets(600, runs=3).model_copy(update={"area": "keighley_central"})
    post_path = calibrate("keighley_central", populations=1, particles=10, seed=2, pupils=600, targets=targets,
                          parameters=["attendance.a0"], out_dir=tmp_path, name="kc", predictive_draws=0).path
    post = load_posterior(post_path)
    assert draw(post, 3, 1) == draw(post, 3, 1)
    base = small_scenario(name="base", pupils=600)
    arm = small_scenario(name="club", pupils=600, interventions=[{"type": "breakfast_club", "offer": "universal"}])
    plan = attach_posteriors(plan_comparison([base], [arm], name="p", replicates=4, seed=3), str(post_path))
    with Executor(0) as ex:
        ds = run_comparison(plan, ex, tmp_path / "cmp")
    drawn = ds["posterior_draw"].sel(parameter="attendance.a0")
    np.testing.assert_array_equal(drawn.sel(scenario="base").values, drawn.sel(scenario="club").values)
    assert drawn.sel(scenario="base").values.tolist() == [draw(post, 3, r)["attendance.a0"] for r in range(4)]
    assert str(ds["posterior"].sel(scenario="club").values).startswith("keighley_central:")


def test_screen_ranks_what_moves_the_targets_and_gives_unread_parameters_zero():
    from actlocally.calibration.screen import screen, select_moved

    ranges = {n: r for n, r in prior_ranges().items()
              if n in ("attendance.a0", "attendance.b_fsm", "learning.penalty_hunger")}
    sds = {"attendance_rate": 0.01, "persistent_absence_rate": 0.02}
    with Executor(0) as ex:
        out = screen(load_scenario("baseline_holme_wood"), sds, ranges, ex, trajectories=3, seed=4, pupils=600)
    score = out["score"].to_series()
    assert out.attrs["runs"] == 3 * 4
    # learning is read after attendance and never feeds back: with one replicate per trajectory its effect is 0
    assert score["learning.penalty_hunger"] == 0.0
    assert score["attendance.a0"] > score["attendance.b_fsm"] > 0
    assert select_moved(score, max_moved=1) == ["attendance.a0"]
    assert "learning.penalty_hunger" not in select_moved(score, max_moved=3)


def test_prior_transition_density_is_the_prior_whatever_the_particles():
    import pandas as pd
    from actlocally.calibration.screen import PriorTransition
    from scipy import stats

    tr = PriorTransition()
    tr.fit(pd.DataFrame({"a": [5.0, 5.1], "b": [-3.0, -3.2]}), np.array([0.5, 0.5]))
    x = {"a": 0.3, "b": -1.2}
    expected = stats.norm.pdf(0.3) * stats.norm.pdf(-1.2)
    assert np.isclose(tr.pdf(x), expected) and np.isclose(tr.pdf(pd.Series(x)), expected)
    assert np.allclose(tr.pdf(pd.DataFrame([x, x])), [expected, expected])
    np.random.seed(0)
    draws = pd.DataFrame([tr.rvs_single() for _ in range(2000)])
    assert abs(draws["a"].mean()) < 0.1 and abs(draws["b"].std() - 1) < 0.1  # not centred on the particles


def test_parameters_the_kernel_does_not_move_stay_in_the_posterior_with_their_prior_spread(tmp_path):
    targets = synthetic_targets(600, runs=3)
    seen: list[dict] = []
    post = calibrate("holme_wood", populations=2, particles=30, seed=3, pupils=600, targets=targets,
                     parameters=["attendance.a0", "learning.penalty_hunger"], max_moved=1, screen_trajectories=2,
                     out_dir=tmp_path, predictive_draws=0, on_generation=seen.append).posterior
    # progress came from pyabc's History as each generation was stored: the same figures the posterior keeps
    assert [g["t"] for g in seen] == [0, 1]
    np.testing.assert_allclose([g["epsilon"] for g in seen], post["epsilon"].values)
    assert [g["samples"] for g in seen] == post["samples"].values.tolist()
    # the screen saw that only attendance.a0 moves these (attendance) targets, and the kernel moved only it
    assert post.attrs["kernel_parameters"] == "attendance.a0" and post.attrs["screen_runs"] == 2 * 3
    assert float(post["screen_score"].sel(screen_parameter="learning.penalty_hunger")) == 0.0

    # the diagnostics page says which parameters the kernel moved, with the screen and ESS by generation
    from actlocally.calibration.report import write_report

    with Executor(0) as ex:
        page, table = write_report(post, targets, tmp_path / "report", ex, draws=5)
    html = page.read_text()
    assert "Which parameters the kernel moved" in html and "learning.penalty_hunger" in html
    assert "effective sample size" in html and f"{post['effective_sample_size'].values[-1]:.0f}</td>" in html
    assert {p.name for p in (tmp_path / "report").iterdir()} >= {"marginals.png", "pairs.png", "generations.png",
                                                                  "predictive.png", "predictive.csv", "report.html"}
    assert len(table) == len(targets.targets) and table["inside_90pct"].dtype == bool
    lo, hi = post["learning.penalty_hunger"].attrs["prior_low"], post["learning.penalty_hunger"].attrs["prior_high"]
    x = post["learning.penalty_hunger"].values
    assert lo <= x.min() and x.max() <= hi and np.ptp(x) > 0.5 * (hi - lo)
    assert (post["effective_sample_size"].values > 5).all()
