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

PRIMARY_YEARS = 7


@njit(cache=True, inline="always")
def child_wellbeing_row(key, day, i, secondary, female, fsm, exposure, difficulty, mh_status, mh_until, youth_support,
                        parent_depressed, food_insecure, has_route, referral_mult, p_onset_primary, p_onset_secondary,
                        b_boy_primary, b_girl_secondary, b_parent, b_fsm, b_food, b_exposure, p_recover,
                        p_recover_support, p_refer, onset_bound):
    """One child's support ending, onset or recovery, and referral to a child mental-health service.

    Takes the child's values and its family's (`youth_support`: in youth support today; `has_route`: its
    school has a route to a service) and returns the new (difficulty, mh_status, mh_until, a day in support,
    referred today).
    """
    u_state = uniform(key, day, i, 0)
    if mh_status == IN_SUPPORT and day >= mh_until:
        mh_status = NONE
    in_support = mh_status == IN_SUPPORT
    supported = in_support or youth_support
    # One comparison decides whether anything can change today (selects, not branches, on the child's state):
    # recovery for a child in difficulty, or a possible onset below the bound no child's probability exceeds.
    if difficulty:
        threshold = p_recover_support if in_support else p_recover
    else:
        threshold = onset_bound
    if u_state >= threshold:
        pass
    elif difficulty:
        difficulty = False
    else:
        if not secondary:
            lm = b_boy_primary if not female else 0.0
            base = p_onset_primary
        else:
            lm = b_girl_secondary if female else 0.0
            base = p_onset_secondary
        lm += b_parent * parent_depressed + b_fsm * fsm + b_food * food_insecure
        lm += b_exposure * exposure
        if u_state < base * math.exp(lm):
            difficulty = True
    if difficulty & (mh_status == NONE) & has_route and uniform(key, day, i, 1) < p_refer * referral_mult:
        return difficulty, WAITING, day, supported, True
    return difficulty, mh_status, mh_until, supported, False


@njit(cache=True, fastmath=True, error_model="numpy")
def _child_wellbeing_kernel(key, day, year_group, female, fsm, family, school, exposure, difficulty, mh_status,
                            mh_until, youth_status, service_days, parent_depressed, food_insecure, mh_route,
                            referral_mult, p_onset_primary, p_onset_secondary, b_boy_primary, b_girl_secondary,
                            b_parent, b_fsm, b_food, b_exposure, p_recover, p_recover_support, p_refer, onset_bound,
                            referrals):
    n_ref = 0
    for i in range(year_group.shape[0]):
        f, s = family[i], school[i]
        difficulty[i], mh_status[i], mh_until[i], supported, referred = child_wellbeing_row(
            key, day, i, year_group[i] >= PRIMARY_YEARS, female[i], fsm[i], exposure[i], difficulty[i],
            mh_status[i], mh_until[i], youth_status[i] == IN_SUPPORT, parent_depressed[f], food_insecure[f],
            mh_route[s] >= 0, referral_mult[s], p_onset_primary, p_onset_secondary, b_boy_primary, b_girl_secondary,
            b_parent, b_fsm, b_food, b_exposure, p_recover, p_recover_support, p_refer, onset_bound)
        if supported:
            service_days[i] += 1
        if referred:
            referrals[n_ref] = i
            n_ref += 1
    return n_ref


@njit(cache=True, inline="always")
def parent_wellbeing_row(key, day, f, depressed, food_insecure, parent_status, parent_until, help_status, help_until,
                         mult, p_onset, p_recover, p_recover_support, p_refer, p_refer_help, has_therapy, has_help):
    """One parent's support ending, depression onset or recovery, and referrals (engagement: `engagement_row`).

    Takes the family's values (`mult`: its hub school's referral multiplier, or 1) and returns the new
    (depressed, parent_status, parent_until, help_status, help_until, referred to talking therapies, referred
    to Early Help).
    """
    u_state = uniform(key, day, f, 0)
    if parent_status == IN_SUPPORT and day >= parent_until:
        parent_status = NONE
    if help_status == IN_SUPPORT and day >= help_until:
        help_status = NONE
    supported = (parent_status == IN_SUPPORT) | (help_status == IN_SUPPORT)
    if depressed:  # one comparison decides recovery or onset
        threshold = p_recover_support if supported else p_recover
    else:
        threshold = p_onset
    if u_state < threshold:
        depressed = not depressed
    to_therapy = False
    if has_therapy & depressed & (parent_status == NONE) and uniform(key, day, f, 1) < p_refer * mult:
        parent_status = WAITING
        parent_until = day
        to_therapy = True
    to_help = False
    if (has_help & (depressed | food_insecure) & (help_status == NONE)
            and uniform(key, day, f, 2) < p_refer_help * mult):
        help_status = WAITING
        help_until = day
        to_help = True
    return depressed, parent_status, parent_until, help_status, help_until, to_therapy, to_help


