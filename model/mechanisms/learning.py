"""Mechanism 3, learning: latent attainment (z against the national distribution) moves each school day.

An attended day adds a day's progress times efficiency (lowered by hunger, emotional difficulty and
uncorrected sight); a missed day adds `catch_up_share` of that. The national average pupil's progress in the
child's phase (primary or secondary: their national attendance differs, FACTS §1) is subtracted so z stays a
national comparison; school value added shifts it. Both enter the kernel as one per-school daily offset.
Simplified: one attainment dimension; test noise is added only when the standard is measured
(model/starting_attainment.py, `assessed_z`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..calendar import DAYS_PER_YEAR


@njit(cache=True, inline="always")
def learning_row(present, hungry, difficulty, blurred, value_added, z_per_day, catch_up, pen_hunger, pen_difficulty,
                 pen_vision, reference):
    """Today's change in one child's attainment z (`blurred`: uncorrected sight without glasses)."""
    eff = 1.0
    if hungry:
        eff -= pen_hunger
    if difficulty:
        eff -= pen_difficulty
    if blurred:
        eff -= pen_vision
    if eff < 0.0:
        eff = 0.0
    gain = eff if present else catch_up * eff
    return z_per_day * (gain - reference) + value_added


@njit(cache=True, fastmath=True, error_model="numpy")
def _learning_kernel(present, hungry, difficulty, vision_uncorrected, wears_glasses, school, attainment_z,
                     value_added, z_per_day, catch_up, pen_hunger, pen_difficulty, pen_vision, reference):
    for i in range(present.shape[0]):
        attainment_z[i] += learning_row(present[i], hungry[i], difficulty[i],
                                        vision_uncorrected[i] and not wears_glasses[i], value_added[school[i]],
                                        z_per_day, catch_up, pen_hunger, pen_difficulty, pen_vision, reference)


def learning_args(model) -> tuple:
    """(daily offset by school, z per day, catch-up share, the three penalties, reference gain = 0).

    The offset by school is its value added per day less the national average pupil's daily progress in the
    school's phase, so `learning_row` needs no phase argument: `z_per_day * (gain - ref) + va` is
    `z_per_day * gain + (va - z_per_day * ref)`.
    """
    q = model.params.group("learning")
    z_per_day = q["z_per_school_year"] / DAYS_PER_YEAR
    catch_up = q["catch_up_share"]
    ref_att = np.where(model.school_arrays.secondary, q["reference_attendance_secondary"],
                       q["reference_attendance_primary"])
    reference = q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * catch_up)
    offset = model.school_arrays.value_added_per_day - z_per_day * reference
    return (offset, z_per_day, catch_up, q["penalty_hunger"], q["penalty_difficulty"], q["penalty_vision"], 0.0)


def step_learning(model, day: int) -> None:
    """Update every child's attainment for today."""
    c = model.children
    _learning_kernel(c.present, c.hungry, c.difficulty, c.vision_uncorrected, c.wears_glasses, c.school,
                     c.attainment_z, *learning_args(model))
