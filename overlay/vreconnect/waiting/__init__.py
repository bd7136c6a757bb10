"""Waiting for server-side tasks: an I/O-free core with thin sync and async drivers.

Surface code adapts its own task info (vim25 Task, SMS SmsTask, vAPI cis task, vSphere
Replication task) to :class:`TaskStatus` and passes a ``read_status`` callable to
:func:`wait_for` / :func:`async_wait_for`, or many to :func:`wait_all` / :func:`async_wait_all`.
Clock, sleep and random source are injectable, so waits can run on a fake clock in tests.
"""

from __future__ import annotations

from ._async import async_wait_all, async_wait_for
from ._core import Deadline, WaitDecision, classify, is_transient, next_delay, resolve
from ._many import WaitManyError, WaitOutcome, raise_for_failures
from ._sync import wait_all, wait_for
from ._types import PollPolicy, ProgressReport, TaskCancelled, TaskFailed, TaskState, TaskStatus

__all__ = [
    "Deadline",
    "PollPolicy",
    "ProgressReport",
    "TaskCancelled",
    "TaskFailed",
    "TaskState",
    "TaskStatus",
    "WaitDecision",
    "WaitManyError",
    "WaitOutcome",
    "async_wait_all",
    "async_wait_for",
    "classify",
    "is_transient",
    "next_delay",
    "raise_for_failures",
    "resolve",
    "wait_all",
    "wait_for",
]
