"""Comparisons: common random numbers pair runs, a no-op has exactly zero effect, tables match the NetCDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from actlocally.experiments.compare.comparison import RunSpec, plan_comparison, run_comparison, simulate
from actlocally.experiments.compare.effects import METRICS, paired_effects
from actlocally.runtime.executor import Executor
from conftest import small_scenario
from typer.testing import CliRunner

runner = CliRunner()
BREAKFAST = [{"type": "breakfast_club", "schools": "phase == 'primary'", "offer": "universal"}]


def small_plan(arms, replicates=4, pupils=1000, name="t"):
    base = small_scenario(name="base", pupils=pupils)
    return plan_comparison([base], arms, name=name, replicates=replicates, seed=11)


def test_common_random_numbers_shrink_the_spread_of_differences(tmp_path):
    """Paired (same streams) differences vary far less than unpaired ones (baseline on other streams)."""
    arm = small_scenario(name="breakfast", pupils=1000, interventions=BREAKFAST)
    plan = small_plan([arm], replicates=8)
    with Executor(0) as ex:
        ds = run_comparison(plan, ex, tmp_path)
    att = ds["attendance_rate_year"].isel(year=-1).sel(group="all")
    paired = (att.sel(scenario="breakfast") - att.sel(scenario="base")).values
    other = np.array([simulate(RunSpec(plan.scenarios["base"], 9999, r, None))["attendance_rate_year"]
                      .isel(year=-1).sel(group="all").item() for r in range(8)])
    unpaired = att.sel(scenario="breakfast").values - other
    ratio = np.var(unpaired, ddof=1) / np.var(paired, ddof=1)
    print(f"variance reduction {ratio:.0f}x")
    assert ratio > 20, f"variance reduction only {ratio:.1f}x"
    assert paired.mean() > 0  # a universal breakfast club raises attendance a little


def test_an_intervention_that_touches_nobody_has_exactly_zero_effect(tmp_path):
    nobody = small_scenario(name="nobody", pupils=1000, interventions=[
        {"type": "glasses_in_classes", "schools": "disadvantaged_share >= 2"}])
    with Executor(0) as ex:
        ds = run_comparison(small_plan([nobody], replicates=2), ex, tmp_path)
    effects = paired_effects(ds)
    for m in METRICS:
        values = effects[m.name].sel(group="all").values
        assert np.all(values == 0.0), (m.name, values)


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    arm = small_scenario(name="breakfast", pupils=600, interventions=BREAKFAST)
    plan = small_plan([arm], replicates=3, pupils=600)
    results = {}
    for workers in (0, 1, 2, 4):
        with Executor(workers) as ex:
            assert ex.n_workers == max(workers, 1)
            ds = run_comparison(plan, ex, tmp_path / f"w{workers}")
        results[workers] = ds.drop_attrs()
    for workers in (1, 2, 4):
        xr.testing.assert_identical(results[0], results[workers])


GOOD = """
name = "small_cmp"
baselines = ["base.toml"]
scenarios = ["club.toml"]
replicates = 3
seed = 5
"""
SCENARIO = """
name = "{name}"
area = "keighley_central"
pupils = 700
{extra}
"""


def write_files(tmp_path, comparison=GOOD, club_extra=None):
    (tmp_path / "base.toml").write_text(SCENARIO.format(name="base", extra=""))
    club = club_extra if club_extra is not None else "[[interventions]]\ntype = 'breakfast_club'\noffer = 'universal'"
    (tmp_path / "club.toml").write_text(SCENARIO.format(name="club", extra=club))
    path = tmp_path / "cmp.toml"
    path.write_text(comparison)
    return path


def test_cli_table_and_csv_match_the_netcdf(tmp_path):
    path = write_files(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["compare", str(path), "--workers", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    folder = out / "small_cmp"
    for name in ("comparison.nc", "effects.nc", "summary.csv", "outcomes_by_term.png", "outcomes_by_term.svg",
                 "effect_by_group.png", "waiting_lists.svg"):
        assert (folder / name).stat().st_size > 0, name
    ds = xr.open_dataset(folder / "comparison.nc").load()
    csv = pd.read_csv(folder / "summary.csv")
    assert ds.sizes["scenario"] == 2 and ds.sizes["replicate"] == 3
    # recompute two headline numbers straight from the NetCDF, independently of the effects code
    year = ds.isel(year=-1).sel(group="all")
    d_att = (year["attendance_rate_year"].sel(scenario="club") - year["attendance_rate_year"].sel(scenario="base"))
    days = 190 * d_att.values
    pupils = ds["pupils"].isel(term=-1).sel(group="all", scenario="club").values / ds["population_scale"].sel(
        scenario="club").item()
    d_pa = (year["persistent_absence_rate_year"].sel(scenario="club")
            - year["persistent_absence_rate_year"].sel(scenario="base")).values
    cost = ds["cost_gbp"].sel(scenario="club").sum(["term", "intervention"]).values / ds["population_scale"].sel(
        scenario="club").item()

    def row(metric):
        return csv[(csv.scenario == "club") & (csv.group == "all") & (csv.metric == metric)].iloc[0]

    assert row("days_attended")["mean"] == pytest.approx(days.mean(), rel=1e-12)
    assert row("days_attended")["low_5pct"] == pytest.approx(np.quantile(days, 0.05), rel=1e-12)
    assert row("persistent_absence_pp")["mean"] == pytest.approx(100 * d_pa.mean(), rel=1e-12, abs=1e-12)
    assert row("pupils_out_of_persistent_absence")["mean"] == pytest.approx((-d_pa * pupils).mean(), abs=1e-9)
    assert row("cost_gbp")["mean"] == pytest.approx(cost.mean(), rel=1e-12)
    assert f"{days.mean():+,.2f}" in res.output  # the terminal table shows the same number
    effects = xr.open_dataset(folder / "effects.nc")
    assert float(effects["days_attended"].sel(scenario="club", group="all").mean()) == pytest.approx(days.mean())


def test_the_two_scenario_form_and_path_safe_names(tmp_path):
    write_files(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["compare", str(tmp_path / "base.toml"), str(tmp_path / "club.toml"), "--replicates",
                              "2", "--workers", "0", "--out", str(out), "--name", "../escape"])
    assert res.exit_code == 2
    assert "'name'" in res.output and "no '/', '..'" in res.output
    assert not out.exists() and not (tmp_path / "escape").exists()
    res = runner.invoke(app, ["compare", str(tmp_path / "base.toml"), str(tmp_path / "club.toml"), "--replicates",
                              "2", "--workers", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "club_vs_base" / "comparison.nc").exists()
    assert {p.name for p in out.iterdir()} == {"club_vs_base"}


@pytest.mark.parametrize(("comparison", "club", "field", "words"), [
    (GOOD.replace("replicates", "replicate"), None, "replicate", "unknown field"),
    (GOOD.replace("../", "").replace('name = "small_cmp"', 'name = "../up"'), None, "name", "should match pattern"),
    (GOOD.replace('"club.toml"', '"nowhere"'), None, "scenarios[0]", "no scenario 'nowhere'"),
    (GOOD.replace('["base.toml"]', '["base.toml", "club.toml"]').replace('["club.toml"]', '["base.toml"]'), None,
     "baselines[1]", "two baselines for area"),
    (GOOD.replace("replicates = 3", "replicates = -1"), None, "replicates", "greater than or equal to 1"),
    (GOOD, "years = 2", "scenarios[0]", "paired runs need the same years"),
    (GOOD, "area = 'holme_wood'", "scenarios[0]", "no baseline for area 'holme_wood'"),
])
def test_bad_comparison_files_are_rejected_with_one_clear_message(tmp_path, comparison, club, field, words):
    if club and club.startswith("area"):
        (tmp_path / "club.toml").write_text("name = 'club'\narea = 'holme_wood'\npupils = 700\n")
        path = write_files(tmp_path, comparison, club_extra="")
        (tmp_path / "club.toml").write_text("name = 'club'\narea = 'holme_wood'\npupils = 700\n")
    else:
        path = write_files(tmp_path, comparison, club_extra=club)
    out = tmp_path / "out"
    res = runner.invoke(app, ["compare", str(path), "--workers", "0", "--out", str(out)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert f"field '{field}'" in text and words in text, text
    assert "cmp.toml" in text
    assert not out.exists()


def test_a_finished_run_frees_its_model():
    """Workers run thousands of models: none may stay reachable (Mesa < 3.4 kept every model, mesa#3179)."""
    import gc
    import weakref

    from actlocally.model.locality import LocalityModel

    model = LocalityModel(small_scenario(pupils=300), seed=1)
    model.step()
    ref = weakref.ref(model)
    model.release()
    del model
    gc.collect()
    assert ref() is None
