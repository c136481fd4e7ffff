"""The outcomes a comparison reports, by name: label, unit, direction and, where it makes sense, a cost per unit.

They live in the model (not in experiments) so that a scenario file's `headline = [...]` can be checked against
them when it is loaded. Per-service outcomes (wait and people starting support) exist for every kind of service
the model knows; an area without that service reports nothing for it.
"""

from __future__ import annotations

import dataclasses

from .mechanisms.services import KINDS
from .results import GROUPS

SERVICE_LABELS = {"mhst": "Mental health support teams", "camhs": "CAMHS", "youth_service": "Youth service",
                  "talking_therapies": "Adult talking therapies", "early_help": "Early Help / family hub",
                  "food_support": "Food support"}
assert set(SERVICE_LABELS) == set(KINDS), "every service kind needs a label"


@dataclasses.dataclass(frozen=True)
class Metric:
    """One row of the strategist's table; `per` names one unit of gain, for a cost-per-unit row (empty: none)."""

    name: str
    label: str
    unit: str
    by_group: bool = True
    better: str = "higher"  # which direction is good, for colouring and plain-language text
    per: str = ""  # e.g. "child out of emotional difficulty": the brief shows the cost per one of these
    cost_name: str = ""  # name of the cost-per-unit row
    cost_unit: str = ""


METRICS = (
    Metric("days_attended", "Days attended per pupil", "days per pupil per year"),
    Metric("persistent_absence_pp", "Persistent absence", "percentage points", better="lower"),
    Metric("pupils_out_of_persistent_absence", "Pupils moved out of persistent absence", "pupils per year",
           per="pupil moved out of persistent absence", cost_name="cost_per_pupil_out_of_pa",
           cost_unit="GBP per pupil"),
    Metric("severe_absence_pp", "Severe absence", "percentage points", better="lower"),
    Metric("expected_standard_pp", "Share at the expected standard (Years 2, 6, 11)", "percentage points"),
    Metric("months_of_progress", "Progress (EEF months)", "months",
           per="month of progress (all pupils in the area)", cost_name="cost_per_month_of_progress",
           cost_unit="GBP per month"),
    Metric("disadvantage_gap_months", "Disadvantage attainment gap", "months", by_group=False, better="lower"),
    Metric("child_difficulty_pp", "Pupils in emotional difficulty", "percentage points", better="lower"),
    Metric("children_out_of_difficulty", "Children moved out of emotional difficulty", "pupils",
           per="child out of emotional difficulty", cost_name="cost_per_child_out_of_difficulty",
           cost_unit="GBP per child"),
    Metric("mothers_depression_pp", "Mothers with depression", "percentage points", better="lower"),
    Metric("mothers_out_of_depression", "Mothers moved out of depression", "mothers",
           per="mother out of depression", cost_name="cost_per_mother_out_of_depression", cost_unit="GBP per mother"),
    Metric("waiting_days", "Mean wait for support (all services)", "school days", by_group=False, better="lower"),
    Metric("cost_gbp", "Cost", "GBP per year", by_group=False, better="lower"),
)
SERVICE_METRICS = tuple(
    m for kind, label in SERVICE_LABELS.items() for m in (
        Metric(f"wait_days_{kind}", f"Mean wait: {label}", "school days", by_group=False, better="lower"),
        Metric(f"helped_{kind}", f"People starting support: {label}", "people per year", by_group=False)))
ALL_METRICS = METRICS + SERVICE_METRICS
METRIC = {m.name: m for m in ALL_METRICS}
COST_METRICS = {m.name: Metric(m.cost_name, f"Cost per {m.per}", m.cost_unit, by_group=False, better="lower")
                for m in ALL_METRICS if m.per}
DEFAULT_HEADLINE = ("days_attended", "pupils_out_of_persistent_absence", "months_of_progress")


def parse_headline(entry: str) -> tuple[Metric, str]:
    """'metric' or 'metric.group' -> (Metric, group); ValueError naming what is allowed otherwise."""
    name, _, group = entry.partition(".")
    if name not in METRIC:
        raise ValueError(f"unknown outcome '{name}'; allowed: {', '.join(METRIC)} (optionally '.GROUP', GROUP one of "
                         f"{', '.join(GROUPS)})")
    m, group = METRIC[name], group or "all"
    if group not in GROUPS:
        raise ValueError(f"unknown group '{group}' in '{entry}'; allowed: {', '.join(GROUPS)}")
    if group != "all" and not m.by_group:
        raise ValueError(f"'{name}' is reported for all pupils only; write it without '.{group}'")
    return m, group
