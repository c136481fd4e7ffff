"""Each daily rule moves outcomes the way its docstring and parameters say, and by the size they imply.

Paired runs share their random streams (same seed and replicate, one parameter changed), so a difference between
them is the rule's effect, not noise; where the size is a probability per day, the expected count is the
probability times the exposure days seen in the run, with a tolerance of a few binomial SDs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from actlocally.model.calendar import DAYS_PER_YEAR, TERM_DAYS
from actlocally.model.eef import impact_words, months_band, months_of_progress
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.attendance import season
from actlocally.model.params import DEFAULTS
from actlocally.model.state import IN_SUPPORT, NONE

PUPILS = 2000

# FACTS §4 [E1]: the EEF Toolkit's effect-size band of each whole month (negative effects symmetric).
EEF_BANDS = [(0, 0.00, 0.01), (1, 0.02, 0.09), (2, 0.10, 0.18), (3, 0.19, 0.26), (4, 0.27, 0.35), (5, 0.36, 0.44),
             (6, 0.45, 0.52), (7, 0.53, 0.61), (8, 0.62, 0.69), (9, 0.70, 0.78), (10, 0.79, 0.87),
             (11, 0.88, 0.95), (12, 0.96, 1.00)]


def model(scenario_factory, parameters=None, interventions=None, **kw) -> LocalityModel:
    return LocalityModel(scenario_factory(pupils=PUPILS, interventions=interventions or [], **kw),
                         parameters=parameters or {})


def binomial_tolerance(expected_p: np.ndarray, sds: float = 4.0) -> float:
    """`sds` standard deviations of a sum of independent Bernoulli draws with these probabilities (at least 1)."""
    return sds * max(1.0, math.sqrt(float(np.sum(expected_p * (1.0 - expected_p)))))


# ---------------------------------------------------------------- EEF conversion (FACTS §4 [E1])

@pytest.mark.parametrize("months, lo, hi", EEF_BANDS)
def test_eef_band_edges_give_the_toolkit_months(months, lo, hi):
    for es in (lo, hi, round((lo + hi) / 2, 3)):
        assert months_band(es) == months, es
        assert months_band(-es) == -months, -es
        # the continuous version (for averaging) stays within about half a month of the band at its edges
        assert abs(float(months_of_progress(es)) - months) <= 0.65, es
    assert round(float(months_of_progress((lo + hi) / 2))) == months


def test_eef_conversion_is_monotone_symmetric_and_extends_beyond_one():
    es = np.linspace(-1.5, 1.5, 3001)
    months = months_of_progress(es)
    assert np.all(np.diff(months) > 0)
    np.testing.assert_allclose(months, -months[::-1], atol=1e-12)
    assert months_of_progress(0.0) == 0.0
    for big in (1.1, 1.25, 1.5):
        assert months_band(big) == round(12 * big)
        assert float(months_of_progress(big)) == pytest.approx(12 * big, abs=0.8)
    assert [impact_words(m) for m in (0, 2, 3, 5, 6, 8, 9, -9)] == [
        "very low or no impact", "low impact", "moderate impact", "moderate impact", "high impact", "high impact",
        "very high impact", "very high impact"]


# ---------------------------------------------------------------- learning penalties (mechanism 3)

def _step_recording(models: list[LocalityModel], days: int) -> dict[str, np.ndarray]:
    """Step each model `days` times; return the first model's daily present/hungry/difficulty (day x child)."""
    rec = {k: np.zeros((days, models[0].children.n), bool) for k in ("present", "hungry", "difficulty")}
    for d in range(days):
        for m in models:
            m.step()
        for k in rec:
            rec[k][d] = getattr(models[0].children, k)
        for m in models[1:]:  # common random numbers: learning feeds back into nothing, so days are identical
            assert np.array_equal(m.children.present, models[0].children.present)
    return rec


