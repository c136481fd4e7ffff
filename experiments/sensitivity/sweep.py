"""Global sensitivity analysis with SALib: which uncertain parameters move a scenario's outcome or effect.

One path for every sweep, the model's or a test function's:

1. `problem(...)`: a SALib `ProblemSpec` (names, bounds, outputs);
2. `draw(...)`: Saltelli/Sobol' or Morris samples, with an explicit non-zero seed derived from the run's seed;
3. `evaluate(...)`: every sample through the one `Executor`, each finished task written to the `RunStore` at once,
   so an interrupted sweep resumes without redoing finished samples;
4. `analyse(...)`: Sobol' S1, ST, S2 with confidence intervals, or Morris mu, mu*, sigma, again with a derived
   non-zero seed (SALib treats a seed of 0 as "no seed" in places), into an `xarray.Dataset` with `parameter`
   and `output` dimensions.

For the model (`run_sensitivity`), sample i sets the sampled parameters and runs the scenario, and with a baseline
also the baseline, both on the same seed and replicate: common random numbers, so the output is the intervention's
effect. Every sample uses the same replicate, so the output is a deterministic function of the parameters (for one
synthetic locality-year) and a parameter the runs never read has an index of exactly zero.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import actlocally
import numpy as np
import xarray as xr
from actlocally.experiments.compare.effects import METRIC, metric_values, outcomes
from actlocally.experiments.sensitivity.inputs import Output
from actlocally.model.errors import InputError
from actlocally.model.interventions.parameters import parameter_rows
from actlocally.model.locality import LocalityModel
from actlocally.model.metadata import git_commit
from actlocally.model.provenance import code_digest, scenario_inputs
from actlocally.model.scenario import Scenario
from actlocally.runtime.executor import Executor
from actlocally.runtime.run_store import RunStore, fingerprint
from SALib import ProblemSpec

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
CONF_LEVEL = 0.95
RESAMPLES = 100
STORE_GROUP = "samples"
Progress = Callable[[int, int], None]


def salib_seeds(seed: int) -> tuple[int, int]:
    """Sampler and analyser seeds from the run's seed: independent, reproducible, never 0."""
    a, b = np.random.SeedSequence([int(seed), 0x5A11B]).generate_state(2, dtype=np.uint32)
    return int(a) or 1, int(b) or 1


def sample_count(method: str, n: int, d: int) -> int:
    """Samples SALib draws: Sobol' with second order N*(2D+2); Morris N trajectories of D+1 points."""
    return n * (2 * d + 2) if method == "sobol" else n * (d + 1)


def check_design(method: str, n: int, d: int) -> None:
    """A method SALib offers and a sample size it can use; one clear error otherwise."""
    if method not in METHODS:
        raise InputError(None, "--method", f"'{method}' is not allowed: give {' or '.join(METHODS)}")
    if method == "sobol" and (n < 2 or n & (n - 1)):
        lower = 2 ** max(1, int(math.log2(max(n, 2))))
        raise InputError(None, "--samples", f"Sobol' sampling needs a power of 2 (got {n}; try {lower} or "
                         f"{2 * lower}): its convergence holds only for powers of 2")
    if method == "morris" and n < 2:
        raise InputError(None, "--samples", f"Morris needs at least 2 trajectories (got {n})")
    if d < 2:
        raise InputError(None, "--parameters", "sensitivity needs at least two parameters")


def problem(names: Sequence[str], bounds: Sequence[tuple[float, float]], outputs: Sequence[str]) -> ProblemSpec:
    """The SALib problem: parameter names and ranges, and the output names analysed."""
    return ProblemSpec({"names": list(names), "bounds": [list(map(float, b)) for b in bounds],
                        "outputs": list(outputs)})


def draw(sp: ProblemSpec, method: str, n: int, seed: int) -> np.ndarray:
    """Sample the problem (Sobol' with second order, or Morris trajectories) with the seed's sampler seed."""
    check_design(method, n, sp["num_vars"])
    sampler_seed, _ = salib_seeds(seed)
    if method == "sobol":
        sp.sample_sobol(n, calc_second_order=True, seed=sampler_seed)
    else:
        sp.sample_morris(n, num_levels=MORRIS_LEVELS, seed=sampler_seed)
    return sp.samples


def chunks_of(n_samples: int, chunk: int) -> int:
    """Samples per task: gcd(chunk, n_samples), so every task has the same size and never more than `chunk`."""
    return math.gcd(max(1, chunk), n_samples)


