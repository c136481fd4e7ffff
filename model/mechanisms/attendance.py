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
from ..rng import uniform
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


@njit(cache=True)
def _attendance_kernel(key, day, year_group, school, family, propensity, fsm, send, difficulty, hungry, exposure,
                       present, absent_yesterday, term_possible, term_attended, term_illness, parent_depressed,
                       engagement, school_effect, class_absence, mean_absence, a0, a_secondary, a_year,
                       b_fsm, b_sen_support, b_ehcp, b_difficulty, b_parent, b_hunger, b_engagement, b_peer,
                       b_absent_yesterday, b_exposure, season_lo, illness_share, class_absent, class_n):
    class_absent[:] = 0.0
    class_n[:] = 0.0
    for i in range(year_group.shape[0]):
        u = uniform(key, day, i, 0)
        u_reason = uniform(key, day, i, 1)
        yg = year_group[i]
        s = school[i]
        f = family[i]
        x = a0 + propensity[i] + school_effect[s] + season_lo
        if yg >= PRIMARY_YEARS:
            x += a_secondary + a_year * (yg - PRIMARY_YEARS)
        if fsm[i]:
            x += b_fsm
        if send[i] == SEN_SUPPORT:
            x += b_sen_support
        elif send[i] == EHCP:
            x += b_ehcp
        if difficulty[i]:
            x += b_difficulty
        if parent_depressed[f]:
            x += b_parent
        if hungry[i]:
            x += b_hunger
        if absent_yesterday[i]:
            x += b_absent_yesterday
        x += b_engagement * (engagement[f] - 0.5) + b_exposure * exposure[i]
        c = s * N_YEAR_GROUPS + yg
        x += b_peer * (class_absence[c] - mean_absence)
        is_present = u < 1.0 / (1.0 + math.exp(-x))
        present[i] = is_present
        absent_yesterday[i] = not is_present
        term_possible[i] += 2
        class_n[c] += 1.0
        if is_present:
            term_attended[i] += 2
        else:
            class_absent[c] += 1.0
            if u_reason < illness_share:
                term_illness[i] += 2


def step_attendance(model, day: int) -> None:
    """Who is in school today; updates term counters and each class's absence for tomorrow's peer effect."""
    c, f, a = model.children, model.families, model.params.group("attendance")
    cal = model.today
    season_lo, illness_share = season(cal.day_of_year, cal.term_of_year, a)
    absent, n = model._class_absent, model._class_n
    mean_absence = model._mean_absence
    _attendance_kernel(model.streams["attendance"], day, c.year_group, c.school, c.family, c.propensity, c.fsm,
                       c.send, c.difficulty, c.hungry, c.exposure, c.present, c.absent_yesterday, c.term_possible,
                       c.term_attended, c.term_illness, f.parent_depressed, f.engagement,
                       model.school_arrays.attendance_effect, model._class_absence, mean_absence, a["a0"],
                       a["a_secondary"], a["a_year_secondary"], a["b_fsm"], a["b_sen_support"], a["b_ehcp"],
                       a["b_difficulty"], a["b_parent_depressed"], a["b_hunger"], a["b_engagement"], a["b_peer"],
                       a["b_absent_yesterday"], a["b_exposure"], season_lo, illness_share, absent, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        model._class_absence[:] = np.where(n > 0, absent / np.maximum(n, 1.0), 0.0)
    model._mean_absence = float(absent.sum() / max(1.0, n.sum()))
