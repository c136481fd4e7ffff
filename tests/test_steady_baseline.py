"""Issue 14: joint starting attainment, the cost of a missed day, steady 6-year baselines and bounded queues."""

import numpy as np
import pytest
from actlocally.model.area import load_area
from actlocally.model.calendar import DAYS_PER_YEAR
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.learning import LearningArgs, learning_row
from actlocally.model.mechanisms.records import make_record
from actlocally.model.params import DEFAULTS
from actlocally.model.synthesis import attainment_offsets, synthesise
from conftest import small_scenario


@pytest.mark.parametrize("rho", [0.2, 0.5])
def test_joint_synthesis_gives_the_stated_correlation(rho):
    params = DEFAULTS.with_overrides({"attainment.rho_attendance_z": rho})
    pop = synthesise(load_area("bradford"), params, np.random.default_rng(3), pupils=20000)
    c = pop.children
    school_off = np.array([s.attainment_offset for s in pop.schools])[c.school]
    resid = (c.attainment_z - attainment_offsets(c.send, c.eal, params) - school_off
             - pop.attainment_shift[c.year_group, c.fsm.astype(int)])
    r = np.corrcoef(resid, c.propensity)[0, 1]
    assert r == pytest.approx(rho, abs=3.0 / np.sqrt(c.n))


def test_year_groups_start_from_their_own_key_stage():
    pop = synthesise(load_area("bradford"), DEFAULTS, np.random.default_rng(4), pupils=20000)
    shift = pop.attainment_shift
    assert np.allclose(shift[0], shift[2]) and np.allclose(shift[2], shift[6])  # KS1 keeps the KS2 position
    assert shift[11, 1] < shift[6, 1] and shift[11, 0] > shift[6, 0]  # the FSM gap widens to KS4 (FACTS §3)
    assert np.allclose(shift[3], shift[7])  # a year group starts where the year below ended (KS1, KS2 at year end)
    assert np.all(np.diff(shift[7:, 1]) < 0)  # interpolated year by year


def test_ten_more_missed_days_cost_the_expected_amount():
    """Paired twins through the learning rule the fused pass inlines: identical but for ten missed days."""
    q = DEFAULTS.group("learning")
    z_per_day = q["z_per_school_year"] / DAYS_PER_YEAR
    a = make_record(LearningArgs, q, z_per_day=z_per_day, clubs_today=False)
    z = np.zeros(2, np.float32)
    for day in range(DAYS_PER_YEAR):
        for twin, present in enumerate((True, day >= 10)):
            z[twin] += learning_row(a, present, False, False, False, 0.0, False, 1, 0.0)
    expected = 10 * z_per_day * (1.0 - q["catch_up_share"])
    assert z[0] - z[1] == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def six_years():
    m = LocalityModel(small_scenario(years=6, pupils=2000))
    snaps = []
    orig = m.recorder.year_end

    def snap(model):
        orig(model)
        c = model.children
        prim = c.year_group < 7
        snaps.append({"pa": float(model.recorder.yg["persistent_absence_rate_year"][model.today.year, 0]),
                      "ks": float(model.recorder.yg["expected_standard_share_year"][model.today.year, 0]),
                      "mh_primary": float(c.difficulty[prim].mean()), "mh_secondary": float(c.difficulty[~prim].mean()),
                      "mean_z": float(c.attainment_z.mean()),
                      "fsm_gap_z": float(c.attainment_z[~c.fsm].mean() - c.attainment_z[c.fsm].mean()),
                      "food_insecure": float(model.families.food_insecure.mean())})
    m.recorder.year_end = snap
    m.run()
    return m, snaps


# Bands around year 1 (small population, 2,000 pupils): PA +-0.04 and probable disorder +-0.05 (a few SE of a
# year's rate at this size); assessed share +-0.10 (~500 assessed pupils, SE ~0.02, plus cohort differences).
# Mean z +-0.04 (was +-0.08): the area's value added per phase and FSM group is solved from the model's own rules
# child by child, at the states the baseline's services hold (model/steady_state.py), so no route drifts it; what
# is left is cohort turnover (a Reception cohort of ~170 pupils has a mean residual SE ~0.07, and each year's
# turnover moves the mean by a twelfth of it: ~0.02 over 6 years) plus ~0.005 a year of approximation (measured
# max deviation 0.014-0.023 over seeds 1, 2, 7; at 6,000 pupils 0.016-0.036 in the four areas, was 0.03-0.06).
# FSM gap (mean z other - FSM) +-0.06: the same turnover on two groups of ~half the size (measured 0.011-0.035
# here; before the fix it widened ~0.08-0.17 over 6 years at 6,000 pupils).
BANDS = {"pa": 0.04, "ks": 0.10, "mh_primary": 0.05, "mh_secondary": 0.05, "mean_z": 0.04, "fsm_gap_z": 0.06}


def test_six_year_baseline_stays_in_its_band(six_years):
    """Each figure stays within BANDS of its year-1 value over six years (bands and why: see BANDS)."""
    _, snaps = six_years
    for k, band in BANDS.items():
        first = snaps[0][k]
        assert all(abs(s[k] - first) <= band for s in snaps), (k, [round(s[k], 3) for s in snaps])
    assert all(s["mh_primary"] < s["mh_secondary"] for s in snaps)


def test_food_insecurity_holds_at_the_profiles_share(six_years):
    """Each family's onset keeps its synthesis probability as its steady state with the baseline's food support, so
    the area's share holds (+-0.03: ~2.5 SE of a year-end share over ~1,100 families, measured 0.19-0.22); with
    one onset for all and support ignored it fell from 0.21 to 0.16 over 6 years in Keighley Central."""
    m, snaps = six_years
    share = m.area.shares.food_insecure_households.value
    assert all(abs(s["food_insecure"] - share) <= 0.03 for s in snaps), [round(s["food_insecure"], 3) for s in snaps]


def test_no_queue_grows_without_bound(six_years):
    m, _ = six_years
    ds = m.results()
    q = ds["queue_length_end"].values  # term x service
    per_year = q.reshape(6, 3, -1).mean(axis=1)
    assert np.all(per_year[3:].mean(axis=0) <= 1.5 * per_year[:3].mean(axis=0) + 10), per_year
    assert (ds["referrals"].sum() > 0).item()


@pytest.mark.parametrize("support", [0.0, 0.002])
def test_food_onset_makes_each_familys_share_its_steady_state(support):
    """The renewal cycle insecure -> (support -> protected) -> secure -> insecure gives back each family's share."""
    from actlocally.model.steady_state import food_onset

    share = np.array([0.05, 0.2, 0.5])
    o = food_onset(share, support, DEFAULTS)
    r = DEFAULTS["food.p_recover"]
    t = DEFAULTS["services.support_days_food"] + DEFAULTS["food.secure_days_after_support"]
    insecure = 1.0 / (r + support)
    cycle = insecure + support * t / (r + support) + 1.0 / o
    np.testing.assert_allclose(insecure / cycle, share, rtol=1e-9)
