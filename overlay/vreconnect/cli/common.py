"""Shared pieces of every command: the run wrapper, common option types, the root state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer

from .config import ConnectionSettings
from .exitcodes import ExitCode, Interrupted
from .output import Output

__all__ = [
    "CliState",
    "DebugOption",
    "JsonOption",
    "TimeoutOption",
    "WaitOption",
    "cli_state",
    "run",
]

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON document on stdout (for scripts); no progress."),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show tracebacks for errors.", envvar="VRECONNECT_DEBUG")
]
WaitOption = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="Wait for the task to finish (default), or print its id and return at once.",
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0,
        help="Give up waiting after this many seconds (exit 3; the task keeps running). "
        "Default: wait until the task ends.",
    ),
]


@dataclass
class CliState:
    """What the root callback parsed: connection settings and global output flags."""

    conn: ConnectionSettings = field(default_factory=ConnectionSettings)
    json_mode: bool = False
    debug: bool = False


def cli_state(ctx: typer.Context) -> CliState:
    """The root :class:`CliState` (a default one when a command runs without the callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def run(
    ctx: typer.Context,
    body: Callable[[Output, CliState], ExitCode | int | None],
    *,
    json_mode: bool = False,
    debug: bool = False,
) -> None:
    """Run a command body and exit with its code; every error becomes one rendered line.

    ``json_mode``/``debug`` are the command's own ``--json``/``--debug`` flags, OR-ed with
    the global ones so both ``vreconnect --json host ...`` and ``vreconnect host ... --json``
    work.
    """
    state = cli_state(ctx)
    out = Output(json_mode=json_mode or state.json_mode, debug=debug or state.debug)
    if out.debug:
        # The overlay and httpx log requests, retries and re-logins at INFO (never secrets).
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = body(out, state)
    except (typer.Exit, typer.Abort, typer.TyperException):
        # typer's own control flow (and its usage errors, exit 2): let typer render them.
        raise
    except KeyboardInterrupt:
        code = out.error(Interrupted(None))
    except Exception as exc:
        from .connect import annotate_untrusted

        annotate_untrusted(exc)
        code = out.error(exc)
    raise typer.Exit(int(code if code is not None else ExitCode.SUCCESS))
