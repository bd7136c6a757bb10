"""The root ``vreconnect`` typer app: global options and the command groups.

Adding a command group
----------------------
Write ``cli/<name>.py`` exposing ``app = typer.Typer(...)`` and add ONE line to
:data:`_GROUPS` below (``("<name>", <name>.app)``), or, for the groups listed in
:data:`OPTIONAL_GROUPS` (``contract``), nothing at all: if ``vreconnect/cli/<name>.py``
exists it is mounted automatically as ``vreconnect <name>``. Such a module exposes either
``app: typer.Typer`` (mounted as a group) or ``register(root: typer.Typer) -> None`` (to add
plain commands itself). Commands get the connection settings with
:func:`vreconnect.cli.common.cli_state` and should run their body through
:func:`vreconnect.cli.common.run` for uniform errors and exit codes.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from . import demo, host, sim, task, vasa, vcha, vr
from .common import CliState
from .config import (
    ENV_CA_FILE,
    ENV_INSECURE,
    ENV_THUMBPRINT,
    ENV_URL,
    ENV_USER,
    ENV_VR_URL,
    ConnectionSettings,
)
from .exitcodes import __doc__ as _EXIT_CODES_DOC

__all__ = ["OPTIONAL_GROUPS", "app"]

_EPILOG = (
    "Exit codes: 0 success, 1 fault (the server said no, or the task failed), 2 usage error, "
    "3 timeout (the task keeps running: resume with 'vreconnect task wait ID'), "
    "4 connection or TLS error, 130 interrupted."
)

app = typer.Typer(
    name="vreconnect",
    help="Recover vSphere objects: reconnect hosts, reconfigure HA, reconnect VASA providers, "
    "redeploy the VCHA passive node, reconnect VR pairings, and wait for their tasks.",
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    # Errors are rendered by cli.common.run as one line; a rich traceback box is never wanted.
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_URL,
            help="vCenter base URL, e.g. https://vc.example.com (the simulator's base URL works).",
            rich_help_panel="Connection",
        ),
    ] = None,
    vr_url: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_VR_URL,
            help="vSphere Replication appliance base URL (default: --url).",
            rich_help_panel="Connection",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(envvar=ENV_USER, help="User name.", rich_help_panel="Connection"),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Read the password from this environment variable (default: "
            "VRECONNECT_PASSWORD, else a prompt on a terminal). Never a password value.",
            rich_help_panel="Connection",
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            envvar=ENV_CA_FILE,
            help="PEM CA bundle to verify the server certificate with.",
            rich_help_panel="TLS",
        ),
    ] = None,
    thumbprint: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_THUMBPRINT,
            help="Pin the server certificate by its SHA-1 or SHA-256 thumbprint.",
            rich_help_panel="TLS",
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            envvar=ENV_INSECURE,
            help="Do not verify the server certificate (testing only).",
            rich_help_panel="TLS",
        ),
    ] = False,
    json_mode: Annotated[
        bool, typer.Option("--json", help="JSON output for scripts (every command).")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="VRECONNECT_DEBUG", help="Show tracebacks for errors."),
    ] = False,
) -> None:
    """Connection and output options go before the command: vreconnect --url URL host ..."""
    ctx.obj = CliState(
        conn=ConnectionSettings(
            url=url,
            vr_url=vr_url,
            user=user,
            password_env=password_env,
            ca_file=ca_file,
            thumbprint=thumbprint,
            insecure=insecure,
        ),
        json_mode=json_mode,
        debug=debug,
    )


_GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("host", host.app),
    ("vasa", vasa.app),
    ("vcha", vcha.app),
    ("vr", vr.app),
    ("task", task.app),
    ("sim", sim.app),
)
for _name, _group in _GROUPS:
    app.add_typer(_group, name=_name)

demo.register(app)

OPTIONAL_GROUPS: tuple[str, ...] = ("contract",)
"""Groups owned by other modules, mounted only if ``vreconnect/cli/<name>.py`` exists."""


def _mount_optional(name: str) -> None:
    module_name = f"{__package__}.{name}"
    if importlib.util.find_spec(module_name) is None:
        return
    module = importlib.import_module(module_name)
    register = getattr(module, "register", None)
    group = getattr(module, "app", None)
    if callable(register):
        register(app)
    elif isinstance(group, typer.Typer):
        app.add_typer(group, name=name)


for _optional in OPTIONAL_GROUPS:
    _mount_optional(_optional)

# Keep the detailed table reachable from Python (docs, tests) without re-stating it.
EXIT_CODES_DOC = _EXIT_CODES_DOC
