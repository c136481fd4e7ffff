"""Mechanism 5, services and queues: referrals join a FIFO queue; each day a service takes up to its capacity.

Capacity is new cases per week, spread over five school days (a fractional day's capacity is not banked).
An offered client may not attend (did-not-attend, more likely further from the service, less likely when the
service sits in their school's hub); a client who no longer needs help when reached is discharged at triage.
Waiting time (referral to offer) and queue length are recorded per service.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from ..rng import uniforms_for
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

    def pop(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids[self.head:self.head + k].copy()
        days = self.days[self.head:self.head + k].copy()
        self.head += k
        return ids, days


def take_from_queue(service, model, day: int) -> None:
    """Offer today's places to the front of `service`'s queue and start support for those who engage."""
    service.credit += service.capacity_per_week / 5.0
    k = min(int(service.credit), len(service.queue))
    service.credit -= int(service.credit)
    service.stats["queue_days"] += len(service.queue)
    if k == 0:
        return
    ids, joined = service.queue.pop(k)
    store_name, prefix, need = CATEGORIES[service.category]
    store = getattr(model, store_name)
    status = getattr(store, f"{prefix}_status")
    until = getattr(store, f"{prefix}_until")
    which = getattr(store, f"{prefix}_service")
    still = getattr(store, need)[ids] if need else np.ones(k, bool)
    family = ids if store_name == "families" else model.children.family[ids]
    client_school = model.families.hub_school[family] if store_name == "families" else model.children.school[ids]
    hosts = model.school_arrays.hosts.get(service.kind)
    coloc = (client_school >= 0) & hosts[np.maximum(client_school, 0)] if hosts is not None else np.zeros(k, bool)
    dist = np.where(coloc, HUB_DISTANCE_KM, model.families.distance_services_km[family])
    s = model.params.group("services")
    p_dna = expit(logit(s["p_dna"]) + s["b_dna_distance"] * (dist - model.params["population.median_distance_services_km"]))
    p_dna = p_dna * np.where(coloc, model.school_arrays.hub_dna_mult[np.maximum(client_school, 0)], 1.0)
    dna = uniforms_for(model.streams[f"service:{service.name}"], day, ids) < p_dna
    start = still & ~dna
    status[ids] = np.where(start, IN_SUPPORT, NONE)
    until[ids[start]] = day + service.support_days
    which[ids[start]] = service.index
    st = service.stats
    st["offered"] += k
    st["started"] += int(start.sum())
    st["dna"] += int((still & dna).sum())
    st["wait_days"] += int((day - joined).sum())


class ServiceNetwork:
    """The area's services, grouped by category, and the routing of referrals to them."""

    def __init__(self) -> None:
        self.services: list = []

    def add(self, service) -> None:
        service.index = len(self.services)
        self.services.append(service)

    def of_category(self, category: str) -> list:
        return [s for s in self.services if s.category == category]

    def of_kind(self, kind: str) -> list:
        return [s for s in self.services if s.kind == kind]

    def has(self, category: str) -> bool:
        return any(s.category == category for s in self.services)

    def refer(self, category: str, ids: np.ndarray, day: int, route: np.ndarray | None = None) -> None:
        """Queue referred clients: by per-client route (children) or to the category's first service."""
        if ids.size == 0:
            return
        if category in ("child_mh", "child_youth"):
            model = self.services[0].model
            routes = model.school_arrays.mh_route if category == "child_mh" else model.school_arrays.youth_route
            svc = routes[model.children.school[ids]]
            for s_idx in np.unique(svc):
                if s_idx >= 0:
                    self.services[s_idx].enqueue(ids[svc == s_idx], day)
        else:
            self.of_category(category)[0].enqueue(ids, day)
