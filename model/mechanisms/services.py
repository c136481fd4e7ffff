"""Mechanism 5, services and queues: referrals join a FIFO queue; each day a service takes up to its capacity.

Capacity is new cases per week, spread over five school days (a fractional day's capacity is not banked).
An offered client may not attend (did-not-attend, more likely further from the service, less likely when the
service sits in their school's hub); a client who no longer needs help when reached is discharged at triage.
Waiting time (referral to offer) and queue length are recorded per service. A client who recovers while
waiting leaves the list wherever they stand (daily, before the intake); school leavers leave at the year's end;
referrals thin as the expected wait grows (balking), so lists reach a steady state. The day's referrals and
intake for all services are one compiled call each (`service_day.py`); the lists live in a `QueueBank` (`queues.py`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit

from .queues import STAT_FIELDS, QueueBank, QueueView
from .service_day import HUB_DISTANCE_KM, ServiceTable, intake_day, refer_day

__all__ = ["CATEGORIES", "HUB_DISTANCE_KM", "KINDS", "REFERRAL_ORDER", "STAT_FIELDS", "QueueView",
           "ServiceNetwork"]

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
REFERRAL_ORDER = ("family_food", "child_youth", "child_mh", "parent_mh", "family_help")  # queued in this order
_NO_CLIENTS = np.empty(0, np.int32)


class ServiceNetwork:
    """The area's services, grouped by category, their waiting lists (`bank`) and the routing of referrals."""

    def __init__(self) -> None:
        self.services: list = []
        self._first: dict[str, object] = {}  # category -> its first service (where unrouted referrals go)
        self.bank: QueueBank | None = None  # made with the first service (it knows the population's size)
        self._table: tuple | None = None  # (school arrays, services, ServiceTable) it was built for
        self._order = np.array([list(CATEGORIES).index(c) for c in REFERRAL_ORDER], np.int64)

    def add(self, service) -> None:
        """Add a service (at set-up): it gets the next index and a row of the bank for its list and counts."""
        if self.bank is None:
            m = service.model
            self.bank = QueueBank(max(m.children.n, m.families.n) // 8)
        service.index = self.bank.add_row()
        assert service.index == len(self.services)
        self.services.append(service)
        self._first.setdefault(service.category, service)
        service.capacity_per_week = service.capacity_per_week  # its daily capacity into the bank

    def of_category(self, category: str) -> list:
        return [s for s in self.services if s.category == category]

    def of_kind(self, kind: str) -> list:
        return [s for s in self.services if s.kind == kind]

    def has(self, category: str) -> bool:
        return category in self._first

    def waiting(self) -> int:
        """Clients on all waiting lists now."""
        return int((self.bank.tail - self.bank.head).sum()) if self.services else 0

    def table(self) -> ServiceTable:
        """The kernels' per-service facts and client arrays; rebuilt when the schools are refreshed or a service
        is added (a daily build would cost more than the intake itself)."""
        model = self.services[0].model
        schools = model.school_arrays
        if self._table is not None and self._table[0] is schools and self._table[1] == len(self.services):
            return self._table[2]
        c, f, p = model.children, model.families, model.params
        cats = [(getattr(model, store), prefix, need) for store, prefix, need in CATEGORIES.values()]
        kinds = list(KINDS)
        table = ServiceTable(
            np.array([list(CATEGORIES).index(s.category) for s in self.services], np.int64),
            np.array([kinds.index(s.kind) for s in self.services], np.int64),
            np.array([CATEGORIES[s.category][0] == "families" for s in self.services], bool),
            np.array([CATEGORIES[s.category][2] is not None for s in self.services], bool),
            np.array([s.support_days for s in self.services], np.int64),
            np.array([model.streams[f"service:{s.name}"] for s in self.services], np.uint64),
            np.array([model.streams[f"referral:{s.name}"] for s in self.services], np.uint64),
            np.array([self._first[k].index if k in self._first else -1 for k in CATEGORIES], np.int64),
            tuple(getattr(st, f"{prefix}_status") for st, prefix, _ in cats),
            tuple(getattr(st, f"{prefix}_until") for st, prefix, _ in cats),
            tuple(getattr(st, f"{prefix}_service") for st, prefix, _ in cats),
            # with no need field, any bool array stands in: the kernel does not read it (use_need is False)
            tuple(getattr(st, need) if need else f.low_income for st, _, need in cats),
            c.school, f.hub_school, c.family, f.distance_services_km,
            np.stack([schools.hosts.get(k, schools.no_hosts) for k in kinds]), schools.hub_dna_mult,
            schools.mh_route, schools.youth_route, float(logit(p["services.p_dna"])),
            float(p["services.b_dna_distance"]), float(p["population.median_distance_services_km"]),
            float(p["services.wait_half_referral_days"]))
        self._table = (schools, len(self.services), table)
        return table

    def refer_all(self, day: int, referrals: dict[str, np.ndarray]) -> None:
        """Queue the day's referrals (contiguous int32 client rows by category, each list in row order) in
        `REFERRAL_ORDER`: one compiled call for all services (`service_day.refer_day`); none on a day without any."""
        lists = tuple(referrals.get(k, _NO_CLIENTS) for k in CATEGORIES)
        total = sum(ids.size for ids in lists)
        if not self.services or total == 0:
            return
        b = self.bank
        b.make_room(total)
        refer_day(self.table(), b.ids, b.days, b.head, b.tail, b.per_day, b.stats, lists, self._order, day)

    def refer(self, category: str, ids: np.ndarray, day: int) -> None:
        """Queue referred clients of one category: by per-client route (children) or to its first service."""
        self.refer_all(day, {category: np.ascontiguousarray(ids, np.int32)})

    def take_from_queues(self, day: int, lo: int = 0, hi: int | None = None) -> None:
        """Today's intake of services `lo..hi-1` (all by default), in the order they were added: one compiled
        call (`service_day.intake_day`)."""
        if not self.services:
            return
        b = self.bank
        intake_day(self.table(), b.ids, b.days, b.head, b.tail, b.credit, b.per_day, b.stats, lo,
                   len(self.services) if hi is None else hi, day)
