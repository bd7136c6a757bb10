"""The common base of every error vreconnect raises, and the errors that are not server faults.

Server faults (vSphere MethodFaults, vAPI standard errors, VR ResponseErrors) live in
:mod:`vreconnect.faults` and derive from :class:`VReconnectError` too, so a caller can catch
everything this package raises with one ``except VReconnectError``.
"""

from __future__ import annotations

import math
from typing import Any


class VReconnectError(Exception):
    """Base of every exception raised by vreconnect."""


class TransportError(VReconnectError):
    """The server could not be reached, or the connection broke before a response arrived."""


def format_seconds(seconds: float) -> str:
    """A duration for a message: ``"600s"``, ``"0.25s"``, ``"12.5s"``; never ``"0.999997s"``.

    Whole seconds print bare; others keep three decimals below 10 s and one above.
    """
    if not math.isfinite(seconds):
        return f"{seconds}s"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    if abs(seconds) < 0.001:
        return f"{seconds:.1g}s"
    if abs(seconds) < 10:
        return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{seconds:.1f}s"


class TaskTimeout(VReconnectError):
    """A task did not finish before the deadline.

    The task is still running on the server: ``task_id`` lets the caller resume waiting, and
    ``last_status`` is the last status read before the deadline (``None`` if none was read).
    ``timeout`` is the timeout the caller gave (for :func:`~vreconnect.wait_all`, the one
    shared deadline), not what was left of it when a particular read or task started.
    """

    def __init__(self, task_id: str, timeout: float, last_status: Any = None) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.last_status = last_status
        state = getattr(last_status, "state", None)
        progress = getattr(last_status, "progress", None)
        detail = (
            f"last state {getattr(state, 'value', state)}"
            if state is not None
            else "no status read"
        )
        if progress is not None:
            detail += f", {progress}%"
        super().__init__(
            f"task {task_id} did not finish within {format_seconds(timeout)} ({detail})"
        )
