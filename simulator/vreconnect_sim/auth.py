"""Users, privileges and per-surface sessions.

Privileges checked by the simulated operations (``PRIV_*`` constants):

======================================  ====================================================
``Host.Config.Connection``              ReconnectHost_Task, ReconfigureHostForDAS_Task
``StorageViews.ConfigureService``       VasaProviderReconnect_Task (SMS)
``Global.VCServer``                     vcenter vcha cluster passive redeploy (REST)
``VRMRemote.Manage``                    VR pairing reconnect. Not on the source page (page 004
                                        names no privilege); the simulator's own name for
                                        "the VR manage permission".
``System.Anonymous/View/Read``          every read; held by every user
======================================  ====================================================

Default users (password ``VMware1!`` unless the scenario says otherwise):

* ``administrator@vsphere.local`` -- role ``admin``: every privilege, including unknown ones;
* ``readonly@vsphere.local`` -- role ``readonly``: System.Anonymous, System.View, System.Read;
* ``no-host-config@vsphere.local``, ``no-storage-views@vsphere.local``,
  ``no-vcserver@vsphere.local``, ``no-vr-manage@vsphere.local`` -- role ``admin`` minus exactly
  one of the four privileges above (``exclude``).

Usernames are matched case-insensitively. Passwords are :class:`pydantic.SecretStr` and never
appear in reprs, logs or error messages.

Sessions: one :class:`SessionStore` per login domain -- ``"vim25"`` (shared by the SMS
endpoint, which accepts the vim25 session), ``"rest"`` (vcenter) and ``"vr"``. Tokens come from
:mod:`secrets`; sessions expire after ``idle_timeout`` seconds without use, measured on the
injected clock, and are invalidated by logout (``invalidate``) and reset.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .clock import Clock

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERS",
    "DOCUMENTED_PRIVILEGES",
    "PRIV_GLOBAL_VCSERVER",
    "PRIV_HOST_CONFIG_CONNECTION",
    "PRIV_STORAGE_VIEWS_CONFIGURE",
    "PRIV_VR_MANAGE",
    "READONLY_PRIVILEGES",
    "Session",
    "SessionStore",
    "User",
    "UserDirectory",
    "UserSpec",
    "credentials_match",
]

PRIV_HOST_CONFIG_CONNECTION = "Host.Config.Connection"
PRIV_STORAGE_VIEWS_CONFIGURE = "StorageViews.ConfigureService"
PRIV_GLOBAL_VCSERVER = "Global.VCServer"
PRIV_VR_MANAGE = "VRMRemote.Manage"
DOCUMENTED_PRIVILEGES: tuple[str, ...] = (
    PRIV_HOST_CONFIG_CONNECTION,
    PRIV_STORAGE_VIEWS_CONFIGURE,
    PRIV_GLOBAL_VCSERVER,
    PRIV_VR_MANAGE,
)
READONLY_PRIVILEGES: frozenset[str] = frozenset({"System.Anonymous", "System.View", "System.Read"})
DEFAULT_PASSWORD = "VMware1!"

Role = Literal["admin", "readonly", "none"]


class UserSpec(BaseModel):
    """A user as written in a scenario's ``users`` list."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Login name, e.g. administrator@vsphere.local.")
    password: SecretStr = Field(default_factory=lambda: SecretStr(DEFAULT_PASSWORD))
    role: Role = Field(
        default="admin", description="admin = all privileges; readonly = System.* only."
    )
    privileges: list[str] = Field(default_factory=list, description="Granted on top of the role.")
    exclude: list[str] = Field(
        default_factory=list, description="Withheld even if the role has them."
    )
    full_name: str | None = None


DEFAULT_USERS: tuple[UserSpec, ...] = (
    UserSpec(name="administrator@vsphere.local", role="admin", full_name="Administrator"),
    UserSpec(name="readonly@vsphere.local", role="readonly", full_name="Read-only user"),
    UserSpec(name="no-host-config@vsphere.local", exclude=[PRIV_HOST_CONFIG_CONNECTION]),
    UserSpec(name="no-storage-views@vsphere.local", exclude=[PRIV_STORAGE_VIEWS_CONFIGURE]),
    UserSpec(name="no-vcserver@vsphere.local", exclude=[PRIV_GLOBAL_VCSERVER]),
    UserSpec(name="no-vr-manage@vsphere.local", exclude=[PRIV_VR_MANAGE]),
)
"""The users of the embedded default scenario (also used when a scenario omits ``users``)."""


