"""The area's value added per phase and FSM group, set so the synthesised cross-section is the model's steady state.

Starting attainment gives each year group and FSM group its own position (model/starting_attainment.py: KS1,
KS2 and KS4 anchors, interpolated). A cohort that moves up a year must land, on average, where the next year
group started, or each cohort falls below (or rises above) the one before and mean z and the FSM gap drift for
years. For each phase and FSM group g the cross-section asks for G: the mean step between adjacent year groups'
positions. The model's own rules give the group's pupils a year's progress against national of

    P = z_per_school_year * (E[eff * (present + (1 - present) * catch_up)]
                             - ref_eff * (ref_att + (1 - ref_att) * catch_up))

and G - P is the area's value added for that phase and group (z per school year): what its schools add beyond the
attendance- and efficiency-driven progress, so the published cross-section and the model's attendance are both
true. Each school keeps its own random value added around it (centred within the phase, pupil-weighted), and
schools' starting offsets are centred within each phase too, so a move to secondary does not shift the mean.

E[...] is taken child by child from the attendance and learning rules (model/mechanisms/attendance.py,
learning.py) at the child's own fixed log-odds (propensity, FSM, SEND, school, year), family engagement and
parent depression, a school year's seasons, spells of absence (a two-state chain on yesterday's presence), hunger
(its family's food insecurity) and emotional difficulty at its stationary share (the wellbeing rule's onset and
recovery), with the class's expected absence for the peer term. An earlier version used the profile's attendance
split in England's primary:secondary ratio and one offset per phase: where the model's attendance by phase or FSM
group differed from that split, mean z crept up ~0.01 a year and the FSM gap widened ~0.1 in 6 years.
Simplified: services, food support and parents' recovery are taken at their starting states (no support ends a
difficulty sooner here), and a season's day is taken at its own stationary presence (every 10th day sampled).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .calendar import DAYS_PER_YEAR, Calendar
from .mechanisms.attendance import fixed_logit, season
from .params import ParamTable

PRIMARY_YEARS = 7  # Reception .. Year 6: a Year 6 pupil's year of learning happens in primary school
OLDER_YEARS = 7  # exposure to crime and antisocial behaviour starts at Year 7 (model/mechanisms/neighbourhood.py)
SEASON_STEP = 10  # sample every 10th school day of the year for the seasons (19 days)


def steady_exposure(year_group: np.ndarray, crime_index: float | None, params: ParamTable) -> np.ndarray:
    """Each child's exposure stock at its steady state (older children only; zero where there is no crime index)."""
    if crime_index is None:
        return np.zeros(year_group.size)
    q = params.group("neighbourhood")
    stock = q["p_exposure"] * crime_index / max(q["exposure_decay"], 1e-9)
    return np.where(year_group >= OLDER_YEARS, stock, 0.0)


def stationary_difficulty(year_group, female, fsm, parent_depressed, food_insecure, exposure,
                          params: ParamTable) -> np.ndarray:
    """Each child's stationary probability of emotional difficulty: onset / (onset + recovery), the wellbeing rule's."""
    w = params.group("wellbeing")
    primary = year_group < PRIMARY_YEARS
    lm = np.where(primary, np.where(~female, w["b_boy_primary"], 0.0), np.where(female, w["b_girl_secondary"], 0.0))
    lm = (lm + w["b_parent_depressed"] * parent_depressed + w["b_fsm"] * fsm + w["b_food_insecure"] * food_insecure
          + w["b_exposure"] * exposure)
    onset = np.where(primary, w["p_onset_primary"], w["p_onset_secondary"]) * np.exp(lm)
    return onset / (onset + w["p_recover"])


def _season_log_odds(params: ParamTable) -> np.ndarray:
    """Season log-odds of presence on every SEASON_STEP-th day of a school year."""
    a, cal = params.group("attendance"), Calendar(1)
    return np.array([season(d.day_of_year, d.term_of_year, a)[0]
                     for d in (cal.school_day(i) for i in range(0, DAYS_PER_YEAR, SEASON_STEP))])


