"""The sync and async wait drivers, on a fake clock: every behaviour is checked on both.

Most tests are written once and run twice through the ``driver`` fixture: ``sync`` calls
``wait_for`` (its fake sleep returns at once, so blocking is harmless), ``async`` awaits
``async_wait_for``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from vreconnect.errors import TaskTimeout, VReconnectError
from vreconnect.waiting import (
    Deadline,
    PollPolicy,
    ProgressReport,
    TaskCancelled,
    TaskFailed,
    TaskState,
    TaskStatus,
    WaitManyError,
    async_wait_all,
    async_wait_for,
    raise_for_failures,
    wait_all,
    wait_for,
)

NO_JITTER = PollPolicy(initial_delay=0.25, multiplier=2.0, max_delay=5.0, jitter=0.0)

Q, R, OK, FAIL, CANCEL = (
    TaskState.QUEUED,
    TaskState.RUNNING,
    TaskState.SUCCEEDED,
    TaskState.FAILED,
    TaskState.CANCELLED,
)


class FakeClock:
    """A monotonic clock whose sleep advances time instead of blocking."""

    def __init__(self, start: float = 500.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, delay: float) -> None:
        assert delay >= 0, f"negative sleep {delay}"
        with self._lock:
            self.sleeps.append(delay)
            self.now += delay

    async def async_sleep(self, delay: float) -> None:
        self.sleep(delay)
        await asyncio.sleep(0)  # let other waits run, as a real sleep would


class StatusCodeError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


class SessionExpired(Exception):
    pass


def st(state: TaskState, task_id: str = "task-9", **kw: Any) -> TaskStatus:
    return TaskStatus(task_id=task_id, kind="vim25", state=state, **kw)


Step = TaskStatus | BaseException


class Script:
    """A fake task: each read returns (or raises) the next step; the last step repeats."""

    def __init__(self, clock: FakeClock, steps: Sequence[Step]) -> None:
        self.clock = clock
        self.steps = list(steps)
        self.read_times: list[float] = []

    def read(self) -> TaskStatus:
        self.read_times.append(self.clock.now)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, BaseException):
            raise step
        return step

    async def aread(self) -> TaskStatus:
        await asyncio.sleep(0)
        return self.read()


class Driver:
    """Runs one wait through the sync or the async driver with the same arguments."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def wait(self, script: Script, **kw: Any) -> TaskStatus:
        kw.setdefault("policy", NO_JITTER)
        if self.mode == "sync":
            return wait_for(script.read, clock=script.clock, sleep=script.clock.sleep, **kw)
        return await async_wait_for(
            script.aread, clock=script.clock, sleep=script.clock.async_sleep, **kw
        )


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Reports:
    def __init__(self) -> None:
        self.items: list[ProgressReport] = []

    def __call__(self, report: ProgressReport) -> None:
        self.items.append(report)

    @property
    def finals(self) -> list[ProgressReport]:
        return [r for r in self.items if r.final]


# --- outcomes --------------------------------------------------------------------------------


async def test_success_returns_final_status_reading_at_once_then_backing_off(
    driver: Driver, clock: FakeClock
) -> None:
    done = st(OK, result={"vm": "vm-42"})
    script = Script(clock, [st(Q), st(R), st(R), done])
    result = await driver.wait(script, timeout=60)
    assert result is done
    assert result.result == {"vm": "vm-42"}
    # First read with no initial sleep, then 0.25, 0.5, 1.0 (multiplier 2).
    assert clock.sleeps == [0.25, 0.5, 1.0]
    assert script.read_times == [500.0, 500.25, 500.75, 501.75]


async def test_failure_raises_the_exact_error_with_task_id(
    driver: Driver, clock: FakeClock
) -> None:
    fault = RuntimeError("InsufficientResourcesFault")
    reports = Reports()
    script = Script(clock, [st(R), st(FAIL, error=fault, message="no room")])
    with pytest.raises(RuntimeError) as info:
        await driver.wait(script, timeout=60, on_progress=reports)
    assert info.value is fault
    assert info.value.task_id == "task-9"  # type: ignore[attr-defined]
    assert [(r.state, r.final) for r in reports.finals] == [(FAIL, True)]


async def test_failure_without_error_raises_task_failed(driver: Driver, clock: FakeClock) -> None:
    script = Script(clock, [st(FAIL, message="it broke")])
    with pytest.raises(TaskFailed, match="no error detail") as info:
        await driver.wait(script, timeout=60)
    assert isinstance(info.value, VReconnectError)
    assert info.value.task_id == "task-9"
    assert info.value.last_status is not None and info.value.last_status.message == "it broke"


