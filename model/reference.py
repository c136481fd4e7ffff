"""The per-agent reference: the model's school day stepped one Mesa agent at a time, in plain Python.

`ReferenceModel` is a `LocalityModel` whose daily mechanisms loop over the `Family` and `Child` agents (each
attribute a view of the agent's row) and call the same `*_row` rules as the fused passes, through numba's
`.py_func` (the rule's Python source, run by the interpreter), with the same records (`records.py`). Everything
else in the day is the model's own code: interventions, referral queues and services' intake, recording. So it is
the model written as a first Mesa model would be, and:

- tests/test_fused_day.py checks that the fused passes give the same numbers as these rules run in Python;
- `actlocally bench` times it against the fused passes (an honest speed-up: the same daily work, the same rules).

Simplified: slow by design (tens of microseconds a child-day); use it on small populations.
"""

from __future__ import annotations

import numpy as np

from .locality import LocalityModel
from .mechanisms.attendance import (
    PRIMARY_YEARS,
    attendance_args,
    attendance_base,
    attendance_row,
    end_attendance,
    lingering_row,
)
from .mechanisms.day import MECHANISMS, REFERRAL_ORDER, exposure_bound, refer_today
from .mechanisms.food_support import food_args, food_row
from .mechanisms.hunger import hunger_args, hunger_row
from .mechanisms.learning import class_club_share, learning_args, learning_row
from .mechanisms.neighbourhood import MIN_YEAR_GROUP, exposure_row, neighbourhood_args
from .mechanisms.wellbeing import child_wellbeing_row, engagement_row, parent_wellbeing_row, wellbeing_args
from .rng import uniform
from .state import IN_SUPPORT

# Each rule as plain Python, in `MECHANISMS` order (the compiled `uniform` and `bernoulli_logit` they call are the
# model's counter-based random numbers, the same whichever way the rule runs).
RULES = {"food_support": food_row.py_func, "parent_wellbeing": parent_wellbeing_row.py_func,
         "engagement": engagement_row.py_func, "hunger": hunger_row.py_func, "neighbourhood": exposure_row.py_func,
         "child_wellbeing": child_wellbeing_row.py_func, "attendance": attendance_row.py_func,
         "attendance_base": attendance_base.py_func, "lingering": lingering_row.py_func,
         "learning": learning_row.py_func}
if not set(MECHANISMS) <= set(RULES):  # pragma: no cover - a mechanism added to the day without a rule here
    raise ImportError(f"model/reference.py has no rule for {sorted(set(MECHANISMS) - set(RULES))}")


def step_families(model: LocalityModel, day: int, food, wb, referrals: dict[str, list[int]]) -> dict[int, bool]:
    """Food support, parent wellbeing and engagement for each Family agent; returns parents' depression before
    today's step by family row (children's onset reads it)."""
    food_rule, parent_rule, engagement_rule = RULES["food_support"], RULES["parent_wellbeing"], RULES["engagement"]
    schools = model.school_arrays
    before = {}
    for fam in model.family_agents:
        f, hub = fam.row, fam.hub_school
        insecure, fam.secure_until, fam.food_status, fam.food_until, to_food = food_rule(
            food, day, f, uniform(food.key, day, f, 0), fam.food_insecure, fam.secure_until, fam.food_status,
            fam.food_until, schools.food_seek_mult[hub] if hub >= 0 else 1.0, fam.food_onset)
        fam.food_insecure = insecure
        if to_food:
            referrals["family_food"].append(f)
        before[f] = fam.parent_depressed
        (fam.parent_depressed, fam.parent_status, fam.parent_until, fam.help_status, fam.help_until, to_therapy,
         to_help) = parent_rule(wb, food, day, f, uniform(wb.parent_key, day, f, 0), before[f], insecure,
                                fam.parent_status, fam.parent_until, fam.help_status, fam.help_until,
                                schools.hub_referral_mult[hub] if hub >= 0 else 1.0, fam.parent_onset)
        if to_therapy:
            referrals["parent_mh"].append(f)
        if to_help:
            referrals["family_help"].append(f)
        fam.engagement = engagement_rule(food, fam.engagement, fam.engagement_base, fam.help_status == IN_SUPPORT)
    return before


