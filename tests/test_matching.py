"""The intercept that matches a share is the same number whatever the machine's BLAS threads (issue 19)."""

import numpy as np
import pytest
from actlocally.model.matching import solve_intercept
from scipy.optimize import brentq
from scipy.special import expit
from threadpoolctl import threadpool_limits


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_intercept_does_not_depend_on_blas_threads(kind):
    rng = np.random.default_rng(5)
    n = 50_000  # above OpenBLAS's threshold (10,000) for splitting a dot product between threads
    x = np.log(2.3) * (rng.random(n) < 0.3) if kind == "binary" else 0.7 * rng.standard_normal(n)
    with threadpool_limits(limits=2, user_api="blas"):
        two = solve_intercept(x, 0.2)
    with threadpool_limits(limits=1, user_api="blas"):
        one = solve_intercept(x, 0.2)
    assert one == two
    assert abs(float(expit(one + x).mean()) - 0.2) < 1e-12


def test_spreading_few_values_gives_the_same_intercept():
    """A binary covariate is evaluated once per value: the same number as evaluating every row."""
    rng = np.random.default_rng(6)
    x = np.log(2.8) * (rng.random(8_000) < 0.2)
    w = np.full(x.size, 1.0 / x.size)
    with threadpool_limits(limits=1, user_api="blas"):
        direct = brentq(lambda a: float(expit(a + x) @ w) - 0.03, -20.0, 20.0, xtol=1e-13, rtol=1e-15)
    assert solve_intercept(x, 0.03) == direct