@dataclass(frozen=True, slots=True)
class User:
    """A resolved user. ``has(privilege)`` is the one question surfaces ask."""

    name: str
    role: Role
    granted: frozenset[str]
    excluded: frozenset[str]
    full_name: str | None = None
    _password: SecretStr = field(default=SecretStr(""), repr=False, compare=False)

    def has(self, privilege: str) -> bool:
        """True if the user holds ``privilege``."""
        if privilege in self.excluded:
            return False
        if self.role == "admin":
            return True
        return privilege in self.granted or (
            self.role == "readonly" and privilege in READONLY_PRIVILEGES
        )

    def check_password(self, password: str) -> bool:
        """Constant-time password comparison."""
        return hmac.compare_digest(self._password.get_secret_value().encode(), password.encode())

    @classmethod
    def from_spec(cls, spec: UserSpec) -> User:
        """Build from a scenario entry."""
        return cls(
            name=spec.name,
            role=spec.role,
            granted=frozenset(spec.privileges),
            excluded=frozenset(spec.exclude),
            full_name=spec.full_name,
            _password=spec.password,
        )


class UserDirectory:
    """The scenario's users, looked up case-insensitively."""

    def __init__(self, users: Iterable[UserSpec | User] = DEFAULT_USERS) -> None:
        self._users: dict[str, User] = {}
        for u in users:
            user = u if isinstance(u, User) else User.from_spec(u)
            self._users[user.name.lower()] = user

    def get(self, name: str) -> User | None:
        """The user called ``name``, or None."""
        return self._users.get(name.lower())

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``name``/``password`` are right, else None (never says which was wrong)."""
        user = self._users.get(name.lower())
        if user is None or not user.check_password(password):
            return None
        return user

    def __iter__(self) -> Any:
        return iter(self._users.values())

    def __len__(self) -> int:
        return len(self._users)


def credentials_match(user: str, password: str, expected_user: str, expected: SecretStr) -> bool:
    """True if ``user``/``password`` are ``expected_user``/``expected`` (user names compared
    case-insensitively, passwords in constant time); for credentials a simulated remote
    system (management vCenter, PSC) holds."""
    good_user = user.lower() == expected_user.lower()
    good_password = hmac.compare_digest(password.encode(), expected.get_secret_value().encode())
    return good_user and good_password


@dataclass(slots=True)
class Session:
    """A logged-in session. ``data`` is free for the surface (e.g. vim25's UserSession key)."""

    token: str = field(repr=False)
    user: User
    store: str
    created: float  # wall epoch seconds
    last_active: float  # wall epoch seconds
    data: dict[str, Any] = field(default_factory=dict)
    _last_mono: float = field(default=0.0, repr=False)


def default_token() -> str:
    """A 40-hex-digit token, the shape vCenter uses for ``vmware-api-session-id``."""
    return secrets.token_hex(20)


class SessionStore:
    """Sessions of one login domain; thread-safe; idle expiry on the injected clock."""

    def __init__(
        self,
        name: str,
        clock: Clock,
        idle_timeout: float = 1800.0,
        token_factory: Callable[[], str] = default_token,
    ) -> None:
        self.name = name
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.token_factory = token_factory
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._creates = 0

    def create(self, user: User, **data: Any) -> Session:
        """Start a session for ``user``; ``data`` is stored on the session."""
        now_mono, now_wall = self.clock.monotonic(), self.clock.time()
        with self._lock:
            self._creates += 1
            if self._creates % 256 == 0:  # amortised sweep bounds memory of abandoned sessions
                self._sweep(now_mono)
            token = self.token_factory()
            while token in self._sessions:
                token = self.token_factory()
            session = Session(token, user, self.name, now_wall, now_wall, dict(data), now_mono)
            self._sessions[token] = session
            return session

    def lookup(self, token: str | None, *, touch: bool = True) -> Session | None:
        """The live session for ``token`` (refreshing its idle timer), or None if unknown/expired."""
        if not token:
            return None
        now = self.clock.monotonic()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if now - session._last_mono > self.idle_timeout:
                del self._sessions[token]
                return None
            if touch:
                session._last_mono = now
                session.last_active = self.clock.time()
            return session

    def invalidate(self, token: str | None) -> bool:
        """Log out: forget ``token``; True if it was a live session."""
        if not token:
            return False
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def invalidate_user(self, name: str) -> int:
        """Forget every session of one user; returns how many."""
        with self._lock:
            doomed = [t for t, s in self._sessions.items() if s.user.name.lower() == name.lower()]
            for t in doomed:
                del self._sessions[t]
            return len(doomed)

    def clear(self) -> None:
        """Forget every session."""
        with self._lock:
            self._sessions.clear()

    def invalidate_all(self) -> int:
        """Log every session out; returns how many were live (not yet expired)."""
        with self._lock:
            self._sweep(self.clock.monotonic())
            live = len(self._sessions)
            self._sessions.clear()
            return live

    def active(self) -> list[Session]:
        """Sessions not yet expired."""
        with self._lock:
            self._sweep(self.clock.monotonic())
            return list(self._sessions.values())

    def __len__(self) -> int:
        return len(self._sessions)

    def _sweep(self, now: float) -> None:
        horizon = now - self.idle_timeout
        for t in [t for t, s in self._sessions.items() if s._last_mono < horizon]:
            del self._sessions[t]
