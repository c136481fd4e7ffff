"""Mechanism 1, attendance: each child each school day is present with a logistic probability.

logit P(present) = a0 + a_secondary + a_year + propensity + school effect + b_fsm*fsm + b_send
    + b_difficulty*(1 in difficulty, else the share still lingering after one lifted) + b_parent_depressed
    + b_hunger*hungry + b_engagement*(engagement - 0.5) + season(day)
    - b_peer*(class absence yesterday - mean absence yesterday) + b_absent_yesterday + b_exposure*exposure.
(the peer term lowers presence where a class missed more than the area did yesterday: absence spreads)
An absence is recorded as illness with a probability that rises at the winter peak (about half of absence in
England is illness). Simplified: a child attends both sessions of a day or neither.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..calendar import TERM_DAYS
from ..rng import bernoulli_logit, uniform
from ..state import EHCP, SEN_SUPPORT
from .records import make_record, record_type

N_YEAR_GROUPS = 12
PRIMARY_YEARS = 7
WINTER_PEAK_DAY = TERM_DAYS[0] - 3  # last week of autumn term
WINTER_SD_DAYS = 25.0  # assumption: about five school weeks


def season(day_of_year: int, term_of_year: int, a: dict) -> tuple[float, float]:
    """(log-odds of presence, illness share of absence) for a day of the school year."""
    bump = math.exp(-0.5 * ((day_of_year - WINTER_PEAK_DAY) / WINTER_SD_DAYS) ** 2)
    term = (a["season_autumn"], 0.0, a["season_summer"])[term_of_year]
    return term + a["winter_peak"] * bump, min(0.95, a["illness_share"] + 0.15 * bump)


@njit(cache=True, fastmath=True, error_model="numpy")
def fixed_logit(year_group, school, propensity, fsm, send, school_effect, a0, a_secondary, a_year, b_fsm,
                b_sen_support, b_ehcp, out):
    """The part of each child's log-odds that is fixed within a school year (recomputed after progression)."""
    for i in range(year_group.shape[0]):
        yg = year_group[i]
        x = a0 + propensity[i] + school_effect[school[i]]
        if yg >= PRIMARY_YEARS:
            x += a_secondary + a_year * (yg - PRIMARY_YEARS)
        if fsm[i]:
            x += b_fsm
        if send[i] == SEN_SUPPORT:
            x += b_sen_support
        elif send[i] == EHCP:
            x += b_ehcp
        out[i] = x


AttendanceArgs = record_type(
    "AttendanceArgs", "attendance",
    ("key", "use_exposure", "mean_absence", "season_lo", "illness_share_today", "linger", "linger_decay"), __name__)
LINGER_FLOOR = 0.01  # a lingering share below this is dropped to 0 (its penalty is < 1% of the difficulty's)


def linger_decay(days: float) -> float:
    """The daily factor of a lingering share with a mean life of `days` school days (0: none lingers)."""
    return math.exp(-1.0 / days) if days > 0.0 else 0.0


@njit(cache=True, inline="always")
def lingering_row(a, was_difficult, difficulty, lingering):
    """The share of the difficulty's attendance penalty a child still carries after today's wellbeing step.

    In difficulty the whole penalty applies (the share is 0: `attendance_logit` takes `b_difficulty` itself); the
    day a difficulty lifts the share starts at `linger_decay` and is multiplied by it every school day after, so
    disengagement from school recovers more slowly than mood (mean life `disengagement_days`). Rounded to float32,
    as stored. Simplified: one decay for every child, and the share does not touch learning efficiency.
    """
    if difficulty:
        return np.float32(0.0)
    share = a.linger_decay if was_difficult else float(lingering) * a.linger_decay  # in float64 both ways
    return np.float32(share if share >= LINGER_FLOOR else 0.0)


@njit(cache=True, inline="always")
def attendance_base(a, fixed, engagement, class_absence):
    """The part of one child's log-odds that does not depend on its own state today: fixed, season, family
    engagement and the peer effect (`class_absence`: its class's absence rate yesterday; `a`: `AttendanceArgs`).

    Separate so a fused pass can start it (two gathers and a chain of additions) early in a child's step.
    """
    return fixed + a.season_lo + a.b_engagement * (engagement - 0.5) - a.b_peer * (class_absence - a.mean_absence)