def test_each_learning_penalty_lowers_that_days_gain_by_its_share(scenario_factory):
    """Turning one penalty off raises a child's attainment by z_per_day * penalty on each affected day it attends
    (times catch_up_share on each affected day it misses); every other child moves only by the value-added change.

    The area's value added by phase and FSM group is re-derived from the penalties at synthesis
    (model/steady_state.py), so each school's daily offset difference for the child's FSM group over the year is
    added to the expectation.
    Tolerance 1e-4: float32 sums over 190 days; one affected day is worth at least 3e-4."""
    base = model(scenario_factory)
    offs = {k: model(scenario_factory, {f"learning.penalty_{k}": 0.0}) for k in ("hunger", "difficulty", "vision")}
    rec = _step_recording([base, *offs.values()], DAYS_PER_YEAR)
    q = base.params.group("learning")
    z_per_day, catch_up = q["z_per_school_year"] / DAYS_PER_YEAR, q["catch_up_share"]
    weight = np.where(rec["present"], 1.0, catch_up)  # day x child
    blurred = base.children.vision_uncorrected & ~base.children.wears_glasses
    flags = {"hunger": rec["hungry"], "difficulty": rec["difficulty"],
             "vision": np.broadcast_to(blurred, rec["present"].shape)}
    for k, off in offs.items():
        gain = off.children.attainment_z.astype(float) - base.children.attainment_z
        va = off.school_arrays.value_added_per_day - base.school_arrays.value_added_per_day
        va_year = DAYS_PER_YEAR * va[base.children.school, base.children.fsm.astype(int)]
        expected = z_per_day * q[f"penalty_{k}"] * (flags[k] * weight).sum(axis=0) + va_year
        touched = flags[k].any(axis=0)
        assert touched.sum() > 50, k
        np.testing.assert_allclose(gain, expected, atol=1e-4, err_msg=k)
        assert np.all(gain[touched] - va_year[touched] > 0), k
        np.testing.assert_allclose(gain[~touched], va_year[~touched], atol=1e-4, err_msg=k)


def test_glasses_remove_the_vision_penalty_of_fitted_children_only(scenario_factory):
    glasses = {"type": "glasses_in_classes", "schools": "all", "p_screened": 1.0, "p_wear": 1.0}
    base, fitted_run = model(scenario_factory), model(scenario_factory, interventions=[glasses])
    rec = _step_recording([base, fitted_run], DAYS_PER_YEAR)
    fitted = fitted_run.interventions[0].fitted
    assert np.array_equal(fitted, base.children.vision_uncorrected)  # everyone screened, every pair worn
    assert np.array_equal(fitted_run.children.wears_glasses, fitted)
    q = base.params.group("learning")
    days_weighted = np.where(rec["present"], 1.0, q["catch_up_share"]).sum(axis=0)
    gain = fitted_run.children.attainment_z.astype(float) - base.children.attainment_z
    expected = q["z_per_school_year"] / DAYS_PER_YEAR * q["penalty_vision"] * days_weighted
    np.testing.assert_allclose(gain[fitted], expected[fitted], atol=1e-4)
    assert np.array_equal(fitted_run.children.attainment_z[~fitted], base.children.attainment_z[~fitted])


def test_glasses_reach_screened_times_wearing_share_of_those_who_need_them(scenario_factory):
    m = model(scenario_factory, interventions=[{"type": "glasses_in_classes", "p_screened": 0.8, "p_wear": 0.5}])
    iv, kids = m.interventions[0], m.children
    primary = np.isin(kids.school, [s.index for s in m.school_agents if s.phase == "primary"])
    need = primary & kids.vision_uncorrected
    assert not (iv.fitted & ~need).any()  # nobody without a need, nobody outside the chosen schools
    assert iv.fitted.sum() == pytest.approx(0.4 * need.sum(), abs=binomial_tolerance(np.full(need.sum(), 0.4)))
    assert iv.pupils == primary.sum()


# ---------------------------------------------------------------- season (mechanism 1)

WINTER_PEAK_DAY, WINTER_SD_DAYS = TERM_DAYS[0] - 3, 25.0  # parameters.toml: last week of autumn, 5-week SD bump


