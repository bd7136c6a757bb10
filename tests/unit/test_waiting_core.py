"""The I/O-free core of vreconnect.waiting: types, backoff, deadlines, transient errors."""

from __future__ import annotations

import math
import random

import httpx
import pytest

from vreconnect.errors import TaskTimeout, TransportError, VReconnectError
from vreconnect.waiting import (
    Deadline,
    PollPolicy,
    TaskCancelled,
    TaskFailed,
    TaskState,
    TaskStatus,
    WaitDecision,
    WaitManyError,
    WaitOutcome,
    classify,
    is_transient,
    next_delay,
    raise_for_failures,
    resolve,
)


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class StatusCodeError(Exception):
    def __init__(self, status_code: object) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def status(state: TaskState, **kw: object) -> TaskStatus:
    return TaskStatus(task_id="task-1", kind="vim25", state=state, **kw)  # type: ignore[arg-type]


# --- TaskState / TaskStatus ------------------------------------------------------------------


def test_task_state_values_and_terminality() -> None:
    assert [s.value for s in TaskState] == ["queued", "running", "succeeded", "failed", "cancelled"]
    assert {s for s in TaskState if s.is_terminal} == {
        TaskState.SUCCEEDED,
        TaskState.FAILED,
        TaskState.CANCELLED,
    }


def test_task_status_defaults_and_frozen() -> None:
    s = TaskStatus(task_id="t", kind="sms", state=TaskState.RUNNING, progress=None, message=None)
    assert (s.result, s.error, s.raw, s.retry_after) == (None, None, None, None)
    with pytest.raises(AttributeError):
        s.state = TaskState.FAILED  # type: ignore[misc]


@pytest.mark.parametrize("progress", [-1, 101, 50.5, True])
def test_task_status_rejects_bad_progress(progress: object) -> None:
    with pytest.raises(ValueError, match="progress"):
        status(TaskState.RUNNING, progress=progress)


def test_task_status_rejects_non_enum_state() -> None:
    with pytest.raises(ValueError, match="state"):
        TaskStatus(task_id="t", kind="vim25", state="running", progress=None, message=None)  # type: ignore[arg-type]


def test_task_status_repr_leaves_raw_out_and_safe_raw_is_redacted() -> None:
    secret = "H0st-Secret-Pa55!"
    raw = {
        "state": "error",
        "description": f"login as root with {secret} failed",
        "spec": {"userName": "root", "password": secret},
    }
    st = TaskStatus(
        task_id="task-1",
        kind="vim25",
        state=TaskState.FAILED,
        message="login failed",
        result={"echo": secret, "vimAccountPassword": "x"},
        raw=raw,
        secrets=(secret,),
    )
    assert st.raw is raw  # callers still get exactly what the server sent
    assert secret not in repr(st) and "'x'" not in repr(st)
    assert "task-1" in repr(st) and "login failed" in repr(st)
    assert st.safe_raw == {
        "state": "error",
        "description": "login as root with ******** failed",
        "spec": {"userName": "root", "password": "********"},
    }
    # Password-like keys are masked even without being told the secret.
    plain = TaskStatus(task_id="t", kind="vr", state=TaskState.RUNNING, raw={"password": "p"})
    assert plain.safe_raw == {"password": "********"} and "'p'" not in repr(plain)
    # The secrets are not kept, and do not take part in equality.
    assert "secrets" not in vars(st)
    assert st == TaskStatus(
        task_id="task-1",
        kind="vim25",
        state=TaskState.FAILED,
        message="login failed",
        result={"echo": secret, "vimAccountPassword": "x"},
        raw=raw,
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1s"), (0.999997, "1s"), (0.25, "0.25s"), (600.0, "600s"), (12.54, "12.5s")],
)
def test_task_timeout_message_formats_the_timeout(seconds: float, text: str) -> None:
    err = TaskTimeout("task-3", seconds, status(TaskState.RUNNING, progress=40))
    assert str(err) == f"task task-3 did not finish within {text} (last state running, 40%)"
    assert err.timeout == seconds


# --- PollPolicy ------------------------------------------------------------------------------


def test_poll_policy_defaults() -> None:
    p = PollPolicy()
    assert (p.initial_delay, p.multiplier, p.max_delay, p.jitter, p.max_transient_retries) == (
        0.25,
        1.5,
        5.0,
        0.1,
        5,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial_delay": 0}, "initial_delay"),
        ({"initial_delay": -1}, "initial_delay"),
        ({"initial_delay": math.nan}, "initial_delay"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"multiplier": math.inf}, "multiplier"),
        ({"max_delay": 0.1}, "max_delay"),
        ({"jitter": -0.1}, "jitter"),
        ({"jitter": 1.0}, "jitter"),
        ({"max_transient_retries": -1}, "max_transient_retries"),
        ({"max_transient_retries": 1.5}, "max_transient_retries"),
        ({"max_transient_retries": True}, "max_transient_retries"),
        ({"initial_delay": "1"}, "initial_delay"),
    ],
)
def test_poll_policy_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"PollPolicy\.{field}"):
        PollPolicy(**kwargs)  # type: ignore[arg-type]


