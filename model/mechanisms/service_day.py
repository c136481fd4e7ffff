"""The services' day as compiled calls over all services at once: referrals joining the lists, then intake.

`refer_day` queues the day's referral lists (each category's in `REFERRAL_ORDER`: routed by school for
children, to the category's first service for families), each client joining with the balking probability of its
list's expected wait; `intake_day` withdraws recovered clients, adds each service's daily capacity to its credit and
offers the whole places to the front of its list (start support, or close as did-not-attend / no longer needed).
Services are taken in the order they were added, as one Python loop over them did, with the same named streams
(`referral:<service>` lane 0 for joining, `service:<service>` lane 0 for did-not-attend), so the numbers are the
same bit for bit. The lists and counts live in a `QueueBank` (`queues.py`); the per-service facts and the client
arrays they act on travel as a `ServiceTable`, rebuilt when services or schools change.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from ..rng import uniform
from ..state import IN_SUPPORT, NONE
from .queues import compact, push

HUB_DISTANCE_KM = 0.3  # assumption: a service in your child's school is a short walk away
ROUTED = (0, 1)  # categories (rows of `ServiceTable.status`) whose referrals are routed by school: child_mh, youth

# Per service (arrays by service index): category, kind (row of `hosts`), client rows are families, whether a
# client who no longer needs help is withdrawn, support length (school days), the two stream keys. Per category
# (tuples, categories in `services.CATEGORIES` order): status, until, service, need arrays. Then the client and
# school arrays and the constants.
ServiceTable = namedtuple("ServiceTable", (
    "category", "kind", "is_family", "use_need", "support_days", "service_key", "referral_key", "first_of_category",
    "status", "until", "which", "need",
    "child_school", "family_hub", "family_of", "distance_km", "hosts", "hub_dna_mult", "mh_route", "youth_route",
    "logit_p_dna", "b_distance", "median_km", "half_wait"))


@njit(cache=True)
def _join(key, day, ids, p_join, status):
    """The referrals `ids` whose uniform (lane 0 of row i: as `uniforms_for`) is below `p_join`, in order; the others
    go back to NONE."""
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


@njit(cache=True)
def route(ids, school, routes, n_services):
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


@njit(cache=True)
def _enqueue(t, ids, days, head, tail, per_day, stats, s, clients, day):
    """Service `s`'s referrals join its list, each with probability 1 / (1 + expected wait / half-wait).

    Assumption (common practice, not a published figure): referrers refer fewer and thresholds rise as waits
    lengthen, so a list settles where referrals balance capacity. Those who do not join go back to NONE.
    """
    n = clients.shape[0]
    stats[s, 0] += n
    live = tail[s] - head[s]
    wait = live / per_day[s] if per_day[s] > 0 else np.inf
    p_join = 1.0 / (1.0 + wait / t.half_wait)
    if p_join < 1.0:
        joined = _join(t.referral_key[s], day, clients, p_join, t.status[t.category[s]])
        stats[s, 6] += n - joined.shape[0]
        push(ids, days, head, tail, s, joined, day)
    else:
        push(ids, days, head, tail, s, clients, day)


@njit(cache=True)
def refer_day(t, ids, days, head, tail, per_day, stats, lists, order, day):
    """Queue the day's referral lists (`lists`: one per category, in row order) category by category in `order`."""
    n_services = head.shape[0]
    for c in order:
        clients = lists[c]
        if clients.shape[0] == 0:
            continue
        if c == ROUTED[0] or c == ROUTED[1]:
            routed, counts = route(clients, t.child_school, t.mh_route if c == ROUTED[0] else t.youth_route,
                                   n_services)
            start = 0
            for s in range(n_services):
                if counts[s]:
                    _enqueue(t, ids, days, head, tail, per_day, stats, s, routed[start:start + counts[s]], day)
                    start += counts[s]
        else:
            s = t.first_of_category[c]
            if s < 0:
                raise ValueError("referrals to a category without a service")
            _enqueue(t, ids, days, head, tail, per_day, stats, s, clients, day)


@njit(cache=True)
def intake_day(t, ids, days, head, tail, credit, per_day, stats, lo, hi, day):
    """Services `lo..hi-1`, in order: withdraw clients who no longer need help, add the day's capacity to the
    credit and offer its whole places to the front of the list."""
    for s in range(lo, hi):
        credit[s] += per_day[s]
        c = t.category[s]
        status = t.status[c]
        if t.use_need[s] and tail[s] > head[s]:
            gone = compact(ids[s], days[s], head[s], tail[s], t.need[c], status)
            tail[s] -= gone
            stats[s, 7] += gone
        live = tail[s] - head[s]
        whole = int(credit[s])
        k = min(whole, live)
        credit[s] -= whole
        stats[s, 5] += live
        if k == 0:
            continue
        h = head[s]
        head[s] = h + k
        family = t.is_family[s]
        _offer_kernel(t.service_key[s], day, ids[s, h:h + k], days[s, h:h + k], status, t.until[c], t.which[c],
                      t.need[c], t.use_need[s], t.family_of, family, t.family_hub if family else t.child_school,
                      t.hosts[t.kind[s]], t.hub_dna_mult, t.distance_km, t.logit_p_dna, t.b_distance, t.median_km,
                      t.support_days[s], s, stats[s, 1:5])
