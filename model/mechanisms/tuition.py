"""Tuition: hours of small-group tuition a pupil attends become learning, with a dose response.

An intervention (model/interventions/tuition.py) books sessions: it sets `TuitionState.hours_today` and the pupil's
`group_size`. After the day's fused passes (so today's attendance is known) a pupil who is present attends the
session; an hour's gain in z falls with group size (`size ** -group_size_exponent`) and with the hours already
received this school year (`exp(-hours / saturation_hours)`), so the year's gain from H hours is

    z_per_hour(phase) * size ** -group_size_exponent * saturation_hours * (1 - exp(-H / saturation_hours)):

more hours, more effect, each extra hour worth a little less (FACTS §11 [V10]: NTP effects grew with hours, best
above ~20). Simplified: one attainment dimension (the evidence is mostly maths and English), a session missed is
not made up, and the time taken out of class is not costed against the class's learning (at most an hour of a
five-hour day, ~0.0002 z, an order smaller than an hour's tuition gain).
"""

from __future__ import annotations

import numpy as np

from .attendance import PRIMARY_YEARS
from .records import make_record, record_type

TuitionArgs = record_type("TuitionArgs", "tutoring", (), __name__)


class TuitionState:
    """Per-pupil tuition bookings and the dose received this school year (made by the first tuition intervention)."""

    def __init__(self, n: int) -> None:
        self.hours_today = np.zeros(n, np.float32)  # booked for today (interventions add; the mechanism clears)
        self.group_size = np.ones(n, np.float32)  # pupils per tutor in the pupil's group
        self.hours_year = np.zeros(n, np.float32)  # hours attended this school year (the dose so far)

    def new_year(self) -> None:
        """A new school year's programme starts from no hours received."""
        self.hours_year[:] = 0.0


def tuition_args(model) -> TuitionArgs:
    """The tutoring group's parameters of this run."""
    return make_record(TuitionArgs, model.params.group("tutoring"))


def tuition_gain(a: TuitionArgs, hours: np.ndarray, hours_before: np.ndarray, group_size: np.ndarray,
                 secondary: np.ndarray) -> np.ndarray:
    """The z gained from `hours` of tuition today by pupils who had `hours_before` this year (the dose curve above)."""
    rate = np.where(secondary, a.z_per_hour_secondary, a.z_per_hour_primary) * group_size ** -a.group_size_exponent
    s = a.saturation_hours
    return rate * s * (np.exp(-hours_before / s) - np.exp(-(hours_before + hours) / s))


def step_tuition(model, day: int) -> None:
    """Pupils present today attend their booked session and gain from it; bookings are then cleared."""
    state = model.tuition
    rows = np.flatnonzero(state.hours_today > 0)
    if rows.size == 0:
        return
    c = model.children
    went = rows[c.present[rows]]
    hours = state.hours_today[went].astype(np.float64)
    before = state.hours_year[went].astype(np.float64)
    gain = tuition_gain(tuition_args(model), hours, before, state.group_size[went].astype(np.float64),
                        c.year_group[went] >= PRIMARY_YEARS)
    c.attainment_z[went] += gain.astype(np.float32)
    state.hours_year[went] += hours.astype(np.float32)
    state.hours_today[rows] = 0.0
