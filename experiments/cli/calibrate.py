"""`actlocally calibrate AREA` (ABC-SMC fit) and `actlocally calibrate report AREA` (diagnostics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail, plain
from actlocally.model.errors import InputError
from rich.table import Table


def calibrate(
    args: Annotated[list[str], typer.Argument(help="AREA to fit, or: report AREA")],
    populations: Annotated[int, typer.Option(min=1, help="ABC-SMC generations")] = 6,
    particles: Annotated[int, typer.Option(min=5, help="particles per generation")] = 200,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 = in-process (reproducible)")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
    seed: Annotated[int, typer.Option(min=1, help="seed of the ABC run")] = 1,
    pupils: Annotated[int, typer.Option(min=500, help="pupils simulated per particle")] = 2000,
    draws: Annotated[int, typer.Option(min=5, help="report: posterior draws in the predictive check")] = 50,
    out: Annotated[Path, typer.Option(help="report: outputs root (writes OUT/calibration/AREA/)")] = Path("outputs"),
    max_moved: Annotated[int, typer.Option(min=1, help="most parameters the ABC kernel moves (a Morris screen of "
                                                       "the targets picks them); the rest come from the prior")] = 6,
) -> None:
    """Fit an area's free parameters to its targets (ABC-SMC), or write the diagnostics of a stored fit."""
    from actlocally.calibration.posterior import load_posterior
    from actlocally.calibration.targets import load_targets
    from actlocally.runtime.executor import Executor

    report = args[0] == "report"
    if (report and len(args) != 2) or (not report and len(args) != 1):
        err_console.print("[bold red]error:[/] usage: actlocally calibrate AREA | actlocally calibrate report AREA")
        raise typer.Exit(code=2)
    area = args[-1]
    try:
        targets = load_targets(area)
        posterior = load_posterior(area) if report else None
    except InputError as err:
        fail(err)
    report_dir = out / "calibration" / (Path(area).stem if Path(area).suffix else area)
    if report and report_dir.resolve().parent != (out / "calibration").resolve():
        fail(InputError(None, "AREA", f"'{area}' would write outside {out / 'calibration'}; give an area name "
                        "or a targets file"))
    with Executor(workers, scheduler) as ex:
        if report:
            from actlocally.calibration.report import write_report

            with console.status(f"predictive check: {draws} runs from the posterior"):
                path, table = write_report(posterior, targets, report_dir, ex, draws=draws)
            _check_table(table, area)
            console.print(f"report: {plain(path)}")
            return
        _fit(area, targets, ex, populations, particles, seed, pupils, max_moved)


def _fit(area, targets, ex, populations: int, particles: int, seed: int, pupils: int, max_moved: int) -> None:
    from actlocally.calibration.abc import calibrate as run_abc
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    fitted = [k for k, t in targets.targets.items() if t.fit]
    err_console.print(f"[bold]{plain(area)}[/]: ABC-SMC, {populations} generations x {particles} particles, "
                      f"{pupils} pupils a run, fitting {len(fitted)} targets; a Morris screen first picks the "
                      f"(at most {max_moved}) parameters the kernel moves")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("generations"), TimeElapsedColumn(), console=err_console) as progress:
        task = progress.add_task("generation 0", total=populations)

        def on_generation(g: dict) -> None:
            progress.console.print(f"  generation {g['t']}: epsilon {g['epsilon']:.3f}, accepted "
                                   f"{g['particles']}/{g['samples']} ({g['acceptance_rate']:.0%})")
            progress.update(task, completed=g["t"] + 1, description=f"generation {g['t'] + 1}")

        result = run_abc(area, populations=populations, particles=particles, seed=seed, pupils=pupils,
                         executor=ex, targets=targets, max_moved=max_moved, on_generation=on_generation)
    post = result.posterior
    table = Table(title=f"{plain(area)}: posterior of the free parameters (weighted mean and 90% interval)")
    moved = str(post.attrs["kernel_parameters"]).split()
    for col in ("parameter", "prior", "proposal", "posterior mean", "5%", "95%"):
        table.add_column(col, justify="right" if col != "parameter" else "left", no_wrap=col == "parameter")
    w = post["weight"].values
    import numpy as np

    for name in str(post.attrs["parameters"]).split():
        x = post[name].values
        order = np.argsort(x)
        cdf = np.cumsum(w[order])
        lo, hi = x[order][np.searchsorted(cdf, 0.05)], x[order][min(np.searchsorted(cdf, 0.95), x.size - 1)]
        table.add_row(name, f"{post[name].attrs['prior_low']:g} to {post[name].attrs['prior_high']:g}",
                      "kernel" if name in moved else "prior", f"{np.sum(w * x):.4g}", f"{lo:.4g}", f"{hi:.4g}")
    console.print(table)
    ess = ", ".join(f"{v:.0f}" for v in post["effective_sample_size"].values)
    console.print(f"effective sample size by generation: {ess} (of {particles})")
    console.print(f"posterior: {result.path}\npyabc history: {result.db_path}\n"
                  f"{post.attrs['total_simulations']} simulations in {result.seconds:.0f} s")


def _check_table(table, area: str) -> None:
    out = Table(title=f"{plain(area)}: posterior predictive check (is the observed value inside the simulated 90%?)")
    for col in ("target", "observed", "simulated median", "simulated 90%", "inside"):
        out.add_column(col)
    for r in table.itertuples():
        out.add_row(plain(r.target) + ("" if r.fitted else " (not fitted)"), f"{r.observed:.3f}",
                    f"{r.simulated_median:.3f}", f"{r.simulated_low_5pct:.3f} to {r.simulated_high_95pct:.3f}",
                    "[green]yes[/]" if r.inside_90pct else "[red]no[/]")
    console.print(out)
