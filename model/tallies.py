"""Integer tallies for the recorder: one pass over pupils, counts and sums by (FSM, sex) cell and by school.

Results are ratios of whole numbers (sessions, pupils), so tallying them in one compiled pass gives exactly
the numbers masked numpy sums give, at a fraction of the time. Attainment is summed per cell in float64 in the
same pass (row order, so the same numbers every run). Cells are 2 * fsm + female (see `results.GROUP_CELLS`,
which says which cells make up each result group).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numba import njit

from .starting_attainment import assessed_z

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


class CellSum(IntEnum):
    """Columns of the per-cell float sums."""

    ATTAINMENT_Z = 0
    PROGRESS_Z = 1  # attainment_z - attainment_start_z


@njit(cache=True)
def _tally(fsm, female, family, school, possible, attended, illness, difficulty, year_group, attainment_z,
           assessed_z, attainment_start_z, thresholds, cells_out, schools_out, family_cells, sums_out):
    for i in range(fsm.shape[0]):
        k = 2 * np.intp(fsm[i]) + np.intp(female[i])
        z = attainment_z[i]
        sums_out[k, CellSum.ATTAINMENT_Z] += z
        sums_out[k, CellSum.PROGRESS_Z] += z - attainment_start_z[i]  # the float32 difference, as stored values
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
            cells_out[k, CellTally.EXPECTED] += assessed_z[i] >= thr
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
          thresholds: dict[int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Integer tallies of these session counters and today's state, and attainment sums.

    The expected standard is counted on the measured score (z plus this year's test error, `assessed_z`).

    Returns (cells x CellTally, schools x SchoolTally, per family a bit 1 << cell for each cell it has children in,
    cells x CellSum float64 sums).
    """
    c = model.children
    thr = np.full(128, np.nan)  # by year group; NaN where not assessed
    for yg, t in thresholds.items():
        thr[yg] = t
    cells = np.zeros((N_CELLS, len(CellTally)), np.int64)
    schools = np.zeros((len(model.school_agents), len(SchoolTally)), np.int64)
    family_cells = np.zeros(model.families.n, np.uint8)
    sums = np.zeros((N_CELLS, len(CellSum)))
    _tally(c.fsm, c.female, c.family, c.school, possible, attended, illness, c.difficulty, c.year_group,
           c.attainment_z, assessed_z(model).astype(np.float32), c.attainment_start_z, thr, cells, schools,
           family_cells, sums)
    return cells, schools, family_cells, sums
