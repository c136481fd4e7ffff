"""`actlocally brief`: a funder brief (HTML and PDF) on one scenario of a finished comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, fail, plain
from actlocally.model.errors import InputError


def brief(
    comparison: Annotated[Path, typer.Argument(help="a comparison folder (outputs/<name>) or its comparison.nc")],
    scenario: Annotated[str | None, typer.Option(help="the scenario to brief on (default: the first non-baseline)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="writes OUT.html and OUT.pdf (default: "
                                             "<comparison folder>/brief_<scenario>)")] = None,
    png: Annotated[Path | None, typer.Option(help="also write page 1 of the PDF as a PNG here")] = None,
) -> None:
    """Write a 2-4 page brief for funders from a comparison: self-contained HTML and a PDF."""
    from actlocally.experiments.brief.render import write_brief

    try:
        files = write_brief(comparison, scenario, out, png)
    except InputError as err:
        fail(err)
    console.print("written: " + ", ".join(plain(p) for p in (files.html, files.pdf, files.png) if p))
