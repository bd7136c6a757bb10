"""Everything the command line prints: results, progress, and the one error renderer.

* On a terminal, waits show rich progress bars; otherwise plain lines (``label: running 40%``)
  so logs and CI output stay readable.
* ``--json`` prints exactly one JSON document on stdout (the result, or ``{"ok": false,
  "error": {...}}``) and no progress; the one-line error still goes to stderr.
* :func:`describe_error` turns any exception into type, message, the fields that matter and a
  hint; :meth:`Output.error` renders it (``SSLVerifyFault: <message>`` then ``hint: ...``) and
  returns the exit code. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from .config import ENV_PASSWORD
from .exitcodes import ExitCode, Interrupted, UsageProblem, exit_code_for

if TYPE_CHECKING:
    from vreconnect.waiting import ProgressReport

__all__ = [
    "ErrorInfo",
    "Output",
    "ProgressBar",
    "ProgressDisplay",
    "add_context",
    "describe_error",
    "fault_fields",
    "jsonable",
]


@dataclass(frozen=True)
class ErrorInfo:
    """An error, decoded for display: what it is, what it says, and what to do about it."""

    type_name: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None
    task_id: str | None = None
    status: int | None = None
    exit_code: ExitCode = ExitCode.FAULT

    def line(self) -> str:
        """The one-line form: ``Type: message``."""
        return f"{self.type_name}: {self.message}" if self.message else self.type_name

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        data: dict[str, Any] = {"type": self.type_name, "message": self.message}
        if self.fields:
            data["fields"] = jsonable(self.fields)
        if self.task_id:
            data["task_id"] = self.task_id
        if self.status is not None:
            data["status"] = self.status
        if self.hint:
            data["hint"] = self.hint
        data["exit_code"] = int(self.exit_code)
        return data


def jsonable(value: Any) -> Any:
    """``value`` made JSON-serialisable (enums by value, unknown objects by ``str``)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    enum_value = getattr(value, "value", None)
    if enum_value is not None and type(value).__module__ != "builtins" and hasattr(value, "name"):
        return jsonable(enum_value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        try:
            return jsonable(to_dict())
        except Exception:  # a generated model that cannot serialise itself: fall back to str
            return str(value)
    return str(value)


def _fault_type_name(exc: BaseException) -> str:
    """The name to show: the class name, or the wire name when it was not a known type.

    An unknown vim fault decodes to MethodFault with the wire name in ``type_name``; showing
    that tells the operator what the server really said. vAPI and VR wire names
    (``com.vmware.vapi.std.errors.unverified_peer``, ``vr:404``) read better as class names.
    """
    cls = type(exc)
    if not _is_known_type(exc):
        type_name = str(getattr(exc, "type_name", ""))
        return type_name.rsplit(".", 1)[-1] if type_name.startswith("com.vmware.") else type_name
    # vAPI classes whose names are also vSphere fault names (or too generic) get a prefix.
    if cls.__module__.endswith(".vapi") and cls.__name__ in _AMBIGUOUS_VAPI:
        return f"vapi.{cls.__name__}"
    return cls.__name__


_AMBIGUOUS_VAPI = frozenset({"Error", "InvalidArgument", "InvalidRequest", "NotFound"})


def _is_known_type(exc: BaseException) -> bool:
    """False when the server sent a type the overlay decoded to a base class."""
    type_name = getattr(exc, "type_name", None)
    cls = type(exc)
    known = (getattr(cls, "wire_name", None), *getattr(cls, "wire_aliases", ()))
    return not isinstance(type_name, str) or not type_name or type_name in known


def _fault_message(exc: BaseException) -> str:
    messages = getattr(exc, "messages", None)
    if isinstance(messages, tuple | list) and messages:
        return "; ".join(str(m) for m in messages if m)
    text = str(exc)
    return text if text else ""


def _plain(value: Any) -> Any:
    """A field value as shown: enums by value, references as ``Type:id``, PEMs shortened."""
    if isinstance(value, str):
        # A PEM certificate would swamp a one-line error; its first line identifies it.
        return value.strip().splitlines()[0] + " ..." if "-----BEGIN" in value else value
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str) and hasattr(value, "name"):
        return enum_value
    return str(value)


