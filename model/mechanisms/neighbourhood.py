"""Mechanism 7, neighbourhood exposure: crime and antisocial behaviour touch older children (Year 7+).

Simplified: exposure is a stock that rises by one with each exposure event (rate proportional to the area's
crime index) and decays daily; it raises the onset of emotional difficulty and lowers attendance. Children in
youth support (a hub's youth service) have fewer events. Areas without a neighbourhood profile skip it.
"""

from __future__ import annotations

from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE, WAITING

MIN_YEAR_GROUP = 7


@njit(cache=True, fastmath=True, error_model="numpy")
def _exposure_kernel(key, day, year_group, school, exposure, youth_status, youth_until, youth_route,
                     p_event, decay, reduction, p_refer, referrals):
    n_ref = 0
    for i in range(year_group.shape[0]):
        if youth_status[i] == IN_SUPPORT and day >= youth_until[i]:
            youth_status[i] = NONE
        if year_group[i] < MIN_YEAR_GROUP:
            continue
        exposure[i] *= 1.0 - decay
        p = p_event * (1.0 - reduction) if youth_status[i] == IN_SUPPORT else p_event
        if uniform(key, day, i, 0) < p:
            exposure[i] += 1.0
        if (exposure[i] > 1.0 and youth_status[i] == NONE and youth_route[school[i]] >= 0
                and uniform(key, day, i, 1) < p_refer):
            youth_status[i] = WAITING
            youth_until[i] = day
            referrals[n_ref] = i
            n_ref += 1
    return n_ref


def step_neighbourhood(model, day: int) -> None:
    """Exposure events, decay and referral to youth services."""
    if model.crime_index is None:
        return
    c, q = model.children, model.params.group("neighbourhood")
    n_ref = _exposure_kernel(model.streams["neighbourhood"], day, c.year_group, c.school, c.exposure,
                             c.youth_status, c.youth_until, model.school_arrays.youth_route,
                             q["p_exposure"] * model.crime_index, q["exposure_decay"], q["youth_reduction"],
                             q["p_refer_youth"], model.child_buffer)
    model.services.refer("child_youth", model.child_buffer[:n_ref], day)
