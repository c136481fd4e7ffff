"""Run a scenario for several replicates and gather labelled results (in-process, or replicates on the executor)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xarray as xr
from actlocally.calibration.posterior import posterior_id, scenario_draw
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario, load_scenario


def run_replicate(scenario: Scenario, seed: int, replicate: int, pupils: int | None = None,
                  on_day: Callable[[], None] | None = None, parameters: dict[str, float] | None = None
                  ) -> tuple[xr.Dataset, xr.Dataset]:
    """One replicate: (results, microdata)."""
    model = LocalityModel(scenario, seed=seed, replicate=replicate, pupils=pupils, parameters=parameters)
    while model.running:
        model.step()
        if on_day is not None:
            on_day()
    results, micro = model.results(), model.microdata()
    model.release()
    return results, micro


@dataclass(frozen=True)
class ReplicateTask:
    """One replicate of a scenario, as an executor task (a worker builds its own model from it)."""

    scenario: Scenario
    seed: int
    replicate: int
    pupils: int | None
    parameters: dict[str, float] | None


def _run_task(task: ReplicateTask) -> tuple[xr.Dataset, xr.Dataset]:
    return run_replicate(task.scenario, task.seed, task.replicate, task.pupils, None, task.parameters)


def run_scenario(scenario: Scenario | str | Path, *, seed: int | None = None, replicates: int = 1,
                 pupils: int | None = None, on_day: Callable[[], None] | None = None,
                 posterior: xr.Dataset | None = None, executor=None,
                 on_replicate: Callable[[], None] | None = None) -> tuple[xr.Dataset, xr.Dataset]:
    """All replicates of one scenario, stacked on a `replicate` dimension: (results, microdata).

    With a posterior, replicate r runs with the parameters drawn for (seed, r), as in a comparison. With an
    `experiments.executor.Executor`, the replicates run as its tasks (`on_replicate` is called as each finishes;
    `on_day` is not); the numbers are the same as in-process, since a replicate's streams depend only on
    (seed, replicate).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seed = sc.seed if seed is None else seed
    tasks = [ReplicateTask(sc, seed, r, pupils,
                           scenario_draw(posterior, seed, r, sc) if posterior is not None else None)
             for r in range(replicates)]
    if executor is None:
        done = [run_replicate(t.scenario, t.seed, t.replicate, t.pupils, on_day, t.parameters) for t in tasks]
    else:
        done = [None] * replicates
        for r, out in executor.map_unordered(_run_task, tasks):
            done[r] = out
            if on_replicate is not None:
                on_replicate()
    results = [ds for ds, _ in done]
    micro = [mi for _, mi in done]
    attrs = dict(results[0].attrs, replicates=replicates)
    ds = xr.concat(results, dim="replicate", data_vars="all", coords="minimal", compat="override",
                   combine_attrs="override")
    ds = ds.assign_coords(replicate=range(replicates))
    ds.attrs = attrs
    ds.attrs["posterior"] = posterior_id(posterior) if posterior is not None else "none (default parameters)"
    if "sessions_per_day" in ds and "replicate" in ds["sessions_per_day"].dims:
        ds["sessions_per_day"] = ds["sessions_per_day"].isel(replicate=0, drop=True)
    mi = xr.concat(micro, dim="replicate", data_vars="all", coords="minimal", compat="override",
                   combine_attrs="override").assign_coords(replicate=range(replicates))
    mi.attrs = dict(micro[0].attrs, replicates=replicates)
    return ds, mi
