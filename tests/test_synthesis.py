"""Population synthesis matches the area profile's marginals, and disadvantage clusters by family and school."""

import numpy as np
import pytest
from actlocally.model.area import load_area
from actlocally.model.params import DEFAULTS
from actlocally.model.state import EHCP, SEN_SUPPORT
from actlocally.model.synthesis import synthesise


@pytest.fixture(scope="module", params=["keighley_central", "holme_wood"])
def pop_area(request):
    area = load_area(request.param)
    return synthesise(area, DEFAULTS, np.random.default_rng(1), pupils=6000), area


def test_pupils_and_phases(pop_area):
    pop, area = pop_area
    c = pop.children
    assert abs(c.n - 6000) <= 12
    share_primary = area.pupils.primary.value / (area.pupils.primary.value + area.pupils.secondary.value)
    assert np.mean(c.year_group < 7) == pytest.approx(share_primary, abs=0.01)
    # every child goes to a school of the right phase
    phases = np.array([s.phase for s in pop.schools])[c.school]
    assert np.all((phases == "primary") == (c.year_group < 7))


def test_shares_match_profile(pop_area):
    pop, area = pop_area
    c, f = pop.children, pop.families
    s = area.shares
    assert c.fsm.mean() == pytest.approx(s.fsm.value, abs=0.02)
    assert c.eal.mean() == pytest.approx(s.eal.value, abs=0.05)
    assert np.mean(c.send == SEN_SUPPORT) == pytest.approx(s.sen_support.value, abs=0.02)
    assert np.mean(c.send == EHCP) == pytest.approx(s.ehcp.value, abs=0.01)
    assert f.food_insecure.mean() == pytest.approx(s.food_insecure_households.value, abs=0.03)
    assert f.parent_depressed.mean() == pytest.approx(s.parent_depression.value, abs=0.03)
    assert f.low_income.mean() >= s.low_income_households.value - 0.02


def test_disadvantage_clusters_by_family_and_school(pop_area):
    pop, _ = pop_area
    c, f = pop.children, pop.families
    # siblings share FSM status; food insecurity is commoner in FSM families
    assert np.all(c.fsm == f.fsm_eligible[c.family])
    assert f.food_insecure[f.fsm_eligible].mean() > f.food_insecure[~f.fsm_eligible].mean()
    # schools differ in disadvantage more than random allocation would give
    shares = np.array([c.fsm[c.school == s].mean() for s in range(len(pop.schools))])
    rolls = np.array([np.sum(c.school == s) for s in range(len(pop.schools))])
    p = c.fsm.mean()
    binomial_sd = np.sqrt(p * (1 - p) / rolls.mean())
    assert shares.std() > 2 * binomial_sd


def test_starting_attainment_matches_ks2_shares(pop_area):
    pop, area = pop_area
    c = pop.children
    thr = -0.2793  # z above which 61% of pupils nationally reach the KS2 expected standard
    obs = area.observed
    prim = c.year_group < 7  # primary year groups share the Year 6 position (secondary moves towards KS4)
    assert np.mean(c.attainment_z[c.fsm & prim] >= thr) == pytest.approx(obs.ks2_expected_disadvantaged.value,
                                                                          abs=0.02)
    assert np.mean(c.attainment_z[~c.fsm & prim] >= thr) == pytest.approx(obs.ks2_expected_other.value, abs=0.02)


def test_same_seed_same_population():
    area = load_area("keighley_central")
    a = synthesise(area, DEFAULTS, np.random.default_rng(3), pupils=2000)
    b = synthesise(area, DEFAULTS, np.random.default_rng(3), pupils=2000)
    for name in a.children.FIELDS:
        assert np.array_equal(getattr(a.children, name), getattr(b.children, name))