def fault_fields(exc: BaseException) -> dict[str, Any]:
    """The fields of a fault that matter to an operator (its class's ``str_fields``).

    For example SSLVerifyFault: thumbprint, self_signed; DasConfigFault: reason, output and
    the events' messages; UnverifiedPeer: ssl_thumbprint; VR errors: error_code, details.
    """
    fields: dict[str, Any] = {}
    for name in getattr(type(exc), "str_fields", ()):
        if name == "error_type" and _is_known_type(exc):
            continue  # the type name already says it (UNVERIFIED_PEER for UnverifiedPeer)
        value = getattr(exc, name, None)
        if value is None or value == "" or value == [] or value == ():
            continue
        fields[name] = _plain(value)
    events = getattr(exc, "events", None)
    if isinstance(events, list) and events:
        messages = [getattr(e, "full_formatted_message", None) for e in events]
        texts = [m for m in messages if isinstance(m, str) and m]
        if texts:
            fields["events"] = texts
    return fields


def _thumbprint_of(exc: BaseException) -> str | None:
    for key in ("thumbprint", "ssl_thumbprint", "presented_sha256"):
        value = getattr(exc, key, None)
        if isinstance(value, str) and value:
            return value
    return None


def _hint_for(exc: BaseException, type_name: str, fields: Mapping[str, Any]) -> str | None:
    """What the operator can do about ``exc``, phrased as command-line flags."""
    from vreconnect.errors import TaskTimeout, TransportError
    from vreconnect.tls import CertificateMismatch

    if isinstance(exc, UsageProblem):
        return exc.hint
    if isinstance(exc, TaskTimeout):
        return f"the task is still running; resume with: vreconnect task wait {exc.task_id}"
    if isinstance(exc, Interrupted):
        if exc.hint:
            return exc.hint
        if exc.task_id:
            return f"the task keeps running; resume with: vreconnect task wait {exc.task_id}"
        return None
    thumbprint = _thumbprint_of(exc)
    if isinstance(exc, CertificateMismatch):
        return (
            f"the server presents SHA-256 {exc.presented_sha256}; if you trust it, "
            f"pass --thumbprint {exc.presented_sha256}"
        )
    if type_name == "SSLVerifyFault":
        return f"pass --thumbprint {thumbprint or '<host thumbprint>'} or --accept-thumbprint"
    if type_name == "UnverifiedPeer":
        tp = thumbprint or "<thumbprint>"
        return (
            f"set vc_spec.active_location.ssl_thumbprint to {tp} (or pass --active-thumbprint {tp})"
        )
    if type_name == "AlreadyBeingManaged":
        return "pass --force to take the host over from the other vCenter"
    # A host's refusal ends a task (no HTTP status); a refused vCenter login answers the call.
    ended_task = getattr(exc, "task_id", None) and getattr(exc, "status", None) is None
    if type_name == "InvalidLogin" and ended_task:
        return "the host rejected vCenter's credentials: pass --user and --password-env NAME for the host"
    if type_name in ("NotAuthenticated", "InvalidLogin", "Unauthenticated", "VrUnauthorized"):
        return f"check --user and the password ({ENV_PASSWORD} or --password-env NAME)"
    if type_name in ("NoPermission", "Unauthorized", "VrForbidden"):
        privilege = fields.get("privilege_id")
        return (
            f"the user lacks the privilege {privilege}"
            if privilege
            else "the user lacks a privilege"
        )
    if isinstance(exc, TransportError) or exit_code_for(exc) is ExitCode.CONNECTION:
        return _connection_hint(exc, thumbprint)
    return None


def _url_flag(exc: BaseException) -> str:
    """The option that named the server ``exc`` failed to talk to."""
    # The overlay names the server by its base URL; VR's is the only one under /api/rest/vr.
    return "--vr-url (default: --url)" if "/api/rest/vr/" in str(exc) else "--url"


