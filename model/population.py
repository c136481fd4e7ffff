"""Set-up and yearly upkeep of the population: baseline services, starting states, per-school arrays, new year."""

from __future__ import annotations

import math

import numpy as np

from .agents import Child, Service
from .calendar import DAYS_PER_YEAR
from .mechanisms.learning import daily_offset
from .mechanisms.services import KINDS
from .rng import stable_hash
from .starting_attainment import add_year_to_ks2_record, residual
from .state import NONE
from .steady_state import (
    CALENDAR_TO_SCHOOL_WEEKS,
    children_onset,
    steady_difficulty,
    steady_exposure,
    steady_lingering,
)
from .synthesis import PRIMARY_YEARS, attainment_offsets, draw_send

BASELINE_SERVICES = (
    ("camhs", "CAMHS", "camhs_new_cases_per_week"),
    ("early_help", "Early Help / family hub", "early_help_new_cases_per_week"),
    ("food_support", "Food support", "food_support_new_cases_per_week"),
    ("talking_therapies", "NHS Talking Therapies", "talking_therapies_new_cases_per_week"),
    ("youth_service", "Youth service", "youth_service_new_cases_per_week"),
)


class SchoolArrays:
    """Per-school numbers the kernels read, rebuilt from the School agents and services when they change."""

    def __init__(self, model) -> None:
        schools = model.school_agents
        n = len(schools)
        w = model.params.group("wellbeing")
        self.attendance_effect = np.array([s.attendance_effect for s in schools], np.float64)
        self.secondary = np.array([s.phase == "secondary" for s in schools], bool)
        # (school, FSM): the school's own value added plus the area's for its phase and the pupil's FSM group
        area_va = model.population.value_added[self.secondary.astype(np.intp)]
        self.value_added_per_day = (np.array([s.value_added for s in schools], np.float64)[:, None]
                                    + area_va) / DAYS_PER_YEAR
        self.learning_offset_per_day = daily_offset(model.params, self.value_added_per_day, self.secondary)
        camhs = model.services.of_kind("camhs")
        default_route = camhs[0].index if camhs else -1
        self.mh_route = np.array([s.mhst_service if s.mhst_service >= 0 else default_route for s in schools], np.int16)
        youth = model.services.of_category("child_youth")
        self.youth_route = np.full(n, youth[0].index if youth else -1, np.int16)
        self.hosts = {k: np.array([k in s.hub_services for s in schools], bool) for k in KINDS}
        self.no_hosts = np.zeros(n, bool)
        hub_mh = self.hosts["mhst"] | self.hosts["camhs"]
        mult = np.where([s.mhst_service >= 0 for s in schools], w["mhst_referral_multiplier"], 1.0)
        hub_mult = np.array([s.hub_referral_multiplier for s in schools])
        self.mh_referral_mult = mult * np.where(hub_mh, hub_mult, 1.0)
        self.hub_referral_mult = np.where([s.hub for s in schools], hub_mult, 1.0)
        self.food_seek_mult = np.where(self.hosts["food_support"], [s.hub_food_seek_multiplier for s in schools], 1.0)
        self.hub_dna_mult = np.array([s.hub_dna_multiplier for s in schools])
        self.mh_team = np.array([s.mhst_service >= 0 for s in schools], np.bool_)  # a school mental-health team
        self.absence_followup = np.array([s.hub_absence_followup for s in schools], np.float64)
        self.illness_avoided = np.array([s.hub_illness_avoided for s in schools], np.float64)


# Area capacities are new cases per calendar week; services take cases on the 190 school days (38 weeks):
# CALENDAR_TO_SCHOOL_WEEKS, from model/steady_state.py (the food support's steady state uses it too).


