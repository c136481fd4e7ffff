"""One replicate of a virtual trial: allocate schools, run the trial world and its paired control world, analyse.

The trial world gives the treated schools the treatment (and the control schools the control condition, if the
spec has one). Its estimate is computed as the paper computed it (`trial_analysis`), so it carries the trial's own
sampling noise. The paired world is the same population, seed and luck (common random numbers) with every
eligible school in the control condition: the difference between the two worlds for the same pupils is the
intervention's effect with no sampling noise (exactly zero for an intervention that reaches nobody).

A pupil- or household-level design (NFER's matched comparison of tutored pupils, a mailing RCT randomised by
household) gives every eligible school the treatment with the intervention choosing its recipients (its
`allocation_share_field` set to the share treated, drawn on its own stream) and compares the pupils reached with
the pupils its rule made eligible but not reached, clustered by school (pupils) or family (households).

Simplified: a between-school design follows one school year (children's rows are stable within it); a
single-group pre-post design may follow `years` school years (a support episode that crosses a summer); allocation
is a simple random draw of schools,
pupils or households (a matched comparison of random non-recipients is the comparison matching aims at).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from actlocally.model.interventions.parameters import declared_fields
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.interventions.targeting import select_schools
from actlocally.model.locality import LocalityModel
from actlocally.model.rng import Streams
from actlocally.model.scenario import Scenario
from actlocally.model.state import IN_SUPPORT

from .trial_analysis import (
    ancova,
    difference_in_means,
    pre_post_difference,
    pre_post_odds_ratio,
    to_scale,
)
from .trial_spec import Outcome, TrialSpec


@dataclasses.dataclass(frozen=True)
class TrialTask:
    """Everything one replicate needs (picklable, for the executor)."""

    spec: TrialSpec
    area: str
    seed: int
    replicate: int
    pupils: int | None
    parameters: tuple[tuple[str, float], ...] = ()


@dataclasses.dataclass
class World:
    """What the analysis reads from one simulated world, one entry per child."""

    school: np.ndarray
    year_group: np.ndarray
    z_start: np.ndarray
    z_end: np.ndarray
    possible: np.ndarray
    attended: np.ndarray
    sight_problem: np.ndarray
    reached: np.ndarray
    term_possible: np.ndarray  # terms x children
    term_attended: np.ndarray
    first_support_term: np.ndarray  # -1: never supported by a school mental-health team
    last_support_term: np.ndarray
    term_difficulty: np.ndarray  # terms x children: school days in emotional difficulty
    joined_term: np.ndarray  # the first term the row's child is on roll (a leaver's row is a new entrant)
    supported_at_end: np.ndarray
    family: np.ndarray
    targeted: np.ndarray  # eligible under the treatment's rule (reached or not)


@dataclasses.dataclass
class _Probe:
    """What allocation reads from a model: its schools."""

    school_agents: list


def allocate(spec: TrialSpec, model: LocalityModel | _Probe, seed: int, replicate: int) -> tuple[list[str], list[str]]:
    """(treated, control) school names among the eligible, drawn on the trial's own stream."""
    eligible = [s.name for s in select_schools(spec.eligibility.schools, model.school_agents)]
    rng = Streams(seed, replicate).generator(f"trial:{spec.name}:allocation")
    k = int(round(spec.allocation.share_treated * len(eligible)))
    chosen = set(rng.choice(len(eligible), size=k, replace=False).tolist()) if k else set()
    return [n for i, n in enumerate(eligible) if i in chosen], [n for i, n in enumerate(eligible) if i not in chosen]


def _scenario(task: TrialTask, treated: list[str], control: list[str]) -> Scenario:
    spec = task.spec
    interventions = []
    if treated:
        share = {} if spec.allocation.unit == "school" else {
            REGISTRY[spec.treatment["type"]].allocation_share_field: spec.allocation.share_treated}
        interventions.append({**spec.treatment, **share, "schools": treated, "label": "treatment"})
    if control and spec.control is not None:
        interventions.append({**spec.control, "schools": control, "label": "control"})
    return Scenario.model_validate({"name": f"trial_{spec.name}", "area": task.area, "years": spec.years,
                                    "seed": task.seed, "pupils": task.pupils,
                                    "interventions": interventions}).validate_all()


def design_values(spec: TrialSpec, scenario: Scenario) -> dict[str, float]:
    """The parameters the spec sets on the scenario's arms, by arm (`treatment.p_enrol`): the study's design, so they
    win over a posterior's draw of the same field (breakfast in the classroom's cafeteria enrolment, set to give the
    paper's participation over all year groups, keeps its `enrol_ratio_older` of 1 whatever the posterior carries)."""
    out = {}
    arms = {p.label for p in scenario.intervention_params}
    for label, table in (("treatment", spec.treatment), ("control", spec.control)):
        if table and label in arms:
            declared = declared_fields(REGISTRY[table["type"]].Params)
            out.update({f"{label}.{k}": float(v) for k, v in table.items() if k in declared})
    return out


