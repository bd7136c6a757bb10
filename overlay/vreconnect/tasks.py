"""Task handles: one interface for the four kinds of server-side task, sync and async.

======================  ==========================  ======================  ==========
handle                  started by                  read with               cancel
======================  ==========================  ======================  ==========
:class:`VimTask`        ReconnectHost_Task, ...     ``GET Task/{id}/info``  CancelTask
:class:`SmsTask`        VasaProviderReconnect_Task  ``QuerySmsTaskInfo``    --
:class:`CisTask`        VCHA passive redeploy       ``GET cis/tasks/{id}``  --
:class:`VrTask`         VR pairing reconnect        ``GET tasks/{id}``      --
======================  ==========================  ======================  ==========

Every handle has ``id``, ``kind``, :meth:`~SyncTask.status` (one read, mapped to a
:class:`~vreconnect.waiting.TaskState`; like every read, it logs in again once if the session
expired), :meth:`~SyncTask.wait` (poll until the task ends:
return its result or raise the decoded fault -- the same class the call would have raised,
with ``task_id`` set) and :meth:`~SyncTask.cancel` (:class:`TaskCancelUnsupported` where the
API has no cancel). The ``Async*`` twins have the same methods as coroutines.

Waiting retries transient read failures (connection errors, read timeouts, 502/503/504,
honouring ``Retry-After``) with backoff -- until the deadline when there is a timeout, else up
to ``PollPolicy.max_transient_retries`` in a row -- logs in again once if the session
expired, and raises :class:`~vreconnect.errors.TaskTimeout` with the task id and last status
when the timeout passes -- the task keeps running server-side, and
``connection.task(exc.task_id)`` resumes. The timeout covers the HTTP reads too: each status
read (and re-login) may take at most what is left of it (but at least
:data:`MIN_READ_TIMEOUT`, so that the read due at the deadline still gets an answer), from the
request to the last byte of the answer -- a server that drips its answer cannot stretch it --
and no phase of it (connect, send, each wait for data) longer than the connection's own
``timeout``. A read cut off by the deadline ends the wait with TaskTimeout. Whatever error escapes a wait carries the
task's id in ``task_id``. Calls that *start* tasks are never resent when their outcome is
unknown; see :mod:`vreconnect._connection` for the one resend after a refused session.

A task state this package does not know (a newer server's) is treated as running -- the
timeout still bounds the wait -- and its progress reports say so in ``message``
(``unknown state 'X'``).

:func:`wait_all` / :func:`async_wait_all` wait for many handles with bounded concurrency and
return one :class:`TaskOutcome` per handle, in order, failures collected rather than raised.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from vreconnect import faults
from vreconnect._http import Secret, UnexpectedResponse, is_transient_read_error
from vreconnect.errors import VReconnectError
from vreconnect.waiting import (
    Deadline,
    PollPolicy,
    ProgressReport,
    TaskState,
    TaskStatus,
    WaitOutcome,
    async_wait_for,
    wait_for,
)
from vreconnect.waiting._async import AsyncProgressCallback, settle_awaitable
from vreconnect.waiting._core import drop_awaitable, reject_coroutine_callback
from vreconnect.waiting._sync import StopSignal, run_in_pool

__all__ = [
    "MIN_READ_TIMEOUT",
    "AsyncCisTask",
    "AsyncSmsTask",
    "AsyncTask",
    "AsyncVimTask",
    "AsyncVrTask",
    "CisTask",
    "SmsTask",
    "SyncTask",
    "TaskCancelUnsupported",
    "TaskKind",
    "TaskOutcome",
    "VimTask",
    "VrTask",
    "async_wait_all",
    "cis_task_status",
    "sms_task_status",
    "vim_task_status",
    "vr_task_status",
    "wait_all",
]

logger = logging.getLogger("vreconnect.tasks")

TaskKind = Literal["vim25", "sms", "cis", "vr"]

ProgressCallback = Callable[[ProgressReport], None]

#: The least time, in seconds, a status read of a wait with a timeout may take: the read due
#: when the deadline arrives still gets this long to answer (a wait may overrun by that much).
MIN_READ_TIMEOUT = 0.5


class TaskCancelUnsupported(VReconnectError):
    """The API of this task kind has no way to cancel a task (SmsTask, cis task, VR task)."""

    def __init__(self, kind: str, task_id: str) -> None:
        self.kind = kind
        self.task_id = task_id
        super().__init__(f"{kind} task {task_id} cannot be cancelled: the API has no cancel")


# ---------------------------------------------------------------------------- status adapters


def _progress(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0, min(100, int(value)))


def _require_mapping(info: object, *, operation: str) -> Mapping[str, Any]:
    if not isinstance(info, Mapping):
        raise UnexpectedResponse(
            200, operation=operation, detail=f"task info is a {type(info).__name__}, not an object"
        )
    return info


def _first_message(error: BaseException) -> str:
    messages = getattr(error, "messages", ())
    if isinstance(messages, tuple) and messages:
        return str(messages[0])
    return str(error)


_warned_states: set[tuple[str, str]] = set()
_MAX_STATE_SHOWN = 40


def _unknown_state(kind: str, state: object, secrets: Sequence[str]) -> str:
    """Log (once per kind and state) a state added by a newer server; return the progress
    message that names it. The wait keeps polling: the timeout still bounds it."""
    shown = repr(state)
    if len(shown) > _MAX_STATE_SHOWN:
        shown = shown[: _MAX_STATE_SHOWN - 3] + "..."
    shown = faults.redact(shown, secrets)
    key = (kind, shown)
    if key not in _warned_states:
        _warned_states.add(key)
        logger.warning("unknown %s task state %s; treating it as running", kind, shown)
    return f"unknown state {shown}"


def _state(
    data: Mapping[str, Any],
    key: str,
    states: Mapping[str, TaskState],
    kind: str,
    secrets: Sequence[str],
) -> tuple[TaskState, str | None]:
    """The TaskState of the wire state ``data[key]``, and a message for an unknown one
    (which is RUNNING)."""
    raw_state = data.get(key)
    state = states.get(raw_state) if isinstance(raw_state, str) else None
    if state is None:
        return TaskState.RUNNING, _unknown_state(kind, raw_state, secrets)
    return state, None


def _failure(fault: faults.Fault, task_id: str) -> tuple[BaseException, str]:
    """The ``error`` (the fault, ``task_id`` set) and ``message`` of a failed task's status."""
    return fault.with_task(task_id), _first_message(fault)


