"""The schools of an area as the model builds them, and which of them a selector picks (shown as the user types).

School names come from the model itself (a `LocalityModel` built for the scenario's area, population and seed,
without interventions), so the names offered are exactly the names a scenario may list: the profile's named schools
first, then generated ones.
"""

from __future__ import annotations

import dataclasses
import functools

from actlocally.model.errors import InputError
from actlocally.model.interventions.targeting import parse_rule, select_schools
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario


@dataclasses.dataclass(frozen=True)
class SchoolInfo:
    """What a selector rule can read about a school (the fields of `targeting.RULE_FIELDS`)."""

    name: str
    phase: str
    roll: float
    disadvantaged_share: float
    eal_share: float


@functools.lru_cache(maxsize=16)
def area_schools(area: str, pupils: int | None, seed: int) -> tuple[SchoolInfo, ...]:
    """The schools a model of this area, population and seed has (cached: a model is built once per key)."""
    sc = Scenario.model_validate({"name": "schools", "area": area, "pupils": pupils, "seed": seed})
    model = LocalityModel(sc.validate_all(), seed=seed)
    try:
        return tuple(SchoolInfo(s.name, s.phase, float(s.roll), s.disadvantaged_share, s.eal_share)
                     for s in model.school_agents)
    finally:
        model.release()


def schools_or_error(area: str, pupils: int | None, seed: int) -> tuple[tuple[SchoolInfo, ...], str]:
    """The schools, or none and the reason (an unknown area or a population too small), never an exception."""
    try:
        return area_schools(area, pupils, seed), ""
    except InputError as err:
        return (), str(err)
    except ValueError as err:
        return (), f"cannot build this area: {err}"


def matching(selector: str | list[str], schools: tuple[SchoolInfo, ...]) -> tuple[list[SchoolInfo], str]:
    """The schools a rule or list picks, and the rule's error message (as the CLI words it) if it has one."""
    if isinstance(selector, str):
        if not selector.strip():
            return [], "give a rule (e.g. phase == 'primary'), 'all', or pick schools from the list"
        try:
            parse_rule(selector)
        except ValueError as err:
            return [], str(err)
    elif not selector:
        return [], "give at least one school name, a rule, or 'all'"
    try:
        return select_schools(selector, list(schools)), ""
    except ValueError as err:
        return [], str(err)


def describe(school: SchoolInfo) -> str:
    """One line per school: name, phase, roll, disadvantaged and EAL shares."""
    return (f"{school.name} ({school.phase}, {school.roll:,.0f} pupils, {school.disadvantaged_share:.0%} FSM, "
            f"{school.eal_share:.0%} EAL)")
