"""Mechanism 6, food support: food-insecure families seek support (more often via a hub); support secures them.

Simplified: food security is a two-state process per family with natural recovery and a family's own onset
rate (`families.food_onset`, set at synthesis so the family's probability of insecurity there, which follows
its deprivation, is its steady state: the area's share holds and insecurity stays with deprivation rather than
spreading evenly over a run); support holds a family secure while it lasts and for `secure_days_after_support`
school days after.
"""

from __future__ import annotations

from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING
from .records import make_record, record_type

FoodArgs = record_type("FoodArgs", "food", ("key", "secure_days", "has_service"), __name__)


@njit(cache=True, inline="always")
def food_row(a, day, f, u_state, insecure, secure_until, status, until, seek_mult, p_onset):
    """One family's support ending, food-security transition and seeking support.

    Takes the family's state draw today (`u_state`: lane 0 of the food stream, drawn by the caller so a pass can
    draw a block of rows at once) and values (`seek_mult`: its hub school's multiplier, or 1; `p_onset`: its daily
    onset probability; `a`: a `FoodArgs`) and
    returns the new (insecure, secure_until, status, until, referred today).
    """
    if status == IN_SUPPORT:
        if day >= until:
            return False, day + a.secure_days, NONE, until, False
        return False, secure_until, status, until, False
    # one comparison decides a transition (recovery, or onset once protection has ended)
    if insecure:
        threshold = a.p_recover
    elif day >= secure_until:
        threshold = p_onset
    else:
        threshold = -1.0
    if u_state < threshold:
        return not insecure, secure_until, status, until, False
    if (insecure & a.has_service & (status == NONE)
            and uniform(a.key, day, f, 1) < a.p_seek * seek_mult):
        return insecure, secure_until, WAITING, day, True
    return insecure, secure_until, status, until, False


@njit(cache=True, inline="always")
def food_stays(day, u_state, insecure, secure_until, status, p_onset):
    """Whether `food_row` leaves this family exactly as it is today: secure, out of support, and its draw above its
    onset rate (or still protected). Branch-free, so a pass can test a block of families before stepping the rest."""
    threshold = p_onset if day >= secure_until else -1.0
    return (not insecure) & (status == NONE) & (u_state >= threshold)


def food_args(model) -> FoodArgs:
    """The food group's parameters (Early Help's too), the stream key and whether a food service exists."""
    q = model.params.group("food")
    return make_record(FoodArgs, q, key=model.streams["food_support"],
                       secure_days=int(q["secure_days_after_support"]), has_service=model.services.has("family_food"))