def evaluate(samples: np.ndarray, task_of: Callable[[np.ndarray], Any], fn: Callable[[Any], xr.Dataset],
             executor: Executor, store: RunStore, key: str, chunk: int = 1,
             on_progress: Progress | None = None, on_message: Callable[[str], None] | None = None) -> xr.Dataset:
    """Run `fn(task_of(rows))` for every chunk of sample rows not yet in the store; return all, on `sample`.

    `fn` returns a Dataset whose first dimension is `sample` (one entry per row, no coordinate on it). Chunks are
    equal-sized so every stored entry has one layout; the model uses one sample per task, cheap test functions
    larger chunks. The result is always read back from the store, so resumed and unbroken sweeps are identical.
    """
    n = len(samples)
    size = chunks_of(n, chunk)
    batch_key = fingerprint(key, _digest(samples), size)
    run_keys = {k: fingerprint(batch_key, k, _digest(samples[k * size:(k + 1) * size])) for k in range(n // size)}
    done = store.prepare(STORE_GROUP, batch_key, run_keys)
    todo = [k for k in range(n // size) if k not in done]
    finished = n - size * len(todo)
    if on_message:
        on_message(store.report.message(n // size))
    if on_progress:
        on_progress(finished, n)
    tasks = [task_of(samples[k * size:(k + 1) * size]) for k in todo]
    for i, ds in executor.map_unordered(fn, tasks):
        store.put(STORE_GROUP, todo[i], ds, key=run_keys[todo[i]])
        finished += size
        if on_progress:
            on_progress(finished, n)
    stacked = store.load(STORE_GROUP, list(range(n // size)))
    return xr.Dataset({name: (("sample", *v.dims[2:]), v.values.reshape(n, *v.shape[2:]), v.attrs)
                       for name, v in stacked.data_vars.items()},
                      coords={c: stacked.coords[c] for c in stacked.coords if "replicate" not in stacked[c].dims
                              and "sample" not in stacked[c].dims}).assign_coords(sample=np.arange(n))


def analyse(sp: ProblemSpec, results: np.ndarray, method: str, seed: int) -> xr.Dataset:
    """Sobol' (S1, ST, S2 with intervals) or Morris (mu, mu*, sigma) indices, dims `parameter` and `output`."""
    results = np.asarray(results, dtype=float).reshape(len(sp.samples), -1)
    _, analyser_seed = salib_seeds(seed)
    sp.set_results(results if results.shape[1] > 1 else results[:, 0])
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "sobol":
            sp.analyze_sobol(calc_second_order=True, num_resamples=RESAMPLES, conf_level=CONF_LEVEL,
                             seed=analyser_seed)
        else:
            sp.analyze_morris(num_resamples=RESAMPLES, conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS,
                              seed=analyser_seed)
    outputs = list(sp["outputs"])
    per_output = sp.analysis if len(outputs) > 1 else {outputs[0]: sp.analysis}
    names = list(sp["names"])
    keys = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else ["mu", "mu_star", "mu_star_conf", "sigma"]
    data = {k: (("parameter", "output"), np.stack([np.asarray(per_output[o][k], float) for o in outputs], -1),
                {"long_name": INDEX_NAMES[k], "units": "1" if method == "sobol" else "output units"})
            for k in keys}
    if method == "sobol":
        for k in ("S2", "S2_conf"):
            data[k] = (("parameter", "parameter_2", "output"),
                       np.stack([np.asarray(per_output[o][k], float) for o in outputs], -1),
                       {"long_name": INDEX_NAMES[k], "units": "1"})
    bounds = np.asarray(sp["bounds"], float)
    data["lower"] = ("parameter", bounds[:, 0], {"long_name": "lower end of the sampled range", "units": _PARAM_UNITS})
    data["upper"] = ("parameter", bounds[:, 1], {"long_name": "upper end of the sampled range", "units": _PARAM_UNITS})
    data["samples"] = (("sample", "parameter"), np.asarray(sp.samples, float),
                       {"long_name": "parameter values", "units": _PARAM_UNITS})
    data["results"] = (("sample", "output"), results, {"long_name": "model output per sample",
                                                         "units": "each output's own (see output_units)"})
    coords = {"parameter": names, "output": outputs, "sample": np.arange(len(sp.samples))}
    if method == "sobol":
        coords["parameter_2"] = names
    return xr.Dataset(data, coords=coords, attrs={"method": method, "conf_level": CONF_LEVEL,
                                                  "num_resamples": RESAMPLES, "seed": int(seed),
                                                  "sampler_seed": salib_seeds(seed)[0],
                                                  "analyser_seed": analyser_seed})


_PARAM_UNITS = "each parameter's own (see parameter_units)"
INDEX_NAMES = {
    "S1": "Sobol' first-order index", "S1_conf": "half-width of the S1 confidence interval",
    "ST": "Sobol' total-order index", "ST_conf": "half-width of the ST confidence interval",
    "S2": "Sobol' second-order index", "S2_conf": "half-width of the S2 confidence interval",
    "mu": "Morris mean elementary effect", "mu_star": "Morris mean absolute elementary effect (mu*)",
    "mu_star_conf": "half-width of the mu* confidence interval", "sigma": "Morris SD of elementary effects",
}


def evaluate_function(task: tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]) -> xr.Dataset:
    """A plain test function `f(rows) -> values` as a task (the Ishigami pipeline check uses it)."""
    fn, rows = task
    return xr.Dataset({"Y": ("sample", np.asarray(fn(rows), dtype=float))})


def _digest(a: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(a, dtype=np.float64).tobytes(), digest_size=12).hexdigest()


# ------------------------------------------------------------------------------------------------- the model


@dataclasses.dataclass(frozen=True)
class SampleTask:
    """Sample rows for one worker: the scenario (and baseline) to run at each row's parameter values."""

    scenario: Scenario
    baseline: Scenario | None
    names: tuple[str, ...]
    rows: np.ndarray
    seed: int
    replicate: int
    pupils: int | None


def _run_outcomes(sc: Scenario, parameters: dict[str, float], task: SampleTask) -> xr.Dataset:
    model = LocalityModel(sc, seed=task.seed, replicate=task.replicate, pupils=task.pupils, parameters=parameters)
    ds = model.run().results()
    model.release()
    return outcomes(ds.assign_coords(population_scale=ds.attrs["population_scale"]))


def evaluate_model(task: SampleTask) -> xr.Dataset:
    """Every METRIC for each row: the scenario's level, or its paired effect against the baseline."""
    parts = []
    for row in task.rows:
        parameters = dict(zip(task.names, map(float, row), strict=True))
        a = _run_outcomes(task.scenario, parameters, task)
        if task.baseline is None:
            parts.append(metric_values(a, change=False))
        else:
            parts.append(metric_values(a - _run_outcomes(task.baseline, parameters, task)))
    return xr.concat(parts, dim="sample")


@dataclasses.dataclass
class SensitivityPlan:
    """A validated sweep: what to run, what to vary over which ranges, what to analyse, and how."""

    name: str
    scenario: Scenario
    baseline: Scenario | None
    names: list[str]
    bounds: list[tuple[float, float]]
    ranges: str
    outputs: list[Output]
    method: str
    samples: int
    seed: int
    replicate: int = 0
    pupils: int | None = None

    @property
    def n_samples(self) -> int:
        return sample_count(self.method, self.samples, len(self.names))

    @property
    def n_runs(self) -> int:
        return self.n_samples * (2 if self.baseline is not None else 1)


def run_sensitivity(plan: SensitivityPlan, executor: Executor, out_dir: Path,
                    on_progress: Progress | None = None,
                    on_message: Callable[[str], None] | None = None) -> xr.Dataset:
    """Sample, run every sample not already in `out_dir/runs.zarr`, and analyse the chosen outputs.

    Stored samples are reused only if everything that determines them is unchanged (`model.provenance` of the
    scenario and baseline: resolved parameters, area content, interventions, model code; seed, replicate,
    population, the varied names and each sample's values)."""
    check_design(plan.method, plan.samples, len(plan.names))
    sp = problem(plan.names, plan.bounds, [o.label for o in plan.outputs])
    samples = draw(sp, plan.method, plan.samples, plan.seed)
    code = code_digest()
    key = fingerprint(scenario_inputs(plan.scenario, seed=plan.seed, pupils=plan.pupils, code=code),
                      scenario_inputs(plan.baseline, seed=plan.seed, pupils=plan.pupils, code=code)
                      if plan.baseline else None,
                      plan.seed, plan.replicate, plan.pupils, plan.names)

    def task_of(rows: np.ndarray) -> SampleTask:
        return SampleTask(plan.scenario, plan.baseline, tuple(plan.names), rows, plan.seed, plan.replicate,
                          plan.pupils)

    runs = evaluate(samples, task_of, evaluate_model, executor, RunStore(out_dir / "runs.zarr"), key,
                    on_progress=on_progress, on_message=on_message)
    results = np.stack([runs[o.outcome].sel(group=o.group).values for o in plan.outputs], -1)
    for j, o in enumerate(plan.outputs):
        bad = int(np.sum(~np.isfinite(results[:, j])))
        if bad:
            raise InputError(None, "--outcome", f"'{o.label}' is undefined in {bad} of {len(results)} samples "
                             "(e.g. no family was offered a service); choose another outcome (finished runs are "
                             "kept, so rerunning with another --outcome costs no new runs)")
    ds = analyse(sp, results, plan.method, plan.seed)
    return _describe(ds, plan)


def _describe(ds: xr.Dataset, plan: SensitivityPlan) -> xr.Dataset:
    """Units, labels and run metadata on the indices Dataset."""
    rows = parameter_rows(plan.scenario.intervention_params)
    ds = ds.assign_coords(
        outcome=("output", [o.outcome for o in plan.outputs]), group=("output", [o.group for o in plan.outputs]),
        output_units=("output", [METRIC[o.outcome].unit for o in plan.outputs]),
        parameter_units=("parameter", [rows[n].unit for n in plan.names]))
    ds.attrs.update({
        "title": f"actlocally sensitivity: {plan.name}", "scenario": plan.scenario.name,
        "baseline": plan.baseline.name if plan.baseline else "", "area": plan.scenario.area,
        "output_is": "effect against the baseline (common random numbers)" if plan.baseline else "scenario level",
        "samples_n": plan.samples, "sample_count": plan.n_samples, "model_runs": plan.n_runs,
        "ranges": plan.ranges, "replicate": plan.replicate, "pupils_override": plan.pupils or 0,
        "actlocally_version": actlocally.__version__, "git_commit": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    return ds
