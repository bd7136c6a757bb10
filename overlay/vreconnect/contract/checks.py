"""The suite's own checks, next to schemathesis' built-in ones.

Registered with ``@schemathesis.check`` (so they run in every phase, stateful included, and are
reported like the built-in ones), but active only in a run of this suite: each looks up the
:class:`RunContext` that :mod:`vreconnect.contract.runner` attaches to the schema, and says
"not applicable" (returns True) otherwise.

* ``session_required`` -- VI/JSON: a call that succeeded with a session fails without one, and
  with an invalid one, with the NotAuthenticated fault. It replaces schemathesis'
  ``ignored_auth`` there, which accepts only 401/403 as a refusal.
* ``privilege_required`` -- where the page names a privilege, a call that succeeded for the
  administrator is refused for the read-only user (NoPermission / 403).
* ``undeclared_method_refused`` -- VI/JSON: an HTTP method the document does not declare for a
  path is refused with the InvalidRequest fault (HTTP 500). It replaces schemathesis'
  ``unsupported_method`` there, which requires 405, a status VI/JSON never uses.
* ``task_completes`` -- a task an operation started must end. It is read to its end right
  after the call (``track_calls``), before any check sends a probe, so no two changes ever
  run against the same object at once; a task that a refusal probe started (a server that
  wrongly accepted it) is read to its end as well (:func:`follow_task`).
* ``simulator_healthy`` -- in-process simulator only: it logged no error (unhandled exception,
  or a response that violates its own OpenAPI document).

Each probe is sent once per operation per run (like ``ignored_auth``): the property is one of
the operation, not of a particular input. A check that does not apply to a response returns
True, which schemathesis does not count at all (so the report can say "not applicable").

Hooks keep a run safe and tidy: ``guard_accounts``, ``guard_credentials`` and ``guard_objects``
(``before_call``) never let a request fail a login for a real account, send credentials on to a
host the generator made up, or change an object the user did not name, on a server the suite
does not own; ``track_calls`` (``after_call``) reads every task a call started to its end, and
ends the sessions test cases open as soon as nothing can use them any more.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
import schemathesis
from schemathesis.core.failures import CustomFailure
from schemathesis.generation.meta import CoverageScenario, coverage_scenario
from schemathesis.specs.openapi._auth_retry import send_probe

from .sessions import SPARE_SESSION, Credentials, LoginFailed, SessionBroker, session_token
from .surfaces import ForwardedCredentials, Surface, TaskRead

if TYPE_CHECKING:
    from schemathesis import CheckContext, Response
    from schemathesis.generation.case import Case

__all__ = [
    "NOBODY",
    "NOBODYS_PASSWORD",
    "NO_SUCH_HOST",
    "READ_PRIVILEGES",
    "STARTED_TASK",
    "UNNAMED_OBJECT",
    "RunContext",
    "TaskRecord",
    "follow_sent",
    "follow_task",
    "guard_accounts",
    "guard_credentials",
    "guard_objects",
    "is_probe",
    "issue_spare",
    "json_pointer",
    "mark_call",
    "privilege_required",
    "reset_between_phases",
    "run_context",
    "session_required",
    "simulator_healthy",
    "task_completes",
    "track_calls",
    "undeclared_method_refused",
]

READ_PRIVILEGES = frozenset({"System.Anonymous", "System.View", "System.Read"})
"""Privileges every user holds (the read-only role is exactly these in vSphere)."""


@dataclass
class TaskRecord:
    """One task the suite read to its end (or gave up on)."""

    operation: str
    task_id: str
    state: str | None
    reads: int
    seconds: float
    problem: str | None = None
    """Why it could not be read to its end (a read that failed), None if it was."""
    by_probe: bool = False
    """Started by a refusal probe (no session, an invalid or a read-only one) that the server
    wrongly accepted, not by a test case."""


@dataclass
class RunContext:
    """Everything the suite's checks need during one run of one surface."""

    surface: Surface
    broker: SessionBroker
    security: Mapping[str, frozenset[str]]
    privileges: Mapping[str, str]
    """operationId -> the privilege it requires (read privileges excluded)."""
    admin: Credentials | None
    readonly: Credentials | None
    task_timeout: float
    task_poll_interval: float
    error_log: Callable[[], Sequence[str]] | None = None
    protected: Mapping[str, str] = field(default_factory=dict)
    """Real accounts (user -> password) no request may fail a login for (see guard_accounts)."""
    object_guard: Mapping[str, Mapping[str, frozenset[str] | None]] | None = None
    """A server the suite does not own: state-changing operationId -> path parameter -> the
    ids it may name (the user's ``--object`` ids; :data:`STARTED_TASK` for a task this run
    started). None: the suite owns the server, every id may be sent (see guard_objects)."""
    started_tasks: set[str] = field(default_factory=set)
    """Ids of the tasks this run's calls started."""
    task_records: dict[str, TaskRecord] = field(default_factory=dict)
    """Task id -> how reading it to its end went (every task this run started)."""
    forwarded: Mapping[str, Sequence[ForwardedCredentials]] = field(default_factory=dict)
    """A server the suite does not own: operationId -> body objects whose credentials the
    server would use elsewhere (see guard_credentials). Empty on an owned server."""
    credentials_replaced: Counter[str] = field(default_factory=Counter)
    """operationId -> requests whose forwarded credentials guard_credentials replaced."""
    calling: str | None = None
    """Id of the test case being sent (set before its call): any other request sent through
    the transport is a check's probe."""
    reset: Callable[[], None] | None = None
    """An owned simulator: back to its scenario (see reset_between_phases)."""
    phase: str | None = None
    """The phase of the last request sent (see reset_between_phases)."""
    answered: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(operationId, path parameter) -> the values it named in calls that succeeded (2xx)."""
    redirected: Counter[str] = field(default_factory=Counter)
    """operationId -> requests guard_objects turned away from an object nobody named."""
    session_verified: set[str] = field(default_factory=set)
    privilege_verified: set[str] = field(default_factory=set)
    tasks: list[TaskRecord] = field(default_factory=list)
    errors_seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def base_path(self) -> str:
        """The surface's base path with the release filled in."""
        return self.surface.base_path.format(release=self.broker.release)

    def reset_server(self) -> None:
        """Reset the owned simulator, and forget what it forgot: its sessions, and its tasks
        (a reset restarts the task ids, so a new task may have an old one's id)."""
        assert self.reset is not None
        self.reset()
        self.broker.forget()
        with self.lock:
            self.task_records.clear()
            self.started_tasks.clear()


