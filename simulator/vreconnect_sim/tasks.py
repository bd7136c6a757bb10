"""The generic task engine shared by all four surfaces.

A :class:`SimTask` is a surface-neutral task record; each surface maps it onto its own wire
shape (VI/JSON ``TaskInfo``, SMS ``SmsTaskInfo``, vAPI ``cis.task.Info``, VR ``Task``).

Tasks are *lazy*: nothing runs in the background. A task has a planned timeline computed at
creation (``queue_seconds`` queued, then ``duration`` running, with jitter) and every engine call
first *settles* the tasks whose planned end has passed, in end-time order: their completion
callback runs exactly once and their final state is recorded. Reads compute ``state`` and
``progress`` (linear over the run) from the clock. So 10,000 tasks cost only their records, and a
:class:`~vreconnect_sim.clock.FakeClock` drives everything deterministically. The app layer
settles at the start of every request (``SimulatorState.settle``) so that object state read by
a request already reflects every task that ended before it.

Completion callback contract (``on_complete(task) -> result``):

* return a value -> the task succeeds with that ``result`` (``None`` is fine);
* raise :class:`TaskFailed` (payload) -> the task errors with ``error = payload`` (the payload
  is the surface's own fault object/dict, e.g. a VI/JSON ``NoHost`` MethodFault dict);
* raise anything else -> logged, and the task errors with the surface's rendering of a
  ``SystemError`` fault (see ``fault_renderers``).

The callback runs with the engine lock (the simulator-wide ``RLock``) held, so it may mutate
surface state and call the engine again, but must not block or ``await``.

Fault rules with ``where="task"`` are consulted when a task is created: a matching ``fault``
rule makes the task end in error with the surface's rendering of that fault for that task
(``fault_renderers``, given the task so the payload can carry its object's real values)
*instead of* calling ``on_complete`` (the state change is not applied); ``latency_ms``
lengthens the run.

Retention: finished tasks are kept ``retention_seconds`` (default 600 s) after completion and
at most ``retention_count`` (default 10,000) of them, oldest evicted first, like vCenter's task
history. Unfinished tasks are never evicted.
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .clock import Clock

if TYPE_CHECKING:
    from .injection import FaultAction, FaultInjector

__all__ = [
    "MAX_RETENTION_SECONDS",
    "MAX_TASK_SECONDS",
    "FaultRenderer",
    "SimTask",
    "TaskEngine",
    "TaskError",
    "TaskFailed",
    "TaskNotCancelable",
    "TaskNotFound",
    "TaskSettings",
    "TaskState",
]

log = logging.getLogger(__name__)

TaskState = Literal["queued", "running", "success", "error", "cancelled"]
"""Generic task states; surfaces map them (e.g. VR ``CANCELLED``, vim25 ``error``+cancelled)."""

FINISHED_STATES: frozenset[str] = frozenset({"success", "error", "cancelled"})

FaultRenderer = Callable[["FaultAction", "SimTask"], Any]
"""``(action, task) -> payload``: turns an injected (or internal ``SystemError``) fault into the
error payload of ``task`` (a snapshot: ``task.target`` is the object the task works on)."""


MAX_TASK_SECONDS = 3600.0
"""Longest run or queue time a task may be given (an hour: demos take seconds, tests zero)."""
MAX_RETENTION_SECONDS = 7 * 86400.0
"""Longest time a finished task may be kept (a week)."""


class TaskSettings(BaseModel):
    """Task timing and retention; scenario ``settings.tasks`` and ``/_sim/settings/tasks``.

    Every number is finite (``1e400`` or ``.inf`` is refused: it could not be shown as JSON and
    would leave tasks at progress 0 for ever); run and queue times are at most
    :data:`MAX_TASK_SECONDS`, retention at most :data:`MAX_RETENTION_SECONDS`.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    durations: dict[str, Annotated[float, Field(ge=0, le=MAX_TASK_SECONDS)]] = Field(
        default_factory=dict,
        description="Run time in seconds per operationId (e.g. ReconnectHost_Task); '*' sets the default.",
    )
    default: float = Field(
        default=0.0,
        ge=0,
        le=MAX_TASK_SECONDS,
        description="Run time for operations not in durations.",
    )
    jitter: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Fraction: each run time is scaled by uniform(1-j, 1+j).",
    )
    queue_seconds: float = Field(
        default=0.0,
        ge=0,
        le=MAX_TASK_SECONDS,
        description="Time a task spends queued before running.",
    )
    retention_seconds: float = Field(
        default=600.0,
        ge=0,
        le=MAX_RETENTION_SECONDS,
        description="Finished tasks are kept this long.",
    )
    retention_count: int = Field(
        default=10_000, ge=0, le=2**31 - 1, description="At most this many finished tasks kept."
    )

    def duration_for(self, operation: str) -> float:
        """The configured (un-jittered) run time of ``operation``."""
        if operation in self.durations:
            return max(0.0, self.durations[operation])
        if "*" in self.durations:
            return max(0.0, self.durations["*"])
        return self.default


