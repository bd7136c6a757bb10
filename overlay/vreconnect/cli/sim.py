"""``vreconnect sim serve``: run the simulator in the foreground over a real socket."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Annotated

import typer

from .exitcodes import ExitCode

__all__ = ["app"]

app = typer.Typer(
    help="The embedded vSphere simulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, metavar="PORT", help="Port to listen on (0 = a free port)."
        ),
    ] = 8989,
    tls: Annotated[
        bool,
        typer.Option("--tls", help="Serve HTTPS with a fresh self-signed certificate."),
    ] = False,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="Scenario YAML file (default: the embedded default scenario).",
        ),
    ] = None,
    hosts: Annotated[
        int | None,
        typer.Option(
            "--hosts",
            min=0,
            max=50_000,  # the simulator's own limit (vreconnect_sim.scenario.MAX_FLEET_SIZE)
            metavar="N",
            help="Fleet size: simulate N hosts (10,000 is fine).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", metavar="N", help="RNG seed, for reproducible runs.")
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", metavar="LEVEL", help="uvicorn log level.")
    ] = "warning",
    validate_responses: Annotated[
        bool | None,
        typer.Option(
            "--validate-responses/--no-validate-responses",
            help="Check every response against specs/ (default: on when the variable "
            "VRECONNECT_SIM_VALIDATE is 1).",
            # Its own panel: beside the other options the two long names would be cut.
            rich_help_panel="Test mode",
        ),
    ] = None,
) -> None:
    """Start the simulator; print its base URLs (and, with --tls, the certificate thumbprints).

    Runs until Ctrl-C or SIGTERM, then shuts down gracefully and exits 0.
    """
    # Imported here: the simulator (uvicorn, starlette, every surface) is heavy and unused by
    # every other command.
    from vreconnect_sim.scenario import ScenarioError
    from vreconnect_sim.server import serve as serve_simulator

    err = typer.echo
    try:
        code = serve_simulator(
            host,
            port,
            tls,
            scenario,
            hosts,
            seed=seed,
            log_level=log_level,
            validate_responses=validate_responses,
        )
    except ScenarioError as exc:
        err(f"error: ScenarioError: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    except OSError as exc:
        err(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            err("hint: pick another --port (0 picks a free one)", err=True)
        else:
            err("hint: check --host: an address of this machine, e.g. 127.0.0.1", err=True)
        raise typer.Exit(ExitCode.CONNECTION) from None
    raise typer.Exit(code)
