"""Struct-of-arrays storage for children and families, and the descriptor that lets a Mesa agent read its row."""

from __future__ import annotations

import numpy as np

# Status codes shared by every service category.
NONE, WAITING, IN_SUPPORT = 0, 1, 2
# SEND codes.
NO_SEN, SEN_SUPPORT, EHCP = 0, 1, 2


class ArrayStore:
    """Fixed-size columns, one numpy array per field; `FIELDS` maps name -> dtype."""

    FIELDS: dict[str, type] = {}

    def __init__(self, n: int) -> None:
        self.n = int(n)
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(self.n, dtype=dtype))

    @property
    def nbytes(self) -> int:
        """Bytes held by all columns."""
        return sum(getattr(self, name).nbytes for name in self.FIELDS)


class ChildArrays(ArrayStore):
    """One row per pupil: characteristics, daily state and counters."""

    FIELDS = {
        "family": np.int32,
        "school": np.int16,
        "year_group": np.int8,  # 0 = Reception ... 11 = Year 11
        "female": np.bool_,
        "fsm": np.bool_,
        "send": np.int8,  # 0 none, 1 SEN support, 2 EHCP
        "eal": np.bool_,
        "propensity": np.float32,  # persistent log-odds of presence
        "attainment_z": np.float32,
        "attainment_start_z": np.float32,
        "vision_uncorrected": np.bool_,
        "wears_glasses": np.bool_,
        "difficulty": np.bool_,  # emotional difficulty (probable disorder)
        "lingering": np.float32,  # share of the difficulty's attendance penalty still carried after it lifted
        "exposure": np.float32,  # neighbourhood exposure stock
        "breakfast_enrolled": np.bool_,
        "at_breakfast": np.bool_,  # today
        "hungry": np.bool_,  # today
        "present": np.bool_,  # today (until attendance runs: yesterday)
        "mh_status": np.int8,  # NONE / WAITING / IN_SUPPORT with a child mental-health service
        "mh_service": np.int16,
        "mh_until": np.int32,  # day support ends, or day referred while waiting
        "youth_status": np.int8,
        "youth_service": np.int16,
        "youth_until": np.int32,
        "service_days": np.int16,  # school days in support this run (any child service)
        "sessions_possible": np.int16,  # this academic year
        "sessions_attended": np.int16,
        "illness_sessions": np.int16,
        "ks2_possible": np.int16,  # sessions possible in completed KS2 years (Years 3-5), prior years synthesised
        "ks2_attended": np.int16,
        "term_possible": np.int16,  # this term
        "term_attended": np.int16,
        "term_illness": np.int16,
    }


class FamilyArrays(ArrayStore):
    """One row per family: the household's circumstances and parent (main carer) state."""

    FIELDS = {
        "neighbourhood": np.int16,
        "deprivation": np.float32,
        "low_income": np.bool_,
        "fsm_eligible": np.bool_,
        "eal": np.bool_,
        "food_insecure": np.bool_,
        "secure_until": np.int32,  # day food support's protection ends
        "parent_depressed": np.bool_,
        "food_onset": np.float32,  # daily probability of becoming food-insecure (its synthesis share, kept)
        "parent_onset": np.float32,  # daily probability of parent depression onset (likewise)
        "engagement": np.float32,  # with school, 0-1
        "engagement_base": np.float32,
        "distance_services_km": np.float32,
        "hub_school": np.int16,  # a hub school one of its children attends, or -1
        "home_primary": np.int16,
        "home_secondary": np.int16,
        "parent_status": np.int8,
        "parent_service": np.int16,
        "parent_until": np.int32,
        "help_status": np.int8,
        "help_service": np.int16,
        "help_until": np.int32,
        "food_status": np.int8,
        "food_service": np.int16,
        "food_until": np.int32,
    }


class RowView:
    """Descriptor: `child.attainment_z` reads and writes `model.children.attainment_z[child.row]`."""

    def __init__(self, store: str, field: str | None = None) -> None:
        self.store = store
        self.field = field

    def __set_name__(self, owner: type, name: str) -> None:
        self.field = self.field or name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return getattr(getattr(obj.model, self.store), self.field)[obj.row].item()

    def __set__(self, obj, value) -> None:
        getattr(getattr(obj.model, self.store), self.field)[obj.row] = value
