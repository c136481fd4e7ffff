"""The ABC-SMC engine both calibration stages share: pyabc on each parameter's probit scale, progress read back.

`run_smc` runs pyabc's ABC-SMC with standard normal priors on the probit coordinates (`from_probit`), a Euclidean
distance over the targets each divided by its uncertainty (or by a given scale), a multivariate normal kernel over
each group of moved parameters (the prior for the rest), and reports each generation as pyabc stores it.

Why kernels by group: importance weights (prior over the proposal's mixture density) degenerate as the kernel's
dimension grows against the particles (see `screen.py`). Measured on the trial stage: one 13-dimensional kernel
over the routes of 9 trials with 60 particles gave effective sample sizes 60, 10, 1. Parameters that no target
shares are independent in the posterior (given the rest), so a product of small kernels, one per group of
parameters the same targets move, proposes as well while its mixture density stays smooth. The same run still
fell from 100 to 45 to 6: the heavy particles of one generation put narrow bumps into the next one's proposal
(pyabc's default bandwidth is Silverman's, about 0.6 of the particles' spread), and the particles it then drew away
from the bumps carried most of the weight while the posterior moved into a corner of the prior. `kernel_width` 1
(a kernel as wide as the weighted particles, the middle of Silverman's 0.6 and Beaumont et al.'s (2009) twice
the variance) keeps the proposal smooth at some cost in acceptance.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyabc
from actlocally.runtime.executor import Executor
from scipy.special import ndtr

from .screen import PriorTransition


def encode(name: str) -> str:
    """pyabc parameter names are identifiers: 'attendance.a0' -> 'attendance__a0'."""
    return name.replace(".", "__")


def decode(name: str) -> str:
    return name.replace("__", ".")


def from_probit(z: float, lo: float, hi: float) -> float:
    """ABC works on each parameter's probit coordinate, where its uniform prior is a standard normal.

    Why: the free parameters span 1e-4 to 5 (mixed scales made pyabc's transition densities underflow), and on a
    bounded [0, 1] scale a Gaussian transition kernel thins out towards the edges, so a particle accepted near the
    corners of 17 mostly unidentified dimensions gets an enormous importance weight (the effective sample size fell
    from 200 to 1-7). On the probit scale an unidentified parameter's posterior is N(0, 1), which a Gaussian kernel
    matches, so weights stay even."""
    return lo + ndtr(np.asarray(z, float)) * (hi - lo)


UNDEFINED_STATISTIC = 1e6  # far from every target: the particle is rejected, and epsilon stays finite


def run_smc(simulator: Callable[[dict], dict], names: list[str], groups: list[list[str]], targets: dict,
            particles: int, populations: int, executor: Executor, db: Path,
            on_generation: Callable[[dict], None] | None = None,
            scales: dict[str, float] | None = None, kernel_width: float | None = None,
            resume: bool = False) -> pyabc.History:
    """pyabc's ABC-SMC over `names` (standard normal priors on the probit scale), distance Euclidean over the
    targets each divided by `scales[target]` (default: its sd); `groups` are the kernel-moved parameters, a kernel
    each, whose bandwidth is `kernel_width` times the weighted particles' spread
    (default: Silverman's rule); the history in the sqlite file `db`. `resume`: continue the run stored in `db`
    (pyabc's `load`) for `populations` more generations; the caller checks that it was run with these settings."""
    prior = pyabc.Distribution(**{encode(k): pyabc.RV("norm", 0.0, 1.0) for k in names})
    scales = scales or {k: t.sd for k, t in targets.items()}
    distance = pyabc.PNormDistance(p=2, fixed_weights={k: 1.0 / scales[k] for k in targets})
    if executor.client is None:
        sampler = pyabc.sampler.SingleCoreSampler()
    else:
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=executor.client, batch_size=2)
    abc = pyabc.ABCSMC(simulator, prior, distance, population_size=particles, sampler=sampler,
                       transitions=_transition(names, groups, kernel_width))
    with _quiet_pyabc():
        if resume:
            abc.load(f"sqlite:///{db}", 1)
        else:
            abc.new(f"sqlite:///{db}", {k: t.value for k, t in targets.items()})
        abc.history = _ReportingHistory(f"sqlite:///{db}", abc.history.id, on_generation)  # as pyabc's load()
        return abc.run(max_nr_populations=populations)


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO; our own progress (from History) replaces those lines."""
    logger = logging.getLogger("ABC")
    saved = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(saved)


class _ReportingHistory(pyabc.History):
    """pyabc's History, which also reports each generation as pyabc stores it (read back from the database)."""

    def __init__(self, db: str, _id: int, on_generation: Callable[[dict], None] | None) -> None:
        super().__init__(db, _id=_id)
        self.on_generation = on_generation

    def append_population(self, *args, **kwargs) -> None:
        super().append_population(*args, **kwargs)
        if self.on_generation is not None:
            self.on_generation(_generations(self)[-1])


def _transition(names: list[str], groups: list[list[str]],
                kernel_width: float | None = None) -> pyabc.transition.Transition:
    """A multivariate normal kernel over each group of moved parameters; the prior for the rest."""

    def kernel() -> pyabc.MultivariateNormalTransition:
        if kernel_width is None:
            return pyabc.MultivariateNormalTransition()
        return pyabc.MultivariateNormalTransition(bandwidth_selector=functools.partial(_fixed_width, kernel_width))

    groups = [g for g in groups if g]
    flat = {n for g in groups for n in g}
    rest = [n for n in names if n not in flat]
    if len(groups) == 1 and not rest:
        return kernel()
    mapping = {tuple(map(encode, g)): kernel() for g in groups}
    if rest:
        mapping[tuple(map(encode, rest))] = PriorTransition()
    return pyabc.AggregatedTransition(mapping=mapping)


def _fixed_width(width: float, samples: float, dimension: int) -> float:
    """A bandwidth selector (pyabc's signature) that returns `width` whatever the particles."""
    return width


def _generations(history) -> list[dict]:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    out = []
    for r in pops.itertuples():
        w = np.asarray(history.get_distribution(m=0, t=int(r.t))[1], float)
        out.append({"t": int(r.t), "epsilon": float(r.epsilon), "samples": int(r.samples),
                    "particles": int(r.particles), "acceptance_rate": float(r.particles) / float(r.samples),
                    "effective_sample_size": float(w.sum() ** 2 / np.sum(w**2))})
    return out


