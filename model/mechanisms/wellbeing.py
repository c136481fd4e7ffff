"""Mechanism 4, wellbeing: onset of and recovery from emotional difficulty, and referral to services.

Children: daily onset by phase, sex, parent depression, deprivation, food insecurity and neighbourhood
exposure; natural recovery, faster in support; referral while in difficulty, more likely where an MHST covers
the school or a hub hosts child mental-health services. Parents (the main carer, modelled as the mother):
depression onset and recovery (onset set so the area's prevalence is the steady state), referral to talking
therapies, and Early Help for families with needs, which raises engagement with school.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING
from .records import make_record, record_type

WellbeingArgs = record_type(
    "WellbeingArgs", "wellbeing",
    ("key", "parent_key", "onset_bound", "has_therapy", "has_help"), __name__)


@njit(cache=True, inline="always")
def child_wellbeing_row(a, day, i, u_state, secondary, female, fsm, exposure, difficulty, mh_status, mh_until,
                        youth_support, parent_depressed, food_insecure, has_route, referral_mult):
    """One child's support ending, onset or recovery, and referral to a child mental-health service.

    Takes a `WellbeingArgs`, the child's state draw today (`u_state`: lane 0 of the wellbeing stream, drawn by the
    caller so a pass can draw a block of rows at once), the child's values and its family's (`youth_support`: in
    youth support today; `has_route`, `referral_mult`: its school's route to a service and referral multiplier) and
    returns the new (difficulty, mh_status, mh_until, a day in support, referred today).
    """
    if mh_status == IN_SUPPORT and day >= mh_until:
        mh_status = NONE
    in_support = mh_status == IN_SUPPORT
    supported = in_support or youth_support
    # One comparison decides whether anything can change today (selects, not branches, on the child's state):
    # recovery for a child in difficulty, or a possible onset below the bound no child's probability exceeds.
    if difficulty:
        threshold = a.p_recover_in_support if in_support else a.p_recover
    else:
        threshold = a.onset_bound
    if u_state >= threshold:
        pass
    elif difficulty:
        difficulty = False
    else:
        if not secondary:
            lm = a.b_boy_primary if not female else 0.0
            base = a.p_onset_primary
        else:
            lm = a.b_girl_secondary if female else 0.0
            base = a.p_onset_secondary
        lm += a.b_parent_depressed * parent_depressed + a.b_fsm * fsm + a.b_food_insecure * food_insecure
        lm += a.b_exposure * exposure
        if u_state < base * math.exp(lm):
            difficulty = True
    if difficulty & (mh_status == NONE) & has_route and uniform(a.key, day, i, 1) < a.p_refer * referral_mult:
        return difficulty, WAITING, day, supported, True
    return difficulty, mh_status, mh_until, supported, False


@njit(cache=True, inline="always")
def parent_wellbeing_row(a, q, day, f, u_state, depressed, food_insecure, parent_status, parent_until, help_status,
                         help_until, mult, p_onset):
    """One parent's support ending, depression onset or recovery, and referrals (engagement: `engagement_row`).

    Takes a `WellbeingArgs`, the food group's `FoodArgs` (Early Help referral), the parent's state draw today
    (`u_state`: lane 0 of the parent stream, drawn by the caller) and the family's values (`mult`: its hub school's
    referral multiplier, or 1; `p_onset`: the family's daily onset probability, `families.parent_onset`) and returns
    the new (depressed, parent_status, parent_until, help_status, help_until, referred to talking therapies,
    referred to Early Help).
    """
    if parent_status == IN_SUPPORT and day >= parent_until:
        parent_status = NONE
    if help_status == IN_SUPPORT and day >= help_until:
        help_status = NONE
    supported = (parent_status == IN_SUPPORT) | (help_status == IN_SUPPORT)
    if depressed:  # one comparison decides recovery or onset
        threshold = a.p_parent_recover_in_support if supported else a.p_parent_recover
    else:
        threshold = p_onset
    if u_state < threshold:
        depressed = not depressed
    to_therapy = False
    if (a.has_therapy & depressed & (parent_status == NONE)
            and uniform(a.parent_key, day, f, 1) < a.p_parent_refer * mult):
        parent_status = WAITING
        parent_until = day
        to_therapy = True
    to_help = False
    if (a.has_help & (depressed | food_insecure) & (help_status == NONE)
            and uniform(a.parent_key, day, f, 2) < q.p_refer_early_help * mult):
        help_status = WAITING
        help_until = day
        to_help = True
    return depressed, parent_status, parent_until, help_status, help_until, to_therapy, to_help


@njit(cache=True, inline="always")
def parent_stays(u_state, depressed, food_insecure, parent_status, help_status, p_onset):
    """Whether `parent_wellbeing_row` leaves this parent exactly as they are today: not depressed, out of talking
    therapies and Early Help, the family food secure (no Early Help referral) and the draw above the onset rate.
    Branch-free, as `food_support.food_stays`."""
    return ((not depressed) & (not food_insecure) & (parent_status == NONE) & (help_status == NONE)
            & (u_state >= p_onset))


@njit(cache=True, inline="always")
def engagement_row(q, engagement, engagement_base, in_help):
    """A family's engagement with school after today (`in_help`: in Early Help after today's parent step; `q`: a
    `FoodArgs`): it rises while in help and otherwise drifts back to its base. Rounded to float32, as stored."""
    if in_help:
        return np.float32(min(1.0, engagement + q.early_help_engagement_gain))
    return np.float32(engagement + q.engagement_decay * (engagement_base - engagement))


def onset_bound(w: dict, exposure_max: float) -> float:
    """An exact upper bound on any child's daily onset probability, given the largest exposure stock.

    The rule compares a uniform with this first, which skips the exp for almost every child.
    """
    top = max(w["b_boy_primary"], w["b_girl_secondary"], 0.0) + max(w["b_parent_depressed"], 0.0)
    top += max(w["b_fsm"], 0.0) + max(w["b_food_insecure"], 0.0) + max(w["b_exposure"], 0.0) * exposure_max
    return max(w["p_onset_primary"], w["p_onset_secondary"]) * math.exp(top)


def wellbeing_args(model, exposure_max: float) -> WellbeingArgs:
    """The wellbeing group's parameters, the children's and parents' stream keys, today's onset bound and whether
    talking therapies and Early Help exist (parents' onset rates are the families' own, `families.parent_onset`)."""
    w = model.params.group("wellbeing")
    return make_record(
        WellbeingArgs, w, key=model.streams["wellbeing"], parent_key=model.streams["parent_wellbeing"],
        onset_bound=onset_bound(w, exposure_max),
        has_therapy=model.services.has("parent_mh"), has_help=model.services.has("family_help"))
