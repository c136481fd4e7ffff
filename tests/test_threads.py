"""The day's passes run on one thread while another task holds a core, else on whichever of one thread or all is
measured faster, probing the other now and then."""

from actlocally.model.mechanisms import threads
from actlocally.model.mechanisms.threads import ThreadChoice


def test_small_populations_stay_on_one_thread():
    assert ThreadChoice().pick(rows=5_000, min_rows=20_000) == 1


def test_the_faster_option_is_used_and_the_other_probed(monkeypatch):
    monkeypatch.setattr(threads.numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(threads, "other_runnable", lambda: 0)  # the cores are free: measured cost decides
    choice = ThreadChoice()
    choice.cores = 2
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


def test_a_busy_core_means_one_thread_without_a_probe(monkeypatch):
    monkeypatch.setattr(threads.numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(threads, "other_runnable", lambda: 1)  # another process running on one of two cores
    choice = ThreadChoice()
    choice.cores = 2
    choice.record(2, 0.001, 100_000)  # even where two threads once measured faster
    choice.record(1, 0.003, 100_000)
    assert [choice.pick(100_000, 20_000) for _ in range(threads.PROBE_EVERY * 3)] == [1] * (threads.PROBE_EVERY * 3)
    monkeypatch.setattr(threads, "other_runnable", lambda: 0)  # the other process ends: two threads again
    assert choice.pick(100_000, 20_000) == 2


def test_runnable_tasks_are_read_from_loadavg(tmp_path):
    f = tmp_path / "loadavg"
    f.write_text("1.50 0.90 0.44 3/152 40211\n")
    assert threads.other_runnable(str(f)) == 2  # three running, one of them the reader
    f.write_text("garbled\n")
    assert threads.other_runnable(str(f)) is None
    assert threads.other_runnable(str(tmp_path / "missing")) is None


def test_a_container_on_part_of_a_host_counts_its_share_of_the_hosts_tasks(monkeypatch):
    monkeypatch.setattr(threads.numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(threads, "other_runnable", lambda: 8)  # a busy 64-core host
    choice = ThreadChoice()
    choice.cores, choice.machine_cores = 2, 64  # pinned to 2 of its cores: a quarter of a task each, expected
    assert choice.pick(100_000, 20_000) == 2
    monkeypatch.setattr(threads, "other_runnable", lambda: 40)
    assert choice.pick(100_000, 20_000) == 1