@njit(cache=True, inline="always")
def engagement_row(engagement, engagement_base, in_help, gain, decay):
    """A family's engagement with school after today (`in_help`: in Early Help after today's parent step):
    it rises while in help and otherwise drifts back to its base. Rounded to float32, as stored."""
    if in_help:
        return np.float32(min(1.0, engagement + gain))
    return np.float32(engagement + decay * (engagement_base - engagement))


@njit(cache=True, fastmath=True, error_model="numpy")
def _parent_wellbeing_kernel(key, day, parent_depressed, food_insecure, engagement, engagement_base, hub_school,
                             parent_status, parent_until, help_status, help_until, school_referral_mult,
                             p_onset, p_recover, p_recover_support, p_refer, p_refer_help, gain, decay,
                             has_therapy, has_help, therapy_refs, help_refs):
    n_t = 0
    n_h = 0
    for f in range(parent_depressed.shape[0]):
        mult = school_referral_mult[hub_school[f]] if hub_school[f] >= 0 else 1.0
        (parent_depressed[f], parent_status[f], parent_until[f], help_status[f], help_until[f], to_therapy,
         to_help) = parent_wellbeing_row(
            key, day, f, parent_depressed[f], food_insecure[f], parent_status[f], parent_until[f], help_status[f],
            help_until[f], mult, p_onset, p_recover, p_recover_support, p_refer, p_refer_help, has_therapy, has_help)
        engagement[f] = engagement_row(engagement[f], engagement_base[f], help_status[f] == IN_SUPPORT, gain, decay)
        if to_therapy:
            therapy_refs[n_t] = f
            n_t += 1
        if to_help:
            help_refs[n_h] = f
            n_h += 1
    return n_t, n_h


def onset_bound(w: dict, exposure_max: float) -> float:
    """An exact upper bound on any child's daily onset probability, given the largest exposure stock.

    The kernels compare a uniform with this first, which skips the exp for almost every child.
    """
    top = max(w["b_boy_primary"], w["b_girl_secondary"], 0.0) + max(w["b_parent_depressed"], 0.0)
    top += max(w["b_fsm"], 0.0) + max(w["b_food_insecure"], 0.0) + max(w["b_exposure"], 0.0) * exposure_max
    return max(w["p_onset_primary"], w["p_onset_secondary"]) * math.exp(top)


def child_wellbeing_args(model, exposure_max: float) -> tuple:
    """(stream key, mh_route, referral_mult, then the scalar parameters) for the child wellbeing kernels."""
    w, s = model.params.group("wellbeing"), model.school_arrays
    return (model.streams["wellbeing"], s.mh_route, s.mh_referral_mult, w["p_onset_primary"], w["p_onset_secondary"],
            w["b_boy_primary"], w["b_girl_secondary"], w["b_parent_depressed"], w["b_fsm"], w["b_food_insecure"],
            w["b_exposure"], w["p_recover"], w["p_recover_in_support"], w["p_refer"], onset_bound(w, exposure_max))


def parent_wellbeing_args(model) -> tuple:
    """(stream key, hub referral multipliers, then the scalar parameters and service flags) for parents."""
    w, q = model.params.group("wellbeing"), model.params.group("food")
    prev = model.area.shares.parent_depression.value
    p_onset = min(0.5, prev / max(1e-9, 1.0 - prev) * w["p_parent_recover"])
    return (model.streams["parent_wellbeing"], model.school_arrays.hub_referral_mult, p_onset, w["p_parent_recover"],
            w["p_parent_recover_in_support"], w["p_parent_refer"], q["p_refer_early_help"], *engagement_args(model),
            model.services.has("parent_mh"), model.services.has("family_help"))


def engagement_args(model) -> tuple[float, float]:
    """(daily engagement gain in Early Help, daily drift back to base) for `engagement_row`."""
    q = model.params.group("food")
    return q["early_help_engagement_gain"], q["engagement_decay"]


def step_wellbeing(model, day: int) -> None:
    """Children's and parents' wellbeing transitions and referrals for one school day."""
    c, f = model.children, model.families
    key, *rest = child_wellbeing_args(model, float(c.exposure.max()))
    n_ref = _child_wellbeing_kernel(key, day, c.year_group, c.female, c.fsm, c.family, c.school, c.exposure,
                                    c.difficulty, c.mh_status, c.mh_until, c.youth_status, c.service_days,
                                    f.parent_depressed, f.food_insecure, *rest, model.child_buffer)
    model.services.refer("child_mh", model.child_buffer[:n_ref], day)
    key, *rest = parent_wellbeing_args(model)
    n_t, n_h = _parent_wellbeing_kernel(
        key, day, f.parent_depressed, f.food_insecure, f.engagement, f.engagement_base, f.hub_school,
        f.parent_status, f.parent_until, f.help_status, f.help_until, *rest, model.family_buffer,
        model.family_buffer2)
    model.services.refer("parent_mh", model.family_buffer[:n_t], day)
    model.services.refer("family_help", model.family_buffer2[:n_h], day)
