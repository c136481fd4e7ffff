"""`actlocally sensitivity`: which uncertain parameters drive a scenario's outcome, or its effect against a baseline.

Registered in `experiments/cli/__init__.py`; the work happens in `experiments/sensitivity/` (`sweep.py`: sampling,
runs, analysis; `report.py`: files and tables).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail, plain
from actlocally.model.errors import InputError

if TYPE_CHECKING:
    from actlocally.experiments.sensitivity.sweep import SensitivityPlan


def plan_sensitivity(scenario: Path | str, *, method: str, samples: int, output: str, vs: Path | str | None = None,
                     parameters: str = "free", ranges: str = "prior", outcome: str = "persistent_absence_pp",
                     group: str = "all", seed: int | None = None, replicate: int = 0,
                     pupils: int | None = None) -> SensitivityPlan:
    """Check every option and build the sweep; any bad input raises one InputError before a run starts."""
    from actlocally.experiments.compare.comparison import plan_comparison
    from actlocally.experiments.sensitivity.inputs import parameter_ranges, select_outputs, select_parameters
    from actlocally.experiments.sensitivity.sweep import SensitivityPlan, check_design
    from actlocally.model.interventions.parameters import parameter_rows
    from actlocally.model.scenario import load_scenario
    from actlocally.model.strict import SAFE_NAME

    if not re.fullmatch(SAFE_NAME, output) or len(output) > 80:
        raise InputError(None, "--output", f"'{output}' is not allowed: an output name is letters, digits, '_' and "
                         "'-' (it names the folder outputs/<name>/), at most 80 characters")
    sc = load_scenario(scenario)
    base = load_scenario(vs) if vs is not None else None
    if base is not None:  # same checks as a comparison: same area, years and population
        plan_comparison([base], [sc], name=output, replicates=1, seed=seed, pupils=pupils)
    fixed = set(sc.parameters) | (set(base.parameters) if base else set())
    rows = parameter_rows(sc.intervention_params)
    names = select_parameters(parameters, fixed, rows)
    check_design(method, samples, len(names))
    bounds, where = parameter_ranges(names, ranges, rows)
    outputs = select_outputs(outcome, group)
    return SensitivityPlan(name=output, scenario=sc, baseline=base, names=names, bounds=bounds, ranges=where,
                           outputs=outputs, method=method, samples=samples,
                           seed=(base or sc).seed if seed is None else seed, replicate=replicate, pupils=pupils)


def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="scenario .toml file (or the name of a built-in scenario)")],
    method: Annotated[str, typer.Option(help="sobol (Saltelli sampling; S1, ST, S2) or morris (mu*, sigma)")]
    = "sobol",
    samples: Annotated[int, typer.Option(min=1, help="N: base samples (Sobol', a power of 2) or Morris trajectories")]
    = 256,
    output: Annotated[str | None, typer.Option(help="output name: results go to OUT/<name>/ (default "
                                               "<scenario>_<method>)")] = None,
    vs: Annotated[Path | None, typer.Option(help="baseline scenario: analyse the paired effect against it")] = None,
    parameters: Annotated[str, typer.Option(help="'free' (calibration-free set), 'all', or names a,b,c")] = "free",
    ranges: Annotated[str, typer.Option(help="'prior' or 'posterior:PATH.nc' (5%-95% weighted quantiles)")]
    = "prior",
    outcome: Annotated[str, typer.Option(help="effects metric(s), comma-separated, e.g. persistent_absence_pp")]
    = "persistent_absence_pp",
    group: Annotated[str, typer.Option(help="all, disadvantaged, other, girls, boys (comma-separated)")] = "all",
    seed: Annotated[int | None, typer.Option(min=0, help="run seed (default: the baseline's, or the scenario's)")]
    = None,
    replicate: Annotated[int, typer.Option(min=0, help="the replicate (random streams) every sample uses")] = 0,
    pupils: Annotated[int | None, typer.Option(min=100, help="rescale the area to this many pupils")] = None,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster worker processes; 0 runs in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler, tcp://host:port")]
    = None,
    out: Annotated[Path, typer.Option(help="outputs root")] = Path("outputs"),
) -> None:
    """Global sensitivity (Sobol' or Morris) of an outcome, or of a scenario's effect, to the model's parameters."""
    try:
        plan = plan_sensitivity(scenario, method=method, samples=samples, vs=vs, parameters=parameters,
                                ranges=ranges, outcome=outcome, group=group, seed=seed, replicate=replicate,
                                pupils=pupils, output=output or f"{Path(scenario).stem}_{method}"[:80])
    except InputError as err:
        fail(err)
    from actlocally.runtime.folder_lock import folder_lock

    out_dir = out / plan.name  # plan.name is a checked single folder name, so out_dir is inside `out`
    try:
        with folder_lock(out_dir):
            _sweep(plan, out_dir, workers, scheduler)
    except InputError as err:
        fail(err)


def _sweep(plan: SensitivityPlan, out_dir: Path, workers: int, scheduler: str | None) -> None:
    """Run the checked plan into `out_dir` (locked by the caller) and print the indices."""
    from actlocally.experiments.sensitivity.report import rich_table, write_sensitivity_outputs
    from actlocally.experiments.sensitivity.sweep import run_sensitivity
    from actlocally.runtime.executor import Executor
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    where = f"scheduler {scheduler}" if scheduler else ("in-process" if workers == 0 else f"{workers} local workers")
    against = f" against {plan.baseline.name}" if plan.baseline else ""
    err_console.print(f"[bold]{plan.name}[/]: {plan.method}, N={plan.samples}, {len(plan.names)} parameters -> "
                      f"{plan.n_samples} samples, {plan.n_runs} model runs of {plan.scenario.name}{against}; "
                      f"seed {plan.seed}, {plain(where)}; checkpoints in {plain(out_dir / 'runs.zarr')}")
    started = time.perf_counter()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("samples"),
                  TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task("starting workers", total=plan.n_samples)
        try:
            with Executor(workers, scheduler) as ex:
                def on_progress(done: int, total: int) -> None:
                    progress.update(task, completed=done, description="running")
                ds = run_sensitivity(plan, ex, out_dir, on_progress,
                                     on_message=lambda text: progress.console.print(plain(text)))
        except InputError:
            progress.stop()
            raise
    ds.attrs["wall_seconds"] = round(time.perf_counter() - started, 1)
    table, written = write_sensitivity_outputs(ds, out_dir)
    title = f"{plan.method} {'effect' if plan.baseline else 'level'}: {plan.scenario.name}"
    for o in ds["output"].values:
        console.print(rich_table(table, str(o), plan.method, title))
    console.print(f"sweep took {ds.attrs['wall_seconds']:.1f} s (this invocation; resumed samples not re-run)")
    console.print("written: " + ", ".join(plain(p) for p in written))