_VIM_STATES = {
    "queued": TaskState.QUEUED,
    "running": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "error": TaskState.FAILED,
    "cancelled": TaskState.CANCELLED,
}


def vim_task_status(
    task_id: str,
    info: object,
    *,
    kind: Literal["vim25", "sms"] = "vim25",
    operation: str | None = None,
    secrets: Sequence[str] = (),
    retry_after: float | None = None,
) -> TaskStatus:
    """Adapt a vim25 ``TaskInfo`` (or SMS ``SmsTaskInfo``, ``kind="sms"``) to a TaskStatus.

    ``error`` becomes the decoded fault with ``task_id`` set; a vim25 task that ended in error
    with ``cancelled: true`` is CANCELLED (vSphere reports cancellation as RequestCanceled).
    An unknown ``state`` is RUNNING with ``message`` "unknown state '...'". ``secrets`` are
    redacted from the fault, the message and the status's ``repr``/``safe_raw``.
    """
    read_op = "GetTaskInfo" if kind == "vim25" else "QuerySmsTaskInfo"
    data = _require_mapping(info, operation=read_op)
    state, message = _state(data, "state", _VIM_STATES, kind, secrets)
    name = data.get("name")
    op = operation or (name if isinstance(name, str) else None)
    error: BaseException | None = None
    if state is TaskState.FAILED and data.get("cancelled") is True:
        state = TaskState.CANCELLED
    if state is TaskState.FAILED:
        fault = faults.decode_vim_fault(data.get("error"), operation=op, secrets=secrets)
        error, message = _failure(fault, task_id)
    return TaskStatus(
        task_id=task_id,
        kind=kind,
        state=state,
        progress=100 if state is TaskState.SUCCEEDED else _progress(data.get("progress")),
        message=message,
        result=data.get("result"),
        error=error,
        raw=info,
        retry_after=retry_after,
        secrets=secrets,
    )


