"""The I/O-free core of task waiting: decisions, backoff, deadlines and the wait state machine.

Nothing here reads a task or sleeps. The drivers (sync and async) do the reading and the
sleeping, and ask :class:`_WaitMachine` what to do next, so both share one set of semantics.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from vreconnect.errors import TaskTimeout
from vreconnect.errors import TransportError as VReconnectTransportError

from ._types import PollPolicy, ProgressReport, TaskCancelled, TaskFailed, TaskState, TaskStatus

__all__ = [
    "UNKNOWN_TASK",
    "Deadline",
    "WaitDecision",
    "attach_task_id",
    "classify",
    "drop_awaitable",
    "is_transient",
    "next_delay",
    "reject_coroutine_callback",
    "resolve",
]

logger = logging.getLogger("vreconnect.waiting")

_TRANSIENT_STATUS_CODES = frozenset({502, 503, 504})


class WaitDecision(enum.Enum):
    """What a status means for the wait: stop now, or keep polling."""

    DONE = "done"
    KEEP_POLLING = "keep_polling"

    @property
    def done(self) -> bool:
        """True if the wait should stop."""
        return self is WaitDecision.DONE


def classify(status: TaskStatus) -> WaitDecision:
    """Return DONE for a terminal status (succeeded, failed, cancelled), else KEEP_POLLING."""
    return WaitDecision.DONE if status.state.is_terminal else WaitDecision.KEEP_POLLING


def resolve(status: TaskStatus) -> TaskStatus:
    """Turn a terminal status into its outcome: return it if it succeeded, else raise.

    FAILED raises ``status.error`` itself (with ``task_id`` set on it if it has none), or
    :class:`TaskFailed` if the status carries no error. CANCELLED raises :class:`TaskCancelled`.
    A non-terminal status is a caller bug and raises ValueError.
    """
    error = _terminal_error(status)
    if error is not None:
        raise error
    return status


def _terminal_error(status: TaskStatus) -> BaseException | None:
    """The exception a terminal status calls for, or None if it succeeded."""
    if status.state is TaskState.SUCCEEDED:
        return None
    if status.state is TaskState.FAILED:
        error = status.error
        if error is None:
            return TaskFailed(status.task_id, status)
        attach_task_id(error, status.task_id)
        return error
    if status.state is TaskState.CANCELLED:
        return TaskCancelled(status.task_id, status)
    return ValueError(f"task {status.task_id} is not finished (state {status.state.value})")


#: The ``task_id`` a wait is given when the caller does not know it.
UNKNOWN_TASK = "?"


def attach_task_id(error: BaseException, task_id: str) -> None:
    """Set ``error.task_id`` to ``task_id`` unless it already names a task (best effort: some
    exception types refuse new attributes)."""
    if task_id == UNKNOWN_TASK or getattr(error, "task_id", None) is not None:
        return
    with contextlib.suppress(AttributeError, TypeError):
        error.task_id = task_id  # type: ignore[attr-defined]


def reject_coroutine_callback(callback: object, *, where: str) -> None:
    """TypeError if ``callback`` is an ``async def`` (a blocking wait cannot await it)."""
    call = getattr(callback, "__call__", None)  # noqa: B004 - an async __call__ counts too
    if inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(call):
        raise TypeError(
            f"{where}: on_progress is a coroutine function; a blocking wait cannot await it "
            "(use the async wait, or pass a plain function)"
        )


def _valid_hint(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        hint = float(value)
        if math.isfinite(hint) and hint > 0:
            return hint
    return None


def next_delay(
    attempt: int,
    policy: PollPolicy,
    *,
    retry_after: float | None = None,
    rng: random.Random,
) -> float:
    """Return how long to wait before poll number ``attempt + 1`` (``attempt`` is 0-based).

    Exponential (``initial_delay * multiplier**attempt``), jittered by ``+-policy.jitter``,
    capped at ``policy.max_delay``. A positive server ``retry_after`` hint raises the delay to
    at least that many seconds, even past ``max_delay``: the server knows its own load. The
    deadline cap is applied separately, by :meth:`Deadline.clamp`.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    try:
        base = policy.initial_delay * float(policy.multiplier) ** attempt
    except OverflowError:
        base = math.inf
    base = min(base, policy.max_delay)
    if policy.jitter:
        base *= 1.0 + rng.uniform(-policy.jitter, policy.jitter)
    delay = min(base, policy.max_delay)
    hint = _valid_hint(retry_after)
    if hint is not None and hint > delay:
        delay = hint
    return delay


