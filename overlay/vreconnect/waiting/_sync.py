"""The blocking driver: poll with ``read_status`` and ``sleep`` until the task settles."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

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

    def is_set(self) -> bool:
        """True once the signal is set."""
        return self._event.is_set()

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


Outcome = tuple[T | None, Exception | None]


class _DaemonPool(Generic[T]):
    """Runs jobs on a few daemon threads and collects one :data:`Outcome` per job.

    Not a ThreadPoolExecutor: the interpreter joins its (non-daemon) workers at exit, so after
    Ctrl-C a worker inside a status read would hold the program up until that read timed out
    (the connection's timeout: 30 s by default). A daemon worker is simply abandoned at exit;
    one that outlives the call stops at its next read or sleep (the StopSignal).
    """

    def __init__(self, jobs: Sequence[Callable[[], T]], stop: StopSignal) -> None:
        self._jobs = jobs
        self._stop = stop
        self._changed = threading.Condition()
        self._next = 0
        self._outcomes: list[Outcome[T] | None] = [None] * len(jobs)
        self._finished = 0
        #: A BaseException a job raised (KeyboardInterrupt from a callback): ends the call.
        self._interruption: BaseException | None = None

    def run(self, workers: int) -> list[Outcome[T]]:
        """Run every job on ``workers`` threads; their outcomes, in order.

        Re-raises at once a BaseException raised by a job or received by the calling thread
        (Ctrl-C), after setting ``stop``; the workers are not waited for then.
        """
        threads = [
            threading.Thread(target=self._work, name=f"vreconnect-wait-{n}", daemon=True)
            for n in range(workers)
        ]
        try:
            for thread in threads:
                thread.start()
            with self._changed:
                while self._finished < len(self._jobs) and self._interruption is None:
                    self._changed.wait()
                if self._interruption is not None:
                    raise self._interruption
        except BaseException:
            self._stop.set()
            raise
        for thread in threads:
            thread.join()
        return [outcome for outcome in self._outcomes if outcome is not None]

    def _take(self) -> int | None:
        """The index of the next job to run, or None when there is none (or all must stop)."""
        with self._changed:
            if self._stop.is_set() or self._next >= len(self._jobs):
                return None
            self._next += 1
            return self._next - 1

    def _work(self) -> None:
        while (index := self._take()) is not None:
            outcome: Outcome[T]
            try:
                outcome = (self._jobs[index](), None)
            except Exception as exc:
                outcome = (None, exc)
            except BaseException as exc:
                self._stop.set()
                with self._changed:
                    if self._interruption is None and not isinstance(exc, WaitStopped):
                        self._interruption = exc
                    self._changed.notify_all()
                return
            with self._changed:
                self._outcomes[index] = outcome
                self._finished += 1
                self._changed.notify_all()


def run_in_pool(
    jobs: Sequence[Callable[[], T]], *, workers: int, stop: StopSignal
) -> list[Outcome[T]]:
    """Run ``jobs`` on ``workers`` threads; (result, None) or (None, error) per job, in order.

    If the calling thread is interrupted (KeyboardInterrupt, or a job raising any
    BaseException), ``stop`` is set, queued jobs never start and the call returns at once
    without waiting for the running ones, which stop at their next read or sleep. The workers
    are daemon threads, so one still inside a read never holds up the program's exit.
    """
    return _DaemonPool(jobs, stop).run(workers)


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
    read or sleep (a read in flight is left to finish on its daemon thread, which never holds
    up the program's exit), queued ones never start.
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