def _daily_absence(m: LocalityModel, days: int) -> np.ndarray:
    out = np.zeros(days)
    for d in range(days):
        m.step()
        out[d] = 1.0 - m.children.present.mean()
    return out


def test_summer_shift_changes_summer_only_and_by_at_most_its_logistic_slope(scenario_factory):
    """season_summer lowers the log-odds of presence in summer term only: autumn and spring are identical bit for bit,
    summer absence rises by no more than |shift| * A(1 - A) (the logistic slope at the higher absence A)."""
    still = {"attendance.b_peer": 0.0, "attendance.b_absent_yesterday": 0.0}
    flat = model(scenario_factory, {**still, "attendance.season_summer": 0.0})
    low = model(scenario_factory, {**still, "attendance.season_summer": -0.25})
    a_flat, a_low = _daily_absence(flat, DAYS_PER_YEAR), _daily_absence(low, DAYS_PER_YEAR)
    summer = slice(TERM_DAYS[0] + TERM_DAYS[1], DAYS_PER_YEAR)
    assert np.array_equal(a_flat[: summer.start], a_low[: summer.start])
    rise, high = a_low[summer].mean() - a_flat[summer].mean(), a_low[summer].mean()
    assert 0.35 * 0.25 * high * (1 - high) < rise <= 0.25 * high * (1 - high)
    assert np.all(a_low[summer] >= a_flat[summer])  # same uniforms, lower log-odds: nobody newly present


def test_default_season_orders_the_terms_as_england_does(scenario_factory):
    """England's summer term is the worst and autumn the best (FACTS §1a [S1], 2023/24): the defaults' term mean
    log-odds of presence (term shift plus the winter bump reaching into spring) keep that order, and so does the
    model's absence with the day-to-day links off (the summer - spring gap at least a third of the seasonal one)."""
    a = DEFAULTS.group("attendance")
    bounds = np.cumsum((0, *TERM_DAYS))
    mean_lo = [np.mean([season(d, t, a)[0] for d in range(bounds[t], bounds[t + 1])]) for t in range(3)]
    assert mean_lo[2] < mean_lo[1] < mean_lo[0]
    still = {"attendance.b_peer": 0.0, "attendance.b_absent_yesterday": 0.0}
    daily = _daily_absence(model(scenario_factory, still), DAYS_PER_YEAR)
    term = [daily[bounds[t]:bounds[t + 1]].mean() for t in range(3)]
    assert term[2] > term[1] > term[0]
    assert term[2] - term[1] > (mean_lo[1] - mean_lo[2]) / 3 * term[2] * (1 - term[2])


def test_winter_peak_raises_absence_at_the_end_of_autumn_in_proportion_to_its_bump(scenario_factory):
    still = {"attendance.b_peer": 0.0, "attendance.b_absent_yesterday": 0.0}
    none = _daily_absence(model(scenario_factory, {**still, "attendance.winter_peak": 0.0}), TERM_DAYS[0])
    peak = _daily_absence(model(scenario_factory, {**still, "attendance.winter_peak": -0.9}), TERM_DAYS[0])
    extra = peak - none
    assert np.all(extra >= 0)
    late, early = extra[WINTER_PEAK_DAY - 5:WINTER_PEAK_DAY + 3].mean(), extra[:10].mean()
    a = peak[WINTER_PEAK_DAY - 5:WINTER_PEAK_DAY + 3].mean()
    assert 0.35 * 0.9 * a * (1 - a) < late <= 0.9 * a * (1 - a)  # bump ~1: the full shift
    assert early < 0.1 * late  # bump at the start of autumn: exp(-0.5 (67/25)^2) = 0.03