def simulate(scenario: Scenario, task: TrialTask) -> World:
    """Run one world for the trial's years, keeping what the analysis needs.

    Terms are counted over the whole follow-up (3 a school year). A Year 11 leaver's row becomes a Reception
    entrant at the year's end (model/population.py), so its support record starts afresh: the trial does not
    follow pupils past Year 11 (simplified: the paper followed pupils to age 19)."""
    model = LocalityModel(scenario, replicate=task.replicate, pupils=task.pupils,
                          parameters={**dict(task.parameters), **design_values(task.spec, scenario)})
    c = model.children
    z_start = c.attainment_z.astype(np.float64).copy()
    n_terms = 3 * scenario.years
    term_possible = np.zeros((n_terms, c.n), np.int32)
    term_attended = np.zeros((n_terms, c.n), np.int32)
    term_difficulty = np.zeros((n_terms, c.n), np.int16)
    first = np.full(c.n, -1, np.int8)
    last = np.full(c.n, -1, np.int8)
    joined = np.zeros(c.n, np.int8)
    team_schools = np.array([s.mhst_service >= 0 for s in model.school_agents])
    while model.running:
        model.step()
        term = 3 * model.today.year + model.today.term_of_year
        if model.today.last_of_year and model.running:  # the year has moved on: leavers' rows are new children
            renewed = c.year_group == 0
            first[renewed], last[renewed], joined[renewed] = -1, -1, term + 1
        supported = (c.mh_status == IN_SUPPORT) & team_schools[c.school]
        first[supported & (first < 0)] = term
        last[supported] = term
        team_schools = np.array([s.mhst_service >= 0 for s in model.school_agents])  # a team may start mid-year
        term_possible[term] += 2  # every pupil on roll: two sessions a school day (as the recorder counts them)
        term_attended[term] += 2 * c.present
        term_difficulty[term] += c.difficulty
    treatment = next((iv for iv in model.interventions if iv.label == "treatment"), None)
    world = World(
        school=c.school.copy(), year_group=c.year_group.copy(), z_start=z_start,
        z_end=c.attainment_z.astype(np.float64), possible=c.sessions_possible.copy(),
        attended=c.sessions_attended.copy(), sight_problem=c.vision_uncorrected.copy(),
        reached=treatment.reached(model) if treatment else np.zeros(c.n, bool),
        term_possible=term_possible, term_attended=term_attended, first_support_term=first,
        last_support_term=last, term_difficulty=term_difficulty, joined_term=joined,
        supported_at_end=(c.mh_status == IN_SUPPORT),
        family=c.family.copy(),
        targeted=treatment.targeted(model) if treatment else np.zeros(c.n, bool))
    model.release()
    return world


def _population(o: Outcome, w: World, eligible: np.ndarray) -> np.ndarray:
    """The pupils an outcome is measured on (in eligible schools)."""
    years = o.pupils if isinstance(o.pupils, list) else o.years
    mask = eligible.copy()
    if years is not None:
        mask &= np.isin(w.year_group, years)
    if o.pupils == "sight_problem":
        mask &= w.sight_problem
    return mask


def _values(o: Outcome, w: World) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, value at the start) per child, for between-school designs."""
    if o.measure == "attainment_gain":
        return w.z_end, w.z_start
    rate = w.attended / np.maximum(w.possible, 1)
    if o.measure == "attendance":
        return rate, np.zeros_like(rate)
    return (w.possible > 0) & (w.attended < 0.9 * w.possible), np.zeros_like(rate)


def supported_episodes(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pupils, term before support began, term support ended) of every episode a pre-post design counts: begun
    after the pupil's first term on roll and ended before the follow-up did."""
    pupils = np.flatnonzero((w.first_support_term >= w.joined_term + 1) & ~w.supported_at_end)
    return pupils, w.first_support_term[pupils].astype(np.intp) - 1, w.last_support_term[pupils].astype(np.intp)


def _pre_post(o: Outcome, w: World) -> tuple[np.ndarray, np.ndarray]:
    """(before, after) per supported pupil: the term before support began and the term it ended."""
    pupils, before, after = supported_episodes(w)
    poss, att = w.term_possible, w.term_attended
    if o.measure == "term_attendance":
        value = att / np.maximum(poss, 1)
    else:
        value = ((poss > 0) & (att < 0.9 * poss)).astype(float)
    return value[before, pupils], value[after, pupils]


