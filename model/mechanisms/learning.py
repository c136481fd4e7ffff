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
from .records import make_record, record_type

LearningArgs = record_type("LearningArgs", "learning", ("z_per_day", "clubs_today"), __name__)


@njit(cache=True, inline="always")
def learning_row(a, present, hungry, difficulty, blurred, offset, at_club, stage, class_club_share):
    """Today's change in one child's attainment z (`blurred`: uncorrected sight without glasses; `offset`: its
    school's daily offset, value added less the phase's national daily progress, see `daily_offset`).

    Breakfast club's routes beside hunger: a child at the club this morning arrives on time, fed and settled (a
    gain by key stage `stage`: 0 KS1, 1 KS2, 2 secondary); every pupil of a class gains from the calmer, punctual
    class in proportion to the share of it at the club (`class_club_share`), fully in KS1 and in KS2 and secondary
    times `breakfast_climate_ks2_ratio` (Magic Breakfast: +2 months in Year 2, none in Year 6). Simplified: the gains
    add to the day's learning efficiency, as the penalties take from it.
    """
    eff = 1.0
    if a.clubs_today:  # without a child at a club today both terms are 0 (skipping them gives the same sums)
        if at_club:
            eff += a.breakfast_settled_ks1 if stage == 0 else (a.breakfast_settled_ks2 if stage == 1 else
                                                             a.breakfast_settled_secondary)
        eff += a.breakfast_climate * class_club_share * (1.0 if stage == 0 else a.breakfast_climate_ks2_ratio)
    if hungry:
        eff -= a.penalty_hunger
    if difficulty:
        eff -= a.penalty_difficulty
    if blurred:
        eff -= a.penalty_vision
    if eff < 0.0:
        eff = 0.0
    gain = eff if present else a.catch_up_share * eff
    return a.z_per_day * gain + offset


def learning_args(model) -> LearningArgs:
    """The learning group's parameters, z per day (the phase reference is in each school's daily offset) and
    whether any child is at a breakfast club this morning (without one, `learning_row` skips the club terms)."""
    q = model.params.group("learning")
    return make_record(LearningArgs, q, z_per_day=q["z_per_school_year"] / DAYS_PER_YEAR,
                       clubs_today=bool(model.children.at_breakfast.any()))


def class_club_share(model) -> np.ndarray:
    """Share of each class at breakfast club this morning (zeros, without a club that has started)."""
    if not model.children.at_breakfast.any():
        if getattr(model, "_no_club", None) is None or model._no_club.size != model.class_size.size:
            model._no_club = np.zeros(model.class_size.size)
        return model._no_club
    at_club = np.bincount(model.class_id, weights=model.children.at_breakfast, minlength=model.class_size.size)
    return at_club / np.maximum(model.class_size, 1.0)


def daily_offset(params, value_added_per_day: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Each school's daily z offset (by FSM group where `value_added_per_day` is (school, FSM)): its value added
    per day less the national average pupil's daily progress in the school's phase, so `learning_row` needs no
    phase argument: `z_per_day * (gain - ref) + va` is `z_per_day * gain + (va - z_per_day * ref)`."""
    q = params.group("learning")
    z_per_day = q["z_per_school_year"] / DAYS_PER_YEAR
    catch_up = q["catch_up_share"]
    ref_att = np.where(secondary, q["reference_attendance_secondary"], q["reference_attendance_primary"])
    reference = q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * catch_up)
    if value_added_per_day.ndim == 2:  # (school, FSM group)
        reference = reference[:, None]
    return value_added_per_day - z_per_day * reference
