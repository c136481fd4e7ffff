"""The day's passes run on whichever of one thread or all is measured faster, and probe the other now and then."""

from actlocally.model.mechanisms import threads
from actlocally.model.mechanisms.threads import ThreadChoice


def test_small_populations_stay_on_one_thread():
    assert ThreadChoice().pick(rows=5_000, min_rows=20_000) == 1


def test_the_faster_option_is_used_and_the_other_probed(monkeypatch):
    monkeypatch.setattr(threads.numba, "get_num_threads", lambda: 2)
    choice = ThreadChoice()
    first, second = choice.pick(100_000, 20_000), None
    choice.record(first, 0.010, 100_000)  # a contended machine: two threads slow
    second = choice.pick(100_000, 20_000)
    choice.record(second, 0.003, 100_000)
    assert {first, second} == {1, 2}
    picks = [choice.pick(100_000, 20_000) for _ in range(threads.PROBE_EVERY * 2)]
    assert picks.count(1) == len(picks) - 2 and picks.count(2) == 2  # one probe of two threads every PROBE_EVERY days
    for _ in range(10):  # the other tenant leaves: two threads measure faster and take over
        choice.record(2, 0.0015, 100_000)
    assert choice.pick(100_000, 20_000) == 2 or choice.days % threads.PROBE_EVERY == 0