def _connection_hint(exc: BaseException, thumbprint: str | None) -> str:
    """What to do about a connection failure, from what actually failed (the cause chain).

    Only a certificate the client could not verify gets the certificate hint; a TLS
    handshake that timed out or a server that does not speak TLS at all get their own.
    """
    import ssl

    import httpx

    from vreconnect.tls import find_in_chain

    flag = _url_flag(exc)
    if find_in_chain(exc, ssl.SSLCertVerificationError) is not None:
        if thumbprint:
            return (
                f"if you trust the certificate the server presents, pass --thumbprint "
                f"{thumbprint}; or pass --ca-file FILE with the CA that signed it (--insecure "
                "only for tests)"
            )
        return (
            "pass --ca-file FILE with the CA that signed the server's certificate, or "
            "--thumbprint SHA256 to pin it (--insecure only for tests)"
        )
    tls_error = find_in_chain(exc, ssl.SSLError)
    if tls_error is not None and tls_error.reason in _NOT_TLS_REASONS:
        return (
            f"the server did not answer in TLS: it may serve plain HTTP on that port "
            f"(check {flag}: its scheme and port)"
        )
    timeout = find_in_chain(exc, TimeoutError) or find_in_chain(exc, httpx.TimeoutException)
    if timeout is not None:
        what = "the TLS handshake" if "handshake" in str(timeout).lower() else "the server"
        return (
            f"{what} did not answer in time: check {flag} (host and port) and that nothing "
            "between you and the server drops the traffic"
        )
    if tls_error is not None:
        return f"the TLS connection failed ({tls_error.reason or tls_error}): check {flag}"
    if find_in_chain(exc, httpx.RemoteProtocolError) is not None and "http://" in str(exc):
        return f"the server closed the connection: if it serves HTTPS, use https:// in {flag}"
    return f"check {flag} and that the server is reachable"


# OpenSSL's reasons when the bytes that came back are not TLS (typically an HTTP answer).
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"}
)


def _untrusted_message(exc: BaseException) -> str | None:
    """An untrusted server certificate in the CLI's words, or None for any other error.

    The overlay's message ends with advice in library terms (``tls=TLSConfig...``); the
    CLI says what failed and leaves the advice to the hint, in flags.
    """
    import ssl

    from vreconnect.tls import CertificateMismatch, find_in_chain

    if isinstance(exc, CertificateMismatch):
        return None
    failure = find_in_chain(exc, ssl.SSLCertVerificationError)
    if failure is None:
        return None
    # The overlay names the call and the server first: "<call>: cannot talk to <url>: ...".
    found = re.match(r"(?P<head>.*?: cannot talk to \S+?): ", str(exc))
    head = found.group("head") if found else "cannot talk to the server"
    why = failure.verify_message or failure.reason or "certificate verify failed"
    return f"{head}: the server certificate is not trusted ({why})"


def add_context(exc: BaseException, context: str) -> None:
    """Say what ``exc`` was about (e.g. ``pairing e30d…``) when its own message does not:
    the error line then reads ``Type: <context>: <message>``."""
    with suppress(AttributeError):
        exc.cli_context = context  # type: ignore[attr-defined]


def _timeout_message(exc: BaseException) -> str:
    """TaskTimeout in the CLI's words: the limit as the user gave it, not float residue."""
    task_id = getattr(exc, "task_id", None)
    limit = getattr(exc, "timeout", None)
    within = f" within {_seconds(limit)}" if isinstance(limit, int | float) else ""
    text = f"task {task_id} did not finish{within}"
    status = getattr(exc, "last_status", None)
    state = getattr(getattr(status, "state", None), "value", None)
    if state is not None:
        progress = getattr(status, "progress", None)
        text += f" (last state {state}" + (f", {progress}%)" if progress is not None else ")")
    return text


def _seconds(value: float) -> str:
    """``0.3s``, ``1s``, ``300s``: at most one decimal, none when whole."""
    return f"{round(value, 1):g}s"


def describe_error(exc: BaseException) -> ErrorInfo:
    """Decode any exception for display: type, message, fields that matter, hint, exit code."""
    from vreconnect.errors import TaskTimeout, VReconnectError

    code = exit_code_for(exc)
    if isinstance(exc, UsageProblem):
        return ErrorInfo("UsageError", exc.message, hint=exc.hint, exit_code=code)
    if isinstance(exc, BaseExceptionGroup):
        parts = [describe_error(e).line() for e in exc.exceptions]
        return ErrorInfo(type(exc).__name__, "; ".join(parts), exit_code=code)
    if isinstance(exc, VReconnectError):
        type_name = _fault_type_name(exc)
        fields = fault_fields(exc)
        task_id = getattr(exc, "task_id", None)
        status = getattr(exc, "status", None)
        message = (
            _timeout_message(exc)
            if isinstance(exc, TaskTimeout)
            else _untrusted_message(exc) or _fault_message(exc)
        )
        context = getattr(exc, "cli_context", None)
        if isinstance(context, str) and context:
            message = f"{context}: {message}" if message else context
        return ErrorInfo(
            type_name,
            message,
            fields,
            _hint_for(exc, type_name, fields),
            task_id if isinstance(task_id, str) else None,
            status if isinstance(status, int) else None,
            code,
        )
    if isinstance(exc, Interrupted):
        return ErrorInfo(
            "Interrupted",
            str(exc),
            hint=_hint_for(exc, "", {}),
            task_id=exc.task_id,
            exit_code=code,
        )
    if code is ExitCode.CONNECTION:
        return ErrorInfo(type(exc).__name__, str(exc), hint=_hint_for(exc, "", {}), exit_code=code)
    # Anything else is a bug in vreconnect (or an overlay gap): still one line, no traceback.
    return ErrorInfo(
        type(exc).__name__,
        str(exc) or repr(exc),
        hint="this is unexpected; run with --debug for the traceback",
        exit_code=code,
    )