async def test_cancelled_raises_task_cancelled(driver: Driver, clock: FakeClock) -> None:
    cancelled = st(CANCEL, message="cancelled by admin")
    reports = Reports()
    with pytest.raises(TaskCancelled) as info:
        await driver.wait(Script(clock, [st(R), cancelled]), timeout=60, on_progress=reports)
    assert isinstance(info.value, VReconnectError)
    assert info.value.task_id == "task-9"
    assert info.value.last_status is cancelled
    assert [(r.state, r.final) for r in reports.finals] == [(CANCEL, True)]


# --- deadline --------------------------------------------------------------------------------


async def test_timeout_never_sleeps_past_the_deadline(driver: Driver, clock: FakeClock) -> None:
    reports = Reports()
    last = st(R, progress=40)
    script = Script(clock, [st(R, progress=10), last])
    with pytest.raises(TaskTimeout) as info:
        await driver.wait(script, timeout=2.0, on_progress=reports)
    # 0.25 + 0.5 + 1.0 = 1.75; the next backoff (2.0) is clamped to the 0.25 left.
    assert clock.sleeps == [0.25, 0.5, 1.0, 0.25]
    assert sum(clock.sleeps) <= 2.0
    # One last read lands exactly on the deadline, and then no more sleeping.
    assert script.read_times[-1] == clock.start + 2.0
    err = info.value
    assert (err.task_id, err.timeout, err.last_status) == ("task-9", 2.0, last)
    assert "40%" in str(err)
    final = reports.finals
    assert len(final) == 1 and reports.items[-1] is final[0]
    assert (final[0].state, final[0].progress, final[0].elapsed) == (R, 40, 2.0)


async def test_retry_after_is_honoured_but_clamped_to_the_deadline(
    driver: Driver, clock: FakeClock
) -> None:
    script = Script(clock, [st(R, retry_after=3.0), st(R, retry_after=30.0)])
    with pytest.raises(TaskTimeout):
        await driver.wait(script, timeout=10.0)
    assert clock.sleeps == [3.0, 7.0]  # the 30s hint would overshoot: clamped to what is left


async def test_zero_timeout_reads_once_and_never_sleeps(driver: Driver, clock: FakeClock) -> None:
    script = Script(clock, [st(R)])
    with pytest.raises(TaskTimeout):
        await driver.wait(script, timeout=0)
    assert clock.sleeps == []
    assert len(script.read_times) == 1


async def test_timeout_before_any_read_uses_the_given_task_id(
    driver: Driver, clock: FakeClock
) -> None:
    reports = Reports()
    outage = httpx.ConnectError("no route to host")
    policy = PollPolicy(initial_delay=1.0, multiplier=1.0, max_delay=1.0, jitter=0.0,
                        max_transient_retries=100)  # fmt: skip
    script = Script(clock, [outage])
    with pytest.raises(TaskTimeout) as info:
        await driver.wait(
            script, timeout=3.5, policy=policy, task_id="task-77", on_progress=reports
        )
    assert info.value.task_id == "task-77"
    assert info.value.last_status is None
    assert info.value.__cause__ is outage  # why we never got a status
    assert sum(clock.sleeps) == 3.5
    assert [(r.task_id, r.state, r.final) for r in reports.items] == [("task-77", None, True)]


async def test_no_timeout_waits_as_long_as_it_takes_with_capped_delays(
    driver: Driver, clock: FakeClock
) -> None:
    script = Script(clock, [st(R)] * 40 + [st(OK)])
    await driver.wait(script, timeout=None, policy=PollPolicy())
    assert len(clock.sleeps) == 40
    assert max(clock.sleeps) <= 5.0
    assert all(4.5 <= d <= 5.0 for d in clock.sleeps[-10:])  # reached the cap, jittered down


# --- transient read failures -----------------------------------------------------------------


async def test_transient_errors_are_retried_and_the_wait_succeeds(
    driver: Driver, clock: FakeClock
) -> None:
    done = st(OK)
    script = Script(
        clock,
        [
            httpx.ConnectError("refused"),
            StatusCodeError(503),
            st(R),
            httpx.ReadTimeout("slow"),
            done,
        ],
    )
    assert await driver.wait(script, timeout=60) is done
    assert len(script.read_times) == 5
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0]  # the same backoff as ordinary polls


