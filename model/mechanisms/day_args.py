"""The arguments of the day's passes: the arrays by name (`FamilyDay`, `ChildDay`, `SchoolDay`) and the records
that hold no value of the day, kept from one day to the next until the schools are refreshed.

The arrays are written in place and never replaced, and `LocalityModel.refresh_schools` (set-up, interventions'
start, year progression) remakes the per-child facts and school arrays, so a tuple built after a refresh holds
until the next one: building them every day cost ~40-60 us of Python a day on a 100,000-pupil district (issue 19).
"""

from __future__ import annotations

from collections import namedtuple

from .food_support import food_args
from .hunger import hunger_args
from .learning import class_club_share
from .neighbourhood import neighbourhood_args

# The arrays each pass reads and writes, by name (numba passes a namedtuple of arrays as one argument).
FamilyDay = namedtuple("FamilyDay", (
    "food_insecure", "secure_until", "food_status", "food_until", "hub_school", "parent_depressed", "parent_status",
    "parent_until", "help_status", "help_until", "engagement", "engagement_base", "food_onset", "parent_onset",
    # the first 14: FamilyArrays
    "state", "food_refs", "therapy_refs", "help_refs"))
ChildDay = namedtuple("ChildDay", (
    "family", "facts", "school", "class_id", "fixed",
    "at_breakfast", "hungry", "difficulty", "lingering", "present", "exposure", "mh_status", "mh_until", "youth_status",
    "youth_until", "service_days", "attainment_z", "term_possible", "term_attended", "term_illness",  # ChildArrays
    "fam_state", "engagement", "youth_refs", "mh_refs"))
SchoolDay = namedtuple("SchoolDay", ("food_seek_mult", "hub_referral_mult", "youth_route", "mh_route",
                                     "mh_referral_mult", "learning_offset_per_day", "mh_team", "absence_followup",
                                     "illness_avoided", "class_absence", "class_club_share"))
ChildRules = namedtuple("ChildRules", ("hunger", "exposure", "wellbeing", "attendance", "learning"))


def family_day(model) -> FamilyDay:
    """The family arrays the family pass reads and writes, with its three referral lists. Built once per refresh
    of the schools (`LocalityModel.refresh_schools`), as the arrays are written in place, never replaced."""
    cached = model.__dict__.get("_family_day")
    if cached is not None and cached[0] is model.school_arrays:
        return cached[1]
    f = model.families
    fd = FamilyDay(*(getattr(f, name) for name in FamilyDay._fields[:14]), model.family_state, model.family_buffer,
                   model.family_buffer2, model.family_buffer3)
    model._family_day = (model.school_arrays, fd)
    return fd


def school_day(model) -> SchoolDay:
    """The per-school arrays the rules read a school's value from, and each class's absence rate yesterday."""
    s = model.school_arrays
    return SchoolDay(*(getattr(s, name) for name in SchoolDay._fields[:9]), model._class_absence,
                     class_club_share(model))


def child_day(model) -> ChildDay:
    """The child arrays the child pass reads and writes (its family's engagement and today's flags too); built once
    per refresh of the schools, as `family_day` (the per-child facts are remade there)."""
    cached = model.__dict__.get("_child_day")
    if cached is not None and cached[0] is model.school_arrays:
        return cached[1]
    c = model.children
    cd = ChildDay(
        c.family, model.child_facts, c.school, model.class_id, model.attendance_fixed,
        *(getattr(c, name) for name in ChildDay._fields[5:20]), model.family_state, model.families.engagement,
        model.child_buffer, model.child_buffer2)
    model._child_day = (model.school_arrays, cd)
    return cd


def constant_records(model) -> tuple:
    """The food support, neighbourhood and hunger records, which hold no value of the day: built again only when
    the parameter table, the schools (a refresh) or the services change, not every day (as `family_day`)."""
    key = (model.params, model.school_arrays, len(model.services.services))
    cached = model.__dict__.get("_constant_records")
    if cached is not None and cached[0][0] is key[0] and cached[0][1] is key[1] and cached[0][2] == key[2]:
        return cached[1]
    records = food_args(model), neighbourhood_args(model), hunger_args(model)
    model._constant_records = (key, records)
    return records
