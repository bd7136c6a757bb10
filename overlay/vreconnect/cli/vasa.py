"""``vreconnect vasa reconnect``: reconnect a VASA storage provider (SMS)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import CliState, DebugOption, JsonOption, TimeoutOption, WaitOption, run
from .connect import open_vcenter, report_task
from .exitcodes import ExitCode
from .output import Output, jsonable

if TYPE_CHECKING:
    from vreconnect import VCenter

__all__ = ["app", "provider_status"]

app = typer.Typer(help="Recover VASA storage providers (SMS).", no_args_is_help=True)


def provider_status(vc: VCenter, provider: str) -> tuple[str, dict[str, Any]]:
    """The provider's status after the reconnect, as (human suffix, JSON fields)."""
    info = vc.vasa_provider_info(provider)
    status = jsonable(getattr(info, "status", None))
    if status is None:
        return "", {}
    return f"; provider status {status}", {"provider_status": status}


@app.command("reconnect")
def reconnect(
    ctx: typer.Context,
    provider: Annotated[
        str, typer.Argument(metavar="PROVIDER", help="The VasaProvider moId, e.g. vasa-2.")
    ],
    wait: WaitOption = True,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Reconnect a disconnected VASA provider (VasaProviderReconnect_Task); an expired
    certificate fails with InvalidCertificate, an unreachable one with ProviderConnectionFailed."""

    def body(out: Output, state: CliState) -> ExitCode:
        with open_vcenter(state.conn, out) as vc:
            handle = vc.reconnect_vasa_provider(provider)
            return report_task(
                out,
                handle,
                target=provider,
                wait=wait,
                timeout=timeout,
                label=f"reconnect VASA {provider}",
                after=lambda: provider_status(vc, provider),
            )

    run(ctx, body, json_mode=json_mode, debug=debug)
