"""School hub: services co-located in a school, so its families are referred more often and attend more."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ..agents import Service
from ..mechanisms.services import KINDS
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools


@register("service_hub")
class ServiceHub(Intervention):
    """Co-locates services in hub schools: more referral and food seeking, fewer missed appointments, engaged families.

    Families with a child at a hub school are more engaged with school, absent pupils are followed up (case
    management: shorter absence spells), and a health service in school avoids some illness absences.
    """

    class Params(InterventionParams):
        schools: SchoolSelector
        services: list[str] = Field(
            default_factory=lambda: ["camhs", "early_help", "food_support", "talking_therapies"])
        referral_multiplier: float = param(1.5, prior=(1.0, 3.0), unit="multiplier of referral probability", ge=1,
                                           source="assumption (family hub uptake change not found, FACTS §10)")
        dna_multiplier: float = param(0.6, prior=(0.3, 1.0), unit="multiplier of did-not-attend probability",
                                      ge=0, le=1, source="assumption")
        food_seek_multiplier: float = param(1.5, prior=(1.0, 3.0), unit="multiplier of food-support seeking",
                                            ge=1, source="assumption")
        youth_new_cases_per_week: float = param(5.0, prior=(0.0, 20.0), unit="new cases per week", ge=0,
                                                source="assumption (used only if the hub adds a youth service)")
        engagement_gain: float = param(
            0.1, prior=(0.0, 0.3), unit="rise in a hub family's engagement with school (0-1 scale)", ge=0, le=1,
            source="NYC Community Schools: family engagement and education are part of the model and chronic "
                   "absenteeism fell 5.6 pp in year 1 (FACTS §11 [V4]); size an assumption, checked by the trial")
        absence_followup: float = param(
            0.3, prior=(0.0, 0.8), unit="share of an absence spell's pull removed at a hub school", ge=0, le=1,
            source="NYC Community Schools: coordinators and case management follow up absent pupils (FACTS §11 "
                   "[V4]); size an assumption, checked by `actlocally trial nyc_community_schools`")
        illness_absence_avoided: float = param(
            0.0, prior=(0.0, 0.4), unit="share of illness absences avoided at a hub school", ge=0, le=1,
            source="NYC Community Schools: health and social services are among the partner services in school "
                   "(FACTS §11 [V4]): a minor illness seen in school instead of a day at home; size an assumption "
                   "(default 0: off until fitted), checked by `actlocally trial nyc_community_schools`")
        cost_gbp_per_year: float = param(150_000.0, prior=(50_000.0, 400_000.0), unit="GBP per hub per year", ge=0,
                                         source="assumption (family hub cost per year not found, FACTS §10)")

        @field_validator("services")
        @classmethod
        def _known(cls, v: list[str]) -> list[str]:
            bad = [k for k in v if k not in KINDS]
            if bad:
                raise ValueError(f"unknown service(s) {bad}; allowed: {', '.join(KINDS)}")
            return v

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.engagement_added = np.zeros(model.families.n)  # what this hub added to each family's engagement base
        if "youth_service" in self.params.services and not model.services.has("child_youth"):
            svc = Service(model, f"{self.label} youth service", "youth_service",
                          self.params.youth_new_cases_per_week * model.capacity_scale)
            model.services.add(svc)

    def start(self, model: Any) -> None:
        for s in self.schools:
            s.hub = True
            s.hub_services |= set(self.params.services)
            s.hub_referral_multiplier = self.params.referral_multiplier
            s.hub_dna_multiplier = self.params.dna_multiplier
            s.hub_food_seek_multiplier = self.params.food_seek_multiplier
            s.hub_absence_followup = self.params.absence_followup
            s.hub_illness_avoided = self.params.illness_absence_avoided
        self.new_year(model)

    def new_year(self, model: Any) -> None:
        """Families with a child at a hub school have hub access and the hub's family engagement (recomputed as
        children move school: a family that left the hub loses what it added)."""
        kids, fams = model.children, model.families
        at_hub = np.isin(kids.school, [s.index for s in self.schools])
        fams.hub_school[kids.family[at_hub]] = kids.school[at_hub]
        hub_family = np.zeros(fams.n, bool)
        hub_family[kids.family[at_hub]] = True
        base = fams.engagement_base - self.engagement_added
        added = np.where(hub_family, np.minimum(1.0, base + self.params.engagement_gain) - base, 0.0)
        fams.engagement_base[:] = base + added
        self.engagement_added = added
        model.refresh_schools()

    def annual_cost_gbp(self, model: Any) -> float:
        return len(self.schools) * self.params.cost_gbp_per_year * model.capacity_scale

    def reached(self, model: Any) -> np.ndarray:
        if not self.started:
            return np.zeros(model.children.n, bool)
        return np.isin(model.children.school, [s.index for s in self.schools])
