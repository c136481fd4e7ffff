"""One calibration run: an area's baseline for one year with given parameters, reduced to named statistics.

Shared by the ABC simulator, the Morris screen and the posterior predictive check. The baseline scenario and the
area profile a calibration used are stored in its posterior (`baseline_scenario_json`, `area_profile_json`), so a
report or a predictive check reruns exactly that baseline, wherever its files now are.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import xarray as xr
from actlocally.model.area import AreaProfile, load_area
from actlocally.model.errors import InputError
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import SCENARIOS_DIR, Scenario, load_scenario

from .statistics import statistics
from .trial_targets import TRIAL_PUPILS, is_trial, trial_statistics


def baseline_scenario(area: str | Path | AreaProfile, baseline: str | Path | None = None) -> Scenario:
    """The scenario a calibration runs: `baseline` (a scenario file or built-in name) if given, else the built-in
    `scenarios/baseline_<area>.toml` if there is one, else the area's profile with no intervention."""
    profile = area if isinstance(area, AreaProfile) else load_area(area)
    if baseline is not None:
        sc = load_scenario(baseline)
        if sc.area_profile.name != profile.name:
            raise InputError(baseline, "area", f"the baseline is on area '{sc.area_profile.name}' but the "
                             f"calibration is of '{profile.name}'; give a baseline scenario of that area")
        return sc
    builtin = SCENARIOS_DIR / f"baseline_{profile.name}.toml"
    if not isinstance(area, AreaProfile) and Path(str(area)).suffix != ".toml" and builtin.is_file():
        return load_scenario(builtin)
    return with_profile(Scenario(name=f"baseline_{profile.name}", area=profile.name,
                                 description=f"{profile.display_name} with no intervention"), profile)


def with_profile(scenario: Scenario, profile: AreaProfile) -> Scenario:
    """The scenario bound to this (already validated) area profile, so it needs no file to run."""
    scenario._area = profile
    return scenario


def scenario_record(scenario: Scenario) -> dict[str, str]:
    """The posterior attributes that let a later report rerun this baseline without its files."""
    return {"baseline_scenario_json": scenario.model_dump_json(),
            "area_profile_json": scenario.area_profile.model_dump_json()}


def scenario_from_record(posterior: xr.Dataset) -> Scenario:
    """The baseline a posterior was fitted on (older posteriors without the record: the built-in baseline)."""
    attrs = posterior.attrs
    if "baseline_scenario_json" not in attrs:
        return baseline_scenario(str(attrs["area"]))
    sc = Scenario.model_validate_json(attrs["baseline_scenario_json"])
    return with_profile(sc, AreaProfile.model_validate_json(attrs["area_profile_json"]))


def run_statistics(scenario: Scenario, params: dict[str, float], replicate: int, pupils: int,
                   names: tuple[str, ...] | list[str], trial_pupils: int | None = None) -> dict[str, float]:
    """One one-year run with these parameters; its named statistics. Trial statistics (`trial:<spec>.<outcome>`)
    come from that trial's replicate on the scenario's area (`trial_targets.trial_statistics`, `trial_pupils`)."""
    area_names = [n for n in names if not is_trial(n)]
    out: dict[str, float] = {}
    if area_names:
        model = LocalityModel(scenario.model_copy(update={"years": 1}), replicate=replicate, pupils=pupils,
                              parameters=params)
        model.run()
        out = statistics(model, area_names)
        model.release()
    trials = [n for n in names if is_trial(n)]
    if trials:
        out |= trial_statistics(scenario.area, params, replicate, trial_pupils or TRIAL_PUPILS, trials)
    return {n: out[n] for n in names}


@dataclasses.dataclass(frozen=True)
class StatisticsRun:
    """`run_statistics` as a small picklable task for the executor."""

    scenario: Scenario
    params: tuple[tuple[str, float], ...]
    replicate: int
    pupils: int
    names: tuple[str, ...]
    trial_pupils: int | None = None


def run_task(task: StatisticsRun) -> dict[str, float]:
    return run_statistics(task.scenario, dict(task.params), task.replicate, task.pupils, task.names,
                          task.trial_pupils)
