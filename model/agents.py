"""The Mesa agents: Child and Family are views of rows in array storage; School and Service are ordinary agents."""

from __future__ import annotations

import mesa

from .mechanisms.services import KINDS, STAT_FIELDS, QueueView
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
        self.hub_school = hub_school
        self.index = -1  # its row in the network's queue bank, set when added (`ServiceNetwork.add`)
        self._capacity_per_week = float(capacity_per_week)

    @property
    def capacity_per_week(self) -> float:
        """New cases a week (taken as capacity / 5 a school day)."""
        return self._capacity_per_week

    @capacity_per_week.setter
    def capacity_per_week(self, value: float) -> None:
        self._capacity_per_week = float(value)
        if self.index >= 0:
            self.model.services.bank.per_day[self.index] = self._capacity_per_week / 5.0

    @property
    def queue(self) -> QueueView:
        """Its FIFO waiting list (a row of the network's queue bank)."""
        return QueueView(self.model.services.bank, self.index)

    @property
    def queue_length(self) -> int:
        return len(self.queue)

    @property
    def credit(self) -> float:
        """Places accrued today but not yet whole."""
        return float(self.model.services.bank.credit[self.index])

    @property
    def stats(self) -> dict:
        """Counts since the last `reset_stats` (referred, offered, started, dna, wait_days, queue_days, balked,
        withdrawn)."""
        return dict(zip(STAT_FIELDS, self.model.services.bank.stats[self.index].tolist(), strict=True))

    def take_from_queue(self, day: int) -> None:
        """Today's intake from the front of the waiting list (the model takes all services' at once)."""
        self.model.services.take_from_queues(day, self.index, self.index + 1)

    def reset_stats(self) -> dict:
        """Return the stats gathered since the last call and start again."""
        out = self.stats
        self.model.services.bank.stats[self.index] = 0
        return out
