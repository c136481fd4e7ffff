"""`actlocally calibrate PROFILE_OR_AREA` (ABC-SMC fit) and `actlocally calibrate report POSTERIOR` (diagnostics).

A Typer sub-app: `calibrate report ...` runs the report, and anything else (`calibrate AREA ...`) runs `fit`, so the
fit needs no subcommand name. Files can be anywhere; nothing depends on a naming rule.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import click
import typer
from actlocally.experiments.cli.common import console, err_console, fail, plain
from actlocally.model.errors import InputError
from rich.table import Table
from typer.core import TyperGroup


class _FitByDefault(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is the area to fit: `calibrate X` = `fit X`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["fit", *args]
        return super().parse_args(ctx, args)


calibrate_app = typer.Typer(cls=_FitByDefault, no_args_is_help=True,
                            help="Fit an area's free parameters to its targets (ABC-SMC): `calibrate PROFILE_OR_AREA "
                                 "...`; diagnostics of a stored fit: `calibrate report POSTERIOR`.")


@calibrate_app.command("fit")
def fit(
    area: Annotated[str, typer.Argument(help="an area profile .toml file, or a built-in area name")],
    targets: Annotated[Path | None, typer.Option(help="calibration targets .toml (default: the built-in area's)")]
    = None,
    baseline: Annotated[str | None, typer.Option(help="baseline scenario .toml (default: the built-in "
                                                 "baseline_<area> if any, else the profile with no intervention)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="folder for <area>.nc (posterior) and <area>.db (pyabc's history); "
                                             "default: calibration/posteriors for a built-in area, the profile's "
                                             "folder for a file")] = None,
    populations: Annotated[int, typer.Option(min=1, help="ABC-SMC generations")] = 6,
    particles: Annotated[int, typer.Option(min=5, help="particles per generation")] = 200,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 = in-process (reproducible)")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
    seed: Annotated[int, typer.Option(min=1, help="seed of the ABC run")] = 1,
    pupils: Annotated[int, typer.Option(min=100, help="pupils simulated per particle")] = 2000,
    max_moved: Annotated[int, typer.Option(min=1, help="most parameters the ABC kernel moves (a Morris screen of "
                                                       "the targets picks them); the rest come from the prior")] = 6,
    screen_trajectories: Annotated[int, typer.Option(min=2, help="Morris trajectories of that screen")] = 8,
    draws: Annotated[int, typer.Option(min=0, help="posterior predictive runs stored with the posterior")] = 40,
    trial_particles: Annotated[int, typer.Option(min=5, help="trial stage (targets with [trials]): particles per "
                                                            "generation")] = 100,
    trial_populations: Annotated[int, typer.Option(min=1, help="trial stage: ABC-SMC generations")] = 4,
    trial_pupils: Annotated[int, typer.Option(min=500, help="trial stage: pupils a trial replicate runs on")] = 6000,
) -> None:
    """Fit the free parameters to an area's targets by ABC-SMC; store the posterior and pyabc's history.

    If the targets file has published trials (`[trials.<spec>.<outcome>]`), a second stage fits the intervention
    routes they anchor to them, given the area posterior (calibration/trial_fit.py); otherwise the routes are carried
    from Bradford's stored posterior."""
    from actlocally.calibration.runs import baseline_scenario
    from actlocally.calibration.targets import load_targets
    from actlocally.model.area import load_area, read_toml
    from actlocally.runtime.executor import Executor

    is_file = area.endswith(".toml")
    try:
        if is_file and targets is None and "targets" in read_toml(Path(area)):  # a targets file names its area
            targets, area, is_file = Path(area), str(load_targets(area).area), False
        profile = load_area(area)
        spec = load_targets(targets if targets is not None else profile.name)
        if spec.area != profile.name:
            raise InputError(targets, "area", f"these targets are for area '{spec.area}', the profile is "
                             f"'{profile.name}'")
        scenario = baseline_scenario(area if is_file else profile.name, baseline)
    except InputError as err:
        fail(err)
    if out is None:
        from actlocally.calibration.posterior import POSTERIORS_DIR

        out = Path(area).resolve().parent if is_file else POSTERIORS_DIR
    with Executor(workers, scheduler) as ex:
        _fit(area, profile.name, spec, scenario, ex, out, populations, particles, seed, pupils, max_moved,
             screen_trajectories, draws, {"particles": trial_particles, "populations": trial_populations,
                                          "trial_pupils": trial_pupils})


