"""Per-school effects in comparison.nc, school_effects.csv and a chart: reach and cost land on the right schools."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.experiments.compare.comparison import plan_comparison, run_comparison
from actlocally.experiments.compare.effects import paired_effects
from actlocally.experiments.compare.report import write_comparison_outputs
from actlocally.runtime.executor import Executor
from conftest import small_scenario

SCHOOL = "Keighley Central primary 2"


def test_per_school_effects_reach_and_cost(tmp_path):
    club = [{"type": "breakfast_club", "schools": [SCHOOL], "offer": "universal"}]
    plan = plan_comparison([small_scenario(name="base", pupils=800)],
                           [small_scenario(name="club", pupils=800, interventions=club)],
                           name="s", replicates=3, seed=2)
    with Executor(0) as ex:
        ds = run_comparison(plan, ex, tmp_path)
    table, written = write_comparison_outputs(ds, tmp_path)
    out = xr.open_dataset(tmp_path / "comparison.nc")
    e = out.sel(scenario="club")
    for var in ("school_attendance_pp", "school_persistent_absence_pp", "school_progress_months",
                "school_reached_share", "school_cost_gbp"):
        assert out[var].attrs["units"] and out[var].attrs["long_name"]
    others = [s for s in out["school"].values if s != SCHOOL]
    assert (e["school_reached_share"].sel(school=SCHOOL) > 0.2).all()
    assert (e["school_reached_share"].sel(school=others) == 0).all()
    assert (e["school_cost_gbp"].sel(school=others) == 0).all()
    # a school's cost is the scenario's whole cost here, replicate by replicate
    total = paired_effects(ds)["cost_gbp"].sel(scenario="club", group="all")
    np.testing.assert_allclose(e["school_cost_gbp"].sel(school=SCHOOL).values, total.values, rtol=1e-9)
    assert float(e["school_attendance_pp"].sel(school=SCHOOL).mean()) > 0  # the club's school attends more
    csv = pd.read_csv(tmp_path / "school_effects.csv")
    row = csv[(csv.school == SCHOOL) & (csv.metric == "school_reached_share")].iloc[0]
    assert row["mean"] == pytest.approx(float(e["school_reached_share"].sel(school=SCHOOL).mean()))
    assert {p.name for p in written} >= {"school_effects.csv", "effect_by_school.png"}


def test_school_chart_draws_a_constant_effect(tmp_path):
    """Every replicate equal (a fixed cost): the mean can sit a rounding error above its 95th percentile."""
    from actlocally.experiments.compare.school_effects import SCHOOL_METRICS, school_chart
    shape = (1, 3, 2)  # scenario, replicate, school
    effects = xr.Dataset({m.name: (("scenario", "replicate", "school"), np.full(shape, 0.1)) for m in SCHOOL_METRICS},
                         coords={"scenario": ["a"], "replicate": [0, 1, 2], "school": ["s1", "s2"]})
    assert effects["school_cost_gbp"].mean("replicate").item(0) > np.quantile(np.full(3, 0.1), 0.95)
    assert [p.name for p in school_chart(effects, tmp_path)] == ["effect_by_school.png", "effect_by_school.svg"]