async def test_too_many_consecutive_transient_errors_raise_the_last(
    driver: Driver, clock: FakeClock
) -> None:
    errors = [httpx.ConnectError(f"refused {n}") for n in range(4)]
    policy = PollPolicy(jitter=0.0, max_transient_retries=2)
    script = Script(clock, [st(R), *errors])
    with pytest.raises(httpx.ConnectError) as info:
        await driver.wait(script, timeout=None, policy=policy)
    assert info.value is errors[2]  # two tolerated, the third raised
    assert len(script.read_times) == 4


async def test_the_transient_count_resets_after_a_good_read(
    driver: Driver, clock: FakeClock
) -> None:
    policy = PollPolicy(jitter=0.0, max_transient_retries=2)
    boom = StatusCodeError(502)
    script = Script(clock, [boom, boom, st(R), boom, boom, st(OK)])
    assert (await driver.wait(script, timeout=None, policy=policy)).state is OK


async def test_non_transient_error_raises_at_once(driver: Driver, clock: FakeClock) -> None:
    bug = StatusCodeError(500)
    script = Script(clock, [bug, st(OK)])
    with pytest.raises(StatusCodeError) as info:
        await driver.wait(script, timeout=60)
    assert info.value is bug
    assert clock.sleeps == []


async def test_a_custom_transient_predicate_replaces_the_default(
    driver: Driver, clock: FakeClock
) -> None:
    script = Script(clock, [KeyError("flaky"), st(OK)])
    result = await driver.wait(script, timeout=60, transient=lambda e: isinstance(e, KeyError))
    assert result.state is OK

    script = Script(clock, [httpx.ConnectError("now fatal"), st(OK)])
    with pytest.raises(httpx.ConnectError):
        await driver.wait(script, timeout=60, transient=lambda e: isinstance(e, KeyError))


async def test_with_a_deadline_transient_errors_are_retried_until_it_not_by_count(
    driver: Driver, clock: FakeClock
) -> None:
    """A gateway answering 504 for good: the wait keeps trying (backing off) until its
    timeout, then raises TaskTimeout with the last status read and the last 504 as cause."""
    running = st(R, progress=20)
    gateway = [StatusCodeError(504) for _ in range(60)]
    policy = PollPolicy(
        initial_delay=0.25, multiplier=2.0, max_delay=1.0, jitter=0.0, max_transient_retries=5
    )
    script = Script(clock, [running, *gateway])
    with pytest.raises(TaskTimeout) as info:
        await driver.wait(script, timeout=10.0, policy=policy, task_id="task-9")
    err = info.value
    assert (err.task_id, err.timeout, err.last_status) == ("task-9", 10.0, running)
    assert isinstance(err.__cause__, StatusCodeError) and err.__cause__.status_code == 504
    assert err.__cause__ is gateway[len(script.read_times) - 2]  # the last read's error
    assert len(script.read_times) - 1 > policy.max_transient_retries
    assert clock.sleeps[:4] == [0.25, 0.5, 1.0, 1.0]  # backing off, capped
    assert script.read_times[-1] == clock.start + 10.0  # tried up to the deadline
    assert sum(clock.sleeps) == 10.0


async def test_without_a_deadline_the_count_bounds_transient_errors_and_names_the_task(
    driver: Driver, clock: FakeClock
) -> None:
    errors = [StatusCodeError(503) for _ in range(4)]
    policy = PollPolicy(jitter=0.0, max_transient_retries=2)
    script = Script(clock, [st(R, task_id="task-5"), *errors])
    with pytest.raises(StatusCodeError) as info:
        await driver.wait(script, timeout=None, policy=policy)
    assert info.value is errors[2]
    assert info.value.task_id == "task-5"  # type: ignore[attr-defined]


async def test_any_error_escaping_a_wait_carries_the_task_id(
    driver: Driver, clock: FakeClock
) -> None:
    bug = StatusCodeError(500)
    with pytest.raises(StatusCodeError) as info:
        await driver.wait(Script(clock, [bug]), timeout=60, task_id="task-77")
    assert info.value.task_id == "task-77"  # type: ignore[attr-defined]
    # One that already names a task keeps it; with no task id known, none is invented.
    named = StatusCodeError(500)
    named.task_id = "task-1"  # type: ignore[attr-defined]
    with pytest.raises(StatusCodeError):
        await driver.wait(Script(clock, [named]), timeout=60, task_id="task-77")
    assert named.task_id == "task-1"  # type: ignore[attr-defined]
    anonymous = StatusCodeError(500)
    with pytest.raises(StatusCodeError):
        await driver.wait(Script(clock, [anonymous]), timeout=60)
    assert not hasattr(anonymous, "task_id")


