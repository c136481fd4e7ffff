"""Budgeted portfolios: NSGA-II (pymoo) over allocations of interventions to schools, each evaluated by simulation.

Every allocation a generation proposes that fits the budget (its planned cost) runs as a scenario against the
area's baseline: the same seed, replicates and posterior draws as every other allocation (common random
numbers), through the comparison runner, so finished runs in `runs.zarr` are reused when an allocation comes
back or the command is rerun. Allocations over budget are infeasible to the optimiser and never run.
Objectives: cost and the chosen effects (mean over replicates), all minimised (an effect where higher is
better is negated).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr
from actlocally.experiments.compare.comparison import attach_posteriors, plan_comparison, run_comparison
from actlocally.experiments.compare.effects import METRIC, paired_effects
from actlocally.experiments.portfolio.allocation import Space
from actlocally.runtime.executor import Executor
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.core.sampling import Sampling
from pymoo.operators.crossover.pntx import TwoPointCrossover
from pymoo.operators.mutation.bitflip import BitflipMutation
from pymoo.optimize import minimize

DEFAULT_OBJECTIVES = ("persistent_absence_pp", "disadvantage_gap_months", "child_difficulty_pp")


@dataclasses.dataclass
class Evaluated:
    """One allocation that ran: its bits, planned cost, generation and paired effects per replicate (group all)."""

    x: np.ndarray
    name: str
    planned_cost: float
    generation: int
    effects: xr.Dataset  # dims (replicate,), one variable per metric


@dataclasses.dataclass
class PortfolioSearch:
    """The settings of one search and everything it evaluated, by allocation name."""

    space: Space
    budget_gbp: float
    objectives: tuple[str, ...]
    replicates: int
    seed: int
    out_dir: Path
    posterior: str = "auto"
    evaluated: dict[str, Evaluated] = dataclasses.field(default_factory=dict)
    generation: int = 0

    def sign(self, metric: str) -> float:
        """+1 where lower is better, -1 where higher is better (the optimiser minimises)."""
        return 1.0 if METRIC[metric].better == "lower" else -1.0

    def evaluate(self, xs: np.ndarray, executor: Executor) -> None:
        """Run every not-yet-evaluated, within-budget allocation of `xs` against the baseline, in one batch."""
        new = {}
        for x in xs:
            name = self.space.name(x)
            if name in self.evaluated or name in new:
                continue
            cost = self.space.planned_cost(x)
            if cost <= self.budget_gbp and x.any():
                new[name] = (x.astype(bool), cost)
        if not new:
            return
        plan = plan_comparison([self.space.baseline], [self.space.scenario(x) for x, _ in new.values()],
                               name="portfolio", replicates=self.replicates, seed=self.seed,
                               pupils=self.space.pupils)
        attach_posteriors(plan, self.posterior)
        effects = paired_effects(run_comparison(plan, executor, self.out_dir))
        for name, (x, cost) in new.items():
            e = effects.sel(scenario=name, group="all").drop_vars(["scenario", "baseline", "group"], errors="ignore")
            self.evaluated[name] = Evaluated(x, name, cost, self.generation, e.load())

    def objective_row(self, x: np.ndarray) -> np.ndarray:
        """Cost and the chosen effects' means, signed for minimisation (the empty allocation: all zero)."""
        name = self.space.name(x)
        if name not in self.evaluated:  # the empty allocation, or one over budget (infeasible anyway)
            return np.zeros(1 + len(self.objectives))
        ev = self.evaluated[name]
        return np.array([ev.planned_cost] + [self.sign(m) * float(ev.effects[m].mean()) for m in self.objectives])


class SparseBinarySampling(Sampling):
    """Random allocations of one to a few slots each (pymoo's seeded generator): a budget seldom affords half of all
    slots, which is what uniform random bits would switch on."""

    def _do(self, problem, n_samples: int, *args, random_state=None, **kwargs) -> np.ndarray:
        n = problem.n_var
        k = random_state.integers(1, max(2, min(n, 4)) + 1, n_samples)
        X = np.zeros((n_samples, n), bool)
        for row, kk in zip(X, k, strict=True):
            row[random_state.choice(n, size=min(kk, n), replace=False)] = True
        return X


class BudgetRepair(Repair):
    """Bring an allocation within budget by switching off its dearest placement (alone) until it fits.

    Deterministic, so a seed still fixes the search; the empty allocation (the baseline) always fits.
    """

    def __init__(self, search: PortfolioSearch) -> None:
        super().__init__()
        self.search = search

    def _do(self, problem, X, **kwargs):
        space, budget = self.search.space, self.search.budget_gbp
        n = len(space.slots)
        single = {}
        X = np.asarray(X, bool).copy()
        for x in X:
            while x.any() and space.planned_cost(x) > budget:
                on = np.flatnonzero(x)
                for j in on:
                    if j not in single:
                        single[j] = space.planned_cost(np.eye(n, dtype=bool)[j])
                x[max(on, key=lambda j: (single[j], j))] = False
        return X


class _Problem(Problem):
    """pymoo's view: binary slots, objectives from `PortfolioSearch`, one constraint (planned cost <= budget)."""

    def __init__(self, search: PortfolioSearch, executor: Executor) -> None:
        super().__init__(n_var=len(search.space.slots), n_obj=1 + len(search.objectives), n_ieq_constr=1,
                         xl=0, xu=1, vtype=bool)
        self.search, self.executor = search, executor

    def _evaluate(self, X, out, *args, **kwargs) -> None:
        s = self.search
        s.evaluate(X, self.executor)
        out["F"] = np.array([s.objective_row(x) for x in X])
        out["G"] = np.array([[s.space.planned_cost(x) - s.budget_gbp] for x in X])
        s.generation += 1


def run_search(search: PortfolioSearch, executor: Executor, population: int, generations: int,
               on_generation: Callable[[int, int], None] | None = None) -> PortfolioSearch:
    """NSGA-II with binary variables (seeded), evaluating each generation's allocations as one batch."""
    problem = _Problem(search, executor)
    algorithm = NSGA2(pop_size=population, sampling=SparseBinarySampling(), crossover=TwoPointCrossover(),
                      mutation=BitflipMutation(), repair=BudgetRepair(search),
                      eliminate_duplicates=True)
    extra = {"callback": lambda alg: on_generation(alg.n_gen, generations)} if on_generation else {}
    minimize(problem, algorithm, ("n_gen", generations), seed=int(search.seed % (2**32 - 1)) or 1,
             verbose=False, **extra)
    return search
