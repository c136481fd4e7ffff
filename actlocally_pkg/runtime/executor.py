"""One executor for every batch of runs: in-process, a Dask LocalCluster, or an existing Dask scheduler.

Tasks are small (a scenario, a seed, a replicate number); each worker builds its own model from them, so
nothing large is pickled per task. Results come back as they finish, in any order: callers key them by the
task, never by arrival, which is why results do not depend on the number of workers.
"""

from __future__ import annotations

import functools
import logging
import os
import resource
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def peak_memory_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker's environment before spawning it. Any value
# turns off glibc's adaptive mmap threshold, so each array over 128 KiB a model builds is a fresh mmap: on an
# England run (150 locality models) that was ~700,000 page faults and ~1.3 s of system time per 200k-pupil
# locality, doubling each task (issue 19: England 110 s -> see the bench). `None` removes it from the worker's
# environment; a variable the user sets in the environment still wins.
WORKER_ENVIRON_OFF = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
# A LocalCluster's workers run without a dashboard, so Dask's statistical profiler (a thread sampling every
# worker thread's stack every 10 ms, taking the GIL from the model each time) has no reader; its 20 ms event-loop
# tick and 100 ms memory poll need not be that fine for tasks of seconds. Together ~0.05 CPU s of other threads
# per CPU s of a locality task, and ~0.035 CPU s a second per idle worker (issue 19). Numbers are unaffected.
QUIET_WORKERS = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "500ms",
                 "distributed.worker.memory.monitor-interval": "1s"}


class Executor:
    """Runs `fn(item)` for many items and yields `(index, result)` as each finishes.

    `workers=0`: in-process, one after another (for debugging and profiling). `workers=N`: a Dask
    `LocalCluster` of N single-threaded worker processes. `scheduler="tcp://host:port"`: an existing Dask
    scheduler (for example one started by dask-jobqueue on a university cluster); `workers` is then ignored.
    Use as a context manager so the cluster is closed even after Ctrl-C.
    """

    def __init__(self, workers: int = 2, scheduler: str | None = None) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 (in-process) or more")
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self._cluster = None

    @property
    def in_process(self) -> bool:
        return self.scheduler is None and self.workers == 0

    def __enter__(self) -> Executor:
        if self.in_process:
            return self
        from dask.distributed import Client, LocalCluster

        if self.scheduler is not None:
            self.client = Client(self.scheduler)
        else:
            import dask

            # One thread per worker, numba's included: the workers already use every core, so a run's parallel
            # passes (model/mechanisms/day.py) would only contend. Without Dask's MALLOC_TRIM_THRESHOLD_ (see
            # `WORKER_ENVIRON_OFF`) each worker's malloc keeps glibc's adaptive thresholds; `QUIET_WORKERS`: no
            # profiler thread, slower housekeeping ticks.
            with dask.config.set({**WORKER_ENVIRON_OFF, **QUIET_WORKERS}):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None, silence_logs=logging.ERROR,
                                             worker_dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
            self.client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def n_workers(self) -> int:
        """Workers running tasks now (1 in-process)."""
        if self.client is None:
            return 1
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Yield `(i, fn(items[i]))` as each task finishes; a task's exception is raised here."""
        items = list(items)
        if self.client is None:
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        from dask.distributed import as_completed

        futures = self.client.map(functools.partial(_one_thread, fn), items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                result = future.result()
                yield index[future.key], result
                future.release()
        finally:
            for f in futures:
                f.cancel()

    def worker_peak_memory_mb(self) -> dict[str, float]:
        """Peak resident memory of each worker process (or of this process, in-process), in MB."""
        if self.client is None:
            return {"in-process": peak_memory_mb()}
        return self.client.run(peak_memory_mb)


def _one_thread(fn: Callable[[Any], Any], item: Any) -> Any:
    """Run a task with numba's parallel passes off in this thread: workers already fill the cores, and numba's
    default threading layer must not be entered from two worker threads at once (a remote scheduler's workers may
    run several tasks per process)."""
    import numba

    numba.config.reload_config()  # the worker's NUMBA_NUM_THREADS (1), read before its threads start: numba
    # re-reads it at every compile and refuses a value that differs from the one its threads started with
    numba.set_num_threads(1)
    return fn(item)


def default_workers() -> int:
    """Workers for a LocalCluster when none are asked for: the machine's cores."""
    return max(1, os.cpu_count() or 1)
