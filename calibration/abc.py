"""ABC-SMC calibration of the free parameters to an area's targets, on pyabc.

The model is run on the area's baseline scenario rescaled to a few thousand pupils (statistics are shares, so a
smaller population only adds noise, which ABC absorbs). Distance: Euclidean over the fitted targets, each scaled
by its uncertainty (1 / sd). Prior: uniform over each free parameter's prior range in the parameter table, sampled
on each parameter's probit scale (see `from_probit`).

Files can be anywhere: an area profile by built-in name or path, a targets file, a baseline scenario file (default:
the built-in `baseline_<area>` if there is one, else the profile with no intervention), an output folder.

Reproducibility: pyabc takes no generator; it draws from numpy's global one. `calibrate` seeds that generator for
the run and gives the caller's state back afterwards (`_global_numpy_seed`), so it never changes the caller's
randomness. In-process (`workers=0`, pyabc's `SingleCoreSampler`) the same seed gives the same posterior. The
simulator's replicate (population and streams) is a hash of the particle's parameters, not a global draw. With
Dask workers (`DaskDistributedSampler`) the order in which particles come back is not controlled, so posteriors
agree only in distribution. Progress is read from pyabc's `History` as it stores each generation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import actlocally
import numpy as np
import pyabc
import xarray as xr
from actlocally.model.area import load_area
from actlocally.model.errors import InputError
from actlocally.model.interventions.parameters import parameter_rows
from actlocally.model.params import DEFAULTS
from actlocally.model.rng import stable_hash
from actlocally.model.scenario import Scenario
from actlocally.runtime.executor import Executor
from actlocally.runtime.storage import current_umask, write_netcdf_atomic

from .posterior import POSTERIORS_DIR
from .predictive import with_predictive
from .runs import baseline_scenario, run_statistics, scenario_record
from .screen import screen, select_moved
from .smc import UNDEFINED_STATISTIC, _generations, decode, encode, from_probit, run_smc  # noqa: F401 - public here
from .targets import TargetsFile, load_targets
from .trial_fit import carry_trial_parameters, fit_trials


@dataclasses.dataclass(frozen=True)
class Simulator:
    """pyabc's model: free-parameter values -> the fitted statistics of one one-year run (picklable for Dask)."""

    scenario: Scenario
    pupils: int
    statistics: tuple[str, ...]
    ranges: tuple[tuple[str, float, float], ...]
    fixed: tuple[tuple[str, float], ...] = ()
    seed: int = 1

    def __call__(self, pars: dict) -> dict[str, float]:
        fitted = {name: float(from_probit(float(pars[encode(name)]), lo, hi)) for name, lo, hi in self.ranges}
        # a fresh population and streams for every particle, from its own values (no global generator)
        replicate = stable_hash(repr((self.seed, sorted(fitted.items())))) % (2**31 - 1)
        params = dict(self.fixed) | fitted
        stats = run_statistics(self.scenario, params, replicate, self.pupils, self.statistics)
        # a statistic the run cannot produce (e.g. no pupil in an absence band) rejects the particle, never NaN
        return {k: (v if np.isfinite(v) else UNDEFINED_STATISTIC) for k, v in stats.items()}


@dataclasses.dataclass
class CalibrationResult:
    posterior: xr.Dataset
    path: Path
    db_path: Path
    seconds: float


def prior_ranges(names: list[str] | None = None, scenario: Scenario | None = None) -> dict[str, tuple[float, float]]:
    """Prior (low, high) of the free parameters (or of `names`): the model's table, and the declared parameters of
    the scenario's interventions by dotted name (`breakfast_club.p_enrol`), so a fit can move those too."""
    rows = parameter_rows(scenario.intervention_params) if scenario is not None else DEFAULTS.rows
    names = names or DEFAULTS.free()
    unknown = [n for n in names if n not in rows]
    if unknown:
        raise InputError(None, "parameters", f"unknown parameter(s) {unknown}; see `actlocally params`")
    return {n: tuple(rows[n].prior) for n in names}


