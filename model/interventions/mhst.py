"""Mental Health Support Team: more teams cover more schools, so more children in difficulty get help."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from ..agents import Service
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools

PUPILS_PER_TEAM = 8000  # FACTS §6a [M11]: an MHST is designed for ~8,000 children and young people


@register("mental_health_support_team")
class MentalHealthSupportTeam(Intervention):
    """New MHSTs cover the chosen schools (most disadvantaged first, ~8,000 pupils per team)."""

    class Params(InterventionParams):
        teams: int = Field(1, ge=1, le=50, description="number of new teams")
        schools: SchoolSelector = "all"
        cases_per_week_per_team: float | None = Field(
            None, ge=0, description="new cases per week per team; default from services.mhst_cases_per_week_per_team")
        support_days: float = param(
            0.0, prior=(20.0, 190.0), unit="school days of support an episode lasts (0: services.support_days_mhst)",
            source="assumption: Place2Be's one-to-one counselling runs for most of a school year (~190 school "
                   "days), an MHST's guided self-help 6-8 weekly sessions (services.support_days_mhst)", ge=0, le=380)
        cost_gbp_per_team_year: float = param(
            450_000.0, prior=(300_000.0, 700_000.0), unit="GBP per team per year", ge=0,
            source="assumption: ~8 WTE (FACTS §6a [M11]) at ~GBP 55k with on-costs; no published unit cost found")

    def setup(self, model: Any) -> None:
        chosen = [s for s in select_schools(self.params.schools, model.school_agents)
                  if s.mhst_service < 0 and s.mhst_planned < 0]
        chosen.sort(key=lambda s: -s.disadvantaged_share)
        per_team = self.params.cases_per_week_per_team
        if per_team is None:
            per_team = model.params["services.mhst_cases_per_week_per_team"]
        budget = PUPILS_PER_TEAM * model.scale
        self.services = []
        self.covered = []
        for t in range(self.params.teams):
            svc = Service(model, f"{self.label} team {t + 1}", "mhst", per_team * model.capacity_scale)
            if self.params.support_days > 0:
                svc.support_days = int(round(self.params.support_days))
            model.services.add(svc)
            self.services.append(svc)
            pupils = 0
            while chosen and pupils < budget:
                school = chosen.pop(0)
                school.mhst_planned = svc.index  # covered from start_day; reserved now so teams don't overlap
                pupils += school.roll
                self.covered.append(school)

    def start(self, model: Any) -> None:
        for school in self.covered:
            school.mhst_service = school.mhst_planned
        model.refresh_schools()

    def annual_cost_gbp(self, model: Any) -> float:
        return self.params.teams * self.params.cost_gbp_per_team_year * model.capacity_scale

    def reached(self, model: Any) -> np.ndarray:
        if not self.started:
            return np.zeros(model.children.n, bool)
        return np.isin(model.children.school, [s.index for s in self.covered])
