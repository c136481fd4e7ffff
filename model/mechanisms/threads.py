"""How many threads the day's passes use: whichever of one thread or all of numba's is measured faster.

On a shared machine the second core may be busy: two threads then wait on each other and a pass measured up to
3.5x slower than on one thread (issue 19). The numbers do not depend on the thread count (see `day._blocks`), so
the choice is free to follow the machine: each option's wall time per row is kept as a moving average, the faster
one is used, and the other is tried again every `PROBE_EVERY` days so a change in load is noticed.
"""

from __future__ import annotations

import numba

PROBE_EVERY = 16  # school days between tries of the option not in use (assumption: ~6% of days probe)
SMOOTHING = 0.3  # weight of the newest day in each option's moving average (assumption)


class ThreadChoice:
    """The thread count for a model's next day, from the measured cost of its recent days."""

    def __init__(self) -> None:
        self.cost: dict[int, float] = {}  # threads -> seconds per row, moving average
        self.days = 0

    def pick(self, rows: int, min_rows: int) -> int:
        """Threads for today's passes over `rows` rows (1 below `min_rows` or for a one-thread numba)."""
        if rows < min_rows:
            return 1
        available = numba.get_num_threads()  # asked only for a large population: the call costs ~1-20 us
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
        """Add a day's wall time for its passes (only days that had a choice, see `pick`)."""
        per_row = seconds / rows
        old = self.cost.get(threads)
        self.cost[threads] = per_row if old is None else (1.0 - SMOOTHING) * old + SMOOTHING * per_row