@njit(cache=True, inline="always")
def attendance_logit(a, x, difficulty, lingering, parent_depressed, hungry, absent_yesterday, exposure, secondary,
                     school_support, followup):
    """One child's log-odds of presence today: `attendance_base` (`x`) plus the terms of its own state today.

    `lingering` is the share of the difficulty's penalty still carried after one has lifted (`lingering_row`; 0
    without `disengagement_days`); `parent_depressed` is the family's value; `school_support`: in support from a
    school-based mental-health team today; `followup`: the share of an absence spell's pull the school's case
    management removes (a hub's attendance follow-up, 0 elsewhere).
    """
    # selects, not branches, on the child's state (adding 0.0 leaves x as it is: the same sums as branches)
    x += a.b_difficulty if difficulty else (a.b_difficulty * lingering if a.linger else 0.0)
    x += a.b_parent_depressed if parent_depressed else 0.0
    x += a.b_hunger if hungry else 0.0
    # spells of absence, shortened where someone follows up the absent child
    x += a.b_absent_yesterday * (1.0 - followup) if absent_yesterday else 0.0
    if school_support:  # support from a school mental-health team re-engages the child (FACTS §11 [V5])
        x += a.b_school_support_secondary if secondary else a.b_school_support_primary
    if a.use_exposure:
        x += a.b_exposure * exposure
    return x


@njit(cache=True, inline="always")
def absence_reason(a, day, i, health):
    """For child `i` whose presence draw failed: (present, ill). `health`: the share of illness absences a health
    service in the school avoids (a minor illness seen in school instead of a day at home; a hub's, else 0)."""
    ill = uniform(a.key, day, i, 1) < a.illness_share_today  # the reason draw: lane 1 of the presence stream
    if ill and health > 0.0 and uniform(a.key, day, i, 2) < health:  # lane 2: seen in school, stays
        return True, False
    return False, ill


@njit(cache=True, inline="always")
def attendance_row(a, day, i, x, difficulty, lingering, parent_depressed, hungry, absent_yesterday, exposure,
                   secondary, school_support, followup, health):
    """One child's presence today, and whether an absence is illness: returns (present, ill).

    `x` is `attendance_base`; the other arguments as `attendance_logit` and `absence_reason` take them. The
    fused child pass runs the same steps split (`model/mechanisms/absences.py`): the draw's certain successes
    in its loop, the rest after it.
    """
    u = uniform(a.key, day, i, 0)
    x = attendance_logit(a, x, difficulty, lingering, parent_depressed, hungry, absent_yesterday, exposure,
                         secondary, school_support, followup)
    if bernoulli_logit(u, x):
        return True, False
    return absence_reason(a, day, i, health)


def refresh_fixed_logit(model) -> None:
    """Recompute the fixed log-odds and class index (at set-up and after year-group progression)."""
    c, a = model.children, model.params.group("attendance")
    fixed_logit(c.year_group, c.school, c.propensity, c.fsm, c.send, model.school_arrays.attendance_effect,
                a["a0"], a["a_secondary"], a["a_year_secondary"], a["b_fsm"], a["b_sen_support"], a["b_ehcp"],
                model.attendance_fixed)
    model.attendance_fixed += model.attendance_shift  # interventions' per-child log-odds (supervised toothbrushing)
    model.class_id[:] = c.school.astype(np.int32) * N_YEAR_GROUPS + c.year_group
    model.class_size[:] = np.bincount(model.class_id, minlength=model.class_size.size)


def attendance_args(model) -> AttendanceArgs:
    """The attendance group's parameters, the stream key, yesterday's mean absence, today's season
    log-odds and illness share of absence."""
    a, cal = model.params.group("attendance"), model.today
    season_lo, illness_share = season(cal.day_of_year, cal.term_of_year, a)
    decay = linger_decay(a["disengagement_days"])
    return make_record(AttendanceArgs, a, key=model.streams["attendance"], use_exposure=model.crime_index is not None,
                       mean_absence=model._mean_absence, season_lo=season_lo,
                       illness_share_today=illness_share, linger=decay > 0.0, linger_decay=decay)


@njit(cache=True)
def _absence_rates(absent, size, out):
    """absent / max(size, 1) by class: what numpy's divide gives, in one call (this runs every day)."""
    for c in range(absent.shape[0]):
        out[c] = absent[c] / max(size[c], 1.0)


def end_attendance(model, n_absent: int) -> None:
    """Turn today's absences into tomorrow's class absence rates (the peer effect) and the day's count."""
    _absence_rates(model._class_absent, model.class_size, model._class_absence)
    model._mean_absence = n_absent / max(1, model.children.n)
    model.present_today = model.children.n - n_absent
