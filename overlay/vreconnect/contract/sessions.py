"""Real logins for the suite: a session broker and the schemathesis auth provider built on it.

Every session the suite uses comes from the surface's own login call (never a made-up token),
so the login itself is under test too. :class:`SessionBroker` keeps one session per user and
hands out a *fresh* one to every logout call, so a logout under test never ends the session
the rest of the run depends on.

Stateful flows carry their own session: a ``Login`` step opens one, and the document's links
pass it on (in the session header) to the operations after it, down to the ``Logout`` that
ends it. The broker learns every session a test case's login opened (``record_login``), and
the auth provider leaves such a session on a case that a link gave it. A server caps how many
sessions a user may hold, so none is kept longer than something can use it: a session a test
case opened outside a stateful scenario is logged out right after that case, one a logout
call failed to end right after that call, and those a scenario's flows left open when the
scenario ends (``end_session``, ``end_spares``, ``end_flows``). Whatever is still open when
the run ends -- the broker's own sessions above all -- is logged out then (``logout_all``).
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import requests

from .surfaces import Surface
from .target import Target

if TYPE_CHECKING:
    from schemathesis.auths import AuthContext
    from schemathesis.generation.case import Case

__all__ = [
    "SPARE_SESSION",
    "AuthData",
    "Credentials",
    "CredentialsRejected",
    "LoginFailed",
    "NotAllowed",
    "SessionBroker",
    "basic_auth_header",
    "make_auth_provider",
    "operation_security",
    "session_token",
]


@dataclass(frozen=True)
class Credentials:
    """A user name and password; ``repr`` never shows the password."""

    user: str
    password: str = field(repr=False)


class LoginFailed(Exception):
    """A login through the surface's login call did not give a session."""


class CredentialsRejected(LoginFailed):
    """The server refused the user name or password (InvalidLogin, 401).

    Other surfaces of the same server share the account store: the suite stops at the first
    one, so a wrong password is sent once (an SSO account locks after a few failed logins).
    """

    def __init__(self, message: str, user: str, surface: str) -> None:
        super().__init__(message)
        self.user = user
        self.surface = surface


@dataclass(frozen=True)
class AuthData:
    """What the auth provider puts on a case: HTTP Basic credentials or a session token."""

    kind: Literal["basic", "session"]
    value: str = field(repr=False)


