"""One school day of all the array mechanisms in two fused passes: families, then children. This is the model.

`MECHANISMS` (below) lists the mechanisms in the order each row goes through them; each one's rule is a `*_row`
function in its own module (inlined here), taking its mechanism's named record (`records.py`: the group's rows of
parameters.toml plus derived values) and one row's state. This module only wires them together, in two passes:

1. **families** (`family_pass.py`): food support, parent wellbeing, then engagement, for each family. Children's
   onset reads the parent's state *before* today's parent step and attendance reads it *after*, so the pass writes
   both, with today's food insecurity, into one byte per family (`FOOD`, `DEP_BEFORE`, `DEP_AFTER`). A family
   that cannot change today skips the full step (see there).
2. **children**: hunger, neighbourhood exposure, child wellbeing, attendance and learning for each child, and
   the day's counts (sessions, absences by class, hungry children, the largest exposure stock). Every rule
   reads only that child's own row, its family's and yesterday's class absences, so doing one child at a time
   gives the same result as doing one mechanism at a time. A child whose presence draw the bound without exp
   does not decide (about 7%) finishes its attendance and learning after the loop (`absences.py`); the hungry
   counts, the largest stock and the possible sessions are taken after it too (`counts.py`).

Both passes take their rows in blocks of `DRAW_BLOCK`: a block's state draws (lane 0 of the hunger, wellbeing,
presence and exposure streams; food and parent in the family pass) are made first, in short loops the compiler
vectorises (several rows' hashes at once), then its rows are stepped one by one reading them. A draw is a pure
function of its counter (`rng.uniform`), so this gives the same numbers; the rules take their draw as an argument
(`u_state`, `u_event`, `u`) and make only their rare second draws (referrals, absence reasons) themselves.

The arrays reach the passes by name too (`FamilyDay`, `ChildDay`, built in `day_args.py`); the child rules' records
travel as a `ChildRules`.
`model/reference.py` runs the same rules in plain Python (`.py_func`) per Mesa agent; tests/test_fused_day.py
checks that it gives the same numbers, bit for bit.

For a large population both passes run over blocks of rows on numba's threads (or on one thread while that
measures faster, e.g. when another process holds a core: `threads.py`), each thread taking the next free block
(`atomic.take_block`: a busy core on a shared machine no longer holds the other back); counts
are whole numbers, so summing the blocks' counts gives the same figures whatever the thread count or order.
Row loops index arrays with unsigned row numbers (`np.uintp`): with a signed index numba adds a negative-index
check to every array read. Numba's cache is keyed by a hash of the model's source (`model/jit_cache.py`), so an
edited rule is recompiled.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, prange

from ..rng import fill_uniforms, surely_below_sigmoid
from ..state import IN_SUPPORT
from .absences import BLURRED, FEMALE, FSM, KS2, OLDER, SECONDARY, finish_attendance, learn
from .atomic import take_block
from .attendance import PRIMARY_YEARS, attendance_args, attendance_base, attendance_logit, end_attendance, lingering_row
from .blocks import DRAW_BLOCK, pack_referrals, sum_blocks
from .counts import day_counts
from .day_args import ChildRules, child_day, constant_records, family_day, school_day
from .family_pass import DEP_AFTER, DEP_BEFORE, FOOD, engagement_range, families_parallel, families_range
from .hunger import hunger_row
from .learning import learning_args
from .neighbourhood import MIN_YEAR_GROUP, ExposureArgs, exposure_row
from .services import REFERRAL_ORDER  # noqa: F401 - model/reference.py reads it here
from .wellbeing import child_wellbeing_row, wellbeing_args

# The daily mechanisms, in the order each row goes through them (families first, then children). This is the one
# place the order is written; `step_day` (fused) and `model.reference` (per agent, in plain Python) both follow it.
MECHANISMS = ("food_support", "parent_wellbeing", "engagement", "hunger", "neighbourhood", "child_wellbeing",
              "attendance", "learning")
# the bits of the per-family byte the family pass leaves for children (FOOD, DEP_*) are in family_pass.py, those of
# the per-child byte of facts (`refresh_child_facts`) in absences.py

def refresh_child_facts(model) -> None:
    """Pack the per-child facts the child pass reads and that change only between school years (sex, FSM,
    year group, uncorrected sight without glasses) into one byte per child.

    Called with the other per-year refreshes (`LocalityModel.refresh_schools`: set-up, interventions' set-up,
    year progression); after changing any of these by hand mid-run, call `model.refresh_schools()`, as for the
    attendance fixed log-odds.
    """
    c = model.children
    facts = np.where(c.female, FEMALE, 0) | np.where(c.fsm, FSM, 0) | np.where(c.year_group >= MIN_YEAR_GROUP, OLDER, 0)
    facts |= np.where(c.year_group >= PRIMARY_YEARS, SECONDARY, 0)
    facts |= np.where((c.year_group >= 3) & (c.year_group < PRIMARY_YEARS), KS2, 0)
    facts |= np.where(c.vision_uncorrected & ~c.wears_glasses, BLURRED, 0)
    model.child_facts = facts.astype(np.uint8)


@njit(cache=True, fastmath=True, error_model="numpy")
def _children_range(start, end, block, day, cs, sd, hunger, exp, wb, att, learning, class_absent):
    """Hunger, exposure, wellbeing, attendance and learning for children `start..end-1`, and the day's counts.

    `cs` is a `ChildDay` and `sd` a `SchoolDay` (the arrays, taken out of their tuples before the loop, as in
    `family_pass.families_range`), then the mechanisms' records (a `ChildRules`, unpacked: numba's parallel loops
    do not take a tuple of tuples). Referrals are written from row `start` of each list on; today's absences by
    class go to row `block` of `class_absent` (blocks x classes; whole numbers, so summing the rows in any order
    gives the same figures). Returns (youth referrals, mental-health referrals, absences, hungry children, hungry
    FSM, hungry girls, the largest exposure stock).
    """
    (family, facts, school, class_id, fixed, at_breakfast, hungry, difficulty, lingering, present, exposure, mh_status,
     mh_until, youth_status, youth_until, service_days, attainment_z, term_possible, term_attended, term_illness,
     fam_state, engagement, youth_refs, mh_refs) = cs
    youth_route, mh_route, mh_mult, value_added, class_absence = (sd.youth_route, sd.mh_route, sd.mh_referral_mult,
                                                                   sd.learning_offset_per_day, sd.class_absence)
    mh_team, followup, club_share = sd.mh_team, sd.absence_followup, sd.class_club_share
    absent_by_class = class_absent[block]
    absent_by_class[:] = 0.0
    n_youth = 0
    n_mh = 0
    late = np.empty(end - start, np.int64)  # children whose presence the bound left undecided, and their log-odds
    late_logit = np.empty(end - start)
    n_late = 0
    # each block's state draws (hunger, wellbeing, presence, exposure: lane 0 of each stream) first, in short loops
    # the compiler vectorises, then its children one by one
    u_hunger, u_wb, u_att, u_exp = (np.empty(DRAW_BLOCK), np.empty(DRAW_BLOCK), np.empty(DRAW_BLOCK),
                                    np.empty(DRAW_BLOCK))
    for first in range(start, end, DRAW_BLOCK):
        m = min(DRAW_BLOCK, end - first)
        fill_uniforms(hunger.key, day, first, m, u_hunger)
        fill_uniforms(wb.key, day, first, m, u_wb)
        fill_uniforms(att.key, day, first, m, u_att)
        if exp.use:
            fill_uniforms(exp.key, day, first, m, u_exp)
        for k_ in range(m):
            k = np.uintp(k_)
            row = first + k_
            # row numbers as unsigned integers: indexing needs no negative-index wraparound (a select per array read)
            i = np.uintp(row)
            f, s, fact = np.uintp(family[i]), np.uintp(school[i]), facts[i]
            c = np.uintp(class_id[i])
            # attendance's log-odds before this child's own state: started first, it overlaps the steps below
            x = attendance_base(att, fixed[i], engagement[f], class_absence[c])
            state = fam_state[f]
            food = (state & FOOD) != 0
            # hunger
            h = hunger_row(hunger, u_hunger[k], food, at_breakfast[i])
            hungry[i] = h
            # neighbourhood
            e = exposure[i]
            youth = youth_status[i]
            if exp.use:
                e, new_youth, until, to_youth = exposure_row(
                    exp, day, i, u_exp[k], (fact & OLDER) != 0, e, youth, youth_until[i] if youth == IN_SUPPORT else 0,
                    youth_route[s] >= 0)
                exposure[i] = e
                if new_youth != youth:  # support ended or referred (as in the family pass, write only changes)
                    youth_status[i], youth_until[i], youth = new_youth, until, new_youth
                if to_youth:
                    youth_refs[start + n_youth] = row
                    n_youth += 1
            # wellbeing
            was_difficult, mh = difficulty[i], mh_status[i]
            d, new_mh, until, supported, to_mh = child_wellbeing_row(
                wb, day, i, u_wb[k], (fact & SECONDARY) != 0, (fact & FEMALE) != 0, (fact & FSM) != 0, e, was_difficult,
                mh, mh_until[i] if mh == IN_SUPPORT else 0, youth == IN_SUPPORT, (state & DEP_BEFORE) != 0, food,
                mh_route[s] >= 0, mh_mult[s])
            if d != was_difficult:
                difficulty[i] = d
            linger = np.float32(0.0)
            if att.linger:  # the part of the penalty that outlasts a lifted difficulty (off by default)
                linger = lingering_row(att, was_difficult, d, lingering[i])
                lingering[i] = linger  # unconditional: a store on a coin-flip branch cost more (mispredicts)
            if new_mh != mh:
                mh_status[i], mh_until[i] = new_mh, until
            if supported:
                service_days[i] += 1
            if to_mh:
                mh_refs[start + n_mh] = row
                n_mh += 1
            # attendance: the draw's certain successes learn here, the rest after the loop (`finish_attendance`)
            x = attendance_logit(att, x, d, linger, (state & DEP_AFTER) != 0, h, not present[i], e,
                                 (fact & SECONDARY) != 0, new_mh == IN_SUPPORT and mh_team[s], followup[s])
            if surely_below_sigmoid(u_att[k], x):
                present[i] = True
                term_attended[i] += 2
                learn(learning, i, True, h, d, fact, s, c, value_added, at_breakfast, club_share, attainment_z)
            else:
                late[n_late] = row
                late_logit[n_late] = x
                n_late += 1
    n_absent = finish_attendance(late, late_logit, n_late, day, att, learning, cs, sd, absent_by_class)
    n_hungry, n_hungry_fsm, n_hungry_girls, exposure_max = day_counts(start, end, facts, hungry, exposure,
                                                                      term_possible, exp.use)
    return n_youth, n_mh, n_absent, n_hungry, n_hungry_fsm, n_hungry_girls, exposure_max


@njit(cache=True, parallel=True)
def _children_parallel(threads, bounds, day, cs, sd, hunger, exp, wb, att, learning, class_absent, absent_by_class):
    """The child pass over blocks of children on all threads, then the blocks' figures put together: referral
    lists packed in row order, counts summed, absences by class summed into `absent_by_class`. Returns what
    `_children_range` returns for all rows."""
    n_blocks = bounds.shape[0] - 1
    counts = np.empty((n_blocks, 6), np.int64)
    stock = np.empty(n_blocks, np.float32)
    next_block = np.empty(1, np.int64)  # np.zeros here would become a parallel loop of its own
    next_block[0] = 0
    for _ in prange(threads):  # each thread takes the next free block (see `take_block`)
        k = take_block(next_block)
        while k < n_blocks:
            (counts[k, 0], counts[k, 1], counts[k, 2], counts[k, 3], counts[k, 4], counts[k, 5],
             stock[k]) = _children_range(bounds[k], bounds[k + 1], k, day, cs, sd, hunger, exp, wb, att,
                                        learning, class_absent)
            k = take_block(next_block)
    n_absent, n_hungry, n_hungry_fsm, n_hungry_girls, stock_max = sum_blocks(counts, stock, class_absent,
                                                                              absent_by_class)
    youth = pack_referrals(bounds, counts, 0, cs.youth_refs)
    mental_health = pack_referrals(bounds, counts, 1, cs.mh_refs)
    return youth, mental_health, n_absent, n_hungry, n_hungry_fsm, n_hungry_girls, stock_max


PARALLEL_MIN_ROWS = 20_000  # below this a day's pass is too short for threads to pay (assumption, measured ~50 us)
BLOCKS_PER_THREAD = 8  # blocks of rows per thread: small enough to balance, large enough to keep rows contiguous
# (measured on 100,000 pupils, 2 threads: 8 gave 23.7 ns per child-day, 16 gave 24.2, 32 gave 24.9)


_BOUNDS: dict[tuple[int, int, int], np.ndarray] = {}  # (rows, threads, blocks per thread) -> block bounds


def _blocks(n: int, threads: int) -> np.ndarray | None:
    """Row bounds of the blocks a parallel pass runs, or None to run it serially (one thread, or few rows).

    Results do not depend on the blocks: every row's step reads only its own row, its family's and yesterday's
    class figures, referral lists are packed back into row order and the day's counts are whole numbers.
    """
    if n < PARALLEL_MIN_ROWS or threads < 2:
        return None
    key = (n, threads, BLOCKS_PER_THREAD)
    if key not in _BOUNDS:
        _BOUNDS[key] = np.linspace(0, n, threads * BLOCKS_PER_THREAD + 1).astype(np.int64)
    return _BOUNDS[key]


def step_day_in_parallel(model, day: int) -> None:
    """`step_day` with both passes run over blocks on numba's threads whatever the population's size: the same
    numbers (see `_blocks`). For compiling (or loading) the parallel passes on a small model before timing."""
    global PARALLEL_MIN_ROWS
    saved, PARALLEL_MIN_ROWS = PARALLEL_MIN_ROWS, 0
    try:
        step_day(model, day)
    finally:
        PARALLEL_MIN_ROWS = saved


def exposure_bound(model, exposure: ExposureArgs) -> float:
    """An upper bound on any child's exposure stock after today: today's events add at most one to anyone's."""
    if not exposure.use:  # without a crime profile every stock stays 0 (only initial_states and exposure_row set it)
        return 0.0
    if model.exposure_max is None:  # yesterday's pass leaves it; set-up and year progression clear it
        model.exposure_max = float(model.children.exposure.max())
    return (model.exposure_max * max(1.0, 1.0 - exposure.exposure_decay) + 1.0) * (1.0 + 1e-6)