def _fit(area, name, targets, scenario, ex, out: Path, populations: int, particles: int, seed: int, pupils: int,
         max_moved: int, trajectories: int, draws: int, trial_stage: dict) -> None:
    from actlocally.calibration.abc import calibrate as run_abc
    from actlocally.calibration.summary import summarise
    from actlocally.experiments.cli.posterior import print_summary
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    fitted = [k for k, t in targets.targets.items() if t.fit]
    err_console.print(f"[bold]{plain(name)}[/]: ABC-SMC, {populations} generations x {particles} particles, "
                      f"{pupils} pupils a run, fitting {len(fitted)} targets on baseline "
                      f"'{plain(scenario.name)}'; a Morris screen first picks the (at most {max_moved}) parameters "
                      "the kernel moves")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("generations"), TimeElapsedColumn(), console=err_console) as progress:
        task = progress.add_task("generation 0", total=populations)

        def on_generation(g: dict) -> None:
            stage = "trial stage " if g.get("stage") == "trials" else ""
            progress.console.print(f"  {stage}generation {g['t']}: epsilon {g['epsilon']:.3f}, accepted "
                                   f"{g['particles']}/{g['samples']} ({g['acceptance_rate']:.0%}), effective "
                                   f"sample size {g['effective_sample_size']:.0f}")
            if not stage:
                progress.update(task, completed=g["t"] + 1, description=f"generation {g['t'] + 1}")

        result = run_abc(area, populations=populations, particles=particles, seed=seed, pupils=pupils,
                         executor=ex, targets=targets, baseline=scenario, max_moved=max_moved,
                         screen_trajectories=trajectories, predictive_draws=draws, out_dir=out,
                         on_generation=on_generation, trial_stage=trial_stage)
    post = result.posterior
    print_summary(summarise(post), f"{name}: posterior of the free parameters")
    console.print(f"posterior: {result.path}\npyabc history: {result.db_path} (probit scale, names with '__'; "
                  f"for pyabc's own tools)\n{post.attrs['total_simulations']} simulations in {result.seconds:.0f} s",
                  highlight=False)


@calibrate_app.command("carry")
def carry(
    posterior: Annotated[str, typer.Argument(help="an area's posterior .nc, or a calibrated built-in area name")],
    source: Annotated[str, typer.Option(help="the posterior whose trial-fitted routes are carried")] = "bradford",
    draws: Annotated[int, typer.Option(min=0, help="posterior predictive runs stored with the posterior")] = 40,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 = in-process")] = 0,
) -> None:
    """Draw an area posterior's intervention routes afresh from the source's (Bradford's) trial stage; rewrite it."""
    from actlocally.calibration.posterior import load_posterior, posterior_path
    from actlocally.calibration.trial_fit import recarry
    from actlocally.runtime.executor import Executor
    from actlocally.runtime.storage import write_netcdf_atomic

    try:
        post = load_posterior(posterior)
        load_posterior(source)
    except InputError as err:
        fail(err)
    path = Path(post.attrs.pop("source_path"))
    try:
        with Executor(workers) as ex:
            out = recarry(post, ex, draws=draws, source=posterior_path(source))
    except ValueError as err:
        fail(InputError(path, None, str(err)))
    write_netcdf_atomic(out, path)
    console.print(f"{path}: routes carried from {source} ({out.attrs.get('trial_parameters', 'none')})",
                  highlight=False, markup=False)


