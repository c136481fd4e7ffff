"""Run a scenario for several replicates and gather labelled results (in-process; Dask comes with comparisons)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xarray as xr
from actlocally.calibration.posterior import draw, posterior_id
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


def run_scenario(scenario: Scenario | str | Path, *, seed: int | None = None, replicates: int = 1,
                 pupils: int | None = None, on_day: Callable[[], None] | None = None,
                 posterior: xr.Dataset | None = None) -> tuple[xr.Dataset, xr.Dataset]:
    """All replicates of one scenario, stacked on a `replicate` dimension: (results, microdata).

    With a posterior, replicate r runs with the parameters drawn for (seed, r), as in a comparison.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    seed = sc.seed if seed is None else seed
    results, micro = [], []
    for r in range(replicates):
        params = draw(posterior, seed, r) if posterior is not None else None
        ds, mi = run_replicate(sc, seed, r, pupils, on_day, params)
        results.append(ds)
        micro.append(mi)
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
