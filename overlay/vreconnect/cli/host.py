"""``vreconnect host reconnect`` and ``vreconnect host reconfigure-ha`` (vim25)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from .common import (
    CliState,
    DebugOption,
    JsonOption,
    TimeoutOption,
    WaitOption,
    run,
)
from .config import prompt_secret, secret_from_env
from .connect import open_vcenter, report_task
from .exitcodes import ExitCode, UsageProblem
from .output import Output, describe_error

if TYPE_CHECKING:
    from vreconnect import VCenter
    from vreconnect.faults import SSLVerifyFault

__all__ = ["app", "host_password", "show_accepted_thumbprint"]

app = typer.Typer(
    help="Recover hosts: reconnect (ReconnectHost_Task), reconfigure for vSphere HA.",
    no_args_is_help=True,
)

# The reconnect's cnxSpec flags get their own help panel: in one table with the
# --sync-state/--no-sync-state and --wait/--no-wait pairs, the columns would leave no room
# for the option names and their help on an 80-column terminal.
_SPEC = "Connection spec (cnxSpec)"

HostArg = Annotated[str, typer.Argument(metavar="HOST", help="The HostSystem moId, e.g. host-42.")]


def host_password(env_name: str | None, user: str | None) -> str | None:
    """The host's root password: from ``--password-env NAME``, or a prompt when ``--user`` is
    given on a terminal; None when neither (vCenter then uses its stored credentials).

    Raises:
        UsageProblem: the variable is unset, or ``--user`` without a password off a terminal.
    """
    if env_name:
        return secret_from_env(env_name, "--password-env")
    if user is None:
        return None
    if sys.stdin is not None and sys.stdin.isatty():
        return prompt_secret(
            f"Password for {user} on the host",
            hint="type the host's password, or pass --password-env NAME naming a variable "
            "that holds it",
        )
    raise UsageProblem(
        f"--user {user} needs the host's password",
        hint="pass --password-env NAME naming an environment variable that holds it",
    )


def show_accepted_thumbprint(print_line: Callable[[Text], None], fault: SSLVerifyFault) -> None:
    """Show the decoded SSLVerifyFault that the thumbprint flow is about to accept."""
    info = describe_error(fault)
    line = Text("expected fault ", style="yellow")
    line.append(info.line(), style="bold")
    print_line(line)
    detail = ", ".join(f"{k}={v}" for k, v in info.fields.items())
    if detail:
        print_line(Text(f"  {detail}", style="dim"))
    print_line(Text(f"  accepting the host certificate {fault.thumbprint}", style="cyan"))


def _connection_state(vc: VCenter, host: str) -> tuple[str, dict[str, Any]]:
    state = vc.host_connection_state(host)
    return f"; connectionState {state}", {"connection_state": state}


@app.command("reconnect")
def reconnect(
    ctx: typer.Context,
    host: HostArg,
    host_name: Annotated[
        str | None,
        typer.Option(
            "--host-name",
            metavar="NAME",
            help="New DNS name or IP of the host (cnxSpec.hostName).",
            rich_help_panel=_SPEC,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            metavar="PORT",
            help="Host port (cnxSpec.port).",
            rich_help_panel=_SPEC,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="USER",
            help="Host administration account, e.g. root (cnxSpec.userName).",
            rich_help_panel=_SPEC,
        ),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="NAME",
            help="Environment variable holding the host password (cnxSpec.password).",
            rich_help_panel=_SPEC,
        ),
    ] = None,
    thumbprint: Annotated[
        str | None,
        typer.Option(
            "--thumbprint",
            metavar="SHA1",
            help="Expected SHA-1 thumbprint of the host certificate (cnxSpec.sslThumbprint).",
            rich_help_panel=_SPEC,
        ),
    ] = None,
    accept_thumbprint: Annotated[
        bool,
        typer.Option(
            "--accept-thumbprint",
            help="If the host certificate is not trusted (SSLVerifyFault), accept the "
            "thumbprint it presents and reconnect again.",
            rich_help_panel=_SPEC,
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Take the host over even if another vCenter manages it.",
            rich_help_panel=_SPEC,
        ),
    ] = False,
    sync_state: Annotated[
        bool | None,
        typer.Option(
            "--sync-state/--no-sync-state",
            help="Sync the host's VM inventory after reconnecting (reconnectSpec syncState).",
        ),
    ] = None,
    wait: WaitOption = True,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Reconnect a disconnected host (ReconnectHost_Task), optionally changing its address,
    credentials or trusted thumbprint."""

    def body(out: Output, state: CliState) -> ExitCode:
        if accept_thumbprint and not wait:
            raise UsageProblem(
                "--accept-thumbprint needs --wait",
                hint="the certificate fault arrives in the task, so vreconnect must wait for it",
            )
        password = host_password(password_env, user)
        accepted: list[str] = []

        def accept(fault: SSLVerifyFault) -> bool:
            accepted.append(fault.thumbprint or "")
            if not out.json_mode:
                show_accepted_thumbprint(out.line, fault)
            return True

        with open_vcenter(state.conn, out) as vc:
            handle = vc.reconnect_host(
                host,
                host_name=host_name,
                port=port,
                ssl_thumbprint=thumbprint,
                user_name=user,
                password=password,
                force=True if force else None,
                sync_state=sync_state,
                accept_thumbprint=accept if accept_thumbprint else None,
            )

            def after() -> tuple[str, dict[str, Any]]:
                suffix, fields = _connection_state(vc, host)
                if accepted:
                    # Decided during the wait: the thumbprint that is now trusted for the host.
                    fields["accepted_thumbprint"] = accepted[-1]
                    suffix += f"; accepted thumbprint {accepted[-1]}"
                return suffix, fields

            return report_task(
                out,
                handle,
                target=host,
                wait=wait,
                timeout=timeout,
                label=f"reconnect {host}",
                after=after,
            )

    run(ctx, body, json_mode=json_mode, debug=debug)


@app.command("reconfigure-ha")
def reconfigure_ha(
    ctx: typer.Context,
    host: HostArg,
    wait: WaitOption = True,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Reconfigure a host for vSphere HA (ReconfigureHostForDAS_Task) after its automatic HA
    configuration failed; a DasConfigFault shows the reason and the installer output."""

    def body(out: Output, state: CliState) -> ExitCode:
        with open_vcenter(state.conn, out) as vc:
            handle = vc.reconfigure_host_for_das(host)
            return report_task(
                out,
                handle,
                target=host,
                wait=wait,
                timeout=timeout,
                label=f"reconfigure HA {host}",
                after=lambda: _connection_state(vc, host),
            )

    run(ctx, body, json_mode=json_mode, debug=debug)
