"""Task handles' waits against the simulator and against a scripted connection: the timeout
bounds the HTTP reads, transient failures are retried until the deadline, timeouts report
the caller's timeout, secrets stay out of statuses, Ctrl-C stops wait_all at once, and
async progress callbacks are awaited."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.overlay.conftest import FAST, Control, Env
from vreconnect import (
    AsyncVimTask,
    GatewayError,
    ProgressReport,
    TaskState,
    TaskStatus,
    TaskTimeout,
    TransportError,
    VimTask,
    async_wait_all,
    faults,
    wait_all,
)
from vreconnect.tasks import MIN_READ_TIMEOUT, TaskKind

RECONNECT = "ReconnectHost_Task"
READ = "GetTaskInfo"


# ---------------------------------------------------------------------------- the simulator


def test_the_timeout_bounds_slow_task_reads(env: Env, control: Control) -> None:
    """Task reads answered after 3 s: wait(timeout=0.3) must not wait for them (nor for the
    connection's 30 s request timeout); it times out after at most MIN_READ_TIMEOUT."""
    control.durations({RECONNECT: 30})
    control.fault(surface="vim25", operation=READ, latency_ms=3000)
    vc = env.vcenter(socket=True)  # over the socket in both modes: ASGITransport never times out
    task = env.run(vc.reconnect_host("host-102"))
    started = time.monotonic()
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.3, policy=FAST))
    assert time.monotonic() - started < 3.0 - MIN_READ_TIMEOUT
    err = info.value
    assert err.task_id == task.id and err.timeout == 0.3
    assert "within 0.3s" in str(err)
    assert isinstance(err.__cause__, TransportError)  # the read that ran into the deadline


def test_transient_failures_are_retried_until_the_deadline(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    control.fault(surface="vim25", operation=READ, status=504, skip=1)  # 504 after one read
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.7, policy=FAST))
    err = info.value
    assert err.task_id == task.id and err.timeout == 0.7
    assert err.last_status is not None and err.last_status.state is TaskState.RUNNING
    assert isinstance(err.__cause__, GatewayError) and err.__cause__.status_code == 504
    assert control.rule(READ)["fired"] > FAST.max_transient_retries  # not cut off by count


def test_without_a_timeout_transient_failures_are_bounded_by_count(
    env: Env, control: Control
) -> None:
    control.durations({RECONNECT: 30})
    control.fault(surface="vim25", operation=READ, status=503, skip=1)
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    with pytest.raises(GatewayError) as info:
        env.run(task.wait(timeout=None, policy=FAST))
    assert info.value.status_code == 503
    assert info.value.task_id == task.id  # type: ignore[attr-defined]
    assert control.rule(READ)["fired"] == FAST.max_transient_retries + 1


def test_statuses_never_show_a_password_the_server_echoes(env: Env, control: Control) -> None:
    """The task's error echoes the host password: neither the status (``last_status``, a
    TaskOutcome) nor its ``safe_raw`` may show it; ``raw`` keeps what the server sent."""
    secret = "H0st-Secret-Pa55!"
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        where="task",
        fault="InvalidLogin",
        message=f"login as root with {secret} failed",
        count=1,
    )
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102", user_name="root", password=secret))
    outcome = env.wait_all([task], timeout=10, policy=FAST)[0]
    assert isinstance(outcome.error, faults.InvalidLogin)
    status = task.last_status
    assert status is not None and status.state is TaskState.FAILED
    assert secret in repr(status.raw)  # the server did echo it
    for text in (repr(status), str(status), repr(status.safe_raw), repr(outcome), repr(task)):
        assert secret not in text


# ---------------------------------------------------------------------------- scripted


class Scripted:
    """A connection stand-in: task ``t`` reads ``plan[t]`` in turn (the last one repeats)."""

    def __init__(self, plan: dict[str, list[TaskStatus]]) -> None:
        self.plan = {task_id: list(steps) for task_id, steps in plan.items()}
        self.reads: dict[str, int] = dict.fromkeys(plan, 0)
        self.timeouts: list[float | None] = []
        self.lock = threading.Lock()

    @property
    def _session_token(self) -> str | None:
        return "token"

    def _next(self, task_id: str, timeout: float | None) -> TaskStatus:
        with self.lock:
            self.reads[task_id] += 1
            self.timeouts.append(timeout)
            steps = self.plan[task_id]
            return steps.pop(0) if len(steps) > 1 else steps[0]

    def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        time.sleep(0.001)
        return self._next(task_id, timeout)

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        raise AssertionError("not used")

    def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None:
        raise AssertionError("not used")


