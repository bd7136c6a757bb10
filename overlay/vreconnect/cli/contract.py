"""``vreconnect contract``: run the property suite against a real server (or the simulator).

The same suite as ``tests/property`` (:mod:`vreconnect.contract`): schemathesis with every check
and every phase against the OpenAPI documents in ``specs/``, logged in through each surface's
real login. Against a server given with ``--url`` it is safe by default: only logins, logouts of
its own sessions, reads and task reads run; an operation that changes state runs only when
named with ``--allow OPERATION_ID`` (``--allow all`` names every one), one request at a time,
and each task it starts is read to its end before the next request. Without ``--url`` it runs
against the embedded simulator (in this process), where every operation runs.

Against a server the suite does not own, a state-changing operation runs only on the objects
named with ``--object`` (``--allow DisconnectHost_Task --object host=host-42``): a request
aimed at any other object id (a generated one, or a documented example like ``host-101``) is
sent to an id no server has instead; an operation that names objects of a kind nobody named
does not run (with ``--allow all``) or is a usage error (named with ``--allow``).

The environment's ``VRECONNECT_URL`` and ``VRECONNECT_USER`` do not choose the server here:
without ``--url`` on the command line the run is against the embedded simulator, as its
default users.

Exit status: 0 every check passed, 1 a check failed or the server refused the user name or
password (one ``error: InvalidLogin`` line; no other surface is tried, so the password is sent
once), 2 usage error, 4 the server could not be reached.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import (
    CaFileOption,
    CliState,
    DebugOption,
    InsecureOption,
    JsonOption,
    PasswordEnvOption,
    ThumbprintOption,
    UserOption,
    run,
    url_option,
)
from .config import ENV_PASSWORD, ENV_URL, read_secret
from .exitcodes import ExitCode, UsageProblem
from .output import ErrorInfo, Output

if TYPE_CHECKING:
    from vreconnect.contract import SuiteResult, Target

__all__ = ["ENV_READONLY_PASSWORD", "ENV_READONLY_USER", "contract", "register"]

ENV_READONLY_USER = "VRECONNECT_READONLY_USER"
ENV_READONLY_PASSWORD = "VRECONNECT_READONLY_PASSWORD"

_SURFACE_CHOICES = ("vim25", "sms", "vcenter", "vr")
_OBJECT_KINDS = ("host", "vasa-provider", "pairing")


def _operation_ids(surfaces: Sequence[str]) -> dict[str, str]:
    """operationId -> surface, for every operation of ``surfaces``."""
    from vreconnect.contract.runner import load_document
    from vreconnect.contract.surfaces import SURFACES

    found: dict[str, str] = {}
    for name in surfaces:
        _, spec = load_document(SURFACES[name])
        for item in (spec.get("paths") or {}).values():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op and method != "parameters":
                    found[str(op["operationId"])] = name
    return found


def _parse_objects(values: Sequence[str]) -> dict[str, list[str]]:
    objects: dict[str, list[str]] = {}
    for value in values:
        kind, sep, oid = value.partition("=")
        if not sep or kind not in _OBJECT_KINDS or not oid:
            raise UsageProblem(
                f"--object {value!r}: expected KIND=ID with KIND one of {', '.join(_OBJECT_KINDS)}",
                hint="e.g. --object host=host-42 --object pairing=e30d7438-...",
            )
        objects.setdefault(kind, []).append(oid)
    return objects


def _result_json(result: SuiteResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "seconds": round(result.seconds, 3),
        "surfaces": [
            {
                "surface": s.surface,
                "base_url": s.base_url,
                "status": s.status,
                "started_at": s.started_at,
                "requests": sum(s.cases.values()),
                "checks": {
                    f"{op}:{check}": {
                        "passed": t.passed,
                        "failed": t.failed,
                        "errors": t.errors,
                        "not_applicable": t.not_applicable,
                    }
                    for (op, check), t in sorted(s.tallies.items())
                },
                "checks_skipped": s.skipped_checks,
                "checks_inapplicable": s.inapplicable,
                "tasks": s.task_outcomes(),
                "sessions": {
                    "opened_by_cases": s.sessions_opened,
                    "ended_by_flows": s.sessions_ended_by_flows,
                    "ended_after_the_run": s.sessions_ended_after,
                },
                "redirected": s.redirected,
                "failures": [
                    {
                        "operation": f.operation,
                        "check": f.check,
                        "title": f.title,
                        "message": f.message,
                        "phase": f.phase,
                        "status": f.status,
                        "count": f.count,
                        "reproduce": f.reproduce,
                    }
                    for f in s.failures
                ],
                "errors": s.errors,
                "links_declared": len(s.links_declared),
                "links_followed": dict(s.links_followed),
                "links_missed": s.links_missed,
                "not_run": s.skipped_operations,
                "note": s.note,
            }
            for s in result.surfaces
        ],
    }


def contract(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        url_option(
            "Server base URL (https://vc.example.com, a VR appliance, or `vreconnect sim "
            "serve`). Default: the embedded simulator."
        ),
    ] = None,
    user: UserOption = None,
    password_env: PasswordEnvOption = None,
    readonly_user: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_READONLY_USER,
            help="A read-only user: operations that need a privilege must refuse it "
            "(privilege_required check; skipped without one).",
            rich_help_panel="Connection",
        ),
    ] = None,
    readonly_password_env: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help=f"Environment variable with the read-only user's password (default: "
            f"{ENV_READONLY_PASSWORD}, else a prompt on a terminal).",
            rich_help_panel="Connection",
        ),
    ] = None,
    ca_file: CaFileOption = None,
    thumbprint: ThumbprintOption = None,
    insecure: InsecureOption = False,
    surface: Annotated[
        list[str] | None,
        typer.Option(
            "--surface",
            metavar="SURFACE",
            help="vim25, sms, vcenter or vr (repeatable). Default: every one that answers.",
        ),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            metavar="OPERATION_ID",
            help="Also run this state-changing operation (repeatable), e.g. ReconnectHost_Task; "
            "'all' runs every operation.",
        ),
    ] = None,
    objects: Annotated[
        list[str] | None,
        typer.Option(
            "--object",
            metavar="KIND=ID",
            help="An existing object to aim at (repeatable): host=host-42, "
            "vasa-provider=vasa-1, pairing=<id>.",
        ),
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write a JUnit XML report here.")
    ] = None,
    max_examples: Annotated[
        int,
        typer.Option(
            min=1,
            help="Generated requests per operation and phase; stateful runs get three times "
            "as many scenarios.",
        ),
    ] = 25,
    max_steps: Annotated[int, typer.Option(min=2, help="Steps per stateful scenario.")] = 12,
    require_links: Annotated[
        bool,
        typer.Option(
            "--require-links",
            help="Fail (exit 1) when a link of a document was never followed; by default the "
            "summary only says how many were.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed (runs are reproducible).")] = 0,
    release: Annotated[
        str, typer.Option(help="VI/JSON release in /sdk/vim25/{release}.")
    ] = "8.0.3.0",
    task_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a started task may take to end.")
    ] = 900.0,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Run the contract suite (every schemathesis check and phase) against a server.

    Safe by default: logins, reads and task reads only; name each state-changing operation
    to run with --allow, and the objects it may change with --object. Without --url on the
    command line the embedded simulator is started (every operation).
    """

    # A server named only by the environment is not one to test: without --url the docs
    # promise the embedded simulator (the same for a user name from the environment).
    if getattr(ctx.get_parameter_source("url"), "name", None) == "ENVIRONMENT":
        url = None
    if getattr(ctx.get_parameter_source("user"), "name", None) == "ENVIRONMENT":
        user = None
    readonly_from_env = (
        getattr(ctx.get_parameter_source("readonly_user"), "name", None) == "ENVIRONMENT"
    )

    def body(out: Output, state: CliState) -> ExitCode:
        return _run_contract(
            out,
            state,
            url=url,
            user=user,
            password_env=password_env,
            readonly_user=readonly_user,
            readonly_from_env=readonly_from_env,
            readonly_password_env=readonly_password_env,
            ca_file=ca_file,
            thumbprint=thumbprint,
            insecure=insecure,
            surfaces=surface or [],
            allow=allow or [],
            objects=objects or [],
            junit=junit,
            max_examples=max_examples,
            max_steps=max_steps,
            require_links=require_links,
            seed=seed,
            release=release,
            task_timeout=task_timeout,
        )

    run(ctx, body, json_mode=json_mode, debug=debug)


