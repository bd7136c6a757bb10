"""Real logins for the suite: a session broker and the schemathesis auth provider built on it.

Every session the suite uses comes from the surface's own login call (never a made-up token),
so the login itself is under test too. :class:`SessionBroker` keeps one session per user and
hands out a *fresh* one to every logout call, so a logout under test never ends the session
the rest of the run depends on.
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
    "AuthData",
    "Credentials",
    "LoginFailed",
    "NotAllowed",
    "SessionBroker",
    "basic_auth_header",
    "make_auth_provider",
    "operation_security",
]


@dataclass(frozen=True)
class Credentials:
    """A user name and password; ``repr`` never shows the password."""

    user: str
    password: str = field(repr=False)


class LoginFailed(Exception):
    """A login through the surface's login call did not give a session."""


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


class SessionBroker:
    """Logs in through a surface's real login call; caches one session per user.

    Thread-safe (schemathesis runs stateful tests in a thread of its own). ``release`` is the
    VI/JSON release of the ``/sdk/vim25/{release}`` paths.
    """

    def __init__(self, surface: Surface, target: Target, release: str) -> None:
        self.surface = surface
        self.target = target
        self.release = release
        self._tokens: dict[Credentials, str] = {}
        self._lock = threading.Lock()
        self._session_manager: str | None = None
        self.on_token: Callable[[str], None] | None = None
        """Called with every token issued (the report redacts them)."""

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
            token = r.headers.get("vmware-api-session-id") if r.status_code == 200 else None
        else:
            r = self.target.request(
                "POST", path, headers={"Authorization": basic_auth_header(creds)}
            )
            token = None
            if r.status_code == 200:
                try:
                    body = r.json()
                except ValueError:
                    body = {}
                key = "value" if surface.auth == "vapi_basic" else "session_id"
                found = body.get(key) if isinstance(body, Mapping) else None
                token = found if isinstance(found, str) else None
        if token and self.on_token is not None:
            self.on_token(token)
        if not token:
            raise LoginFailed(
                f"{surface.name}: login as {creds.user} failed: HTTP {r.status_code} "
                f"{_fault_name(r)}".rstrip()
            )
        return token

    def token(self, creds: Credentials) -> str:
        """The cached session of ``creds`` (logging in on first use)."""
        with self._lock:
            found = self._tokens.get(creds)
            if found is None:
                found = self._tokens[creds] = self.login(creds)
            return found

    def forget(self) -> None:
        """Drop every cached session (after the server was reset, they are gone)."""
        with self._lock:
            self._tokens.clear()

    def logout_all(self) -> None:
        """Log out every cached session (best effort: the run is over either way)."""
        with self._lock:
            tokens = list(self._tokens.values())
            self._tokens.clear()
        for token in tokens:
            with contextlib.suppress(requests.RequestException):
                self._logout(token)

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
    * ``sessionHeader`` operations: the user's cached session, or a fresh one for a logout.

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
                if op_id in surface.logout_operations:
                    return AuthData("session", broker.login(creds))
                return AuthData("session", broker.token(creds))
            return None

        def set(self, case: Case[Any], data: AuthData, context: AuthContext) -> None:
            if data.kind == "basic":
                case.headers["Authorization"] = data.value
            else:
                assert surface.session_header is not None
                case.headers[surface.session_header] = data.value

    return SuiteAuth