class TaskError(Exception):
    """Base of the task engine's lookup/cancel errors."""


class TaskNotFound(TaskError, KeyError):
    """No such task (never existed, or evicted by retention)."""


class TaskNotCancelable(TaskError):
    """The task is finished or was created with ``cancelable=False``."""


class TaskFailed(Exception):
    """Raised by a completion callback: the task ends in error with ``payload`` as its error."""

    def __init__(self, payload: Any) -> None:
        super().__init__(repr(payload))
        self.payload = payload


@dataclass(slots=True)
class SimTask:
    """One task. Times are wall-clock epoch seconds (format with ``clock.iso8601``/``epoch_ms``).

    Objects returned by :meth:`TaskEngine.get` are snapshots: changing them changes nothing.
    ``info`` is free-form surface data given at creation (shared by reference with snapshots).
    """

    id: str
    surface: str
    operation: str
    target: str | None
    state: TaskState = "queued"
    progress: int = 0
    result: Any = None
    error: Any = None
    queue_time: float = 0.0
    start_time: float | None = None
    complete_time: float | None = None
    cancelable: bool = True
    cancelled: bool = False
    description: str | None = None
    user: str | None = None
    entity_name: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    # Planned timeline on the monotonic scale; internal.
    _queued_mono: float = 0.0
    _start_mono: float = 0.0
    _end_mono: float = 0.0
    _on_complete: Callable[[SimTask], Any] | None = None
    _on_cancel: Callable[[SimTask], None] | None = None
    _injected: FaultAction | None = None

    @property
    def finished(self) -> bool:
        """True once the task is success, error or cancelled."""
        return self.state in FINISHED_STATES

    def __repr__(self) -> str:
        return (
            f"SimTask(id={self.id!r}, operation={self.operation!r}, target={self.target!r}, "
            f"state={self.state!r}, progress={self.progress})"
        )


