"""`actlocally areas`, `area new`, `validate` and `params`: what the project knows, and whether a file is right."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, fail
from actlocally.model.area import AREAS_DIR, available_areas, load_area
from actlocally.model.errors import InputError
from rich.markup import escape
from rich.table import Table


def areas() -> None:
    """List the built-in area profiles."""
    table = Table(title=f"area profiles ({AREAS_DIR})")
    for col in ("name", "kind", "pupils", "schools", "FSM", "food insecure", "crime index"):
        table.add_column(col, no_wrap=col in ("name", "kind", "pupils"))  # names are what a scenario types
    for name in available_areas():
        a = load_area(name)
        crime = f"{a.neighbourhood.crime_index.value:.2f}" if a.neighbourhood else "-"
        table.add_row(a.name, a.kind, f"{a.pupils.primary.value + a.pupils.secondary.value:,.0f}",
                      f"{a.schools.primary.value:.0f} + {a.schools.secondary.value:.0f}",
                      f"{a.shares.fsm.value:.0%}", f"{a.shares.food_insecure_households.value:.0%}", crime)
    console.print(table)


def validate(file: Annotated[Path, typer.Argument(help="an area profile, scenario, comparison or targets .toml")]
             ) -> None:
    """Check a file against its own kind's schema; exit code 2 with one clear message if it is wrong."""
    from actlocally.experiments.file_kinds import validate_file

    try:
        _, summary = validate_file(file)
    except InputError as err:
        fail(err)
    console.print(f"[green]ok[/]: {escape(summary)}", highlight=False)


def fmt_range(lo: float, hi: float) -> str:
    """A prior range as `[-1.2, -0.4]` (a hyphen between negative numbers reads as a minus sign)."""
    return f"[{lo:g}, {hi:g}]"


def params(mechanism: Annotated[str | None, typer.Argument(help="only this mechanism, e.g. hunger")] = None) -> None:
    """Show the parameter table: value, prior range, unit and source."""
    from actlocally.model.params import DEFAULTS

    rows = {k: p for k, p in DEFAULTS.rows.items() if not mechanism or k.startswith(mechanism + ".") or k == mechanism}
    if not rows:
        groups = sorted({k.split(".")[0] for k in DEFAULTS.rows})
        close = difflib.get_close_matches(mechanism, groups + list(DEFAULTS.rows), n=4, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        fail(InputError(None, "mechanism", f"no parameter matches '{mechanism}'; {hint}mechanisms: "
                        f"{', '.join(groups)}"))
    table = Table(title=f"model parameters: {mechanism}" if mechanism else "model parameters")
    for col in ("name", "value", "prior", "unit", "source", "free"):
        table.add_column(col, overflow="fold", no_wrap=col in ("name", "prior"))
    for key, p in rows.items():
        table.add_row(key, f"{p.value:g}", escape(fmt_range(*p.prior)), escape(p.unit), escape(p.source),
                      "yes" if p.calibrate else "")
    console.print(table)


area_app = typer.Typer(no_args_is_help=True, help="Start a new area: profile, baseline scenario and targets.")


@area_app.command("new")
def area_new(
    name: Annotated[str, typer.Argument(help="the new area's name: lower-case letters, digits and '_'")],
    from_: Annotated[str, typer.Option("--from", help="built-in area (or profile .toml) whose numbers to start from")]
    = "bradford",
    out: Annotated[Path, typer.Option(help="folder for NAME.toml, baseline_NAME.toml and targets_NAME.toml")]
    = Path("."),
    force: Annotated[bool, typer.Option(help="overwrite files that exist")] = False,
) -> None:
    """Write a profile template (every field, its unit, an empty source), a baseline scenario and targets."""
    from actlocally.experiments.area_template import new_area

    try:
        paths = new_area(name, from_, out, force)
    except InputError as err:
        fail(err)
    console.print("written: " + ", ".join(str(p) for p in paths), highlight=False)
    console.print(f"next: fill every `source` and `year` in {paths[0]} and {paths[2]} (or mark a figure `estimate = "
                  f"true` with a `reason`), then `actlocally validate` each file", highlight=False)