def sms_task_status(
    task_id: str,
    info: object,
    *,
    operation: str | None = None,
    secrets: Sequence[str] = (),
    retry_after: float | None = None,
) -> TaskStatus:
    """Adapt an SMS ``SmsTaskInfo`` to a TaskStatus (same states and faults as vim25)."""
    return vim_task_status(
        task_id, info, kind="sms", operation=operation, secrets=secrets, retry_after=retry_after
    )


_CIS_STATES = {
    "PENDING": TaskState.QUEUED,
    "RUNNING": TaskState.RUNNING,
    "BLOCKED": TaskState.RUNNING,
    "SUCCEEDED": TaskState.SUCCEEDED,
    "FAILED": TaskState.FAILED,
}


def _localized(message: object) -> str | None:
    if isinstance(message, Mapping):
        for key in ("localized", "default_message", "id"):
            text = message.get(key)
            if isinstance(text, str) and text:
                return text
    return None


def cis_task_status(
    task_id: str,
    info: object,
    *,
    operation: str | None = None,
    secrets: Sequence[str] = (),
    retry_after: float | None = None,
) -> TaskStatus:
    """Adapt a vAPI ``cis.task.info`` (the ``value`` of ``GET /cis/tasks/{task}``).

    PENDING is QUEUED and BLOCKED is RUNNING (with message "blocked"); progress is
    ``completed / total`` in percent; ``error`` is the decoded vAPI standard error. An
    unknown ``status`` is RUNNING with message "unknown state '...'" (unless the progress
    carries a message of its own).
    """
    data = _require_mapping(info, operation="cis_tasks_get")
    state, message = _state(data, "status", _CIS_STATES, "cis", secrets)
    progress: int | None = None
    raw_progress = data.get("progress")
    if isinstance(raw_progress, Mapping):
        total, completed = raw_progress.get("total"), raw_progress.get("completed")
        if isinstance(total, int) and isinstance(completed, int) and total > 0:
            progress = _progress(completed * 100 // total)
        text = _localized(raw_progress.get("message"))
        # The server's own words may echo what the call sent.
        message = faults.redact(text, secrets) if text else message
    if data.get("status") == "BLOCKED":
        message = message or "blocked"
    error: BaseException | None = None
    if state is TaskState.FAILED:
        op = operation or (
            data.get("operation") if isinstance(data.get("operation"), str) else None
        )
        fault = faults.decode_vapi_error(
            data.get("error"), status=None, operation=op, secrets=secrets
        )
        error, message = _failure(fault, task_id)
    elif state is TaskState.SUCCEEDED:
        progress = 100
    return TaskStatus(
        task_id=task_id,
        kind="cis",
        state=state,
        progress=progress,
        message=message,
        result=data.get("result"),
        error=error,
        raw=info,
        retry_after=retry_after,
        secrets=secrets,
    )


_VR_STATES = {
    "QUEUED": TaskState.QUEUED,
    "RUNNING": TaskState.RUNNING,
    "SUCCESS": TaskState.SUCCEEDED,
    "ERROR": TaskState.FAILED,
    "CANCELLED": TaskState.CANCELLED,
}


def vr_task_status(
    task_id: str,
    info: object,
    *,
    operation: str | None = None,
    secrets: Sequence[str] = (),
    retry_after: float | None = None,
) -> TaskStatus:
    """Adapt a vSphere Replication task (``GET /tasks/{task_id}``); ERROR decodes to VrError.

    An unknown ``status`` is RUNNING with message "unknown state '...'".
    """
    data = _require_mapping(info, operation="get_task")
    state, message = _state(data, "status", _VR_STATES, "vr", secrets)
    error: BaseException | None = None
    if state is TaskState.FAILED:
        fault = faults.decode_vr_error(
            data.get("error"), status=None, operation=operation, secrets=secrets
        )
        error, message = _failure(fault, task_id)
    return TaskStatus(
        task_id=task_id,
        kind="vr",
        state=state,
        progress=100 if state is TaskState.SUCCEEDED else _progress(data.get("progress")),
        message=message,
        result=data.get("result"),
        error=error,
        raw=info,
        retry_after=retry_after,
        secrets=secrets,
    )


# ---------------------------------------------------------------------------- backends


class SyncTaskBackend(Protocol):
    """What a blocking handle needs from its connection (the entry points implement it).

    ``timeout`` is the time, in seconds, the request(s) may take in all, answer included (a
    task wait's deadline); None keeps the connection's own per-phase timeouts only.
    """

    @property
    def _session_token(self) -> str | None: ...

    def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        """Read the status once (no re-login: a wait does its own, once per wait)."""
        ...

    def _fetch_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        """Read the status, logging in again once if the session expired."""
        ...

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None: ...

    def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None:
        """Log in again (unless ``stale`` was already replaced), within ``timeout`` seconds."""
        ...


class AsyncTaskBackend(Protocol):
    """What an asyncio handle needs from its connection."""

    @property
    def _session_token(self) -> str | None: ...

    async def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus: ...

    async def _fetch_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus: ...

    async def _cancel_task(self, kind: TaskKind, task_id: str) -> None: ...

    async def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None: ...


#: Called with the fault that ended a task; returns the id of a replacement task to wait for
#: instead, or None to let the fault be raised. Used by reconnect_host's thumbprint flow.
SyncRetryHook = Callable[[faults.Fault], str | None]
AsyncRetryHook = Callable[[faults.Fault], Awaitable[str | None]]


def _read_budget(deadline: Deadline) -> float | None:
    """How long one status read (or re-login) of a wait may take in all: what is left of the
    deadline, but at least MIN_READ_TIMEOUT; None (the connection's own per-phase timeouts)
    without a deadline."""
    if not deadline.bounded:
        return None
    return max(deadline.remaining(), MIN_READ_TIMEOUT)


class _ProgressRelay:
    """Forwards progress reports, holding back each wait's final report until the handle's
    wait is really over, so a wait that continues on a replacement task still delivers
    exactly one final report; ``elapsed`` counts from the start of the handle's wait.

    Each method returns what the callback returned, so that an async handle can await an
    ``async def`` callback (the drivers await what the relay's ``__call__`` returns).
    """

    def __init__(self, callback: Callable[[ProgressReport], object] | None) -> None:
        self._callback = callback
        self._start = time.monotonic()
        self._held: ProgressReport | None = None

    def __call__(self, report: ProgressReport) -> object:
        report = dataclasses.replace(report, elapsed=time.monotonic() - self._start)
        if report.final:
            self._held = report
            return None
        return self._deliver(report)

    def continue_with_new_task(self) -> object:
        """The task was replaced: its final report becomes an ordinary one."""
        if self._held is None:
            return None
        held, self._held = self._held, None
        return self._deliver(dataclasses.replace(held, final=False))

    def finish(self) -> object:
        """The handle's wait is over: deliver the final report."""
        if self._held is None:
            return None
        held, self._held = self._held, None
        return self._deliver(held)

    def _deliver(self, report: ProgressReport) -> object:
        if self._callback is None:
            return None
        try:
            return self._callback(report)
        except Exception:
            logger.warning("progress callback failed for task %s", report.task_id, exc_info=True)
            return None


_DEFAULT_POLICY = PollPolicy()


class _TaskBase:
    """Identity and bookkeeping shared by all handles."""

    kind: ClassVar[TaskKind]
    #: Whether :meth:`cancel` is supported by the API of this task kind.
    cancellable: ClassVar[bool] = False

    def __init__(
        self,
        task_id: str,
        *,
        operation: str | None,
        secrets: Sequence[str | Secret],
    ) -> None:
        if not isinstance(task_id, str) or not task_id:
            raise ValueError("task_id must be a non-empty string")
        self._id = task_id
        self._operation = operation
        # Call-specific passwords (host, vim account, PSC...): redacted from decoded faults.
        self._secrets: tuple[Secret, ...] = tuple(
            s if isinstance(s, Secret) else Secret(s) for s in secrets if s
        )
        self._last: TaskStatus | None = None

    @property
    def id(self) -> str:
        """The server's task id. It changes if a wait continues on a replacement task
        (reconnect_host's ``accept_thumbprint`` flow)."""
        return self._id

    @property
    def operation(self) -> str | None:
        """The operation that started the task, when known."""
        return self._operation

    @property
    def last_status(self) -> TaskStatus | None:
        """The last status read (by :meth:`status` or a wait), or None."""
        return self._last

    def _secret_strings(self) -> tuple[str, ...]:
        return tuple(s.reveal() for s in self._secrets)

    def _ended_the_task(self, exc: faults.Fault) -> bool:
        """True if ``exc`` is the fault the task ended with (not one raised by a read)."""
        return self._last is not None and self._last.error is exc

    def _continue_on(self, replacement: str, exc: faults.Fault) -> None:
        """Follow ``replacement``, the task the retry hook started after ``exc`` ended this one."""
        logger.info("task %s replaced by %s after %s", self._id, replacement, exc.type_name)
        self._id = replacement
        self._last = None

    def __repr__(self) -> str:
        state = self._last.state.value if self._last is not None else "unread"
        op = f", operation={self._operation!r}" if self._operation else ""
        return f"{type(self).__name__}(id={self._id!r}{op}, state={state})"


class SyncTask(_TaskBase):
    """Base of the blocking handles. Build one with the connection's ``task(...)`` method,
    or get one from a facade call."""

    def __init__(
        self,
        connection: SyncTaskBackend,
        task_id: str,
        *,
        operation: str | None = None,
        secrets: Sequence[str | Secret] = (),
    ) -> None:
        """Follow task ``task_id`` through ``connection`` (a VCenter, VCenterRest, Replication)."""
        super().__init__(task_id, operation=operation, secrets=secrets)
        self._connection = connection
        self._retry_hook: SyncRetryHook | None = None

    def status(self) -> TaskStatus:
        """Read the task's current status once (no retries of failed reads).

        A FAILED status carries the decoded fault in ``error`` (``task_id`` set). Like every
        read, a refusal for want of a session logs in again once and reads once more. Raises
        the read's own error (TransportError, GatewayError, a second NotAuthenticated...).
        """
        status = self._connection._fetch_task_status(
            self.kind, self._id, self._operation, self._secret_strings()
        )
        self._last = status
        return status

    def _read(self, timeout: float | None) -> TaskStatus:
        status = self._connection._read_task_status(
            self.kind, self._id, self._operation, self._secret_strings(), timeout
        )
        self._last = status
        return status

    def wait_status(
        self,
        timeout: float | None = None,
        *,
        policy: PollPolicy | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> TaskStatus:
        """Like :meth:`wait`, but return the final :class:`TaskStatus` rather than the result."""
        reject_coroutine_callback(on_progress, where=f"{type(self).__name__}.wait")
        return self._wait_status(Deadline(timeout), policy=policy, on_progress=on_progress)

    def _wait_status(
        self,
        deadline: Deadline,
        *,
        policy: PollPolicy | None,
        on_progress: ProgressCallback | None,
        stop: StopSignal | None = None,
    ) -> TaskStatus:
        """The wait, on a deadline that may be shared (wait_all); ``stop`` ends it early."""
        relay = _ProgressRelay(on_progress)
        # The token a read used: re-login only if no other wait already replaced it.
        token_seen: list[str | None] = [None]

        def read() -> TaskStatus:
            token_seen[0] = self._connection._session_token
            return self._read(_read_budget(deadline))

        def reauthenticate() -> None:
            self._connection._reauthenticate(token_seen[0], _read_budget(deadline))

        reader: Callable[[], TaskStatus] = read
        sleep: Callable[[float], None] = time.sleep
        if stop is not None:
            reader, sleep = stop.reader(read), stop.sleeper(sleep)
        try:
            while True:
                try:
                    return wait_for(
                        reader,
                        timeout=deadline,
                        policy=policy or _DEFAULT_POLICY,
                        on_progress=relay,
                        sleep=sleep,
                        transient=is_transient_read_error,
                        reauthenticate=reauthenticate,
                        is_session_expired=faults.is_session_expired,
                        task_id=self._id,
                    )
                except faults.Fault as exc:
                    hook, self._retry_hook = self._retry_hook, None  # at most one replacement
                    ended = self._ended_the_task(exc)
                    replacement = hook(exc) if hook is not None and ended else None
                    if replacement is None:
                        raise
                    self._continue_on(replacement, exc)
                    drop_awaitable(relay.continue_with_new_task(), self._id, logger)
        finally:
            drop_awaitable(relay.finish(), self._id, logger)

    def wait(
        self,
        timeout: float | None = None,
        *,
        policy: PollPolicy | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> object:
        """Wait until the task ends; return its result (the server's JSON, often None).

        Raises the decoded fault if the task failed (``task_id`` set; the same class the call
        would raise), :class:`~vreconnect.waiting.TaskCancelled` if it was cancelled, and
        :class:`~vreconnect.errors.TaskTimeout` (task id, last status, ``timeout`` as given)
        when ``timeout`` seconds pass first -- the task then keeps running on the server. The
        timeout bounds the status reads too (see the module docstring). Transient read
        failures are retried until the timeout (without one: up to
        ``policy.max_transient_retries`` in a row); any other error a read raises escapes
        with ``task_id`` set. ``on_progress`` (a plain function) receives a
        :class:`~vreconnect.waiting.ProgressReport` on each change and exactly one final
        report.
        """
        return self.wait_status(timeout, policy=policy, on_progress=on_progress).result

    def cancel(self) -> None:
        """Ask the server to cancel the task; :class:`TaskCancelUnsupported` for this kind."""
        raise TaskCancelUnsupported(self.kind, self._id)


class AsyncTask(_TaskBase):
    """Base of the asyncio handles; the twin of :class:`SyncTask`."""

    def __init__(
        self,
        connection: AsyncTaskBackend,
        task_id: str,
        *,
        operation: str | None = None,
        secrets: Sequence[str | Secret] = (),
    ) -> None:
        """Follow task ``task_id`` through ``connection`` (an Async* entry point)."""
        super().__init__(task_id, operation=operation, secrets=secrets)
        self._connection = connection
        self._retry_hook: AsyncRetryHook | None = None

    async def status(self) -> TaskStatus:
        """Read the task's current status once (no retries of failed reads); see
        :meth:`SyncTask.status`."""
        status = await self._connection._fetch_task_status(
            self.kind, self._id, self._operation, self._secret_strings()
        )
        self._last = status
        return status

    async def _read(self, timeout: float | None) -> TaskStatus:
        status = await self._connection._read_task_status(
            self.kind, self._id, self._operation, self._secret_strings(), timeout
        )
        self._last = status
        return status

    async def wait_status(
        self,
        timeout: float | None = None,
        *,
        policy: PollPolicy | None = None,
        on_progress: AsyncProgressCallback | None = None,
    ) -> TaskStatus:
        """Like :meth:`wait`, but return the final :class:`TaskStatus` rather than the result."""
        return await self._wait_status(Deadline(timeout), policy=policy, on_progress=on_progress)

    async def _wait_status(
        self,
        deadline: Deadline,
        *,
        policy: PollPolicy | None,
        on_progress: AsyncProgressCallback | None,
    ) -> TaskStatus:
        """The wait, on a deadline that may be shared (async_wait_all)."""
        relay = _ProgressRelay(on_progress)
        token_seen: list[str | None] = [None]

        async def read() -> TaskStatus:
            token_seen[0] = self._connection._session_token
            return await self._read(_read_budget(deadline))

        async def reauthenticate() -> None:
            await self._connection._reauthenticate(token_seen[0], _read_budget(deadline))

        try:
            while True:
                try:
                    return await async_wait_for(
                        read,
                        timeout=deadline,
                        policy=policy or _DEFAULT_POLICY,
                        on_progress=relay,
                        transient=is_transient_read_error,
                        reauthenticate=reauthenticate,
                        is_session_expired=faults.is_session_expired,
                        task_id=self._id,
                    )
                except faults.Fault as exc:
                    hook, self._retry_hook = self._retry_hook, None
                    ended = self._ended_the_task(exc)
                    replacement = await hook(exc) if hook is not None and ended else None
                    if replacement is None:
                        raise
                    self._continue_on(replacement, exc)
                    await settle_awaitable(relay.continue_with_new_task(), self._id, logger)
        finally:
            await settle_awaitable(relay.finish(), self._id, logger)

    async def wait(
        self,
        timeout: float | None = None,
        *,
        policy: PollPolicy | None = None,
        on_progress: AsyncProgressCallback | None = None,
    ) -> object:
        """Wait until the task ends and return its result; see :meth:`SyncTask.wait`.

        ``on_progress`` may be a plain function or an ``async def`` (awaited in order).
        Cancelling the awaiting coroutine stops the waiting only; the server task goes on.
        """
        return (await self.wait_status(timeout, policy=policy, on_progress=on_progress)).result

    async def cancel(self) -> None:
        """Ask the server to cancel the task; :class:`TaskCancelUnsupported` for this kind."""
        raise TaskCancelUnsupported(self.kind, self._id)


# ---------------------------------------------------------------------------- the four kinds


class VimTask(SyncTask):
    """A vSphere ``Task`` (ReconnectHost_Task, ReconfigureHostForDAS_Task, DisconnectHost_Task).

    :meth:`cancel` calls ``CancelTask``; the server raises InvalidState if the task already
    ended and NotSupported if it is not cancelable.
    """

    kind: ClassVar[TaskKind] = "vim25"
    cancellable: ClassVar[bool] = True

    def cancel(self) -> None:
        """Ask vCenter to cancel the task (``CancelTask``); a wait then raises TaskCancelled.

        Cancelling a task that already ended (succeeded, failed or cancelled) raises the
        server's :class:`~vreconnect.faults.InvalidState` as is -- it is not swallowed,
        since the task's outcome stands and the caller should know it; a task that cannot
        be cancelled raises NotSupported.
        """
        self._connection._cancel_task(self.kind, self._id)


class AsyncVimTask(AsyncTask):
    """The asyncio twin of :class:`VimTask`."""

    kind: ClassVar[TaskKind] = "vim25"
    cancellable: ClassVar[bool] = True

    async def cancel(self) -> None:
        """Ask vCenter to cancel the task (``CancelTask``); a wait then raises TaskCancelled.

        InvalidState if the task already ended, NotSupported if it cannot be cancelled; see
        :meth:`VimTask.cancel`.
        """
        await self._connection._cancel_task(self.kind, self._id)


class SmsTask(SyncTask):
    """A storage monitoring service ``SmsTask`` (VasaProviderReconnect_Task). No cancel."""

    kind: ClassVar[TaskKind] = "sms"


class AsyncSmsTask(AsyncTask):
    """The asyncio twin of :class:`SmsTask`."""

    kind: ClassVar[TaskKind] = "sms"


class CisTask(SyncTask):
    """A vSphere Automation (vAPI) task (VCHA passive redeploy). No cancel."""

    kind: ClassVar[TaskKind] = "cis"


class AsyncCisTask(AsyncTask):
    """The asyncio twin of :class:`CisTask`."""

    kind: ClassVar[TaskKind] = "cis"


class VrTask(SyncTask):
    """A vSphere Replication task (pairing reconnect). No cancel."""

    kind: ClassVar[TaskKind] = "vr"


class AsyncVrTask(AsyncTask):
    """The asyncio twin of :class:`VrTask`."""

    kind: ClassVar[TaskKind] = "vr"


# ---------------------------------------------------------------------------- many at once


@dataclass(frozen=True)
class TaskOutcome(WaitOutcome):
    """How the wait for one of many handles ended.

    ``status`` is the final status of a task that succeeded (``result`` is its result),
    ``error`` what its wait raised (a fault, TaskCancelled, TaskTimeout, ...). Works with
    :func:`vreconnect.waiting.raise_for_failures`.
    """

    handle: SyncTask | AsyncTask | None = None

    @property
    def result(self) -> object:
        """The task's result (None if it failed)."""
        return self.status.result if self.status is not None else None


def _check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")


def wait_all(
    handles: Sequence[SyncTask],
    *,
    concurrency: int = 8,
    timeout: float | None = None,
    policy: PollPolicy | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[TaskOutcome]:
    """Wait for many tasks, at most ``concurrency`` at a time; one outcome per handle, in order.

    ``timeout`` is one deadline for all of them, counted from this call (a handle whose turn
    comes after it passed is still read once); a TaskTimeout reports that ``timeout``.
    Failures never stop the other waits and are not raised: each lands in its
    :class:`TaskOutcome`; ``raise_for_failures(outcomes)`` raises them together as a
    :class:`~vreconnect.waiting.WaitManyError`. ``on_progress`` is called from worker
    threads. An interruption (Ctrl-C, or a BaseException from ``on_progress``) returns at
    once: running waits stop before their next read or sleep, queued ones never start, and a
    read in flight never holds up the program's exit (the workers are daemon threads); the
    tasks themselves go on on the server.
    """
    _check_concurrency(concurrency)
    for handle in handles:
        if not isinstance(handle, SyncTask):
            raise TypeError(f"wait_all takes sync handles; use async_wait_all for {handle!r}")
    reject_coroutine_callback(on_progress, where="wait_all")
    if not handles:
        return []
    deadline = Deadline(timeout)
    stop = StopSignal()

    def job(handle: SyncTask) -> Callable[[], TaskStatus]:
        return lambda: handle._wait_status(
            deadline, policy=policy, on_progress=on_progress, stop=stop
        )

    results = run_in_pool(
        [job(handle) for handle in handles], workers=min(concurrency, len(handles)), stop=stop
    )
    return [
        TaskOutcome(index, status, error, handle)
        for index, (handle, (status, error)) in enumerate(zip(handles, results, strict=True))
    ]


async def async_wait_all(
    handles: Sequence[AsyncTask],
    *,
    concurrency: int = 8,
    timeout: float | None = None,
    policy: PollPolicy | None = None,
    on_progress: AsyncProgressCallback | None = None,
) -> list[TaskOutcome]:
    """The asyncio twin of :func:`wait_all` (bounded by a semaphore; same contract);
    ``on_progress`` may be an ``async def``."""
    _check_concurrency(concurrency)
    for handle in handles:
        if not isinstance(handle, AsyncTask):
            raise TypeError(f"async_wait_all takes async handles; use wait_all for {handle!r}")
    deadline = Deadline(timeout)
    semaphore = asyncio.Semaphore(concurrency)

    async def run(index: int, handle: AsyncTask) -> TaskOutcome:
        async with semaphore:
            try:
                status = await handle._wait_status(deadline, policy=policy, on_progress=on_progress)
            except Exception as exc:
                return TaskOutcome(index, None, exc, handle)
            return TaskOutcome(index, status, None, handle)

    # TaskGroup: cancelling this call cancels every wait with it.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(run(i, h)) for i, h in enumerate(handles)]
    return [task.result() for task in tasks]
