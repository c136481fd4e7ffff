"""Putting the blocks of a parallel pass back together: the day's counts summed, referral lists packed in row order
(and `DRAW_BLOCK`, the rows a pass draws for at once).

Plain njit functions, outside the `parallel=True` passes: array expressions written inside those would each become
a parallel loop of its own, started (at microseconds) every day.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DRAW_BLOCK = 256  # rows whose lane-0 draws a pass makes at once, vectorised, before stepping them one by one


@njit(cache=True)
def sum_blocks(counts, stock, class_absent, absent_by_class):
    """The blocks' day counts (columns 2-5 of `counts`) and absences by class, summed (whole numbers: exact in
    any order), and the largest of the blocks' exposure stocks. A function of its own: array expressions written
    inside a `parallel=True` function would each become a parallel loop, started (at microseconds) every day."""
    absent_by_class[:] = 0.0
    for k in range(class_absent.shape[0]):
        for c in range(class_absent.shape[1]):
            absent_by_class[c] += class_absent[k, c]
    totals = np.zeros(4, np.int64)
    for k in range(counts.shape[0]):
        for j in range(4):
            totals[j] += counts[k, 2 + j]
    return totals[0], totals[1], totals[2], totals[3], stock.max()


@njit(cache=True)
def pack_referrals(bounds, counts, column, refs):
    """Move each block's referrals (written from the block's first row) together, in block order: the same list,
    in the same order, as one pass over all rows gives."""
    n = 0
    for k in range(bounds.shape[0] - 1):
        for j in range(counts[k, column]):
            refs[n + j] = refs[bounds[k] + j]  # n <= bounds[k]: a forward copy never overwrites unread entries
        n += counts[k, column]
    return n
