"""The child pass's day counts, taken after its loop: hungry children (all, FSM, girls), the largest exposure stock
and every child's two possible sessions.

Short loops over a few bytes a child, which numba vectorises, instead of a load, an add and a store each inside the
pass's long loop (whose cost is the instructions it runs a child: same-process A/B of the child pass ~0.95x).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .absences import FEMALE, FSM


@njit(cache=True, inline="always")
def day_counts(start, end, facts, hungry, exposure, term_possible, use_exposure):
    """Add today's two possible sessions to children `start..end-1` and return (hungry, hungry FSM, hungry girls,
    the largest exposure stock: 0 without a crime profile), from the pass's `hungry` and `exposure` after today."""
    n_hungry = 0
    n_hungry_fsm = 0
    n_hungry_girls = 0
    for row in range(start, end):
        i = np.uintp(row)
        term_possible[i] += 2
        h = hungry[i]
        n_hungry += h
        n_hungry_fsm += h & ((facts[i] & FSM) != 0)
        n_hungry_girls += h & ((facts[i] & FEMALE) != 0)
    exposure_max = np.float32(0.0)
    if use_exposure:  # every row's stock after today (a younger child's is unchanged)
        for row in range(start, end):
            exposure_max = max(exposure_max, exposure[np.uintp(row)])
    return n_hungry, n_hungry_fsm, n_hungry_girls, exposure_max
