"""Budgets and portfolios (NSGA-II over allocations), and `compare --against` (scenario against scenario)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from actlocally.experiments.compare.comparison import plan_comparison, run_comparison
from actlocally.experiments.compare.effects import METRICS, paired_effects
from actlocally.experiments.portfolio.runner import run_portfolio
from actlocally.runtime.executor import Executor
from conftest import small_scenario
from typer.testing import CliRunner

BUDGET = 120_000.0
SETTINGS = dict(interventions=["breakfast_club", "service_hub"], schools="phase == 'primary'",
                objectives=["persistent_absence_pp", "child_difficulty_pp"], replicates=2, seed=5, pupils=300,
                population=4, generations=2, workers=0, posterior="none")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    out = tmp_path_factory.mktemp("pf") / "hw"
    table, written = run_portfolio("holme_wood", BUDGET, out_dir=out, **SETTINGS)
    return table, written, out


def test_portfolio_keeps_to_the_budget_and_has_a_pareto_set(portfolio):
    table, written, out = portfolio
    assert len(table) >= 2
    assert (table["cost_gbp_planned"] <= BUDGET).all() and (table["cost_gbp_planned"] > 0).all()
    assert table["pareto"].any() and table["robust"].any()
    for m in METRICS:  # every headline effect with its 90% interval
        assert (table[f"{m.name}_low_5pct"] <= table[f"{m.name}_mean"] + 1e-9).all()
        assert (table[f"{m.name}_mean"] <= table[f"{m.name}_high_95pct"] + 1e-9).all()
    # a Pareto row is not dominated by any other row on cost and the objectives
    F = np.column_stack([table["cost_gbp_planned"], table["persistent_absence_pp_mean"],
                         table["child_difficulty_pp_mean"]])
    for i in np.flatnonzero(table["pareto"]):
        assert not any(np.all(F[j] <= F[i]) and np.any(F[j] < F[i]) for j in range(len(F)))
    assert pd.read_csv(out / "portfolio.csv").shape == table.shape
    assert {p.name for p in written} >= {"portfolio.csv", "pareto.png", "pareto.svg"}


def test_portfolio_is_reproducible_for_a_seed(portfolio, tmp_path):
    table, _, _ = portfolio
    again, _ = run_portfolio("holme_wood", BUDGET, out_dir=tmp_path / "hw", **SETTINGS)
    pd.testing.assert_frame_equal(table, again)


def test_portfolio_bad_input_exits_2_and_writes_nothing(tmp_path):
    runner = CliRunner()
    for args in (["--budget", "1000", "--interventions", "breakfast_clubs"], ["--budget", "-5"],
                 ["--budget", "1000", "--objective", "happiness"], ["--budget", "1000", "--schools", "roll >= 1e9"]):
        result = runner.invoke(app, ["portfolio", "holme_wood", "--out", "x", "--root", str(tmp_path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["portfolio", "[red]nowhere", "--budget", "1000", "--out", "x",
                                 "--root", str(tmp_path)])
    assert result.exit_code == 2 and "unknown area '[red]nowhere'" in result.output, result.output
    assert not (tmp_path / "x" / "portfolio.csv").exists()


def test_against_is_the_difference_of_the_paired_effects(tmp_path):
    hub = [{"type": "service_hub", "schools": ["Keighley Central primary 1"], "services": ["food_support"]}]
    club = [{"type": "breakfast_club", "schools": "phase == 'primary'"}]
    arms = [small_scenario(name="club", pupils=600, interventions=club),
            small_scenario(name="hub", pupils=600, interventions=hub)]
    plan = plan_comparison([small_scenario(name="base", pupils=600)], arms, name="vs", replicates=3, seed=3)
    with Executor(0) as ex:
        ds = run_comparison(plan, ex, tmp_path / "runs")
    paired = paired_effects(ds)
    result = CliRunner().invoke(app, ["compare", str(_write(tmp_path, plan, arms)), "--replicates", "3", "--seed",
                                      "3", "--pupils", "600", "--workers", "0", "--out", str(tmp_path / "o"),
                                      "--name", "vs", "--posterior", "none", "--against", "hub"])
    assert result.exit_code == 0, result.output
    against = xr.open_dataset(tmp_path / "o" / "vs" / "effects.nc")
    assert list(against["scenario"].values) == ["club"] and str(against["baseline"].values[0]) == "hub"
    for m in METRICS:
        want = (paired[m.name].sel(scenario="club") - paired[m.name].sel(scenario="hub")).values
        np.testing.assert_allclose(against[m.name].sel(scenario="club").values, want, equal_nan=True)
    assert "against hub" in against["persistent_absence_pp"].attrs["long_name"]
    bad = CliRunner().invoke(app, ["compare", str(tmp_path / "cmp.toml"), "--workers", "0", "--out",
                                   str(tmp_path / "o2"), "--against", "nope"])
    assert bad.exit_code == 2 and "--against" in bad.output


def _write(tmp_path, plan, arms):
    """The comparison as files (scenarios and a comparison TOML), as a strategist would write it."""
    import json
    names = []
    for sc in [plan.scenarios["base"], *arms]:
        data = sc.model_dump(exclude_none=True)
        lines = [f"{k} = {json.dumps(v)}" for k, v in data.items() if k not in ("interventions", "parameters")]
        for iv in data.get("interventions", []):
            lines.append("[[interventions]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in iv.items()]
        (tmp_path / f"{sc.name}.toml").write_text("\n".join(lines) + "\n")
        names.append(f"{sc.name}.toml")
    path = tmp_path / "cmp.toml"
    path.write_text(f'name = "vs"\nbaselines = ["{names[0]}"]\nscenarios = {json.dumps(names[1:])}\n'
                    "replicates = 3\nseed = 3\n")
    return path
