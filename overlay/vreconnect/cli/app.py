"""The root ``vreconnect`` typer app: global options and the command groups.

Adding a command group
----------------------
Write ``cli/<name>.py`` exposing ``app = typer.Typer(...)`` and add ONE line to
:data:`_GROUPS` below (``("<name>", <name>.app)``); a module that adds plain commands instead
exposes ``register(root: typer.Typer) -> None`` and is called below (``demo``, ``contract``).
Commands get the connection settings with :func:`vreconnect.cli.common.cli_state` and should
run their body through :func:`vreconnect.cli.common.run` for uniform errors and exit codes.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import contract, demo, host, sim, task, vasa, vcha, vr
from .common import (
    CaFileOption,
    CliState,
    InsecureOption,
    PasswordEnvOption,
    ThumbprintOption,
    UserOption,
    url_option,
)
from .config import ENV_VR_URL, ConnectionSettings
from .exitcodes import __doc__ as _EXIT_CODES_DOC

__all__ = ["app"]

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
        url_option(
            "vCenter base URL, e.g. https://vc.example.com (the simulator's base URL works)."
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
    user: UserOption = None,
    password_env: PasswordEnvOption = None,
    ca_file: CaFileOption = None,
    thumbprint: ThumbprintOption = None,
    insecure: InsecureOption = False,
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
contract.register(app)

# Keep the detailed table reachable from Python (docs, tests) without re-stating it.
EXIT_CODES_DOC = _EXIT_CODES_DOC
