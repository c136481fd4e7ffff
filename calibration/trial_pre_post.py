"""What drives a single-group pre-post estimate (Place2Be): the same pupils' change with and without the treatment.

A pre-post design has no comparison group, so its estimate mixes the treatment's effect with what would have
happened anyway (regression to the mean after a referral, the term pattern, the age trend). The paired world of
`trial_run` (same population, seed and luck, no treatment) gives the supported pupils' change over the same terms
without it: the estimate splits into that change and the treatment's own part, by group of pupils (phase, length
of the episode, how long the difficulty had lasted before support, whether it had lifted by the term support ended).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from actlocally.runtime.executor import Executor

from .trial import trial_tasks
from .trial_run import TrialTask, World, _scenario, allocation, simulate, supported_episodes
from .trial_spec import TrialSpec

COLUMNS = ("group", "pupils", "change_pp", "change_without_pp", "treatment_part_pp", "difficulty_before",
           "difficulty_after", "difficulty_after_without", "attendance_before")


def _term_values(w: World, terms: np.ndarray, pupils: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(attendance rate, share of school days in difficulty) of each pupil in its term."""
    possible = w.term_possible[terms, pupils]
    days = np.maximum(possible // 2, 1)
    return w.term_attended[terms, pupils] / np.maximum(possible, 1), w.term_difficulty[terms, pupils] / days


def split(trial: World, without: World, years: int) -> pd.DataFrame:
    """One row per group of supported pupils: the pre-post change in the trial world and in the world without it."""
    pupils, before, after = supported_episodes(trial)
    att_b, dif_b = _term_values(trial, before, pupils)
    att_a, dif_a = _term_values(trial, after, pupils)
    cf_b, _ = _term_values(without, before, pupils)
    cf_a, cf_dif_a = _term_values(without, after, pupils)
    year_group = trial.year_group[pupils] - (years - 1 - before // 3)  # rows not renewed move up once a year
    groups = {
        "all": np.ones(pupils.size, bool), "primary (Reception-Year 6)": year_group <= 6,
        "secondary (Years 7-11)": year_group >= 7, "support within one term": after == before + 1,
        "support over two terms or more": after > before + 1,
        "in difficulty all the term before": dif_b >= 0.9, "onset during the term before": dif_b < 0.9,
        "difficulty lifted by the term support ended": dif_a < 0.1, "difficulty persisting": dif_a >= 0.1,
    }
    rows = []
    for name, m in groups.items():
        v = [float(x[m].mean()) if m.any() else np.nan
             for x in (att_a - att_b, cf_a - cf_b, dif_b, dif_a, cf_dif_a, att_b)]
        rows.append((name, int(m.sum()), 100 * v[0], 100 * v[1], 100 * (v[0] - v[1]), v[2], v[3], v[4], 100 * v[5]))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def splittable(spec: TrialSpec) -> bool:
    """A school-allocated design with a pre-post outcome."""
    return spec.allocation.unit == "school" and any(o.analysis == "pre_post" for o in spec.outcomes)


def pre_post_split(spec: TrialSpec, task: TrialTask) -> pd.DataFrame:
    """Run a pre-post trial's world and its paired world without the treatment, and split the estimate."""
    if not splittable(spec):
        raise ValueError(f"{spec.name}: a split needs a school-allocated pre-post design")
    _, treated, control = allocation(task)
    trial = simulate(_scenario(task, treated, control), task)
    without = simulate(_scenario(task, [], treated + control), task)
    return split(trial, without, spec.years)


def pool(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Replicates' splits pooled: each group's figures averaged over its episodes in every replicate."""
    both = pd.concat(tables, ignore_index=True)
    values = [c for c in COLUMNS if c not in ("group", "pupils")]
    weighted = both[values].mul(both["pupils"], axis=0).where(both["pupils"] > 0, 0.0)
    weighted[["group", "pupils"]] = both[["group", "pupils"]]
    sums = weighted.groupby("group", sort=False).sum()
    sums[values] = sums[values].div(sums["pupils"].where(sums["pupils"] > 0), axis=0)
    return sums.reset_index()[list(COLUMNS)]


def run_split(spec: TrialSpec, executor: Executor, **kw) -> pd.DataFrame:
    """`pre_post_split` for every replicate `trial_tasks(spec, **kw)` makes, on the executor, pooled."""
    tasks = trial_tasks(spec, **kw)
    tables: list = [None] * len(tasks)
    for i, table in executor.map_unordered(partial(pre_post_split, spec), tasks):
        tables[i] = table
    return pool(tables)  # in replicate order: the same sums whatever the workers