@calibrate_app.command("trials")
def trials(
    area: Annotated[str, typer.Argument(help="a calibrated built-in area (its posterior and pyabc history)")],
    targets: Annotated[Path | None, typer.Option(help="targets .toml (default: the built-in area's)")] = None,
    particles: Annotated[int, typer.Option(min=5, help="trial stage: particles per generation")] = 100,
    populations: Annotated[int, typer.Option(min=1, help="trial stage: ABC-SMC generations")] = 4,
    pupils: Annotated[int, typer.Option(min=500, help="pupils a trial replicate runs on")] = 6000,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 = in-process (reproducible)")] = 2,
    seed: Annotated[int | None, typer.Option(min=1, help="seed of the trial stage (default: the area stage's)")]
    = None,
    draws: Annotated[int, typer.Option(min=0, help="posterior predictive runs stored with the posterior")] = 40,
    resume: Annotated[bool, typer.Option(help="continue the kept trial-stage history (<area>.trials.db) for "
                                              "--populations more generations, if it ran with these settings")]
    = False,
    only: Annotated[list[str] | None, typer.Option(help="re-fit only the route group these trials anchor (e.g. "
                                                        "magic_breakfast), the rest of each particle kept as stored "
                                                        "(calibration/trial_group_refit.py); repeatable")] = None,
) -> None:
    """Re-fit only the trial stage of a stored posterior (its area stage read from pyabc's history), or with --only
    one group of its routes; rewrite it."""
    from actlocally.calibration.posterior import load_posterior
    from actlocally.calibration.targets import load_targets
    from actlocally.calibration.trial_group_refit import refit_route_group
    from actlocally.calibration.trial_refit import refit_trials
    from actlocally.runtime.executor import Executor
    from actlocally.runtime.storage import write_netcdf_atomic

    try:
        post = load_posterior(area)
        spec = load_targets(targets if targets is not None else str(post.attrs["area"]))
    except InputError as err:
        fail(err)
    path = Path(post.attrs.pop("source_path"))
    db = path.with_suffix(".db")
    if not db.is_file():
        fail(InputError(db, None, "no pyabc history of the area stage beside the posterior; run `actlocally "
                        "calibrate AREA`"))
    seed = seed if seed is not None else int(post.attrs.get("seed", 1))

    def on_generation(g: dict) -> None:
        err_console.print(f"  trial stage generation {g['t']}: epsilon {g['epsilon']:.3f}, accepted "
                          f"{g['particles']}/{g['samples']} ({g['acceptance_rate']:.0%}), effective sample size "
                          f"{g['effective_sample_size']:.0f}")

    what = f"routes of {', '.join(only)}" if only else "trial stage"
    err_console.print(f"[bold]{plain(str(post.attrs['area']))}[/]: {plain(what)}, {populations}"
                      f"{' more' if resume else ''} generations x {particles} particles, {pupils} pupils a trial")
    try:
        with Executor(workers) as ex:
            settings = dict(seed=seed, particles=particles, populations=populations, trial_pupils=pupils, draws=draws,
                            out_dir=path.parent, on_generation=on_generation, resume=resume)
            out = (refit_route_group(post, spec, only, ex, **settings) if only
                   else refit_trials(post, db, spec, ex, **settings))
    except ValueError as err:
        fail(InputError(path, None, str(err)))
    write_netcdf_atomic(out, path)
    run = json.loads(out.attrs["trial_group_refits_json"])[-1] if only else {
        "simulations": out.attrs["trial_simulations"], "runtime_s": out.attrs["trial_runtime_s"]}
    console.print(f"{path}: {what} re-fitted ({run['simulations']} simulations in {run['runtime_s']:.0f} s, "
                  f"effective sample size {out.attrs['effective_sample_size']})", highlight=False, markup=False)


@calibrate_app.command("report")
def report(
    posterior: Annotated[str, typer.Argument(help="a posterior .nc, or a calibrated built-in area name")],
    targets: Annotated[Path | None, typer.Option(help="targets .toml (default: those stored in the posterior)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="report folder (default: outputs/calibration/<area>/)")] = None,
    draws: Annotated[int, typer.Option(min=5, help="posterior draws in the predictive check")] = 50,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 = in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
) -> None:
    """Diagnostics of a stored fit: posterior summary and marginals, pairs, generations, predictive check (HTML)."""
    from actlocally.calibration.posterior import load_posterior
    from actlocally.calibration.report import write_report
    from actlocally.calibration.summary import summarise
    from actlocally.calibration.targets import TargetsFile, load_targets
    from actlocally.experiments.cli.posterior import print_summary
    from actlocally.runtime.executor import Executor

    try:
        post = load_posterior(posterior)
        spec = load_targets(targets) if targets is not None else TargetsFile.model_validate_json(
            post.attrs["targets_json"])
    except InputError as err:
        fail(err)
    area = str(post.attrs.get("area", Path(posterior).stem))
    if out is None:  # the default folder is named after the area, so it must be a plain name (no '/' or '..')
        out = Path("outputs") / "calibration" / (area if re.fullmatch(r"[a-z][a-z0-9_]*", area) else "posterior")
    print_summary(summarise(post), f"{area}: posterior of the free parameters")
    with Executor(workers, scheduler) as ex, console.status(f"predictive check: {draws} runs from the posterior"):
        path, table = write_report(post, spec, out, ex, draws=draws)
    _check_table(table, area)
    console.print(f"report: {path}", highlight=False)


def _check_table(table, area: str) -> None:
    out = Table(title=f"{plain(area)}: posterior predictive check (is the observed value inside the simulated 90%?)")
    for col in ("target", "observed", "simulated median", "simulated 90%", "inside"):
        out.add_column(col)
    for r in table.itertuples():
        out.add_row(plain(r.target) + ("" if r.fitted else " (not fitted)"), f"{r.observed:.3f}",
                    f"{r.simulated_median:.3f}", f"{r.simulated_low_5pct:.3f} to {r.simulated_high_95pct:.3f}",
                    "[green]yes[/]" if r.inside_90pct else "[red]no[/]")
    console.print(out)
