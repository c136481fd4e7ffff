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
learning.py) at the child's own fixed log-odds (propensity, FSM, SEND, school, year), parent depression, family
engagement with the uplift the baseline's Early Help holds, a school year's seasons, spells of absence (a
two-state chain on yesterday's presence), hunger (its family's food insecurity) and emotional difficulty at its
stationary share with the baseline's CAMHS and MHSTs, with the class's expected absence for the peer term.
The family states keep their synthesis shares as their steady state with the baseline's services (food support,
talking therapies, Early Help: `food_onset`, `parent_support_recovery`), so they neither drift down as the
services act nor spread evenly away from deprivation. An earlier version used the profile's attendance split in
England's primary:secondary ratio, one offset per phase and states that services moved: mean z crept up ~0.01 a
year and the FSM gap widened ~0.1 in 6 years. Simplified: service flows are capacity- or referral-bound means
with no queues, spread evenly over those in need, and a season's day is taken at its own stationary presence
(every 19th day sampled); measured, mean z stays within ~0.03 of year 1 over 6 years in the four areas.

The summer break (model/mechanisms/summer.py) takes each child's expected holiday loss (its family's food
insecurity, no holiday provision) once a year, so P counts it and value added makes up each group's mean loss.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .calendar import DAYS_PER_YEAR, Calendar
from .mechanisms.attendance import LINGER_FLOOR, fixed_logit, linger_decay, season
from .mechanisms.summer import summer_loss_z
from .params import ParamTable

PRIMARY_YEARS = 7  # Reception .. Year 6: a Year 6 pupil's year of learning happens in primary school
OLDER_YEARS = 7  # exposure to crime and antisocial behaviour starts at Year 7 (model/mechanisms/neighbourhood.py)
SEASON_STEP = 19  # sample every 19th school day of the year for the seasons (10 days: within 0.001 z of 19 days)
CALENDAR_TO_SCHOOL_WEEKS = 52.0 / (DAYS_PER_YEAR / 5)  # capacities are per calendar week (model/population.py)


def steady_exposure(year_group: np.ndarray, crime_index: float | None, params: ParamTable) -> np.ndarray:
    """Each child's exposure stock at its steady state (older children only; zero where there is no crime index)."""
    if crime_index is None:
        return np.zeros(year_group.size)
    q = params.group("neighbourhood")
    stock = q["p_exposure"] * crime_index / max(q["exposure_decay"], 1e-9)
    return np.where(year_group >= OLDER_YEARS, stock, 0.0)


def stationary_difficulty(year_group, female, fsm, parent_depressed, food_insecure, exposure,
                          params: ParamTable, extra_recovery: float = 0.0) -> np.ndarray:
    """Each child's stationary probability of emotional difficulty: onset / (onset + recovery), the wellbeing rule's
    (`extra_recovery`: the daily recoveries the baseline's services add per child in difficulty)."""
    onset = difficulty_onset(year_group, female, fsm, parent_depressed, food_insecure, exposure, params)
    return onset / (onset + params["wellbeing.p_recover"] + extra_recovery)


def difficulty_onset(year_group, female, fsm, parent_depressed, food_insecure, exposure,
                     params: ParamTable) -> np.ndarray:
    """Each child's daily onset probability of emotional difficulty (the wellbeing rule's, at the child's state)."""
    w = params.group("wellbeing")
    primary = year_group < PRIMARY_YEARS
    lm = np.where(primary, np.where(~female, w["b_boy_primary"], 0.0), np.where(female, w["b_girl_secondary"], 0.0))
    lm = (lm + w["b_parent_depressed"] * parent_depressed + w["b_fsm"] * fsm + w["b_food_insecure"] * food_insecure
          + w["b_exposure"] * exposure)
    return np.where(primary, w["p_onset_primary"], w["p_onset_secondary"]) * np.exp(lm)


def children_onset(children, families, exposure: np.ndarray, params: ParamTable) -> np.ndarray:
    """`difficulty_onset` for every child at its own and its family's state today."""
    c, f = children, families
    return difficulty_onset(c.year_group, c.female, c.fsm, f.parent_depressed[c.family], f.food_insecure[c.family],
                            exposure, params)


def steady_lingering(onset: np.ndarray, difficulty: np.ndarray, params: ParamTable, u: np.ndarray) -> np.ndarray:
    """Each child's share of the difficulty's attendance penalty still lingering at the start (`lingering_row`).

    Out of difficulty, a two-state chain's days since its last lift are geometric in the daily onset (looking
    back, each day out of it is the first with probability `onset`): k = floor(log u / log(1 - onset)) + 1 for a
    uniform u, and the share is decay^k. Simplified: the child's onset at the start stands for its past ones.
    """
    decay = linger_decay(params["attendance.disengagement_days"])
    k = np.floor(np.log(np.maximum(u, 1e-300)) / np.log1p(-np.clip(onset, 1e-12, 0.5))) + 1.0
    share = np.where(difficulty, 0.0, decay ** np.minimum(k, 1e6))
    return np.where(share >= LINGER_FLOOR, share, 0.0).astype(np.float32)


