"""School targeting: 'all', a rule such as "phase == 'primary' and disadvantaged_share >= 0.35", or a list of names."""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from typing import Annotated, Protocol, TypeVar

from pydantic import AfterValidator

RULE_FIELDS: dict[str, type] = {"phase": str, "name": str, "disadvantaged_share": float, "eal_share": float,
                                "roll": float}
_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt}


class SchoolLike(Protocol):
    """What a rule reads from a school (the School agent has these)."""

    @property
    def name(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def disadvantaged_share(self) -> float: ...
    @property
    def eal_share(self) -> float: ...
    @property
    def roll(self) -> float: ...


S = TypeVar("S", bound=SchoolLike)
_CLAUSE = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|!=|>|<)\s*(?:'([^']*)'|\"([^\"]*)\"|(-?[0-9.]+))\s*$")


SCHOOL_EXAMPLE = "\"phase == 'primary' and disadvantaged_share >= 0.35\""


def parse_rule(text: str, fields: dict[str, type] = RULE_FIELDS, what: str = "school",
               example: str = SCHOOL_EXAMPLE) -> list[tuple[str, str, str | float]]:
    """Parse a rule into (field, op, value) clauses joined by 'and'; raise ValueError saying what is allowed.

    `fields` names the fields a rule may compare (schools by default; localities use their own, see
    model/partition.py).
    """
    if text.strip() == "all":
        return []
    clauses: list[tuple[str, str, str | float]] = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = _CLAUSE.match(part)
        if not m:
            raise ValueError(f"cannot read rule clause '{part}': write FIELD OP VALUE joined by 'and', e.g. "
                             f"{example}, or 'all', or a list of names")
        fld, op, s1, s2, num = m.groups()
        if fld not in fields:
            raise ValueError(f"unknown {what} field '{fld}' in rule; allowed: {', '.join(fields)}")
        want = fields[fld]
        if want is str and num is not None:
            raise ValueError(f"'{fld}' compares with a quoted text value")
        if want is float and num is None:
            raise ValueError(f"'{fld}' compares with a number")
        if want is float and not re.fullmatch(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)", num):
            raise ValueError(f"'{num}' in rule clause '{part.strip()}' is not a number")
        value = float(num) if want is float else (s1 if s1 is not None else s2)
        if fields is RULE_FIELDS and fld == "phase" and value not in ("primary", "secondary"):
            raise ValueError("phase is 'primary' or 'secondary'")
        clauses.append((fld, op, value))
    return clauses


# Fields a locality rule may compare (localities of a partitioned area, model/partition.py).
LOCALITY_FIELDS: dict[str, type] = {"name": str, "pupils": float, "deprivation_z": float, "fsm_share": float,
                                    "eal_share": float, "low_income_share": float, "food_insecure_share": float,
                                    "parent_depression_share": float}


def parse_locality_rule(text: str) -> list[tuple[str, str, object]]:
    """Parse a locality rule such as "fsm_share >= 0.3"; raise ValueError naming what is allowed."""
    return parse_rule(text, LOCALITY_FIELDS, "locality", "\"fsm_share >= 0.3 and pupils >= 50000\"")


def validate_selector(value: str | list[str]) -> str | list[str]:
    """Pydantic hook: rules are parsed now; names are checked against the model's schools at set-up."""
    if isinstance(value, str):
        parse_rule(value)
    elif not value:
        raise ValueError("give at least one school name, a rule, or 'all'")
    else:
        twice = sorted({n for n in value if value.count(n) > 1})
        if twice:
            raise ValueError(f"school(s) {twice} named twice; name each school once")
    return value


def select_schools(selector: str | list[str], schools: Sequence[S]) -> list[S]:
    """The School agents a selector picks (in school order)."""
    if isinstance(selector, list):
        by_name = {s.name: s for s in schools}
        unknown = [n for n in selector if n not in by_name]
        if unknown:
            raise ValueError(f"unknown school(s) {unknown}; this area's schools are: "
                             + ", ".join(s.name for s in schools[:12]) + (" ..." if len(schools) > 12 else ""))
        wanted = set(selector)
        return [s for s in schools if s.name in wanted]
    clauses = parse_rule(selector)
    return [s for s in schools if all(_OPS[op](getattr(s, fld), val) for fld, op, val in clauses)]


SchoolSelector = Annotated[str | list[str], AfterValidator(validate_selector)]


def validate_year_groups(v: list[int]) -> list[int]:
    """Year groups 0 (Reception) to 11, each once, at least one: a rule by year group for tuition, mailings..."""
    if not v or any(not 0 <= y <= 11 for y in v) or len(set(v)) != len(v):
        raise ValueError("year groups are 0 (Reception) to 11 (Year 11), each once, at least one")
    return v


YearGroups = Annotated[list[int], AfterValidator(validate_year_groups)]
