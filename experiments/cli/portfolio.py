"""`actlocally portfolio`: allocations of interventions to schools within a budget, searched with NSGA-II."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import console, err_console, fail
from actlocally.model.errors import InputError
from rich.markup import escape


def portfolio(
    area: Annotated[str, typer.Argument(help="area name (see `actlocally areas`)")],
    budget: Annotated[float, typer.Option(help="budget in GBP per year (the planned cost must fit)")],
    out: Annotated[str, typer.Option(help="portfolio name: results go to ROOT/<name>/")],
    interventions: Annotated[str, typer.Option(help="comma-separated registry names to allocate")]
    = "breakfast_club,mental_health_support_team,service_hub",
    schools: Annotated[str, typer.Option(help="candidate schools: 'all', a rule, or comma-separated names")]
    = "all",
    objective: Annotated[str, typer.Option(help="comma-separated effects to minimise besides cost")]
    = "persistent_absence_pp,disadvantage_gap_months,child_difficulty_pp",
    replicates: Annotated[int, typer.Option(min=1, help="replicates per allocation (posterior draws)")] = 20,
    seed: Annotated[int | None, typer.Option(min=0, help="seed (default: the baseline's)")] = None,
    pupils: Annotated[int | None, typer.Option(min=100, help="rescale the area to this many pupils")] = None,
    population: Annotated[int, typer.Option(min=2, help="NSGA-II population size")] = 16,
    generations: Annotated[int, typer.Option(min=1, help="NSGA-II generations")] = 4,
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster worker processes; 0 runs in-process")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
    posterior: Annotated[str, typer.Option(help="'auto', 'none', or an area name / posterior .nc")] = "auto",
    root: Annotated[Path, typer.Option(help="outputs root")] = Path("outputs"),
) -> None:
    """Search allocations of interventions to schools within a budget; write portfolio.csv and a Pareto chart."""
    from actlocally.experiments.portfolio.runner import run_portfolio

    split = [x.strip() for x in interventions.split(",") if x.strip()]
    objectives = [x.strip() for x in objective.split(",") if x.strip()]
    err_console.print(f"portfolio for {escape(area)}: budget GBP {budget:,.0f}, {population} x {generations} "
                      f"generations, {replicates} replicates each", highlight=False)
    try:
        table, written = run_portfolio(
            area, budget, interventions=split, schools=schools, objectives=objectives, replicates=replicates,
            out_dir=root / out, seed=seed, pupils=pupils, population=population, generations=generations,
            workers=workers, scheduler=scheduler, posterior=posterior,
            on_generation=lambda g, n: err_console.print(f"generation {g}/{n} done", highlight=False))
    except InputError as err:
        fail(err)
    front = table[table["pareto"]]
    console.print(f"{len(table)} allocations within budget evaluated; {len(front)} on the Pareto set, "
                  f"{int(table['robust'].sum())} stay there in the worst decile", highlight=False)
    console.print("written: " + ", ".join(escape(str(p)) for p in written), highlight=False)
