"""Matching a synthetic population to an area's shares: the logistic intercept that hits a target share."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from threadpoolctl import ThreadpoolController

_PROBE = 1024  # rows looked at to tell a term of few values (binary, categorical) from a continuous one
_BLAS: list[ThreadpoolController] = []  # made on first use: finding the loaded BLAS libraries takes milliseconds


def _one_blas_thread():
    """A context in which BLAS runs on one thread: a threaded dot product sums its parts in an order that depends on
    the thread count (the intercept, and so the population, would depend on the machine's cores), and on a busy
    machine its threads spin: a 50,000-term dot took 13 ms on two threads against 9 us on one (issue 19)."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def solve_intercept(slope_term: np.ndarray, target: float, weights: np.ndarray | None = None) -> float:
    """Intercept a so that the (weighted) mean of expit(a + slope_term) equals target.

    The mean rises monotonically with a, so Brent's method finds the root in about ten evaluations (bisection to
    the same precision took sixty: a sixth of a 5,000-pupil model's build time). Where the slope term takes few
    values (a binary covariate), expit is evaluated once per value and spread to the rows: the same numbers.
    """
    target = float(np.clip(target, 1e-6, 1 - 1e-6))
    w = np.ones_like(slope_term) if weights is None else weights
    w = w / w.sum()
    values, rows = slope_term, None
    head = slope_term[:_PROBE]
    if np.unique(head).size <= head.size // 4:  # few values in a first look: maybe worth spreading (a full sort
        values, rows = np.unique(slope_term, return_inverse=True)  # of a continuous term cost more than its roots)
        if values.size > slope_term.size // 4:  # mostly distinct after all
            values, rows = slope_term, None

    def gap(a: float) -> float:
        p = expit(a + values)
        return float((p if rows is None else p[rows]) @ w) - target

    with _one_blas_thread():
        lo, hi = -20.0, 20.0
        if gap(lo) >= 0.0:  # beyond the bracket (a target share this extreme is not a real area): clamp, as before
            return lo
        if gap(hi) <= 0.0:
            return hi
        return float(brentq(gap, lo, hi, xtol=1e-13, rtol=1e-15))
