"""The `actlocally` command line: run scenarios, list areas and parameters, validate files, benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.calibrate_cli import calibrate
from actlocally.model.area import AREAS_DIR, available_areas, load_area, read_toml
from actlocally.model.errors import InputError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Act Locally simulator: school attendance and attainment under local service changes.")
console = Console()
err_console = Console(stderr=True)


def _fail(err: InputError) -> None:
    err_console.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
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
    from actlocally.experiments.runner import run_scenario
    from actlocally.experiments.storage import write_netcdf_atomic
    from actlocally.model.scenario import load_scenario

    try:
        sc = load_scenario(scenario)
        if posterior == "auto":
            post = load_posterior(sc.area) if has_posterior(sc.area) else None
        else:
            post = None if posterior == "none" else load_posterior(posterior)
    except InputError as err:
        _fail(err)
    out = out or Path("outputs") / f"{sc.name}.nc"
    batch = replicates > 1 and (scheduler is not None or workers != 0)
    total, unit = (replicates, "replicates") if batch else (replicates * sc.years * 190, "school days")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn(unit), TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task(f"{sc.name}", total=total)
        try:
            if batch:
                from actlocally.experiments.executor import Executor, default_workers

                with Executor(default_workers() if workers is None else workers, scheduler) as executor:
                    ds, micro = run_scenario(sc, seed=seed, replicates=replicates, pupils=pupils, posterior=post,
                                             executor=executor, on_replicate=lambda: progress.advance(task))
            else:
                ds, micro = run_scenario(sc, seed=seed, replicates=replicates, pupils=pupils,
                                         on_day=lambda: progress.advance(task), posterior=post)
        except InputError as err:
            progress.stop()
            _fail(err)
    write_netcdf_atomic(ds, out)
    if children is not None:
        write_netcdf_atomic(micro, children)
    _summary(ds)
    console.print(f"results: {out}" + (f"\nchild microdata: {children}" if children else ""))


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


@app.command()
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
) -> None:
    """Run scenarios against their baselines under common random numbers; write NetCDF, CSV, charts and a table."""
    from actlocally.experiments.comparison import (
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
    except InputError as err:
        _fail(err)
    out_dir = out / plan.name
    out_dir.mkdir(parents=True, exist_ok=True)
    _run_plan(plan, out_dir, workers, scheduler)


def _run_plan(plan, out_dir: Path, workers: int, scheduler: str | None) -> None:
    from actlocally.experiments.comparison import run_comparison
    from actlocally.experiments.executor import Executor
    from actlocally.experiments.report import group_table, rich_table, write_comparison_outputs

    where = f"scheduler {scheduler}" if scheduler else ("in-process" if workers == 0 else f"{workers} local workers")
    params = ("parameters from the posterior of " + ", ".join(sorted(plan.posteriors))) if plan.posteriors \
        else "default parameters"
    err_console.print(f"[bold]{plan.name}[/]: {len(plan.scenarios)} scenarios x {plan.replicates} replicates, "
                      f"seed {plan.seed}, {params}, {where}; checkpoints in {out_dir / 'runs.zarr'}")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                  TimeRemainingColumn(), console=err_console) as progress:
        task = progress.add_task("starting workers", total=len(plan.scenarios) * plan.replicates)
        with Executor(workers, scheduler) as ex:
            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, description="running")
            ds = run_comparison(plan, ex, out_dir, on_progress)
            memory = ex.worker_peak_memory_mb()
    table, written = write_comparison_outputs(ds, out_dir)
    console.print(rich_table(table, plan.title or plan.name))
    console.print(group_table(table))
    console.print(f"peak memory per worker: {', '.join(f'{v:,.0f} MB' for v in memory.values())}")
    console.print("written: " + ", ".join(str(p) for p in written))


@app.command()
def areas() -> None:
    """List the built-in area profiles."""
    table = Table(title=f"area profiles ({AREAS_DIR})")
    for col in ("name", "kind", "pupils", "schools", "FSM", "food insecure", "crime index"):
        table.add_column(col)
    for name in available_areas():
        a = load_area(name)
        crime = f"{a.neighbourhood.crime_index.value:.2f}" if a.neighbourhood else "-"
        table.add_row(a.name, a.kind, f"{a.pupils.primary.value + a.pupils.secondary.value:,.0f}",
                      f"{a.schools.primary.value:.0f} + {a.schools.secondary.value:.0f}",
                      f"{a.shares.fsm.value:.0%}", f"{a.shares.food_insecure_households.value:.0%}", crime)
    console.print(table)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="a scenario or area .toml file")]) -> None:
    """Check a scenario or area file; exit code 2 with one clear message if it is wrong."""
    from actlocally.model.scenario import load_scenario

    try:
        data = read_toml(file)
        if "pupils" in data and "shares" in data:
            a = load_area(file)
            console.print(f"[green]ok[/]: area profile '{a.name}' ({a.display_name})")
        else:
            sc = load_scenario(file)
            ivs = ", ".join(p.label or p.type for p in sc.intervention_params) or "none"
            console.print(f"[green]ok[/]: scenario '{sc.name}' on area '{sc.area}', {sc.years} year(s), "
                          f"interventions: {ivs}")
    except InputError as err:
        _fail(err)


@app.command()
def params(mechanism: Annotated[str | None, typer.Argument(help="only this mechanism, e.g. hunger")] = None) -> None:
    """Show the parameter table: value, prior range, unit and source."""
    from actlocally.model.params import DEFAULTS

    table = Table(title="model parameters")
    for col in ("name", "value", "prior", "unit", "source", "free"):
        table.add_column(col, overflow="fold")
    for key, p in DEFAULTS.rows.items():
        if mechanism and not key.startswith(mechanism + "."):
            continue
        table.add_row(key, f"{p.value:g}", f"{p.prior[0]:g}-{p.prior[1]:g}", p.unit, p.source,
                      "yes" if p.calibrate else "")
    console.print(table)


@app.command()
def bench(
    pupils: Annotated[int, typer.Option(min=1000, help="pupils in the benchmark population")] = 100_000,
    reference_sample: Annotated[int, typer.Option(min=100, help="children stepped by the per-agent reference")] = 2000,
    repeats: Annotated[int, typer.Option(min=1, help="time each part this many times; report the best")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object instead of a table")] = False,
) -> None:
    """Time a district-sized year against a plain per-agent Mesa reference of the same daily step."""
    from actlocally.experiments.bench import run_benchmark

    figures = run_benchmark(pupils=pupils, reference_sample=reference_sample, repeats=repeats)
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    table = Table(title=f"actlocally bench ({figures['threads']} threads; *_one_thread: one)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {"run_s_one_thread": "<= 2 s (aim 0.5)", "speedup_vs_reference": ">= 100x (aim 300x)",
               "bytes_per_child": "<= 200", "agents_s": "(first access to Mesa agents)"}
    for k, v in figures.items():
        table.add_row(k, f"{v:,.3f}" if isinstance(v, float) else str(v), targets.get(k, ""))
    console.print(table)


@app.command("bench-batch")
def bench_batch(
    runs: Annotated[int, typer.Option(min=1, help="runs in the timed batch")] = 200,
    pupils: Annotated[int, typer.Option(min=100, help="pupils per run (a locality year)")] = 5000,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 runs in-process")] = 2,
) -> None:
    """Time a batch of locality-years through the Dask executor and the run store (runs per minute, memory)."""
    from actlocally.experiments.batch_bench import run_batch_benchmark

    figures = run_batch_benchmark(runs=runs, pupils=pupils, workers=workers)
    table = Table(title="actlocally bench-batch")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {"projected_4000_runs_min": "< 5 min on 2 cores (5k pupils)"}
    for k, v in figures.items():
        table.add_row(k, f"{v:,.2f}" if isinstance(v, float) else str(v), targets.get(k, ""))
    console.print(table)


from actlocally.experiments.brief_cli import brief  # noqa: E402

app.command(context_settings={"allow_interspersed_args": True})(calibrate)
app.command("brief")(brief)


def main() -> None:  # pragma: no cover
    app()


from .sensitivity_cli import sensitivity  # noqa: E402

app.command("sensitivity")(sensitivity)