# --- classify / resolve ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "decision"),
    [
        (TaskState.QUEUED, WaitDecision.KEEP_POLLING),
        (TaskState.RUNNING, WaitDecision.KEEP_POLLING),
        (TaskState.SUCCEEDED, WaitDecision.DONE),
        (TaskState.FAILED, WaitDecision.DONE),
        (TaskState.CANCELLED, WaitDecision.DONE),
    ],
)
def test_classify(state: TaskState, decision: WaitDecision) -> None:
    assert classify(status(state)) is decision
    assert decision.done is state.is_terminal


def test_resolve_outcomes() -> None:
    ok = status(TaskState.SUCCEEDED, result=7)
    assert resolve(ok) is ok

    fault = RuntimeError("disk full")
    with pytest.raises(RuntimeError) as info:
        resolve(status(TaskState.FAILED, error=fault))
    assert info.value is fault
    assert fault.task_id == "task-1"  # type: ignore[attr-defined]

    with pytest.raises(TaskFailed, match="no error detail") as failed:
        resolve(status(TaskState.FAILED, message="boom"))
    assert isinstance(failed.value, VReconnectError)
    assert failed.value.task_id == "task-1"

    with pytest.raises(TaskCancelled) as cancelled:
        resolve(status(TaskState.CANCELLED))
    assert cancelled.value.task_id == "task-1"

    with pytest.raises(ValueError, match="not finished"):
        resolve(status(TaskState.RUNNING))


def test_resolve_keeps_an_existing_task_id() -> None:
    fault = RuntimeError("x")
    fault.task_id = "original"  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        resolve(status(TaskState.FAILED, error=fault))
    assert fault.task_id == "original"  # type: ignore[attr-defined]


# --- next_delay ------------------------------------------------------------------------------