def add_baseline_services(model) -> None:
    """The area's existing services, with capacities scaled to the simulated population and to school weeks."""
    cap = model.area.capacity
    for kind, name, field in BASELINE_SERVICES:
        fig = getattr(cap, field)
        if fig is not None and fig.value > 0:
            model.services.add(Service(model, name, kind, fig.value * CALENDAR_TO_SCHOOL_WEEKS * model.capacity_scale))
    teams = cap.mhst_teams.value
    share = cap.mhst_schools_covered_share.value
    if teams > 0 and share > 0:
        n_teams = math.ceil(teams)
        per_team = model.params["services.mhst_cases_per_week_per_team"] * teams / n_teams
        # which schools an existing team covers is part of the area, not of a replicate's luck
        ss = np.random.SeedSequence([stable_hash(model.area.name), stable_hash("baseline_mhst")])
        rng = np.random.default_rng(ss)
        schools = list(model.school_agents)
        order = rng.permutation(len(schools))
        n_covered = max(1, round(share * len(schools)))
        svcs = []
        for t in range(n_teams):
            svc = Service(model, f"MHST {t + 1} (existing)", "mhst", per_team * model.capacity_scale)
            model.services.add(svc)
            svcs.append(svc)
        for j, idx in enumerate(order[:n_covered]):
            schools[idx].mhst_service = svcs[j % n_teams].index


def initial_states(model, rng: np.random.Generator) -> None:
    """Start wellbeing and exposure near their steady state, so the first term is not a warm-up."""
    c, f = model.children, model.families
    if model.crime_index is not None:
        c.exposure[:] = steady_exposure(c.year_group, model.crime_index, model.params)
    exposure = c.exposure if model.crime_index is not None else np.zeros(c.n)
    c.difficulty[:] = rng.random(c.n) < steady_difficulty(c, f, exposure, model.area, model.params,
                                                           model.capacity_scale)
    if model.params["attendance.disengagement_days"] > 0:  # a draw only then: without it no one's numbers move
        onset = children_onset(c, f, exposure, model.params)
        c.lingering[:] = steady_lingering(onset, c.difficulty, model.params, rng.random(c.n))
    f.secure_until[:] = 0


def progress_year(model, rng: np.random.Generator) -> None:
    """Year groups move up; Year 6 moves to secondary; each Year 11 leaver's row becomes a Reception entrant.

    Entrants start from the Reception row of the area's attainment shifts, jointly with their new propensity.

    Simplified: each leaver is replaced by a Reception child of the same family (a younger sibling), so rolls
    and the family mix stay stable over a run; the family keeps its circumstances.
    """
    c, f, pop = model.children, model.families, model.population
    leavers = np.flatnonzero(c.year_group == 11)
    add_year_to_ks2_record(c)
    c.year_group[c.year_group < 11] += 1
    movers = c.year_group == PRIMARY_YEARS
    c.school[movers] = f.home_secondary[c.family[movers]]
    for svc in model.services.services:
        if svc.category.startswith("child"):
            svc.queue.discard(leavers)
    n = leavers.size
    fam = c.family[leavers]
    c.year_group[leavers] = 0
    c.school[leavers] = f.home_primary[fam]
    c.female[leavers] = rng.random(n) < model.params["population.share_girls"]
    a_ehcp, a_ss = pop.sen_intercepts
    c.send[leavers] = draw_send(c.fsm[leavers].astype(float), a_ehcp, a_ss, rng.random(n))
    c.propensity[leavers] = rng.normal(0.0, model.params["attendance.sd_child"], n)
    c.vision_uncorrected[leavers] = rng.random(n) < model.params["population.share_uncorrected_vision"]
    school_off = np.array([s.attainment_offset for s in model.school_agents])[c.school[leavers]]
    z = (pop.attainment_shift[0, c.fsm[leavers].astype(np.intp)] + school_off
         + attainment_offsets(c.send[leavers], c.eal[leavers], model.params)
         + residual(c.propensity[leavers], model.params, rng))
    c.attainment_z[leavers] = z
    c.attainment_start_z[leavers] = z
    for name in ("wears_glasses", "difficulty", "breakfast_enrolled", "at_breakfast", "hungry"):
        getattr(c, name)[leavers] = False
    for name in ("exposure", "lingering", "service_days", "mh_until", "youth_until", "ks2_possible", "ks2_attended"):
        getattr(c, name)[leavers] = 0
    c.present[leavers] = True
    c.mh_status[leavers] = NONE
    c.youth_status[leavers] = NONE
    for name in ("sessions_possible", "sessions_attended", "illness_sessions"):
        getattr(c, name)[:] = 0
    if model.agents_created:  # a leaver's row is a new child: a new agent (a new unique_id)
        agents = model.child_agents
        for row in leavers:
            agents[row].remove()
            agents[row] = Child(model, int(row))
