"""`actlocally bench`: speed and memory of a district-sized year against a plain per-agent Mesa reference.

The reference is `model.reference.ReferenceModel`: the same model whose daily mechanisms loop over the Child and
Family agents in Python and call the same `*_row` rules (their plain-Python `.py_func`), with the model's own
interventions, queues, services and recording; tests/test_fused_day.py checks it gives the same numbers. It runs a
`reference_sample`-pupil population of the same scenario, timed per child-day.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import subprocess
import sys
import time

import numba
from actlocally.experiments.bench.population import bench_scenario
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms import day
from actlocally.model.reference import ReferenceModel


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time_reference(scenario: str, pupils: int, days: int, seed: int) -> float:
    """ns per child-day of the per-agent reference (`model.reference`: the same rules, per Mesa agent, in Python)
    on a `pupils`-sized population of the same scenario: the whole model step, as the timed run does."""
    ref = ReferenceModel(scenario, pupils=pupils, seed=seed)
    ref.child_agents  # noqa: B018 - make the agents before timing, as a per-agent model has them from the start
    gc.disable()
    t0 = time.perf_counter()
    for _ in range(days):
        ref.step()
    elapsed = time.perf_counter() - t0
    gc.enable()
    n = ref.children.n
    ref.release()
    return elapsed / (n * days) * 1e9


BUSY_LOOP = "import os\nos.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\nwhile True:\n    pass\n"


def _time_contended(scenario, repeats: int, all_threads: int) -> dict[int, float]:
    """Best wall time of the year on all threads and on one, alternating, while another process keeps one core
    busy (a shared machine): the day's passes should then be no slower than one thread."""
    busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    best = {all_threads: math.inf, 1: math.inf}
    try:
        for _ in range(max(1, repeats)):
            for threads in best:
                numba.set_num_threads(threads)
                model = LocalityModel(scenario)
                gc.disable()
                t0 = time.perf_counter()
                model.run()
                best[threads] = min(best[threads], time.perf_counter() - t0)
                gc.enable()
                model.release()
        return best
    finally:
        numba.set_num_threads(all_threads)
        busy.kill()
        busy.wait()


def run_benchmark(pupils: int = 100_000, reference_sample: int = 2000, reference_days: int = 30,
                  scenario: str = "baseline_bradford", repeats: int = 5) -> dict:
    """Measure build, JIT-warm run, per-child-day cost, memory and the per-agent reference.

    The run is timed on numba's threads (`threads`: all cores unless NUMBA_NUM_THREADS says otherwise) and on one
    thread (`*_one_thread`); the reference is single-threaded Python, as a per-agent Mesa model is.
    `run_s_contended` times the year on all threads while a busy-loop process holds one core (the day's passes
    then choose one thread, see `model/mechanisms/threads.py`), `run_s_one_thread_contended` on one thread beside
    the same process (the figure it should not exceed). Times are the best of `repeats` with the garbage
    collector off while timing (as timeit does): on a shared machine the minimum is the stable figure. The
    reference is timed after every run, not in a block at the end, so a change in the machine's load during the
    benchmark affects both sides of the speed-up alike.
    """
    warm = LocalityModel("baseline_holme_wood", pupils=500)  # compile or load cached kernels
    for _ in range(3):
        warm.step()
    day.step_day_in_parallel(warm, 3)  # and the parallel passes
    del warm
    gc.collect()
    all_threads = numba.get_num_threads()
    bench_sc = bench_scenario(scenario, pupils)  # the area rescaled to `pupils`, schools scaling with them
    build_s = math.inf
    run_s = {}  # threads -> best run time
    ref_ns = math.inf
    model = None
    for threads in sorted({1, all_threads}):
        for r in range(max(1, repeats)):
            numba.set_num_threads(threads)
            if model is not None:
                model.release()  # Mesa 3.3 keeps every model alive otherwise (mesa#3179): memory would grow
            model = None
            gc.collect()
            t0 = time.perf_counter()
            model = LocalityModel(bench_sc)
            build_s = min(build_s, time.perf_counter() - t0)
            gc.disable()
            t0 = time.perf_counter()
            model.run()
            run_s[threads] = min(run_s.get(threads, math.inf), time.perf_counter() - t0)
            gc.enable()
            ref_ns = min(ref_ns, _time_reference(scenario, reference_sample, reference_days, seed=r + 1))
    numba.set_num_threads(all_threads)
    contended_s = (_time_contended(bench_sc, min(repeats, 3), all_threads) if all_threads > 1
                   else {1: run_s[1]})
    n = model.children.n
    days = model.calendar.n_days
    ns = {k: v / (n * days) * 1e9 for k, v in run_s.items()}
    state_bytes = model.children.nbytes + model.families.nbytes
    t0 = time.perf_counter()
    model.agents_by_type  # noqa: B018 - the Child and Family agents are made on first access: time that too
    agents_s = time.perf_counter() - t0
    return {
        "pupils": int(n),
        "families": int(model.families.n),
        "schools": len(model.school_agents),
        "days": int(days),
        "threads": int(all_threads),
        "build_s": round(build_s, 3),
        "agents_s": round(agents_s, 3),
        "run_s": round(run_s[all_threads], 3),
        "ns_per_child_day": round(ns[all_threads], 1),
        "reference_ns_per_child_day": round(ref_ns, 1),
        "reference_sample": int(reference_sample),
        "speedup_vs_reference": round(ref_ns / ns[all_threads], 1),
        "run_s_one_thread": round(run_s[1], 3),
        "run_s_contended": round(contended_s[all_threads], 3),  # all threads, another process busy on one core
        "run_s_one_thread_contended": round(contended_s[1], 3),  # one thread, the same busy process
        "load_average": [round(x, 2) for x in os.getloadavg()],  # other tenants of the machine at the end
        "ns_per_child_day_one_thread": round(ns[1], 1),
        "speedup_one_thread": round(ref_ns / ns[1], 1),
        "reference_district_year_s": round(ref_ns * n * days / 1e9, 1),
        "repeats": int(repeats),
        "bytes_per_child": round(state_bytes / n, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
