"""Mechanism 6, food support: food-insecure families seek support (more often via a hub); support secures them.

Simplified: food security is a two-state process per family with natural recovery and an onset rate set so
that the area's food-insecurity share is the steady state; support holds a family secure while it lasts and
for `secure_days_after_support` school days after.
"""

from __future__ import annotations

from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING


@njit(cache=True, inline="always")
def food_row(key, day, f, insecure, secure_until, status, until, seek_mult, p_onset, p_recover, p_seek, secure_days,
             has_service):
    """One family's support ending, food-security transition and seeking support.

    Takes the family's values (`seek_mult`: its hub school's multiplier, or 1) and returns the new
    (insecure, secure_until, status, until, referred today).
    """
    if status == IN_SUPPORT:
        if day >= until:
            return False, day + secure_days, NONE, until, False
        return False, secure_until, status, until, False
    # one comparison decides a transition (recovery, or onset once protection has ended)
    if insecure:
        threshold = p_recover
    elif day >= secure_until:
        threshold = p_onset
    else:
        threshold = -1.0
    if uniform(key, day, f, 0) < threshold:
        return not insecure, secure_until, status, until, False
    if insecure & has_service & (status == NONE) and uniform(key, day, f, 1) < p_seek * seek_mult:
        return insecure, secure_until, WAITING, day, True
    return insecure, secure_until, status, until, False


@njit(cache=True, fastmath=True, error_model="numpy")
def _food_kernel(key, day, food_insecure, secure_until, food_status, food_until, hub_school, school_seek_mult,
                 p_onset, p_recover, p_seek, secure_days, has_service, referrals):
    n_ref = 0
    for f in range(food_insecure.shape[0]):
        mult = school_seek_mult[hub_school[f]] if hub_school[f] >= 0 else 1.0
        food_insecure[f], secure_until[f], food_status[f], food_until[f], referred = food_row(
            key, day, f, food_insecure[f], secure_until[f], food_status[f], food_until[f], mult, p_onset, p_recover,
            p_seek, secure_days, has_service)
        if referred:
            referrals[n_ref] = f
            n_ref += 1
    return n_ref


def food_args(model) -> tuple:
    """(stream key, hub seek multipliers, p_onset, p_recover, p_seek, secure days, has a food service)."""
    q = model.params.group("food")
    share = model.area.shares.food_insecure_households.value
    p_onset = min(0.5, share / max(1e-9, 1.0 - share) * q["p_recover"])
    return (model.streams["food_support"], model.school_arrays.food_seek_mult, p_onset, q["p_recover"], q["p_seek"],
            int(q["secure_days_after_support"]), model.services.has("family_food"))


def step_food_support(model, day: int) -> None:
    """Food-security transitions and referrals to food support."""
    f = model.families
    key, *rest = food_args(model)
    n_ref = _food_kernel(key, day, f.food_insecure, f.secure_until, f.food_status, f.food_until, f.hub_school, *rest,
                         model.family_buffer)
    model.services.refer("family_food", model.family_buffer[:n_ref], day)
