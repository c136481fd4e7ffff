"""Small-group tuition: chosen pupils get a course of tutor sessions; the tuition mechanism turns hours into learning.

Pupils are chosen each school year by rule (year groups, attainment below a threshold at the start of the course,
optionally FSM only) and a share of them offered a place; each gets `sessions` sessions of `hours_per_session`
in groups of `group_size`, spread at `sessions_per_week` from the first school day of the course. A pupil present
on a session day attends it (model/mechanisms/tuition.py carries the effect, with its dose response). The delivery:
who tutors (`tutor`: a trained tutor as in the Toolkit's trials, or the school's own staff), whether sessions are in
lesson time, and the share of booked sessions actually held (each pupil's session held or not on its own draw;
simplified: groups are not modelled, so pupils of one group may differ). Bradford's Opportunity Area ran GCSE maths
tuition with trained tutors: 88 students, 25 one-hour sessions in groups of 3 (FACTS §10, seed 000).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from ..calendar import DAYS_PER_YEAR
from ..mechanisms.tuition import TuitionState
from ..rng import uniforms
from .base import Intervention, InterventionParams, param, register
from .targeting import SchoolSelector, YearGroups, select_schools

SCHOOL_WEEK_DAYS = 5


@register("tuition")
class Tuition(Intervention):
    """A course of small-group tuition each school year for pupils chosen by year group, attainment and FSM."""

    allocation_share_field: ClassVar[str] = "share_offered"  # a pupil-level trial sets it to the share treated

    class Params(InterventionParams):
        schools: SchoolSelector = "all"
        year_groups: YearGroups = Field(default_factory=lambda: [6, 11],
                                       description="year groups tutored (0 = Reception ... 11 = Year 11)")
        attainment_below_z: float = Field(0.0, ge=-5.0, le=5.0, description="tutor pupils whose attainment z at "
                                          "the start of the course is below this (0 = below the national median)")
        fsm_only: bool = Field(False, description="only pupils eligible for free school meals")
        share_offered: float = param(1.0, prior=(0.1, 1.0), unit="share of eligible pupils given a place", ge=0,
                                     le=1, source="assumption (schools choose; a setting, not a fitted figure)")
        sessions: int = Field(25, ge=1, le=190, description="sessions per pupil per school year (BOA: 25, seed 000)")
        hours_per_session: float = Field(1.0, gt=0, le=3, description="hours per session (BOA: 1, seed 000)")
        sessions_per_week: float = Field(1.0, gt=0, le=5, description="sessions a week while the course runs")
        group_size: int = Field(3, ge=1, le=12, description="pupils per tutor (BOA: groups of 3, seed 000)")
        tutor: Literal["trained", "school_staff"] = Field(
            "trained", description="who tutors: a trained tutor (the Toolkit's trials; BOA's Get Further tutors, seed "
            "000) or the school's own staff (teaching assistants, teachers: NTP's school-led route, FACTS §11 [V10])")
        in_lesson_time: bool = Field(False, description="sessions taken out of lessons (each hour displaces an hour "
                                     "of class learning)")
        share_delivered: float = param(
            1.0, prior=(0.5, 1.0), unit="share of booked sessions held", ge=0, le=1,
            source="assumption (a setting: 1 = every booked session held; no delivered share in FACTS)")
        cost_gbp_per_tutor_hour: float = param(
            40.0, prior=(20.0, 80.0), unit="GBP per tutor hour (a group's session hour)", ge=0,
            source="assumption (tuition-partner and school-led tutor rates not in FACTS; cost per pupil is this "
                   "over the group size)")

        @model_validator(mode="after")
        def _fits_in_a_year(self) -> Tuition.Params:
            days = self.course_days()
            if days > DAYS_PER_YEAR:
                raise ValueError(f"{self.sessions} sessions at {self.sessions_per_week:g} a week take {days} school "
                                 f"days; a school year has {DAYS_PER_YEAR}: fewer sessions or more a week")
            return self

        def course_days(self) -> int:
            """School days from the first session to the day after the last."""
            return int(math.floor((self.sessions - 1) * SCHOOL_WEEK_DAYS / self.sessions_per_week)) + 1

    def setup(self, model: Any) -> None:
        self.schools = select_schools(self.params.schools, model.school_agents)
        if model.tuition is None:
            model.tuition = TuitionState(model.children.n)
        self.eligible = np.zeros(model.children.n, bool)
        self.tutored = np.zeros(model.children.n, bool)
        self.session_days: set[int] = set()

    def start(self, model: Any) -> None:
        self._choose(model, self.params.start_day)

    def new_year(self, model: Any) -> None:
        """This year's pupils (a fresh choice: the year groups hold new pupils) and this year's course."""
        self._choose(model, model.school_year * DAYS_PER_YEAR)

    def _choose(self, model: Any, first_day: int) -> None:
        p, kids = self.params, model.children
        in_school = np.isin(kids.school, [s.index for s in self.schools])
        self.eligible = (in_school & np.isin(kids.year_group, p.year_groups)
                         & (kids.attainment_z < p.attainment_below_z) & (kids.fsm | (not p.fsm_only)))
        u = uniforms(model.streams[self.stream], model.school_year, kids.n, 1)  # one per child a year, used or not
        self.tutored = self.eligible & (u < p.share_offered)
        model.tuition.new_year()
        model.tuition.group_size[self.tutored] = p.group_size
        model.tuition.school_staff[self.tutored] = p.tutor == "school_staff"
        model.tuition.in_lesson[self.tutored] = p.in_lesson_time
        spacing = SCHOOL_WEEK_DAYS / p.sessions_per_week
        self.session_days = {first_day + int(math.floor(k * spacing)) for k in range(p.sessions)}

    def apply(self, model: Any, day: int) -> None:
        """Book today's session for the pupils tutored whose session is held (the mechanism counts it if they are in
        school); one draw per child on a session day, used or not."""
        if day in self.session_days:
            held = uniforms(model.streams[self.stream], day, model.children.n, 2) < self.params.share_delivered
            model.tuition.hours_today[self.tutored & held] += self.params.hours_per_session

    def annual_cost_gbp(self, model: Any) -> float:
        p = self.params
        hours = p.sessions * p.share_delivered * p.hours_per_session  # sessions not held are not paid for
        return float(self.tutored.sum()) * hours * p.cost_gbp_per_tutor_hour / p.group_size

    def reached(self, model: Any) -> np.ndarray:
        return self.tutored.copy()

    def targeted(self, model: Any) -> np.ndarray:
        return self.eligible.copy()
