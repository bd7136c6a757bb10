"""The session lifecycle shared by every entry point, sync and async.

A connection logs in lazily (on ``with``/``async with``, :meth:`login`, or its first call),
keeps the session token on its channels, re-establishes an expired session when a task wait
asks for it (once per wait, and only one re-login for many waits that notice the same
expiry), and logs out on :meth:`close`. The password lives in a :class:`~._http.Secret` and
is never part of ``repr``/``str`` or of any exception text.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

import httpx

from vreconnect import faults
from vreconnect._http import (
    AsyncChannel,
    Secret,
    Surface,
    SyncChannel,
    normalize_base_url,
    secrets_of,
)
from vreconnect.errors import VReconnectError
from vreconnect.tls import TLSConfig

__all__ = ["AsyncConnection", "ConnectionClosed", "SyncConnection"]

logger = logging.getLogger("vreconnect.session")

T = TypeVar("T")


class ConnectionClosed(VReconnectError):
    """The connection was closed; open a new one."""


def _check_timeout(timeout: float | None) -> httpx.Timeout:
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return httpx.Timeout(timeout)


class _ConnectionCore:
    """State common to the sync and async connections."""

    def __init__(
        self, url: str, user: str, password: str, *, tls: TLSConfig, timeout: float | None
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

    def _secrets(self, *extra: str | Secret | None) -> tuple[str, ...]:
        """The strings fault decoders must redact: the password plus call-specific ones."""
        return secrets_of(self._password, *extra)

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._url!r}, user={self._user!r})"

    __str__ = __repr__


class SyncConnection(_ConnectionCore):
    """Base of the blocking entry points. Subclasses implement ``_login`` and ``_logout``."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig,
        timeout: float | None,
        transport: httpx.BaseTransport | None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout)
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError(
                "transport must be an httpx.BaseTransport (use the Async* class for async)"
            )
        # One connection pool for all the channels of this connection; retries=0: nothing is
        # re-sent behind the caller's back (a POST that starts work must never be repeated).
        self._transport = transport or httpx.HTTPTransport(verify=self._ssl_context, retries=0)
        self._channels: list[SyncChannel] = []
        self._lock = threading.RLock()

    def _channel(self, surface: Surface, base_url: str, header: str) -> SyncChannel:
        channel = SyncChannel(
            surface=surface,
            base_url=base_url,
            header=header,
            transport=self._transport,
            timeout=self._timeout,
        )
        self._channels.append(channel)
        return channel

    # -- to implement -------------------------------------------------------------------------

    def _login(self) -> str:
        """Log in and return the session token."""
        raise NotImplementedError

    def _logout(self) -> None:
        """End the current session (best effort; errors are logged by :meth:`close`)."""
        raise NotImplementedError

    def _on_token(self, token: str | None) -> None:
        """Hook: the session token changed (subclasses update their generated clients)."""

    # -- lifecycle ----------------------------------------------------------------------------

    def _apply_token(self, token: str | None) -> None:
        self._token = token
        for channel in self._channels:
            channel.set_token(token)
        self._on_token(token)

    def login(self) -> Self:
        """Log in now (replacing any current session); returns ``self``."""
        with self._lock:
            self._check_open()
            self._apply_token(self._login())
        return self

    def _ensure_session(self) -> None:
        if self._token is None:
            with self._lock:
                self._check_open()
                if self._token is None:
                    self._apply_token(self._login())
        elif self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    def _reauthenticate(self, stale: str | None) -> None:
        """Log in again unless another caller already replaced the ``stale`` token."""
        with self._lock:
            self._check_open()
            if self._token is not None and self._token != stale:
                return
            logger.info("session of %r expired; logging in again", self)
            self._apply_token(self._login())

    def _read(self, fn: Callable[[], T]) -> T:
        """Run an idempotent read, logging in again once if the session had expired."""
        self._ensure_session()
        stale = self._token
        try:
            return fn()
        except faults.Fault as exc:
            if not faults.is_session_expired(exc):
                raise
        self._reauthenticate(stale)
        return fn()

    def close(self) -> None:
        """Log out (best effort) and close the HTTP clients. Idempotent."""
        with self._lock:
            if self._closed:
                return
            if self._token is not None:
                try:
                    self._logout()
                except VReconnectError as exc:
                    # The session dies with its idle timeout anyway; closing must not fail.
                    logger.debug("logout of %r failed: %s", self, exc)
            self._apply_token(None)
            self._closed = True
            for channel in self._channels:
                channel.close()

    def __enter__(self) -> Self:
        try:
            self.login()
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


class AsyncConnection(_ConnectionCore):
    """Base of the asyncio entry points; the twin of :class:`SyncConnection`."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig,
        timeout: float | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout)
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                "transport must be an httpx.AsyncBaseTransport (use the sync class otherwise)"
            )
        self._transport = transport or httpx.AsyncHTTPTransport(verify=self._ssl_context, retries=0)
        self._channels: list[AsyncChannel] = []
        self._lock = asyncio.Lock()

    def _channel(self, surface: Surface, base_url: str, header: str) -> AsyncChannel:
        channel = AsyncChannel(
            surface=surface,
            base_url=base_url,
            header=header,
            transport=self._transport,
            timeout=self._timeout,
        )
        self._channels.append(channel)
        return channel

    # -- to implement -------------------------------------------------------------------------

    async def _login(self) -> str:
        """Log in and return the session token."""
        raise NotImplementedError

    async def _logout(self) -> None:
        """End the current session (best effort; errors are logged by :meth:`close`)."""
        raise NotImplementedError

    def _on_token(self, token: str | None) -> None:
        """Hook: the session token changed (subclasses update their generated clients)."""

    # -- lifecycle ----------------------------------------------------------------------------

    def _apply_token(self, token: str | None) -> None:
        self._token = token
        for channel in self._channels:
            channel.set_token(token)
        self._on_token(token)

    async def login(self) -> Self:
        """Log in now (replacing any current session); returns ``self``."""
        async with self._lock:
            self._check_open()
            self._apply_token(await self._login())
        return self

    async def _ensure_session(self) -> None:
        if self._token is None:
            async with self._lock:
                self._check_open()
                if self._token is None:
                    self._apply_token(await self._login())
        elif self._closed:
            raise ConnectionClosed(f"{self!r} is closed")

    async def _reauthenticate(self, stale: str | None) -> None:
        """Log in again unless another caller already replaced the ``stale`` token."""
        async with self._lock:
            self._check_open()
            if self._token is not None and self._token != stale:
                return
            logger.info("session of %r expired; logging in again", self)
            self._apply_token(await self._login())

    async def _read(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run an idempotent read, logging in again once if the session had expired."""
        await self._ensure_session()
        stale = self._token
        try:
            return await fn()
        except faults.Fault as exc:
            if not faults.is_session_expired(exc):
                raise
        await self._reauthenticate(stale)
        return await fn()

    async def close(self) -> None:
        """Log out (best effort) and close the HTTP clients. Idempotent."""
        async with self._lock:
            if self._closed:
                return
            if self._token is not None:
                try:
                    await self._logout()
                except VReconnectError as exc:
                    logger.debug("logout of %r failed: %s", self, exc)
            self._apply_token(None)
            self._closed = True
            for channel in self._channels:
                await channel.aclose()

    aclose = close

    async def __aenter__(self) -> Self:
        try:
            await self.login()
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
