"""The Mesa agents: Child and Family are views of rows in array storage; School and Service are ordinary agents."""

from __future__ import annotations

import mesa
import numpy as np

from .mechanisms.services import KINDS, Queue, balk, take_from_queue
from .state import ChildArrays, FamilyArrays, RowView


class Child(mesa.Agent):
    """A pupil. Every attribute reads and writes the child's row of `model.children`."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def family(self) -> Family:
        return self.model.family_agents[self.model.children.family[self.row]]

    @property
    def school(self) -> School:
        return self.model.school_agents[self.model.children.school[self.row]]


class Family(mesa.Agent):
    """A household with school-age children; its attributes read and write `model.families`."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row


for _name in ChildArrays.FIELDS:
    if _name not in ("family", "school"):
        setattr(Child, _name, RowView("children", _name))
for _name in FamilyArrays.FIELDS:
    setattr(Family, _name, RowView("families", _name))
Child.school_index = RowView("children", "school")
Child.family_index = RowView("children", "family")


class School(mesa.Agent):
    """A primary or secondary school: its profile figures (fixed across replicates), effects, MHST, hub, breakfast.

    `roll`, `disadvantaged_share` and `eal_share` are the area profile's (roll scaled to the run), so a targeting
    rule picks the same schools in every replicate; `pupils_now`, `disadvantaged_share_now` read the children.
    """

    def __init__(self, model: mesa.Model, index: int, name: str, phase: str, attendance_effect: float,
                 value_added: float, roll: int = 0, disadvantaged_share: float = 0.0,
                 eal_share: float = 0.0) -> None:
        super().__init__(model)
        self.roll = int(roll)
        self.disadvantaged_share = float(disadvantaged_share)
        self.eal_share = float(eal_share)
        self.index = index
        self.name = name
        self.phase = phase
        self.attendance_effect = attendance_effect
        self.value_added = value_added  # z per school year
        self.mhst_service: int = -1
        self.mhst_planned: int = -1  # a team's service index, reserved by an MHST that has not started yet
        self.hub = False
        self.hub_services: set[str] = set()
        self.hub_referral_multiplier = 1.0
        self.hub_dna_multiplier = 1.0
        self.hub_food_seek_multiplier = 1.0
        self.hub_absence_followup = 0.0  # share of an absence spell's pull a hub's case management removes
        self.hub_illness_avoided = 0.0  # share of illness absences a hub's in-school health service avoids
        self.breakfast_offer = "none"

    @property
    def pupils(self):
        """Boolean mask of this school's pupils in `model.children`."""
        return self.model.children.school == self.index

    @property
    def pupils_now(self) -> int:
        """Pupils on roll in the simulation today."""
        return int(self.pupils.sum())

    @property
    def disadvantaged_share_now(self) -> float:
        """Share of today's pupils eligible for FSM."""
        mask = self.pupils
        return float(self.model.children.fsm[mask].mean()) if mask.any() else 0.0


class Service(mesa.Agent):
    """A capacity-limited service with a FIFO waiting list (MHST, CAMHS, talking therapies, ...)."""

    def __init__(self, model: mesa.Model, name: str, kind: str, capacity_per_week: float,
                 hub_school: int = -1) -> None:
        super().__init__(model)
        if kind not in KINDS:
            raise ValueError(f"unknown service kind '{kind}'; allowed: {', '.join(KINDS)}")
        if capacity_per_week < 0:
            raise ValueError("capacity_per_week must be >= 0")
        self.name = name
        self.kind = kind
        self.category, support_param = KINDS[kind]
        self.support_days = int(model.params[support_param])
        self.capacity_per_week = float(capacity_per_week)
        self.hub_school = hub_school
        self.index = -1
        self.credit = 0.0
        n_clients = model.children.n if self.category.startswith("child") else model.families.n
        self.queue = Queue(n_clients // 8)
        self.stats = dict.fromkeys(("referred", "offered", "started", "dna", "wait_days", "queue_days",
                                    "balked", "withdrawn"), 0)
        self._offer_stats = np.zeros(4, np.int64)  # the offer kernel's counts for one day (reused)

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    def enqueue(self, ids, day: int) -> None:
        self.stats["referred"] += int(ids.size)
        self.queue.push(balk(self, self.model, ids, day), day)

    def take_from_queue(self, day: int) -> None:
        """Today's intake from the front of the waiting list."""
        take_from_queue(self, self.model, day)

    def reset_stats(self) -> dict:
        """Return the stats gathered since the last call and start again."""
        out = dict(self.stats)
        self.stats = dict.fromkeys(self.stats, 0)
        return out