def test_backoff_sequence_and_cap_without_jitter() -> None:
    policy = PollPolicy(initial_delay=0.25, multiplier=2.0, max_delay=3.0, jitter=0.0)
    rng = random.Random(0)
    delays = [next_delay(n, policy, retry_after=None, rng=rng) for n in range(7)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_default_policy_backoff_is_exponential_by_one_and_a_half() -> None:
    policy = PollPolicy(jitter=0.0)
    delays = [next_delay(n, policy, rng=random.Random(0)) for n in range(4)]
    assert delays == pytest.approx([0.25, 0.375, 0.5625, 0.84375])


def test_huge_attempt_does_not_overflow() -> None:
    policy = PollPolicy(jitter=0.0)
    assert next_delay(10**6, policy, retry_after=None, rng=random.Random(0)) == policy.max_delay


def test_negative_attempt_rejected() -> None:
    with pytest.raises(ValueError):
        next_delay(-1, PollPolicy(), retry_after=None, rng=random.Random(0))


def test_jitter_stays_within_bounds_and_varies() -> None:
    policy = PollPolicy(initial_delay=1.0, multiplier=2.0, max_delay=8.0, jitter=0.2)
    rng = random.Random(1234)
    for attempt in range(6):
        base = min(1.0 * 2.0**attempt, 8.0)
        low, high = base * 0.8, min(base * 1.2, policy.max_delay)
        seen = [next_delay(attempt, policy, retry_after=None, rng=rng) for _ in range(300)]
        assert low <= min(seen) and max(seen) <= high
        # Real jitter, not a constant: the spread covers most of the allowed band.
        assert max(seen) - min(seen) > 0.75 * (high - low)


def test_jitter_never_exceeds_max_delay_at_the_cap() -> None:
    policy = PollPolicy(jitter=0.5)
    rng = random.Random(7)
    seen = [next_delay(50, policy, rng=rng) for _ in range(500)]
    assert max(seen) <= 5.0
    assert min(seen) >= 2.5


def test_retry_after_raises_the_delay_even_past_max_delay() -> None:
    policy = PollPolicy(jitter=0.0)
    rng = random.Random(0)
    assert next_delay(0, policy, retry_after=2.0, rng=rng) == 2.0
    assert next_delay(0, policy, retry_after=30.0, rng=rng) == 30.0
    # A hint shorter than the backoff does not shorten it.
    assert next_delay(5, policy, retry_after=0.1, rng=rng) == pytest.approx(0.25 * 1.5**5)


@pytest.mark.parametrize("hint", [0.0, -3.0, math.nan, math.inf])
def test_nonsense_retry_after_is_ignored(hint: float) -> None:
    policy = PollPolicy(jitter=0.0)
    assert next_delay(0, policy, retry_after=hint, rng=random.Random(0)) == 0.25


# --- Deadline --------------------------------------------------------------------------------


def test_deadline_remaining_expired_and_clamp() -> None:
    clock = FakeClock()
    deadline = Deadline(10.0, clock=clock)
    assert deadline.remaining() == 10.0
    assert not deadline.expired()
    assert deadline.clamp(3.0) == 3.0
    clock.now += 8.5
    assert deadline.elapsed() == 8.5
    assert deadline.remaining() == 1.5
    assert deadline.clamp(3.0) == 1.5
    clock.now += 5
    assert deadline.remaining() == 0.0
    assert deadline.expired()
    assert deadline.clamp(3.0) == 0.0


def test_deadline_none_never_expires() -> None:
    clock = FakeClock()
    deadline = Deadline(None, clock=clock)
    clock.now += 1e9
    assert deadline.remaining() == math.inf
    assert not deadline.expired()
    assert deadline.clamp(4.0) == 4.0


def test_zero_timeout_is_expired_at_once() -> None:
    assert Deadline(0, clock=FakeClock()).expired()


@pytest.mark.parametrize("timeout", [-1.0, math.nan, "5"])
def test_deadline_rejects_bad_timeout(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Deadline(timeout, clock=FakeClock())  # type: ignore[arg-type]


# --- is_transient ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server hung up"),
        TransportError("link down"),
        ConnectionResetError(),
        TimeoutError(),
        StatusCodeError(502),
        StatusCodeError(503),
        StatusCodeError(504),
    ],
)
def test_transient_errors(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        VReconnectError("not transport"),
        StatusCodeError(500),
        StatusCodeError(404),
        StatusCodeError("503"),
        httpx.UnsupportedProtocol("ftp://"),
    ],
)
def test_non_transient_errors(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_httpx_status_error_uses_the_response_code() -> None:
    request = httpx.Request("GET", "https://vc.example/task")

    def error(code: int) -> httpx.HTTPStatusError:
        response = httpx.Response(code, request=request)
        return httpx.HTTPStatusError("bad", request=request, response=response)

    assert is_transient(error(503))
    assert not is_transient(error(400))


# --- many outcomes ---------------------------------------------------------------------------


def test_wait_outcome_ok() -> None:
    assert WaitOutcome(0, status(TaskState.SUCCEEDED), None).ok
    assert not WaitOutcome(1, None, RuntimeError()).ok


def test_raise_for_failures_returns_statuses_when_all_ok() -> None:
    a, b = status(TaskState.SUCCEEDED, result=1), status(TaskState.SUCCEEDED, result=2)
    assert raise_for_failures([WaitOutcome(0, a, None), WaitOutcome(1, b, None)]) == [a, b]


def test_raise_for_failures_groups_every_failure_with_its_index() -> None:
    e1, e3 = RuntimeError("one"), KeyError("three")
    outcomes = [
        WaitOutcome(0, status(TaskState.SUCCEEDED), None),
        WaitOutcome(1, None, e1),
        WaitOutcome(2, status(TaskState.SUCCEEDED), None),
        WaitOutcome(3, None, e3),
    ]
    with pytest.raises(WaitManyError) as info:
        raise_for_failures(outcomes)
    group = info.value
    assert isinstance(group, VReconnectError)
    assert isinstance(group, ExceptionGroup)
    assert list(group.exceptions) == [e1, e3]
    assert group.indices == (1, 3)
    assert "#1" in str(group) and "#3" in str(group) and "2 of 4" in str(group)


def test_wait_many_error_works_with_except_star_and_keeps_indices() -> None:
    outcomes = [WaitOutcome(0, None, RuntimeError("a")), WaitOutcome(1, None, KeyError("b"))]
    caught: list[tuple[type, tuple[int, ...]]] = []
    try:
        raise_for_failures(outcomes)
    except* KeyError as group:
        caught.append((type(group), group.indices))  # type: ignore[attr-defined]
    except* RuntimeError as group:
        caught.append((type(group), group.indices))  # type: ignore[attr-defined]
    assert sorted(caught, key=lambda c: c[1]) == [(WaitManyError, (0,)), (WaitManyError, (1,))]


def test_raise_for_failures_wraps_base_exceptions_instead_of_dropping_them() -> None:
    interrupt = KeyboardInterrupt()
    with pytest.raises(WaitManyError) as info:
        raise_for_failures([WaitOutcome(0, None, interrupt)])
    (only,) = info.value.exceptions
    assert isinstance(only, VReconnectError)
    assert only.__cause__ is interrupt
