"""Mechanism 5, services and queues: referrals join a FIFO queue; each day a service takes up to its capacity.

Capacity is new cases per week, spread over five school days (a fractional day's capacity is not banked).
An offered client may not attend (did-not-attend, more likely further from the service, less likely when the
service sits in their school's hub); a client who no longer needs help when reached is discharged at triage.
Waiting time (referral to offer) and queue length are recorded per service. A client who recovers while
waiting leaves the list wherever they stand (daily, before the intake); school leavers leave at the year's end;
referrals thin as the expected wait grows (`balk`), so lists reach a steady state.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.special import logit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE

# category -> (array store on the model, field prefix, field that says the client still needs help)
CATEGORIES = {
    "child_mh": ("children", "mh", "difficulty"),
    "child_youth": ("children", "youth", None),
    "parent_mh": ("families", "parent", "parent_depressed"),
    "family_help": ("families", "help", None),
    "family_food": ("families", "food", "food_insecure"),
}
# service kind -> (category, parameter giving its support length)
KINDS = {
    "mhst": ("child_mh", "services.support_days_mhst"),
    "camhs": ("child_mh", "services.support_days_camhs"),
    "youth_service": ("child_youth", "services.support_days_youth"),
    "talking_therapies": ("parent_mh", "services.support_days_talking_therapies"),
    "early_help": ("family_help", "services.support_days_early_help"),
    "food_support": ("family_food", "services.support_days_food"),
}
HUB_DISTANCE_KM = 0.3  # assumption: a service in your child's school is a short walk away


class Queue:
    """A FIFO of client rows with the day each joined; compacted as it drains."""

    def __init__(self, capacity_hint: int) -> None:
        self.ids = np.empty(max(16, capacity_hint), np.int32)
        self.days = np.empty_like(self.ids)
        self.head = 0
        self.tail = 0

    def __len__(self) -> int:
        return self.tail - self.head

    def push(self, ids: np.ndarray, day: int) -> None:
        n = ids.size
        if self.tail + n > self.ids.size:
            live = len(self)
            if live + n > self.ids.size:
                grow = max(self.ids.size * 2, live + n)
                self.ids = np.resize(self.ids, grow)
                self.days = np.resize(self.days, grow)
            self.ids[:live] = self.ids[self.head:self.tail]
            self.days[:live] = self.days[self.head:self.tail]
            self.head, self.tail = 0, live
        self.ids[self.tail:self.tail + n] = ids
        self.days[self.tail:self.tail + n] = day
        self.tail += n

    def discard(self, rows: np.ndarray) -> None:
        """Remove these clients wherever they wait (e.g. school leavers), keeping everyone else's order."""
        live = slice(self.head, self.tail)
        keep = ~np.isin(self.ids[live], rows)
        ids, days = self.ids[live][keep], self.days[live][keep]
        self.head, self.tail = 0, ids.size
        self.ids[: ids.size], self.days[: ids.size] = ids, days

    def withdraw(self, need: np.ndarray, status: np.ndarray) -> int:
        """Remove every waiting client who no longer needs help (recovered), wherever they stand; returns how many."""
        n = _compact(self.ids, self.days, self.head, self.tail, need, status)
        self.tail -= n
        return n

    def pop(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `k` clients and the days they joined: views, valid until the next `push` or `discard`."""
        ids = self.ids[self.head:self.head + k]
        days = self.days[self.head:self.head + k]
        self.head += k
        return ids, days


@njit(cache=True)
def _compact(ids, days, head, tail, need, status):
    """Drop clients whose `need` is false from ids/days[head:tail] in place (order kept); mark them NONE."""
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


def balk(service, model, ids: np.ndarray, day: int) -> np.ndarray:
    """The referrals that join the list: each joins with probability 1 / (1 + expected wait / half-wait).

    Assumption (common practice, not a published figure): referrers refer fewer and thresholds rise as waits
    lengthen, so a list settles where referrals balance capacity. Those who do not join go back to NONE.
    One uniform per referred client on the service's own stream.
    """
    half = model.params["services.wait_half_referral_days"]
    per_day = service.capacity_per_week / 5.0
    wait = len(service.queue) / per_day if per_day > 0 else np.inf
    p_join = 1.0 / (1.0 + wait / half)
    if p_join >= 1.0:
        return ids
    store_name, prefix, _ = CATEGORIES[service.category]
    joined = _join(model.streams[f"referral:{service.name}"], day, ids, p_join,
                   getattr(getattr(model, store_name), f"{prefix}_status"))
    service.stats["balked"] += int(ids.size - joined.size)
    return joined


@njit(cache=True)
def _join(key, day, ids, p_join, status):
    """The referrals `ids` whose uniform (lane 0 of row i: as `uniforms_for`) is below `p_join`, in order; the others
    go back to NONE. One call, where numpy's steps took ~15 us a referral list (issue 19)."""
    out = np.empty_like(ids)
    n = 0
    for j in range(ids.shape[0]):
        i = ids[j]
        if uniform(key, day, np.int64(i), 0) < p_join:
            out[n] = i
            n += 1
        else:
            status[i] = NONE
    return out[:n]


@njit(cache=True, fastmath=True, error_model="numpy")
def _offer_kernel(key, day, ids, joined, status, until, which, need, use_need, family_of, is_family, client_school,
                  hosts, hub_dna_mult, distance_km, logit_p_dna, b_distance, median_km, support_days, service_index,
                  stats):
    """Offer places to `ids` (front of the queue): start support, or close as did-not-attend / no longer needed."""
    for j in range(ids.shape[0]):
        i = ids[j]
        f = i if is_family else family_of[i]
        s = client_school[i]
        coloc = s >= 0 and hosts[s]
        dist = HUB_DISTANCE_KM if coloc else distance_km[f]
        p = 1.0 / (1.0 + math.exp(-(logit_p_dna + b_distance * (dist - median_km))))
        if coloc:
            p *= hub_dna_mult[s]
        still = need[i] if use_need else True
        dna = uniform(key, day, i, 0) < p
        if still and not dna:
            status[i] = IN_SUPPORT
            until[i] = day + support_days
            which[i] = service_index
            stats[1] += 1
        else:
            status[i] = NONE
            if still:
                stats[2] += 1
        stats[3] += day - joined[j]
    stats[0] += ids.shape[0]


def _offer_args(service, model) -> tuple:
    """The offer kernel's arguments after the clients: the stream key, the client arrays, the schools' hub
    arrays and the constants. Fixed until the schools are refreshed, so built once per refresh (a daily call per
    service adds up: ~10 us each on a 100,000-pupil district)."""
    cached = getattr(service, "_offer_args", None)
    if cached is not None and cached[0] is model.school_arrays:
        return cached[1]
    s = model.params.group("services")
    store_name, prefix, need = CATEGORIES[service.category]
    store = getattr(model, store_name)
    is_family = store_name == "families"
    schools = model.school_arrays
    args = (model.streams[f"service:{service.name}"], getattr(store, f"{prefix}_status"),
            getattr(store, f"{prefix}_until"), getattr(store, f"{prefix}_service"),
            # with no need field, any bool array stands in: the kernel does not read it (use_need is False)
            getattr(store, need) if need else model.families.low_income, need is not None,
            model.children.family, is_family, model.families.hub_school if is_family else model.children.school,
            schools.hosts.get(service.kind, schools.no_hosts), schools.hub_dna_mult,
            model.families.distance_services_km, float(logit(s["p_dna"])), float(s["b_dna_distance"]),
            float(model.params["population.median_distance_services_km"]), service.support_days, service.index)
    service._offer_args = (schools, args)
    return args


def take_from_queue(service, model, day: int) -> None:
    """Offer today's places to the front of `service`'s queue and start support for those who engage."""
    service.credit += service.capacity_per_week / 5.0
    store_name, prefix, need = CATEGORIES[service.category]
    if need is not None and len(service.queue):
        store = getattr(model, store_name)
        service.stats["withdrawn"] += service.queue.withdraw(getattr(store, need), getattr(store, f"{prefix}_status"))
    k = min(int(service.credit), len(service.queue))
    service.credit -= int(service.credit)
    service.stats["queue_days"] += len(service.queue)
    if k == 0:
        return
    ids, joined = service.queue.pop(k)
    key, *args = _offer_args(service, model)
    stats = service._offer_stats
    stats[:] = 0
    _offer_kernel(key, day, ids, joined, *args, stats)
    st = service.stats
    st["offered"] += int(stats[0])
    st["started"] += int(stats[1])
    st["dna"] += int(stats[2])
    st["wait_days"] += int(stats[3])


@njit(cache=True)
def _route(ids, school, routes, n_services):
    """Referred children grouped by the service their school routes them to (in referral order within each),
    and how many go to each service; children whose school has no route (-1) are dropped."""
    counts = np.zeros(n_services, np.int64)
    for j in range(ids.shape[0]):
        r = routes[school[ids[j]]]
        if r >= 0:
            counts[r] += 1
    start = np.zeros(n_services, np.int64)
    for k in range(1, n_services):
        start[k] = start[k - 1] + counts[k - 1]
    out = np.empty(ids.shape[0], ids.dtype)
    for j in range(ids.shape[0]):
        r = routes[school[ids[j]]]
        if r >= 0:
            out[start[r]] = ids[j]
            start[r] += 1
    return out, counts


class ServiceNetwork:
    """The area's services, grouped by category, and the routing of referrals to them."""

    def __init__(self) -> None:
        self.services: list = []
        self._first: dict[str, object] = {}  # category -> its first service (where unrouted referrals go)

    def add(self, service) -> None:
        service.index = len(self.services)
        self.services.append(service)
        self._first.setdefault(service.category, service)

    def of_category(self, category: str) -> list:
        return [s for s in self.services if s.category == category]

    def of_kind(self, kind: str) -> list:
        return [s for s in self.services if s.kind == kind]

    def has(self, category: str) -> bool:
        return category in self._first

    def refer(self, category: str, ids: np.ndarray, day: int) -> None:
        """Queue referred clients: by per-client route (children) or to the category's first service."""
        if ids.size == 0:
            return
        if category in ("child_mh", "child_youth"):
            model = self.services[0].model
            routes = model.school_arrays.mh_route if category == "child_mh" else model.school_arrays.youth_route
            routed, counts = _route(ids, model.children.school, routes, len(self.services))
            start = 0
            for s_idx, n in enumerate(counts):
                if n:
                    self.services[s_idx].enqueue(routed[start:start + n], day)
                    start += n
        else:
            self._first[category].enqueue(ids, day)