def calibrate(area: str | Path, *, populations: int = 6, particles: int = 200, seed: int = 1, pupils: int = 2000,
              executor: Executor | None = None, targets: TargetsFile | None = None,
              parameters: list[str] | None = None, fixed: dict[str, float] | None = None,
              out_dir: Path = POSTERIORS_DIR, name: str | None = None, predictive_draws: int = 40,
              moved: list[str] | None = None, max_moved: int = 6, screen_trajectories: int = 8,
              baseline: Scenario | str | Path | None = None,
              on_generation: Callable[[dict], None] | None = None,
              trial_stage: dict | None = None) -> CalibrationResult:
    """Fit the free parameters to an area's targets by ABC-SMC; store the posterior and pyabc's history.

    `area` is a built-in area name or an area profile file; `targets` default to the built-in targets of that
    area; `baseline` is a Scenario, a scenario file or a built-in name (see `runs.baseline_scenario`). Writes
    `out_dir/<name>.nc` and `out_dir/<name>.db` (name: the profile's `name`). The kernel moves at most
    `max_moved` parameters: `moved` if given, else all of them when there are few enough, else those a Morris
    screen of the targets ranks highest (see `screen.py`); the others are proposed from their prior every
    generation.

    Trial targets in the targets file (`[trials...]`) are fitted afterwards, in a stage of their own, to the
    intervention routes they anchor (`trial_fit.fit_trials`; `trial_stage` passes its options: particles,
    populations, trial_pupils); without them the routes are carried from Bradford's posterior
    (`trial_fit.carry_trial_parameters`), see `trial_fit.py`.
    """
    profile = load_area(area)
    targets = targets or load_targets(profile.name)
    if targets.area != profile.name:
        raise InputError(None, "targets.area", f"the targets are for area '{targets.area}' but the profile is "
                         f"'{profile.name}'; give that area's targets file")
    fitted = [k for k, t in targets.targets.items() if t.fit]
    if isinstance(baseline, Scenario):
        scenario = baseline
    else:
        scenario = baseline_scenario(area if Path(str(area)).suffix == ".toml" else profile.name, baseline)
    ranges = prior_ranges(parameters, scenario)
    executor = executor or Executor(0)
    name = name or profile.name
    out_dir = Path(out_dir)
    with _global_numpy_seed(seed):
        screened = None
        if moved is None and len(ranges) <= max_moved:
            moved = list(ranges)
        elif moved is None:
            screened = screen(scenario, {k: targets.targets[k].sd for k in fitted}, ranges, executor,
                              trajectories=screen_trajectories, seed=seed, pupils=pupils)
            moved = select_moved(screened["score"].to_series(), max_moved)
        unknown = sorted(set(moved) - set(ranges))
        if unknown:
            raise ValueError(f"moved parameters {unknown} are not among the fitted parameters {sorted(ranges)}")
        simulator = Simulator(scenario, pupils, tuple(fitted), tuple((k, lo, hi) for k, (lo, hi) in ranges.items()),
                              tuple(sorted((fixed or {}).items())), seed)
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_db = tempfile.mkstemp(prefix=f".{name}.", suffix=".db", dir=out_dir)
        os.close(fd)
        start = time.perf_counter()
        try:
            history = run_smc(simulator, list(ranges), [moved], {k: targets.targets[k] for k in fitted}, particles,
                              populations, executor, Path(tmp_db), on_generation)
            seconds = time.perf_counter() - start
            posterior = _posterior_dataset(history, ranges, targets, profile.name, seed, pupils, particles, seconds,
                                           "SingleCoreSampler" if executor.client is None
                                           else "DaskDistributedSampler", moved, screened)
            posterior.attrs.update(scenario_record(scenario))
            posterior = _with_trial_parameters(posterior, targets, area, executor, seed, trial_stage or {},
                                               on_generation, out_dir, name, carry=parameters is None)
            if predictive_draws:
                posterior = with_predictive(posterior, targets, executor, draws=predictive_draws)
            db_path = out_dir / f"{name}.db"
            path = write_netcdf_atomic(posterior, out_dir / f"{name}.nc")
            os.chmod(tmp_db, 0o666 & ~current_umask())  # mkstemp made it 0600; the posterior is for everyone
            os.replace(tmp_db, db_path)
        finally:
            Path(tmp_db).unlink(missing_ok=True)
    return CalibrationResult(posterior, path, db_path, seconds)


