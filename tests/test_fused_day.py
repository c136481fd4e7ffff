"""The fused daily passes (`step_day`) give exactly what running `MECHANISMS` one after another gives."""

import numpy as np
import pytest
from actlocally.model import locality
from actlocally.model.locality import MECHANISMS, LocalityModel
from actlocally.model.state import ChildArrays, FamilyArrays


def sequential_day(model: LocalityModel, day: int) -> None:
    """The reference: each mechanism over all rows, in order."""
    for mechanism in MECHANISMS:
        mechanism(model, day)


@pytest.mark.parametrize("area", ["holme_wood", "keighley_central"])
def test_fused_day_matches_mechanisms_in_order(scenario_factory, monkeypatch, area):
    # hubs, clubs and teams so every referral route and service is exercised; two years to cross progression
    ivs = [{"type": "service_hub", "schools": "all", "services": ["talking_therapies", "early_help", "food_support",
                                                                   "youth_service"]},
           {"type": "breakfast_club", "schools": "all"},
           {"type": "mental_health_support_team", "teams": 2, "schools": "all"}]
    sc = scenario_factory(area=area, years=2, interventions=ivs)
    fused = LocalityModel(sc).run()
    monkeypatch.setattr(locality, "step_day", sequential_day)
    reference = LocalityModel(sc).run()
    for store, fields in (("children", ChildArrays.FIELDS), ("families", FamilyArrays.FIELDS)):
        for name in fields:
            a, b = getattr(getattr(fused, store), name), getattr(getattr(reference, store), name)
            assert np.array_equal(a, b), (store, name)
    ds_f, ds_r = fused.results(), reference.results()
    for var in ds_f.data_vars:
        assert np.array_equal(ds_f[var].values, ds_r[var].values, equal_nan=True), var


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
