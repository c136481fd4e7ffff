"""The day's family pass: food support, then the parent's wellbeing and Early Help, then engagement with school, for
each family (`day.step_day` runs it before the child pass).

It leaves each family's food insecurity and the parent's depression before and after today's step in one byte
(`FOOD`, `DEP_BEFORE`, `DEP_AFTER`) for the child pass: children's onset reads the parent's state before today's
step and attendance reads it after. The rules are `food_support.food_row`, `wellbeing.parent_wellbeing_row` and
`wellbeing.engagement_row`; `model/reference.py` runs the same per Family agent.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..rng import fill_uniforms
from ..state import IN_SUPPORT
from .atomic import take_block
from .blocks import DRAW_BLOCK, pack_referrals
from .food_support import food_row, food_stays
from .wellbeing import engagement_row, parent_stays, parent_wellbeing_row

FOOD, DEP_BEFORE, DEP_AFTER = 1, 2, 4  # bits of the per-family byte the family pass leaves for children


@njit(cache=True, fastmath=True, error_model="numpy")
def families_range(start, end, day, fs, sd, food, wb):
    """Food support then parent wellbeing for families `start..end-1` (`fs`: a `FamilyDay`, `sd`: a `SchoolDay`;
    `food`, `wb`: the mechanisms' records); referrals are written from row `start` of each list on. Returns the
    three counts.

    The arrays are taken out of their tuples before the loop: read from a tuple inside it, numba counts a
    reference to the array at each read (measured 2.7x slower).
    """
    (food_insecure, secure_until, food_status, food_until, hub_school, parent_depressed, parent_status, parent_until,
     help_status, help_until, _, _, food_onset, parent_onset, fam_state, food_refs, therapy_refs, help_refs) = fs
    seek_mult, hub_referral_mult = sd.food_seek_mult, sd.hub_referral_mult
    n_food = 0
    n_t = 0
    n_h = 0
    # Rows are written back only where they changed, and a `*_until` day is read only where a row's status
    # uses it (in support): most families have no service today, so their cache lines stay clean. Each block's
    # state draws (food, parent: lane 0 of each stream) are made first, vectorised, as in the child pass.
    # Then a short branch-free loop finds the families that may change today: one that both rules leave as it is
    # (`food_stays`, `parent_stays`, written beside them: about two in three on a school day) leaves its children a
    # byte of 0, so only the others take the full step (same numbers, ~0.75x the pass).
    u_food, u_parent = np.empty(DRAW_BLOCK), np.empty(DRAW_BLOCK)
    active = np.empty(DRAW_BLOCK, np.int64)  # the block's families that may change today
    for first in range(start, end, DRAW_BLOCK):
        m = min(DRAW_BLOCK, end - first)
        fill_uniforms(food.key, day, first, m, u_food)
        fill_uniforms(wb.parent_key, day, first, m, u_parent)
        n_active = 0
        for k_ in range(m):  # a quiet family keeps every value today: only the others take the full step below
            k, f = np.uintp(k_), np.uintp(first + k_)
            quiet = (food_stays(day, u_food[k], food_insecure[f], secure_until[f], food_status[f], food_onset[f])
                     & parent_stays(u_parent[k], parent_depressed[f], food_insecure[f], parent_status[f],
                                    help_status[f], parent_onset[f]))
            fam_state[f] = 0
            active[n_active] = k_
            n_active += not quiet
        for j in range(n_active):
            k_ = active[j]
            k = np.uintp(k_)
            row = first + k_
            f = np.uintp(row)  # unsigned: no negative-index wraparound on each array read
            hub = hub_school[f]
            was_insecure, status = food_insecure[f], food_status[f]
            insecure, secure, new_status, until, to_food = food_row(
                food, day, f, u_food[k], was_insecure, secure_until[f], status,
                food_until[f] if status == IN_SUPPORT else 0,
                seek_mult[hub] if hub >= 0 else 1.0, food_onset[f])
            if insecure != was_insecure:
                food_insecure[f] = insecure
            if new_status != status:  # support ended (protection starts) or referred
                food_status[f], food_until[f], secure_until[f] = new_status, until, secure
            if to_food:
                food_refs[start + n_food] = row
                n_food += 1
            before, p_status, h_status = parent_depressed[f], parent_status[f], help_status[f]
            after, new_p_status, p_until, new_h_status, h_until, to_therapy, to_help = parent_wellbeing_row(
                wb, food, day, f, u_parent[k], before, insecure, p_status,
                parent_until[f] if p_status == IN_SUPPORT else 0,
                h_status, help_until[f] if h_status == IN_SUPPORT else 0,
                hub_referral_mult[hub] if hub >= 0 else 1.0, parent_onset[f])
            if after != before:
                parent_depressed[f] = after
            if new_p_status != p_status:
                parent_status[f], parent_until[f] = new_p_status, p_until
            if new_h_status != h_status:
                help_status[f], help_until[f] = new_h_status, h_until
            if to_therapy:
                therapy_refs[start + n_t] = row
                n_t += 1
            if to_help:
                help_refs[start + n_h] = row
                n_h += 1
            fam_state[f] = (FOOD if insecure else 0) | (DEP_BEFORE if before else 0) | (DEP_AFTER if after else 0)
    return n_food, n_t, n_h


@njit(cache=True, fastmath=True, error_model="numpy")
def engagement_range(start, end, fs, food):
    """Engagement only needs each family's final Early Help status: a separate, branch-free (vectorisable) loop."""
    engagement, engagement_base, help_status = fs.engagement, fs.engagement_base, fs.help_status
    for row in range(start, end):
        f = np.uintp(row)
        engagement[f] = engagement_row(food, engagement[f], engagement_base[f], help_status[f] == IN_SUPPORT)


@njit(cache=True, parallel=True)
def families_parallel(threads, bounds, counts, day, fs, sd, food, wb):
    """The family pass over blocks of families on all threads (each takes the next free block); referral lists
    are then packed in row order."""
    n_blocks = bounds.shape[0] - 1
    next_block = np.empty(1, np.int64)  # np.zeros here would become a parallel loop of its own
    next_block[0] = 0
    for _ in prange(threads):  # a worker a thread (numba.get_num_threads() here would stop caching)
        k = take_block(next_block)
        while k < n_blocks:
            a, b = bounds[k], bounds[k + 1]
            counts[k, 0], counts[k, 1], counts[k, 2] = families_range(a, b, day, fs, sd, food, wb)
            engagement_range(a, b, fs, food)
            k = take_block(next_block)
    return (pack_referrals(bounds, counts, 0, fs.food_refs), pack_referrals(bounds, counts, 1, fs.therapy_refs),
            pack_referrals(bounds, counts, 2, fs.help_refs))
