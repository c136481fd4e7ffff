"""Allocations of interventions to schools: the search space, each allocation's scenario and its planned cost.

An allocation is a 0/1 vector over (intervention, school) slots: slot (i, s) on means intervention i runs at
school s. Each intervention on at one or more schools becomes one scenario entry with `schools = [names]`, so an
allocation is an ordinary scenario, run and paired with the area's baseline like any other.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
from actlocally.model.area import load_area
from actlocally.model.errors import InputError
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.interventions.targeting import select_schools
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import SCENARIOS_DIR, Scenario, load_scenario

DEFAULT_INTERVENTIONS = ("breakfast_club", "mental_health_support_team", "service_hub")


@dataclasses.dataclass
class Space:
    """The slots an allocation may switch on, and the baseline they are set against."""

    baseline: Scenario
    interventions: list[str]
    schools: list[str]
    pupils: int | None = None
    _costs: dict = dataclasses.field(default_factory=dict)

    @property
    def slots(self) -> list[tuple[str, str]]:
        return [(iv, s) for iv in self.interventions for s in self.schools]

    def entries(self, x: np.ndarray) -> list[dict]:
        """The scenario's intervention tables for allocation `x` (one per intervention switched on)."""
        on = np.asarray(x, bool).reshape(len(self.interventions), len(self.schools))
        return [{"type": iv, "label": iv, "schools": [s for s, b in zip(self.schools, row, strict=True) if b]}
                for iv, row in zip(self.interventions, on, strict=True) if row.any()]

    def name(self, x: np.ndarray) -> str:
        """A stable name for an allocation (the same bits give the same name, so finished runs are reused)."""
        bits = "".join("1" if b else "0" for b in np.asarray(x, bool))
        return "alloc_" + hashlib.blake2b(bits.encode(), digest_size=6).hexdigest()

    def describe(self, x: np.ndarray) -> str:
        """`intervention: school, school; ...` for tables, or 'none'."""
        parts = [f"{e['type']}: {', '.join(e['schools'])}" for e in self.entries(x)]
        return "; ".join(parts) or "none (baseline)"

    def scenario(self, x: np.ndarray) -> Scenario:
        """Allocation `x` as a scenario of the baseline's area, years and seed."""
        data = self.baseline.model_dump(exclude={"name", "description", "interventions"})
        data.update(name=self.name(x), description=self.describe(x), interventions=self.entries(x))
        return Scenario.model_validate(data).validate_all()

    def planned_cost(self, x: np.ndarray) -> float:
        """Annual cost in GBP at the area's full size, from each intervention's set-up (replicate 0, defaults).

        The budget applies to this figure, known before any run; the simulated cost (with its interval over
        replicates and posterior draws) is reported beside it.
        """
        total = 0.0
        for entry in self.entries(x):
            key = (entry["type"], tuple(entry["schools"]))
            if key not in self._costs:
                sc = Scenario.model_validate({**self.baseline.model_dump(exclude={"interventions"}),
                                              "interventions": [entry]}).validate_all()
                model = LocalityModel(sc, replicate=0, pupils=self.pupils)
                self._costs[key] = sum(iv.annual_cost_gbp(model) for iv in model.interventions) / model.scale
                model.release()
            total += self._costs[key]
        return total


def baseline_for(area: str, years: int = 1, seed: int | None = None, pupils: int | None = None) -> Scenario:
    """The area's built-in baseline scenario if there is one, else an empty scenario of the area."""
    try:
        area = load_area(area).name  # an unknown area: one message listing the areas
    except InputError as err:
        raise InputError(None, "AREA", err.problem) from None
    path = SCENARIOS_DIR / f"baseline_{area}.toml"
    sc = load_scenario(path) if path.is_file() else Scenario.model_validate({"name": f"baseline_{area}",
                                                                              "area": area}).validate_all()
    update = {"years": years} | ({"seed": seed} if seed is not None else {}) | ({"pupils": pupils} if pupils else {})
    return Scenario.model_validate({**sc.model_dump(), **update}).validate_all()


def make_space(baseline: Scenario, interventions: list[str], schools_rule: str, pupils: int | None) -> Space:
    """Check the interventions and the schools rule against the area; raise InputError saying what is allowed."""
    unknown = [iv for iv in interventions if iv not in REGISTRY]
    if unknown or not interventions:
        raise InputError(None, "--interventions", f"unknown intervention(s) {unknown}; allowed: "
                         f"{', '.join(sorted(REGISTRY))}")
    is_rule = schools_rule.strip() == "all" or any(op in schools_rule for op in "<>=!")
    selector = schools_rule if is_rule else [s.strip() for s in schools_rule.split(",") if s.strip()]
    model = LocalityModel(baseline, replicate=0, pupils=pupils or 200)
    try:
        chosen = select_schools(selector, model.school_agents)
    except ValueError as err:
        raise InputError(None, "--schools", str(err)) from None
    finally:
        model.release()
    if not chosen:
        raise InputError(None, "--schools", f"the rule '{schools_rule}' picks no school of {baseline.area}")
    return Space(baseline, list(dict.fromkeys(interventions)), [s.name for s in chosen], pupils)