async def test_a_shared_deadline_reports_its_own_timeout(driver: Driver, clock: FakeClock) -> None:
    """wait_all and a wait that continues on a replacement task pass their Deadline on: a
    timeout reports the caller's timeout, not what was left of it."""
    deadline = Deadline(5.0, clock=clock)
    clock.now += 4.0  # spent on something else first (an earlier task, say)
    with pytest.raises(TaskTimeout) as info:
        await driver.wait(Script(clock, [st(R)]), timeout=deadline)
    assert info.value.timeout == 5.0 and "within 5s" in str(info.value)
    assert sum(clock.sleeps) == 1.0


# --- session expiry --------------------------------------------------------------------------


def _reauth(driver: Driver, calls: list[str]) -> Callable[[], Any]:
    if driver.mode == "sync":
        return lambda: calls.append("login")

    async def login() -> None:
        await asyncio.sleep(0)
        calls.append("login")  # only recorded if the driver awaited us

    return login


async def test_session_expiry_reauthenticates_once_and_reads_again_at_once(
    driver: Driver, clock: FakeClock
) -> None:
    calls: list[str] = []
    script = Script(clock, [st(R), SessionExpired(), st(OK)])
    result = await driver.wait(
        script,
        timeout=60,
        reauthenticate=_reauth(driver, calls),
        is_session_expired=lambda e: isinstance(e, SessionExpired),
    )
    assert result.state is OK
    assert calls == ["login"]
    assert clock.sleeps == [0.25]  # no backoff between the expiry and the retried read
    assert script.read_times == [500.0, 500.25, 500.25]


async def test_a_second_session_expiry_raises(driver: Driver, clock: FakeClock) -> None:
    calls: list[str] = []
    second = SessionExpired("again")
    script = Script(clock, [SessionExpired("first"), st(R), second, st(OK)])
    with pytest.raises(SessionExpired) as info:
        await driver.wait(
            script,
            timeout=60,
            reauthenticate=_reauth(driver, calls),
            is_session_expired=lambda e: isinstance(e, SessionExpired),
        )
    assert info.value is second
    assert calls == ["login"]


async def test_session_expiry_without_a_reauthenticate_callback_raises(
    driver: Driver, clock: FakeClock
) -> None:
    # Even if it also looks transient: retrying with a dead session cannot help.
    expired = StatusCodeError(503)
    script = Script(clock, [expired, st(OK)])
    with pytest.raises(StatusCodeError):
        await driver.wait(script, timeout=60, is_session_expired=lambda e: e is expired)


async def test_a_re_login_that_fails_transiently_is_retried(
    driver: Driver, clock: FakeClock
) -> None:
    calls: list[str] = []
    outcomes: list[Exception | None] = [httpx.ConnectError("login blip"), None]

    def login() -> None:
        calls.append("login")
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    async def async_login() -> None:
        login()

    script = Script(clock, [SessionExpired(), SessionExpired(), st(OK)])
    result = await driver.wait(
        script,
        timeout=60,
        reauthenticate=login if driver.mode == "sync" else async_login,
        is_session_expired=lambda e: isinstance(e, SessionExpired),
    )
    assert result.state is OK
    assert calls == ["login", "login"]
    assert clock.sleeps == [0.25]  # backed off after the failed login, not after the good one


async def test_a_re_login_running_into_the_deadline_is_a_timeout(
    driver: Driver, clock: FakeClock
) -> None:
    slow = httpx.ReadTimeout("login too slow")

    def login() -> None:
        clock.now += 10.0  # the login took all the time there was
        raise slow

    async def async_login() -> None:
        login()

    running = st(R)
    script = Script(clock, [running, SessionExpired(), st(OK)])
    with pytest.raises(TaskTimeout) as info:
        await driver.wait(
            script,
            timeout=5.0,
            reauthenticate=login if driver.mode == "sync" else async_login,
            is_session_expired=lambda e: isinstance(e, SessionExpired),
        )
    assert info.value.__cause__ is slow and info.value.last_status is running
    assert info.value.timeout == 5.0


