"""`actlocally areas`, `area new`, `validate` and `params`: what the project knows, and whether a file is right."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, fail
from actlocally.model.area import AREAS_DIR, available_areas, load_area
from actlocally.model.errors import InputError
from rich.console import Console
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


def parameter_table() -> dict[str, tuple[str, object]]:
    """Every parameter a run, a sweep or a fit may set: the model's rows, then each intervention type's declared
    settings at their defaults ({name: (kind, Param)})."""
    from actlocally.model.interventions.parameters import intervention_rows
    from actlocally.model.interventions.registry import REGISTRY
    from actlocally.model.params import DEFAULTS

    defaults = [cls.Params.model_construct(type=kind) for kind, cls in sorted(REGISTRY.items())]
    return {**{k: ("model", p) for k, p in DEFAULTS.rows.items()},
            **{k: ("intervention", p) for k, p in intervention_rows(defaults).items()}}


def params(
    mechanism: Annotated[str | None, typer.Argument(
        help="only this mechanism or intervention type, e.g. hunger or breakfast_club")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="print CSV (name, kind, value, prior_lo, prior_hi, unit, "
                                      "source, fitted) instead of a table")] = False,
) -> None:
    """Show every parameter (the model's and each intervention type's settings): value, prior, unit and source."""
    table_rows = parameter_table()
    rows = {k: v for k, v in table_rows.items() if not mechanism or k.startswith(mechanism + ".") or k == mechanism}
    if not rows:
        groups = sorted({k.split(".")[0] for k in table_rows})
        close = difflib.get_close_matches(mechanism, groups + list(table_rows), n=4, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        fail(InputError(None, "mechanism", f"no parameter matches '{mechanism}'; {hint}mechanisms and "
                        f"interventions: {', '.join(groups)}"))
    if csv:
        _print_csv(rows)
        return
    table = Table(title=f"parameters: {mechanism}" if mechanism else "parameters (model, then interventions)")
    for col in ("name", "value", "prior", "unit", "source", "fitted"):
        table.add_column(col, overflow="fold", no_wrap=col in ("name", "prior"), min_width=5)
    for key, (kind, p) in rows.items():
        table.add_row(key, f"{p.value:g}", escape(fmt_range(*p.prior)), escape(p.unit), escape(p.source),
                      _how_set(key, kind, p))
    # piped or in a narrow terminal, Rich's 80 columns would fold every cell to a letter a line
    wide = console if console.is_terminal and console.width >= 120 else Console(width=200)
    wide.print(table)


def _print_csv(rows: dict[str, tuple[str, object]]) -> None:
    """The parameter rows as CSV on standard output (for a spreadsheet or a sweep's parameter list)."""
    import csv as csv_module
    import sys

    out = csv_module.writer(sys.stdout, lineterminator="\n")
    out.writerow(("name", "kind", "value", "prior_lo", "prior_hi", "unit", "source", "fitted"))
    for key, (kind, p) in rows.items():
        out.writerow((key, kind, f"{p.value:g}", f"{p.prior[0]:g}", f"{p.prior[1]:g}", p.unit, p.source,
                      _how_set(key, kind, p)))


def _how_set(key: str, kind: str, p) -> str:
    """How a parameter gets its value: fitted to area data, fitted to the trials, a scenario setting, or fixed."""
    from actlocally.calibration.trial_targets import TRIAL_PARAMETERS

    if p.calibrate:
        return "area data"
    if key in TRIAL_PARAMETERS:
        return "trials"
    return "setting" if kind == "intervention" else "fixed"


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