class AsyncScripted(Scripted):
    async def _read_task_status(  # type: ignore[override]
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        await asyncio.sleep(0.001)
        return self._next(task_id, timeout)

    async def _reauthenticate(  # type: ignore[override]
        self, stale: str | None, timeout: float | None = None
    ) -> None:
        raise AssertionError("not used")


def running(task_id: str, progress: int | None = None) -> TaskStatus:
    return TaskStatus(task_id, "vim25", TaskState.RUNNING, progress=progress)


def test_each_read_is_bounded_by_what_is_left_of_the_timeout() -> None:
    done = TaskStatus("t", "vim25", TaskState.SUCCEEDED)
    backend = Scripted({"t": [running("t")] * 5 + [done]})
    VimTask(backend, "t").wait(timeout=3, policy=FAST)
    budgets = [b for b in backend.timeouts if b is not None]
    assert len(budgets) == len(backend.timeouts) == 6
    assert 2.5 < budgets[0] <= 3
    assert budgets == sorted(budgets, reverse=True)  # what is left of the 3 s
    # At the deadline, a read still gets MIN_READ_TIMEOUT.
    backend = Scripted({"t": [running("t")]})
    with pytest.raises(TaskTimeout):
        VimTask(backend, "t").wait(timeout=0.1, policy=FAST)
    assert set(backend.timeouts) == {MIN_READ_TIMEOUT}
    # Without a timeout, the connection's own request timeout applies.
    backend = Scripted({"t": [running("t"), done]})
    VimTask(backend, "t").wait(timeout=None, policy=FAST)
    assert backend.timeouts == [None, None]


def test_a_timeout_after_a_thumbprint_replacement_reports_the_callers_timeout() -> None:
    """The wait continues on the replacement task with what is left of the deadline, but a
    TaskTimeout still says the timeout the caller gave."""
    fault = faults.SSLVerifyFault(messages=("untrusted",), thumbprint="AB:CD").with_task("t1")
    failed = TaskStatus("t1", "vim25", TaskState.FAILED, error=fault)
    backend = Scripted({"t1": [failed], "t2": [running("t2")]})
    handle = VimTask(backend, "t1")
    handle._retry_hook = lambda exc: "t2"
    with pytest.raises(TaskTimeout) as info:
        handle.wait(timeout=0.3, policy=FAST)
    assert info.value.task_id == "t2" and info.value.timeout == 0.3
    assert "within 0.3s" in str(info.value)


def test_only_the_fault_that_ended_the_task_is_offered_for_a_replacement() -> None:
    """A fault raised by a status read (not the task's outcome) is raised as is, with the
    task id, without consulting the retry hook."""
    offered: list[faults.Fault] = []

    class Failing(Scripted):
        def _read_task_status(self, *args: Any, **kwargs: Any) -> TaskStatus:
            raise faults.SSLVerifyFault(messages=("read refused",), status=500)

    handle = VimTask(Failing({"t1": [running("t1")]}), "t1")
    handle._retry_hook = lambda exc: offered.append(exc) or "t2"
    with pytest.raises(faults.SSLVerifyFault) as info:
        handle.wait(timeout=5, policy=FAST)
    assert offered == [] and info.value.task_id == "t1"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_wait_all_timeouts_report_the_shared_timeout(mode: str) -> None:
    backend = Scripted({"a": [running("a")], "b": [running("b")]})
    if mode == "sync":
        outcomes = wait_all(
            [VimTask(backend, "a"), VimTask(backend, "b")],
            concurrency=1,
            timeout=0.2,
            policy=FAST,
        )
    else:
        abackend = AsyncScripted({"a": [running("a")], "b": [running("b")]})
        handles = [AsyncVimTask(abackend, "a"), AsyncVimTask(abackend, "b")]  # type: ignore[arg-type]
        outcomes = asyncio.run(async_wait_all(handles, concurrency=1, timeout=0.2, policy=FAST))
    errors = [o.error for o in outcomes]
    assert all(isinstance(e, TaskTimeout) for e in errors)
    # "b" only got its turn after the deadline: it still reports the 0.2 s it was given.
    assert [(e.task_id, e.timeout) for e in errors if isinstance(e, TaskTimeout)] == [
        ("a", 0.2),
        ("b", 0.2),
    ]
    assert all("within 0.2s" in str(e) for e in errors)


def test_ctrl_c_in_wait_all_returns_at_once() -> None:
    """A KeyboardInterrupt (here raised by the progress callback, as Ctrl-C would reach a
    CLI's display) ends wait_all at once; the other waits stop instead of running on."""
    ids = ["a", "b", "c", "d"]
    backend = Scripted({t: [running(t, p) for p in range(1, 100)] for t in ids})
    interrupted: list[str] = []

    def on_progress(report: ProgressReport) -> None:
        if report.task_id == "a" and report.progress == 3 and not interrupted:
            interrupted.append("a")
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        wait_all(
            [VimTask(backend, t) for t in ids],
            concurrency=2,
            timeout=10,
            policy=FAST,
            on_progress=on_progress,
        )
    assert time.monotonic() - started < 5  # not the 10 s the other waits had left
    time.sleep(0.05)  # a read in flight may finish
    settled = dict(backend.reads)
    time.sleep(0.2)
    assert backend.reads == settled  # no wait goes on reading


_SLOW_READ_CHILD = """
import time

import httpx

from vreconnect import VCenter, wait_all

BASE = "/sdk/vim25/8.0.3.0"


class SlowReads(httpx.BaseTransport):
    def handle_request(self, request):
        path = request.url.path.removeprefix(BASE)
        if path == "/ServiceInstance/ServiceInstance/content":
            return httpx.Response(200, json={"sessionManager": {"value": "SM"}})
        if path == "/SessionManager/SM/Login":
            return httpx.Response(200, json={}, headers={"vmware-api-session-id": "tok"})
        if path == "/Task/t-1/info":
            print("reading", flush=True)
            time.sleep(30)  # a read in flight, as a server that stopped answering holds it
        return httpx.Response(200, json={"state": "running"})


vc = VCenter("https://vc", "u", "p", transport=SlowReads())
try:
    wait_all([vc.task("t-1")], timeout=60)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_in_wait_all_exits_the_process_promptly_with_a_read_in_flight() -> None:
    """Ctrl-C while a worker thread is inside a slow status read: the program ends at once,
    not when that read times out (worker threads must not hold up the interpreter's exit)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_READ_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "reading\n"
        interrupted = time.monotonic()
        child.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
        took = time.monotonic() - interrupted
    finally:
        child.kill()
        output, errors = child.communicate()
    assert output == "interrupted\n", errors
    assert took < 2, f"the process took {took:.1f}s to exit after Ctrl-C"
    assert child.returncode == 0, errors


def test_async_progress_callbacks_are_awaited() -> None:
    backend = AsyncScripted(
        {"t": [running("t", 10), running("t", 60), TaskStatus("t", "vim25", TaskState.SUCCEEDED)]}
    )
    seen: list[tuple[int | None, bool]] = []

    async def on_progress(report: ProgressReport) -> None:
        await asyncio.sleep(0)
        seen.append((report.progress, report.final))

    handle = AsyncVimTask(backend, "t")  # type: ignore[arg-type]
    asyncio.run(handle.wait(timeout=5, policy=FAST, on_progress=on_progress))
    assert seen == [(10, False), (60, False), (None, True)]


def test_a_blocking_wait_refuses_an_async_progress_callback() -> None:
    async def on_progress(report: ProgressReport) -> None:
        raise AssertionError("never called")

    backend = Scripted({"t": [running("t")]})
    with pytest.raises(TypeError, match="coroutine function"):
        VimTask(backend, "t").wait(timeout=5, on_progress=on_progress)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="coroutine function"):
        wait_all([VimTask(backend, "t")], timeout=5, on_progress=on_progress)  # type: ignore[arg-type]
    assert backend.reads["t"] == 0
