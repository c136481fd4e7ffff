"""`actlocally posterior summary FILE`: a stored posterior as numbers, per parameter, in natural units."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail
from actlocally.model.errors import InputError
from rich import box
from rich.markup import escape
from rich.table import Table

posterior_app = typer.Typer(no_args_is_help=True, help="Read a stored calibration posterior.")


@posterior_app.command("summary")
def summary(
    file: Annotated[str, typer.Argument(help="a posterior .nc (from `actlocally calibrate`), or a calibrated "
                                              "area name")],
    out: Annotated[Path, typer.Option(help="writes <name>_summary.csv, <name>_summary.nc and <name>_particles.csv "
                                           "here")] = Path("outputs/posteriors"),
) -> None:
    """Per parameter: prior range, posterior mean, median, 90% interval, shift from the prior, bound warnings."""
    from actlocally.calibration.posterior import load_posterior
    from actlocally.calibration.summary import write_summary

    try:
        post = load_posterior(file)
    except InputError as err:
        fail(err)
    stem = Path(file).stem if file.endswith(".nc") else file
    table, paths = write_summary(post, out, stem)
    print_summary(table, f"{post.attrs.get('area', stem)}: posterior of {len(table)} parameters "
                  f"({post.sizes['particle']} particles, seed {post.attrs.get('seed', '?')})")
    console.print("written: " + ", ".join(str(p) for p in paths))


def print_summary(table, title: str) -> None:
    """The summary as a terminal table (units, sd ratios and proposals are in the CSV), then one warning per
    parameter piled against a prior bound."""
    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("parameter", "prior", "mean", "median", "90% interval", "shift"):
        out.add_column(col, justify="left" if col == "parameter" else "right", overflow="fold",
                       no_wrap=col == "parameter")  # names stay whole; on a narrow terminal numbers fold
    for r in table.itertuples():
        flag = " [bold yellow]![/]" if r.warning else ""
        out.add_row(escape(r.parameter) + flag, escape(f"[{r.prior_low:.3g}, {r.prior_high:.3g}]"), f"{r.mean:.3g}",
                    f"{r.median:.3g}", escape(f"[{r.q05:.3g}, {r.q95:.3g}]"), f"{r.shift_prior_sd:+.2f}")
    console.print(out)
    console.print("shift: how far the data moved the mean, in prior standard deviations. Units, sd ratios and "
                  "proposals: the summary CSV.", highlight=False)
    for r in table.itertuples():
        if r.warning:
            err_console.print(f"[bold yellow]warning[/] {escape(r.parameter)}: {escape(r.warning)}", highlight=False)
