"""The child pass's attendance, split: a child surely present learns in the pass's loop, the rest after it.

Most presence draws are decided by a bound without exp (`rng.surely_below_sigmoid`); the others (about one in
fourteen: the absences and draws near the child's probability) need exp and, when absent, the reason draws. Taking
them out of the hot loop keeps its registers free of the call to exp (which spills them). Their presence, reason,
counts and learning are done by `finish_attendance` after the loop, in the same steps `attendance_row` takes:
each child's step reads only its own row, so the order of children does not change anyone's numbers, and the
counts are whole numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..rng import below_sigmoid, uniform
from .attendance import absence_reason
from .learning import learning_row

# bits of the per-child byte of facts fixed within a school year (`day.refresh_child_facts`)
FEMALE, FSM, OLDER, SECONDARY, BLURRED, KS2 = 1, 2, 4, 8, 16, 32


@njit(cache=True, inline="always")
def learn(learning, i, present, hungry, difficulty, fact, s, c, value_added, at_breakfast, club_share, attainment_z):
    """Add child `i`'s learning today (`learning_row`) to its attainment; `fact` is its byte of facts."""
    stage = 2 if (fact & SECONDARY) != 0 else (1 if (fact & KS2) != 0 else 0)
    attainment_z[i] += learning_row(learning, present, hungry, difficulty, (fact & BLURRED) != 0,
                                    value_added[s, np.uintp((fact & FSM) != 0)], at_breakfast[i], stage,
                                    club_share[c])


@njit(cache=True, fastmath=True, error_model="numpy")
def finish_attendance(rows, logits, n, day, att, learning, cs, sd, absent_by_class):
    """Presence, reason and learning of the `n` children in `rows` (their log-odds in `logits`) whose presence
    the child pass's bound left undecided; returns how many are absent (their classes' counts go to
    `absent_by_class`). `cs`, `sd`: the pass's `ChildDay` and `SchoolDay`."""
    facts, school, class_id, at_breakfast, hungry, difficulty, present = (cs.facts, cs.school, cs.class_id,
                                                                          cs.at_breakfast, cs.hungry,
                                                                          cs.difficulty, cs.present)
    attainment_z, term_attended, term_illness = cs.attainment_z, cs.term_attended, cs.term_illness
    value_added, club_share, health = sd.learning_offset_per_day, sd.class_club_share, sd.illness_avoided
    n_absent = 0
    for k in range(n):
        i = np.uintp(rows[k])
        s, c = np.uintp(school[i]), np.uintp(class_id[i])
        if below_sigmoid(uniform(att.key, day, i, 0), logits[k]):
            is_present, ill = True, False
        else:
            is_present, ill = absence_reason(att, day, i, health[s])
        present[i] = is_present
        if is_present:
            term_attended[i] += 2
        else:
            n_absent += 1
            absent_by_class[c] += 1.0
            if ill:
                term_illness[i] += 2
        learn(learning, i, is_present, hungry[i], difficulty[i], facts[i], s, c, value_added, at_breakfast,
              club_share, attainment_z)
    return n_absent
