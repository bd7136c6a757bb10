"""Opening overlay connections from the command line's settings, and waiting with progress."""

from __future__ import annotations

import re
import socket
import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from vreconnect.errors import VReconnectError

from .config import ConnectionSettings
from .exitcodes import ExitCode, Interrupted, UsageProblem
from .output import Output

if TYPE_CHECKING:
    from vreconnect import Replication, VCenter, VCenterRest
    from vreconnect.tasks import SyncTask
    from vreconnect.tls import TLSConfig
    from vreconnect.waiting import TaskStatus

__all__ = [
    "HTTP_TIMEOUT",
    "connection_warnings",
    "open_replication",
    "open_rest",
    "open_vcenter",
    "report_task",
    "tls_config",
    "wait_with_progress",
]

HTTP_TIMEOUT = 30.0
"""Seconds per HTTP request (not per task: tasks are bounded by ``--timeout``)."""

_C = TypeVar("_C")


def tls_config(conn: ConnectionSettings) -> TLSConfig:
    """The overlay's TLSConfig for ``--ca-file`` / ``--thumbprint`` / ``--insecure``.

    Raises:
        UsageProblem: contradictory options or a malformed thumbprint.
    """
    from vreconnect.tls import TLSConfig

    conn.validate()  # also rejects two TLS modes at once, naming the flags or variables
    if conn.insecure:
        return TLSConfig.insecure()
    if conn.thumbprint:
        try:
            return TLSConfig.pinned(conn.thumbprint)
        except ValueError as exc:
            raise UsageProblem(f"{conn.name_of('thumbprint')}: {exc}") from None
    if conn.ca_file:
        return TLSConfig.ca_bundle(conn.ca_file)
    return TLSConfig.verify()


def connection_warnings(conn: ConnectionSettings, urls: list[str]) -> list[str]:
    """The warning lines for connecting to ``urls`` with ``conn``: verification off, and
    each plain-HTTP URL (the login crosses the network in cleartext)."""
    warnings = [conn.insecure_warning(), *(conn.cleartext_warning(url) for url in urls)]
    return [w for w in warnings if w]


def _open(
    factory: Callable[[str, str, str, TLSConfig], _C],
    url: str,
    conn: ConnectionSettings,
    out: Output,
) -> _C:
    tls = tls_config(conn)
    user = conn.require_user()
    for warning in connection_warnings(conn, [url]):
        out.warn(warning)
    password = conn.with_password().password
    assert password is not None  # with_password raises rather than return None
    try:
        return factory(url, user, password, tls)
    except ValueError as exc:  # what the overlay refuses in a URL that validate() let through
        raise UsageProblem(str(exc)) from None


def open_vcenter(conn: ConnectionSettings, out: Output) -> VCenter:
    """A VCenter (vim25 + SMS) for ``--url``; logs in on first use."""
    from vreconnect import VCenter

    return _open(
        lambda url, user, password, tls: VCenter(
            url, user, password, tls=tls, timeout=HTTP_TIMEOUT
        ),
        conn.require_url(),
        conn,
        out,
    )


def open_rest(conn: ConnectionSettings, out: Output) -> VCenterRest:
    """A VCenterRest (vSphere Automation REST) for ``--url``; logs in on first use."""
    from vreconnect import VCenterRest

    return _open(
        lambda url, user, password, tls: VCenterRest(
            url, user, password, tls=tls, timeout=HTTP_TIMEOUT
        ),
        conn.require_url(),
        conn,
        out,
    )


def open_replication(conn: ConnectionSettings, out: Output) -> Replication:
    """A Replication (vSphere Replication REST) for ``--vr-url`` (else ``--url``)."""
    from vreconnect import Replication

    return _open(
        lambda url, user, password, tls: Replication(
            url, user, password, tls=tls, timeout=HTTP_TIMEOUT
        ),
        conn.require_url(vr=True),
        conn,
        out,
    )


def presented_thumbprint(url: str, timeout: float = 5.0) -> str | None:
    """The SHA-256 thumbprint of the certificate the server at ``url`` presents, or None.

    Only used to make the "certificate not trusted" error actionable: the operator sees what
    the server presents and decides whether to pin it. Nothing is trusted because of it.
    """
    from vreconnect.tls import thumbprint_of

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=parts.hostname) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    return thumbprint_of(der, "sha256") if der else None


def annotate_untrusted(exc: BaseException) -> None:
    """If ``exc`` is an untrusted-certificate failure, record the presented thumbprint on it.

    The server is the URL the overlay names in the message (``cannot talk to https://...``).
    """
    from vreconnect.errors import TransportError

    if not isinstance(exc, TransportError):
        return
    found = re.search(r"https://(?:\[[^\]\s]+\]|[^\s:/\[]+)(?::\d+)?", str(exc))
    if found is None:
        return
    url = found.group(0)
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, ssl.SSLCertVerificationError):
            thumbprint = presented_thumbprint(url)
            if thumbprint:
                with suppress(AttributeError):
                    exc.presented_sha256 = thumbprint  # type: ignore[attr-defined]
            return
        chain = chain.__cause__ or chain.__context__


def wait_with_progress(
    out: Output,
    handle: SyncTask,
    *,
    label: str,
    timeout: float | None,
) -> tuple[TaskStatus, float]:
    """Wait for ``handle`` with a progress bar (or plain lines); its final status and seconds.

    Ctrl-C stops the waiting only (the task keeps running) and raises :class:`Interrupted`
    naming the task, so the error line can tell how to resume.
    """
    start = time.monotonic()
    try:
        with out.progress() as display:
            status = handle.wait_status(timeout, on_progress=display.track(label))
    except KeyboardInterrupt:
        raise Interrupted(handle.id) from None
    return status, time.monotonic() - start


def report_task(
    out: Output,
    handle: SyncTask,
    *,
    target: str,
    wait: bool,
    timeout: float | None,
    label: str,
    after: Callable[[], tuple[str, dict[str, Any]]] | None = None,
    extra: dict[str, Any] | None = None,
) -> ExitCode:
    """Wait (or not) for a started task and print the outcome; shared by every command.

    ``after`` is called once the task succeeded and returns ``(human suffix, json fields)``
    describing the object's state afterwards (e.g. the host's connection state).
    """
    operation = handle.operation or "task"
    base: dict[str, Any] = {"operation": handle.operation, "target": target, **(extra or {})}
    if not wait:
        out.result(
            f"{target}: started {operation} as {handle.kind} task {handle.id}; "
            f"follow it with: vreconnect task wait {handle.id}",
            {**base, "task": {"id": handle.id, "kind": handle.kind}, "waited": False},
        )
        return ExitCode.SUCCESS
    status, seconds = wait_with_progress(out, handle, label=label, timeout=timeout)
    suffix, state_fields = "", dict[str, Any]()
    if after is not None:
        try:
            suffix, state_fields = after()
        except VReconnectError as exc:
            # The task succeeded; failing to read the state afterwards must not say otherwise.
            out.warn(f"the task succeeded but reading the state afterwards failed: {exc}")
    # ``task wait ID``: the target is the task itself, whose operation may be unknown.
    what = f"{handle.operation} " if handle.operation else ""
    task = "" if status.task_id == target else f" (task {status.task_id})"
    out.result(
        f"{target}: {what}succeeded in {seconds:.1f}s{task}{suffix}",
        {
            **base,
            "task": {
                "id": status.task_id,
                "kind": status.kind,
                "state": status.state.value,
                "result": status.result,
            },
            "seconds": round(seconds, 3),
            **state_fields,
        },
    )
    return ExitCode.SUCCESS
