"""Parental engagement: schools reach parents with attendance nudges and an engagement programme.

It acts on the family's engagement with school, the state the attendance mechanism already reads
(`b_engagement * (engagement - 0.5)`, model/mechanisms/attendance.py) and the service hub also raises. Two routes:

- **mailings** (Robinson et al. 2018, FACTS §11 [V11]): a few times a year a reached family is told its child's
  absences; its engagement rises at once by `engagement_per_mailing` and relaxes back towards its usual level at
  the model's `food.engagement_decay`, as any lift does;
- **a school programme** (Bradford Opportunity Area grants to 128 schools, "parents as partners", parent
  champions, FACTS §10 seed 000): the family's usual engagement (`engagement_base`) is raised by
  `engagement_base_gain` while it runs (undone if the family leaves the schools, as for the hub).

Simplified: one engagement figure per family for all its children; a nudge works the same whatever the child's
absences were.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from ..calendar import DAYS_PER_YEAR
from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, YearGroups, select_schools


@register("parental_engagement")
class ParentalEngagement(Intervention):
    """Attendance mailings and an engagement programme for the families of pupils in the chosen schools."""

    allocation_share_field: ClassVar[str] = "share_families_reached"  # a household-level trial sets it

    class Params(InterventionParams):
        schools: SchoolSelector = "all"
        year_groups: YearGroups = Field(default_factory=lambda: list(range(12)),
                                       description="families with a child in these year groups are reached")
        share_families_reached: float = param(
            0.8, prior=(0.3, 1.0), unit="share of eligible families the school reaches", ge=0, le=1,
            source="assumption (BOA parents as partners: 180 families in 6 schools, FACTS §10 seed 000)")
        mailings_per_year: int = Field(5, ge=0, le=38, description="attendance mailings to each family a year")
        engagement_per_mailing: float = param(
            0.09, prior=(0.0, 0.2), unit="rise in a reached family's engagement (0-1) at each mailing", ge=0, le=1,
            source="Robinson et al. 2018: mailings correcting parents' beliefs about absences cut chronic "
                   "absenteeism 15% (FACTS §11 [V11]); size an assumption, checked by `actlocally trial "
                   "parent_attendance_nudges`")
        engagement_base_gain: float = param(
            0.05, prior=(0.0, 0.3), unit="rise in a reached family's usual engagement (0-1) while it runs", ge=0,
            le=1, source="BOA parental engagement support: +33.1% on four EEF metrics, 128 schools (FACTS §10, "
                         "seed 000); size an assumption")
        cost_gbp_per_school_year: float = param(
            7000.0, prior=(2000.0, 25000.0), unit="GBP per school per year", ge=0,
            source="BOA parental engagement grants of £7,000 per school (FACTS §10, seed 000)")
        cost_gbp_per_mailing: float = param(1.0, prior=(0.5, 3.0), unit="GBP per family per mailing", ge=0,
                                            source="assumption (print and post)")

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.eligible_child = np.zeros(model.children.n, bool)
        self.family_reached = np.zeros(model.families.n, bool)
        self.engagement_added = np.zeros(model.families.n)  # what this programme added to each family's base
        m = self.params.mailings_per_year
        self.mailing_days = {int(k * DAYS_PER_YEAR / m) for k in range(m)}  # days of the school year

    def start(self, model: Any) -> None:
        self.new_year(model)

    def new_year(self, model: Any) -> None:
        """This year's families (children move school and year group; one fresh draw per family a year)."""
        kids, fams, p = model.children, model.families, self.params
        self.eligible_child = (np.isin(kids.school, [s.index for s in self.schools])
                               & np.isin(kids.year_group, p.year_groups))
        eligible = np.zeros(fams.n, bool)
        eligible[kids.family[self.eligible_child]] = True
        u = uniforms(model.streams[self.stream], model.school_year, fams.n, 1)
        self.family_reached = eligible & (u < p.share_families_reached)
        base = fams.engagement_base - self.engagement_added
        added = np.where(self.family_reached, np.minimum(1.0, base + p.engagement_base_gain) - base, 0.0)
        fams.engagement_base[:] = base + added
        self.engagement_added = added

    def apply(self, model: Any, day: int) -> None:
        """On a mailing day, the reached families' engagement rises (it then relaxes towards their usual level)."""
        if model.today.day_of_year in self.mailing_days and self.params.engagement_per_mailing > 0:
            eng = model.families.engagement
            eng[self.family_reached] = np.minimum(1.0, eng[self.family_reached] + self.params.engagement_per_mailing)

    def annual_cost_gbp(self, model: Any) -> float:
        p = self.params
        mail = float(self.family_reached.sum()) * p.mailings_per_year * p.cost_gbp_per_mailing
        return len(self.schools) * p.cost_gbp_per_school_year * model.capacity_scale + mail

    def reached(self, model: Any) -> np.ndarray:
        if not self.started:
            return np.zeros(model.children.n, bool)
        return self.eligible_child & self.family_reached[model.children.family]

    def targeted(self, model: Any) -> np.ndarray:
        return self.eligible_child.copy()
