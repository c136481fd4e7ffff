"""Glasses in Classes: the worked example of adding an intervention (one file plus one import in registry.py).

Primary pupils are screened; those with an uncorrected sight problem get glasses kept in class, which removes
the learning penalty of uncorrected vision (mechanism 3) on days they wear them. Bradford's Opportunity Area
ran it in 100 primaries (FACTS §10).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools


@register("glasses_in_classes")
class GlassesInClasses(Intervention):
    """Screen pupils in the chosen schools; glasses for those who need them."""

    class Params(InterventionParams):
        schools: SchoolSelector = "phase == 'primary'"
        p_screened: float = param(0.9, prior=(0.6, 1.0), unit="share of pupils screened", ge=0, le=1,
                                  source="assumption")
        p_wear: float = param(0.7, prior=(0.4, 0.95), unit="share of children given glasses who wear them",
                              ge=0, le=1, source="assumption")
        cost_gbp_per_pupil_year: float = param(8.0, prior=(3.0, 20.0), unit="GBP per pupil in the schools per year",
                                               ge=0, source="assumption (screening plus two pairs of glasses)")

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.fitted = np.zeros(model.children.n, bool)
        self.pupils = 0

    def start(self, model: Any) -> None:
        self.new_year(model)

    def new_year(self, model: Any) -> None:
        """Screen this year's pupils (a fresh draw each school year) and fit glasses."""
        kids = model.children
        in_school = np.isin(kids.school, [s.index for s in self.schools])
        u = uniforms(model.streams[self.stream], model.school_year, kids.n, 1)
        self.fitted = in_school & kids.vision_uncorrected & (u < self.params.p_screened * self.params.p_wear)
        kids.wears_glasses |= self.fitted
        self.pupils = int(in_school.sum())

    def annual_cost_gbp(self, model: Any) -> float:
        return self.pupils * self.params.cost_gbp_per_pupil_year

    def reached(self, model: Any) -> np.ndarray:
        return self.fitted.copy()