def operation_security(spec: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the security scheme names it accepts (empty: callable without a session)."""
    default = spec.get("security") or []
    result: dict[str, frozenset[str]] = {}
    for item in (spec.get("paths") or {}).values():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            requirements = op.get("security", default) or []
            names = frozenset(name for req in requirements for name in req)
            result[str(op.get("operationId"))] = names
    return result


def basic_auth_header(creds: Credentials) -> str:
    """The ``Authorization: Basic ...`` value for ``creds``."""
    raw = f"{creds.user}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _header(headers: Mapping[str, Any] | None, name: str) -> Any:
    """The value of header ``name`` in ``headers`` (names compare case-insensitively)."""
    if not headers:
        return None
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value[0] if isinstance(value, list) and value else value
    return None


def session_token(
    surface: Surface, status: int, headers: Mapping[str, Any], body: Any
) -> str | None:
    """The session a successful login answer carries (None if it carries none).

    VI/JSON: the ``vmware-api-session-id`` response header; vSphere Automation REST:
    ``{"value": token}``; VR REST: ``{"session_id": token}`` (protocols.md).
    """
    if not 200 <= status < 300:
        return None
    if surface.auth == "vim_login":
        found = _header(headers, "vmware-api-session-id")
    elif surface.auth in ("vapi_basic", "vr_basic") and isinstance(body, Mapping):
        found = body.get("value" if surface.auth == "vapi_basic" else "session_id")
    else:
        found = None
    return found if isinstance(found, str) and found else None


class SessionBroker:
    """Logs in through a surface's real login call; caches one session per user.

    It also keeps account of every other session of the run (spare ones handed to logout
    calls, and those test cases' own logins opened) so that :meth:`logout_all` ends them all.
    Thread-safe (schemathesis runs stateful tests in a thread of its own). ``release`` is the
    VI/JSON release of the ``/sdk/vim25/{release}`` paths.
    """

    def __init__(self, surface: Surface, target: Target, release: str) -> None:
        self.surface = surface
        self.target = target
        self.release = release
        self._tokens: dict[Credentials, str] = {}
        self._spare: set[str] = set()
        self._flows: set[str] = set()
        self._lock = threading.Lock()
        self._session_manager: str | None = None
        self.on_token: Callable[[str], None] | None = None
        """Called with every token issued (the report redacts them)."""
        self.flow_sessions_opened = 0
        """Sessions the test cases' own logins opened."""
        self.flow_sessions_ended = 0
        """Of those, the ones a logout test case ended (a flow's link carried it there)."""
        self.sessions_ended_early = 0
        """Sessions test cases opened that the broker logged out as soon as nothing could use
        them any more (after the case, or the stateful scenario, that opened them)."""
        self.sessions_ended_after = 0
        """Sessions still open when the run ended, which :meth:`logout_all` logged out."""
        self.sessions_peak = 0
        """The most sessions of this run known open at once (the broker's, spare ones and
        those test cases opened)."""

    # -- logins ---------------------------------------------------------------------------------

    def session_manager(self) -> str:
        """The SessionManager's moId, from the ServiceContent (``SessionManager`` on vCenter)."""
        if self._session_manager is None:
            name = "SessionManager"
            try:
                r = self.target.request(
                    "GET", f"/sdk/vim25/{self.release}/ServiceInstance/ServiceInstance/content"
                )
                value = r.json().get("sessionManager", {}).get("value") if r.ok else None
                if isinstance(value, str) and value:
                    name = value
            except (requests.RequestException, ValueError, AttributeError):
                pass
            self._session_manager = name
        return self._session_manager

    def login(self, creds: Credentials) -> str:
        """Log in as ``creds`` and return the new session's token (never cached).

        Raises:
            LoginFailed: the server did not answer with a session.
            requests.RequestException: the server could not be reached.
        """
        surface = self.surface
        if surface.login_path is None:
            raise LoginFailed(f"{surface.name} has no login")
        path = surface.login_path.format(
            release=self.release,
            session_manager=self.session_manager() if surface.auth == "vim_login" else "",
        )
        if surface.auth == "vim_login":
            r = self.target.request(
                "POST", path, json={"userName": creds.user, "password": creds.password}
            )
        else:
            r = self.target.request(
                "POST", path, headers={"Authorization": basic_auth_header(creds)}
            )
        try:
            body = r.json()
        except ValueError:
            body = None
        token = session_token(surface, r.status_code, r.headers, body)
        if token and self.on_token is not None:
            self.on_token(token)
        if not token:
            fault = _fault_name(r)
            message = (
                f"{surface.name}: login as {creds.user} failed: HTTP {r.status_code} {fault}"
            ).rstrip()
            # The documented answers to a wrong user name or password (protocols.md): the
            # InvalidLogin fault on VI/JSON, 401 on both REST surfaces.
            if (surface.auth == "vim_login" and fault == "InvalidLogin") or (
                surface.auth != "vim_login" and r.status_code == 401
            ):
                raise CredentialsRejected(message, creds.user, surface.name)
            raise LoginFailed(message)
        return token

    def _count_open(self) -> None:
        # Under self._lock.
        self.sessions_peak = max(
            self.sessions_peak, len(self._tokens) + len(self._spare) + len(self._flows)
        )

    def token(self, creds: Credentials) -> str:
        """The cached session of ``creds`` (logging in on first use)."""
        with self._lock:
            found = self._tokens.get(creds)
            if found is None:
                found = self._tokens[creds] = self.login(creds)
                self._count_open()
            return found

    def spare(self, creds: Credentials) -> str:
        """A fresh session of ``creds`` for a logout call to end (never the cached one)."""
        token = self.login(creds)
        with self._lock:
            self._spare.add(token)
            self._count_open()
        return token

    def record_login(self, token: str) -> None:
        """A test case's login opened session ``token`` (its flow may pass it on)."""
        if self.on_token is not None:
            self.on_token(token)
        with self._lock:
            if token not in self._flows:
                self._flows.add(token)
                self.flow_sessions_opened += 1
                self._count_open()

    def end_session(self, token: str) -> None:
        """Log out session ``token`` a test case opened, now (nothing will use it any more)."""
        with self._lock:
            if token not in self._flows:
                return
            self._flows.discard(token)
        self._end([token], flows=True)

    def end_spares(self) -> None:
        """Log out every spare session still open (a logout call was sent: the spare it was
        given is ended or never will be -- a negative case may have dropped the header)."""
        with self._lock:
            spare = sorted(self._spare)
            self._spare.clear()
        self._end(spare, flows=False)

    def end_flows(self) -> None:
        """Log out every session test cases opened, and every spare one (a stateful scenario
        ended: no link can carry them any further)."""
        with self._lock:
            flows = sorted(self._flows)
            spare = sorted(self._spare)
            self._flows.clear()
            self._spare.clear()
        self._end(flows, flows=True)
        self._end(spare, flows=False)

    def _end(self, tokens: list[str], *, flows: bool) -> None:
        for token in tokens:
            with contextlib.suppress(requests.RequestException):
                self._logout(token)
                if flows:
                    with self._lock:
                        self.sessions_ended_early += 1

    def record_logout(self, token: str) -> None:
        """A logout test case ended session ``token``."""
        with self._lock:
            if token in self._flows:
                self._flows.discard(token)
                self.flow_sessions_ended += 1
            self._spare.discard(token)

    def is_flow_session(self, token: str) -> bool:
        """True if a test case's login opened ``token`` and no logout ended it yet."""
        with self._lock:
            return token in self._flows

    def forget(self) -> None:
        """Drop every session known (after the server was reset, they are gone)."""
        with self._lock:
            self._tokens.clear()
            self._spare.clear()
            self._flows.clear()

    def logout_all(self) -> int:
        """Log out every session still open: the cached ones, spare ones a logout call did not
        end, and those test cases opened (best effort: the run is over either way).

        Returns how many were logged out.
        """
        with self._lock:
            tokens = [*self._tokens.values(), *sorted(self._spare), *sorted(self._flows)]
            self._tokens.clear()
            self._spare.clear()
            self._flows.clear()
        ended = 0
        for token in tokens:
            with contextlib.suppress(requests.RequestException):
                self._logout(token)
                ended += 1
        self.sessions_ended_after += ended
        return ended

    def _logout(self, token: str) -> None:
        surface = self.surface
        if surface.session_header is None or surface.login_path is None:
            return
        headers = {surface.session_header: token}
        if surface.auth == "vim_login":
            path = f"/sdk/vim25/{self.release}/SessionManager/{self.session_manager()}/Logout"
            self.target.request("POST", path, headers=headers)
        else:
            self.target.request("DELETE", surface.login_path, headers=headers)


def _fault_name(r: requests.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        for key in ("_typeName", "type", "error_code"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return ""


SPARE_SESSION = "vreconnect-contract-spare-session"
"""Stands for the fresh session a logout case gets, until just before it is sent."""


class NotAllowed(Exception):
    """A request for an operation the run was not allowed to send (a safety net)."""


def make_auth_provider(
    broker: SessionBroker,
    security: Mapping[str, frozenset[str]],
    creds: Credentials,
    *,
    allowed: frozenset[str] | None = None,
) -> type:
    """A schemathesis auth provider class (``schema.auth()(cls)``) for one run.

    * operations without security (VI/JSON ``Login``, ``GetServiceInstanceContent``): nothing;
    * ``basicAuth`` operations (the REST logins): the user's HTTP Basic credentials;
    * ``sessionHeader`` operations: the session a link carried from the flow's own login step
      if the case has one (so a flow logs in, works and logs out on one session), else the
      user's cached session, or a fresh one for a logout (:data:`SPARE_SESSION` until the call).

    schemathesis instantiates the class itself, without arguments, hence the closure.
    ``allowed``: the operations the run may send; a case for any other one is stopped here,
    before it is sent (the run already leaves them out: this is a second lock on the door).
    """
    surface = broker.surface

    class SuiteAuth:
        """Authenticates every generated case through the surface's real login."""

        def get(self, case: Case[Any], context: AuthContext) -> AuthData | None:
            op_id = str(context.operation.definition.raw.get("operationId"))
            if allowed is not None and op_id not in allowed:
                raise NotAllowed(f"refusing to send {op_id}: it changes state and was not allowed")
            schemes = security.get(op_id, frozenset())
            if "basicAuth" in schemes:
                return AuthData("basic", basic_auth_header(creds))
            if "sessionHeader" in schemes:
                assert surface.session_header is not None
                carried = _header(case.headers, surface.session_header)
                if isinstance(carried, str) and broker.is_flow_session(carried):
                    return AuthData("session", carried)
                if op_id in surface.logout_operations:
                    # schemathesis sets auth when it generates a case, a batch of them before
                    # any is sent: the fresh session is made just before the call instead
                    # (checks.issue_spare), so at most one is ever waiting.
                    return AuthData("session", SPARE_SESSION)
                return AuthData("session", broker.token(creds))
            return None

        def set(self, case: Case[Any], data: AuthData, context: AuthContext) -> None:
            if data.kind == "basic":
                case.headers["Authorization"] = data.value
            else:
                assert surface.session_header is not None
                case.headers[surface.session_header] = data.value

    return SuiteAuth