async def test_a_re_login_refused_is_raised_with_the_task_id(
    driver: Driver, clock: FakeClock
) -> None:
    refused = RuntimeError("InvalidLogin")

    def login() -> None:
        raise refused

    async def async_login() -> None:
        login()

    with pytest.raises(RuntimeError) as info:
        await driver.wait(
            Script(clock, [SessionExpired(), st(OK)]),
            timeout=60,
            task_id="task-4",
            reauthenticate=login if driver.mode == "sync" else async_login,
            is_session_expired=lambda e: isinstance(e, SessionExpired),
        )
    assert info.value is refused and info.value.task_id == "task-4"  # type: ignore[attr-defined]


# --- progress reports ------------------------------------------------------------------------


async def test_one_report_per_change_and_exactly_one_final(
    driver: Driver, clock: FakeClock
) -> None:
    reports = Reports()
    script = Script(
        clock,
        [
            st(Q),
            st(Q),
            st(R, progress=10),
            st(R, progress=10),
            st(R, progress=10, message="copying disks"),
            st(R, progress=60, message="copying disks"),
            st(OK, progress=100),
        ],
    )
    await driver.wait(script, timeout=60, on_progress=reports)
    assert [(r.state, r.progress, r.message, r.final) for r in reports.items] == [
        (Q, None, None, False),
        (R, 10, None, False),
        (R, 10, "copying disks", False),
        (R, 60, "copying disks", False),
        (OK, 100, None, True),
    ]
    assert {(r.task_id, r.kind) for r in reports.items} == {("task-9", "vim25")}
    # elapsed is measured on the injected clock from the start of the wait.
    read_offsets = [t - clock.start for t in script.read_times]
    assert [r.elapsed for r in reports.items] == [read_offsets[i] for i in (0, 2, 4, 5, 6)]


async def test_a_raising_callback_does_not_break_the_wait(
    driver: Driver, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[ProgressReport] = []

    def broken(report: ProgressReport) -> None:
        seen.append(report)
        raise ValueError("progress bar exploded")

    script = Script(clock, [st(R, progress=1), st(R, progress=2), st(OK)])
    with caplog.at_level(logging.WARNING, logger="vreconnect.waiting"):
        result = await driver.wait(script, timeout=60, on_progress=broken)
    assert result.state is OK
    assert [(r.progress, r.final) for r in seen] == [(1, False), (2, False), (None, True)]
    logged = [r for r in caplog.records if "progress callback failed" in r.getMessage()]
    assert len(logged) == 3
    assert all(r.exc_info and isinstance(r.exc_info[1], ValueError) for r in logged)


async def test_final_report_is_delivered_when_the_wait_dies_mid_sleep(
    driver: Driver, clock: FakeClock
) -> None:
    reports = Reports()

    def bad_sleep(delay: float) -> None:
        raise RuntimeError("interrupted")

    async def bad_async_sleep(delay: float) -> None:
        raise RuntimeError("interrupted")

    script = Script(clock, [st(R, progress=5)])
    with pytest.raises(RuntimeError, match="interrupted"):
        if driver.mode == "sync":
            wait_for(script.read, timeout=60, clock=clock, sleep=bad_sleep, on_progress=reports)
        else:
            await async_wait_for(
                script.aread, timeout=60, clock=clock, sleep=bad_async_sleep, on_progress=reports
            )
    assert [(r.progress, r.final) for r in reports.items] == [(5, False), (5, True)]


async def test_async_progress_callbacks_are_awaited_in_order(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[int | None, bool]] = []

    async def on_progress(report: ProgressReport) -> None:
        await asyncio.sleep(0)
        seen.append((report.progress, report.final))
        if report.progress == 50:
            raise ValueError("progress bar exploded")

    script = Script(clock, [st(R, progress=10), st(R, progress=50), st(OK, progress=100)])
    with caplog.at_level(logging.WARNING, logger="vreconnect.waiting"):
        result = await async_wait_for(
            script.aread,
            timeout=60,
            policy=NO_JITTER,
            clock=clock,
            sleep=clock.async_sleep,
            on_progress=on_progress,
        )
    assert result.state is OK
    assert seen == [(10, False), (50, False), (100, True)]
    assert sum("progress callback failed" in r.getMessage() for r in caplog.records) == 1


def test_the_blocking_drivers_refuse_an_async_callback(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_progress(report: ProgressReport) -> None:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="coroutine function"):
        wait_for(lambda: st(OK), timeout=1, on_progress=on_progress)
    with pytest.raises(TypeError, match="coroutine function"):
        wait_all([lambda: st(OK)], timeout=1, on_progress=on_progress)
    # A plain function that returns a coroutine: dropped (closed, never run) with a warning.
    ran: list[str] = []

    async def body() -> None:
        ran.append("ran")

    with caplog.at_level(logging.WARNING, logger="vreconnect.waiting"):
        wait_for(lambda: st(OK), timeout=1, on_progress=lambda report: body())
    assert ran == []
    assert any("cannot await" in r.getMessage() for r in caplog.records)


async def test_cancelling_an_async_wait_delivers_the_final_report(clock: FakeClock) -> None:
    reports = Reports()
    sleeping = asyncio.Event()

    async def forever(delay: float) -> None:
        sleeping.set()
        await asyncio.Event().wait()

    script = Script(clock, [st(R, progress=30)])
    task = asyncio.create_task(
        async_wait_for(script.aread, timeout=None, clock=clock, sleep=forever, on_progress=reports)
    )
    await sleeping.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(r.progress, r.final) for r in reports.items] == [(30, False), (30, True)]


