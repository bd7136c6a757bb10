"""The blocking driver: poll with ``read_status`` and ``sleep`` until the task settles."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from ._core import (
    UNKNOWN_TASK,
    Deadline,
    ProgressCallback,
    _Raise,
    _Reauthenticate,
    _Return,
    _Sleep,
    _WaitMachine,
    attach_task_id,
    is_transient,
    reject_coroutine_callback,
)
from ._many import WaitOutcome
from ._types import PollPolicy, TaskStatus

__all__ = ["StopSignal", "WaitStopped", "run_in_pool", "wait_all", "wait_for"]

T = TypeVar("T")


def wait_for(
    read_status: Callable[[], TaskStatus],
    *,
    timeout: float | Deadline | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    transient: Callable[[BaseException], bool] = is_transient,
    reauthenticate: Callable[[], None] | None = None,
    is_session_expired: Callable[[BaseException], bool] | None = None,
    task_id: str = UNKNOWN_TASK,
) -> TaskStatus:
    """Poll ``read_status`` until the task settles; return its final status if it succeeded.

    Reads at once, then sleeps per ``policy`` (backoff with jitter, honouring the status's
    ``retry_after``), never past the deadline. ``timeout`` is in seconds (``None`` waits
    forever) or a :class:`Deadline` shared with other waits; a TaskTimeout reports the
    deadline's own timeout either way.

    Transient read errors (``transient``) are retried with the same backoff: until the
    deadline when there is one, else up to ``policy.max_transient_retries`` in a row.

    Raises:
        BaseException: a FAILED task's own ``status.error`` (``task_id`` set on it), or
            TaskFailed if it carried none.
        TaskCancelled: the task was cancelled.
        vreconnect.errors.TaskTimeout: the deadline passed; the task is still running on
            the server (``task_id`` is the last one read, else the ``task_id`` argument;
            ``__cause__`` is the transient error that kept the last reads from answering).
        Exception: a read error that is not ``transient``, the last of more than
            ``policy.max_transient_retries`` consecutive transient ones (no deadline only),
            or a second session expiry (``reauthenticate`` is called at most once per wait
            unless it fails transiently). Whatever escapes gets ``task_id`` set when it has
            none and the task id is known.

    ``on_progress`` gets a report per change of (state, progress, message) and exactly one
    final report however the wait ends; exceptions it raises are logged and ignored. It must
    be a plain function (TypeError for an ``async def``: use :func:`async_wait_for`).
    """
    reject_coroutine_callback(on_progress, where="wait_for")
    return _wait(
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


def _wait(
    read_status: Callable[[], TaskStatus],
    *,
    deadline: Deadline,
    policy: PollPolicy,
    on_progress: ProgressCallback | None,
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
            if isinstance(step, _Reauthenticate):
                assert reauthenticate is not None  # the machine only asks when one was given
                try:
                    reauthenticate()
                    continue
                except Exception as exc:
                    step = machine.on_reauthenticate_error(exc)
            if isinstance(step, _Return):
                return step.status
            if isinstance(step, _Raise):
                raise step.error
            assert isinstance(step, _Sleep)  # re-login answers a sleep or a raise
            sleep(step.delay)
    except Exception as exc:
        attach_task_id(exc, machine.task_id)
        raise
    finally:
        # Also on errors from reauthenticate/sleep and on KeyboardInterrupt.
        machine.finish()


class WaitStopped(BaseException):
    """Raised inside a pooled wait once its pool was told to stop (never seen by callers).

    A BaseException, like GeneratorExit: no ``except Exception`` (nor a transient-error
    predicate) may mistake it for a failed read and keep the wait going.
    """


class StopSignal:
    """Tells the waits of a thread pool to stop: each checks it before every read and sleep,
    and a sleep on the real clock wakes up as soon as it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Stop every wait that checks this signal."""
        self._event.set()

    def check(self) -> None:
        """Raise WaitStopped once the signal is set."""
        if self._event.is_set():
            raise WaitStopped

    def reader(self, read: Callable[[], T]) -> Callable[[], T]:
        """``read``, checking the signal first."""

        def checked() -> T:
            self.check()
            return read()

        return checked

    def sleeper(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """``sleep``, checking the signal first and after; ``time.sleep`` is replaced by a
        wait on the signal, so a stop interrupts it."""

        def stoppable(delay: float) -> None:
            self.check()
            if sleep is time.sleep:
                if self._event.wait(delay):
                    raise WaitStopped
                return
            sleep(delay)
            self.check()

        return stoppable


def run_in_pool(
    jobs: Sequence[Callable[[], T]], *, workers: int, stop: StopSignal
) -> list[tuple[T | None, Exception | None]]:
    """Run ``jobs`` on ``workers`` threads; (result, None) or (None, error) per job, in order.

    If the calling thread is interrupted (KeyboardInterrupt, or a job raising any
    BaseException), ``stop`` is set, queued jobs are cancelled and the call returns at once
    without waiting for the running ones, which stop at their next read or sleep.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vreconnect-wait")
    try:
        futures: list[Future[T]] = [pool.submit(job) for job in jobs]
        results: list[tuple[T | None, Exception | None]] = []
        for future in futures:
            try:
                results.append((future.result(), None))
            except Exception as exc:
                results.append((None, exc))
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def wait_all(
    waiters: Sequence[Callable[[], TaskStatus]],
    *,
    concurrency: int = 8,
    timeout: float | None,
    policy: PollPolicy = PollPolicy(),  # noqa: B008 - frozen, so sharing the default is safe
    on_progress: ProgressCallback | None = None,
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

    An interruption (Ctrl-C) returns at once: the waits still running stop before their next
    read or sleep (a read in flight finishes first), queued ones never start.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")
    if task_ids is not None and len(task_ids) != len(waiters):
        raise ValueError(f"got {len(task_ids)} task_ids for {len(waiters)} waiters")
    reject_coroutine_callback(on_progress, where="wait_all")
    deadline = Deadline(timeout, clock=clock)
    shared_rng = rng if rng is not None else random.Random()
    stop = StopSignal()

    def job(index: int) -> Callable[[], TaskStatus]:
        def run() -> TaskStatus:
            return _wait(
                stop.reader(waiters[index]),
                deadline=deadline,
                policy=policy,
                on_progress=on_progress,
                clock=clock,
                sleep=stop.sleeper(sleep),
                rng=shared_rng,
                transient=transient,
                reauthenticate=reauthenticate,
                is_session_expired=is_session_expired,
                task_id=task_ids[index] if task_ids is not None else UNKNOWN_TASK,
            )

        return run

    if not waiters:
        return []
    results = run_in_pool(
        [job(index) for index in range(len(waiters))],
        workers=min(concurrency, len(waiters)),
        stop=stop,
    )
    return [WaitOutcome(index, status, error) for index, (status, error) in enumerate(results)]