def _is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # closed stream
        return False


class Output:
    """Printing for one command run: human or ``--json``, with or without ``--debug``."""

    def __init__(self, *, json_mode: bool = False, debug: bool = False) -> None:
        self.json_mode = json_mode
        self.debug = debug
        self._lock = threading.Lock()
        tty = _is_tty(sys.stdout)
        # Off a terminal rich would wrap at 80 columns; tables and fault lines read better wider.
        self.console = Console(highlight=False, width=None if tty else 160, soft_wrap=not tty)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    @property
    def interactive(self) -> bool:
        """True when stdout is a terminal (progress bars instead of plain lines)."""
        return self.console.is_terminal

    # -- results -------------------------------------------------------------------------

    def emit_json(self, data: Mapping[str, Any]) -> None:
        """Write one JSON document on stdout (only in ``--json`` mode it is the whole output)."""
        with self._lock:
            sys.stdout.write(json.dumps(jsonable(data), indent=2, sort_keys=False) + "\n")
            sys.stdout.flush()

    def line(self, text: str | Text, *, style: str | None = None) -> None:
        """A human line on stdout (suppressed in ``--json`` mode)."""
        if self.json_mode:
            return
        with self._lock:
            self.console.print(text if isinstance(text, Text) else Text(text, style=style or ""))

    def result(self, human: str, data: Mapping[str, Any]) -> None:
        """The final result: ``human`` on a terminal/log, ``data`` (plus ``ok: true``) as JSON."""
        if self.json_mode:
            self.emit_json({"ok": True, **data})
        else:
            self.line(human, style="green" if self.interactive else None)

    # -- errors --------------------------------------------------------------------------

    def error(self, exc: BaseException) -> ExitCode:
        """Render ``exc`` (one line, a hint, the traceback only with ``--debug``); its exit code."""
        info = describe_error(exc)
        if self.debug:
            self.err.print(
                Text("".join(traceback.format_exception(exc)).rstrip(), style="dim"),
            )
        return self.fail(info)

    def fail(self, info: ErrorInfo, **data: Any) -> ExitCode:
        """Render a decoded error (under ``--json`` also ``{"ok": false, "error": {...}}`` with
        ``data``, on stdout); its exit code."""
        if self.json_mode:
            self.emit_json({"ok": False, "error": info.as_dict(), **data})
        self.print_error(info)
        return info.exit_code

    def print_error(self, info: ErrorInfo) -> None:
        """The human error lines on stderr: ``error: Type: message``, fields, ``hint: ...``."""
        text = Text("error: ", style="bold red")
        text.append(info.line())
        with self._lock:
            self.err.print(text)
            if info.fields and not self.json_mode:
                detail = ", ".join(f"{k}={_one_line(v)}" for k, v in info.fields.items())
                self.err.print(Text(f"  {detail}", style="dim"))
            if info.hint:
                self.err.print(Text(f"hint: {info.hint}", style="yellow"))

    def warn(self, message: str) -> None:
        """A warning on stderr."""
        with self._lock:
            self.err.print(Text(f"warning: {message}", style="yellow"))

    # -- progress ------------------------------------------------------------------------

    @contextmanager
    def progress(self) -> Iterator[ProgressDisplay]:
        """A progress display for one or more waits (bars on a terminal, plain lines else)."""
        display = ProgressDisplay(self)
        with display:
            yield display


def _one_line(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_one_line(v) for v in value)
    text = str(value)
    return text if "\n" not in text else text.replace("\n", " | ")


_WIDE_TERMINAL = 120
"""Columns from which progress bars keep their natural widths (see ProgressDisplay)."""


