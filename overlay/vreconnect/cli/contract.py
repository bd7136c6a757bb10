"""``vreconnect contract``: run the property suite against a real server (or the simulator).

The same suite as ``tests/property`` (:mod:`vreconnect.contract`): schemathesis with every check
and every phase against the OpenAPI documents in ``specs/``, logged in through each surface's
real login. Against a server given with ``--url`` it is safe by default: only logins, logouts of
its own sessions, reads and task reads run; an operation that changes state runs only when
named with ``--allow OPERATION_ID`` (``--allow all`` names every one), one request at a time,
and each task a request starts is read to its end before anything else is sent. Without
``--url`` it runs against the embedded simulator (in this process), where every operation runs.

Against a server the suite does not own, a state-changing operation runs only on the objects
named with ``--object`` (``--allow DisconnectHost_Task --object host=host-42``): a request
aimed at any other object id (a generated one, or a documented example like ``host-101``) is
sent to an id no server has instead; an operation that changes objects of a kind nobody named
does not run (with ``--allow all``) or is a usage error (named with ``--allow``). The VCHA
passive node redeploy changes the vCenter's one VCHA cluster, which its URL does not name: it
runs only with ``--object vcha-cluster=NAME`` (any name for it, e.g. the vCenter's host name).
Credentials a request body passes on to another host (a reconnect's ``cnxSpec``, a
``vc_spec.active_location``, a pairing's ``pair_psc_info``) are always sent as an account and
host that are nobody's there.

``--reset-simulator`` says the server at ``--url`` is a ``vreconnect sim serve`` the suite may
reset (checked through its ``/_sim`` control API): it is then run exactly like the embedded one,
reset before every phase and every stateful scenario, every object id allowed.

Environment: without ``--url`` on the command line, ``VRECONNECT_URL`` and ``VRECONNECT_USER``
are ignored (the run is against the embedded simulator, as its default users). With ``--url``,
the user is ``--user``, else ``VRECONNECT_USER``; the password ``VRECONNECT_PASSWORD`` (or the
variable ``--password-env`` names, else a prompt); the read-only user ``--readonly-user``, else
``VRECONNECT_READONLY_USER``, with ``VRECONNECT_READONLY_PASSWORD``.

Exit status: 0 every check passed, 1 a check failed (a link never followed, with
``--require-links``) or the server refused a user name or password (one ``error: InvalidLogin``
line; no other surface is tried, so the password is sent once), 2 usage error, 4 the server
could not be reached (the JUnit file then has one error testcase saying so).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
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
    run,
)
from .config import ENV_PASSWORD, ENV_URL, ENV_USER, read_secret
from .connect import connection_warnings
from .exitcodes import ExitCode, UsageProblem
from .output import ErrorInfo, Output

if TYPE_CHECKING:
    from vreconnect.contract import SuiteResult, Target

__all__ = ["ENV_READONLY_PASSWORD", "ENV_READONLY_USER", "contract", "register"]

ENV_READONLY_USER = "VRECONNECT_READONLY_USER"
ENV_READONLY_PASSWORD = "VRECONNECT_READONLY_PASSWORD"

_SURFACE_CHOICES = ("vim25", "sms", "vcenter", "vr")
_OBJECT_KINDS = ("host", "vasa-provider", "pairing", "vcha-cluster")

_HELP = (
    "Run the contract suite (every schemathesis check and phase) against a server.\n\n"
    "Safe by default: logins, reads and task reads only. Name each state-changing operation "
    "to run with --allow, and the objects it may change with --object (the VCHA redeploy "
    "changes the vCenter's VCHA cluster: --object vcha-cluster=NAME). Without --url on the "
    "command line the embedded simulator is started, and every operation runs; "
    "--reset-simulator runs a `vreconnect sim serve` at --url the same way.\n\n"
    f"With --url, the user and passwords may come from {ENV_USER}, {ENV_PASSWORD}, "
    f"{ENV_READONLY_USER} and {ENV_READONLY_PASSWORD}; without --url they are ignored."
)


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
                hint="e.g. --object host=host-42 --object pairing=e30d7438-... "
                "--object vcha-cluster=vc.example.com",
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
                "tasks_started_by_probes": sum(1 for t in s.tasks if t.by_probe),
                "sessions": {
                    "opened_by_cases": s.sessions_opened,
                    "ended_by_flows": s.sessions_ended_by_flows,
                    "ended_after_their_case": s.sessions_ended_early,
                    "ended_after_the_run": s.sessions_ended_after,
                    "peak_open": s.sessions_peak,
                },
                "redirected": s.redirected,
                "credentials_replaced": s.credentials_replaced,
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
                "links_required": s.links_required,
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
        typer.Option(
            help="Server base URL (https://vc.example.com, a VR appliance, or `vreconnect sim "
            "serve`). Default: the embedded simulator.",
            rich_help_panel="Connection",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            help=f"User name to log in as (with --url; default: {ENV_USER}).",
            rich_help_panel="Connection",
        ),
    ] = None,
    password_env: PasswordEnvOption = None,
    readonly_user: Annotated[
        str | None,
        typer.Option(
            help="A read-only user (with --url; default: "
            f"{ENV_READONLY_USER}): operations that need a privilege must refuse it "
            "(privilege_required check; skipped without one). It logs in at the start.",
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
            help="An existing object a state-changing operation may change (repeatable): "
            "host=host-42, vasa-provider=vasa-1, pairing=<id>, vcha-cluster=<name> (the "
            "vCenter's VCHA cluster, for the passive node redeploy).",
        ),
    ] = None,
    reset_simulator: Annotated[
        bool,
        typer.Option(
            "--reset-simulator",
            help="The server at --url is a `vreconnect sim serve` the suite may reset: run it "
            "like the embedded one (reset before every phase and stateful scenario, every "
            "object allowed). Checked through its /_sim control API.",
        ),
    ] = False,
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
            help="A link of a document that no stateful scenario followed is a failure (exit "
            "1); by default the summary only says how many were followed.",
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

    The command's help is :data:`_HELP` (one line per paragraph, so it reflows to the terminal).
    """

    def body(out: Output, state: CliState) -> ExitCode:
        return _run_contract(
            out,
            state,
            url=url,
            user=user,
            password_env=password_env,
            readonly_user=readonly_user,
            readonly_password_env=readonly_password_env,
            ca_file=ca_file,
            thumbprint=thumbprint,
            insecure=insecure,
            surfaces=surface or [],
            allow=allow or [],
            objects=objects or [],
            reset_simulator=reset_simulator,
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
    readonly_password_env: str | None,
    ca_file: Path | None,
    thumbprint: str | None,
    insecure: bool,
    surfaces: list[str],
    allow: list[str],
    objects: list[str],
    reset_simulator: bool,
    junit: Path | None,
    max_examples: int,
    max_steps: int,
    require_links: bool,
    seed: int,
    release: str,
    task_timeout: float,
) -> ExitCode:
    import dataclasses

    import requests

    from vreconnect.contract import Credentials, SuiteOptions, Target, run_suite
    from vreconnect.contract.report import render_summary, write_junit, write_junit_unreachable
    from vreconnect.contract.simulator import (
        SIMULATOR_ADMIN,
        SIMULATOR_PASSWORD,
        SIMULATOR_READONLY,
        NotASimulator,
        embedded_simulator,
        own_served_simulator,
    )
    from vreconnect.tls import TLSConfig

    conn = state.conn
    # A server named only by the environment is not one to test: without --url on the
    # command line the run is against the embedded simulator, as its default users.
    embedded = url is None and (conn.url is None or "url" in conn.from_env)
    if embedded:
        conn = dataclasses.replace(
            conn,
            url=None,
            user=None if "user" in conn.from_env else conn.user,
            from_env=conn.from_env - {"url", "user"},
        )
    conn = conn.overridden(
        url=url,
        user=user,
        password_env=password_env,
        ca_file=ca_file,
        thumbprint=thumbprint,
        insecure=insecure,
    )
    conn.validate()
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
    if reset_simulator and embedded:
        raise UsageProblem(
            "--reset-simulator needs --url (the embedded simulator is always reset)",
            hint="e.g. --url https://127.0.0.1:8989 --reset-simulator for `vreconnect sim serve`",
        )
    if embedded and os.environ.get(ENV_URL):
        out.warn(
            f"{ENV_URL} is set, but without --url contract runs against the embedded "
            f'simulator (--url "${ENV_URL}" tests that server)'
        )
    if not embedded and allowed and not reset_simulator:
        _require_objects(chosen, allowed, pinned)

    if embedded:
        admin_user = conn.user or SIMULATOR_ADMIN
        admin_password = (
            SIMULATOR_PASSWORD
            if conn.user is None
            else _secret(conn.password_env, ENV_PASSWORD, f"Password for {admin_user}")
        )
        # The environment's read-only user is a real server's, not the simulator's.
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
        ro_user = readonly_user or os.environ.get(ENV_READONLY_USER) or ""
        ro_password = (
            read_secret(
                readonly_password_env,
                default_env=ENV_READONLY_PASSWORD,
                prompt=f"Password for {ro_user}",
                # Optional off a terminal: without it the privilege checks are skipped.
                required=readonly_password_env is not None or sys.stdin.isatty(),
            )
            if ro_user
            else None
        )
        if ro_user and ro_password is None:
            out.warn(
                f"no password for {ro_user} ({ENV_READONLY_PASSWORD} is not set): "
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
        require_links=require_links,
    )

    def progress(message: str) -> None:
        if not out.json_mode:
            out.err.print(f"[dim]… {message}[/dim]", highlight=False)

    def run_against(target: Target) -> SuiteResult:
        return run_suite(target, options, chosen, require=bool(surfaces), progress=progress)

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
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
            for warning in connection_warnings(conn, [conn.url]):
                out.warn(warning)
            remote = Target.remote(conn.url, tls)
            if reset_simulator:
                try:
                    own_served_simulator(remote)
                except NotASimulator as exc:
                    raise UsageProblem(
                        f"--reset-simulator: {exc}",
                        hint="it resets only a `vreconnect sim serve`; leave it out for any "
                        "other server",
                    ) from None
                progress("the simulator is reset before every phase and stateful scenario")
            result = run_against(remote)
    except requests.ConnectionError as exc:
        message = _connection_message(conn.url, exc)
        if junit is not None:
            write_junit_unreachable(junit, conn.url or "", message, started_at=started_at)
        raise ConnectionError(message) from exc

    if junit is not None:
        write_junit(result, junit)
    if result.credentials_rejected is not None:
        # One line, as for any other command's refused login; the report would only repeat it.
        info = ErrorInfo(
            "InvalidLogin",
            f"{result.credentials_rejected} (wrong user name or password; no other surface "
            "was tried)",
        )
        out.fail(info, **_result_json(result))
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
    return ExitCode.SUCCESS if result.ok else ExitCode.FAULT