def _run_contract(
    out: Output,
    state: CliState,
    *,
    url: str | None,
    user: str | None,
    password_env: str | None,
    readonly_user: str | None,
    readonly_from_env: bool,
    readonly_password_env: str | None,
    ca_file: Path | None,
    thumbprint: str | None,
    insecure: bool,
    surfaces: list[str],
    allow: list[str],
    objects: list[str],
    junit: Path | None,
    max_examples: int,
    max_steps: int,
    require_links: bool,
    seed: int,
    release: str,
    task_timeout: float,
) -> ExitCode:
    import requests

    from vreconnect.contract import Credentials, SuiteOptions, Target, run_suite
    from vreconnect.contract.report import render_summary, write_junit
    from vreconnect.contract.simulator import (
        SIMULATOR_ADMIN,
        SIMULATOR_PASSWORD,
        SIMULATOR_READONLY,
        embedded_simulator,
    )
    from vreconnect.tls import TLSConfig

    conn = state.conn.overridden(
        url=url,
        user=user,
        password_env=password_env,
        ca_file=ca_file,
        thumbprint=thumbprint,
        insecure=insecure,
    )
    conn.validate()
    from_env_only = {name for name in ("url", "user") if name in conn.from_env}
    if from_env_only:
        # Set by VRECONNECT_URL / VRECONNECT_USER through the root: not a choice made here.
        conn = dataclasses.replace(
            conn,
            url=None if "url" in from_env_only else conn.url,
            user=None if "user" in from_env_only else conn.user,
        )
    for name in surfaces:
        if name not in _SURFACE_CHOICES:
            raise UsageProblem(f"--surface {name!r}: expected one of {', '.join(_SURFACE_CHOICES)}")
    chosen = list(dict.fromkeys(surfaces)) or list(_SURFACE_CHOICES)
    known = _operation_ids(chosen)
    allowed: frozenset[str] | None
    if "all" in allow:
        allowed = None
    else:
        unknown = [op for op in allow if op not in known]
        if unknown:
            raise UsageProblem(
                f"--allow {unknown[0]}: no such operation in {', '.join(chosen)}",
                hint="operationIds: " + ", ".join(sorted(known)),
            )
        allowed = frozenset(allow)
    pinned = _parse_objects(objects)
    embedded = conn.url is None
    if embedded and os.environ.get(ENV_URL):
        out.warn(
            f"{ENV_URL} is set, but without --url contract runs against the embedded "
            f'simulator (--url "${ENV_URL}" tests that server)'
        )
    if not embedded and allowed:
        _require_objects(chosen, allowed, pinned)

    if embedded:
        if readonly_from_env:
            readonly_user = None  # the environment's is a real server's user
        admin_user = conn.user or SIMULATOR_ADMIN
        admin_password = (
            SIMULATOR_PASSWORD
            if conn.user is None
            else _secret(conn.password_env, ENV_PASSWORD, f"Password for {admin_user}")
        )
        ro_user = readonly_user or SIMULATOR_READONLY
        ro_password: str | None = (
            SIMULATOR_PASSWORD
            if readonly_user is None
            else _secret(readonly_password_env, ENV_READONLY_PASSWORD, f"Password for {ro_user}")
        )
        # The embedded simulator is disposable: every operation runs unless --allow says which.
        if not allow:
            allowed = None
    else:
        admin_user = conn.require_user()
        admin_password = _secret(conn.password_env, ENV_PASSWORD, f"Password for {admin_user}")
        ro_user = readonly_user or ""
        ro_password = (
            read_secret(
                readonly_password_env,
                default_env=ENV_READONLY_PASSWORD,
                prompt=f"Password for {ro_user}",
                # Optional off a terminal: without it the privilege checks are skipped.
                required=readonly_password_env is not None or sys.stdin.isatty(),
            )
            if readonly_user
            else None
        )
        if readonly_user and ro_password is None:
            out.warn(
                f"no password for {readonly_user} ({ENV_READONLY_PASSWORD} is not set): "
                "privilege checks are skipped"
            )

    options = SuiteOptions(
        admin=Credentials(admin_user, admin_password),
        readonly=Credentials(ro_user, ro_password) if ro_user and ro_password else None,
        allow=allowed,
        max_examples=max_examples,
        max_steps=max_steps,
        max_scenarios=3 * max_examples,
        seed=seed,
        release=release,
        objects=pinned,
        task_timeout=task_timeout,
    )

    def progress(message: str) -> None:
        if not out.json_mode:
            out.err.print(f"[dim]… {message}[/dim]", highlight=False)

    def run_against(target: Target) -> SuiteResult:
        return run_suite(target, options, chosen, require=bool(surfaces), progress=progress)

    try:
        if embedded:
            progress("starting the embedded simulator")
            with embedded_simulator() as target:
                result = run_against(target)
        else:
            assert conn.url is not None
            try:
                tls = TLSConfig.from_options(
                    ca_file=conn.ca_file, thumbprint=conn.thumbprint, insecure=conn.insecure
                )
            except ValueError as exc:
                raise UsageProblem(str(exc)) from None
            result = run_against(Target.remote(conn.url, tls))
    except requests.ConnectionError as exc:
        raise ConnectionError(_connection_message(conn.url, exc)) from exc

    if junit is not None:
        write_junit(result, junit)
    if result.credentials_rejected is not None:
        # One line, as for any other command's refused login; the report would only repeat it.
        info = ErrorInfo(
            "InvalidLogin",
            f"{result.credentials_rejected} (wrong user name or password; no other surface "
            "was tried)",
        )
        if out.json_mode:
            out.emit_json({"ok": False, "error": info.as_dict(), **_result_json(result)})
        out.print_error(info)
        return ExitCode.FAULT
    if out.json_mode:
        out.emit_json(_result_json(result))
    else:
        render_summary(result, out.console)
        if junit is not None:
            out.line(f"JUnit report: {junit}")
    if not result.surfaces:
        out.warn("no surface answered at " + (conn.url or "the embedded simulator"))
        return ExitCode.FAULT
    missed = [link for s in result.surfaces for link in s.links_missed]
    if require_links and missed:
        out.warn(f"--require-links: {len(missed)} link(s) never followed: " + "; ".join(missed))
        return ExitCode.FAULT
    return ExitCode.SUCCESS if result.ok else ExitCode.FAULT


