"""Breakfast club: a free club before school; a child who attends is not hungry that morning."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools


@register("breakfast_club")
class BreakfastClub(Intervention):
    """Schools offer a club (targeted at FSM pupils or universal free); enrolled children attend most mornings."""

    class Params(InterventionParams):
        schools: SchoolSelector = "phase == 'primary' and disadvantaged_share >= 0.35"
        offer: Literal["targeted", "universal"] = "universal"
        in_class: bool = Field(False, description="breakfast served in class at the start of the day, so every year "
                                                  "group comes alike (`enrol_ratio_older` does not apply)")
        places_per_school: int | None = Field(None, ge=0, description="cap on enrolment per school; none = no cap")
        p_enrol: float = param(0.5, prior=(0.2, 0.8), unit="probability an eligible child enrols", ge=0, le=1,
                               source="assumption (DfE grant estimates assume 50% uptake, FACTS §5 [F8])")
        enrol_multiplier_food_insecure: float = param(
            1.5, prior=(1.0, 2.0), unit="multiplier of p_enrol for food-insecure families", ge=0,
            source="assumption (clubs encourage the children who need them)")
        enrol_ratio_older: float = param(
            1.0, prior=(0.3, 1.0), unit="ratio: enrolment probability in Years 3 to 11 to that in Reception to Year 2",
            ge=0, le=1,
            source="assumption: older pupils may come to a before-school club less (the DfE/ICF 2017 evaluation of "
                   "clubs in high-deprivation schools reports club attendance by year group, its §5.3, figures not "
                   "in FACTS; secondary pupils were the fewest steady attenders, 5% vs 20% in primaries); default 1 "
                   "(no gradient); a Magic Breakfast route, fitted in the trial stage (KS1 +2 months, KS2 none, with "
                   "breakfast in the classroom's in-class arm reaching every year group alike)")
        p_attend_per_day: float = param(0.8, prior=(0.5, 0.95), unit="probability per school day", ge=0, le=1,
                                        source="assumption (no published uptake share, FACTS §5)")
        cost_gbp_per_place_year: float = param(180.0, prior=(110.0, 400.0), unit="GBP per place per year", ge=0,
                                               source="Pro Bono Economics 2021, FACTS §5 [E6]")

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.enrolled = np.zeros(model.children.n, bool)

    def start(self, model: Any) -> None:
        for s in self.schools:
            s.breakfast_offer = self.params.offer
        self.enrol(model)

    def new_year(self, model: Any) -> None:
        self.enrol(model)

    def enrol(self, model: Any) -> None:
        """Enrol eligible children for this school year (one uniform per child on the intervention's stream,
        keyed by the school year so each year's enrolment is a fresh draw), up to the places; Years 3 and up enrol
        less (`enrol_ratio_older`). Simplified: one step at Year 3, not a gradient by year."""
        kids = model.children
        in_school = np.isin(kids.school, [s.index for s in self.schools])
        eligible = in_school & (kids.fsm if self.params.offer == "targeted" else True)
        u = uniforms(model.streams[self.stream], model.school_year, kids.n, 1)
        p = self.params.p_enrol * np.where(model.families.food_insecure[kids.family],
                                           self.params.enrol_multiplier_food_insecure, 1.0)
        if not self.params.in_class:
            p = p * np.where(kids.year_group >= 3, self.params.enrol_ratio_older, 1.0)
        enrolled = eligible & (u < p)
        cap = self.params.places_per_school
        if cap is not None:
            for s in self.schools:
                rows = np.flatnonzero(enrolled & (kids.school == s.index))
                if rows.size > cap:
                    enrolled[rows[np.argsort(u[rows])[cap:]]] = False
        kids.breakfast_enrolled[:] &= ~in_school
        kids.breakfast_enrolled[:] |= enrolled
        self.enrolled = enrolled

    def apply(self, model: Any, day: int) -> None:
        """Mark who attends this morning; hunger reads it."""
        u = uniforms(model.streams[self.stream], day, model.children.n, 0)
        model.children.at_breakfast |= self.enrolled & (u < self.params.p_attend_per_day)

    def annual_cost_gbp(self, model: Any) -> float:
        return float(self.enrolled.sum()) * self.params.cost_gbp_per_place_year

    def reached(self, model: Any) -> np.ndarray:
        return self.enrolled.copy()
