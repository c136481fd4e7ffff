"""Mechanism 6, food support: food-insecure families seek support (more often via a hub); support secures them.

Simplified: food security is a two-state process per family with natural recovery and an onset rate set so
that the area's food-insecurity share is the steady state; support holds a family secure while it lasts and
for `secure_days_after_support` school days after.
"""

from __future__ import annotations

from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING


@njit(cache=True, fastmath=True, error_model="numpy")
def _food_kernel(key, day, food_insecure, secure_until, food_status, food_until, hub_school, school_seek_mult,
                 p_onset, p_recover, p_seek, secure_days, has_service, referrals):
    n_ref = 0
    for f in range(food_insecure.shape[0]):
        if food_status[f] == IN_SUPPORT:
            if day >= food_until[f]:
                food_status[f] = NONE
                secure_until[f] = day + secure_days
            food_insecure[f] = False
            continue
        if food_insecure[f]:
            if uniform(key, day, f, 0) < p_recover:
                food_insecure[f] = False
            elif has_service and food_status[f] == NONE:
                mult = school_seek_mult[hub_school[f]] if hub_school[f] >= 0 else 1.0
                if uniform(key, day, f, 1) < p_seek * mult:
                    food_status[f] = WAITING
                    food_until[f] = day
                    referrals[n_ref] = f
                    n_ref += 1
        elif day >= secure_until[f] and uniform(key, day, f, 0) < p_onset:
            food_insecure[f] = True
    return n_ref


def step_food_support(model, day: int) -> None:
    """Food-security transitions and referrals to food support."""
    f, q = model.families, model.params.group("food")
    share = model.area.shares.food_insecure_households.value
    p_onset = min(0.5, share / max(1e-9, 1.0 - share) * q["p_recover"])
    n_ref = _food_kernel(model.streams["food_support"], day, f.food_insecure, f.secure_until, f.food_status,
                         f.food_until, f.hub_school, model.school_arrays.food_seek_mult, p_onset, q["p_recover"],
                         q["p_seek"], int(q["secure_days_after_support"]), model.services.has("family_food"),
                         model.family_buffer)
    model.services.refer("family_food", model.family_buffer[:n_ref], day)
