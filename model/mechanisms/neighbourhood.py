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
from .records import make_record, record_type

MIN_YEAR_GROUP = 7


ExposureArgs = record_type("ExposureArgs", "neighbourhood", ("key", "use", "p_event"), __name__)


@njit(cache=True, inline="always")
def exposure_row(a, day, i, u_event, older, exposure, youth_status, youth_until, has_route):
    """One child's youth support ending, exposure decay and event, and referral to youth services.

    Takes the child's event draw today (`u_event`: lane 0 of the neighbourhood stream, drawn by the caller; read
    only for an older child) and values (`older`: Year 7 or above; `has_route`: its school has a youth service; `a`:
    an `ExposureArgs`) and returns the new (exposure,
    youth_status, youth_until, referred today). Exposure is rounded to float32 at each step, as the stored stock is.
    """
    if youth_status == IN_SUPPORT and day >= youth_until:
        youth_status = NONE
    if not older:  # a younger child's stock stays as it is and it cannot be referred: its draws are not read
        return exposure, youth_status, youth_until, False
    decayed = np.float32(exposure * (1.0 - a.exposure_decay))
    p = a.p_event * (1.0 - a.youth_reduction) if youth_status == IN_SUPPORT else a.p_event
    exposure = np.float32(decayed + 1.0) if u_event < p else decayed
    if ((exposure > 1.0) & (youth_status == NONE) & has_route
            and uniform(a.key, day, i, 1) < a.p_refer_youth):
        return exposure, WAITING, day, True
    return exposure, youth_status, youth_until, False


def neighbourhood_args(model) -> ExposureArgs:
    """The neighbourhood group's parameters, the stream key, whether the area has a crime profile (`use`), the
    daily event probability (0 without a profile)."""
    q = model.params.group("neighbourhood")
    use = model.crime_index is not None
    return make_record(ExposureArgs, q, key=model.streams["neighbourhood"], use=use,
                       p_event=q["p_exposure"] * model.crime_index if use else 0.0)