class ProgressDisplay:
    """Progress of one or more tasks; :meth:`track` gives a bar whose ``on_progress`` is itself.

    Callbacks may come from worker threads (``wait_all``): rich's Progress is thread-safe,
    and plain lines go through the output lock.
    """

    def __init__(self, out: Output) -> None:
        self.out = out
        self._progress: Progress | None = None
        if out.interactive and not out.json_mode:
            # On a narrow terminal (80 columns) the columns share the width by ratio and a
            # long label or state is cut ("…"), never the percentage or the elapsed time; on a
            # wide one every column keeps its natural width and the bar its usual 40 cells.
            narrow = out.console.width < _WIDE_TERMINAL
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn(
                    "{task.description}",
                    table_column=Column(no_wrap=True, overflow="ellipsis", ratio=3),
                ),
                BarColumn(
                    bar_width=None if narrow else 40,
                    table_column=Column(ratio=1, min_width=5),
                ),
                TaskProgressColumn(table_column=Column(no_wrap=True, min_width=4)),
                TextColumn(
                    "{task.fields[state]}",
                    table_column=Column(no_wrap=True, overflow="ellipsis", ratio=2, max_width=48),
                ),
                TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
                console=out.console,
                expand=narrow,
            )

    def __enter__(self) -> ProgressDisplay:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def print(self, renderable: Text | str) -> None:
        """Print above the bars (or as a plain line); nothing in ``--json`` mode."""
        if self.out.json_mode:
            return
        if self._progress is not None:
            self._progress.console.print(renderable)
        else:
            self.out.line(renderable)

    def track(self, label: str) -> ProgressBar:
        """A new bar (or series of plain lines) named ``label``; pass it as ``on_progress``."""
        return ProgressBar(self, label)


class ProgressBar:
    """One bar: call it with each :class:`ProgressReport` (it is an ``on_progress``).

    A bar may follow several tasks one after the other (a retry): each new task's reports
    simply move it again.
    """

    def __init__(self, display: ProgressDisplay, label: str) -> None:
        self._display = display
        self.label = label
        self._last: tuple[str, str, int] | None = None
        self._task: str | None = None
        self._next_label: str | None = None
        progress = display._progress
        self._task_id: TaskID | None = (
            progress.add_task(label, total=100, state="starting") if progress else None
        )

    def describe(self, label: str, state: str | None = None) -> None:
        """Rename the bar (e.g. ``reconnect host-106 (retry)``) and optionally set its state."""
        self.label = label
        progress = self._display._progress
        if progress is not None and self._task_id is not None:
            fields: dict[str, Any] = {"description": label}
            if state is not None:
                fields["state"] = state
            progress.update(self._task_id, **fields)

    def describe_next_task(self, label: str) -> None:
        """Rename the bar once a report about another task arrives (a replacement task):
        the reports still due about the current task keep the current label."""
        self._next_label = label

    def finish(self, state: str, *, completed: bool) -> None:
        """Settle the bar: ``state`` text, full if ``completed`` (the item is done)."""
        progress = self._display._progress
        if progress is not None and self._task_id is not None:
            fields: dict[str, Any] = {"state": state}
            if completed:
                fields["completed"] = 100
            progress.update(self._task_id, **fields)

    def __call__(self, report: ProgressReport) -> None:
        if self._next_label is not None and self._task not in (None, report.task_id):
            self.describe(self._next_label)
            self._next_label = None
        self._task = report.task_id
        state = report.state.value if report.state is not None else "unknown"
        percent = report.progress
        if report.final:
            # A task that failed at "100%" did not complete: show no percentage for it.
            percent = 100 if state == "succeeded" else None
        progress = self._display._progress
        if progress is not None and self._task_id is not None:
            label_state = state
            if report.message and not report.final:
                label_state = f"{state}: {report.message}"
            fields: dict[str, Any] = {"state": label_state}
            if percent is not None:
                fields["completed"] = percent
            progress.update(self._task_id, **fields)
            return
        self._plain(report, state, percent)

    def _plain(self, report: ProgressReport, state: str, percent: int | None) -> None:
        if self._display.out.json_mode or report.state is None:
            return
        # Off a terminal, one line per state change or per 25-point step keeps logs short.
        key = (report.task_id, state, (percent or 0) // 25)
        if not report.final and self._last == key:
            return
        self._last = key
        text = f"{self.label}: {report.task_id} {state}"
        if percent is not None:
            text += f" {percent}%"
        if report.final:
            text += f" ({report.elapsed:.1f}s)"
        self._display.out.line(text)