def mean_lingering(onset: np.ndarray, params: ParamTable) -> np.ndarray | None:
    """Each child's mean lingering share on days out of difficulty, E[decay^k] over `steady_lingering`'s k:
    onset x decay / (1 - (1 - onset) x decay); None without `disengagement_days`. Simplified: the share the floor
    drops is not taken off, and the mean share stands for the share in the expit (`expected_learning`)."""
    decay = linger_decay(params["attendance.disengagement_days"])
    if decay <= 0.0:
        return None
    return onset * decay / (1.0 - (1.0 - onset) * decay)


def support_recovery(area, params: ParamTable, n_difficulty: float, scale: float) -> float:
    """Extra recoveries a day per child in difficulty that the baseline's CAMHS and MHSTs bring about.

    Starts a day are the services' places (CAMHS per calendar week turned into school weeks; MHSTs per school week
    per team) or the referrals (`wellbeing.p_refer` a day per child in difficulty, times the MHST multiplier in
    covered schools), whichever is fewer, less `services.p_dna`; each start turns a support spell of D days at
    `p_recover_in_support` into recoveries exp(-r D) - exp(-r_s D) more than natural recovery would. Simplified:
    no queue (children who recover while waiting), spread evenly over all children in difficulty.
    """
    if n_difficulty <= 0:
        return 0.0
    cap, w, s = area.capacity, params.group("wellbeing"), params.group("services")
    camhs = cap.camhs_new_cases_per_week.value * CALENDAR_TO_SCHOOL_WEEKS
    mhst = cap.mhst_teams.value * s["mhst_cases_per_week_per_team"] if cap.mhst_schools_covered_share.value else 0.0
    if camhs + mhst <= 0:
        return 0.0
    days = (camhs * s["support_days_camhs"] + mhst * s["support_days_mhst"]) / (camhs + mhst)
    covered = cap.mhst_schools_covered_share.value if mhst > 0 else 0.0
    referrals = w["p_refer"] * n_difficulty * (1.0 + (w["mhst_referral_multiplier"] - 1.0) * covered)
    starts = min((camhs + mhst) * scale / 5.0, referrals) * (1.0 - s["p_dna"])
    r, r_s = w["p_recover"], w["p_recover_in_support"]
    return starts * (np.exp(-r * days) - np.exp(-r_s * days)) / n_difficulty


def _starts_per_day(fig, scale: float, params: ParamTable, demand: float) -> float:
    """Starts a school day of a baseline service with `fig` places a calendar week, given `demand` referrals a day."""
    if fig is None or fig.value <= 0:
        return 0.0
    return min(fig.value * CALENDAR_TO_SCHOOL_WEEKS * scale / 5.0, demand) * (1.0 - params["services.p_dna"])


def parent_support_recovery(area, params: ParamTable, n_depressed: float, n_in_need: float, scale: float) -> float:
    """Extra recoveries a day per depressed parent that talking therapies and Early Help bring about (as
    `support_recovery`, at `wellbeing.p_parent_recover_in_support`; Early Help's starts go to families in need,
    `n_in_need` of them, and reach depressed parents in proportion)."""
    if n_depressed <= 0:
        return 0.0
    cap, w, s, q = area.capacity, params.group("wellbeing"), params.group("services"), params.group("food")
    r, r_s = w["p_parent_recover"], w["p_parent_recover_in_support"]
    extra = 0.0
    for fig, demand, days, share in (
            (cap.talking_therapies_new_cases_per_week, w["p_parent_refer"] * n_depressed,
             s["support_days_talking_therapies"], 1.0),
            (cap.early_help_new_cases_per_week, q["p_refer_early_help"] * n_in_need, s["support_days_early_help"],
             n_depressed / max(n_in_need, n_depressed))):
        extra += _starts_per_day(fig, scale, params, demand) * share * (np.exp(-r * days) - np.exp(-r_s * days))
    return extra / n_depressed


def engagement_uplift(area, params: ParamTable, need: np.ndarray, scale: float) -> np.ndarray:
    """Each family's expected engagement above its base from Early Help: starts a day times the gain a spell adds
    (gain x days), held for 1 / decay days on average, shared over families by their chance of being in need."""
    q, s = params.group("food"), params.group("services")
    starts = _starts_per_day(area.capacity.early_help_new_cases_per_week, scale, params,
                             q["p_refer_early_help"] * float(need.sum()))
    total = starts * q["early_help_engagement_gain"] * s["support_days_early_help"] / max(q["engagement_decay"], 1e-9)
    return total * need / max(float(need.sum()), 1e-12)