class TaskEngine:
    """Creates, settles, cancels and retains tasks for every surface. Thread-safe.

    ``lock`` should be the simulator-wide ``RLock`` so that completion callbacks and request
    handlers mutate surface state under one lock. ``fault_renderers`` maps surface name to a
    :data:`FaultRenderer`; the app fills it from the surface registry.
    """

    def __init__(
        self,
        clock: Clock,
        settings: TaskSettings | None = None,
        *,
        rng: random.Random | None = None,
        injector: FaultInjector | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.clock = clock
        self._settings = settings or TaskSettings()
        self.rng = rng or random.Random()
        self.injector = injector
        self.lock = lock or threading.RLock()
        self.fault_renderers: dict[str, FaultRenderer] = {}
        self._tasks: dict[str, SimTask] = {}
        self._pending: list[tuple[float, int, str]] = []  # heap of (end_mono, seq, id)
        self._finished: deque[tuple[float, str]] = deque()  # (complete_mono, id), oldest first
        self._seq = 0
        self._counters: dict[str, int] = {}

    # -- settings ------------------------------------------------------------------------

    @property
    def settings(self) -> TaskSettings:
        """Current timing/retention settings (replace wholesale to change them)."""
        return self._settings

    @settings.setter
    def settings(self, value: TaskSettings) -> None:
        with self.lock:
            self._settings = value
            self._evict(self.clock.monotonic())

    # -- creation ------------------------------------------------------------------------

    def create(
        self,
        *,
        surface: str,
        operation: str,
        target: str | None,
        on_complete: Callable[[SimTask], Any] | None = None,
        id_format: str = "task-{n}",
        cancelable: bool = True,
        description: str | None = None,
        user: str | None = None,
        entity_name: str | None = None,
        duration: float | None = None,
        on_cancel: Callable[[SimTask], None] | None = None,
        info: dict[str, Any] | None = None,
    ) -> SimTask:
        """Create a task and return a snapshot of it.

        ``id_format`` builds the id: ``{n}`` is a per-surface counter from 1, ``{uuid}`` a
        random (seeded) UUID4; e.g. vim25 ``"task-{n}"``, sms ``"SmsTask-{n}"``, vcenter
        ``"{uuid}:com.vmware.vcenter.vcha.cluster.passive"``, vr ``"{uuid}"``.
        ``duration`` overrides the configured run time (jitter still applies). With zero queue
        time and zero duration the task completes (``on_complete`` runs) before this returns.
        """
        with self.lock:
            now = self.clock.monotonic()
            self._settle(now)
            n = self._counters.get(surface, 0) + 1
            self._counters[surface] = n
            task_id = id_format.format(n=n, uuid=self._uuid()) if "{" in id_format else id_format
            if task_id in self._tasks:
                raise ValueError(f"duplicate task id {task_id!r}")
            settings = self._settings
            run = settings.duration_for(operation) if duration is None else max(0.0, duration)
            if run > 0 and settings.jitter > 0:
                run *= self.rng.uniform(1 - settings.jitter, 1 + settings.jitter)
            injected: FaultAction | None = None
            if self.injector is not None:
                injected = self.injector.check(operation, target, "task", surface=surface)
                if injected is not None:
                    run += injected.latency_ms / 1000.0
                    if injected.fault is None:
                        injected = None  # latency-only rule
            start = now + settings.queue_seconds
            task = SimTask(
                id=task_id,
                surface=surface,
                operation=operation,
                target=target,
                queue_time=self.clock.time(),
                cancelable=cancelable,
                description=description,
                user=user,
                entity_name=entity_name,
                info=info if info is not None else {},
                _queued_mono=now,
                _start_mono=start,
                _end_mono=start + run,
                _on_complete=on_complete,
                _on_cancel=on_cancel,
                _injected=injected,
            )
            self._tasks[task_id] = task
            self._seq += 1
            heapq.heappush(self._pending, (task._end_mono, self._seq, task_id))
            self._settle(now)
            self._refresh(task, now)
            return replace(task)

    # -- reading -------------------------------------------------------------------------

    def get(self, task_id: str) -> SimTask | None:
        """A snapshot of the task with state/progress as of now, or None if unknown/evicted."""
        with self.lock:
            now = self.clock.monotonic()
            self._settle(now)
            task = self._tasks.get(task_id)
            if task is None:
                return None
            self._refresh(task, now)
            return replace(task)

    def require(self, task_id: str) -> SimTask:
        """Like :meth:`get` but raise :class:`TaskNotFound` when absent."""
        task = self.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def list(self, surface: str | None = None) -> list[SimTask]:
        """Snapshots of all retained tasks (optionally of one surface), oldest first."""
        with self.lock:
            now = self.clock.monotonic()
            self._settle(now)
            out = []
            for task in self._tasks.values():
                if surface is None or task.surface == surface:
                    self._refresh(task, now)
                    out.append(replace(task))
            return out

    def __len__(self) -> int:
        """Number of retained tasks (after settling and evicting as of now)."""
        with self.lock:
            self._settle(self.clock.monotonic())
            return len(self._tasks)

    def __iter__(self) -> Iterator[SimTask]:
        return iter(self.list())

    # -- mutation ------------------------------------------------------------------------

    def cancel(self, task_id: str) -> SimTask:
        """Cancel a queued/running cancelable task; returns its snapshot.

        Raises :class:`TaskNotFound`, or :class:`TaskNotCancelable` if the task is finished or
        not cancelable. ``on_complete`` will never run; ``on_cancel`` (if any) runs now.
        """
        with self.lock:
            now = self.clock.monotonic()
            self._settle(now)
            task = self._tasks.get(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            self._refresh(task, now)
            if task.finished or not task.cancelable:
                raise TaskNotCancelable(task_id)
            task.state = "cancelled"
            task.cancelled = True
            task.complete_time = self._wall(task, now)
            if task.start_time is None and now >= task._start_mono:
                task.start_time = self._wall(task, task._start_mono)
            if task._on_cancel is not None:
                try:
                    task._on_cancel(task)
                except Exception:
                    log.exception("on_cancel of %s failed", task_id)
            self._finish(task, now)
            return replace(task)

    def settle(self) -> int:
        """Complete every task whose planned end has passed; return how many completed."""
        with self.lock:
            return self._settle(self.clock.monotonic())

    def clear(self) -> None:
        """Forget all tasks and restart the id counters (used by reset)."""
        with self.lock:
            self._tasks.clear()
            self._pending.clear()
            self._finished.clear()
            self._counters.clear()

    # -- internals -----------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    @staticmethod
    def _wall(task: SimTask, mono: float) -> float:
        return task.queue_time + (mono - task._queued_mono)

    def _refresh(self, task: SimTask, now: float) -> None:
        """Recompute state/progress of an unfinished task (no side effects on surfaces)."""
        if task.finished:
            return
        if now < task._start_mono:
            task.state = "queued"
            task.progress = 0
            return
        task.state = "running"
        if task.start_time is None:
            task.start_time = self._wall(task, task._start_mono)
        span = task._end_mono - task._start_mono
        frac = 1.0 if span <= 0 else (now - task._start_mono) / span
        task.progress = max(0, min(99, int(frac * 100)))

    def _settle(self, now: float) -> int:
        done = 0
        pending = self._pending
        while pending and pending[0][0] <= now:
            end, _, task_id = heapq.heappop(pending)
            task = self._tasks.get(task_id)
            if task is None or task.finished:
                continue  # cancelled or cleared meanwhile
            self._complete(task, end)
            done += 1
        if self._finished:
            self._evict(now)
        return done

    def _complete(self, task: SimTask, end: float) -> None:
        if task.start_time is None:
            task.start_time = self._wall(task, task._start_mono)
        task.complete_time = self._wall(task, end)
        task.progress = 100
        if task._injected is not None:
            task.state = "error"
            task.error = self._render(task, task._injected)
        else:
            try:
                task.result = task._on_complete(task) if task._on_complete else None
                task.state = "success"
            except TaskFailed as failed:
                task.state = "error"
                task.error = failed.payload
            except Exception as exc:
                log.exception("completion of task %s (%s) failed", task.id, task.operation)
                from .injection import FaultAction

                task.state = "error"
                task.error = self._render(task, FaultAction(fault="SystemError", message=str(exc)))
        self._finish(task, end)

    def _render(self, task: SimTask, action: FaultAction) -> Any:
        renderer = self.fault_renderers.get(task.surface)
        if renderer is None:
            return {"fault": action.fault, "message": action.message, **action.fault_fields}
        return renderer(action, replace(task))

    def _finish(self, task: SimTask, at: float) -> None:
        # Drop callbacks so finished tasks do not pin surface objects in memory.
        task._on_complete = None
        task._on_cancel = None
        self._finished.append((at, task.id))

    def _evict(self, now: float) -> None:
        finished = self._finished
        limit = self._settings.retention_count
        horizon = now - self._settings.retention_seconds
        while finished and (len(finished) > limit or finished[0][0] < horizon):
            _, task_id = finished.popleft()
            self._tasks.pop(task_id, None)
