"""Supervised toothbrushing: daily brushing with fluoride toothpaste in school for the youngest pupils.

Keighley's Act Locally partnership bought over 2,500 toothbrushing kits for nursery and primary pupils and asked
its schools to record absence for dental reasons (seed 004, FACTS §9 "Named actions"); Bradford's Opportunity
Area tested toothbrushing clubs in nurseries and primaries (seed 000, project 30). Reach rule: pupils from
Reception to Year `max_year_group` (default Year 2: programmes run in nurseries, which the model has not, and
infant classes) in the chosen schools, each taking part with probability `p_take_part`, drawn afresh each year.

Route: a share of illness absence is dental (`share_illness_dental`: an assumption, no figure exists in FACTS or
the seeds, hence the wide prior) and brushing avoids a share of it (`dental_absence_reduction`). A taking-part
pupil's odds of absence are multiplied by 1 - k, k = illness share of absence (the attendance mechanism's
`illness_share`) x dental share x reduction, i.e. their log-odds of presence rise by -log(1 - k); the attendance
mechanism adds it to the child's fixed log-odds (`model.attendance_shift`). Simplified, and says so: the cut is
the same every day (the winter rise in the illness share is left out), and is exact only where absence is rare.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field

from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, select_schools


@register("supervised_toothbrushing")
class SupervisedToothbrushing(Intervention):
    """Daily supervised brushing for the youngest pupils of the chosen schools: less dental illness absence."""

    class Params(InterventionParams):
        schools: SchoolSelector = "phase == 'primary'"
        max_year_group: int = Field(2, ge=0, le=11, description="oldest year group reached (0 Reception, 2 Year 2)")
        p_take_part: float = param(
            0.85, prior=(0.6, 1.0), unit="share of pupils in the year groups who brush daily at school", ge=0, le=1,
            source="assumption (consent and daily delivery; no uptake figure in FACTS)")
        share_illness_dental: float = param(
            0.03, prior=(0.005, 0.10), unit="share of illness absence that is for dental reasons", ge=0, le=1,
            source="assumption (no figure in FACTS or the seeds: Keighley schools only began recording dental "
                   "absence, seed 004, FACTS §2)")
        dental_absence_reduction: float = param(
            0.25, prior=(0.05, 0.5), unit="share of a pupil's dental absence avoided by daily supervised brushing",
            ge=0, lt=1, source="assumption (fluoride toothpaste trials cut tooth decay by about a quarter, "
                               "Marinho et al. 2003 Cochrane review; not in FACTS)")
        cost_gbp_per_child_year: float = param(
            3.0, prior=(1.0, 10.0), unit="GBP per pupil taking part per year", ge=0,
            source="assumption (brushes, fluoride toothpaste and staff time; no unit cost in FACTS)")

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        self.brushing = np.zeros(model.children.n, bool)

    def start(self, model: Any) -> None:
        self.new_year(model)

    def log_odds_shift(self, model: Any) -> float:
        """Rise in a taking-part pupil's log-odds of presence: odds of absence x (1 - illness x dental x reduction)."""
        k = (model.params["attendance.illness_share"] * self.params.share_illness_dental
             * self.params.dental_absence_reduction)
        return -math.log1p(-k)

    def new_year(self, model: Any) -> None:
        """Who brushes this school year (one uniform per child a year on its own stream); attendance reads the shift
        at the next refresh (the model refreshes after set-up, start and year progression)."""
        kids = model.children
        in_school = np.isin(kids.school, [s.index for s in self.schools])
        u = uniforms(model.streams[self.stream], model.school_year, kids.n, 0)
        shift = np.float32(self.log_odds_shift(model))
        model.attendance_shift[self.brushing] -= shift  # last year's pupils (moved up, or left)
        self.brushing = in_school & (kids.year_group <= self.params.max_year_group) & (u < self.params.p_take_part)
        model.attendance_shift[self.brushing] += shift

    def annual_cost_gbp(self, model: Any) -> float:
        return float(self.brushing.sum()) * self.params.cost_gbp_per_child_year

    def reached(self, model: Any) -> np.ndarray:
        return self.brushing.copy()
