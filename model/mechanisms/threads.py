"""How many threads the day's passes use: one, unless the machine has a free core for each and more measure faster.

On a shared machine another process may hold a core: two threads then wait on each other and a pass measured up to
3.5x slower than on one thread (issue 19). The numbers do not depend on the thread count (see `day._blocks`), so
the choice is free to follow the machine, each day in two steps:

1. **Free cores, now.** Linux counts the tasks ready to run at this instant (`/proc/loadavg`, fourth field); the
   cores the others leave bound today's threads. With another process busy on one of two cores the day runs on
   one thread, without trying two (a try under contention cost a day at up to 3.5x). Simplified: in a container
   pinned to some of a host's cores, the host's count is shared out over its cores in proportion.
2. **Measured cost.** Between one thread and the threads the free cores allow, the option whose moving average
   of wall time per row is lower is used, and the other is tried every `PROBE_EVERY` days, so that a change the
   count cannot see (another virtual machine on the same host) is noticed too.

numba's OpenMP workers wait passively between passes (`OMP_WAIT_POLICY`, set in `model/__init__.py` before the
OpenMP library loads): a spinning worker would take a core from the machine's other tenants and count as one of
them in step 1.
"""

from __future__ import annotations

import os

import numba

PROBE_EVERY = 16  # school days between tries of the option not in use (assumption: ~6% of days probe)
SMOOTHING = 0.3  # weight of the newest day in each option's moving average (assumption)
LOADAVG = "/proc/loadavg"


def other_runnable(path: str = LOADAVG) -> int | None:
    """Tasks other than the calling thread ready to run on the machine right now, or None where unknown.

    The fourth field of /proc/loadavg is "running/total": the running count includes the thread reading it.
    """
    try:
        with open(path, "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - 1)


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ThreadChoice:
    """The thread count for a model's next day, from the free cores now and the measured cost of recent days."""

    def __init__(self) -> None:
        self.cost: dict[int, float] = {}  # threads -> seconds per row, moving average
        self.days = 0
        self.cores = usable_cores()
        self.machine_cores = max(self.cores, os.cpu_count() or 1)

    def pick(self, rows: int, min_rows: int) -> int:
        """Threads for today's passes over `rows` rows (1 below `min_rows`, for a one-thread numba or without a
        free core for each thread)."""
        if rows < min_rows:
            return 1
        available = numba.get_num_threads()  # asked only for a large population: the call costs ~1-20 us
        if available < 2:
            return 1
        busy = other_runnable()
        if busy is not None:  # the count covers the machine: where this process may use only some cores (a
            # cpuset container), their expected share of the other tasks
            available = min(available, round(self.cores - busy * self.cores / self.machine_cores))
            if available < 2:
                return 1
        self.days += 1
        for option in (available, 1):
            if option not in self.cost:
                return option
        best = available if self.cost[available] <= self.cost[1] else 1
        if self.days % PROBE_EVERY == 0:
            return 1 if best == available else available
        return best

    def record(self, threads: int, seconds: float, rows: int) -> None:
        """Add a day's wall time for its passes on `threads` threads (days of a population `pick` chose for)."""
        per_row = seconds / rows
        old = self.cost.get(threads)
        self.cost[threads] = per_row if old is None else (1.0 - SMOOTHING) * old + SMOOTHING * per_row
