"""The fused daily passes (`step_day`) give exactly what the `*_row` rules give run in plain Python per agent."""

import numpy as np
import pytest
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.day import MECHANISMS, step_day
from actlocally.model.reference import RULES, ReferenceModel
from actlocally.model.state import ChildArrays, FamilyArrays

ALL_ROUTES = [{"type": "service_hub", "schools": "all", "illness_absence_avoided": 0.3,
               "services": ["talking_therapies", "early_help", "food_support", "youth_service"]},
              {"type": "breakfast_club", "schools": "all"},
              {"type": "mental_health_support_team", "teams": 2, "schools": "all"}]


def assert_same_state(a: LocalityModel, b: LocalityModel) -> None:
    """Every child and family array, the day's counts and every service's queue and stats are equal, bit for bit."""
    for store, fields in (("children", ChildArrays.FIELDS), ("families", FamilyArrays.FIELDS)):
        for name in fields:
            assert np.array_equal(getattr(getattr(a, store), name), getattr(getattr(b, store), name)), (store, name)
    assert np.array_equal(a.hungry_today, b.hungry_today)
    assert np.array_equal(a._class_absence, b._class_absence) and a._mean_absence == b._mean_absence
    assert a.exposure_max == b.exposure_max
    for sa, sb in zip(a.services.services, b.services.services, strict=True):
        assert sa.stats == sb.stats and sa.queue_length == sb.queue_length, sa.name


def test_every_mechanism_has_a_plain_python_rule():
    assert set(MECHANISMS) <= set(RULES)
    assert all(not hasattr(rule, "py_func") for rule in RULES.values())  # the interpreter runs them, not numba


def fused_then_both(sc, warm_days: int, days: int) -> LocalityModel:
    """Step a fused model and a reference from the same start, fused for `warm_days` (so queues fill and support
    starts and ends), then `days` more with the reference running its rules per agent: same state every day."""
    fused, reference = LocalityModel(sc), ReferenceModel(sc)
    reference.step_mechanisms = lambda day: step_day(reference, day)
    for _ in range(warm_days):
        fused.step()
        reference.step()
    del reference.step_mechanisms  # from here on, ReferenceModel's own per-agent day
    for _ in range(days):
        fused.step()
        reference.step()
        assert_same_state(fused, reference)
    return fused


@pytest.mark.parametrize("area", ["holme_wood", "keighley_central"])
def test_fused_day_matches_the_rules_run_per_agent_in_python(scenario_factory, area):
    # hubs, clubs and teams so every referral route and service is exercised
    fused = fused_then_both(scenario_factory(area=area, pupils=1000, interventions=ALL_ROUTES), 60, 6)
    started = {s.category: s.stats["started"] for s in fused.services.services if s.stats["started"]}
    assert {"child_mh", "parent_mh", "family_food", "family_help"} <= set(started)  # the routes were exercised
    assert fused.children.hungry.any() and fused.children.at_breakfast.any()
    if area == "holme_wood":
        assert fused.children.exposure.max() > 1 and "child_youth" in started


def test_reference_matches_across_a_year_boundary(scenario_factory):
    """Year progression, new entrants and interventions' new year in between the compared days."""
    sc = scenario_factory(area="holme_wood", pupils=400, years=2, interventions=ALL_ROUTES)
    fused = fused_then_both(sc, 190 - 3, 6)
    assert fused.today.year == 1


def test_parallel_passes_give_the_same_numbers_as_one_thread(scenario_factory, monkeypatch):
    import numba
    from actlocally.model.mechanisms import day

    ivs = [{"type": "service_hub", "schools": "all", "services": ["talking_therapies", "early_help", "food_support",
                                                                   "youth_service"]},
           {"type": "mental_health_support_team", "teams": 2, "schools": "all"}]
    sc = scenario_factory(area="keighley_central", years=1, interventions=ivs)
    numba.set_num_threads(1)
    serial = LocalityModel(sc).run()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    monkeypatch.setattr(day, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(day, "BLOCKS_PER_THREAD", 7)  # uneven blocks, so packing referrals is exercised
    assert day._blocks(serial.children.n, numba.get_num_threads()) is not None or numba.config.NUMBA_NUM_THREADS < 2
    parallel = LocalityModel(sc).run()
    for store, fields in (("children", ChildArrays.FIELDS), ("families", FamilyArrays.FIELDS)):
        for name in fields:
            a, b = getattr(getattr(parallel, store), name), getattr(getattr(serial, store), name)
            assert np.array_equal(a, b), (store, name)
    assert [s.stats for s in parallel.services.services] == [s.stats for s in serial.services.services]
    assert parallel.children.service_days.sum() > 0  # referrals were made, packed and served


def test_take_block_hands_out_every_block_exactly_once():
    import numba
    from actlocally.model.mechanisms.atomic import take_block
    from numba import njit, prange

    @njit(parallel=True)
    def run_blocks(threads, n_blocks, runs):
        counter = np.empty(1, np.int64)
        counter[0] = 0
        for _ in prange(threads):
            k = take_block(counter)
            while k < n_blocks:
                runs[k] += 1
                k = take_block(counter)

    runs = np.zeros(997, np.int64)
    threads = numba.get_num_threads()
    for _ in range(50):
        run_blocks(threads, runs.size, runs)
    assert np.all(runs == 50)


def test_reference_matches_with_a_lingering_penalty(scenario_factory):
    """With `disengagement_days` the lifted difficulty's share of the penalty is a per-child state: the same
    numbers per agent as fused (it starts at its steady state, so some children carry one from day one)."""
    sc = scenario_factory(area="keighley_central", pupils=800, interventions=ALL_ROUTES,
                          parameters={"attendance.disengagement_days": 30.0})
    fused = fused_then_both(sc, 40, 6)
    assert (fused.children.lingering > 0).sum() > 10


def test_families_the_pass_skips_as_quiet_step_as_the_rules_step_them(scenario_factory):
    """The family pass skips families that cannot change today: with family states drawn so that every mix occurs
    (insecure or not, protected after support or not, depressed or not, onset rates from near 0 to near 1), the
    fused days still equal the rules run per agent (treating a family with an onset as quiet fails here)."""
    sc = scenario_factory(area="holme_wood", pupils=1000, interventions=ALL_ROUTES)
    fused, reference = LocalityModel(sc), ReferenceModel(sc)
    for model in (fused, reference):
        f, draw = model.families, np.random.default_rng(7)
        f.food_insecure[:] = draw.random(f.n) < 0.3
        f.parent_depressed[:] = draw.random(f.n) < 0.3
        f.secure_until[:] = draw.integers(0, 4, f.n)  # protection after support ends on days 0-3
        f.food_onset[:] = np.where(draw.random(f.n) < 0.2, 0.9, f.food_onset)
        f.parent_onset[:] = np.where(draw.random(f.n) < 0.2, 0.9, f.parent_onset)
    for _ in range(5):
        fused.step()
        reference.step()
        assert_same_state(fused, reference)
    f = fused.families
    assert f.food_insecure.any() and not f.food_insecure.all() and f.parent_depressed.any()
