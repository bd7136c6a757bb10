"""Waiting for many tasks of all four kinds at once, bounded concurrency, secrets in handles."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from tests.overlay.conftest import ADMIN, FAST, PASSWORD, Control, Env
from vreconnect import (
    TaskOutcome,
    TaskState,
    TaskStatus,
    TaskTimeout,
    VimTask,
    WaitManyError,
    async_wait_all,
    faults,
    raise_for_failures,
    wait_all,
)
from vreconnect.tasks import AsyncVimTask, TaskKind

SHA1 = "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4"


def test_all_four_kinds_in_one_wait(env: Env, control: Control) -> None:
    control.durations({"*": 0.2})
    vc, rest, vr = env.vcenter(), env.rest(), env.vr()
    handles = [
        env.run(vc.reconnect_host("host-102")),
        env.run(vc.reconnect_vasa_provider("vasa-3")),  # fails: InvalidCertificate
        env.run(
            rest.redeploy_vcha_passive(
                name="vcsa-passive",
                folder="group-v4",
                host="host-21",
                active_hostname="mgmt-vc.example.com",
                active_ssl_thumbprint=SHA1,
                active_username=ADMIN,
                active_password=PASSWORD,
            )
        ),
        env.run(
            vr.reconnect_pairing(
                "e30d7438-0a92-449a-a4d6-7c9a623e01db",
                pair_vc_id="19098a21-74b3-4106-8870-1a50d1876eb9",
                username=ADMIN,
                password=PASSWORD,
            )
        ),
    ]
    assert [h.kind for h in handles] == ["vim25", "sms", "cis", "vr"]
    reports = []
    outcomes = env.wait_all(
        handles, concurrency=2, timeout=20, policy=FAST, on_progress=reports.append
    )
    assert [o.index for o in outcomes] == [0, 1, 2, 3]
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert isinstance(outcomes[1].error, faults.InvalidCertificate)
    assert outcomes[1].error.task_id == handles[1].id
    assert all(o.status.state is TaskState.SUCCEEDED for o in outcomes if o.ok)
    assert sum(r.final for r in reports) == 4  # one final report per task
    with pytest.raises(WaitManyError) as group:
        raise_for_failures(outcomes)
    assert group.value.indices == (1,)


class _FakeBackend:
    """A connection stand-in that counts concurrent task reads."""

    def __init__(self, reads_until_done: int) -> None:
        self.reads_until_done = reads_until_done
        self.reads: dict[str, int] = {}
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    @property
    def _session_token(self) -> str | None:
        return "token"

    def _begin(self, task_id: str) -> int:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.reads[task_id] = self.reads.get(task_id, 0) + 1
            return self.reads[task_id]

    def _end(self) -> None:
        with self.lock:
            self.active -= 1

    def _status(self, task_id: str, n: int) -> TaskStatus:
        if task_id == "bad":
            fault = faults.NoHost(messages=("no host",)).with_task(task_id)
            return TaskStatus(task_id, "vim25", TaskState.FAILED, error=fault)
        state = TaskState.SUCCEEDED if n >= self.reads_until_done else TaskState.RUNNING
        return TaskStatus(task_id, "vim25", state, progress=None, result=task_id)

    def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        n = self._begin(task_id)
        try:
            time.sleep(0.02)
            return self._status(task_id, n)
        finally:
            self._end()

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        raise AssertionError("not used")

    def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None:
        raise AssertionError("not used")


class _AsyncFakeBackend(_FakeBackend):
    async def _read_task_status(  # type: ignore[override]
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        n = self._begin(task_id)
        try:
            await asyncio.sleep(0.02)
            return self._status(task_id, n)
        finally:
            self._end()


def test_wait_all_bounds_concurrency_and_keeps_order() -> None:
    backend = _FakeBackend(reads_until_done=3)
    ids = ["a", "b", "bad", "c", "d", "e"]
    handles = [VimTask(backend, task_id) for task_id in ids]
    outcomes = wait_all(handles, concurrency=2, timeout=10, policy=FAST)
    assert backend.peak <= 2
    assert [o.handle.id for o in outcomes if o.handle] == ids
    assert [o.result for o in outcomes] == ["a", "b", None, "c", "d", "e"]
    assert isinstance(outcomes[2].error, faults.NoHost)
    assert isinstance(outcomes[0], TaskOutcome)


def test_async_wait_all_bounds_concurrency_and_keeps_order() -> None:
    backend = _AsyncFakeBackend(reads_until_done=3)
    ids = ["a", "bad", "b", "c", "d"]
    handles = [AsyncVimTask(backend, task_id) for task_id in ids]  # type: ignore[arg-type]
    outcomes = asyncio.run(async_wait_all(handles, concurrency=3, timeout=10, policy=FAST))
    assert backend.peak <= 3
    assert [o.result for o in outcomes] == ["a", None, "b", "c", "d"]
    assert isinstance(outcomes[1].error, faults.NoHost)


def test_wait_all_timeout_is_collected_not_raised() -> None:
    backend = _FakeBackend(reads_until_done=10_000)
    handles = [VimTask(backend, task_id) for task_id in ("x", "y")]
    outcomes = wait_all(handles, concurrency=2, timeout=0.1, policy=FAST)
    assert all(isinstance(o.error, TaskTimeout) for o in outcomes)
    assert [o.error.task_id for o in outcomes if isinstance(o.error, TaskTimeout)] == ["x", "y"]


def test_handles_never_show_call_passwords(env: Env) -> None:
    secret = "Rotated-Pa55!"  # host-105's real root password
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-105", user_name="root", password=secret))
    env.run(task.wait(timeout=10))
    for text in (repr(task), str(task), repr(vars(task)), repr(task.last_status)):
        assert secret not in text