def refer_today(model, day: int, referrals: dict[str, np.ndarray]) -> None:
    """Queue the day's referrals (rows by service category, each list in row order) in `REFERRAL_ORDER`: one
    compiled call for all services (`service_day.refer_day`)."""
    model.services.refer_all(day, referrals)


def step_day(model, day: int) -> None:
    """Run the array mechanisms for one school day (in `MECHANISMS` order per row), then queue referrals.

    For a large population the passes run on all of numba's threads or on one, whichever `model.thread_choice`
    has measured faster lately (`threads.py`; the batch executor's workers use one), with the same numbers
    whatever the thread count.
    """
    rows = max(model.children.n, model.families.n)
    threads = model.thread_choice.pick(rows, PARALLEL_MIN_ROWS)
    start = time.perf_counter()
    food, exposure, hunger = constant_records(model)
    wb = wellbeing_args(model, exposure_bound(model, exposure))
    fs, sd = family_day(model), school_day(model)
    blocks = _blocks(model.families.n, threads)
    if blocks is None:
        n_food, n_t, n_h = families_range(0, model.families.n, day, fs, sd, food, wb)
        engagement_range(0, model.families.n, fs, food)
    else:
        n_food, n_t, n_h = families_parallel(threads, blocks, np.empty((blocks.size - 1, 3), np.int64), day, fs,
                                              sd, food, wb)
    rules = ChildRules(hunger, exposure, wb, attendance_args(model), learning_args(model))
    cs, n = child_day(model), model.children.n
    blocks = _blocks(n, threads)
    if blocks is None:
        counts = _children_range(0, n, 0, day, cs, sd, *rules, model._class_absent[None, :])
    else:
        if model._class_absent_blocks.shape[0] != blocks.size - 1:
            model._class_absent_blocks = np.zeros((blocks.size - 1, model._class_absent.size))
        counts = _children_parallel(threads, blocks, day, cs, sd, *rules, model._class_absent_blocks,
                                    model._class_absent)
    if rows >= PARALLEL_MIN_ROWS:
        model.thread_choice.record(threads, time.perf_counter() - start, rows)
    n_youth, n_mh, n_absent, *hungry, stock = counts
    if exposure.use:
        model.exposure_max = float(stock)
    model.hungry_today[:] = hungry
    refer_today(model, day, {"family_food": model.family_buffer[:n_food], "child_youth": model.child_buffer[:n_youth],
                             "child_mh": model.child_buffer2[:n_mh], "parent_mh": model.family_buffer2[:n_t],
                             "family_help": model.family_buffer3[:n_h]})
    end_attendance(model, int(n_absent))
