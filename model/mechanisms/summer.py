"""The summer break before each school year: the learning lost by children who go hungry over the holiday.

The calendar steps school days only (model/calendar.py); the summer holiday before each school year of a run (the
first included) acts on its first school day, after interventions have set holiday provision and before the day's
mechanisms (`LocalityModel.step`). Attainment is a z against the national distribution, so the summer loss the
national average child has (and recovers in the year's progress) is not modelled; what is modelled is the gap that
opens over the summer between children of food-insecure families and the rest:

    z -= loss_food_insecure_z * (hungry_summer - national_food_insecure_share)
    hungry_summer = food insecure at the start of the year * (1 - holiday provision share)

so a child of a food-secure family gains a little against national and one of a food-insecure family loses.
Holiday provision (`model.holiday_provision`: the share of the holiday's weekdays a child is fed, set by
`holiday_activities_and_food`) is cleared after each summer.

Simplified, and says so: one summer holiday a year (no Easter or Christmas break); the family's food insecurity on
the first school day stands for the whole holiday; no start-of-autumn attendance dip, because England's weekly
absence is at its lowest in the first weeks of autumn (4.9% and 4.7% of sessions, FACTS §1a [S5][S6]).
The synthesised cross-section is where each year group stands before its summer (the published anchors are
year-end figures); the area's mean loss is added to its schools' value added (model/steady_state.py), so each
cohort ends the year where the next year group started and the baseline holds steady.
"""

from __future__ import annotations

import numpy as np

from ..area import AreaProfile
from ..params import ParamTable


def summer_loss_z(hungry_summer: np.ndarray | float, params: ParamTable) -> np.ndarray | float:
    """The z (against national) a child loses over the summer: `hungry_summer` is 0-1 (food insecure, uncovered)."""
    s = params.group("summer")
    return s["loss_food_insecure_z"] * (hungry_summer - s["national_food_insecure_share"])


def expected_summer_loss_z(area: AreaProfile, params: ParamTable) -> float:
    """The area's mean summer loss without holiday provision, at the profile's food-insecure share of households."""
    return float(summer_loss_z(area.shares.food_insecure_households.value, params))


def summer_break(model) -> None:
    """Apply the summer's learning loss to every child, then clear the holiday provision for the next summer."""
    c = model.children
    insecure = model.families.food_insecure[c.family].astype(np.float64)
    hungry_summer = insecure * (1.0 - model.holiday_provision.astype(np.float64))
    c.attainment_z -= summer_loss_z(hungry_summer, model.params).astype(c.attainment_z.dtype)
    model.holiday_provision[:] = 0.0
