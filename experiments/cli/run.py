"""`actlocally run`: one scenario, one or more replicates, labelled results in NetCDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import check_output_file, console, err_console, fail, plain
from actlocally.model.errors import InputError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table


def run(
    scenario: Annotated[Path, typer.Argument(help="scenario .toml file (or the name of a built-in scenario)")],
    seed: Annotated[int | None, typer.Option(help="random seed (default: the scenario's)")] = None,
    replicates: Annotated[int, typer.Option(min=1, help="independent replicates")] = 1,
    out: Annotated[Path | None, typer.Option(help="results NetCDF (default outputs/<scenario>.nc)")] = None,
    children: Annotated[Path | None, typer.Option(help="also write end-of-run child microdata NetCDF here")] = None,
    pupils: Annotated[int | None, typer.Option(min=100, help="rescale the area to this many pupils")] = None,
    posterior: Annotated[str, typer.Option(help="'auto' (the area's stored posterior if calibrated), 'none' "
                                           "(default parameters), or an area name / posterior .nc")] = "auto",
    workers: Annotated[int | None, typer.Option(min=0, help="with several replicates: LocalCluster workers "
                                                "(default: the cores; 0 runs them one after another here)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="with several replicates: a Dask scheduler address")] = None,
) -> None:
    """Run one scenario and write labelled results to NetCDF.

    One replicate runs here, on all of numba's threads; several run as tasks of the batch executor (a
    LocalCluster, or --scheduler), with the same numbers as one after another.
    """
    from actlocally.calibration.posterior import has_posterior, load_posterior
    from actlocally.experiments.compare.runner import run_scenario
    from actlocally.model.scenario import load_scenario
    from actlocally.runtime.storage import write_netcdf_atomic

    try:
        sc = load_scenario(scenario)
        if posterior == "auto":
            post = load_posterior(sc.area) if has_posterior(sc.area) else None
        else:
            post = None if posterior == "none" else load_posterior(posterior)
        out = out or Path("outputs") / f"{sc.name}.nc"
        for path, option in ((out, "--out"), (children, "--children")):
            check_output_file(path, option)
    except InputError as err:
        fail(err)
    batch = replicates > 1 and (scheduler is not None or workers != 0)
    total, unit = (replicates, "replicates") if batch else (replicates * sc.years * 190, "school days")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(unit), TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task(plain(sc.name), total=total)
        try:
            if batch:
                from actlocally.runtime.executor import Executor, default_workers

                with Executor(default_workers() if workers is None else workers, scheduler) as executor:
                    ds, micro = run_scenario(sc, seed=seed, replicates=replicates, pupils=pupils, posterior=post,
                                             executor=executor, on_replicate=lambda: progress.advance(task))
            else:
                ds, micro = run_scenario(sc, seed=seed, replicates=replicates, pupils=pupils,
                                         on_day=lambda: progress.advance(task), posterior=post)
        except InputError as err:
            progress.stop()
            fail(err)
    write_netcdf_atomic(ds, out)
    if children is not None:
        write_netcdf_atomic(micro, children)
    _summary(ds)
    console.print(f"results: {plain(out)}" + (f"\nchild microdata: {plain(children)}" if children else ""))


def _summary(ds) -> None:
    """A short table of the last year's headline outcomes (mean over replicates)."""
    last = ds.isel(year=-1).mean("replicate")
    table = Table(title=f"{ds.attrs.get('scenario')}: {ds['year_label'].values[-1]} (mean of "
                        f"{ds.sizes['replicate']} replicate(s), {ds.attrs.get('pupils_simulated')} pupils)")
    table.add_column("group")
    for col in ("attendance", "persistent absence", "severe absence", "expected standard", "progress (months)"):
        table.add_column(col, justify="right")
    for g in last["group"].values:
        row = last.sel(group=g)
        table.add_row(str(g), f"{100 * row['attendance_rate_year']:.1f}%",
                      f"{100 * row['persistent_absence_rate_year']:.1f}%",
                      f"{100 * row['severe_absence_rate_year']:.1f}%",
                      f"{100 * row['expected_standard_share_year']:.1f}%", f"{row['progress_months_year']:+.1f}")
    console.print(table)