class Deadline:
    """A deadline ``timeout`` seconds after construction, measured on an injected monotonic clock.

    ``timeout=None`` (or infinity) never expires. Use :meth:`clamp` on every delay so that no
    sleep goes past the deadline.
    """

    def __init__(self, timeout: float | None, *, clock: Callable[[], float] = time.monotonic):
        """Start the deadline now, according to ``clock``."""
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or math.isnan(timeout)
            or timeout < 0
        ):
            raise ValueError(f"timeout must be None or a number >= 0, got {timeout!r}")
        self.timeout = timeout
        self._clock = clock
        self.start = clock()

    def elapsed(self) -> float:
        """Seconds since the deadline started."""
        return self._clock() - self.start

    def remaining(self) -> float:
        """Seconds left (never negative); ``math.inf`` if there is no timeout."""
        if self.timeout is None:
            return math.inf
        return max(0.0, self.timeout - self.elapsed())

    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0

    def clamp(self, delay: float) -> float:
        """Shorten ``delay`` so that sleeping it ends no later than the deadline (never < 0)."""
        return max(0.0, min(delay, self.remaining()))

    @property
    def bounded(self) -> bool:
        """True if the deadline can pass (a finite timeout)."""
        return self.timeout is not None and math.isfinite(self.timeout)

    @classmethod
    def of(cls, timeout: float | Deadline | None, *, clock: Callable[[], float]) -> Deadline:
        """``timeout`` itself if it is a Deadline (one shared by several waits), else a new
        Deadline of ``timeout`` seconds from now on ``clock``."""
        return timeout if isinstance(timeout, Deadline) else cls(timeout, clock=clock)


