"""The session lifecycle shared by every entry point, sync and async.

A connection logs in lazily (on ``with``/``async with``, :meth:`login`, or its first call),
keeps the session token on its channels, and logs out on :meth:`close`. The password lives
in a :class:`~._http.Secret` and is never part of ``repr``/``str`` or of any exception text.

Expired sessions. A session can end server-side at any time (idle timeout, a restart, an
administrator). A call the server refuses *for want of a session* -- vSphere
``NotAuthenticated``, vAPI ``unauthenticated``, VR 401, i.e.
:func:`~vreconnect.faults.is_session_expired` -- did nothing on the server, so the
connection logs in again once and sends that same call once more; a second refusal is
raised. Once the new session is open, the refused one is logged out, best effort (the server
may have refused a session that was in fact alive: a load balancer, a replica that lost it),
so that a refusal never leaves a session behind. This holds for reads and for the calls that *start work* alike: "calls that start
work are never retried" is about calls whose outcome is unknown (a transport error, a
timeout, a 5xx) -- those are never resent, since the server may have started the work.
A task wait does its own re-login, once per wait (see :mod:`vreconnect.tasks`); many waits
that notice the same expiry share one re-login. A wait's reads and re-login are each given
one overall time budget (``timeout``, in seconds, turned into a deadline here); see
:class:`~._http.Call` for how it is enforced.

:class:`_ConnectionCore` holds everything that does no I/O: the constructor's arguments, the
channels and generated clients, and the :class:`~._http.Call` of each request (a surface
builds its own: login, logout, task reads, its facade). :class:`SyncConnection` and
:class:`AsyncConnection` only send calls; they are twins that differ by ``await``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

import httpx

from vreconnect import faults
from vreconnect._http import (
    AsyncChannel,
    Call,
    ChannelT,
    GeneratedClient,
    GeneratedT,
    Parser,
    Secret,
    Surface,
    SyncChannel,
    json_body,
    normalize_base_url,
    parse_retry_after,
    secrets_of,
    within,
)
from vreconnect.errors import VReconnectError
from vreconnect.tasks import TaskKind
from vreconnect.tls import TLSConfig
from vreconnect.waiting import TaskStatus

__all__ = ["AsyncConnection", "ConnectionClosed", "SyncConnection", "TaskReader"]

logger = logging.getLogger("vreconnect.session")

T = TypeVar("T")
TransportT = TypeVar("TransportT", bound=httpx.BaseTransport | httpx.AsyncBaseTransport)


class ConnectionClosed(VReconnectError):
    """The connection was closed; open a new one."""


def _check_timeout(timeout: float | None) -> httpx.Timeout:
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return httpx.Timeout(timeout)


class StatusAdapter(Protocol):
    """Turns a task-info document into a TaskStatus (``vim_task_status``, ...)."""

    def __call__(
        self,
        task_id: str,
        info: object,
        *,
        operation: str | None,
        secrets: Sequence[str],
        retry_after: float | None,
    ) -> TaskStatus: ...


@dataclass(frozen=True)
class TaskReader(Generic[ChannelT]):
    """How a surface reads the status of one kind of task."""

    channel: ChannelT
    #: task id -> the generated read's ``request_kwargs``
    request: Callable[[str], Mapping[str, Any]]
    operation: str
    adapt: StatusAdapter
    #: the task-info document in the answer
    body: Parser[object] = json_body


class _ConnectionCore(Generic[TransportT, ChannelT]):
    """Everything of a connection but its I/O; see the module docstring.

    A flavour (sync or async) sets ``_transport_type``/``_transport_hint`` and the
    ``_new_*`` factories; a surface sets ``_task_readers`` and the ``_*_call`` builders.
    """

    #: The transport ``transport=`` must be, and where to turn for the other kind.
    _transport_type: type[TransportT]
    _transport_hint: str
    #: The task kinds this connection follows, and how it reads each one's status.
    _task_readers: Mapping[TaskKind, TaskReader[ChannelT]]

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig,
        timeout: float | None,
        transport: TransportT | None,
    ) -> None:
        if not isinstance(user, str) or not user:
            raise ValueError("user must be a non-empty string")
        if not isinstance(tls, TLSConfig):
            raise TypeError(f"tls must be a TLSConfig, got {type(tls).__name__}")
        self._url = normalize_base_url(url)
        self._user = user
        self._password = Secret(password)
        self._tls = tls
        self._timeout = _check_timeout(timeout)
        self._ssl_context = tls.ssl_context()
        self._token: str | None = None
        self._closed = False
        if transport is not None and not isinstance(transport, self._transport_type):
            raise TypeError(
                f"transport must be an httpx.{self._transport_type.__name__} "
                f"({self._transport_hint})"
            )
        # One connection pool for all the channels of this connection; retries=0: nothing is
        # re-sent behind the caller's back (a POST that starts work must never be repeated).
        self._transport: TransportT = transport or self._new_transport()
        self._channels: list[ChannelT] = []
        self._generated: list[GeneratedClient] = []
        self._lock = self._new_lock()

    # -- the flavour's factories --------------------------------------------------------------

    def _new_transport(self) -> TransportT:
        raise NotImplementedError

    def _new_channel(self, surface: Surface, base_url: str, header: str) -> ChannelT:
        raise NotImplementedError

    def _new_lock(self) -> AbstractContextManager[Any] | AbstractAsyncContextManager[Any]:
        raise NotImplementedError

    # -- the surface's calls ------------------------------------------------------------------

    def _login_call(self) -> Call[ChannelT, str]:
        """The call that logs in and answers the session token."""
        raise NotImplementedError

    def _logout_call(self) -> Call[ChannelT, None]:
        """The call that ends the current session."""
        raise NotImplementedError

    def _cancel_call(self, kind: TaskKind, task_id: str) -> Call[ChannelT, None]:
        """The call that cancels a task (ValueError where there is none)."""
        raise NotImplementedError

    # -- state --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL, as given (normalized, without a trailing slash)."""
        return self._url

    @property
    def user(self) -> str:
        """The user name this connection logs in with."""
        return self._user

    @property
    def tls(self) -> TLSConfig:
        """How the server certificate is trusted."""
        return self._tls

    @property
    def logged_in(self) -> bool:
        """True while the connection holds a session (it may still have expired server-side)."""
        return self._token is not None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    @property
    def _session_token(self) -> str | None:
        return self._token

    def _channel(self, surface: Surface, base_url: str, header: str) -> ChannelT:
        channel = self._new_channel(surface, base_url, header)
        self._channels.append(channel)
        return channel

    def _generated_client(
        self, client_type: Callable[..., GeneratedT], channel: ChannelT
    ) -> GeneratedT:
        """A generated ``AuthenticatedClient`` on ``channel``: it sends with the channel's
        httpx client (session header, transport, TLS), and its ``token`` follows the session."""
        client = channel.bind(
            client_type(
                base_url=channel.base_url,
                token="",
                prefix="",
                auth_header_name=channel.header,
                verify_ssl=self._ssl_context,
                timeout=self._timeout,
            )
        )
        self._generated.append(client)
        return client

    def _apply_token(self, token: str | None) -> None:
        self._token = token
        for channel in self._channels:
            channel.set_token(token)
        for client in self._generated:
            client.token = token or ""

    def _secrets(self, *extra: str | Secret | None) -> tuple[str, ...]:
        """The strings fault decoders must redact: the password plus call-specific ones."""
        return secrets_of(self._password, *extra)

    def _basic_login_call(
        self, channel: ChannelT, request: Mapping[str, Any], operation: str, parse: Parser[str]
    ) -> Call[ChannelT, str]:
        """A login with HTTP Basic authentication (and no session header)."""
        auth = httpx.BasicAuth(self._user, self._password.reveal())
        return Call(channel, request, operation, parse, authenticated=False, auth=auth)

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    # -- task plumbing ------------------------------------------------------------------------

    def _task_status_call(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> Call[ChannelT, TaskStatus]:
        """The status read of task ``task_id`` (ValueError for a kind not followed here)."""
        reader = self._task_readers.get(kind)
        if reader is None:
            name = type(self).__name__
            article = "an" if name[:1] in "AEIOU" else "a"
            raise ValueError(
                f"{article} {name} follows {' and '.join(self._task_readers)} tasks, not {kind!r}"
            )
        task_operation, redact = operation, self._secrets(*secrets)

        def parse(response: httpx.Response, *, operation: str) -> TaskStatus:
            return reader.adapt(
                task_id,
                reader.body(response, operation=operation),
                operation=task_operation,
                secrets=redact,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )

        return Call(
            reader.channel,
            reader.request(task_id),
            reader.operation,
            parse,
            secrets=tuple(secrets),
            read=True,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._url!r}, user={self._user!r})"

    __str__ = __repr__


