"""Mechanism 3, learning: latent attainment (z against the national distribution) moves each school day.

An attended day adds a day's progress times efficiency (lowered by hunger, emotional difficulty and
uncorrected sight); a missed day adds `catch_up_share` of that. The national average pupil's progress is
subtracted so z stays a national comparison; school value added shifts it. Simplified: one attainment
dimension, no subject or test noise.
"""

from __future__ import annotations

from numba import njit

from ..calendar import DAYS_PER_YEAR
from .records import make_record, record_type

LearningArgs = record_type("LearningArgs", "learning", ("z_per_day", "reference_gain"),
                           __name__)


@njit(cache=True, inline="always")
def learning_row(a, present, hungry, difficulty, blurred, value_added):
    """Today's change in one child's attainment z (`blurred`: uncorrected sight without glasses; `value_added`: its
    school's value added per day)."""
    eff = 1.0
    if hungry:
        eff -= a.penalty_hunger
    if difficulty:
        eff -= a.penalty_difficulty
    if blurred:
        eff -= a.penalty_vision
    if eff < 0.0:
        eff = 0.0
    gain = eff if present else a.catch_up_share * eff
    return a.z_per_day * (gain - a.reference_gain) + value_added


def learning_args(model) -> LearningArgs:
    """The learning group's parameters, z per day and the national average pupil's daily gain."""
    q = model.params.group("learning")
    ref_att, catch_up = q["reference_attendance"], q["catch_up_share"]
    return make_record(LearningArgs, q, z_per_day=q["z_per_school_year"] / DAYS_PER_YEAR,
                       reference_gain=q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * catch_up))
