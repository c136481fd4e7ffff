"""Mechanism 4, wellbeing: onset of and recovery from emotional difficulty, and referral to services.

Children: daily onset by phase, sex, parent depression, deprivation, food insecurity and neighbourhood
exposure; natural recovery, faster in support; referral while in difficulty, more likely where an MHST covers
the school or a hub hosts child mental-health services. Parents (the main carer, modelled as the mother):
depression onset and recovery (onset set so the area's prevalence is the steady state), referral to talking
therapies, and Early Help for families with needs, which raises engagement with school.
"""

from __future__ import annotations

import math

from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING

PRIMARY_YEARS = 7


@njit(cache=True, fastmath=True, error_model="numpy")
def _child_wellbeing_kernel(key, day, year_group, female, fsm, family, school, exposure, difficulty, mh_status,
                            mh_until, youth_status, service_days, parent_depressed, food_insecure, mh_route,
                            referral_mult, p_onset_primary, p_onset_secondary, b_boy_primary, b_girl_secondary,
                            b_parent, b_fsm, b_food, b_exposure, p_recover, p_recover_support, p_refer, onset_bound,
                            referrals):
    n_ref = 0
    for i in range(year_group.shape[0]):
        u_state = uniform(key, day, i, 0)
        if mh_status[i] == IN_SUPPORT and day >= mh_until[i]:
            mh_status[i] = NONE
        in_support = mh_status[i] == IN_SUPPORT
        if in_support or youth_status[i] == IN_SUPPORT:
            service_days[i] += 1
        if difficulty[i]:
            if u_state < (p_recover_support if in_support else p_recover):
                difficulty[i] = False
        elif u_state < onset_bound:  # no child's onset probability exceeds the bound: skip exp otherwise
            f = family[i]
            if year_group[i] < PRIMARY_YEARS:
                lm = b_boy_primary if not female[i] else 0.0
                base = p_onset_primary
            else:
                lm = b_girl_secondary if female[i] else 0.0
                base = p_onset_secondary
            lm += b_parent * parent_depressed[f] + b_fsm * fsm[i] + b_food * food_insecure[f]
            lm += b_exposure * exposure[i]
            if u_state < base * math.exp(lm):
                difficulty[i] = True
        route = mh_route[school[i]]
        if difficulty[i] and mh_status[i] == NONE and route >= 0:
            if uniform(key, day, i, 1) < p_refer * referral_mult[school[i]]:
                mh_status[i] = WAITING
                mh_until[i] = day
                referrals[n_ref] = i
                n_ref += 1
    return n_ref


@njit(cache=True, fastmath=True, error_model="numpy")
def _parent_wellbeing_kernel(key, day, parent_depressed, food_insecure, engagement, engagement_base, hub_school,
                             parent_status, parent_until, help_status, help_until, school_referral_mult,
                             p_onset, p_recover, p_recover_support, p_refer, p_refer_help, gain, decay,
                             has_therapy, has_help, therapy_refs, help_refs):
    n_t = 0
    n_h = 0
    for f in range(parent_depressed.shape[0]):
        u_state = uniform(key, day, f, 0)
        if parent_status[f] == IN_SUPPORT and day >= parent_until[f]:
            parent_status[f] = NONE
        if help_status[f] == IN_SUPPORT and day >= help_until[f]:
            help_status[f] = NONE
        supported = parent_status[f] == IN_SUPPORT or help_status[f] == IN_SUPPORT
        if parent_depressed[f]:
            if u_state < (p_recover_support if supported else p_recover):
                parent_depressed[f] = False
        elif u_state < p_onset:
            parent_depressed[f] = True
        mult = school_referral_mult[hub_school[f]] if hub_school[f] >= 0 else 1.0
        if (has_therapy and parent_depressed[f] and parent_status[f] == NONE
                and uniform(key, day, f, 1) < p_refer * mult):
            parent_status[f] = WAITING
            parent_until[f] = day
            therapy_refs[n_t] = f
            n_t += 1
        needs = parent_depressed[f] or food_insecure[f]
        if has_help and needs and help_status[f] == NONE and uniform(key, day, f, 2) < p_refer_help * mult:
            help_status[f] = WAITING
            help_until[f] = day
            help_refs[n_h] = f
            n_h += 1
        if help_status[f] == IN_SUPPORT:
            engagement[f] = min(1.0, engagement[f] + gain)
        else:
            engagement[f] += decay * (engagement_base[f] - engagement[f])
    return n_t, n_h


def step_wellbeing(model, day: int) -> None:
    """Children's and parents' wellbeing transitions and referrals for one school day."""
    c, f, w = model.children, model.families, model.params.group("wellbeing")
    s = model.school_arrays
    # An exact upper bound on any child's onset probability today (lets the kernel skip most exp calls).
    top = max(w["b_boy_primary"], w["b_girl_secondary"], 0.0) + max(w["b_parent_depressed"], 0.0)
    top += max(w["b_fsm"], 0.0) + max(w["b_food_insecure"], 0.0) + max(w["b_exposure"], 0.0) * float(c.exposure.max())
    onset_bound = max(w["p_onset_primary"], w["p_onset_secondary"]) * math.exp(top)
    n_ref = _child_wellbeing_kernel(
        model.streams["wellbeing"], day, c.year_group, c.female, c.fsm, c.family, c.school, c.exposure,
        c.difficulty, c.mh_status, c.mh_until, c.youth_status, c.service_days, f.parent_depressed,
        f.food_insecure, s.mh_route, s.mh_referral_mult, w["p_onset_primary"], w["p_onset_secondary"],
        w["b_boy_primary"], w["b_girl_secondary"], w["b_parent_depressed"], w["b_fsm"], w["b_food_insecure"],
        w["b_exposure"], w["p_recover"], w["p_recover_in_support"], w["p_refer"], onset_bound, model.child_buffer)
    model.services.refer("child_mh", model.child_buffer[:n_ref], day)

    prev = model.area.shares.parent_depression.value
    p_onset = min(0.5, prev / max(1e-9, 1.0 - prev) * w["p_parent_recover"])
    q = model.params.group("food")
    n_t, n_h = _parent_wellbeing_kernel(
        model.streams["parent_wellbeing"], day, f.parent_depressed, f.food_insecure, f.engagement,
        f.engagement_base, f.hub_school, f.parent_status, f.parent_until, f.help_status, f.help_until,
        s.hub_referral_mult, p_onset, w["p_parent_recover"], w["p_parent_recover_in_support"],
        w["p_parent_refer"], q["p_refer_early_help"], q["early_help_engagement_gain"], q["engagement_decay"],
        model.services.has("parent_mh"), model.services.has("family_help"), model.family_buffer,
        model.family_buffer2)
    model.services.refer("parent_mh", model.family_buffer[:n_t], day)
    model.services.refer("family_help", model.family_buffer2[:n_h], day)
