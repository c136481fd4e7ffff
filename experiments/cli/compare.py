"""`actlocally compare`: scenarios against their baselines under common random numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail, plain
from actlocally.model.errors import InputError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def compare(
    files: Annotated[list[Path], typer.Argument(help="a comparison file, or BASELINE.toml SCENARIO.toml [...]")],
    replicates: Annotated[int | None, typer.Option(min=1, help="replicates per scenario (default: file's, or 20)")]
    = None,
    seed: Annotated[int | None, typer.Option(min=0, help="one seed for all scenarios (default: the baseline's)")]
    = None,
    out: Annotated[Path, typer.Option(help="outputs root; results go to OUT/<comparison name>/")] = Path("outputs"),
    name: Annotated[str | None, typer.Option(help="comparison name (default: from the file or the scenarios)")]
    = None,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster worker processes; 0 runs in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler, tcp://host:port")]
    = None,
    pupils: Annotated[int | None, typer.Option(min=100, help="rescale every area to this many pupils")] = None,
    posterior: Annotated[str, typer.Option(help="parameters per replicate: 'auto' (an area's stored posterior if "
                                           "calibrated), 'none' (defaults), or an area name / posterior .nc")]
    = "auto",
    against: Annotated[str | None, typer.Option(help="set every scenario against this one (a scenario name of the "
                                                "comparison) instead of its baseline")] = None,
) -> None:
    """Run scenarios against their baselines under common random numbers; write NetCDF, CSV, charts and a table."""
    from actlocally.experiments.compare.comparison import (
        attach_posteriors,
        is_comparison_file,
        load_comparison,
        plan_comparison,
    )
    from actlocally.model.scenario import load_scenario

    try:
        if len(files) == 1 and is_comparison_file(files[0]):
            plan = load_comparison(files[0], replicates=replicates, seed=seed, pupils=pupils)
        elif len(files) >= 2:
            base, *arms = [load_scenario(f) for f in files]
            plan = plan_comparison([base], arms, name=name or f"{arms[0].name}_vs_{base.name}"[:80],
                                   replicates=replicates or 20, seed=seed, pupils=pupils)
        else:
            raise InputError(files[0], None, "give a comparison file (with `baselines` and `scenarios`), or a "
                             "baseline scenario followed by one or more scenarios")
        if name and name != plan.name:  # re-plan so the new name is checked like any other
            plan = plan_comparison([plan.scenarios[b] for b in dict.fromkeys(plan.baseline_of.values())],
                                   [plan.scenarios[s] for s in plan.arms], name=name, replicates=plan.replicates,
                                   seed=plan.seed, pupils=plan.pupils, title=plan.title,
                                   description=plan.description)
        attach_posteriors(plan, posterior)
        if against is not None and against not in plan.arms:
            raise InputError(None, "--against", f"'{against}' is not a scenario of this comparison; give one of: "
                             f"{', '.join(plan.arms)}")
    except InputError as err:
        fail(err)
    from actlocally.runtime.folder_lock import folder_lock

    out_dir = out / plan.name  # plan.name is a checked single folder name, so out_dir is inside `out`
    try:
        with folder_lock(out_dir):
            _run_plan(plan, out_dir, workers, scheduler, against)
    except InputError as err:
        fail(err)


def _run_plan(plan, out_dir: Path, workers: int, scheduler: str | None, against: str | None = None) -> None:
    from actlocally.experiments.compare.comparison import run_comparison
    from actlocally.experiments.compare.report import group_table, rich_table, write_comparison_outputs
    from actlocally.runtime.executor import Executor

    where = f"scheduler {scheduler}" if scheduler else ("in-process" if workers == 0 else f"{workers} local workers")
    params = ("parameters from the posterior of " + ", ".join(sorted(plan.posteriors))) if plan.posteriors \
        else "default parameters"
    err_console.print(f"[bold]{plan.name}[/]: {len(plan.scenarios)} scenarios x {plan.replicates} replicates, "
                      f"seed {plan.seed}, {params}, {plain(where)}; checkpoints in {plain(out_dir / 'runs.zarr')}")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                  TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task("starting workers", total=len(plan.scenarios) * plan.replicates)
        with Executor(workers, scheduler) as ex:
            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, description="running")
            ds = run_comparison(plan, ex, out_dir, on_progress,
                                on_message=lambda text: progress.console.print(plain(text)))
            memory = ex.worker_peak_memory_mb()
    try:
        table, written = write_comparison_outputs(ds, out_dir, against)
    except InputError as err:
        fail(err)
    title = plan.title or plan.name
    console.print(rich_table(table, f"{title}: against {against}" if against else title))
    console.print(group_table(table))
    console.print(f"peak memory per worker: {', '.join(f'{v:,.0f} MB' for v in memory.values())}")
    console.print("written: " + ", ".join(plain(p) for p in written))
