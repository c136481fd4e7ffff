"""`actlocally areas`, `validate` and `params`: what the project knows, and whether a file is right."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, fail, plain
from actlocally.model.area import AREAS_DIR, available_areas, load_area, read_toml
from actlocally.model.errors import InputError
from rich.table import Table


def areas() -> None:
    """List the built-in area profiles."""
    table = Table(title=f"area profiles ({AREAS_DIR})")
    for col in ("name", "kind", "pupils", "schools", "FSM", "food insecure", "crime index"):
        table.add_column(col)
    for name in available_areas():
        a = load_area(name)
        crime = f"{a.neighbourhood.crime_index.value:.2f}" if a.neighbourhood else "-"
        table.add_row(a.name, a.kind, f"{a.pupils.primary.value + a.pupils.secondary.value:,.0f}",
                      f"{a.schools.primary.value:.0f} + {a.schools.secondary.value:.0f}",
                      f"{a.shares.fsm.value:.0%}", f"{a.shares.food_insecure_households.value:.0%}", crime)
    console.print(table)


def validate(file: Annotated[Path, typer.Argument(help="a scenario or area .toml file")]) -> None:
    """Check a scenario or area file; exit code 2 with one clear message if it is wrong."""
    from actlocally.model.scenario import load_scenario

    try:
        data = read_toml(file)
        if "pupils" in data and "shares" in data:
            a = load_area(file)
            console.print(f"[green]ok[/]: area profile '{a.name}' ({plain(a.display_name)})")
        else:
            sc = load_scenario(file)
            ivs = ", ".join(p.label or p.type for p in sc.intervention_params) or "none"
            console.print(f"[green]ok[/]: scenario '{sc.name}' on area '{plain(sc.area)}', {sc.years} year(s), "
                          f"interventions: {plain(ivs)}")
    except InputError as err:
        fail(err)


def params(mechanism: Annotated[str | None, typer.Argument(help="only this mechanism, e.g. hunger")] = None) -> None:
    """Show the parameter table: value, prior range, unit and source."""
    from actlocally.model.params import DEFAULTS

    table = Table(title="model parameters")
    for col in ("name", "value", "prior", "unit", "source", "free"):
        table.add_column(col, overflow="fold")
    for key, p in DEFAULTS.rows.items():
        if mechanism and not key.startswith(mechanism + "."):
            continue
        table.add_row(key, f"{p.value:g}", f"{p.prior[0]:g}-{p.prior[1]:g}", p.unit, p.source,
                      "yes" if p.calibrate else "")
    console.print(table)