def _require_objects(
    surfaces: Sequence[str], allowed: frozenset[str], objects: dict[str, list[str]]
) -> None:
    """A state-changing operation named with --allow needs the objects it may change named.

    Raises:
        UsageProblem: an operation of ``allowed`` names objects of a kind with no --object.
    """
    from vreconnect.contract.checks import STARTED_TASK
    from vreconnect.contract.runner import load_document, object_parameters
    from vreconnect.contract.surfaces import SURFACES

    for name in surfaces:
        _, spec = load_document(SURFACES[name])
        for op_id, params in object_parameters(SURFACES[name], spec).items():
            if op_id not in allowed:
                continue
            for kind in params.values():
                if kind is not STARTED_TASK and not objects.get(kind):
                    raise UsageProblem(
                        f"--allow {op_id}: name the objects it may change with --object "
                        f"{kind}=ID (against a server the suite does not own, state-changing "
                        "operations run only on objects you name)",
                        hint=f"e.g. --allow {op_id} --object {kind}=<id>",
                    )


def _secret(env_name: str | None, default_env: str, prompt: str) -> str:
    value = read_secret(env_name, default_env=default_env, prompt=prompt)
    assert value is not None  # required=True: read_secret raised UsageProblem otherwise
    return value


def _connection_message(url: str | None, exc: BaseException) -> str:
    reason = str(exc)
    # requests nests the real reason deep in its message; keep the readable tail.
    match = re.search(r"\((?:Caused by )?[A-Za-z]+Error\((.*)\)\)", reason)
    if match:
        reason = match.group(1)
    return f"cannot reach {url}: {reason}"


def register(root: typer.Typer) -> None:
    """Add ``vreconnect contract`` to the root app (called by ``cli/app.py``)."""
    root.command(
        "contract",
        epilog="Exit codes: 0 every check passed, 1 a check failed or the login was refused "
        "(InvalidLogin), 2 usage error, 4 the server could not be reached.",
    )(contract)