def run_context(case: Case[Any]) -> RunContext | None:
    """The run this case belongs to, or None outside the suite."""
    found = getattr(type(case.operation.schema), "vreconnect_run", None)
    return found if isinstance(found, RunContext) else None


def _op_id(case: Case[Any]) -> str:
    return str(case.operation.definition.raw.get("operationId"))


def json_pointer(document: Any, pointer: str) -> Any:
    """The value at RFC 6901 ``pointer`` in ``document`` (None if absent)."""
    current = document
    for raw in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, Mapping):
            current = current.get(token)
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return None
    return current


def _json(response: Response | requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _fail(case: Case[Any], title: str, message: str) -> CustomFailure:
    return CustomFailure(
        operation=case.operation.label,
        title=title,
        message=message,
        exception=AssertionError(message),
    )


def _describe(status: int, body: Any) -> str:
    if isinstance(body, Mapping):
        for key in ("_typeName", "type", "error_code"):
            if isinstance(body.get(key), str):
                return f"{status} {body[key]}"
    return str(status)


def _claim(run: RunContext, done: set[str], op_id: str) -> bool:
    """True for the first caller per operation (probes are sent once per operation)."""
    with run.lock:
        if op_id in done:
            return False
        done.add(op_id)
        return True


@schemathesis.check
def session_required(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """VI/JSON: without a session, or with an invalid one, the call is refused (NotAuthenticated)."""
    run = run_context(case)
    if run is None or run.surface.unauthenticated is None or run.surface.session_header is None:
        return True
    if run.surface.unauthenticated.fault is None:
        return True  # REST surfaces: schemathesis' own ignored_auth covers them
    op_id = _op_id(case)
    if "sessionHeader" not in run.security.get(op_id, frozenset()):
        return True
    if not 200 <= response.status_code < 300 or not _claim(run, run.session_verified, op_id):
        return True
    header = run.surface.session_header
    expected = run.surface.unauthenticated
    for label, value in (("without a session", None), ("with an invalid session", "0" * 32)):
        headers = case.headers.copy()
        headers.pop(header, None)
        if value is not None:
            headers[header] = value
        probe = case.derive(headers=headers)
        answer = send_probe(ctx, case, probe)
        body = _json(answer)
        if not expected.matches(answer.status_code, body):
            raise _fail(
                case,
                "Session not enforced",
                f"{case.method} {case.formatted_path} succeeded with a session, and answered "
                f"{_describe(answer.status_code, body)} {label}; expected "
                f"{expected.describe()}.{_probe_task(run, op_id, answer)}",
            )
    return None


@schemathesis.check
def privilege_required(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Where the page names a privilege, the read-only user is refused (NoPermission / 403)."""
    run = run_context(case)
    if run is None or run.readonly is None or run.surface.forbidden is None:
        return True
    op_id = _op_id(case)
    if op_id not in run.privileges or run.surface.session_header is None:
        return True
    if not 200 <= response.status_code < 300 or not _claim(run, run.privilege_verified, op_id):
        return True
    token = run.broker.token(run.readonly)
    headers = case.headers.copy()
    headers[run.surface.session_header] = token
    probe = case.derive(headers=headers)
    answer = send_probe(ctx, case, probe)
    body = _json(answer)
    expected = run.surface.forbidden
    if not expected.matches(answer.status_code, body):
        raise _fail(
            case,
            "Privilege not enforced",
            f"{op_id} requires {run.privileges[op_id]}; the read-only user "
            f"{run.readonly.user} got {_describe(answer.status_code, body)}, "
            f"expected {expected.describe()}.{_probe_task(run, op_id, answer)}",
        )
    return None


@schemathesis.check
def undeclared_method_refused(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """VI/JSON: a method the document does not declare for a path answers 500 InvalidRequest."""
    run = run_context(case)
    if run is None or run.surface.undeclared_method is None:
        return True
    if coverage_scenario(case) != CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        return True
    expected = run.surface.undeclared_method
    body = _json(response)
    if not expected.matches(response.status_code, body):
        method = response.request.method or "?"
        raise _fail(
            case,
            "Undeclared method not refused",
            f"{method} {case.formatted_path} (the document declares only {case.method} there) "
            f"answered {_describe(response.status_code, body)}; expected {expected.describe()}",
        )
    return None


def follow_task(
    run: RunContext, op_id: str, status: int, body: Any, *, by_probe: bool = False
) -> TaskRecord | None:
    """Read the task a call of ``op_id`` started until it ends; None if it started none.

    Called right after every call (``track_calls``) and every probe (the suite's transport),
    before anything else is sent: a change is over before the next request can start another
    one on the same object. A task is read once; later calls get its record.
    """
    read = run.surface.task_reads.get(op_id)
    if read is None or not 200 <= status < 300 or run.admin is None:
        return None
    task_id = json_pointer(body, read.id_pointer)
    if not isinstance(task_id, str) or not task_id:
        return None
    with run.lock:
        found = run.task_records.get(task_id)
        if found is not None:
            return found
        run.started_tasks.add(task_id)
    record = _read_to_end(run, read, op_id, task_id, by_probe=by_probe)
    with run.lock:
        run.task_records[task_id] = record
        run.tasks.append(record)
    return record


def _read_to_end(
    run: RunContext, read: TaskRead, op_id: str, task_id: str, *, by_probe: bool
) -> TaskRecord:
    path = run.base_path() + read.path.format(id=quote(task_id, safe="-._~:"))
    started = time.monotonic()
    reads = 0
    state: Any = None
    problem: str | None = None
    try:
        headers = {}
        if run.surface.session_header is not None:
            assert run.admin is not None
            headers[run.surface.session_header] = run.broker.token(run.admin)
        while True:
            answer = run.broker.target.request(read.method, path, headers=headers)
            reads += 1
            if answer.status_code != 200:
                problem = (
                    f"{read.operation} of task {task_id} (started by {op_id}) answered "
                    f"{_describe(answer.status_code, _json(answer))}"
                )
                break
            state = json_pointer(_json(answer), read.state_pointer)
            ended = isinstance(state, str) and state in read.terminal
            if ended or time.monotonic() - started > run.task_timeout:
                break
            time.sleep(run.task_poll_interval)
    except (requests.RequestException, LoginFailed) as exc:
        problem = f"{read.operation} of task {task_id} (started by {op_id}) failed: {exc}"
    return TaskRecord(
        op_id,
        task_id,
        None if state is None else str(state),
        reads,
        time.monotonic() - started,
        problem=problem,
        by_probe=by_probe,
    )


def _probe_task(run: RunContext, op_id: str, answer: Response) -> str:
    """`` It started task X (read to its end: success).`` for a probe that started a task."""
    record = follow_task(run, op_id, answer.status_code, _json(answer), by_probe=True)
    if record is None:
        return ""
    ended = record.problem or f"read to its end: {record.state}"
    return f" It started task {record.task_id} ({ended})."


@schemathesis.check
def task_completes(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A started task is read until it ends; it must end within the task timeout."""
    run = run_context(case)
    if run is None:
        return True
    op_id = _op_id(case)
    read = run.surface.task_reads.get(op_id)
    if read is None or not 200 <= response.status_code < 300 or run.admin is None:
        return True
    record = follow_task(run, op_id, response.status_code, _json(response))
    if record is None:
        raise _fail(
            case, "No task id", f"{op_id} answered {response.status_code} without a task id"
        )
    if record.problem is not None:
        raise _fail(case, "Task not readable", record.problem)
    if record.state not in read.terminal:
        raise _fail(
            case,
            "Task did not end",
            f"task {record.task_id} started by {op_id} is still {record.state!r} after "
            f"{record.seconds:.0f}s ({record.reads} reads of {read.operation})",
        )
    return None


@schemathesis.check
def simulator_healthy(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """In-process simulator: no unhandled exception and no self-detected spec violation."""
    run = run_context(case)
    if run is None or run.error_log is None:
        return True
    errors = run.error_log()
    with run.lock:
        new = list(errors[run.errors_seen :])
        run.errors_seen = len(errors)
    if new:
        raise _fail(case, "Simulator error", "\n".join(new))
    return None


NOBODY = "vreconnect-contract-nobody@invalid.example"
"""A user name no server has (``.example`` is reserved, RFC 2606)."""


def guard_accounts(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: never send a failing login for a real account of a server not owned.

    A generated ``Login`` body (the documented example included) may name a real account
    with a password that is not its own; vSphere locks an account out after a few failed
    logins in a row (the SSO lockout policy), so on a real server such a body is sent for a
    user that does not exist instead. The request stays as valid or invalid as it was, and
    the server still answers it with InvalidLogin.
    """
    run = run_context(case)
    if run is None or not run.protected or not isinstance(case.body, dict):
        return
    user = case.body.get("userName")
    if (
        isinstance(user, str)
        and user in run.protected
        and case.body.get("password") != run.protected[user]
    ):
        case.body = {**case.body, "userName": NOBODY}


NOBODYS_PASSWORD = "vreconnect-contract-not-a-password"
"""The password sent with :data:`NOBODY` in place of one a body passes on to another host."""

NO_SUCH_HOST = "vreconnect-contract.invalid"
"""A host name that never resolves (``.invalid`` is reserved, RFC 2606)."""


def guard_credentials(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: never send credentials on to another host from a server not owned.

    A body object the server logs in elsewhere with (:class:`ForwardedCredentials`: a
    reconnect's ``cnxSpec``, a redeploy's ``vc_spec.active_location``, a pairing's
    ``pair_psc_info``) may carry the documented example's account (a real one on most
    servers, whose lockout counts failed logins) and a generated host -- ``0`` is the server
    itself. Every non-empty string among its user names, passwords and hosts is replaced by
    one that is nobody's (:data:`NOBODY`, :data:`NOBODYS_PASSWORD`, :data:`NO_SUCH_HOST`): a
    string for a string, so the request stays as valid or invalid as it was (an empty host,
    which breaks ``minLength``, is left alone), and the server still answers it.
    """
    run = run_context(case)
    if run is None or not run.forwarded or not isinstance(case.body, dict):
        return
    op_id = _op_id(case)
    specs = run.forwarded.get(op_id, ())
    if not specs:
        return
    body = copy.deepcopy(case.body)
    changed = False
    for spec in specs:
        found = json_pointer(body, spec.pointer)
        if not isinstance(found, dict):
            continue
        for names, value in (
            (spec.users, NOBODY),
            (spec.passwords, NOBODYS_PASSWORD),
            (spec.hosts, NO_SUCH_HOST),
            (spec.urls, f"https://{NO_SUCH_HOST}"),
        ):
            for name in names:
                current = found.get(name)
                if isinstance(current, str) and current and current != value:
                    found[name] = value
                    changed = True
    if changed:
        case.body = body
        with run.lock:
            run.credentials_replaced[op_id] += 1


UNNAMED_OBJECT = "vreconnect-contract-unnamed-object"
"""The id a request aimed at an object nobody named is sent to instead (no server has it)."""

_NIL_UUID = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

STARTED_TASK: None = None
"""In :attr:`RunContext.object_guard`: the parameter must name a task this run started."""


def guard_objects(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: on a server not owned, change only the objects the user named.

    A state-changing request (``--allow``) whose path names an object that is not in the
    ``--object`` list (a generated id, or a documented example id like ``host-101`` that a
    real vCenter may well have) is sent to an id no server has instead: the server still
    answers it (ManagedObjectNotFound, 404), and no object the user did not name is touched.
    A task id counts as named when this run started the task.
    """
    run = run_context(case)
    if run is None or run.object_guard is None:
        return
    rules = run.object_guard.get(_op_id(case))
    if rules is None:
        return
    params = dict(case.path_parameters or {})
    changed = False
    for name, allowed in rules.items():
        value = params.get(name)
        if allowed is STARTED_TASK:
            with run.lock:
                ok = isinstance(value, str) and value in run.started_tasks
        else:
            ok = isinstance(value, str) and value in allowed
        if not ok:
            params[name] = (
                _NIL_UUID if isinstance(value, str) and _UUID.match(value) else UNNAMED_OBJECT
            )
            changed = True
    if changed:
        case.path_parameters = params
        with run.lock:
            run.redirected[_op_id(case)] += 1


def reset_between_phases(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: an owned simulator starts every phase from its scenario.

    The examples phase, say, heals the VCHA cluster that the coverage phase must find
    degraded. The reset happens here, on the engine's thread just before the phase's first
    request (the stateful phase's scenarios reset themselves as they start); a reset on
    another thread, when the phase's start event gets there, would land at some moment
    in the middle of the phase's first requests. Reset logs every session out: the
    broker's are forgotten, and this case's is replaced with a new one.
    """
    run = run_context(case)
    meta = case.meta
    if run is None or run.reset is None or meta is None:
        return
    phase = str(meta.phase.name.value)
    with run.lock:
        if phase == run.phase:
            return
        run.phase = phase
    if _stateful(case):
        return
    run.reset_server()
    header = run.surface.session_header
    if header is None or run.admin is None or not case.headers:
        return
    if case.headers.get(header) not in (None, SPARE_SESSION):
        case.headers[header] = run.broker.token(run.admin)


def issue_spare(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: a logout case gets its fresh session now, just before it is sent
    (the auth provider put :data:`~vreconnect.contract.sessions.SPARE_SESSION` there)."""
    run = run_context(case)
    header = run.surface.session_header if run is not None else None
    if run is None or header is None or run.admin is None:
        return
    if case.headers and case.headers.get(header) == SPARE_SESSION:
        case.headers[header] = run.broker.spare(run.admin)


def mark_call(context: Any, case: Case[Any], kwargs: dict[str, Any]) -> None:
    """``before_call``: remember which test case is being sent (see :attr:`RunContext.calling`)."""
    run = run_context(case)
    if run is not None:
        with run.lock:
            run.calling = case.id


def is_probe(run: RunContext, case: Case[Any]) -> bool:
    """True for a request a check sends (it never passes through ``before_call``)."""
    with run.lock:
        return case.id != run.calling


def follow_sent(case: Case[Any], response: Response) -> None:
    """The suite's transport calls this with every request it sent, a check's probes included:
    a task a probe started (the server wrongly accepted it) is read to its end before the
    check that sent the probe goes on, and a session a login probe opened is logged out."""
    run = run_context(case)
    if run is None:
        return
    op_id = _op_id(case)
    probe = is_probe(run, case)
    if probe and op_id == run.surface.login_operation:
        # A login probe (ignored_auth: no or invalid credentials) the server accepted opened
        # a session nobody will use: end it now.
        token = session_token(run.surface, response.status_code, response.headers, _json(response))
        if token is not None:
            run.broker.record_login(token)
            run.broker.end_session(token)
    follow_task(run, op_id, response.status_code, _json(response), by_probe=probe)


def _stateful(case: Case[Any]) -> bool:
    from schemathesis.generation.meta import TestPhase

    return case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL


def track_calls(context: Any, case: Case[Any], response: Response) -> None:
    """``after_call``: read the task a call started to its end, and end sessions no one needs.

    Runs before any check, so the task is over before a check's probe (no session, an
    invalid or a read-only one) is sent for the same object. A session a test case's login
    opened is logged out at once outside the stateful phase (no link carries it anywhere);
    in a stateful scenario its flow may log it out, and the scenario's end does otherwise. The
    fresh session given to a logout call is logged out right after it, if the call did not. A server (a real vCenter)
    caps the sessions a user may hold: at most a few are ever open together.
    """
    run = run_context(case)
    if run is None:
        return
    surface = run.surface
    op_id = _op_id(case)
    status = response.status_code
    if op_id == surface.login_operation:
        token = session_token(surface, status, response.headers, _json(response))
        if token is not None:
            run.broker.record_login(token)
            if not _stateful(case):
                run.broker.end_session(token)
    elif op_id in surface.logout_operations and surface.session_header is not None:
        sent = response.request.headers.get(surface.session_header)
        if isinstance(sent, str) and 200 <= status < 300:
            run.broker.record_logout(sent)
        run.broker.end_spares()
    if 200 <= status < 300 and case.path_parameters:
        with run.lock:
            for name, value in case.path_parameters.items():
                if isinstance(value, str):
                    run.answered.setdefault((op_id, name), set()).add(value)
    follow_task(run, op_id, status, _json(response))


# before_call is a global hook in schemathesis (there is no schema-level one); outside a run of
# this suite they do nothing. after_call has a schema-level dispatcher, but registering it
# globally too keeps the two kinds of hooks in one place.
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(
    reset_between_phases, "before_call"
)
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(guard_accounts, "before_call")
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(guard_credentials, "before_call")
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(guard_objects, "before_call")
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(issue_spare, "before_call")
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(mark_call, "before_call")
schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.register_hook_with_name(track_calls, "after_call")
