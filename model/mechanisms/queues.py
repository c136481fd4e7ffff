"""Every service's FIFO waiting list, intake credit and counts as rows of a few arrays (`QueueBank`).

One row per service, so a day's referrals and intake for all services run as one compiled call each
(`service_day.py`) instead of some sixteen Python calls. Rows start at an eighth of the population and double
(`QueueBank.make_room`, before a day's referrals) when the longest list plus the day's referrals would not fit.
`QueueView` gives one service's list the interface of a queue (`len`, `push`, `pop`, `withdraw`, `discard`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..state import NONE

# a service's counts, the columns of `QueueBank.stats` (`Service.stats` names them)
STAT_FIELDS = ("referred", "offered", "started", "dna", "wait_days", "queue_days", "balked", "withdrawn")


class QueueBank:
    """The waiting lists (client rows and the days they joined), head and tail, credit, capacity per school day
    and counts of every service, one row each."""

    def __init__(self, row_capacity: int) -> None:
        self.row_capacity = max(16, int(row_capacity))
        self.ids = np.empty((0, self.row_capacity), np.int32)
        self.days = np.empty((0, self.row_capacity), np.int32)
        self.head = np.zeros(0, np.int64)
        self.tail = np.zeros(0, np.int64)
        self.credit = np.zeros(0)  # places offered so far but not yet whole (a fractional place is not banked)
        self.per_day = np.zeros(0)  # capacity per school day: capacity per week / 5
        self.stats = np.zeros((0, len(STAT_FIELDS)), np.int64)

    @property
    def n(self) -> int:
        return self.head.size

    def make_room(self, extra: int) -> None:
        """Widen the rows (doubling) so every list can take `extra` more clients; a row's live part moves to its
        front when its end is reached (`push`), so the live length is what must fit."""
        need = int((self.tail - self.head).max(initial=0)) + int(extra)
        if need <= self.row_capacity:
            return
        cap = max(2 * self.row_capacity, need)
        for name in ("ids", "days"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], cap), np.int32)
            for s in range(old.shape[0]):  # each live part to the front of its new row
                live = old[s, self.head[s]:self.tail[s]]
                new[s, :live.size] = live
            setattr(self, name, new)
        self.tail -= self.head
        self.head[:] = 0
        self.row_capacity = cap

    def add_row(self) -> int:
        """A row for one more service (at set-up); returns its index."""
        self.ids = np.concatenate([self.ids, np.empty((1, self.row_capacity), np.int32)])
        self.days = np.concatenate([self.days, np.empty((1, self.row_capacity), np.int32)])
        self.head = np.append(self.head, 0)
        self.tail = np.append(self.tail, 0)
        self.credit = np.append(self.credit, 0.0)
        self.per_day = np.append(self.per_day, 0.0)
        self.stats = np.concatenate([self.stats, np.zeros((1, len(STAT_FIELDS)), np.int64)])
        return self.n - 1


@njit(cache=True)
def push(ids, days, head, tail, s, clients, day):
    """Append `clients` (joined on `day`) to list `s`, moving its live part to the front of the row if the end
    is reached. Order is kept."""
    n = clients.shape[0]
    row_ids, row_days = ids[s], days[s]
    if tail[s] + n > row_ids.shape[0]:
        live = tail[s] - head[s]
        if live + n > row_ids.shape[0]:
            raise ValueError("a waiting list outgrew its row (QueueBank.make_room was not called)")
        for r in range(live):
            row_ids[r] = row_ids[head[s] + r]
            row_days[r] = row_days[head[s] + r]
        head[s], tail[s] = 0, live
    t = tail[s]
    for j in range(n):
        row_ids[t + j] = clients[j]
        row_days[t + j] = day
    tail[s] = t + n


@njit(cache=True)
def compact(ids, days, head, tail, need, status):
    """Drop clients whose `need` is false from ids/days[head:tail] in place (order kept); mark them NONE. Returns
    how many were dropped."""
    w = head
    for r in range(head, tail):
        i = ids[r]
        if need[i]:
            ids[w] = i
            days[w] = days[r]
            w += 1
        else:
            status[i] = NONE
    return tail - w


class QueueView:
    """One service's waiting list in a `QueueBank`, with a queue's interface (for set-up, year ends and tests)."""

    def __init__(self, bank: QueueBank, index: int) -> None:
        self.bank = bank
        self.index = index

    def __len__(self) -> int:
        return int(self.bank.tail[self.index] - self.bank.head[self.index])

    def push(self, ids: np.ndarray, day: int) -> None:
        b = self.bank
        b.make_room(ids.size)
        push(b.ids, b.days, b.head, b.tail, self.index, np.ascontiguousarray(ids, np.int32), day)

    def discard(self, rows: np.ndarray) -> None:
        """Remove these clients wherever they wait (e.g. school leavers), keeping everyone else's order."""
        b, s = self.bank, self.index
        live = slice(b.head[s], b.tail[s])
        keep = ~np.isin(b.ids[s, live], rows)
        ids, days = b.ids[s, live][keep], b.days[s, live][keep]
        b.head[s], b.tail[s] = 0, ids.size
        b.ids[s, : ids.size], b.days[s, : ids.size] = ids, days

    def withdraw(self, need: np.ndarray, status: np.ndarray) -> int:
        """Remove every waiting client who no longer needs help (recovered), wherever they stand; returns how many."""
        b, s = self.bank, self.index
        n = compact(b.ids[s], b.days[s], b.head[s], b.tail[s], need, status)
        b.tail[s] -= n
        return n

    def pop(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `k` clients and the days they joined: views, valid until the next `push` or `discard`."""
        b, s = self.bank, self.index
        h = b.head[s]
        b.head[s] = h + k
        return b.ids[s, h:h + k], b.days[s, h:h + k]

