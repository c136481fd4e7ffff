"""The services' lists as rows of one bank (`queues.py`) and the day's intake as one compiled call."""

import numpy as np
import pytest
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.queues import QueueBank, QueueView, push
from actlocally.model.mechanisms.services import ServiceNetwork

HUB = [{"type": "service_hub", "schools": "all", "services": ["talking_therapies", "early_help", "food_support"]},
       {"type": "mental_health_support_team", "teams": 2, "schools": "all"}]


def one_list(capacity: int) -> QueueView:
    """A waiting list of its own: the one row of a bank holding up to `capacity` clients."""
    bank = QueueBank(capacity)
    return QueueView(bank, bank.add_row())


def test_push_moves_the_live_part_to_the_front_and_keeps_order():
    q = one_list(16)
    q.push(np.arange(10, dtype=np.int32), 1)
    q.pop(8)
    q.push(np.arange(10, 20, dtype=np.int32), 2)  # 2 live + 10 new: past the row's end, so moved to its front
    ids, days = q.pop(len(q))
    assert ids.tolist() == [8, 9, *range(10, 20)] and days.tolist() == [1, 1] + [2] * 10
    assert len(q) == 0


def test_queue_discard_keeps_order_of_the_rest():
    q = one_list(16)
    q.push(np.array([5, 6, 7], np.int32), 1)
    q.push(np.array([8, 9], np.int32), 2)
    q.pop(1)
    q.discard(np.array([7, 9]))
    ids, days = q.pop(len(q))
    assert ids.tolist() == [6, 8] and days.tolist() == [1, 2]


def test_rows_widen_keeping_every_list_in_order():
    bank = QueueBank(16)
    a, b = QueueView(bank, bank.add_row()), QueueView(bank, bank.add_row())
    a.push(np.arange(10, dtype=np.int32), 1)
    a.pop(4)
    b.push(np.arange(100, 112, dtype=np.int32), 2)
    b.push(np.arange(112, 130, dtype=np.int32), 3)  # 30 live: the rows double, then double again
    assert bank.row_capacity >= 30 and bank.ids.shape == (2, bank.row_capacity)
    assert a.pop(len(a))[0].tolist() == list(range(4, 10))
    ids, days = b.pop(len(b))
    assert ids.tolist() == list(range(100, 130)) and days.tolist() == [2] * 12 + [3] * 18


def test_push_without_room_raises():
    bank = QueueBank(16)
    s = bank.add_row()
    with pytest.raises(ValueError, match="outgrew its row"):
        push(bank.ids, bank.days, bank.head, bank.tail, s, np.arange(17, dtype=np.int32), 0)


def test_intake_of_all_services_at_once_equals_one_service_at_a_time(scenario_factory):
    """`take_from_queues` (one call for every service) gives what each `Service.take_from_queue` in turn gives."""
    sc = scenario_factory(interventions=HUB)
    together, one_by_one = LocalityModel(sc), LocalityModel(sc)
    net = one_by_one.services
    net.take_from_queues = lambda day: [ServiceNetwork.take_from_queues(net, day, s.index, s.index + 1)
                                        for s in net.services]
    for _ in range(40):
        together.step()
        one_by_one.step()
    assert sum(s.stats["started"] for s in together.services.services) > 0  # the intake did something
    for a, b in zip(together.services.services, one_by_one.services.services, strict=True):
        assert a.stats == b.stats and a.queue_length == b.queue_length and a.credit == b.credit, a.name
    for name in ("mh_status", "mh_until", "mh_service", "youth_status"):
        assert np.array_equal(getattr(together.children, name), getattr(one_by_one.children, name)), name
    for name in ("parent_status", "help_status", "food_status", "food_until"):
        assert np.array_equal(getattr(together.families, name), getattr(one_by_one.families, name)), name
