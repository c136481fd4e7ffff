"""Mechanism 7, neighbourhood exposure: crime and antisocial behaviour touch older children (Year 7+).

Simplified: exposure is a stock that rises by one with each exposure event (rate proportional to the area's
crime index) and decays daily; it raises the onset of emotional difficulty and lowers attendance. Children in
youth support (a hub's youth service) have fewer events. Areas without a neighbourhood profile skip it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING

MIN_YEAR_GROUP = 7


@njit(cache=True, inline="always")
def exposure_row(key, day, i, older, exposure, youth_status, youth_until, has_route, p_event, decay, reduction,
                 p_refer):
    """One child's youth support ending, exposure decay and event, and referral to youth services.

    Takes the child's values (`older`: Year 7 or above; `has_route`: its school has a youth service) and
    returns the new (exposure, youth_status, youth_until, referred today). Exposure is rounded to float32 at
    each step, as the stored stock is.
    """
    if youth_status == IN_SUPPORT and day >= youth_until:
        youth_status = NONE
    # computed for every child and kept only for older ones: selects, not a branch on the year group
    decayed = np.float32(exposure * (1.0 - decay))
    p = p_event * (1.0 - reduction) if youth_status == IN_SUPPORT else p_event
    stock = np.float32(decayed + 1.0) if uniform(key, day, i, 0) < p else decayed
    if older:
        exposure = stock
    if older & (exposure > 1.0) & (youth_status == NONE) & has_route and uniform(key, day, i, 1) < p_refer:
        return exposure, WAITING, day, True
    return exposure, youth_status, youth_until, False


@njit(cache=True, fastmath=True, error_model="numpy")
def _exposure_kernel(key, day, year_group, school, exposure, youth_status, youth_until, youth_route,
                     p_event, decay, reduction, p_refer, referrals):
    n_ref = 0
    for i in range(year_group.shape[0]):
        exposure[i], youth_status[i], youth_until[i], referred = exposure_row(
            key, day, i, year_group[i] >= MIN_YEAR_GROUP, exposure[i], youth_status[i], youth_until[i],
            youth_route[school[i]] >= 0, p_event, decay, reduction, p_refer)
        if referred:
            referrals[n_ref] = i
            n_ref += 1
    return n_ref


def neighbourhood_args(model) -> tuple:
    """(stream key, youth route by school, p_event, decay, reduction, p_refer); p_event is 0 without a profile."""
    q = model.params.group("neighbourhood")
    p_event = q["p_exposure"] * model.crime_index if model.crime_index is not None else 0.0
    return (model.streams["neighbourhood"], model.school_arrays.youth_route, p_event, q["exposure_decay"],
            q["youth_reduction"], q["p_refer_youth"])


def step_neighbourhood(model, day: int) -> None:
    """Exposure events, decay and referral to youth services."""
    if model.crime_index is None:
        return
    c = model.children
    key, *rest = neighbourhood_args(model)
    n_ref = _exposure_kernel(key, day, c.year_group, c.school, c.exposure, c.youth_status, c.youth_until, *rest,
                             model.child_buffer)
    model.services.refer("child_youth", model.child_buffer[:n_ref], day)