def _require_objects(
    surfaces: Sequence[str], allowed: frozenset[str], objects: dict[str, list[str]]
) -> None:
    """A state-changing operation named with --allow needs the objects it may change named.

    Raises:
        UsageProblem: an operation of ``allowed`` changes objects of a kind with no --object.
    """
    from vreconnect.contract.runner import load_document, required_objects
    from vreconnect.contract.surfaces import SURFACES

    for name in surfaces:
        _, spec = load_document(SURFACES[name])
        for op_id, kinds in required_objects(SURFACES[name], spec).items():
            if op_id not in allowed:
                continue
            for kind in sorted(kinds):
                if not objects.get(kind):
                    what = "NAME" if kind == "vcha-cluster" else "ID"
                    raise UsageProblem(
                        f"--allow {op_id}: name the objects it may change with --object "
                        f"{kind}={what} (against a server the suite does not own, "
                        "state-changing operations run only on objects you name)",
                        hint=f"e.g. --allow {op_id} --object {kind}=<{what.lower()}>",
                    )


def _secret(env_name: str | None, default_env: str, prompt: str) -> str:
    value = read_secret(env_name, default_env=default_env, prompt=prompt)
    assert value is not None  # required=True: read_secret raised UsageProblem otherwise
    return value


def _connection_message(url: str | None, exc: BaseException) -> str:
    """``cannot reach URL: <reason>``, the reason being the innermost OS error's own words.

    requests wraps the socket's error several layers deep (MaxRetryError, NewConnectionError,
    each repeating the last in its message); the innermost ``OSError`` with a ``strerror``
    ("[Errno 111] Connection refused", "Name or service not known") is what a reader needs.
    """
    reason = str(exc)
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            errno = f"[Errno {current.errno}] " if current.errno is not None else ""
            reason = f"{errno}{current.strerror}"
        pending.extend([current.__context__, current.__cause__, getattr(current, "reason", None)])
        pending.extend(current.args)
    return f"cannot reach {url}: {reason}"


def register(root: typer.Typer) -> None:
    """Add ``vreconnect contract`` to the root app (called by ``cli/app.py``)."""
    root.command(
        "contract",
        help=_HELP,
        epilog="Exit codes: 0 every check passed, 1 a check failed (a link never followed, "
        "with --require-links) or a login was refused (InvalidLogin), 2 usage error, 4 the "
        "server could not be reached.",
    )(contract)
