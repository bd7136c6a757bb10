"""The asyncio driver: the same semantics as :mod:`._sync`, with awaited reads and sleeps."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from ._core import (
    UNKNOWN_TASK,
    Deadline,
    _Raise,
    _Reauthenticate,
    _Return,
    _Sleep,
    _WaitMachine,
    attach_task_id,
    is_transient,
)
from ._many import WaitOutcome
from ._types import PollPolicy, ProgressReport, TaskStatus

__all__ = ["AsyncProgressCallback", "async_wait_all", "async_wait_for", "settle_awaitable"]

logger = logging.getLogger("vreconnect.waiting")

AsyncReauthenticate = Callable[[], Awaitable[object] | None]
#: A progress callback of the async drivers: a plain function or an ``async def`` (what it
#: returns is awaited if it is awaitable).
AsyncProgressCallback = Callable[[ProgressReport], object]


async def async_wait_for(
    read_status: Callable[[], Awaitable[TaskStatus]],
    *,
    timeout: float | Deadline | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: AsyncProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    rng: random.Random | None = None,
    transient: Callable[[BaseException], bool] = is_transient,
    reauthenticate: AsyncReauthenticate | None = None,
    is_session_expired: Callable[[BaseException], bool] | None = None,
    task_id: str = UNKNOWN_TASK,
) -> TaskStatus:
    """Await ``read_status`` until the task settles; the async twin of :func:`wait_for`.

    Same semantics, errors and progress reports as :func:`wait_for`. ``read_status`` and
    ``sleep`` are awaited; ``on_progress`` and ``reauthenticate`` may each be a plain
    function or an ``async def`` (what they return is awaited if it is awaitable; an
    exception from an awaited progress callback is logged and ignored, like a plain one's).
    Cancelling the wait cancels only the waiting (the task keeps running on the server) and
    still delivers the final report.
    """
    return await _wait(
        read_status,
        deadline=Deadline.of(timeout, clock=clock),
        policy=policy,
        on_progress=on_progress,
        clock=clock,
        sleep=sleep,
        rng=rng if rng is not None else random.Random(),
        transient=transient,
        reauthenticate=reauthenticate,
        is_session_expired=is_session_expired,
        task_id=task_id,
    )


async def _wait(
    read_status: Callable[[], Awaitable[TaskStatus]],
    *,
    deadline: Deadline,
    policy: PollPolicy,
    on_progress: AsyncProgressCallback | None,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
    rng: random.Random,
    transient: Callable[[BaseException], bool],
    reauthenticate: AsyncReauthenticate | None,
    is_session_expired: Callable[[BaseException], bool] | None,
    task_id: str,
) -> TaskStatus:
    machine = _WaitMachine(
        deadline=deadline,
        policy=policy,
        rng=rng,
        transient=transient,
        is_session_expired=is_session_expired,
        can_reauthenticate=reauthenticate is not None,
        on_progress=on_progress,
        clock=clock,
        task_id=task_id,
        awaitable_callbacks=True,
    )
    try:
        while True:
            try:
                status = await read_status()
            except Exception as exc:  # CancelledError is a BaseException: not caught here
                step = machine.on_read_error(exc)
            else:
                step = machine.on_status(status)
            await _run_callbacks(machine)
            if isinstance(step, _Reauthenticate):
                assert reauthenticate is not None  # the machine only asks when one was given
                try:
                    pending = reauthenticate()
                    if inspect.isawaitable(pending):
                        await pending
                    continue
                except Exception as exc:
                    step = machine.on_reauthenticate_error(exc)
            if isinstance(step, _Return):
                return step.status
            if isinstance(step, _Raise):
                raise step.error
            assert isinstance(step, _Sleep)  # re-login answers a sleep or a raise
            await sleep(step.delay)
    except Exception as exc:
        attach_task_id(exc, machine.task_id)
        raise
    finally:
        # Also on cancellation and on errors from reauthenticate/sleep.
        machine.finish()
        await _run_callbacks(machine)


async def _run_callbacks(machine: _WaitMachine) -> None:
    """Await what ``async def`` progress callbacks returned, in order."""
    for pending in machine.take_pending_callbacks():
        await settle_awaitable(pending, machine.task_id)


async def settle_awaitable(outcome: object, task_id: str, log: logging.Logger = logger) -> None:
    """Await what a progress callback returned, if it is awaitable (an ``async def``
    callback's coroutine); an error it raises is logged, as a plain callback's is."""
    if not inspect.isawaitable(outcome):
        return
    try:
        await outcome
    except Exception:
        log.warning("progress callback failed for task %s", task_id, exc_info=True)


async def async_wait_all(
    waiters: Sequence[Callable[[], Awaitable[TaskStatus]]],
    *,
    concurrency: int = 8,
    timeout: float | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: AsyncProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    rng: random.Random | None = None,
    transient: Callable[[BaseException], bool] = is_transient,
    reauthenticate: AsyncReauthenticate | None = None,
    is_session_expired: Callable[[BaseException], bool] | None = None,
    task_ids: Sequence[str] | None = None,
) -> list[WaitOutcome]:
    """Wait for many tasks, at most ``concurrency`` at a time; the async twin of :func:`wait_all`.

    Same contract as :func:`wait_all`: one outcome per task in input order, failures
    collected and never raised, ``timeout`` one deadline shared by all tasks. Concurrency is
    bounded with an :class:`asyncio.Semaphore`.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if task_ids is not None and len(task_ids) != len(waiters):
        raise ValueError(f"got {len(task_ids)} task_ids for {len(waiters)} waiters")
    deadline = Deadline(timeout, clock=clock)
    shared_rng = rng if rng is not None else random.Random()
    semaphore = asyncio.Semaphore(concurrency)

    async def run(index: int) -> WaitOutcome:
        async with semaphore:
            try:
                status = await _wait(
                    waiters[index],
                    deadline=deadline,
                    policy=policy,
                    on_progress=on_progress,
                    clock=clock,
                    sleep=sleep,
                    rng=shared_rng,
                    transient=transient,
                    reauthenticate=reauthenticate,
                    is_session_expired=is_session_expired,
                    task_id=task_ids[index] if task_ids is not None else UNKNOWN_TASK,
                )
            except Exception as exc:
                return WaitOutcome(index, None, exc)
            return WaitOutcome(index, status, None)

    # TaskGroup: if this call is cancelled, every wait is cancelled with it.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(run(index)) for index in range(len(waiters))]
    return [task.result() for task in tasks]
