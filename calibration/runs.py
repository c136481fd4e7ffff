"""One calibration run: the area's baseline for one year with given parameters, reduced to named statistics.

Shared by the ABC simulator, the Morris screen and the posterior predictive check.
"""

from __future__ import annotations

import dataclasses

from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario, load_scenario

from .statistics import statistics


def baseline_scenario(area: str) -> Scenario:
    """The area's baseline scenario (`scenarios/baseline_<area>.toml`)."""
    return load_scenario(f"baseline_{area}")


def run_statistics(scenario: Scenario, params: dict[str, float], replicate: int, pupils: int,
                   names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """One one-year run with these parameters; its named statistics."""
    model = LocalityModel(scenario.model_copy(update={"years": 1}), replicate=replicate, pupils=pupils,
                          parameters=params)
    model.run()
    out = statistics(model, list(names))
    model.release()
    return out


@dataclasses.dataclass(frozen=True)
class StatisticsRun:
    """`run_statistics` as a small picklable task for the executor."""

    scenario: Scenario
    params: tuple[tuple[str, float], ...]
    replicate: int
    pupils: int
    names: tuple[str, ...]


def run_task(task: StatisticsRun) -> dict[str, float]:
    return run_statistics(task.scenario, dict(task.params), task.replicate, task.pupils, task.names)
