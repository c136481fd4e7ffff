"""Published trial estimates as calibration targets: the statistic is what `actlocally trial` computes.

A targets file may hold, beside its area targets, a `[trials.<spec>.<outcome>]` table per fitted trial outcome
(`calibration/trials/<spec>.toml`), with the published value, its uncertainty (a 90% `range` or an `se`), year and
source, like any target. Its statistic is named `trial:<spec>.<outcome>` and computed by the same code as
`actlocally trial` (`trial_run.run_trial_replicate`) for one replicate, on a rescaled population, with the run's
parameters: the paired effect (the trial world against the same pupils, seed and luck without the treatment:
common random numbers, so it is cheap and nearly free of noise) where the design has a counterfactual arm, else
(a single-group pre-post design such as Place2Be's) the estimate computed as the paper computed it.

`TRIAL_PARAMETERS` are the intervention routes these trials anchor: set as assumptions in the parameter table and
the intervention classes, they are fitted to the trial targets (see `trial_fit.py` for how and why in a stage of
their own) and carried into every area's posterior.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

TRIAL_PREFIX = "trial:"
TRIAL_SEED = 1  # the seed of `actlocally trial` (its default), so a target run is that command's replicate
TRIAL_PUPILS = 6000  # assumption: enough Year 2 pupils in eligible schools (~170) and counselled pupils (~45) a run

# The routes the trials anchor (FACTS §11), by trial: the ABC kernel moves those of the fitted trials; the others
# (no fitted trial moves them, e.g. breakfast at secondary) are drawn from their prior, carried with the rest.
TRIAL_ROUTES: dict[str, tuple[str, ...]] = {
    "magic_breakfast": ("learning.breakfast_settled_ks1", "learning.breakfast_settled_ks2",
                        "learning.breakfast_climate", "learning.breakfast_climate_ks2_ratio",
                        "breakfast_club.enrol_ratio_older"),  # a club before school: older pupils may come less
    "breakfast_in_the_classroom": ("learning.breakfast_climate", "learning.breakfast_climate_ks2_ratio"),
    "nyc_community_schools": ("service_hub.engagement_gain", "service_hub.absence_followup",
                              "service_hub.illness_absence_avoided"),
    "place2be_counselling": ("attendance.b_school_support_primary", "attendance.b_school_support_secondary"),
    "headstart": ("attendance.b_school_support_secondary",),
    "vision_for_baltimore": ("learning.penalty_vision",),  # what glasses remove
    # an hour with a trained tutor, out of lessons, every session held (the Toolkit's trials)
    "eef_small_group_tuition": ("tutoring.z_per_hour_primary", "tutoring.z_per_hour_secondary"),
    # NTP's school-led delivery on top of those hours: what an hour with the school's own staff is worth, in primary
    # and (as a factor on it) secondary (its estimate is that ratio times the hours' worth, so it moves with the
    # Toolkit's routes too)
    "national_tutoring_programme": ("tutoring.school_staff_hour_ratio", "tutoring.school_staff_secondary_factor",
                                    "tutoring.z_per_hour_primary", "tutoring.z_per_hour_secondary"),
    "parent_attendance_nudges": ("parental_engagement.engagement_per_mailing",),
}
TRIAL_PARAMETERS: tuple[str, ...] = (*dict.fromkeys(p for ps in TRIAL_ROUTES.values() for p in ps),
                                     "learning.breakfast_settled_secondary")  # no secondary breakfast trial


def route_groups(specs: Iterable[str], parameters: Iterable[str]) -> list[list[str]]:
    """The routes of the given trials in groups no two trials share (connected components of trial -> routes),
    each in `parameters`' order: a kernel each in the trial stage, since routes of different groups are
    independent given the area draw (see `smc.py`)."""
    order = {p: i for i, p in enumerate(parameters)}
    groups: list[set[str]] = []
    for spec in dict.fromkeys(specs):
        routes = {r for r in TRIAL_ROUTES.get(spec, ()) if r in order}
        joined = [g for g in groups if g & routes]
        for g in joined:
            groups.remove(g)
            routes |= g
        if routes:
            groups.append(routes)
    return sorted((sorted(g, key=order.__getitem__) for g in groups), key=lambda g: order[g[0]])


def trial_target_name(spec: str, outcome: str) -> str:
    """The statistic's name for one outcome of one trial: `trial:<spec>.<outcome>`."""
    return f"{TRIAL_PREFIX}{spec}.{outcome}"


def is_trial(name: str) -> bool:
    return name.startswith(TRIAL_PREFIX)


def split_name(name: str) -> tuple[str, str]:
    """(spec, outcome) of a trial statistic's name."""
    spec, _, outcome = name[len(TRIAL_PREFIX):].partition(".")
    return spec, outcome


def statistic_of(result: Mapping[str, float]) -> float:
    """The fitted statistic of one outcome of one replicate: the paired effect, else the trial's own estimate."""
    paired = float(result["paired"])
    return paired if np.isfinite(paired) else float(result["estimate"])


def trial_statistics(area: str, params: Mapping[str, float], replicate: int, pupils: int,
                     names: Iterable[str], seed: int = TRIAL_SEED) -> dict[str, float]:
    """The named trial statistics of one replicate: each trial run once, as `actlocally trial` runs it."""
    from .trial_run import TrialTask, run_trial_replicate
    from .trial_spec import load_trial

    wanted: dict[str, list[str]] = {}
    for name in names:
        spec, outcome = split_name(name)
        wanted.setdefault(spec, []).append(outcome)
    out = {}
    items = tuple(sorted((k, float(v)) for k, v in params.items()))
    worlds: dict = {}  # the trials share their schools and their paired worlds without an intervention
    for spec_name, outcomes in wanted.items():
        result = run_trial_replicate(TrialTask(load_trial(spec_name), area, seed, replicate, pupils, items), worlds)
        for outcome in outcomes:
            out[trial_target_name(spec_name, outcome)] = statistic_of(result[outcome])
    return out


def check_trial_target(spec_name: str, outcome: str, value: float) -> str | None:
    """Why a trial target is not usable (unknown trial or outcome, value not the spec's published), or None."""
    from .trial_spec import TRIALS_DIR, load_trial, trial_names

    if not (TRIALS_DIR / f"{spec_name}.toml").is_file():
        return f"no shipped trial '{spec_name}'; trials: {', '.join(trial_names())}"
    spec = load_trial(spec_name)
    known = {o.name: o for o in spec.outcomes}
    if outcome not in known:
        return f"trial '{spec_name}' has no outcome '{outcome}'; its outcomes: {', '.join(known)}"
    if not np.isclose(value, known[outcome].published):
        return f"value {value} is not the published estimate {known[outcome].published} of its trial spec"
    return None
