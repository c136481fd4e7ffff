"""Run a partitioned scenario (England) as one task per locality and replicate; gather a `locality` dimension.

Each task builds its locality's `LocalityModel`, runs it, reduces it to its results and frees it before
returning, so a worker holds one locality at a time and only small Datasets travel back. Tasks go to the
executor largest first (the long ones start early); results are keyed by task, never by arrival, so the numbers
do not depend on the number of workers or on a cluster (`--scheduler`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr
from actlocally.calibration.posterior import posterior_id, scenario_draw
from actlocally.model.locality import LocalityModel
from actlocally.model.partition import VARYING_SHARES
from actlocally.model.scenario import Scenario

from .localities import LocalityRun, locality_runs

# Per-school results are left out of the gathered result (a nation has ~18,000 schools). Locality coordinates:
# coordinate -> (Locality attribute or share, units, long_name); the shares are those the partition varies.
LOCALITY_COORDS = {
    "locality_pupils": ("pupils", "pupils", "pupils simulated in the locality (R-Y11)"),
    "locality_deprivation_z": ("deprivation_z", "z-score", "locality's draw on the partition's deprivation factor"),
    **{f"locality_{rule}": (rule, "1", f"locality's share: {field.replace('_', ' ')} (drawn in the partition)")
       for field, (_, _, rule) in VARYING_SHARES.items()},
}


@dataclass(frozen=True)
class LocalityTask:
    """One locality and replicate, as an executor task (the worker builds the model from it)."""

    run: LocalityRun
    replicate: int
    parameters: dict[str, float] | None


def run_locality(task: LocalityTask) -> xr.Dataset:
    """Build, run and reduce one locality's model; free it before returning its results.

    The objects alive before the task (modules, the worker's own) are frozen while it runs, so the collection
    that frees the model scans only the task's objects: a full collection cost ~0.1 s a locality (issue 19).
    """
    gc.freeze()
    try:
        model = LocalityModel(task.run.scenario, seed=task.run.seed, replicate=task.replicate,
                              parameters=task.parameters)
        model.run()
        ds = model.results().drop_dims("school")  # the per-school variables and their coordinates
        model.release()
        del model
        gc.collect()
    finally:
        gc.unfreeze()  # back to the oldest generation: frozen objects that die later are still collected
    return ds


def run_partitioned(scenario: Scenario, *, seed: int | None = None, replicates: int = 1,
                    posterior: xr.Dataset | None = None, executor=None,
                    on_task: Callable[[], None] | None = None) -> xr.Dataset:
    """All localities and replicates of a partitioned scenario as one Dataset with `replicate` and `locality` dims.

    Without an executor the tasks run here one after another. With a posterior, replicate r of every locality
    runs with the parameters drawn for (seed, r), as `run_scenario` does.
    """
    seed = scenario.seed if seed is None else seed
    runs = locality_runs(scenario, seed)
    draws = [scenario_draw(posterior, seed, r, scenario) if posterior is not None else None for r in range(replicates)]
    tasks = [LocalityTask(run, r, draws[r]) for r in range(replicates) for run in runs]
    order = sorted(range(len(tasks)), key=lambda k: (-tasks[k].run.locality.pupils, k))  # largest first
    done: list[xr.Dataset | None] = [None] * len(tasks)
    if executor is None:
        for k in order:
            done[k] = run_locality(tasks[k])
            if on_task is not None:
                on_task()
    else:
        for j, ds in executor.map_unordered(run_locality, [tasks[k] for k in order]):
            done[order[j]] = ds
            if on_task is not None:
                on_task()
    out = gather(runs, [done[r * len(runs):(r + 1) * len(runs)] for r in range(replicates)], scenario, seed)
    out.attrs["posterior"] = posterior_id(posterior) if posterior is not None else "none (default parameters)"
    return out


def gather(runs: list[LocalityRun], results: list[list[xr.Dataset]], scenario: Scenario, seed: int) -> xr.Dataset:
    """Stack per-locality results (results[replicate][locality]) on `replicate` and `locality` dimensions."""
    labels = np.array([p.label or p.type for p in scenario.intervention_params], dtype=str)
    names = [run.locality.name for run in runs]
    kinds = {}  # service -> kind, over all localities (a hub's services exist only where it runs)
    for rep in results:
        for ds in rep:
            kinds.update(zip(ds["service"].values.tolist(), ds["service_kind"].values.tolist(), strict=True))
    per_rep = []
    for rep in results:
        rep = [ds.drop_vars("service_kind").reindex(intervention=labels, fill_value=0.0)  # not run there: no cost
               for ds in rep]
        per_rep.append(xr.concat(rep, dim="locality", data_vars="all", coords="different", compat="equals",
                                 join="outer", combine_attrs="override").assign_coords(locality=names))
    ds = xr.concat(per_rep, dim="replicate", data_vars="all", coords="different", compat="equals", join="outer",
                   combine_attrs="override").assign_coords(replicate=range(len(results)))
    ds = ds.assign_coords(service_kind=("service", [kinds[s] for s in ds["service"].values.tolist()]))
    if "replicate" in ds["sessions_per_day"].dims or "locality" in ds["sessions_per_day"].dims:
        ds["sessions_per_day"] = ds["sessions_per_day"].isel(
            {d: 0 for d in ("replicate", "locality") if d in ds["sessions_per_day"].dims}, drop=True)
    simulated = [int(r.attrs["pupils_simulated"]) for r in results[0]]
    for name, (attr, units, long_name) in LOCALITY_COORDS.items():
        values = simulated if attr == "pupils" else [run.locality.rule_value(attr) for run in runs]
        ds = ds.assign_coords({name: ("locality", np.asarray(values, float))})
        ds[name].attrs = {"units": units, "long_name": long_name}
    ds["locality"].attrs = {"units": "1", "long_name": "locality of the partition (local-authority sized)"}
    area = scenario.area_profile
    attrs = dict(results[0][0].attrs)
    attrs.update({
        "area": area.name, "area_profile_json": area.model_dump_json(), "seed": int(seed),
        "scenario_json": scenario.model_dump_json(), "localities": len(runs), "replicates": len(results),
        "pupils_simulated": int(sum(simulated)),
        "locality_seeds": "SeedSequence([seed, stable_hash('locality:' + name)]) per locality",
        "title": f"actlocally results: {scenario.name} ({len(runs)} localities)",
    })
    attrs.pop("population_scale", None)
    ds.attrs = attrs
    return ds


def national(ds: xr.Dataset) -> xr.Dataset:
    """Group results over all localities: rates are pupil-weighted means of the localities', counts are sums.

    Simplified: a rate weighted by pupils rather than by its own denominator (possible sessions, pupils with
    sessions, pupils assessed), which differ between localities by a few per cent at most.
    """
    pupils = ds["pupils"].fillna(0.0)  # (replicate, locality, term, group)
    year_pupils = _year_pupils(ds)
    out = {}
    for name, var in ds.data_vars.items():
        if "locality" not in var.dims:
            out[name] = var
        elif name == "pupils" or name in ("cost_gbp",) or var.attrs.get("units") == "clients":
            out[name] = var.sum("locality", min_count=1)
        elif "group" in var.dims:
            w = pupils if "term" in var.dims else year_pupils
            out[name] = var.weighted(w).mean("locality")
        else:
            continue
        out[name].attrs = var.attrs
    return xr.Dataset(out, attrs=ds.attrs)


def _year_pupils(ds: xr.Dataset) -> xr.DataArray:
    """Pupils of each year's last term, on a `year` dimension (weights for the year results)."""
    terms_per_year = ds.sizes["term"] // ds.sizes["year"]
    last = [(y + 1) * terms_per_year - 1 for y in range(ds.sizes["year"])]
    pupils = ds["pupils"].isel(term=last).drop_vars(["term", "term_label"]).rename(term="year")
    return pupils.assign_coords(year=ds["year"]).fillna(0.0)
