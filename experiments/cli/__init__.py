"""The `actlocally` command line (Typer): one module per command group, registered here.

Each command imports the heavy modules it needs (xarray, Dask, pyabc, WeasyPrint) when it runs, so `actlocally
--help` and input errors answer at once; no import here runs against the dependency rule
(model <- calibration <- experiments).
"""

from __future__ import annotations

import typer
from actlocally.experiments.cli.bench import bench, bench_batch
from actlocally.experiments.cli.brief import brief
from actlocally.experiments.cli.calibrate import calibrate
from actlocally.experiments.cli.compare import compare
from actlocally.experiments.cli.evidence import evidence
from actlocally.experiments.cli.info import areas, params, validate
from actlocally.experiments.cli.portfolio import portfolio
from actlocally.experiments.cli.run import run
from actlocally.experiments.cli.sensitivity import sensitivity
from actlocally.experiments.cli.serve import serve
from actlocally.experiments.cli.trial import trial

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Act Locally simulator: school attendance and attainment under local service changes.")
app.command()(run)
app.command()(compare)
app.command()(areas)
app.command()(validate)
app.command()(params)
app.command()(bench)
app.command("bench-batch")(bench_batch)
app.command(context_settings={"allow_interspersed_args": True})(calibrate)
app.command("brief")(brief)
app.command("sensitivity")(sensitivity)
app.command("trial")(trial)
app.command("evidence")(evidence)
app.command("serve")(serve)
app.command("portfolio")(portfolio)


def main() -> None:  # pragma: no cover
    """Entry point for `python -m actlocally.experiments.cli`."""
    app()