def step_children(model: LocalityModel, day: int, exposure, wb, before: dict[int, bool],
                  referrals: dict[str, list[int]]) -> int:
    """Hunger, exposure, wellbeing, attendance and learning for each Child agent; returns today's absences."""
    hunger, att, learning = hunger_args(model), attendance_args(model), learning_args(model)
    families, schools = model.family_agents, model.school_arrays
    model._class_absent[:] = 0.0
    club_share = class_club_share(model)
    hungry = np.zeros(3, np.int64)  # all, FSM, girls
    n_absent = 0
    stock = np.float32(0.0)
    for child in model.child_agents:
        i, fam, s = child.row, families[model.children.family[child.row]], child.school_index
        c = model.class_id[i]
        x = RULES["attendance_base"](att, model.attendance_fixed[i].item(), fam.engagement, model._class_absence[c])
        insecure, female, fsm = fam.food_insecure, child.female, child.fsm
        h = RULES["hunger"](hunger, uniform(hunger.key, day, i, 0), insecure, child.at_breakfast)
        child.hungry = h
        e, youth = child.exposure, child.youth_status
        if exposure.use:
            stock_e, youth, child.youth_until, to_youth = RULES["neighbourhood"](
                exposure, day, i, uniform(exposure.key, day, i, 0), child.year_group >= MIN_YEAR_GROUP, e, youth,
                child.youth_until, schools.youth_route[s] >= 0)
            child.exposure, child.youth_status = stock_e, youth
            e, stock = float(stock_e), max(stock, stock_e)
            if to_youth:
                referrals["child_youth"].append(i)
        d, child.mh_status, child.mh_until, supported, to_mh = RULES["child_wellbeing"](
            wb, day, i, uniform(wb.key, day, i, 0), child.year_group >= PRIMARY_YEARS, female, fsm, e, child.difficulty,
            child.mh_status, child.mh_until, youth == IN_SUPPORT, before[fam.row], insecure, schools.mh_route[s] >= 0,
            schools.mh_referral_mult[s])
        linger = np.float32(0.0)
        if att.linger:
            linger = RULES["lingering"](att, child.difficulty, d, child.lingering)
            child.lingering = linger
        child.difficulty = d
        if supported:
            child.service_days += 1
        if to_mh:
            referrals["child_mh"].append(i)
        secondary = child.year_group >= PRIMARY_YEARS
        support = child.mh_status == IN_SUPPORT and bool(schools.mh_team[s])
        present, ill = RULES["attendance"](att, day, i, x, d, linger, fam.parent_depressed, h, not child.present, e,
                                           secondary, support, schools.absence_followup[s],
                                           schools.illness_avoided[s])
        child.present = present
        child.term_possible += 2
        if present:
            child.term_attended += 2
        else:
            n_absent += 1
            model._class_absent[c] += 1.0
            if ill:
                child.term_illness += 2
        hungry += (h, h and fsm, h and female)
        blurred = child.vision_uncorrected and not child.wears_glasses
        stage = 2 if secondary else (1 if child.year_group >= 3 else 0)
        child.attainment_z += RULES["learning"](learning, present, h, d, blurred,
                                                 schools.learning_offset_per_day[s, int(child.fsm)],
                                                 child.at_breakfast, stage, club_share[c])
    model.hungry_today[:] = hungry
    if exposure.use:
        model.exposure_max = float(stock)
    return n_absent


def reference_day(model: LocalityModel, day: int) -> None:
    """What `step_day` does for one school day, agent by agent: families, then children, then referrals."""
    food, exposure = food_args(model), neighbourhood_args(model)
    wb = wellbeing_args(model, exposure_bound(model, exposure))
    referrals: dict[str, list[int]] = {category: [] for category in REFERRAL_ORDER}
    before = step_families(model, day, food, wb, referrals)
    n_absent = step_children(model, day, exposure, wb, before, referrals)
    refer_today(model, day, {k: np.array(v, np.int32) for k, v in referrals.items()})
    end_attendance(model, n_absent)


class ReferenceModel(LocalityModel):
    """A `LocalityModel` whose daily mechanisms run per Mesa agent in plain Python (`reference_day`)."""

    def step_mechanisms(self, day: int) -> None:
        reference_day(self, day)
