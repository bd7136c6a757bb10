"""``vreconnect vr reconnect``: reconnect a broken vSphere Replication pairing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import CliState, DebugOption, JsonOption, TimeoutOption, WaitOption, run
from .config import ConnectionSettings, secret_from_env
from .connect import open_replication, report_task
from .exitcodes import ExitCode
from .output import Output, add_context, jsonable

if TYPE_CHECKING:
    from vreconnect import Replication

__all__ = ["ENV_PSC_PASSWORD", "app", "pairing_status", "psc_password"]

ENV_PSC_PASSWORD = "VRECONNECT_PSC_PASSWORD"

app = typer.Typer(help="Recover vSphere Replication pairings.", no_args_is_help=True)


def psc_password(env_name: str | None, conn: ConnectionSettings) -> str:
    """The remote PSC password: ``--psc-password-env NAME``, else ``VRECONNECT_PSC_PASSWORD``,
    else the password used to log in (sites sharing one SSO domain).

    Raises:
        UsageProblem: the named variable is unset.
    """
    if env_name:
        return secret_from_env(env_name, "--psc-password-env")
    if ENV_PSC_PASSWORD in os.environ:
        return os.environ[ENV_PSC_PASSWORD]
    password = conn.with_password().password
    assert password is not None  # with_password raises rather than return None
    return password


def pairing_status(vr: Replication, pairing_id: str) -> tuple[str, dict[str, Any]]:
    """The pairing's server statuses after the reconnect, as (human suffix, JSON fields)."""
    pairing = vr.pairing(pairing_id)
    statuses = {
        "remote_vc_server": jsonable(pairing.remote_vc_server.server_status),
        "remote_vrms": jsonable(pairing.remote_vrms.server_status),
    }
    text = ", ".join(f"{k} {v}" for k, v in statuses.items())
    return f"; {text}", {"server_status": statuses}


_PSC = "Remote site's Platform Services Controller"


@app.command("reconnect")
def reconnect(
    ctx: typer.Context,
    pairing: Annotated[str, typer.Argument(metavar="PAIRING", help="The pairing id (a uuid).")],
    remote_vc_id: Annotated[
        str | None,
        typer.Option(
            "--remote-vc-id",
            metavar="ID",
            help="pair_vc_id: the remote vCenter Server's id (default: read from the pairing).",
        ),
    ] = None,
    psc_url: Annotated[
        str | None,
        typer.Option(
            "--psc-url",
            metavar="URL",
            help="Remote Platform Services Controller URL.",
            rich_help_panel=_PSC,
        ),
    ] = None,
    psc_port: Annotated[
        int | None,
        typer.Option(
            "--psc-port",
            min=0,
            max=65535,
            metavar="PORT",
            help="Remote PSC port.",
            rich_help_panel=_PSC,
        ),
    ] = None,
    psc_thumbprint: Annotated[
        str | None,
        typer.Option(
            "--psc-thumbprint",
            metavar="THUMBPRINT",
            help="Expected thumbprint of the remote PSC certificate.",
            rich_help_panel=_PSC,
        ),
    ] = None,
    psc_certificate: Annotated[
        Path | None,
        typer.Option(
            "--psc-certificate",
            exists=True,
            dir_okay=False,
            metavar="FILE",
            help="PEM file with the remote PSC certificate.",
            rich_help_panel=_PSC,
        ),
    ] = None,
    psc_user: Annotated[
        str | None,
        typer.Option(
            "--psc-user",
            metavar="USER",
            help="Remote PSC user (default: --user).",
            rich_help_panel=_PSC,
        ),
    ] = None,
    psc_password_env: Annotated[
        str | None,
        typer.Option(
            "--psc-password-env",
            metavar="NAME",
            help=f"Environment variable holding the remote PSC password (default: "
            f"{ENV_PSC_PASSWORD}, else the login password).",
            rich_help_panel=_PSC,
        ),
    ] = None,
    wait: WaitOption = True,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Reconnect a pairing to its remote site (POST /pairings/{id}/actions/reconnect)."""

    def body(out: Output, state: CliState) -> ExitCode:
        from vreconnect.faults import VrNotFound

        with open_replication(state.conn, out) as vr:
            try:
                vc_id = remote_vc_id or vr.pairing(pairing).remote_vc_server.id
                handle = vr.reconnect_pairing(
                    pairing,
                    pair_vc_id=vc_id,
                    url=psc_url,
                    port=psc_port,
                    thumbprint=psc_thumbprint,
                    certificate=psc_certificate.read_text("utf-8") if psc_certificate else None,
                    username=psc_user or state.conn.require_user(),
                    password=psc_password(psc_password_env, state.conn),
                )
            except VrNotFound as exc:
                add_context(exc, f"pairing {pairing}")  # a bare 404 says only "Not Found"
                raise
            return report_task(
                out,
                handle,
                target=pairing,
                wait=wait,
                timeout=timeout,
                label=f"reconnect pairing {pairing[:8]}",
                after=lambda: pairing_status(vr, pairing),
            )

    run(ctx, body, json_mode=json_mode, debug=debug)
