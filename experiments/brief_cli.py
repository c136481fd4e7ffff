"""`actlocally brief`: a funder brief (HTML and PDF) on one scenario of a finished comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.model.errors import InputError
from rich.console import Console


def brief(
    comparison: Annotated[Path, typer.Argument(help="a comparison folder (outputs/<name>) or its comparison.nc")],
    scenario: Annotated[str | None, typer.Option(help="the scenario to brief on (default: the first non-baseline)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="writes OUT.html and OUT.pdf (default: "
                                             "<comparison folder>/brief_<scenario>)")] = None,
    png: Annotated[Path | None, typer.Option(help="also write page 1 of the PDF as a PNG here")] = None,
) -> None:
    """Write a 2-4 page brief for funders from a comparison: self-contained HTML and a PDF."""
    from actlocally.experiments.brief import write_brief

    try:
        files = write_brief(comparison, scenario, out, png)
    except InputError as err:
        Console(stderr=True).print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    Console().print("written: " + ", ".join(str(p) for p in (files.html, files.pdf, files.png) if p))
