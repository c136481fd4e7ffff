"""`actlocally bench --scale england`: a year of England (~9M pupils in ~150 localities) on the executor.

Times the whole path a user runs (`actlocally run scenarios/baseline_england.toml`): the cluster starting, each
worker building, running and freeing its localities, the gather into one Dataset with a `locality` dimension.
Peak memory is sampled every 0.2 s as the resident memory of this process and all its children together (the
figure that must stay under 4 GiB), besides each worker's own peak. The machine's load average is reported at
the start and the end, and the workers' CPU seconds (build, run and imports): on a shared machine the wall time
means little without them.
"""

from __future__ import annotations

import os
import threading
import time

import psutil
from actlocally.experiments.scale.run import run_partitioned
from actlocally.model.calendar import DAYS_PER_YEAR
from actlocally.model.scenario import load_scenario
from actlocally.runtime.executor import Executor, default_workers, peak_memory_mb


class MemorySampler:
    """Samples the resident memory of this process tree in a background thread; `peak_mb` is the largest sum."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> float:
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:  # a process that ended between listing and reading
                continue
        return total / 2**20

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._sample())


def run_england_benchmark(scenario: str = "baseline_england", workers: int | None = None,
                          pupils: int | None = None, scheduler: str | None = None) -> dict:
    """Time one year of a partitioned scenario through the executor and measure the process tree's peak memory."""
    sc = load_scenario(scenario)
    if pupils is not None:
        sc = sc.model_copy(update={"pupils": pupils})
    workers = default_workers() if workers is None else workers
    load_start = os.getloadavg()
    with MemorySampler() as memory:
        t0 = time.perf_counter()
        with Executor(workers, scheduler) as ex:
            started = time.perf_counter()
            ds = run_partitioned(sc, executor=ex)
            run_s = time.perf_counter() - started
            worker_peaks = ex.worker_peak_memory_mb()
            worker_cpu = ex.client.run(time.process_time) if ex.client is not None else {"here": time.process_time()}
        elapsed = time.perf_counter() - t0
    pupils_run = int(ds.attrs["pupils_simulated"])
    days = DAYS_PER_YEAR * int(ds.sizes["year"])
    return {
        "scale": "england",
        "scenario": sc.name,
        "pupils": pupils_run,
        "localities": int(ds.sizes["locality"]),
        "largest_locality_pupils": int(ds["locality_pupils"].max()),
        "days": days,
        "workers": int(ex.n_workers if scheduler else workers),
        "cores": os.cpu_count(),
        "elapsed_s": round(elapsed, 2),
        "run_s": round(run_s, 2),
        "cluster_start_s": round(started - t0, 2),
        "ns_per_child_day_wall": round(run_s / (pupils_run * days) * 1e9, 1),
        "worker_cpu_s": round(sum(worker_cpu.values()), 1),
        "cpu_ns_per_child_day": round(sum(worker_cpu.values()) / (pupils_run * days) * 1e9, 1),
        "peak_memory_mb": round(memory.peak_mb, 1),
        "peak_worker_memory_mb": round(max(worker_peaks.values()), 1),
        "peak_main_memory_mb": round(peak_memory_mb(), 1),
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "target_elapsed_s": 60,
        "target_peak_memory_mb": 4096,
    }
