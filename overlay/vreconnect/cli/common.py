"""Shared pieces of every command: the run wrapper, common option types, the root state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import (
    ENV_CA_FILE,
    ENV_INSECURE,
    ENV_PASSWORD,
    ENV_THUMBPRINT,
    ENV_URL,
    ENV_USER,
    ConnectionSettings,
)
from .exitcodes import ExitCode, Interrupted
from .output import Output

__all__ = [
    "CaFileOption",
    "CliState",
    "DebugOption",
    "GlobalCaFileOption",
    "GlobalInsecureOption",
    "GlobalThumbprintOption",
    "InsecureOption",
    "JsonOption",
    "PasswordEnvOption",
    "ThumbprintOption",
    "TimeoutOption",
    "UserOption",
    "WaitOption",
    "cli_state",
    "run",
    "url_option",
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
        metavar="SECONDS",
        help="Give up waiting after this many seconds (exit 3; the task keeps running). "
        "Default: wait until the task ends.",
    ),
]


# -- connection options (the root callback's, and those of commands that take their own) -----


def url_option(help_text: str) -> Any:
    """The ``--url`` option (``VRECONNECT_URL``), with the command's own help text."""
    return typer.Option(envvar=ENV_URL, help=help_text, rich_help_panel="Connection")


UserOption = Annotated[
    str | None,
    typer.Option(envvar=ENV_USER, help="User name to log in as.", rich_help_panel="Connection"),
]
PasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME",
        help=f"Read the password from this environment variable (default: {ENV_PASSWORD}, "
        "else a prompt on a terminal). Never a password value.",
        rich_help_panel="Connection",
    ),
]
# The TLS options of commands that take their own (``contract``, ``recover-all``) are flags
# only: the root reads the VRECONNECT_* variables once, so a command's TLS flag can tell that
# it replaces a setting from the environment (see ConnectionSettings.overridden).
CaFileOption = Annotated[
    Path | None,
    typer.Option(
        help=f"PEM CA bundle to verify the server certificate with (replaces {ENV_CA_FILE} "
        "and the other TLS variables).",
        rich_help_panel="TLS",
    ),
]
ThumbprintOption = Annotated[
    str | None,
    typer.Option(
        help="Pin the server certificate by its SHA-1 or SHA-256 thumbprint (replaces "
        f"{ENV_THUMBPRINT} and the other TLS variables).",
        rich_help_panel="TLS",
    ),
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Do not verify the server certificate (testing only; replaces the TLS variables).",
        rich_help_panel="TLS",
    ),
]

# The root's TLS options also read the environment; a flag given replaces every TLS variable.
GlobalCaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        envvar=ENV_CA_FILE,
        help="PEM CA bundle to verify the server certificate with.",
        rich_help_panel="TLS",
    ),
]
GlobalThumbprintOption = Annotated[
    str | None,
    typer.Option(
        "--thumbprint",
        envvar=ENV_THUMBPRINT,
        help="Pin the server certificate by its SHA-1 or SHA-256 thumbprint.",
        rich_help_panel="TLS",
    ),
]
GlobalInsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure",
        envvar=ENV_INSECURE,
        help="Do not verify the server certificate (testing only).",
        rich_help_panel="TLS",
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


class _DropApiInsecureWarning(logging.Filter):
    """Drops the overlay's warning about ``TLSConfig.insecure()``: it names the Python call,
    and every command prints its own ``warning:`` line naming ``--insecure`` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "TLSConfig.insecure()" not in record.getMessage()


@contextmanager
def api_insecure_warning_dropped() -> Iterator[None]:
    """Keep the library's insecure-TLS warning off the terminal while a command runs (scoped,
    so a command run in-process leaves the ``vreconnect.tls`` logger as it found it)."""
    logger = logging.getLogger("vreconnect.tls")
    dropped = _DropApiInsecureWarning()
    logger.addFilter(dropped)
    try:
        yield
    finally:
        logger.removeFilter(dropped)


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
        with api_insecure_warning_dropped():
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