def test_illness_share_of_absence_follows_its_parameter_and_the_winter_bump(scenario_factory):
    m = model(scenario_factory, {"attendance.illness_share": 0.6})
    absent = _daily_absence(m, DAYS_PER_YEAR) * m.children.n
    ds = m.results()
    day = np.arange(DAYS_PER_YEAR)
    share = np.minimum(0.95, 0.6 + 0.15 * np.exp(-0.5 * ((day - WINTER_PEAK_DAY) / WINTER_SD_DAYS) ** 2))
    start = 0
    for t, n_days in enumerate(TERM_DAYS):
        days = slice(start, start + n_days)
        start += n_days
        possible = 2 * m.children.n * n_days  # nobody leaves within a one-year run
        ill = float(ds["illness_absence_rate"].sel(group="all").isel(term=t)) * possible / 2  # days of illness
        expected = float((absent[days] * share[days]).sum())
        sd = math.sqrt(float((absent[days] * share[days] * (1 - share[days])).sum()))
        assert ill == pytest.approx(expected, abs=4 * sd), t
    autumn_share = float((absent[:TERM_DAYS[0]] * share[:TERM_DAYS[0]]).sum() / absent[:TERM_DAYS[0]].sum())
    assert autumn_share > 0.62  # the bump adds to autumn, not to summer


# ---------------------------------------------------------------- peer effect (mechanism 1)

def _class_persistence(b_peer: float, scenario_factory) -> tuple[float, float]:
    """(slope of a class's absence today on yesterday's, each taken from the day's mean and the class's own mean;
    mean p(1-p) of presence over children) for one year with this b_peer."""
    m = model(scenario_factory, {"attendance.b_peer": b_peer, "attendance.b_absent_yesterday": 0.0})
    cls = m.children.school.astype(int) * 12 + m.children.year_group
    size = np.bincount(cls)
    keep = size >= 30
    rates = np.zeros((DAYS_PER_YEAR, size.size))
    for d in range(DAYS_PER_YEAR):
        m.step()
        absent = ~m.children.present
        rates[d] = np.bincount(cls, weights=absent, minlength=size.size) / np.maximum(size, 1) - absent.mean()
    dev = rates[:, keep] - rates[:, keep].mean(axis=0)
    x, y = dev[:-1].ravel(), dev[1:].ravel()
    a = m.children.sessions_attended / np.maximum(m.children.sessions_possible, 1)
    n = DAYS_PER_YEAR
    return float(x @ y / (x @ x)), float(np.mean(a * (1 - a)) * n / (n - 1))


def test_without_b_peer_a_class_absence_does_not_carry_over(scenario_factory):
    slope0, _ = _class_persistence(0.0, scenario_factory)
    assert abs(slope0) < 0.06  # nothing carries a class's bad day over (beyond slow changes such as difficulty)


def test_class_absence_yesterday_raises_absence_today_when_b_peer_is_positive(scenario_factory):
    slope0, _ = _class_persistence(0.0, scenario_factory)
    slope5, pq = _class_persistence(5.0, scenario_factory)
    # a class `dev` above the day's mean moves each pupil's log-odds by -5 dev: absence by about 5 dev p(1-p)
    assert slope5 - slope0 == pytest.approx(5.0 * pq, rel=0.4)


# ---------------------------------------------------------------- food support (mechanism 6)

def test_food_insecure_families_seek_support_at_p_seek_per_day(scenario_factory):
    p_seek = 0.01
    m = model(scenario_factory, {"food.p_seek": p_seek, "food.p_recover": 0.001})
    f = m.families
    exposure, referred = 0, 0
    m.step()  # day 0 uncounted: food_until starts at 0, the stamp of a day-0 referral
    for day in range(1, DAYS_PER_YEAR):
        eligible = f.food_insecure & (f.food_status == NONE)
        m.step()
        exposure += int(eligible.sum())
        referred += int((eligible & (f.food_until >= day)).sum())  # referral stamps the day (or a start)
    assert referred > 100
    # a few eligible families recover first that day (p_recover 0.001) and cannot seek: a bias under 1%
    assert referred == pytest.approx(p_seek * exposure, abs=binomial_tolerance(np.full(exposure, p_seek)))
    svc = m.services.of_kind("food_support")[0]
    assert float(m.results()["referrals"].sel(service=svc.name).sum()) >= referred  # plus day 0's


