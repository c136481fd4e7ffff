"""`actlocally trial SPEC_OR_NAME|all`: run published studies' designs on a synthetic population."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail
from actlocally.model.errors import InputError


def trial(
    spec: Annotated[str, typer.Argument(help="a trial spec .toml, a shipped trial's name, or 'all'")],
    area: Annotated[str | None, typer.Option(help="area to run on (default: the spec's)")] = None,
    replicates: Annotated[int, typer.Option(min=2, max=500, help="replicate trials")] = 20,
    seed: Annotated[int, typer.Option(min=1, help="seed of the trials")] = 1,
    pupils: Annotated[int | None, typer.Option(min=500, help="rescale the area to this many pupils")] = None,
    posterior: Annotated[str, typer.Option(help="'auto' (the area's stored posterior), 'none', or a posterior "
                                           ".nc")] = "none",
    out: Annotated[Path, typer.Option(help="outputs root: writes OUT/trials/<name>/")] = Path("outputs"),
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 runs in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
    split: Annotated[bool, typer.Option(help="for a pre-post design: also split the estimate into the same pupils' "
                                        "change without the treatment and its own part (split.csv)")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="NAME=VALUE: a model or intervention parameter set in every replicate, over the posterior's "
        "draw (e.g. attendance.disengagement_days=60, breakfast_club.enrol_ratio_older=0.5); repeatable")] = None,
) -> None:
    """Replicate a published trial (allocation, arms, outcome, analysis) and set the model against the paper."""
    import pandas as pd
    from actlocally.calibration.posterior import has_posterior, load_posterior
    from actlocally.calibration.trial import run_trial, summary
    from actlocally.calibration.trial_pre_post import run_split, splittable
    from actlocally.calibration.trial_spec import load_trial, trial_names
    from actlocally.experiments.trial.report import trial_table, write_trial_outputs
    from actlocally.runtime.executor import Executor
    from actlocally.runtime.storage import write_csv_atomic

    try:
        settings = parse_settings(set_ or [])
        specs = [load_trial(n) for n in trial_names()] if spec == "all" else [load_trial(spec)]
        posteriors = {}
        for s in specs:
            where = area or s.area
            if posterior == "auto":
                posteriors[s.name] = load_posterior(where) if has_posterior(where) else None
            else:
                posteriors[s.name] = None if posterior == "none" else load_posterior(posterior)
    except InputError as err:
        fail(err)
    tables = []
    with Executor(workers, scheduler) as ex:
        for s in specs:
            start = time.perf_counter()
            with err_console.status(f"{s.name}: {replicates} replicate trials"):
                ds = run_trial(s, ex, area=area, replicates=replicates, seed=seed, pupils=pupils,
                               posterior=posteriors[s.name], settings=settings)
            table = summary(ds)
            written = write_trial_outputs(ds, table, out / "trials" / s.name)
            if split and splittable(s):
                with err_console.status(f"{s.name}: splitting the pre-post estimate"):
                    parts = run_split(s, ex, area=area, replicates=replicates, seed=seed, pupils=pupils,
                                      posterior=posteriors[s.name], settings=settings)
                written.append(write_csv_atomic(parts, out / "trials" / s.name / "split.csv"))
                console.print(parts.round(2).to_string(index=False), highlight=False, markup=False)
            err_console.print(f"{s.name}: {time.perf_counter() - start:.0f} s; written: "
                              + ", ".join(str(p) for p in written), highlight=False, markup=False)
            tables.append(table)
    both = pd.concat(tables, ignore_index=True)
    if len(specs) > 1:
        write_csv_atomic(both, out / "trials" / "all.csv")
    console.print(trial_table(both, "virtual trials: model against published"))


def parse_settings(items: list[str]) -> dict[str, float]:
    """`--set NAME=VALUE` options as {name: value}: each a model parameter (model/parameters.toml) or an
    intervention's (`breakfast_club.enrol_ratio_older`) with a finite value inside its prior (or 0, which switches a
    model term off), each named once; else an InputError naming it. A field the trial's spec sets on an arm keeps the
    spec's value (`trial_run.design_values`)."""
    from actlocally.model.interventions.parameters import known_rows, registered_rows
    from actlocally.model.scenario import check_in_prior

    rows, interventions = known_rows(), registered_rows()

    out: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        field = f"--set {name or item}"
        if not sep or not name:
            raise InputError("command line", field, "expected NAME=VALUE, e.g. attendance.disengagement_days=60")
        if name not in rows:
            raise InputError("command line", field, "not a model or intervention parameter (see `actlocally "
                                          "params` or model/parameters.toml)")
        if name in out:
            raise InputError("command line", field, "set twice")
        try:
            value = float(text)
        except ValueError:
            raise InputError("command line", field, f"{text!r} is not a number") from None
        if name in interventions:
            lo, hi = interventions[name].prior
            if not (math.isfinite(value) and lo <= value <= hi):
                raise InputError("command line", field, f"{value!r} is outside the prior range [{lo:g}, {hi:g}] of "
                                 f"{name} ({interventions[name].unit})")
        else:
            check_in_prior(name, value, "command line", field)
        out[name] = value
    return out
