"""`actlocally bench-batch`: throughput of a batch of locality-years through the Dask executor and the run store.

This is the strategist's and researcher's real workload (comparisons, sweeps, calibration): many small runs. It
times the whole path — workers building models, running a year, returning results, the checkpoint write — and
reports runs per minute, the projected time of a 4,000-run batch, and each worker's peak memory.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from actlocally.experiments.compare.comparison import RunSpec, simulate
from actlocally.model.scenario import load_scenario
from actlocally.runtime.executor import Executor
from actlocally.runtime.run_store import RunStore


def run_batch_benchmark(runs: int = 200, pupils: int = 5000, workers: int = 2,
                        scenario: str = "keighley_breakfast_and_food_hub") -> dict[str, float]:
    """Time `runs` one-year runs of `scenario` rescaled to `pupils`, after the workers have warmed up."""
    sc = load_scenario(scenario).model_copy(update={"years": 1})
    specs = [RunSpec(sc, 20261123, r, pupils) for r in range(runs)]
    with tempfile.TemporaryDirectory() as tmp, Executor(workers) as ex:
        store = RunStore(Path(tmp) / "runs.zarr")
        store.prepare(sc.name, "bench")
        n_warm = max(ex.n_workers, 1)  # one run per worker: imports and the numba cache load, not timed
        for _ in ex.map_unordered(simulate, [RunSpec(sc, 1, 10_000 + i, pupils) for i in range(n_warm)]):
            pass
        start = time.perf_counter()
        for i, ds in ex.map_unordered(simulate, specs):
            store.put(sc.name, specs[i].replicate, ds)
        elapsed = time.perf_counter() - start
        memory = ex.worker_peak_memory_mb()
    per_min = 60.0 * runs / elapsed
    return {"runs": runs, "pupils": pupils, "workers": workers, "elapsed_s": elapsed, "runs_per_minute": per_min,
            "projected_4000_runs_min": 4000 / per_min, "peak_worker_memory_mb": max(memory.values())}
