"""Value types shared by the waiting core and its drivers: task state, status, reports, policy."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field

from vreconnect.errors import VReconnectError

__all__ = [
    "PollPolicy",
    "ProgressReport",
    "TaskCancelled",
    "TaskFailed",
    "TaskState",
    "TaskStatus",
]


class TaskState(enum.Enum):
    """The surface-neutral lifecycle state of a server-side task."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once the task can no longer change: succeeded, failed or cancelled."""
        return self in _TERMINAL


_TERMINAL = frozenset({TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED})


def _scrub(value: object, secrets: Sequence[str]) -> object:
    # Imported here: vreconnect.faults loads the generated vim25 models, which a plain
    # ``import vreconnect.waiting`` (the command line's start-up) should not pay for.
    if value is None or isinstance(value, bool | int | float):
        return value
    from vreconnect.faults import scrub

    return scrub(value, secrets)


@dataclass(frozen=True, repr=False)
class TaskStatus:
    """One reading of a task, as adapted from a surface's own task info.

    ``error`` is the already-decoded fault for a FAILED task (raised as is by the drivers);
    ``raw`` keeps the surface's original task info for callers who need more -- it is what
    the server sent, so it may echo a password: show :attr:`safe_raw` instead. ``retry_after``
    is a server hint, in seconds, for when to read again.

    ``secrets`` (strings to redact, such as the passwords of the call that started the task)
    are used at construction only and not kept: ``repr`` leaves ``raw`` out and shows
    ``result`` with sensitive keys masked and the secrets redacted. ``dataclasses.replace``
    does not carry the secrets over (only password-like keys and echoes stay masked).
    """

    task_id: str
    kind: str
    state: TaskState
    progress: int | None = None
    message: str | None = None
    result: object = None
    error: BaseException | None = None
    raw: object = field(default=None, repr=False)
    retry_after: float | None = None
    secrets: InitVar[Sequence[str]] = ()

    def __post_init__(self, secrets: Sequence[str]) -> None:
        # Fail at the adapter that built a bad status, not deep inside a wait loop.
        if not isinstance(self.state, TaskState):
            raise ValueError(f"TaskStatus.state must be a TaskState, got {self.state!r}")
        if self.progress is not None and (
            isinstance(self.progress, bool)
            or not isinstance(self.progress, int)
            or not 0 <= self.progress <= 100
        ):
            raise ValueError(
                f"TaskStatus.progress must be None or an int in 0..100, got {self.progress!r}"
            )
        redact = tuple(secrets) if not isinstance(secrets, str) else (secrets,)
        # Frozen: computed once, here, while the secrets are at hand.
        object.__setattr__(self, "_safe_raw", _scrub(self.raw, redact))
        object.__setattr__(self, "_safe_result", _scrub(self.result, redact))

    @property
    def safe_raw(self) -> object:
        """A copy of :attr:`raw` safe to log: sensitive keys masked, secrets redacted (the
        counterpart of :attr:`vreconnect.faults.Fault.safe_raw`)."""
        return self.__dict__["_safe_raw"]

    def __repr__(self) -> str:
        result = self.__dict__["_safe_result"]
        return (
            f"TaskStatus(task_id={self.task_id!r}, kind={self.kind!r}, state={self.state}, "
            f"progress={self.progress!r}, message={self.message!r}, result={result!r}, "
            f"error={self.error!r}, retry_after={self.retry_after!r})"
        )


@dataclass(frozen=True)
class ProgressReport:
    """What a progress callback receives: the one type for every task kind.

    ``elapsed`` is seconds since the wait began. ``final`` is True exactly once per wait, on
    the last report, however the wait ended (success, failure, cancellation, timeout or error).
    ``state`` is None, and ``kind`` is ``"?"``, only if the wait ended before any status was read.
    """

    task_id: str
    kind: str
    state: TaskState | None
    progress: int | None
    message: str | None
    elapsed: float
    final: bool


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class PollPolicy:
    """How often to poll: exponential backoff with jitter, and transient-failure tolerance.

    The n-th delay (0-based) is ``initial_delay * multiplier**n`` jittered by ``+-jitter``
    (a fraction) and capped at ``max_delay``; transient read failures back off the same way.

    ``max_transient_retries`` bounds only a wait *without* a timeout: it is how many
    *consecutive* transient read failures are tolerated before the last one is raised (an
    endless outage must not hang a wait that has no deadline). With a timeout, transient
    failures are retried until the deadline, which then raises TaskTimeout with the last
    failure as its ``__cause__``.
    """

    initial_delay: float = 0.25
    multiplier: float = 1.5
    max_delay: float = 5.0
    jitter: float = 0.1
    max_transient_retries: int = 5

    def __post_init__(self) -> None:
        for name in ("initial_delay", "multiplier", "max_delay", "jitter"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value):
                raise ValueError(f"PollPolicy.{name} must be a finite number, got {value!r}")
        # A zero delay would turn polling into a busy loop against the server.
        if self.initial_delay <= 0:
            raise ValueError(f"PollPolicy.initial_delay must be > 0, got {self.initial_delay!r}")
        if self.multiplier < 1:
            raise ValueError(f"PollPolicy.multiplier must be >= 1, got {self.multiplier!r}")
        if self.max_delay < self.initial_delay:
            raise ValueError(
                f"PollPolicy.max_delay ({self.max_delay!r}) must be >= initial_delay "
                f"({self.initial_delay!r})"
            )
        # jitter < 1 keeps every delay strictly positive.
        if not 0 <= self.jitter < 1:
            raise ValueError(f"PollPolicy.jitter must be in [0, 1), got {self.jitter!r}")
        if (
            isinstance(self.max_transient_retries, bool)
            or not isinstance(self.max_transient_retries, int)
            or self.max_transient_retries < 0
        ):
            raise ValueError(
                "PollPolicy.max_transient_retries must be an int >= 0, "
                f"got {self.max_transient_retries!r}"
            )


class TaskCancelled(VReconnectError):
    """The task was cancelled (by a user or the server) before it finished."""

    def __init__(self, task_id: str, last_status: TaskStatus | None = None) -> None:
        self.task_id = task_id
        self.last_status = last_status
        detail = f": {last_status.message}" if last_status and last_status.message else ""
        super().__init__(f"task {task_id} was cancelled{detail}")


class TaskFailed(VReconnectError):
    """The task failed but its status carried no decoded error to raise instead."""

    def __init__(self, task_id: str, last_status: TaskStatus | None = None) -> None:
        self.task_id = task_id
        self.last_status = last_status
        detail = f" ({last_status.message})" if last_status and last_status.message else ""
        super().__init__(f"task {task_id} failed with no error detail{detail}")
