"""`actlocally evidence [AREA]`: the validation page, every published figure beside the model's value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail
from actlocally.model.errors import InputError


def evidence(
    area: Annotated[str, typer.Argument(help="area whose targets (and posterior, if calibrated) to check")]
    = "bradford",
    out: Annotated[Path, typer.Option(help="outputs root: writes OUT/evidence/<area>/")] = Path("outputs"),
    draws: Annotated[int, typer.Option(min=5, max=1000, help="posterior draws for the area figures")] = 40,
    pupils: Annotated[int, typer.Option(min=500, help="pupils per run for the area figures")] = 2000,
    trials: Annotated[str, typer.Option(help="'all', 'none' or trial names separated by commas")] = "all",
    trial_replicates: Annotated[int, typer.Option(min=2, max=500, help="replicate trials per study")] = 10,
    trial_pupils: Annotated[int | None, typer.Option(min=500, help="rescale trials' areas to this many pupils "
                                                     "(default: full size)")] = None,
    posterior: Annotated[str, typer.Option(help="'auto' (the area's stored posterior), 'none', or a .nc")] = "auto",
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster workers; 0 runs in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
) -> None:
    """Write evidence.html and evidence.csv: area figures and published trials against the model, pass or fail."""
    from actlocally.calibration.posterior import has_posterior, load_posterior
    from actlocally.calibration.targets import load_targets
    from actlocally.calibration.trial_spec import load_trial, trial_names
    from actlocally.experiments.evidence.build import evidence as build
    from actlocally.experiments.evidence.page import headline, write_evidence
    from actlocally.runtime.executor import Executor

    try:
        targets = load_targets(area)
        if posterior == "auto":
            post = load_posterior(area) if has_posterior(area) else None
        else:
            post = None if posterior == "none" else load_posterior(posterior)
        names = {"all": trial_names(), "none": []}.get(trials, [t.strip() for t in trials.split(",") if t.strip()])
        specs = [load_trial(n) for n in names]
    except InputError as err:
        fail(err)
    with Executor(workers, scheduler) as ex, err_console.status("running the checks"):
        table, raw = build(post, targets, specs, ex, draws=draws, trial_replicates=trial_replicates,
                           trial_pupils=trial_pupils, area_pupils=pupils)
    written = write_evidence(table, raw, out / "evidence" / targets.area, targets.area)
    console.print(headline(table), markup=False, highlight=False)
    console.print("written: " + ", ".join(str(p) for p in written), markup=False, highlight=False)