def _with_trial_parameters(posterior: xr.Dataset, targets: TargetsFile, area, executor: Executor, seed: int,
                           options: dict, on_generation, out_dir: Path, name: str, carry: bool) -> xr.Dataset:
    """The area posterior with the trial-anchored routes: fitted to the trial targets if the file has any, else
    (a fit of every free parameter) carried from the stored Bradford posterior if it has them, else at defaults."""
    if any(t.fit for t in targets.trial_targets().values()):
        return fit_trials(posterior, targets, str(area), executor, seed=seed, on_generation=on_generation,
                          out_dir=out_dir, name=name, **options)
    return carry_trial_parameters(posterior, seed=seed) if carry else posterior


@contextlib.contextmanager
def _global_numpy_seed(seed: int) -> Iterator[None]:
    """pyabc draws from numpy's global generator and takes no other: seed it for the run, then give back the
    caller's state, so calibrating never changes anyone else's random numbers."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(saved)


def _posterior_dataset(history, ranges, targets: TargetsFile, area: str, seed: int, pupils: int, particles: int,
                       seconds: float, sampler: str, moved: list[str], screened: xr.Dataset | None) -> xr.Dataset:
    """Particles and weights of the last generation, the generations' epsilon and acceptance, and the run record."""
    import json
    import platform

    df, w = history.get_distribution(m=0, t=history.max_t)
    gens = _generations(history)
    units = {k: r.unit for k, r in DEFAULTS.rows.items()}
    data = {}
    for c in df.columns:
        name = decode(c)
        lo, hi = ranges[name]
        data[name] = ("particle", from_probit(df[c].to_numpy(float), lo, hi),
                      {"units": units.get(name, "1"), "long_name": f"posterior particles of {name}",
                       "prior_low": lo, "prior_high": hi})
    data["weight"] = ("particle", np.asarray(w, float) / np.sum(w), {"units": "1", "long_name": "importance weight"})
    for key, units, long_name in (("epsilon", "distance", "ABC acceptance threshold of the generation"),
                                  ("samples", "simulations", "simulations run in the generation"),
                                  ("acceptance_rate", "1", "share of simulations accepted"),
                                  ("effective_sample_size", "particles", "effective sample size of the generation")):
        data[key] = ("generation", [g[key] for g in gens], {"units": units, "long_name": long_name})
    ds = xr.Dataset(data, coords={"particle": np.arange(len(df)), "generation": [g["t"] for g in gens]})
    if screened is not None:  # the Morris screen that chose the moved parameters
        ds["screen_mu_star"] = screened["mu_star"].rename(parameter="screen_parameter", target="fitted_target")
        ds["screen_score"] = screened["score"].rename(parameter="screen_parameter")
    ds.attrs = {
        "title": f"actlocally ABC-SMC posterior: {area}", "area": area, "seed": seed, "pupils": pupils,
        "population_size": particles, "generations": len(gens), "sampler": sampler, "runtime_s": round(seconds, 1),
        "total_simulations": int(sum(g["samples"] for g in gens)),
        "effective_sample_size": round(float(1.0 / np.sum((np.asarray(w) / np.sum(w)) ** 2)), 1),
        "targets_json": targets.model_dump_json(), "prior_json": json.dumps(ranges),
        "parameters": " ".join(decode(c) for c in df.columns),
        "kernel_parameters": " ".join(moved),
        "transition": "multivariate normal (Silverman bandwidth) on the probit scale over kernel_parameters; "
                      "the other parameters drawn from their prior each generation",
        "actlocally_version": actlocally.__version__, "pyabc_version": pyabc.__version__,
        "python": platform.python_version(), "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "distance": "Euclidean over fitted targets, each divided by its sd (se, or range width / 3.29)",
    }
    if screened is not None:
        ds.attrs["screen_runs"] = int(screened.attrs["runs"])
    return ds
