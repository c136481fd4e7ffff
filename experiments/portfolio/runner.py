"""One portfolio run from settings to files: plan the space, search, write the CSV and the Pareto chart."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from actlocally.experiments.compare.comparison import SAFE_NAME
from actlocally.experiments.compare.effects import METRIC
from actlocally.experiments.portfolio.allocation import baseline_for, make_space
from actlocally.experiments.portfolio.report import pareto_chart, portfolio_table, write_table
from actlocally.experiments.portfolio.search import PortfolioSearch, run_search
from actlocally.model.errors import InputError
from actlocally.runtime.executor import Executor


def check_settings(name: str, budget_gbp: float, objectives: list[str]) -> None:
    """Raise InputError naming the option and what is allowed."""
    if not re.match(SAFE_NAME, name) or len(name) > 80:
        raise InputError(None, "--out", "a portfolio name is letters, digits, '_' and '-' (it names the output "
                         "folder), at most 80 characters")
    if budget_gbp <= 0:
        raise InputError(None, "--budget", "the budget is a positive amount in GBP per year")
    allowed = [m for m in METRIC if m != "cost_gbp"]
    bad = [m for m in objectives if m not in allowed]
    if bad or not objectives:
        raise InputError(None, "--objective", f"unknown objective(s) {bad}; allowed: {', '.join(allowed)}")


def run_portfolio(area: str, budget_gbp: float, *, interventions: list[str], schools: str, objectives: list[str],
                  replicates: int, out_dir: Path, seed: int | None = None, pupils: int | None = None,
                  years: int = 1, population: int = 16, generations: int = 4, workers: int = 2,
                  scheduler: str | None = None, posterior: str = "auto",
                  on_generation: Callable[[int, int], None] | None = None) -> tuple[pd.DataFrame, list[Path]]:
    """Search, then write `portfolio.csv` and `pareto.png`/`.svg` into `out_dir`; return the table and paths."""
    check_settings(out_dir.name, budget_gbp, objectives)
    baseline = baseline_for(area, years=years, seed=seed, pupils=pupils)
    space = make_space(baseline, interventions, schools, pupils)
    out_dir.mkdir(parents=True, exist_ok=True)
    search = PortfolioSearch(space, budget_gbp, tuple(objectives), replicates, baseline.seed, out_dir, posterior)
    with Executor(workers, scheduler) as ex:
        run_search(search, ex, population, generations, on_generation)
    table = portfolio_table(search)
    if table.empty:
        raise InputError(None, "--budget", f"no allocation fits GBP {budget_gbp:,.0f}: the cheapest single "
                         "placement costs more; raise the budget or choose cheaper interventions")
    return table, [write_table(table, out_dir), *pareto_chart(table, search, out_dir)]
