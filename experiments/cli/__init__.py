"""The `actlocally` command line (Typer): one module per command group, registered here.

Each command imports the heavy modules it needs (xarray, Dask, pyabc, WeasyPrint) when it runs, so `actlocally
--help` and input errors answer at once; no import here runs against the dependency rule
(model <- calibration <- experiments). Charts are drawn off-screen: the CLI selects matplotlib's Agg backend once,
here, through `MPLBACKEND` (library modules never call `matplotlib.use`).

Help is click's plain formatter (`rich_markup_mode=None`): Typer 0.29's Rich help panel prints an option's type for
every option, flags included, so each command's help showed `--help <bool>`; the plain formatter leaves flags bare.
"""

from __future__ import annotations

import os

import typer
from actlocally.experiments.cli.bench import bench, bench_batch
from actlocally.experiments.cli.brief import brief
from actlocally.experiments.cli.calibrate import calibrate_app
from actlocally.experiments.cli.compare import compare
from actlocally.experiments.cli.evidence import evidence
from actlocally.experiments.cli.info import area_app, areas, params, validate
from actlocally.experiments.cli.portfolio import portfolio
from actlocally.experiments.cli.posterior import posterior_app
from actlocally.experiments.cli.run import run
from actlocally.experiments.cli.sensitivity import sensitivity
from actlocally.experiments.cli.serve import serve
from actlocally.experiments.cli.trial import trial

os.environ.setdefault("MPLBACKEND", "Agg")

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Act Locally simulator: school attendance and attainment under local service changes.")
app.command()(run)
app.command()(compare)
app.command()(areas)
app.add_typer(area_app, name="area")
app.command()(validate)
app.command()(params)
app.command()(bench)
app.command("bench-batch")(bench_batch)
app.add_typer(calibrate_app, name="calibrate")
app.add_typer(posterior_app, name="posterior")
app.command("brief")(brief)
app.command("sensitivity")(sensitivity)
app.command("trial")(trial)
app.command("evidence")(evidence)
app.command("serve")(serve)
app.command("portfolio")(portfolio)


def main() -> None:  # pragma: no cover
    """Entry point for `python -m actlocally.experiments.cli`."""
    app()
