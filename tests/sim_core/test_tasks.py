"""Task engine: lifecycle, progress, completion callbacks, cancel, retention, injected faults."""

from __future__ import annotations

import random
from typing import Any

import pytest

from vreconnect_sim.clock import FakeClock
from vreconnect_sim.injection import FaultInjector, FaultRule
from vreconnect_sim.tasks import (
    SimTask,
    TaskEngine,
    TaskFailed,
    TaskNotCancelable,
    TaskNotFound,
    TaskSettings,
)


def engine(clock: FakeClock, **settings: Any) -> TaskEngine:
    return TaskEngine(clock, TaskSettings(**settings), rng=random.Random(1))


def test_zero_duration_completes_inside_create_exactly_once(clock: FakeClock) -> None:
    calls: list[str] = []

    def apply(t: SimTask) -> int:
        calls.append(t.id)
        return 42

    e = engine(clock)
    t = e.create(
        surface="vim25",
        operation="Op",
        target="host-1",
        on_complete=apply,
    )
    assert t.state == "success" and t.result == 42 and t.progress == 100
    assert t.id == "task-1" and calls == ["task-1"]
    e.get(t.id)
    e.settle()
    assert calls == ["task-1"]
    assert t.complete_time == t.start_time == t.queue_time == clock.time()


def test_lifecycle_queued_running_success_with_linear_progress(clock: FakeClock) -> None:
    applied: list[SimTask] = []
    e = engine(clock, durations={"Op": 10.0}, queue_seconds=2.0)
    t = e.create(surface="vim25", operation="Op", target="h", on_complete=applied.append)
    assert (t.state, t.progress, t.start_time) == ("queued", 0, None)
    clock.advance(2)
    t = e.require(t.id)
    assert (t.state, t.progress) == ("running", 0)
    assert t.start_time == t.queue_time + 2
    clock.advance(2.5)
    assert e.require(t.id).progress == 25
    clock.advance(5)
    assert e.require(t.id).progress == 75
    assert applied == []
    clock.advance(2.5)
    t = e.require(t.id)
    assert (t.state, t.progress) == ("success", 100)
    assert t.complete_time == t.queue_time + 12
    assert len(applied) == 1


def test_settle_runs_completions_in_end_time_order(clock: FakeClock) -> None:
    order: list[str] = []
    e = engine(clock)
    for name, d in (("slow", 3.0), ("fast", 1.0), ("mid", 2.0)):
        e.create(
            surface="s",
            operation=name,
            target=None,
            duration=d,
            on_complete=lambda t: order.append(t.operation),
        )
    clock.advance(5)
    assert e.settle() == 3
    assert order == ["fast", "mid", "slow"]


def test_task_failed_and_unexpected_exception(clock: FakeClock) -> None:
    e = engine(clock)
    e.fault_renderers["vim25"] = lambda a, t: {"_typeName": a.fault, "msg": a.message}

    def fail(t: SimTask) -> None:
        raise TaskFailed({"_typeName": "NoHost", "name": "esx"})

    def crash(t: SimTask) -> None:
        raise RuntimeError("kaboom")

    t1 = e.create(surface="vim25", operation="Op", target="h", on_complete=fail)
    assert t1.state == "error" and t1.error == {"_typeName": "NoHost", "name": "esx"}
    t2 = e.create(surface="vim25", operation="Op", target="h", on_complete=crash)
    assert t2.state == "error" and t2.error == {"_typeName": "SystemError", "msg": "kaboom"}


def test_cancel(clock: FakeClock) -> None:
    applied: list[str] = []
    cancelled: list[str] = []
    e = engine(clock, default=10.0)
    t = e.create(
        surface="vr",
        operation="Op",
        target="p",
        id_format="{uuid}",
        on_complete=lambda t: applied.append(t.id),
        on_cancel=lambda t: cancelled.append(t.id),
    )
    clock.advance(4)
    c = e.cancel(t.id)
    assert (c.state, c.cancelled, c.progress) == ("cancelled", True, 40)
    assert c.complete_time == c.queue_time + 4
    clock.advance(100)
    assert e.require(t.id).state == "cancelled"
    assert applied == [] and cancelled == [t.id]
    with pytest.raises(TaskNotCancelable):
        e.cancel(t.id)
    fixed = e.create(surface="vr", operation="Op", target="p", cancelable=False)
    with pytest.raises(TaskNotCancelable):
        e.cancel(fixed.id)
    with pytest.raises(TaskNotFound):
        e.cancel("nope")