def analyse(o: Outcome, trial: World, paired: World, treated_schools: np.ndarray,
            eligible_schools: np.ndarray, unit: str = "school") -> dict[str, float]:
    """The outcome's trial estimate (as the paper analysed it) and its paired (common random numbers) effect.

    `unit` is the allocation's: within schools ('pupil', 'household') the arms are the treatment's recipients and
    the eligible pupils it did not reach."""
    if o.analysis == "pre_post":
        pre, post = _pre_post(o, trial)
        if pre.size < 10:
            return {"estimate": np.nan, "estimate_lo": np.nan, "estimate_hi": np.nan, "paired": np.nan, "n": pre.size}
        if o.scale == "odds_ratio":
            est, lo, hi = pre_post_odds_ratio(pre, post)
        else:
            est, lo, hi = (to_scale(x, o.scale) for x in pre_post_difference(pre, post))
        return {"estimate": est, "estimate_lo": lo, "estimate_hi": hi, "paired": np.nan, "n": pre.size}
    eligible = eligible_schools[trial.school]
    within = unit != "school"
    mask = _population(o, trial, eligible & trial.targeted if within else eligible)
    treated = (trial.reached if within else treated_schools[trial.school])[mask]
    y, y0 = (v[mask] for v in _values(o, trial))
    cluster = (trial.family if unit == "household" else trial.school)[mask]
    fn = ancova if o.analysis == "ancova" else difference_in_means
    args = (y.astype(float), y0, treated, cluster) if o.analysis == "ancova" else (y.astype(float), treated, cluster)
    est, lo, hi = fn(*args) if treated.any() and (~treated).any() else (np.nan, np.nan, np.nan)
    y_cf, _ = _values(o, paired)
    delta = y.astype(float) - y_cf[mask].astype(float)  # same pupils, same luck, without the treatment
    true = delta[treated].mean() if treated.any() else np.nan
    share = 1.0
    if o.per_recipient and not within:  # treatment on the treated: / share of the treated arm's pupils reached
        share = trial.reached[mask][treated].mean() if treated.any() else np.nan
    control_mean = float(y[~treated].mean()) if (~treated).any() else np.nan
    scale = [to_scale(x / share if share else np.nan, o.scale, control_mean) for x in (est, lo, hi, true)]
    return {"estimate": scale[0], "estimate_lo": scale[1], "estimate_hi": scale[2], "paired": scale[3],
            "n": int(mask.sum())}


def _cached(cache: dict | None, kind: str, scenario: Scenario, task: TrialTask, make):
    """`make()`, or the same `kind` of thing made before for this scenario (its name aside) and run settings."""
    if cache is None:
        return make()
    key = (kind, scenario.model_dump_json(exclude={"name"}), task.area, task.seed, task.replicate, task.pupils,
           task.parameters)
    if key not in cache:
        cache[key] = make()
    return cache[key]


def allocation(task: TrialTask, cache: dict | None = None) -> tuple[list[str], list[str], list[str]]:
    """(every school's name, treated, control) of one replicate: schools drawn by the design, or for a design
    within schools every eligible school (the intervention draws the pupils or households); `cache` as below."""
    spec = task.spec
    base = Scenario.model_validate({"name": f"trial_{spec.name}", "area": task.area, "years": spec.years,
                                    "seed": task.seed, "pupils": task.pupils}).validate_all()

    def probe_schools() -> list:
        probe = LocalityModel(base, replicate=task.replicate, pupils=task.pupils, parameters=dict(task.parameters))
        probe.release()  # its schools stay readable
        return list(probe.school_agents)

    schools = _cached(cache, "schools", base, task, probe_schools)
    if spec.allocation.unit == "school":
        treated, control = allocate(spec, _Probe(schools), task.seed, task.replicate)
    else:
        treated, control = [s.name for s in select_schools(spec.eligibility.schools, schools)], []
    return [s.name for s in schools], treated, control


def run_trial_replicate(task: TrialTask, cache: dict | None = None) -> dict[str, dict[str, float]]:
    """One replicate of the trial: {outcome name: estimate, its interval, the paired effect, pupils}.

    `cache` (a dict the caller keeps) shares identical worlds between trials run with the same settings: the
    schools' names and every paired world without an intervention (a calibration particle runs several trials);
    a world depends only on its scenario and settings, so the results are the same with or without it."""
    spec = task.spec
    names, treated, control = allocation(task, cache)
    trial = simulate(_scenario(task, treated, control), task)
    if spec.allocation.share_treated >= 1.0 and spec.allocation.unit == "school":
        paired = trial
    else:
        untreated = _scenario(task, [], treated + control)
        paired = _cached(cache if not untreated.interventions else None, "world", untreated, task,
                         lambda: simulate(untreated, task))
    treated_schools = np.isin(names, treated)
    eligible_schools = np.isin(names, treated + control)
    return {o.name: analyse(o, trial, paired, treated_schools, eligible_schools, spec.allocation.unit)
            for o in spec.outcomes}
