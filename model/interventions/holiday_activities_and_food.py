"""Holiday activities and food (HAF): summer clubs with a meal for FSM pupils.

DfE's HAF programme offers free holiday clubs with a healthy meal to children eligible for benefits-related free
school meals; 433,000 FSM children attended in summer 2024 (FACTS §8 [H1]). In the model a child who attends is fed
on the days they come, so that share of a food-insecure family's hungry summer is covered and its learning loss
(model/mechanisms/summer.py) is not taken. Each school year of a run starts with the summer before it, so
a year of HAF is the summer that opens it, delivered on the year's first school day.

Simplified, and says so: summer only (HAF also runs at Easter and Christmas, with about half the summer's
attendance, [H1]); attendance is one draw per eligible child per summer, with the days attended at their
expected number; no route to attendance (see model/mechanisms/summer.py: no start-of-autumn dip to act on).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..calendar import SUMMER_HOLIDAY_WEEKDAYS
from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools


@register("holiday_activities_and_food")
class HolidayActivitiesAndFood(Intervention):
    """FSM pupils of the chosen schools may attend summer holiday clubs with a meal; days attended are days fed."""

    class Params(InterventionParams):
        schools: SchoolSelector = "all"
        p_attend: float = param(
            0.22, prior=(0.10, 0.45), unit="share of eligible FSM pupils who attend in a summer", ge=0, le=1,
            source="FACTS §8 [H1]: 433,000 FSM attendees, summer 2024, of ~2.0m FSM pupils (24.6% FSM, FACTS §7 "
                   "[A13], of ~8.1m state-school pupils: DfE school census 2024, not in FACTS)")
        days_offered: float = param(
            16.0, prior=(8.0, 24.0), unit="days of provision offered per summer", ge=0, le=SUMMER_HOLIDAY_WEEKDAYS,
            source="assumption (DfE's HAF offer of four days a week for four weeks; not in FACTS)")
        p_attend_day: float = param(
            0.75, prior=(0.5, 1.0), unit="share of offered days an attending child comes", ge=0, le=1,
            source="assumption")
        cost_gbp_per_child_day: float = param(
            20.0, prior=(10.0, 40.0), unit="GBP per child per day attended", ge=0,
            source="assumption (activities, a meal and staff; no audited HAF unit cost in FACTS)")

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.attending = np.zeros(model.children.n, bool)
        self.eligible = np.zeros(model.children.n, bool)
        self.delivered_year: int | None = None  # the run year whose opening summer it last provided

    def start(self, model: Any) -> None:
        self.new_year(model)
        if model.today.day_of_year == 0:  # started with a school year: its summer is still to come
            self.deliver(model)

    def new_year(self, model: Any) -> None:
        """This school year's eligible pupils: FSM pupils of the chosen schools."""
        kids = model.children
        self.eligible = np.isin(kids.school, [s.index for s in self.schools]) & kids.fsm

    def covered_share(self) -> float:
        """Share of the summer's weekdays an attending child is fed at a club."""
        return self.params.days_offered * self.params.p_attend_day / SUMMER_HOLIDAY_WEEKDAYS

    def deliver(self, model: Any) -> None:
        """Draw who attends this summer (one uniform per child a year) and set their holiday provision."""
        u = uniforms(model.streams[self.stream], model.school_year, model.children.n, 0)
        self.attending = self.eligible & (u < self.params.p_attend)
        cover = np.float32(self.covered_share())
        model.holiday_provision[self.attending] = np.maximum(model.holiday_provision[self.attending], cover)
        self.delivered_year = model.today.year

    def apply(self, model: Any, day: int) -> None:
        """On a school year's first day, provide the summer before it (the summer break reads it that day)."""
        if model.today.day_of_year == 0:
            self.deliver(model)

    def annual_cost_gbp(self, model: Any) -> float:
        """A summer's expected child-days at the daily cost, in each school year whose summer it provided."""
        if self.delivered_year != model.today.year:
            return 0.0
        child_days = float(self.eligible.sum()) * self.params.p_attend * self.params.days_offered * \
            self.params.p_attend_day
        return child_days * self.params.cost_gbp_per_child_day

    def reached(self, model: Any) -> np.ndarray:
        return self.attending.copy()
