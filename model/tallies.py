"""Integer tallies for the recorder: one pass over pupils, counts and sums by (FSM, sex) cell and by school.

Results are ratios of whole numbers (sessions, pupils), so tallying them in one compiled pass gives exactly
the numbers masked numpy sums give, at a fraction of the time. Cells are 2 * fsm + female (see
`results.GROUP_CELLS`, which says which cells make up each result group).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numba import njit

N_CELLS = 4


class CellTally(IntEnum):
    """Columns of the per-cell tally."""

    PUPILS = 0
    WITH_SESSIONS = 1  # pupils with any possible sessions (absence rates are over these)
    POSSIBLE = 2  # possible sessions of those pupils
    ATTENDED = 3
    PERSISTENT = 4  # missed 10% or more
    SEVERE = 5  # missed 50% or more
    POSSIBLE_ALL = 6  # possible sessions of all pupils (denominator of illness absence)
    ILLNESS = 7
    DIFFICULTY = 8
    ASSESSED = 9  # pupils in Years 2, 6, 11
    EXPECTED = 10  # of those, at or above the expected standard


class SchoolTally(IntEnum):
    """Columns of the per-school tally."""

    POSSIBLE = 0
    ATTENDED = 1
    WITH_SESSIONS = 2
    PERSISTENT = 3


@njit(cache=True)
def _tally(fsm, female, family, school, possible, attended, illness, difficulty, year_group, attainment_z,
           thresholds, cells_out, schools_out, family_cells):
    for i in range(fsm.shape[0]):
        k = 2 * np.intp(fsm[i]) + np.intp(female[i])
        p = np.int64(possible[i])
        a = np.int64(attended[i])
        missed = p - a
        s = school[i]
        family_cells[family[i]] |= np.uint8(1 << k)
        cells_out[k, CellTally.PUPILS] += 1
        cells_out[k, CellTally.ILLNESS] += illness[i]
        cells_out[k, CellTally.POSSIBLE_ALL] += p
        cells_out[k, CellTally.DIFFICULTY] += difficulty[i]
        thr = thresholds[year_group[i]]
        if not np.isnan(thr):  # an assessed year group
            cells_out[k, CellTally.ASSESSED] += 1
            cells_out[k, CellTally.EXPECTED] += attainment_z[i] >= thr
        if p > 0:
            persistent = 10 * missed >= p
            cells_out[k, CellTally.WITH_SESSIONS] += 1
            cells_out[k, CellTally.POSSIBLE] += p
            cells_out[k, CellTally.ATTENDED] += a
            cells_out[k, CellTally.PERSISTENT] += persistent
            cells_out[k, CellTally.SEVERE] += 2 * missed >= p
            schools_out[s, SchoolTally.WITH_SESSIONS] += 1
            schools_out[s, SchoolTally.PERSISTENT] += persistent
        schools_out[s, SchoolTally.POSSIBLE] += p
        schools_out[s, SchoolTally.ATTENDED] += a


def tally(model, possible: np.ndarray, attended: np.ndarray, illness: np.ndarray,
          thresholds: dict[int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer tallies of these session counters and today's state.

    Returns (cells x CellTally, schools x SchoolTally, per family a bit 1 << cell for each cell it has children in).
    """
    c = model.children
    thr = np.full(128, np.nan)  # by year group; NaN where not assessed
    for yg, t in thresholds.items():
        thr[yg] = t
    cells = np.zeros((N_CELLS, len(CellTally)), np.int64)
    schools = np.zeros((len(model.school_agents), len(SchoolTally)), np.int64)
    family_cells = np.zeros(model.families.n, np.uint8)
    _tally(c.fsm, c.female, c.family, c.school, possible, attended, illness, c.difficulty, c.year_group,
           c.attainment_z, thr, cells, schools, family_cells)
    return cells, schools, family_cells


@njit(cache=True)
def _gather_by_group(values, cells, member, out, counts):
    for i in range(values.shape[0]):
        k = cells[i]
        for j in range(member.shape[0]):
            if member[j, k]:
                out[j, counts[j]] = values[i]
                counts[j] += 1


def values_by_group(values: np.ndarray, cells: np.ndarray, member: np.ndarray) -> list[np.ndarray]:
    """For each group (rows of `member`, groups x cells), its pupils' values in row order: `values[mask]`.

    The copies are exactly the masked copies numpy would make, so their float means are the same numbers.
    """
    out = np.empty((member.shape[0], values.shape[0]), values.dtype)
    counts = np.zeros(member.shape[0], np.int64)
    _gather_by_group(values, cells, member, out, counts)
    return [out[j, :counts[j]] for j in range(member.shape[0])]