def steady_difficulty(children, families, exposure: np.ndarray, area, params: ParamTable, scale: float,
                      rounds: int = 6) -> np.ndarray:
    """Each child's stationary probability of difficulty with the baseline's services (a fixed point in the number
    of children in difficulty, which sets how far the services' places go)."""
    onset = children_onset(children, families, exposure, params)  # the same every round: once
    recover = params["wellbeing.p_recover"]
    p = onset / (onset + recover)
    for _ in range(rounds):
        p = onset / (onset + recover + support_recovery(area, params, float(p.sum()), scale))
    return p


def food_support_rate(area, params: ParamTable, n_insecure: float, scale: float) -> float:
    """Daily probability that a food-insecure family starts food support at the area's baseline capacity.

    Families seek at `food.p_seek` a day; the service offers `capacity * scale` places a school week (calendar
    weeks turned into the 38 school weeks) and a share `services.p_dna` of offers is not taken up, so at most
    that many starts a day spread over the `n_insecure` insecure families.
    """
    fig = area.capacity.food_support_new_cases_per_week
    if fig is None or fig.value <= 0 or n_insecure <= 0:
        return 0.0
    starts_per_day = fig.value * CALENDAR_TO_SCHOOL_WEEKS * scale / 5.0 * (1.0 - params["services.p_dna"])
    return min(params["food.p_seek"], starts_per_day / n_insecure)


def food_onset(share: np.ndarray, support_rate: float, params: ParamTable) -> np.ndarray:
    """Each family's daily onset of food insecurity so that `share` (its synthesis probability) is its steady state
    with natural recovery and the baseline's food support.

    A renewal cycle: insecure for 1 / (r + s) days (recovery r, support s); after support (a share s / (r + s)
    of spells) secure and protected for T = support days + `food.secure_days_after_support`; then secure until
    onset o. Insecure share = (1/(r+s)) / (1/(r+s) + sT/(r+s) + 1/o) = share gives o = (r+s) / ((1-share)/share - sT).
    Simplified: the wait for support counts as insecure time at rate s (no queue), and a family whose share
    cannot be reached at o = 0.5 a day is capped there.
    """
    r, s = params["food.p_recover"], support_rate
    t = params["services.support_days_food"] + params["food.secure_days_after_support"]
    odds_inv = (1.0 - share) / np.maximum(share, 1e-9) - s * t
    return np.where(odds_inv > 0, np.minimum(0.5, (r + s) / np.maximum(odds_inv, 1e-12)), 0.5)


def _season_log_odds(params: ParamTable) -> np.ndarray:
    """Season log-odds of presence on every SEASON_STEP-th day of a school year."""
    a, cal = params.group("attendance"), Calendar(1)
    return np.array([season(d.day_of_year, d.term_of_year, a)[0]
                     for d in (cal.school_day(i) for i in range(0, DAYS_PER_YEAR, SEASON_STEP))])


