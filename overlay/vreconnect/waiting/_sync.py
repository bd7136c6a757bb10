"""The blocking driver: poll with ``read_status`` and ``sleep`` until the task settles."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ._core import (
    Deadline,
    _Raise,
    _Reauthenticate,
    _Return,
    _WaitMachine,
    is_transient,
)
from ._many import WaitOutcome
from ._types import PollPolicy, ProgressReport, TaskStatus

__all__ = ["wait_all", "wait_for"]


def wait_for(
    read_status: Callable[[], TaskStatus],
    *,
    timeout: float | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: Callable[[ProgressReport], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    transient: Callable[[BaseException], bool] = is_transient,
    reauthenticate: Callable[[], None] | None = None,
    is_session_expired: Callable[[BaseException], bool] | None = None,
    task_id: str = "?",
) -> TaskStatus:
    """Poll ``read_status`` until the task settles; return its final status if it succeeded.

    Reads at once, then sleeps per ``policy`` (backoff with jitter, honouring the status's
    ``retry_after``), never past the deadline. ``timeout=None`` waits forever.

    Raises:
        BaseException: a FAILED task's own ``status.error`` (``task_id`` set on it), or
            TaskFailed if it carried none.
        TaskCancelled: the task was cancelled.
        vreconnect.errors.TaskTimeout: the deadline passed; the task is still running on
            the server (``task_id`` is the last one read, else the ``task_id`` argument).
        Exception: a read error that is not ``transient``, the last of more than
            ``policy.max_transient_retries`` consecutive transient ones, or a second
            session expiry (``reauthenticate`` is called at most once per wait).

    ``on_progress`` gets a report per change of (state, progress, message) and exactly one
    final report however the wait ends; exceptions it raises are logged and ignored.
    """
    return _wait(
        read_status,
        deadline=Deadline(timeout, clock=clock),
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


def _wait(
    read_status: Callable[[], TaskStatus],
    *,
    deadline: Deadline,
    policy: PollPolicy,
    on_progress: Callable[[ProgressReport], None] | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    rng: random.Random,
    transient: Callable[[BaseException], bool],
    reauthenticate: Callable[[], None] | None,
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
    )
    try:
        while True:
            try:
                status = read_status()
            except Exception as exc:
                step = machine.on_read_error(exc)
            else:
                step = machine.on_status(status)
            if isinstance(step, _Return):
                return step.status
            if isinstance(step, _Raise):
                raise step.error
            if isinstance(step, _Reauthenticate):
                assert reauthenticate is not None  # the machine only asks when one was given
                reauthenticate()
            else:
                sleep(step.delay)
    finally:
        # Also on errors from reauthenticate/sleep and on KeyboardInterrupt.
        machine.finish()


def wait_all(
    waiters: Sequence[Callable[[], TaskStatus]],
    *,
    concurrency: int = 8,
    timeout: float | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: Callable[[ProgressReport], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    transient: Callable[[BaseException], bool] = is_transient,
    reauthenticate: Callable[[], None] | None = None,
    is_session_expired: Callable[[BaseException], bool] | None = None,
    task_ids: Sequence[str] | None = None,
) -> list[WaitOutcome]:
    """Wait for many tasks on a pool of ``concurrency`` threads; one outcome per task, in order.

    Each element of ``waiters`` is a ``read_status`` for :func:`wait_for`. ``timeout`` is ONE
    deadline shared by all the tasks, counted from this call (a task that only starts once the
    deadline has passed is still read once). For a different timeout per task, call
    :func:`wait_for` per task instead. ``task_ids`` (parallel to ``waiters``) names tasks in
    timeouts that happen before their first successful read.

    Failures never stop the other waits and are never raised here: they land in
    :attr:`WaitOutcome.error`; use :func:`raise_for_failures` to raise them together.
    ``on_progress``, ``reauthenticate`` (called at most once per task) and ``rng`` are shared
    by the worker threads, so they must be thread-safe.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if task_ids is not None and len(task_ids) != len(waiters):
        raise ValueError(f"got {len(task_ids)} task_ids for {len(waiters)} waiters")
    deadline = Deadline(timeout, clock=clock)
    shared_rng = rng if rng is not None else random.Random()

    def run(index: int) -> TaskStatus:
        return _wait(
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
            task_id=task_ids[index] if task_ids is not None else "?",
        )

    if not waiters:
        return []
    outcomes: list[WaitOutcome] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="vreconnect-wait") as pool:
        futures = [pool.submit(run, index) for index in range(len(waiters))]
        for index, future in enumerate(futures):
            try:
                outcomes.append(WaitOutcome(index, future.result(), None))
            except Exception as exc:
                outcomes.append(WaitOutcome(index, None, exc))
    return outcomes