def is_transient(exc: BaseException) -> bool:
    """True if a failed read is worth retrying: the network or a gateway hiccuped.

    Covers httpx transport errors (connect/read timeouts, resets) except those that mean the
    request itself is wrong, vreconnect's own TransportError, builtin connection and timeout
    errors, and any error with an integer ``status_code`` (or an httpx response) of 502/503/504.
    """
    if isinstance(exc, httpx.TransportError):
        # A bad scheme or a request httpx cannot even send will fail the same way every time.
        return not isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)
    if isinstance(exc, VReconnectTransportError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in _TRANSIENT_STATUS_CODES
    code = getattr(exc, "status_code", None)
    return isinstance(code, int) and not isinstance(code, bool) and code in _TRANSIENT_STATUS_CODES


# --- the wait state machine shared by the drivers -------------------------------------------


@dataclass(frozen=True)
class _Sleep:
    delay: float


@dataclass(frozen=True)
class _Reauthenticate:
    pass


@dataclass(frozen=True)
class _Return:
    status: TaskStatus


@dataclass(frozen=True)
class _Raise:
    error: BaseException


_Step = _Sleep | _Reauthenticate | _Return | _Raise


ProgressCallback = Callable[[ProgressReport], object]


def drop_awaitable(outcome: object, task_id: str, log: logging.Logger = logger) -> None:
    """What a progress callback returned, in a blocking wait: an awaitable (an ``async def``
    callback's coroutine) cannot be awaited there, so it is closed and a warning says so."""
    if not inspect.isawaitable(outcome):
        return
    close = getattr(outcome, "close", None)  # a coroutine: avoid "never awaited" noise
    if callable(close):
        close()
    log.warning(
        "progress callback for task %s returned an awaitable, which a blocking wait cannot "
        "await; pass a plain function",
        task_id,
    )


class _ProgressNotifier:
    """Delivers progress reports: one per change, then exactly one final; never raises.

    With ``awaitable_results`` (the async driver), what the callback returns, if awaitable
    (an ``async def`` callback), is kept for the driver to await; otherwise it is dropped
    with a warning, since a blocking wait cannot await it.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        clock: Callable[[], float],
        *,
        awaitable_results: bool = False,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._start = clock()
        self._last_key: tuple[TaskState, int | None, str | None] | None = None
        self._finished = False
        self._awaitable_results = awaitable_results
        self.pending: list[Awaitable[object]] = []

    def observe(self, status: TaskStatus) -> None:
        # Terminal statuses are left to the final report so they are not reported twice.
        if status.state.is_terminal:
            return
        key = (status.state, status.progress, status.message)
        if key != self._last_key:
            self._last_key = key
            self._deliver(status.task_id, status, final=False)

    def finish(self, task_id: str, last: TaskStatus | None) -> None:
        if self._finished:
            return
        self._finished = True
        self._deliver(task_id, last, final=True)

    def _deliver(self, task_id: str, status: TaskStatus | None, *, final: bool) -> None:
        if self._callback is None:
            return
        report = ProgressReport(
            task_id=status.task_id if status is not None else task_id,
            kind=status.kind if status is not None else "?",
            state=status.state if status is not None else None,
            progress=status.progress if status is not None else None,
            message=status.message if status is not None else None,
            elapsed=self._clock() - self._start,
            final=final,
        )
        try:
            outcome = self._callback(report)
        except Exception:
            # A broken progress display must not cost the caller the task's outcome.
            logger.warning("progress callback failed for task %s", report.task_id, exc_info=True)
            return
        if self._awaitable_results and inspect.isawaitable(outcome):
            self.pending.append(outcome)
        else:
            drop_awaitable(outcome, report.task_id)


class _WaitMachine:
    """The decisions of one wait, fed with read results; the driver does what it answers."""

    def __init__(
        self,
        *,
        deadline: Deadline,
        policy: PollPolicy,
        rng: random.Random,
        transient: Callable[[BaseException], bool],
        is_session_expired: Callable[[BaseException], bool] | None,
        can_reauthenticate: bool,
        on_progress: ProgressCallback | None,
        clock: Callable[[], float],
        task_id: str,
        awaitable_callbacks: bool = False,
    ) -> None:
        self._deadline = deadline
        self._policy = policy
        self._rng = rng
        self._transient = transient
        self._is_session_expired = is_session_expired
        self._can_reauthenticate = can_reauthenticate
        self._notifier = _ProgressNotifier(
            on_progress, clock, awaitable_results=awaitable_callbacks
        )
        self.task_id = task_id
        self.last_status: TaskStatus | None = None
        self._attempt = 0
        self._consecutive_transient = 0
        self._reauthenticated = False

    def on_status(self, status: TaskStatus) -> _Step:
        """A read succeeded."""
        self.task_id = status.task_id
        self.last_status = status
        self._consecutive_transient = 0
        self._notifier.observe(status)
        if classify(status).done:
            error = _terminal_error(status)
            return _Return(status) if error is None else _Raise(error)
        return self._sleep_or_timeout(status.retry_after, cause=None)

    def on_read_error(self, exc: Exception) -> _Step:
        """A read raised ``exc``."""
        if self._is_session_expired is not None and self._is_session_expired(exc):
            # Re-login at most once: a second expiry means re-login does not help.
            if self._can_reauthenticate and not self._reauthenticated:
                self._reauthenticated = True
                logger.info(
                    "session expired while waiting for task %s; re-authenticating", self.task_id
                )
                return _Reauthenticate()
            return _Raise(exc)
        if not self._transient(exc):
            return _Raise(exc)
        return self._after_transient(exc)

    def on_reauthenticate_error(self, exc: Exception) -> _Step:
        """Logging in again raised ``exc``: a transient failure (the network, or a read that
        ran into the deadline) is retried like a failed read, and does not use up the one
        re-login; anything else (InvalidLogin, say) is raised."""
        if not self._transient(exc):
            return _Raise(exc)
        self._reauthenticated = False
        return self._after_transient(exc)

    def take_pending_callbacks(self) -> list[Awaitable[object]]:
        """The awaitables returned by ``async def`` progress callbacks since the last call,
        for the async driver to await (in order)."""
        pending, self._notifier.pending = self._notifier.pending, []
        return pending

    def finish(self) -> None:
        """The wait is over, however it ended: deliver the final report (once)."""
        self._notifier.finish(self.task_id, self.last_status)

    def _after_transient(self, exc: Exception) -> _Step:
        # With a deadline, the deadline alone bounds the retries: a count would give up on
        # a gateway that is down for a few seconds long before the caller's timeout. Without
        # one, the count keeps an endless outage from hanging the wait.
        self._consecutive_transient += 1
        if (
            not self._deadline.bounded
            and self._consecutive_transient > self._policy.max_transient_retries
        ):
            return _Raise(exc)
        logger.debug(
            "transient error reading task %s (%d in a row): %r",
            self.task_id,
            self._consecutive_transient,
            exc,
        )
        return self._sleep_or_timeout(getattr(exc, "retry_after", None), cause=exc)

    def _sleep_or_timeout(self, retry_after: object, *, cause: BaseException | None) -> _Step:
        # Checked before every sleep; clamp() guarantees no sleep ends past the deadline.
        delay = self._deadline.clamp(
            next_delay(
                self._attempt, self._policy, retry_after=_valid_hint(retry_after), rng=self._rng
            )
        )
        if delay <= 0:
            timeout = self._deadline.timeout
            error = TaskTimeout(self.task_id, 0.0 if timeout is None else timeout, self.last_status)
            error.__cause__ = cause
            return _Raise(error)
        self._attempt += 1
        return _Sleep(delay)