def expected_learning(x: np.ndarray, p_difficulty: np.ndarray, p_hungry: np.ndarray, blurred: np.ndarray,
                      params: ParamTable, lingering: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(presence, learning gain) a child has on a mean day: E[present] and E[eff * (present + (1 - present) * c)].

    `x` is the log-odds before today's own state. Within a difficulty state, presence is a two-state chain on
    yesterday's presence (spells); hunger is drawn afresh each day; the season is averaged over the year; out of
    difficulty a child carries its mean lingering share of the difficulty's penalty (`mean_lingering`, if given).
    """
    a, q = params.group("attendance"), params.group("learning")
    eff_base = np.array([[1.0 - q["penalty_hunger"] * h - q["penalty_difficulty"] * d for h in (0, 1)]
                         for d in (0, 1)])  # eff before the vision penalty, by (difficulty, hunger)
    # exp(-(x + season + state terms)) = exp(-x) * exp(-season) * exp(-state terms): one exp per child
    factors = np.exp(-np.array([0.0, a["b_difficulty"], a["b_absent_yesterday"], a["b_hunger"],
                                a["b_hunger"] + a["b_absent_yesterday"]]))
    present, gain = np.empty(x.size), np.empty(x.size)
    well = np.ones(x.size) if lingering is None else np.exp(-a["b_difficulty"] * lingering)  # factor out of it
    _expected_learning_kernel(np.ascontiguousarray(x, np.float64), np.ascontiguousarray(p_difficulty, np.float64),
                              np.ascontiguousarray(p_hungry, np.float64), np.ascontiguousarray(blurred, np.bool_),
                              np.exp(-_season_log_odds(params)), factors, eff_base, q["penalty_vision"],
                              q["catch_up_share"], well, present, gain)
    return present, gain


@njit(cache=True, error_model="numpy")
def _expected_learning_kernel(x, p_difficulty, p_hungry, blurred, season_factor, factors, eff_base, penalty_vision,
                              c, well, present_out, gain_out):
    """`expected_learning` child by child, seasons averaged, in one pass with one exp per child.

    expit(x + s + b) = 1 / (1 + exp(-x) exp(-s) exp(-b)); the whole-array version, four expits a season and state
    with a temporary each, took half of a locality's build (issue 19). The products round differently from
    exp of the sum: the results differ from it by a few units in the last place (tests/test_expected_learning.py).
    """
    n_seasons = season_factor.size
    f_absent, f_hungry, f_hungry_absent = factors[2], factors[3], factors[4]
    for i in range(x.size):
        ph, pd = p_hungry[i], p_difficulty[i]
        vision = penalty_vision * (1.0 if blurred[i] else 0.0)
        e_child = math.exp(-x[i])
        present, gain = 0.0, 0.0
        for k in range(n_seasons):
            for d in range(2):
                wd = pd if d == 1 else 1.0 - pd
                # factors[1] = exp(-b_difficulty); out of difficulty the lingering share's (`well`, 1 without one)
                e = e_child * season_factor[k] * (factors[1] if d == 1 else well[i])
                fed0, fed1 = 1.0 / (1.0 + e), 1.0 / (1.0 + e * f_absent)
                hun0, hun1 = 1.0 / (1.0 + e * f_hungry), 1.0 / (1.0 + e * f_hungry_absent)
                p1 = (1.0 - ph) * fed0 + ph * hun0  # present today after a day present
                p0 = (1.0 - ph) * fed1 + ph * hun1  # present today after a day absent
                pi = p0 / (1.0 - p1 + p0)  # stationary share of days present
                for h in range(2):
                    wh = ph if h == 1 else 1.0 - ph
                    pres = pi * hun0 + (1.0 - pi) * hun1 if h == 1 else pi * fed0 + (1.0 - pi) * fed1
                    eff = max(eff_base[d, h] - vision, 0.0)
                    present += wd * wh * pres
                    gain += wd * wh * eff * (pres + (1.0 - pres) * c)
        present_out[i] = present / n_seasons
        gain_out[i] = gain / n_seasons


def expected_progress(children, families, attendance_effect: np.ndarray, area, params: ParamTable, scale: float,
                      peer_rounds: int = 1) -> np.ndarray:
    """Each child's expected year of progress against national (z), before value added, from the model's rules.

    The peer term uses the child's class's expected absence against the area's (`peer_rounds` fixed-point rounds).
    """
    a, q, h = params.group("attendance"), params.group("learning"), params.group("hunger")
    c, f = children, families
    fixed = np.empty(c.n, np.float32)
    fixed_logit(c.year_group, c.school, c.propensity, c.fsm, c.send, attendance_effect, a["a0"], a["a_secondary"],
                a["a_year_secondary"], a["b_fsm"], a["b_sen_support"], a["b_ehcp"], fixed)
    fam = c.family
    crime_index = area.neighbourhood.crime_index.value if area.neighbourhood else None
    exposure = steady_exposure(c.year_group, crime_index, params)
    need = 1.0 - (1.0 - f.food_insecure) * (1.0 - f.parent_depressed)  # families Early Help takes referrals from
    engagement = np.minimum(f.engagement_base + engagement_uplift(area, params, need.astype(float), scale), 1.0)
    x = (fixed.astype(np.float64) + a["b_engagement"] * (engagement[fam] - 0.5)
         + a["b_parent_depressed"] * f.parent_depressed[fam])
    if crime_index is not None:
        x = x + a["b_exposure"] * exposure
    food = f.food_insecure[fam]
    p_hungry = np.where(food, h["p_hungry_if_insecure"], h["p_hungry_if_secure"])
    p_diff = steady_difficulty(c, f, exposure, area, params, scale)
    lingering = mean_lingering(children_onset(c, f, exposure, params), params)
    klass = c.school.astype(np.int64) * 12 + c.year_group
    size = np.bincount(klass).astype(float)
    peer = np.zeros(c.n)
    for _ in range(peer_rounds + 1):
        present, gain = expected_learning(x + peer, p_diff, p_hungry, c.vision_uncorrected, params, lingering)
        absence = 1.0 - present
        by_class = np.bincount(klass, weights=absence, minlength=size.size) / np.maximum(size, 1.0)
        peer = -a["b_peer"] * (by_class[klass] - absence.mean())
    ref_att = np.where(c.year_group >= PRIMARY_YEARS, q["reference_attendance_secondary"],
                       q["reference_attendance_primary"])
    reference = q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * q["catch_up_share"])
    summer = summer_loss_z(food.astype(np.float64), params)  # the holiday before the year, made up in it
    return q["z_per_school_year"] * (gain - reference) - summer


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
