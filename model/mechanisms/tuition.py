"""Tuition: hours of small-group tuition a pupil attends become learning, with a dose response and a delivery route.

An intervention (model/interventions/tuition.py) books sessions: it sets `TuitionState.hours_today`, the pupil's
`group_size`, who tutors (`school_staff`) and whether sessions are in lesson time (`in_lesson`). After the day's
fused passes (so today's attendance is known) a pupil who is present attends the session; an hour's gain in z falls
with group size (`size ** -group_size_exponent`) and with the hours already received this school year
(`exp(-hours / saturation_hours)`), so the year's gain from H hours with a trained tutor is

    z_per_hour(phase) * size ** -group_size_exponent * saturation_hours * (1 - exp(-H / saturation_hours)):

more hours, more effect, each extra hour worth a little less (FACTS §11 [V10]: NTP effects grew with hours, best
above ~20). The delivery route: an hour with the school's own staff is worth `school_staff_hour_ratio` of a trained
tutor's hour (the Toolkit's trials used trained tutors; the National Tutoring Programme was mostly school-led), times
`school_staff_secondary_factor` in secondary schools (who tutors differs by phase: a secondary's own tutors are more
often subject teachers, a primary's more often teaching assistants; without it the model's NTP effect at KS4 is tied
to half its KS2, the Toolkit's primary-to-secondary ratio, where NTP found about the same in both), and an
hour in lesson time displaces an hour of class learning: the learning mechanism's own difference between a day
attended and a day missed (`learning_row`, at the pupil's efficiency today) over `lesson_hours_per_day`.
Simplified: one attainment dimension (the evidence is mostly maths and English), a session missed is not made up.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .attendance import PRIMARY_YEARS
from .learning import class_club_share, learning_args, learning_row
from .records import make_record, record_type

TuitionArgs = record_type("TuitionArgs", "tutoring", (), __name__)


class TuitionState:
    """Per-pupil tuition bookings and the dose received this school year (made by the first tuition intervention)."""

    def __init__(self, n: int) -> None:
        self.hours_today = np.zeros(n, np.float32)  # booked for today (interventions add; the mechanism clears)
        self.group_size = np.ones(n, np.float32)  # pupils per tutor in the pupil's group
        self.school_staff = np.zeros(n, np.bool_)  # tutored by the school's own staff (not a trained tutor)
        self.in_lesson = np.zeros(n, np.bool_)  # sessions taken out of lessons
        self.hours_year = np.zeros(n, np.float32)  # hours attended this school year (the dose so far)

    def new_year(self) -> None:
        """A new school year's programme starts from no hours received."""
        self.hours_year[:] = 0.0


def tuition_args(model) -> TuitionArgs:
    """The tutoring group's parameters of this run."""
    return make_record(TuitionArgs, model.params.group("tutoring"))


def tuition_gain(a: TuitionArgs, hours: np.ndarray, hours_before: np.ndarray, group_size: np.ndarray,
                 secondary: np.ndarray, school_staff: np.ndarray | bool = False) -> np.ndarray:
    """The z gained from `hours` of tuition today by pupils who had `hours_before` this year (the dose curve above)."""
    rate = np.where(secondary, a.z_per_hour_secondary, a.z_per_hour_primary) * group_size ** -a.group_size_exponent
    staff = a.school_staff_hour_ratio * np.where(secondary, a.school_staff_secondary_factor, 1.0)
    rate = rate * np.where(school_staff, staff, 1.0)
    s = a.saturation_hours
    return rate * s * (np.exp(-hours_before / s) - np.exp(-(hours_before + hours) / s))


@njit(cache=True)
def class_hour_z(la, rows, hungry, difficulty, blurred, at_breakfast, stage, club_share):
    """The z one hour of today's lessons is worth to each pupil in `rows`: attending less missing, per class day."""
    out = np.empty(rows.shape[0], np.float64)
    for j in range(rows.shape[0]):
        i = rows[j]
        attended = learning_row(la, True, hungry[i], difficulty[i], blurred[i], 0.0, at_breakfast[i], stage[j],
                                club_share[j])
        missed = learning_row(la, False, hungry[i], difficulty[i], blurred[i], 0.0, at_breakfast[i], stage[j],
                              club_share[j])
        out[j] = attended - missed
    return out


def displaced_z(model, rows: np.ndarray, lesson_hours_per_day: float) -> np.ndarray:
    """Class learning one hour out of lessons costs each pupil in `rows` today, at the learning mechanism's rate."""
    c = model.children
    year = c.year_group[rows]
    stage = np.where(year >= PRIMARY_YEARS, 2, np.where(year >= 3, 1, 0)).astype(np.int64)
    blurred = c.vision_uncorrected & ~c.wears_glasses
    share = class_club_share(model)[model.class_id[rows]].astype(np.float64)
    per_day = class_hour_z(learning_args(model), rows.astype(np.int64), c.hungry, c.difficulty, blurred,
                           c.at_breakfast, stage, share)
    return per_day / lesson_hours_per_day


def step_tuition(model, day: int) -> None:
    """Pupils present today attend their booked session and gain from it; bookings are then cleared."""
    state = model.tuition
    rows = np.flatnonzero(state.hours_today > 0)
    if rows.size == 0:
        return
    c = model.children
    went = rows[c.present[rows]]
    a = tuition_args(model)
    hours = state.hours_today[went].astype(np.float64)
    before = state.hours_year[went].astype(np.float64)
    gain = tuition_gain(a, hours, before, state.group_size[went].astype(np.float64),
                        c.year_group[went] >= PRIMARY_YEARS, state.school_staff[went])
    lesson = went[state.in_lesson[went]]
    if lesson.size:
        gain[state.in_lesson[went]] -= hours[state.in_lesson[went]] * displaced_z(model, lesson, a.lesson_hours_per_day)
    c.attainment_z[went] += gain.astype(np.float32)
    state.hours_year[went] += hours.astype(np.float32)
    state.hours_today[rows] = 0.0
