"""The bench's population: a scenario's area grown or shrunk to the benchmark's pupils, schools scaling with them."""

from __future__ import annotations

from actlocally.model.partition import scaled_profile
from actlocally.model.scenario import Scenario, load_scenario


def bench_scenario(scenario: str | Scenario, pupils: int) -> Scenario:
    """`scenario` on its area rescaled to `pupils` (schools and capacities in proportion, see scaled_profile)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out = sc.model_copy(update={"pupils": None})
    out._path, out._area, out._interventions = sc._path, scaled_profile(sc.area_profile, pupils), []
    return out
