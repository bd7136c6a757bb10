"""The documented exit codes of ``vreconnect`` and the mapping from errors to them.

=====  ==========  ===============================================================
code   name        meaning
=====  ==========  ===============================================================
0      SUCCESS     the operation succeeded (or, with ``--no-wait``, was started)
1      FAULT       the server said no (a fault answering the call) or the task
                   failed or was cancelled; also any unexpected internal error
2      USAGE       bad command line: unknown option, missing argument, unreadable
                   spec/plan file, no password available (typer's own usage errors
                   exit 2 as well)
3      TIMEOUT     the task did not finish within ``--timeout``; it is still running
                   on the server (resume with ``vreconnect task wait <id>``)
4      CONNECTION  the server could not be reached, the connection broke, or TLS
                   verification of the server's certificate failed
130    INTERRUPTED Ctrl-C while waiting (the task keeps running on the server)
=====  ==========  ===============================================================
"""

from __future__ import annotations

import enum
import ssl

import typer

__all__ = ["ExitCode", "Interrupted", "UsageProblem", "exit_code_for"]


class ExitCode(enum.IntEnum):
    """Process exit statuses; see the module docstring for what each one means."""

    SUCCESS = 0
    FAULT = 1
    USAGE = 2
    TIMEOUT = 3
    CONNECTION = 4
    INTERRUPTED = 130


class UsageProblem(Exception):
    """A problem with what the user asked for, found after parsing (exit code 2).

    ``hint`` is an optional second line telling the user what to do instead.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class Interrupted(Exception):
    """Ctrl-C while waiting for a task: the task itself keeps running on the server.

    ``hint`` says what the interruption left behind when that is not one task to resume
    (``recover-all``: several tasks, or an embedded simulator that stopped with the job).
    """

    def __init__(
        self, task_id: str | None, *, message: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(
            message
            or (f"interrupted while waiting for task {task_id}" if task_id else "interrupted")
        )
        self.task_id = task_id
        self.hint = hint


def _is_tls_error(exc: BaseException) -> bool:
    """True if ``exc`` or anything in its cause chain is a TLS failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        current = current.__cause__ or current.__context__
    return False


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code an error ends the process with.

    Imports of the overlay happen here, not at module level, so that ``vreconnect --help``
    and ``vreconnect sim serve`` stay fast and work while an overlay module is broken.
    """
    from vreconnect.errors import TaskTimeout, TransportError

    if isinstance(exc, KeyboardInterrupt | Interrupted):
        return ExitCode.INTERRUPTED
    if isinstance(exc, UsageProblem):
        return ExitCode.USAGE
    if isinstance(exc, typer.TyperException):
        # typer's usage errors carry exit_code 2, its other errors 1.
        return ExitCode.USAGE if getattr(exc, "exit_code", 1) == 2 else ExitCode.FAULT
    if isinstance(exc, TaskTimeout):
        return ExitCode.TIMEOUT
    if isinstance(exc, TransportError) or _is_tls_error(exc):
        return ExitCode.CONNECTION
    if isinstance(exc, ConnectionError | TimeoutError):
        return ExitCode.CONNECTION
    # A group of failures from waiting on many tasks: the worst member decides, so that a
    # timeout among faults still tells a script "some task may still be running".
    if isinstance(exc, BaseExceptionGroup):
        codes = [exit_code_for(e) for e in exc.exceptions]
        for preferred in (ExitCode.CONNECTION, ExitCode.TIMEOUT):
            if preferred in codes:
                return preferred
        return ExitCode.FAULT
    return ExitCode.FAULT
