"""The compiled `expected_learning` (one exp per child) gives the numbers of the whole-array numpy formula it
replaced (issue 19), to rounding: exp(-x) exp(-b) rounds differently from exp(-(x + b)) in the last place."""

import numpy as np
from actlocally.model.params import DEFAULTS
from actlocally.model.steady_state import _season_log_odds, expected_learning
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit


def numpy_expected_learning(x, p_difficulty, p_hungry, blurred, params):
    """The whole-array version (one temporary per season, difficulty and hunger state), kept as the reference."""
    a, q = params.group("attendance"), params.group("learning")
    c = q["catch_up_share"]
    present, gain = np.zeros(x.size), np.zeros(x.size)
    seasons = _season_log_odds(params)
    for s in seasons:
        for d, wd in ((0, 1.0 - p_difficulty), (1, p_difficulty)):
            xd = x + s + a["b_difficulty"] * d
            fed, hungry = (expit(xd), expit(xd + a["b_absent_yesterday"])), (
                expit(xd + a["b_hunger"]), expit(xd + a["b_hunger"] + a["b_absent_yesterday"]))
            p1 = (1.0 - p_hungry) * fed[0] + p_hungry * hungry[0]
            p0 = (1.0 - p_hungry) * fed[1] + p_hungry * hungry[1]
            pi = p0 / (1.0 - p1 + p0)
            for h, wh, pair in ((0, 1.0 - p_hungry, fed), (1, p_hungry, hungry)):
                pres = pi * pair[0] + (1.0 - pi) * pair[1]
                eff = np.maximum(1.0 - q["penalty_hunger"] * h - q["penalty_difficulty"] * d
                                 - q["penalty_vision"] * blurred, 0.0)
                present += wd * wh * pres
                gain += wd * wh * eff * (pres + (1.0 - pres) * c)
    return present / seasons.size, gain / seasons.size


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), loc=st.floats(-6.0, 6.0), sd=st.floats(0.0, 4.0),
       penalty_vision=st.floats(0.0, 1.5))
def test_kernel_matches_numpy_to_rounding(seed, loc, sd, penalty_vision):
    rng = np.random.default_rng(seed)
    n = 500
    x = rng.normal(loc, sd, n)
    x[:6] = [-800.0, 800.0, 0.0, -0.0, 40.0, -40.0]  # exp overflow and underflow on either side
    p_difficulty = rng.random(n)
    p_difficulty[:2] = [0.0, 1.0]
    p_hungry = np.where(rng.random(n) < 0.3, 0.2, 0.01)
    blurred = rng.random(n) < 0.2
    params = DEFAULTS.with_overrides({"learning.penalty_vision": penalty_vision})  # > 1 - other penalties: eff < 0
    new = expected_learning(x, p_difficulty, p_hungry, blurred, params)
    old = numpy_expected_learning(x, p_difficulty, p_hungry, blurred, params)
    for a, b in zip(new, old, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)  # probabilities and gains of order 1


def test_expected_learning_moves_with_hunger():
    """Not only equal to itself: a hungrier child is present less and learns less (both versions)."""
    x = np.zeros(2)
    present, gain = expected_learning(x, np.zeros(2), np.array([0.0, 1.0]), np.zeros(2, bool), DEFAULTS)
    assert present[1] < present[0] and gain[1] < gain[0]
