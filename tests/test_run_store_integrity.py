"""Stored runs are reused only when nothing that determines them changed, and damaged runs are recomputed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import xarray as xr
from actlocally.experiments.compare.comparison import plan_comparison, run_comparison, scenario_slice
from actlocally.model import provenance
from actlocally.model.area import AREAS_DIR
from actlocally.model.provenance import code_digest, parameters_json
from actlocally.model.scenario import Scenario
from actlocally.runtime.executor import Executor
from actlocally.runtime.run_store import DamagedRunError, RunStore

PUPILS = 300


def scenario(name: str, area: str = "keighley_central", **kw) -> Scenario:
    return Scenario.model_validate(dict(name=name, area=area, years=1, seed=3, pupils=PUPILS, **kw)).validate_all()


CLUB = [{"type": "breakfast_club", "schools": "phase == 'primary'", "offer": "universal"}]


def run(plan, folder) -> tuple[xr.Dataset, list[str]]:
    """Run a plan in-process; return the comparison and the reuse messages."""
    said: list[str] = []
    with Executor(0) as ex:
        ds = run_comparison(plan, ex, folder, on_message=said.append)
    return ds, said


def plan_of(base: Scenario, arm: Scenario, replicates: int = 2):
    return plan_comparison([base], [arm], name="t", replicates=replicates, seed=5)


def test_a_changed_parameter_reruns_only_the_runs_it_affects(tmp_path):
    base, arm = scenario("base"), scenario("club", interventions=CLUB)
    first, said = run(plan_of(base, arm), tmp_path)
    assert said == ["0 of 4 runs reused, 4 to run"]
    again, said = run(plan_of(base, arm), tmp_path)
    assert said == ["4 of 4 runs reused, 0 to run"]
    xr.testing.assert_identical(first.drop_attrs(), again.drop_attrs())
    changed = scenario("club", interventions=CLUB, parameters={"hunger.p_hungry_if_insecure": 0.5})
    _, said = run(plan_of(base, changed), tmp_path)
    assert said == ["2 of 4 runs reused, 2 to run (2 stored with other inputs)"]


def test_an_edited_area_file_reruns_every_run_of_that_area(tmp_path):
    area = tmp_path / "area.toml"
    shutil.copy(AREAS_DIR / "keighley_central.toml", area)
    plan = plan_of(scenario("base", area=str(area)), scenario("club", area=str(area), interventions=CLUB))
    first, said = run(plan, tmp_path / "out")
    assert said[0].startswith("0 of 4")
    area.write_text(_set_food_insecurity(area.read_text(), 0.45), encoding="utf-8")
    edited = plan_of(scenario("base", area=str(area)), scenario("club", area=str(area), interventions=CLUB))
    second, said = run(edited, tmp_path / "out")
    assert said == ["0 of 4 runs reused, 4 to run (4 stored with other inputs)"]
    assert not np.array_equal(first["attendance_rate_year"].values, second["attendance_rate_year"].values)


def _set_food_insecurity(text: str, value: float) -> str:
    """The area file with shares.food_insecure_households set to `value` (a share synthesis reads; FSM now
    follows the profile's named schools)."""
    old = "food_insecure_households = { value = 0.20,"
    assert old in text
    return text.replace(old, f"food_insecure_households = {{ value = {value},")


def test_a_changed_default_or_model_code_reruns_the_runs(tmp_path, monkeypatch):
    plan = plan_of(scenario("base"), scenario("club", interventions=CLUB), replicates=1)
    run(plan, tmp_path)
    rows = dict(provenance._params.DEFAULTS.rows)
    row = rows["attendance.b_hunger"]
    rows["attendance.b_hunger"] = row.model_copy(update={"value": (row.value + row.prior[1]) / 2})
    monkeypatch.setattr(provenance._params, "DEFAULTS", type(provenance._params.DEFAULTS)(rows))
    assert run(plan, tmp_path)[1] == ["0 of 2 runs reused, 2 to run (2 stored with other inputs)"]
    monkeypatch.undo()
    assert run(plan, tmp_path)[1][0].startswith("0 of 2")
    monkeypatch.setattr("actlocally.experiments.compare.comparison.code_digest", lambda: "an edited kernel")
    assert run(plan, tmp_path)[1] == ["0 of 2 runs reused, 2 to run (2 stored with other inputs)"]


def test_the_code_digest_follows_every_model_source_file(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(provenance.MODEL_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_digest(copy)
    assert before == code_digest(copy)
    rule = copy / "mechanisms" / "attendance.py"
    rule.write_text(rule.read_text() + "\n# an edit\n")
    assert code_digest(copy) != before


def test_a_damaged_or_swapped_run_is_named_and_recomputed(tmp_path):
    plan = plan_of(scenario("base"), scenario("club", interventions=CLUB), replicates=3)
    clean, _ = run(plan, tmp_path)
    store = tmp_path / "runs.zarr"
    chunk = next(p for p in (store / "base" / "r000001").rglob("*") if p.is_file() and p.name != "zarr.json")
    chunk.unlink()  # a deleted chunk reads back as zeros
    shutil.copy(next(p for p in (store / "club" / "r000000").rglob("*") if p.is_file() and p.name != "zarr.json"),
                next(p for p in (store / "club" / "r000002").rglob("*") if p.is_file() and p.name != "zarr.json"))
    with pytest.raises(DamagedRunError, match="base/r000001"):
        RunStore(store).load("base", [0, 1, 2])
    repaired, said = run(plan, tmp_path)
    assert said == ["4 of 6 runs reused, 2 to run (2 damaged, recomputed: base/r000001, club/r000002)"]
    xr.testing.assert_identical(clean.drop_attrs(), repaired.drop_attrs())


def test_a_run_copied_from_another_replicate_is_not_reused(tmp_path):
    plan = plan_of(scenario("base"), scenario("club", interventions=CLUB), replicates=2)
    clean, _ = run(plan, tmp_path)
    runs = tmp_path / "runs.zarr" / "base"
    shutil.rmtree(runs / "r000001")
    shutil.copytree(runs / "r000000", runs / "r000001")
    repaired, said = run(plan, tmp_path)
    assert said == ["3 of 4 runs reused, 1 to run (1 stored with other inputs)"]
    xr.testing.assert_identical(clean.drop_attrs(), repaired.drop_attrs())


def test_parameters_json_is_the_scenarios_own_and_canonical(tmp_path):
    arm = scenario("club", interventions=CLUB, parameters={"hunger.p_hungry_if_insecure": 0.5})
    ds, _ = run(plan_of(scenario("base"), arm), tmp_path)
    stored = str(ds["parameters_json"].sel(scenario="club").values)
    assert stored == parameters_json(arm)
    assert json.loads(stored)["hunger.p_hungry_if_insecure"] == 0.5


def test_a_label_with_a_comma_or_named_none_costs_the_same(tmp_path):
    arms = [scenario(name, interventions=[dict(CLUB[0], label=label)])
            for name, label in (("plain", "clubs"), ("comma", "clubs, universal"), ("none", "none"))]
    plan = plan_comparison([scenario("base")], arms, name="t", replicates=1, seed=5)
    ds, _ = run(plan, tmp_path)
    for name in ("plain", "comma", "none"):  # the slice keeps the scenario's intervention, whatever its label
        sliced = scenario_slice(ds, name)
        assert sliced.sizes["intervention"] == 1
        assert float(sliced["cost_gbp"].sum()) == float(ds["cost_gbp"].sel(scenario=name).sum()) > 0
    # the same club under another label: only its enrolment draws differ (the label names its random stream)
    costs = [float(scenario_slice(ds, name)["cost_gbp"].sum()) for name in ("plain", "comma", "none")]
    assert max(costs) / min(costs) < 1.2, costs


def test_a_sweep_reuses_intact_samples_and_recomputes_a_damaged_one(tmp_path):
    from actlocally.experiments.sensitivity import sweep as S

    samples = np.random.default_rng(2).uniform(-1.0, 1.0, (32, 3))
    calls: list[int] = []

    def fn(rows: np.ndarray) -> np.ndarray:
        calls.append(len(rows))
        return rows.sum(axis=1) ** 2

    def evaluate(key: str) -> tuple[xr.Dataset, list[str]]:
        said: list[str] = []
        with Executor(0) as ex:
            ds = S.evaluate(samples, lambda rows: (fn, rows), S.evaluate_function, ex,
                            RunStore(tmp_path / "runs.zarr"), key, chunk=8, on_message=said.append)
        return ds, said

    first, said = evaluate("k")
    assert said == ["0 of 4 runs reused, 4 to run"] and len(calls) == 4
    chunk = next(p for p in (tmp_path / "runs.zarr" / S.STORE_GROUP / "r000002").rglob("*")
                 if p.is_file() and p.name != "zarr.json")
    chunk.write_bytes(chunk.read_bytes()[::-1])  # spoiled bytes: unreadable or wrong values, never numbers
    again, said = evaluate("k")
    assert said == [f"3 of 4 runs reused, 1 to run (1 damaged, recomputed: {S.STORE_GROUP}/r000002)"]
    assert len(calls) == 5
    np.testing.assert_array_equal(first["Y"].values, again["Y"].values)
    assert evaluate("another scenario")[1] == ["0 of 4 runs reused, 4 to run (4 stored with other inputs)"]
