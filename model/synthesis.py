"""Population synthesis: families, children and schools that match an area profile's marginals.

Disadvantage clusters by family (siblings share a family's deprivation) and by school (families live in
neighbourhoods with their own deprivation, and each neighbourhood has one primary and one secondary school).
Each share is matched exactly in expectation by solving an intercept (quantile or bisection), so the
correlations come from the latent deprivation while the marginals come from the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .area import AreaProfile
from .matching import solve_intercept
from .params import ParamTable
from .schools import SchoolLayout, SchoolSpec, rows_by_value, school_layout
from .starting_attainment import draw_starting_attainment
from .state import EHCP, NO_SEN, SEN_SUPPORT, ChildArrays, FamilyArrays
from .steady_state import (
    centre_by_phase,
    expected_progress,
    food_onset,
    food_support_rate,
    parent_support_recovery,
    value_added_table,
)

PRIMARY_YEARS = 7  # Reception .. Year 6
SECONDARY_YEARS = 5  # Year 7 .. Year 11
# FSM eligibility by SEN, England 2020 (FACTS §7 [A12]): EHCP 34.6%, SEN support 29.9%, no SEN 14.9%,
# turned into odds ratios of SEN given FSM (odds ratios are symmetric).
_OR_SEN_SUPPORT_FSM = (0.299 / 0.701) / (0.149 / 0.851)
_OR_EHCP_FSM = (0.346 / 0.654) / (0.149 / 0.851)


@dataclass
class Population:
    """The synthesised arrays plus the constants needed to add Reception entrants later."""

    children: ChildArrays
    families: FamilyArrays
    schools: list[SchoolSpec]
    n_neighbourhoods: int
    sen_intercepts: tuple[float, float]  # (EHCP, SEN support) log-odds for a non-FSM child
    attainment_shift: np.ndarray  # (year group, FSM) shift of starting z; Reception entrants take row 0
    value_added: np.ndarray  # (phase, FSM) area value added, z per school year (model/steady_state.py)


def synthesise(area: AreaProfile, params: ParamTable, rng: np.random.Generator,
               pupils: int | None = None) -> Population:
    """Build the population of `area`; `pupils` rescales pupil numbers and every school's roll (tests, benchmarks).

    The schools are fixed (model/schools.py): only children, families and their luck depend on `rng`.
    """
    p = params.group("population")
    n_primary = area.pupils.primary.value
    n_secondary = area.pupils.secondary.value
    scale = 1.0 if pupils is None else pupils / (n_primary + n_secondary)
    n_primary, n_secondary = round(n_primary * scale), round(n_secondary * scale)

    # Neighbourhoods: one per primary school, sized by its roll, with the school's deprivation and EAL mix.
    layout: SchoolLayout = school_layout(area, params, scale)
    schools = layout.schools
    n_nb = layout.n_primary
    nb_depr, nb_eal = layout.nb_depr, layout.nb_eal

    # Children by year group and neighbourhood.
    per_year = np.r_[np.full(PRIMARY_YEARS, n_primary / PRIMARY_YEARS),
                     np.full(SECONDARY_YEARS, n_secondary / SECONDARY_YEARS)]
    counts = np.round(per_year).astype(int)
    n = int(counts.sum())
    year_group = np.repeat(np.arange(12, dtype=np.int8), counts)
    nb_of_child = np.empty(n, np.int64)
    start = 0
    for c in counts:
        nb_of_child[start:start + c] = np.repeat(np.arange(n_nb), layout.split(c))
        start += c

    # Families within each neighbourhood.
    family = np.empty(n, np.int64)
    fam_nb: list[np.ndarray] = []
    next_f = 0
    for nb, kids in enumerate(rows_by_value(nb_of_child, n_nb)):
        if kids.size == 0:
            continue
        nf = max(1, round(kids.size / p["children_per_family"]))
        order = rng.permutation(kids)
        fam_idx = np.r_[np.arange(nf), rng.integers(0, nf, kids.size - nf)] if kids.size >= nf else np.arange(kids.size)
        family[order] = next_f + fam_idx[: kids.size]
        fam_nb.append(np.full(nf, nb))
        next_f += nf
    nbh = np.concatenate(fam_nb)
    families = FamilyArrays(nbh.size)
    families.neighbourhood[:] = nbh
    children = ChildArrays(n)
    children.family[:] = family
    children.year_group[:] = year_group

    # Family deprivation and the shares that follow it.
    depr = nb_depr[nbh] + rng.standard_normal(nbh.size)
    families.deprivation[:] = depr
    sd_depr = np.sqrt(1.0 + np.var(nb_depr))
    depr_std = depr / sd_depr
    families.fsm_eligible[:] = depr > 0.0  # so each neighbourhood's FSM share is its primary school's
    q_li = np.quantile(depr, 1.0 - area.shares.low_income_households.value)
    families.low_income[:] = (depr > q_li) | families.fsm_eligible
    a_food = solve_intercept(p["b_food_insecure_deprivation"] * depr_std, area.shares.food_insecure_households.value)
    p_food = expit(a_food + p["b_food_insecure_deprivation"] * depr_std)
    families.food_insecure[:] = rng.random(nbh.size) < p_food
    a_dep = solve_intercept(p["b_parent_depression_deprivation"] * depr_std, area.shares.parent_depression.value)
    p_dep = expit(a_dep + p["b_parent_depression_deprivation"] * depr_std)
    families.parent_depressed[:] = rng.random(nbh.size) < p_dep
    # each family's onset makes its own probability its steady state (so states keep following deprivation)
    families.food_onset[:] = food_onset(p_food, food_support_rate(area, params, p_food.sum(), scale), params)
    need = 1.0 - (1.0 - p_food) * (1.0 - p_dep)
    extra = parent_support_recovery(area, params, float(p_dep.sum()), float(need.sum()), scale)
    families.parent_onset[:] = steady_onset(p_dep, params["wellbeing.p_parent_recover"] + extra)
    families.eal[:] = rng.random(nbh.size) < expit(nb_eal[nbh])  # the school's EAL share, in expectation
    eng = np.clip(0.6 - 0.1 * depr_std + rng.normal(0.0, 0.15, nbh.size), 0.05, 0.95)
    families.engagement_base[:] = eng
    families.engagement[:] = eng
    families.distance_services_km[:] = p["median_distance_services_km"] * rng.lognormal(0.0, 0.5, nbh.size)
    families.hub_school[:] = -1
    families.home_primary[:] = nbh
    sec_age = np.bincount(family[year_group >= PRIMARY_YEARS], minlength=nbh.size).astype(float)
    families.home_secondary[:] = layout.secondary_of_families(nbh, sec_age + 0.25)

    # Children's own characteristics.
    children.fsm[:] = families.fsm_eligible[family]
    children.eal[:] = families.eal[family]
    children.female[:] = rng.random(n) < p["share_girls"]
    fsm = children.fsm.astype(float)
    a_ehcp = solve_intercept(np.log(_OR_EHCP_FSM) * fsm, area.shares.ehcp.value)
    a_ss = solve_intercept(np.log(_OR_SEN_SUPPORT_FSM) * fsm, area.shares.sen_support.value)
    children.send[:] = draw_send(fsm, a_ehcp, a_ss, rng.random(n))
    children.school[:] = np.where(year_group < PRIMARY_YEARS, families.home_primary[family],
                                  families.home_secondary[family])
    children.propensity[:] = rng.normal(0.0, params["attendance.sd_child"], n)
    children.vision_uncorrected[:] = rng.random(n) < p["share_uncorrected_vision"]

    _centre_school_effects(schools)
    shift = _starting_attainment(children, schools, area, params, rng)
    progress = expected_progress(children, families, np.array([s.attendance_effect for s in schools]), area, params,
                                 scale)
    pop = Population(children, families, schools, n_nb, (a_ehcp, a_ss), shift,
                     value_added_table(children, progress, shift, np.array([s.value_added for s in schools])))
    pairs = np.unique(children.school.astype(np.int64) * n_nb + nbh[family])  # (school, neighbourhood) served
    served = rows_by_value(pairs // n_nb, len(schools))
    for s, spec in enumerate(schools):
        spec.neighbourhoods = (pairs[served[s]] % n_nb).tolist()
    return pop


def steady_onset(share: np.ndarray, p_recover: float) -> np.ndarray:
    """Daily onset probability that makes `share` the steady state of a two-state process with `p_recover`."""
    return np.minimum(0.5, share / np.maximum(1e-9, 1.0 - share) * p_recover)


def draw_send(fsm: np.ndarray, a_ehcp: float, a_ss: float, u: np.ndarray) -> np.ndarray:
    """SEND status from one uniform per child: EHCP, else SEN support, else none."""
    p_ehcp = expit(a_ehcp + np.log(_OR_EHCP_FSM) * fsm)
    p_ss = expit(a_ss + np.log(_OR_SEN_SUPPORT_FSM) * fsm)
    return np.where(u < p_ehcp, EHCP, np.where(u < p_ehcp + p_ss, SEN_SUPPORT, NO_SEN)).astype(np.int8)


def attainment_offsets(send: np.ndarray, eal: np.ndarray, params: ParamTable) -> np.ndarray:
    """Starting-attainment shifts for SEND and EAL (z-score)."""
    a = params.group("attainment")
    return (np.where(send == SEN_SUPPORT, a["b_sen_support_z"], 0.0) + np.where(send == EHCP, a["b_ehcp_z"], 0.0)
            + a["b_eal_z"] * eal)


def _starting_attainment(children: ChildArrays, schools: list[SchoolSpec], area: AreaProfile,
                         params: ParamTable, rng: np.random.Generator) -> np.ndarray:
    """Starting z per child, jointly with attendance propensity and per year group (see model/starting_attainment)."""
    school_off = np.array([s.attainment_offset for s in schools])[children.school]
    base = attainment_offsets(children.send, children.eal, params) + school_off
    z, table = draw_starting_attainment(base, children.fsm, children.year_group, children.propensity,
                                        (area.observed.ks2_expected_other.value,
                                         area.observed.ks2_expected_disadvantaged.value), params, rng)
    children.attainment_z[:] = z
    children.attainment_start_z[:] = z
    return table


def _centre_school_effects(schools: list[SchoolSpec]) -> None:
    """Centre value added and starting offsets within each phase (weighted by the fixed rolls, so a school's effects
    are the same in every replicate); the area's means are set apart (model/steady_state.py)."""
    secondary = np.array([s.phase == "secondary" for s in schools])
    pupils = np.maximum([s.roll for s in schools], 1.0)
    va = centre_by_phase(np.array([s.value_added for s in schools]), secondary, pupils)
    off = centre_by_phase(np.array([s.attainment_offset for s in schools]), secondary, pupils)
    for s, v, o in zip(schools, va, off, strict=True):
        s.value_added, s.attainment_offset = float(v), float(o)