# --- many tasks: sync ------------------------------------------------------------------------


class Concurrency:
    """Counts how many reads are in flight at once."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        with self._lock:
            self.current -= 1


def test_wait_all_preserves_order_bounds_concurrency_and_collects_failures() -> None:
    clock = FakeClock()
    gauge = Concurrency()
    fault = RuntimeError("task 4 failed")

    def make_reader(i: int) -> Callable[[], TaskStatus]:
        # Later tasks finish sooner, so completion order differs from input order.
        steps: list[TaskStatus] = [st(R, task_id=f"t{i}")] * (10 - i)
        steps.append(
            st(FAIL, task_id=f"t{i}", error=fault) if i == 4 else st(OK, task_id=f"t{i}", result=i)
        )

        def read() -> TaskStatus:
            gauge.enter()
            try:
                time.sleep(0.002)  # real overlap between threads
                return steps.pop(0)
            finally:
                gauge.leave()

        return read

    outcomes = wait_all(
        [make_reader(i) for i in range(10)],
        concurrency=3,
        timeout=None,
        policy=NO_JITTER,
        clock=clock,
        sleep=clock.sleep,
    )
    assert [o.index for o in outcomes] == list(range(10))
    assert [o.status.result if o.status else None for o in outcomes] == [
        0, 1, 2, 3, None, 5, 6, 7, 8, 9,
    ]  # fmt: skip
    assert [o.ok for o in outcomes] == [i != 4 for i in range(10)]
    assert outcomes[4].error is fault
    assert 1 < gauge.peak <= 3

    with pytest.raises(WaitManyError) as info:
        raise_for_failures(outcomes)
    assert info.value.indices == (4,)


def test_wait_all_timeout_is_one_deadline_shared_by_all_tasks() -> None:
    clock = FakeClock()
    scripts = [Script(clock, [st(R, task_id=f"t{i}")]) for i in range(2)]
    outcomes = wait_all(
        [s.read for s in scripts],
        concurrency=1,
        timeout=1.0,
        policy=NO_JITTER,
        clock=clock,
        sleep=clock.sleep,
    )
    assert all(isinstance(o.error, TaskTimeout) for o in outcomes)
    assert sum(clock.sleeps) == 1.0  # the second task got no fresh second
    assert len(scripts[1].read_times) == 1  # but was still read once, at the deadline
    assert [o.error.task_id for o in outcomes] == ["t0", "t1"]  # type: ignore[union-attr]


def test_wait_all_names_tasks_that_never_answered() -> None:
    clock = FakeClock()
    down = Script(clock, [httpx.ConnectError("down")])
    policy = PollPolicy(jitter=0.0, max_transient_retries=1000)
    outcomes = wait_all(
        [down.read], timeout=2.0, policy=policy, clock=clock, sleep=clock.sleep, task_ids=["t-x"]
    )
    assert isinstance(outcomes[0].error, TaskTimeout)
    assert outcomes[0].error.task_id == "t-x"


def test_an_interrupted_wait_all_returns_at_once_and_stops_its_waits() -> None:
    """Ctrl-C (here: a KeyboardInterrupt from a progress callback) must not block until every
    task ends: wait_all re-raises at once and every wait stops."""
    reads = [0] * 4
    lock = threading.Lock()

    def make_reader(i: int) -> Callable[[], TaskStatus]:
        def read() -> TaskStatus:
            with lock:
                reads[i] += 1
            return st(R, task_id=f"t{i}", progress=min(reads[i], 100))

        return read

    interrupted: list[str] = []

    def on_progress(report: ProgressReport) -> None:
        if report.task_id == "t0" and report.progress == 3 and not interrupted:
            interrupted.append(report.task_id)
            raise KeyboardInterrupt

    policy = PollPolicy(initial_delay=0.01, multiplier=1.0, max_delay=0.01, jitter=0.0)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        wait_all(
            [make_reader(i) for i in range(4)],
            concurrency=2,
            timeout=10,
            policy=policy,
            on_progress=on_progress,
        )
    assert time.monotonic() - started < 5  # not the 10 s the other waits had left
    time.sleep(0.05)  # a read in flight when the interrupt came may still finish
    with lock:
        settled = sum(reads)
    time.sleep(0.1)
    with lock:
        assert sum(reads) == settled  # every wait stopped


def test_an_interrupt_from_any_wait_ends_wait_all_while_another_read_is_in_flight() -> None:
    """The second wait's callback raises KeyboardInterrupt while the first wait's read hangs:
    wait_all re-raises at once, not once the first read returns."""
    release = threading.Event()

    def hanging() -> TaskStatus:
        release.wait(5)
        return st(OK, task_id="t0")

    def interrupting(report: ProgressReport) -> None:
        if report.task_id == "t1":
            raise KeyboardInterrupt

    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            wait_all(
                [hanging, lambda: st(R, task_id="t1", progress=1)],
                concurrency=2,
                timeout=10,
                on_progress=interrupting,
            )
        assert time.monotonic() - started < 1
    finally:
        release.set()


def test_wait_all_validates_arguments() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        wait_all([], concurrency=0, timeout=None)
    with pytest.raises(ValueError, match="task_ids"):
        wait_all([lambda: st(OK)], timeout=None, task_ids=["a", "b"])
    assert wait_all([], timeout=None) == []


# --- many tasks: async -----------------------------------------------------------------------


async def test_async_wait_all_preserves_order_bounds_concurrency_and_collects_failures() -> None:
    clock = FakeClock()
    gauge = Concurrency()
    fault = RuntimeError("task 2 failed")

    def make_reader(i: int) -> Callable[[], Any]:
        steps: list[Step] = [st(R, task_id=f"t{i}")] * (8 - i)
        steps.append(httpx.ConnectError("blip"))  # transient: retried, not fatal
        steps.append(
            st(FAIL, task_id=f"t{i}", error=fault) if i == 2 else st(OK, task_id=f"t{i}", result=i)
        )

        async def read() -> TaskStatus:
            gauge.enter()
            try:
                await asyncio.sleep(0)  # yield while "in flight"
                step = steps.pop(0)
                if isinstance(step, BaseException):
                    raise step
                return step
            finally:
                gauge.leave()

        return read

    outcomes = await async_wait_all(
        [make_reader(i) for i in range(8)],
        concurrency=3,
        timeout=None,
        policy=NO_JITTER,
        clock=clock,
        sleep=clock.async_sleep,
    )
    assert [o.index for o in outcomes] == list(range(8))
    assert [o.status.result if o.status else None for o in outcomes] == [0, 1, None, 3, 4, 5, 6, 7]
    assert outcomes[2].error is fault
    assert gauge.peak == 3  # concurrency reached, never exceeded

    with pytest.raises(WaitManyError) as info:
        raise_for_failures(outcomes)
    assert info.value.indices == (2,)


async def test_async_wait_all_timeout_is_one_shared_deadline() -> None:
    clock = FakeClock()
    scripts = [Script(clock, [st(R, task_id=f"t{i}")]) for i in range(2)]
    outcomes = await async_wait_all(
        [s.aread for s in scripts],
        concurrency=1,
        timeout=1.0,
        policy=NO_JITTER,
        clock=clock,
        sleep=clock.async_sleep,
    )
    assert all(isinstance(o.error, TaskTimeout) for o in outcomes)
    assert sum(clock.sleeps) == 1.0
    assert len(scripts[1].read_times) == 1


async def test_async_wait_all_validates_arguments() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        await async_wait_all([], concurrency=0, timeout=None)
    assert await async_wait_all([], timeout=None) == []
