"""Mechanism 1, attendance: each child each school day is present with a logistic probability.

logit P(present) = a0 + a_secondary + a_year + propensity + school effect + b_fsm*fsm + b_send + b_difficulty
    + b_parent_depressed + b_hunger*hungry + b_engagement*(engagement - 0.5) + season(day)
    + b_peer*(class absence yesterday - mean absence yesterday) + b_absent_yesterday + b_exposure*exposure.
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


@njit(cache=True, inline="always")
def attendance_base(fixed, season_lo, engagement, class_absence, mean_absence, b_engagement, b_peer):
    """The part of one child's log-odds that does not depend on its own state today: fixed, season, family
    engagement and the peer effect (`class_absence`: its class's absence rate yesterday).

    Separate so a fused pass can start it (two gathers and a chain of additions) early in a child's step.
    """
    return fixed + season_lo + b_engagement * (engagement - 0.5) + b_peer * (class_absence - mean_absence)


@njit(cache=True, inline="always")
def attendance_row(key, day, i, x, difficulty, parent_depressed, hungry, absent_yesterday, exposure, use_exposure,
                   b_difficulty, b_parent, b_hunger, b_absent_yesterday, b_exposure, illness_share):
    """One child's presence today, and whether an absence is illness: returns (present, ill).

    `x` is `attendance_base`; `parent_depressed` is the family's value.
    """
    u = uniform(key, day, i, 0)
    if difficulty:
        x += b_difficulty
    if parent_depressed:
        x += b_parent
    if hungry:
        x += b_hunger
    if absent_yesterday:  # spells of absence
        x += b_absent_yesterday
    if use_exposure:
        x += b_exposure * exposure
    if bernoulli_logit(u, x):
        return True, False
    return False, uniform(key, day, i, 1) < illness_share  # the reason draw: lane 1 of the same stream


@njit(cache=True, fastmath=True, error_model="numpy")
def _attendance_kernel(key, day, fixed, class_id, family, difficulty, hungry, exposure, use_exposure, present,
                       term_possible, term_attended, term_illness, parent_depressed, engagement, class_absence,
                       mean_absence, b_difficulty, b_parent, b_hunger, b_engagement, b_peer, b_absent_yesterday,
                       b_exposure, season_lo, illness_share, class_absent):
    class_absent[:] = 0.0
    n_absent = 0
    for i in range(fixed.shape[0]):
        f, c = family[i], class_id[i]
        x = attendance_base(fixed[i], season_lo, engagement[f], class_absence[c], mean_absence, b_engagement, b_peer)
        is_present, ill = attendance_row(key, day, i, x, difficulty[i], parent_depressed[f], hungry[i], not present[i],
                                         exposure[i], use_exposure, b_difficulty, b_parent, b_hunger,
                                         b_absent_yesterday, b_exposure, illness_share)
        present[i] = is_present
        term_possible[i] += 2
        if is_present:
            term_attended[i] += 2
        else:
            n_absent += 1
            class_absent[c] += 1.0
            if ill:
                term_illness[i] += 2
    return n_absent


def refresh_fixed_logit(model) -> None:
    """Recompute the fixed log-odds and class index (at set-up and after year-group progression)."""
    c, a = model.children, model.params.group("attendance")
    fixed_logit(c.year_group, c.school, c.propensity, c.fsm, c.send, model.school_arrays.attendance_effect,
                a["a0"], a["a_secondary"], a["a_year_secondary"], a["b_fsm"], a["b_sen_support"], a["b_ehcp"],
                model.attendance_fixed)
    model.class_id[:] = c.school.astype(np.int32) * N_YEAR_GROUPS + c.year_group
    model.class_size[:] = np.bincount(model.class_id, minlength=model.class_size.size)


def attendance_args(model) -> tuple:
    """(stream key, class absence yesterday, mean absence yesterday, the coefficients, season, illness share)."""
    a, cal = model.params.group("attendance"), model.today
    season_lo, illness_share = season(cal.day_of_year, cal.term_of_year, a)
    return (model.streams["attendance"], model._class_absence, model._mean_absence, a["b_difficulty"],
            a["b_parent_depressed"], a["b_hunger"], a["b_engagement"], a["b_peer"], a["b_absent_yesterday"],
            a["b_exposure"], season_lo, illness_share)


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


def step_attendance(model, day: int) -> None:
    """Who is in school today; updates term counters and each class's absence for tomorrow's peer effect."""
    c, f = model.children, model.families
    key, class_absence, mean_absence, *coef, season_lo, illness_share = attendance_args(model)
    n_absent = _attendance_kernel(
        key, day, model.attendance_fixed, model.class_id, c.family, c.difficulty, c.hungry, c.exposure,
        model.crime_index is not None, c.present, c.term_possible, c.term_attended, c.term_illness,
        f.parent_depressed, f.engagement, class_absence, mean_absence, *coef, season_lo, illness_share,
        model._class_absent)
    end_attendance(model, n_absent)