def expected_learning(x: np.ndarray, p_difficulty: np.ndarray, p_hungry: np.ndarray, blurred: np.ndarray,
                      params: ParamTable) -> tuple[np.ndarray, np.ndarray]:
    """(presence, learning gain) a child has on a mean day: E[present] and E[eff * (present + (1 - present) * c)].

    `x` is the log-odds before today's own state. Within a difficulty state, presence is a two-state chain on
    yesterday's presence (spells); hunger is drawn afresh each day; the season is averaged over the year.
    """
    a, q = params.group("attendance"), params.group("learning")
    c = q["catch_up_share"]
    present = np.zeros(x.size)
    gain = np.zeros(x.size)
    seasons = _season_log_odds(params)
    for s in seasons:
        for d, wd in ((0, 1.0 - p_difficulty), (1, p_difficulty)):
            xd = x + s + a["b_difficulty"] * d
            fed, hungry = (expit(xd), expit(xd + a["b_absent_yesterday"])), (
                expit(xd + a["b_hunger"]), expit(xd + a["b_hunger"] + a["b_absent_yesterday"]))
            p1 = (1.0 - p_hungry) * fed[0] + p_hungry * hungry[0]  # present today after a day present
            p0 = (1.0 - p_hungry) * fed[1] + p_hungry * hungry[1]  # present today after a day absent
            pi = p0 / (1.0 - p1 + p0)  # stationary share of days present
            for h, wh, pair in ((0, 1.0 - p_hungry, fed), (1, p_hungry, hungry)):
                pres = pi * pair[0] + (1.0 - pi) * pair[1]
                eff = np.maximum(1.0 - q["penalty_hunger"] * h - q["penalty_difficulty"] * d
                                 - q["penalty_vision"] * blurred, 0.0)
                present += wd * wh * pres
                gain += wd * wh * eff * (pres + (1.0 - pres) * c)
    return present / seasons.size, gain / seasons.size


def expected_progress(children, families, attendance_effect: np.ndarray, crime_index: float | None,
                      params: ParamTable, peer_rounds: int = 2) -> np.ndarray:
    """Each child's expected year of progress against national (z), before value added, from the model's rules.

    The peer term uses the child's class's expected absence against the area's (`peer_rounds` fixed-point rounds).
    """
    a, q, h = params.group("attendance"), params.group("learning"), params.group("hunger")
    c, f = children, families
    fixed = np.empty(c.n, np.float32)
    fixed_logit(c.year_group, c.school, c.propensity, c.fsm, c.send, attendance_effect, a["a0"], a["a_secondary"],
                a["a_year_secondary"], a["b_fsm"], a["b_sen_support"], a["b_ehcp"], fixed)
    fam = c.family
    exposure = steady_exposure(c.year_group, crime_index, params)
    x = (fixed.astype(np.float64) + a["b_engagement"] * (f.engagement_base[fam] - 0.5)
         + a["b_parent_depressed"] * f.parent_depressed[fam])
    if crime_index is not None:
        x = x + a["b_exposure"] * exposure
    food = f.food_insecure[fam]
    p_hungry = np.where(food, h["p_hungry_if_insecure"], h["p_hungry_if_secure"])
    p_diff = stationary_difficulty(c.year_group, c.female, c.fsm, f.parent_depressed[fam], food, exposure, params)
    klass = c.school.astype(np.int64) * 12 + c.year_group
    size = np.bincount(klass).astype(float)
    peer = np.zeros(c.n)
    for _ in range(peer_rounds + 1):
        present, gain = expected_learning(x + peer, p_diff, p_hungry, c.vision_uncorrected, params)
        absence = 1.0 - present
        by_class = np.bincount(klass, weights=absence, minlength=size.size) / np.maximum(size, 1.0)
        peer = -a["b_peer"] * (by_class[klass] - absence.mean())
    ref_att = np.where(c.year_group >= PRIMARY_YEARS, q["reference_attendance_secondary"],
                       q["reference_attendance_primary"])
    reference = q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * q["catch_up_share"])
    return q["z_per_school_year"] * (gain - reference)


def required_gain(shift: np.ndarray, year_group: np.ndarray, fsm: np.ndarray) -> np.ndarray:
    """Each child's gain this year to land on the next year group's start (`shift`: (12, 2) starting positions);
    a Year 11 cohort's last year continues the Year 10 to Year 11 step."""
    step = np.diff(shift, axis=0)
    step = np.vstack([step, step[-1:]])
    return step[year_group, fsm.astype(np.intp)]


def value_added_table(children, progress: np.ndarray, shift: np.ndarray, school_value_added: np.ndarray
                      ) -> np.ndarray:
    """(phase: primary, secondary) x (FSM: other, disadvantaged) value added, z per school year: the group's mean
    required gain less its mean expected progress and its pupils' schools' own value added (centred by phase over
    all pupils, it need not be over one FSM group's); a group with no pupils gets its phase's figure, or 0."""
    out = np.zeros((2, 2))
    need = required_gain(shift, children.year_group, children.fsm) - progress - school_value_added[children.school]
    secondary = children.year_group >= PRIMARY_YEARS
    for p, in_phase in enumerate((~secondary, secondary)):
        phase_mean = float(need[in_phase].mean()) if in_phase.any() else 0.0
        for g in (0, 1):
            sel = in_phase & (children.fsm == bool(g))
            out[p, g] = float(need[sel].mean()) if sel.any() else phase_mean
    return out


def centre_by_phase(values: np.ndarray, secondary: np.ndarray, pupils: np.ndarray) -> np.ndarray:
    """Per-school values less their pupil-weighted mean within the phase (a phase with no pupils is left as is)."""
    out = values.astype(np.float64).copy()
    for sel in (secondary, ~secondary):
        w = pupils[sel].astype(np.float64)
        if sel.any() and w.sum() > 0:
            out[sel] -= float(np.average(out[sel], weights=w))
    return out