class SyncConnection(_ConnectionCore[httpx.BaseTransport, SyncChannel]):
    """Base of the blocking entry points: sends the calls its surface builds."""

    _transport_type = httpx.BaseTransport
    _transport_hint = "use the Async* class for async"
    _lock: threading.RLock

    def _new_transport(self) -> httpx.BaseTransport:
        return httpx.HTTPTransport(verify=self._ssl_context, retries=0)

    def _new_channel(self, surface: Surface, base_url: str, header: str) -> SyncChannel:
        return SyncChannel(
            surface=surface,
            base_url=base_url,
            header=header,
            transport=self._transport,
            timeout=self._timeout,
        )

    def _new_lock(self) -> threading.RLock:
        return threading.RLock()

    # -- sending ------------------------------------------------------------------------------

    def _transmit(self, call: Call[SyncChannel, Any]) -> httpx.Response:
        return call.channel.send(call, secrets=self._secrets(*call.secrets))

    def _send(self, call: Call[SyncChannel, T]) -> T:
        """Send ``call`` as it is (no login, never retried) and parse the answer."""
        return call.result(self._transmit(call))

    def _start(self, call: Call[SyncChannel, T]) -> T:
        """Send a call that starts work (log in first if needed) and parse the answer.

        Never resent when its outcome is unknown (transport error, timeout, 5xx). Refused
        for want of a session (:func:`~vreconnect.faults.is_session_expired`), it is sent
        once more after logging in again: that refusal proves the server did nothing.
        """
        return call.result(self._with_session(lambda: self._transmit(call)))

    def _fetch(self, call: Call[SyncChannel, T]) -> T:
        """Send an idempotent read, logging in again once if the session had expired."""
        return call.result(self._with_session(lambda: self._transmit(call)))

    def _with_session(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on a session; if the server refuses it for want of one, log in again
        (unless another caller already did) and run it once more."""
        self._ensure_session()
        stale = self._token
        try:
            return fn()
        except faults.Fault as exc:
            if not faults.is_session_expired(exc):
                raise
            logger.info("%r: %s refused for want of a session; logging in again", self, exc)
        self._reauthenticate(stale)
        return fn()

    # -- lifecycle ----------------------------------------------------------------------------

    def _login(self, deadline: float | None = None) -> str:
        """Log in and return the session token (over by ``deadline``, if there is one)."""
        return self._send(self._login_call().by(deadline))

    def _logout(self) -> None:
        """End the current session (errors are the caller's to log)."""
        self._send(self._logout_call())

    def _logout_quietly(self) -> None:
        """End the current session, if any, best effort: the server's idle timeout ends it
        anyway, so a failure is only logged."""
        if self._token is None:
            return
        try:
            self._logout()
        except VReconnectError as exc:
            logger.debug("logout of %r failed: %s", self, exc)
        self._apply_token(None)

    def login(self) -> Self:
        """Log in now; returns ``self``.

        A session this connection already holds is logged out first (best effort), so that
        logging in again never leaves a session behind on the server.
        """
        with self._lock:
            self._check_open()
            self._logout_quietly()
            self._apply_token(self._login())
        return self

    def _ensure_session(self, deadline: float | None = None) -> None:
        """Log in unless the connection holds a session (ConnectionClosed once closed)."""
        if self._token is None:
            with self._lock:
                self._check_open()
                if self._token is None:
                    self._apply_token(self._login(deadline))
        elif self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None:
        """Log in again unless another caller already replaced the ``stale`` token; the
        re-login takes at most ``timeout`` seconds, if given.

        The dead token is dropped first: if the new login fails, ``logged_in`` is False and
        the next call tries to log in again. Once the new login succeeds, the ``stale``
        session is logged out (best effort, outside the lock).
        """
        deadline = within(timeout)
        with self._lock:
            self._check_open()
            if self._token is not None and self._token != stale:
                return
            logger.info("session of %r expired; logging in again", self)
            self._apply_token(None)
            self._apply_token(self._login(deadline))
        if stale is not None:
            self._logout_stale(stale, deadline)

    def _logout_stale(self, stale: str, deadline: float | None) -> None:
        """Log out session ``stale``, which the server refused; never raises.

        Mostly the server already forgot it and answers so; but a refused session may be
        alive, and would otherwise stay open until the server's idle timeout. Sent with its
        own session header, so the connection's current session is never touched.
        """
        try:
            self._send(self._logout_call().on_session(stale).by(deadline))
        except Exception as exc:  # best effort: the caller's call already succeeded
            logger.debug("logout of the refused session of %r failed: %s", self, exc)

    def close(self) -> None:
        """Log out (best effort) and close the HTTP clients. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._logout_quietly()
            self._apply_token(None)
            self._closed = True
            for channel in self._channels:
                channel.close()

    def __enter__(self) -> Self:
        # A session opened by an earlier call is kept (logging in again would only churn it).
        try:
            self._ensure_session()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- task plumbing (SyncTaskBackend) ------------------------------------------------------

    def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        # Sent once: re-login after an expiry is the wait's business (once per wait). The
        # lazy login, if any, and the read share the ``timeout`` budget.
        deadline = within(timeout)
        self._ensure_session(deadline)
        call = self._task_status_call(kind, task_id, operation, secrets)
        return self._send(call.by(deadline))

    def _fetch_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        return self._fetch(self._task_status_call(kind, task_id, operation, secrets))

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        self._start(self._cancel_call(kind, task_id))


class AsyncConnection(_ConnectionCore[httpx.AsyncBaseTransport, AsyncChannel]):
    """Base of the asyncio entry points; the twin of :class:`SyncConnection`."""

    _transport_type = httpx.AsyncBaseTransport
    _transport_hint = "use the sync class otherwise"
    _lock: asyncio.Lock

    def _new_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(verify=self._ssl_context, retries=0)

    def _new_channel(self, surface: Surface, base_url: str, header: str) -> AsyncChannel:
        return AsyncChannel(
            surface=surface,
            base_url=base_url,
            header=header,
            transport=self._transport,
            timeout=self._timeout,
        )

    def _new_lock(self) -> asyncio.Lock:
        return asyncio.Lock()

    # -- sending ------------------------------------------------------------------------------

    async def _transmit(self, call: Call[AsyncChannel, Any]) -> httpx.Response:
        return await call.channel.send(call, secrets=self._secrets(*call.secrets))

    async def _send(self, call: Call[AsyncChannel, T]) -> T:
        """Send ``call`` as it is (no login, never retried) and parse the answer."""
        return call.result(await self._transmit(call))

    async def _start(self, call: Call[AsyncChannel, T]) -> T:
        """Send a call that starts work; see :meth:`SyncConnection._start`."""
        return call.result(await self._with_session(lambda: self._transmit(call)))

    async def _fetch(self, call: Call[AsyncChannel, T]) -> T:
        """Send an idempotent read, logging in again once if the session had expired."""
        return call.result(await self._with_session(lambda: self._transmit(call)))

    async def _with_session(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn`` on a session; see :meth:`SyncConnection._with_session`."""
        await self._ensure_session()
        stale = self._token
        try:
            return await fn()
        except faults.Fault as exc:
            if not faults.is_session_expired(exc):
                raise
            logger.info("%r: %s refused for want of a session; logging in again", self, exc)
        await self._reauthenticate(stale)
        return await fn()

    # -- lifecycle ----------------------------------------------------------------------------

    async def _login(self, deadline: float | None = None) -> str:
        """Log in and return the session token (over by ``deadline``, if there is one)."""
        return await self._send(self._login_call().by(deadline))

    async def _logout(self) -> None:
        """End the current session (errors are the caller's to log)."""
        await self._send(self._logout_call())

    async def _logout_quietly(self) -> None:
        """End the current session, if any, best effort (failures are only logged)."""
        if self._token is None:
            return
        try:
            await self._logout()
        except VReconnectError as exc:
            logger.debug("logout of %r failed: %s", self, exc)
        self._apply_token(None)

    async def login(self) -> Self:
        """Log in now; returns ``self``. See :meth:`SyncConnection.login`."""
        async with self._lock:
            self._check_open()
            await self._logout_quietly()
            self._apply_token(await self._login())
        return self

    async def _ensure_session(self, deadline: float | None = None) -> None:
        """Log in unless the connection holds a session (ConnectionClosed once closed)."""
        if self._token is None:
            async with self._lock:
                self._check_open()
                if self._token is None:
                    self._apply_token(await self._login(deadline))
        elif self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    async def _reauthenticate(self, stale: str | None, timeout: float | None = None) -> None:
        """Log in again unless another caller already replaced the ``stale`` token, then log
        the ``stale`` session out; see :meth:`SyncConnection._reauthenticate`."""
        deadline = within(timeout)
        async with self._lock:
            self._check_open()
            if self._token is not None and self._token != stale:
                return
            logger.info("session of %r expired; logging in again", self)
            self._apply_token(None)
            self._apply_token(await self._login(deadline))
        if stale is not None:
            await self._logout_stale(stale, deadline)

    async def _logout_stale(self, stale: str, deadline: float | None) -> None:
        """Log out session ``stale``, which the server refused; never raises (see
        :meth:`SyncConnection._logout_stale`)."""
        try:
            await self._send(self._logout_call().on_session(stale).by(deadline))
        except Exception as exc:  # best effort: the caller's call already succeeded
            logger.debug("logout of the refused session of %r failed: %s", self, exc)

    async def close(self) -> None:
        """Log out (best effort) and close the HTTP clients. Idempotent."""
        async with self._lock:
            if self._closed:
                return
            await self._logout_quietly()
            self._apply_token(None)
            self._closed = True
            for channel in self._channels:
                await channel.aclose()

    aclose = close

    async def __aenter__(self) -> Self:
        try:
            await self._ensure_session()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- task plumbing (AsyncTaskBackend) -----------------------------------------------------

    async def _read_task_status(
        self,
        kind: TaskKind,
        task_id: str,
        operation: str | None,
        secrets: Sequence[str],
        timeout: float | None = None,
    ) -> TaskStatus:
        deadline = within(timeout)
        await self._ensure_session(deadline)
        call = self._task_status_call(kind, task_id, operation, secrets)
        return await self._send(call.by(deadline))

    async def _fetch_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        return await self._fetch(self._task_status_call(kind, task_id, operation, secrets))

    async def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        await self._start(self._cancel_call(kind, task_id))