def test_food_support_holds_a_family_secure_while_supported_and_for_the_spell_after(scenario_factory):
    days_after = 20
    m = model(scenario_factory, {"food.p_seek": 0.01, "food.secure_days_after_support": days_after,
                                 "food.p_recover": 0.001})
    m.services.of_kind("food_support")[0].capacity_per_week = 20.0
    f = m.families
    ended_on = np.full(f.n, -1)
    onsets_protected = onsets_after = exposure_after = 0
    expected_onsets, probs = 0.0, []
    for day in range(DAYS_PER_YEAR):
        was_supported, was_insecure = f.food_status == IN_SUPPORT, f.food_insecure.copy()
        m.step()
        assert not f.food_insecure[was_supported & (f.food_status == IN_SUPPORT)].any()  # secure from its 2nd day
        ended = was_supported & (f.food_status != IN_SUPPORT)
        assert np.all(f.secure_until[ended] == day + days_after)
        ended_on[ended] = day
        since = day - ended_on
        protected = (ended_on >= 0) & (since > 0) & (since < days_after) & ~was_insecure & (f.food_status == NONE)
        onsets_protected += int((protected & f.food_insecure).sum())
        later = (ended_on >= 0) & (since >= days_after) & ~was_insecure & (f.food_status == NONE)
        exposure_after += int(later.sum())
        onsets_after += int((later & f.food_insecure).sum())
        expected_onsets += float(f.food_onset[later].sum())
        probs.append(f.food_onset[later].astype(float))
    assert (ended_on >= 0).sum() > 40
    assert onsets_protected == 0
    assert exposure_after > 0  # each family's own onset (model/steady_state.py, `food_onset`)
    assert onsets_after == pytest.approx(expected_onsets, abs=binomial_tolerance(np.concatenate(probs)))


# ---------------------------------------------------------------- Early Help (mechanism 4, parents)

def test_families_with_needs_are_referred_to_early_help_at_its_daily_probability(scenario_factory):
    p = 0.003
    m = model(scenario_factory, {"food.p_refer_early_help": p})
    f = m.families
    exposure = referred = 0
    m.step()  # day 0 uncounted: help_until starts at 0, the stamp of a day-0 referral
    for day in range(1, DAYS_PER_YEAR):
        none_before = f.help_status == NONE
        m.step()
        needs = f.parent_depressed | f.food_insecure  # after today's transitions, as the rule reads them
        eligible = none_before & needs
        exposure += int(eligible.sum())
        referred += int((eligible & (f.help_until >= day)).sum())
        assert not (none_before & ~needs & (f.help_until >= day)).any()  # no needs, no referral
    assert referred > 100
    assert referred == pytest.approx(p * exposure, abs=binomial_tolerance(np.full(exposure, p)) + 0.02 * referred)


def test_engagement_rises_by_its_gain_in_early_help_and_drifts_back_otherwise(scenario_factory):
    gain, decay = 0.01, 0.005
    m = model(scenario_factory, {"food.p_refer_early_help": 0.003, "food.early_help_engagement_gain": gain,
                                 "food.engagement_decay": decay})
    m.services.of_kind("early_help")[0].capacity_per_week = 20.0
    f = m.families
    support_days = m.services.of_kind("early_help")[0].support_days
    helped_days = 0
    for day in range(120):
        before = f.engagement.astype(float)
        m.step()
        in_help = f.help_status == IN_SUPPORT
        # started today from the queue: the rule read the status before the service's intake
        started_today = in_help & (f.help_until == day + support_days)
        rule = in_help & ~started_today
        helped_days += int(rule.sum())
        np.testing.assert_allclose(f.engagement[rule], np.minimum(1.0, before[rule] + gain), atol=1e-6)
        drift = ~in_help
        np.testing.assert_allclose(f.engagement[drift],
                                   before[drift] + decay * (f.engagement_base[drift] - before[drift]), atol=1e-6)
    assert helped_days > 500