def test_retention_by_count_evicts_oldest_finished(clock: FakeClock) -> None:
    e = engine(clock, retention_count=3)
    running = e.create(surface="s", operation="Long", target=None, duration=1000)
    ids = []
    for _ in range(5):
        ids.append(e.create(surface="s", operation="Op", target=None).id)
        clock.advance(1)
    assert e.get(ids[0]) is None and e.get(ids[1]) is None
    assert [e.require(i).state for i in ids[2:]] == ["success"] * 3
    assert e.require(running.id).state == "running"  # unfinished tasks are never evicted


def test_retention_by_age(clock: FakeClock) -> None:
    e = engine(clock, retention_seconds=600)
    old = e.create(surface="s", operation="Op", target=None)
    clock.advance(300)
    new = e.create(surface="s", operation="Op", target=None)
    clock.advance(300.5)
    assert e.get(old.id) is None
    assert e.get(new.id) is not None
    clock.advance(300)
    assert len(e) == 0


def test_ids_per_surface_and_seeded_uuid_and_jitter(clock: FakeClock) -> None:
    def run() -> tuple[list[str], list[float]]:
        e = TaskEngine(FakeClock(), TaskSettings(default=10, jitter=0.5), rng=random.Random(3))
        out, ends = [], []
        for fmt, s in (
            ("task-{n}", "vim25"),
            ("SmsTask-{n}", "sms"),
            ("task-{n}", "vim25"),
            ("{uuid}:com.vmware.x", "vcenter"),
        ):
            t = e.create(surface=s, operation="Op", target=None, id_format=fmt)
            out.append(t.id)
            ends.append(t._end_mono)
        return out, ends

    ids, ends = run()
    assert ids[:3] == ["task-1", "SmsTask-1", "task-2"]
    assert ids[3].endswith(":com.vmware.x") and len(ids[3].split(":")[0]) == 36
    assert run() == (ids, ends)  # reproducible with the same seed
    assert all(1000 + 5 <= end <= 1000 + 15 for end in ends) and len(set(ends)) == 4


def test_where_task_fault_rule_fails_task_without_applying(clock: FakeClock) -> None:
    injector = FaultInjector(seed=1)
    e = TaskEngine(clock, TaskSettings(), injector=injector)
    # The renderer is given the task, so the payload can name the task's real target.
    e.fault_renderers["vim25"] = lambda a, t: {
        "_typeName": a.fault,
        "target": t.target,
        "state": t.state,
        **a.fault_fields,
    }
    injector.add(
        FaultRule(
            where="task",
            operation="ReconnectHost_Task",
            object="host-1",
            fault="NoHost",
            fault_fields={"name": "esx-1"},
            latency_ms=5000,
        )
    )
    applied: list[str] = []
    other = e.create(
        surface="vim25",
        operation="ReconnectHost_Task",
        target="host-2",
        on_complete=lambda t: applied.append("2"),
    )
    t = e.create(
        surface="vim25",
        operation="ReconnectHost_Task",
        target="host-1",
        on_complete=lambda t: applied.append("1"),
    )
    assert other.state == "success"
    assert t.state == "running"  # latency lengthened a zero-duration task
    clock.advance(5)
    t = e.require(t.id)
    assert t.state == "error"
    assert t.error == {"_typeName": "NoHost", "target": "host-1", "state": "error", "name": "esx-1"}
    assert applied == ["2"]


def test_settings_change_applies_to_new_tasks(clock: FakeClock) -> None:
    e = engine(clock)
    e.settings = TaskSettings(durations={"*": 4})
    assert e.create(surface="s", operation="Any", target=None).state == "running"
    e.settings = TaskSettings(durations={"Any": 0, "*": 4})
    assert e.create(surface="s", operation="Any", target=None).state == "success"


def test_ten_thousand_tasks_are_cheap(clock: FakeClock) -> None:
    e = engine(clock, default=60)
    for i in range(10_000):
        e.create(surface="vim25", operation="ReconnectHost_Task", target=f"host-{i}")
    clock.advance(61)
    assert e.settle() == 10_000
    assert len(e) == 10_000


def test_thread_safe_creation_and_reads(clock: FakeClock) -> None:
    import threading

    e = engine(clock, default=1)
    ids: list[str] = []
    guard = threading.Lock()

    def worker() -> None:
        mine = [e.create(surface="vim25", operation="Op", target=None).id for _ in range(500)]
        for i in mine:
            e.get(i)
        with guard:
            ids.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 4000
    clock.advance(1)
    assert e.settle() == 4000
