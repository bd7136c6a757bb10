"""Plumbing shared by the entry points: channels, error mapping, secrets, session bookkeeping.

Every request is built by the generated client module's own ``request_kwargs`` (so paths, query
parameters and bodies are exactly the generated code's) and sent on the httpx client behind
the generated :class:`AuthenticatedClient`. The response is then handled here rather than by
the generated ``_parse_response``, because that parser raises on any body outside the
documented union (an unlisted fault type, a proxy's HTML page, a new enum value) and the
raw body would be lost; faults are decoded from the raw ``response.content`` instead.

A request is a :class:`Call`, built without I/O: the channel it goes on, the generated
request, the operation name and the :class:`Parser` for a 2xx answer. The sync and async
channels and connections only send calls; everything else is shared.

A call with a ``deadline`` (a task wait's reads and re-login) must be over, answer body
included, by then. httpx's timeouts cannot say that: each bounds one phase or one chunk and
starts again with the next, so a server (or proxy) that drips its answer a byte at a time
would hold the call indefinitely. The async channel runs the request under
``asyncio.timeout``; the sync one streams the answer and checks the clock between chunks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import json
import logging
import math
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Generic, Literal, Protocol, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from vreconnect import faults
from vreconnect.errors import TransportError, VReconnectError
from vreconnect.tls import CertificateMismatch, find_in_chain, find_pin_mismatch
from vreconnect.waiting import is_transient

__all__ = [
    "AsyncChannel",
    "Call",
    "Channel",
    "GatewayError",
    "GeneratedClient",
    "Parser",
    "Secret",
    "Surface",
    "SyncChannel",
    "UnexpectedResponse",
    "capped_timeout",
    "check_id",
    "decode_failure",
    "ignore",
    "is_transient_read_error",
    "json_body",
    "model_parser",
    "normalize_base_url",
    "parse_retry_after",
    "string_field",
    "transport_failure",
    "within",
]

logger = logging.getLogger("vreconnect.http")

Surface = Literal["vim25", "sms", "vcenter", "vr"]

_GATEWAY_STATUSES = frozenset({502, 503, 504})

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
ClientT = TypeVar("ClientT", httpx.Client, httpx.AsyncClient)
GeneratedT = TypeVar("GeneratedT", bound="GeneratedClient")
ChannelT = TypeVar("ChannelT", bound="Channel[Any]")


# ---------------------------------------------------------------------------- errors


class GatewayError(TransportError):
    """The server (or a proxy in front of it) answered 502, 503 or 504 without a usable fault.

    Task-status reads retry these with backoff. ``retry_after`` is the server's
    ``Retry-After`` hint in seconds, if it sent one; ``fault`` is the decoded fault when the
    body carried one (a vAPI ``service_unavailable``, for instance).
    """

    def __init__(
        self,
        status_code: int,
        *,
        operation: str | None,
        retry_after: float | None = None,
        fault: faults.Fault | None = None,
    ) -> None:
        self.status_code = status_code
        self.operation = operation
        self.retry_after = retry_after
        self.fault = fault
        phrase = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(
            status_code, "error"
        )
        text = f"HTTP {status_code} {phrase}"
        if operation:
            text = f"{operation}: {text}"
        if retry_after is not None:
            text += f" (retry after {retry_after:g}s)"
        if fault is not None:
            text += f": {fault}"
        super().__init__(text)


class UnexpectedResponse(VReconnectError):
    """The server answered something the API does not document (status or body shape).

    ``status_code`` is the HTTP status; ``detail`` says what was wrong. The body itself is not
    kept, since it may echo request data.
    """

    def __init__(self, status_code: int, *, operation: str | None, detail: str) -> None:
        self.status_code = status_code
        self.operation = operation
        self.detail = detail
        prefix = f"{operation}: " if operation else ""
        super().__init__(f"{prefix}unexpected response (HTTP {status_code}): {detail}")


# ---------------------------------------------------------------------------- secrets


class Secret:
    """A password held in memory; never shown by ``repr``/``str``/logging.

    Guards against the accidental leak (``vars(conn)``, a debugger, a log of ``locals()``),
    not against a determined reader of process memory.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a password must be a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # Pickling would write the password to disk or the wire.
        raise TypeError("a Secret cannot be pickled")


def secrets_of(*values: str | Secret | None) -> tuple[str, ...]:
    """The non-empty secret strings among ``values``, for the fault decoders' ``secrets=``."""
    out: list[str] = []
    for value in values:
        text = value.reveal() if isinstance(value, Secret) else value
        if text:
            out.append(text)
    return tuple(out)


# ---------------------------------------------------------------------------- helpers


def normalize_base_url(url: str) -> str:
    """``https://vc.example.com[:port][/prefix]`` without a trailing slash.

    Credentials in the URL are refused (they would end up in logs and exception texts), as are
    query strings and fragments.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("url must be a non-empty string such as 'https://vc.example.com'")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"url must start with https:// (or http://), got {url!r}")
    if not parts.hostname:
        raise ValueError(f"url {url!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError("pass credentials as user/password arguments, not inside the url")
    if parts.query or parts.fragment:
        raise ValueError(f"url {url!r} must not have a query string or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def check_id(value: str, what: str) -> str:
    """``value`` if it is a non-empty string (an object or task id), else ValueError."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return value


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def json_body(response: httpx.Response, *, operation: str) -> Any:
    """The JSON body of a successful response; UnexpectedResponse if it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        raise UnexpectedResponse(
            response.status_code, operation=operation, detail="the body is not JSON"
        ) from None


def string_field(response: httpx.Response, key: str, *, operation: str, detail: str) -> str:
    """The non-empty string ``body[key]`` of a JSON object answer; UnexpectedResponse with
    ``detail`` if there is none."""
    body = json_body(response, operation=operation)
    value = body.get(key) if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(response.status_code, operation=operation, detail=detail)
    return value


def model_parser(build: Callable[[Any], T], body: Parser[object] = json_body) -> Parser[T]:
    """The :class:`Parser` of an answer whose ``body`` (by default: the whole JSON document)
    ``build`` turns into a model (a generated ``from_dict``); UnexpectedResponse if it does
    not fit."""

    def parse(response: httpx.Response, *, operation: str) -> T:
        data = body(response, operation=operation)
        try:
            return build(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UnexpectedResponse(
                response.status_code, operation=operation, detail=f"cannot parse: {exc}"
            ) from None

    return parse


def ignore(response: httpx.Response, *, operation: str) -> None:
    """The :class:`Parser` of an answer nobody reads (logout, cancel)."""


def _loads(content: bytes) -> object:
    try:
        return json.loads(content) if content.strip() else None
    except (ValueError, RecursionError):
        return None


def _is_surface_fault_body(surface: Surface, body: object) -> bool:
    """True if ``body`` has the shape of the surface's own error documents."""
    if not isinstance(body, Mapping):
        return False
    if surface in ("vim25", "sms"):
        return isinstance(body.get("_typeName"), str)
    if surface == "vcenter":
        return isinstance(body.get("type"), str) and "value" in body
    return "error_code" in body or "message" in body


def decode_failure(
    surface: Surface,
    response: httpx.Response,
    *,
    operation: str,
    secrets: Sequence[str],
    read: bool = False,
) -> VReconnectError:
    """The exception for a non-2xx ``response`` of ``operation`` on ``surface``.

    VI/JSON (vim25, sms) faults are HTTP 500 with a MethodFault body; vAPI errors and VR
    ResponseErrors come with their documented statuses. 502/503/504 without a fault body
    become :class:`GatewayError`; with ``read=True`` (an idempotent status read) they always
    do, so that the waiting loop retries them, with the decoded fault attached.
    """
    status = response.status_code
    body = _loads(response.content)
    is_fault = _is_surface_fault_body(surface, body)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    fault: faults.Fault | None = None
    if surface in ("vim25", "sms"):
        if status == 500 or is_fault:
            fault = faults.decode_vim_fault(
                response.content, status=status, operation=operation, secrets=secrets
            )
    elif surface == "vcenter":
        if is_fault or status not in _GATEWAY_STATUSES:
            fault = faults.decode_vapi_error(
                response.content, status=status, operation=operation, secrets=secrets
            )
    elif is_fault or status not in _GATEWAY_STATUSES:
        fault = faults.decode_vr_error(
            response.content, status=status, operation=operation, secrets=secrets
        )
    if status in _GATEWAY_STATUSES and (read or fault is None):
        return GatewayError(status, operation=operation, retry_after=retry_after, fault=fault)
    if fault is not None:
        return fault
    return UnexpectedResponse(
        status, operation=operation, detail="no fault body for a non-success status"
    )


def transport_failure(exc: Exception, *, operation: str, server: str) -> TransportError:
    """Map an httpx/OS error to :class:`TransportError` (:class:`CertificateMismatch` for a pin)."""
    mismatch = find_pin_mismatch(exc)
    if mismatch is not None:
        return mismatch.to_transport_error(server)
    detail = str(exc) or type(exc).__name__
    hint = ""
    if find_in_chain(exc, ssl.SSLCertVerificationError) is not None:
        hint = (
            " (the server certificate is not trusted: pass tls=TLSConfig.ca_bundle(path) or "
            "tls=TLSConfig.pinned(thumbprint))"
        )
    return TransportError(f"{operation}: cannot talk to {server}: {detail}{hint}")


def is_transient_read_error(exc: BaseException) -> bool:
    """Whether a failed task-status read is worth retrying.

    Like :func:`vreconnect.waiting.is_transient`, but a certificate problem (pin mismatch,
    untrusted certificate) or a request httpx cannot send is permanent, even though it
    arrives as a TransportError.
    """
    if isinstance(exc, CertificateMismatch):
        return False
    if isinstance(exc, TransportError) and not isinstance(exc, GatewayError):
        if find_in_chain(exc, ssl.SSLCertVerificationError) is not None:
            return False
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPError) and not is_transient(cause):
            return False
    return is_transient(exc)


def within(seconds: float | None) -> float | None:
    """The ``time.monotonic()`` deadline ``seconds`` from now (None: no deadline)."""
    return None if seconds is None else time.monotonic() + seconds


def capped_timeout(timeout: httpx.Timeout, cap: float) -> httpx.Timeout:
    """``timeout`` with each phase (connect, read, write, pool) at most ``cap`` seconds; a
    phase without a limit gets ``cap``."""

    def phase(value: float | None) -> float:
        return cap if value is None else min(value, cap)

    return httpx.Timeout(
        connect=phase(timeout.connect),
        read=phase(timeout.read),
        write=phase(timeout.write),
        pool=phase(timeout.pool),
    )


# ---------------------------------------------------------------------------- calls


class Parser(Protocol[T_co]):
    """Reads the 2xx answer of a call; ``operation`` names the call in errors."""

    def __call__(self, response: httpx.Response, *, operation: str) -> T_co: ...


@dataclass(frozen=True, repr=False)
class Call(Generic[ChannelT, T]):
    """One request, described without I/O: the channel it goes on, the generated module's
    ``request_kwargs(...)``, the operation it is (for errors) and how to read a 2xx answer.

    ``secrets`` are the call's own strings to redact from faults (a host or PSC password);
    the connection adds its user's password when it sends the call.
    """

    channel: ChannelT
    request: Mapping[str, Any]
    operation: str
    parse: Parser[T]
    _: KW_ONLY
    secrets: tuple[str, ...] = ()
    #: False for the calls that must not carry a session (login).
    authenticated: bool = True
    auth: httpx.Auth | None = None
    #: An idempotent status read: 502/503/504 always become a (retryable) GatewayError.
    read: bool = False
    #: The ``time.monotonic()`` by which the whole exchange, answer body included, must be
    #: over (a task wait's reads and re-login); past it the call fails with a TransportError.
    deadline: float | None = None
    #: The session token to send instead of the connection's (logging out a refused one).
    session: str | None = None

    def by(self, deadline: float | None) -> Self:
        """This call, to be over by ``deadline`` (None: as it is)."""
        return self if deadline is None else dataclasses.replace(self, deadline=deadline)

    def on_session(self, token: str) -> Self:
        """This call, sent with session ``token`` rather than the connection's current one."""
        return dataclasses.replace(self, session=token)

    def result(self, response: httpx.Response) -> T:
        """The parsed 2xx ``response`` to this call."""
        return self.parse(response, operation=self.operation)

    def __repr__(self) -> str:  # the request may hold a password: never show it
        return f"Call({self.operation!r} on {self.channel.base_url})"


# ---------------------------------------------------------------------------- channels


class GeneratedClient(Protocol):
    """What the overlay uses of a generated ``AuthenticatedClient``."""

    token: str

    def set_httpx_client(self, client: httpx.Client) -> Self: ...

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self: ...


class Channel(Generic[ClientT]):
    """One base URL of one surface (e.g. ``https://vc/sdk/vim25/8.0.3.0/sms``): an anonymous
    and an authenticated httpx client on one transport, and all of sending a :class:`Call`
    but the I/O itself.

    The anonymous client serves calls that must not carry a session (login); the
    authenticated one carries the session header and backs the generated client.
    """

    anonymous: ClientT
    authenticated: ClientT

    def __init__(self, *, surface: Surface, base_url: str, header: str) -> None:
        self.surface: Surface = surface
        self.base_url = base_url
        self.header = header

    def set_token(self, token: str | None) -> None:
        """Send ``token`` in the session header from now on (None: send none)."""
        if token is None:
            self.authenticated.headers.pop(self.header, None)
        else:
            self.authenticated.headers[self.header] = token

    def bind(self, client: GeneratedT) -> GeneratedT:
        """Make the generated ``client`` send on this channel's authenticated httpx client."""
        raise NotImplementedError

    def _prepare(self, call: Call[Any, Any]) -> tuple[ClientT, dict[str, Any]]:
        """The httpx client for ``call`` and the arguments of its ``request``.

        A call on a session of its own goes on the anonymous client with that session's
        header, so that the shared authenticated client is never switched to it (other
        threads or tasks may be sending on it). A call with a deadline gets each httpx phase
        capped at what is left of it, and fails at once if nothing is.
        """
        kwargs = dict(call.request)
        if call.auth is not None:
            kwargs["auth"] = call.auth
        http = self.authenticated if call.authenticated else self.anonymous
        if call.session is not None:
            http = self.anonymous
            kwargs["headers"] = {**kwargs.get("headers", {}), self.header: call.session}
        if call.deadline is not None:
            left = call.deadline - time.monotonic()
            if left <= 0:
                raise self._overran(call)
            kwargs["timeout"] = capped_timeout(http.timeout, left)
        return http, kwargs

    def _unreachable(self, exc: Exception, call: Call[Any, Any]) -> TransportError:
        return transport_failure(exc, operation=call.operation, server=self.base_url)

    def _overran(self, call: Call[Any, Any]) -> TransportError:
        """The error of a call whose answer was not complete by its deadline."""
        return TransportError(
            f"{call.operation}: no complete answer from {self.base_url} within the time left "
            "to wait"
        )

    def _checked(
        self, response: httpx.Response, call: Call[Any, Any], secrets: Sequence[str]
    ) -> httpx.Response:
        """``response`` if it is a 2xx; else raise the decoded error."""
        if response.is_success:
            return response
        raise decode_failure(
            self.surface, response, operation=call.operation, secrets=secrets, read=call.read
        )


class SyncChannel(Channel[httpx.Client]):
    """Blocking channel."""

    def __init__(
        self,
        *,
        surface: Surface,
        base_url: str,
        header: str,
        transport: httpx.BaseTransport,
        timeout: httpx.Timeout,
    ) -> None:
        super().__init__(surface=surface, base_url=base_url, header=header)
        # follow_redirects stays off: a redirect must never carry the session elsewhere.
        self.anonymous = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self.authenticated = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)

    def bind(self, client: GeneratedT) -> GeneratedT:
        return client.set_httpx_client(self.authenticated)

    def send(self, call: Call[Any, Any], *, secrets: Sequence[str]) -> httpx.Response:
        """Send ``call`` once (never retried); return a 2xx response or raise the decoded
        error, with ``secrets`` redacted."""
        http, kwargs = self._prepare(call)
        try:
            if call.deadline is None:
                response = http.request(**kwargs)
            else:
                response = _request_by(http, kwargs, call.deadline)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, call) from exc
        except _Overran as exc:
            raise self._overran(call) from exc
        return self._checked(response, call, secrets)

    def close(self) -> None:
        """Close both clients (and so the shared transport)."""
        self.authenticated.close()
        self.anonymous.close()


class _Overran(Exception):
    """A sync call's answer was not complete by its deadline."""


class _ReadBy(httpx.SyncByteStream):
    """An answer's byte stream that raises _Overran once a chunk arrives past ``deadline``."""

    def __init__(self, stream: httpx.SyncByteStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if time.monotonic() >= self._deadline:
                raise _Overran
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _request_by(http: httpx.Client, kwargs: Mapping[str, Any], deadline: float) -> httpx.Response:
    """Send a request and read its whole answer by ``deadline`` (``time.monotonic()``).

    The answer is streamed and the clock checked after the headers and after each chunk;
    each wait for the next chunk is bounded by the read timeout, which :meth:`Channel._prepare`
    capped at what was left of the deadline. Past it, the response is closed (its connection
    dropped, not returned to the pool half read) and _Overran raised.
    """
    with http.stream(**kwargs) as response:
        if time.monotonic() >= deadline:
            raise _Overran
        if isinstance(response.stream, httpx.SyncByteStream):
            response.stream = _ReadBy(response.stream, deadline)
        response.read()
    return response


class AsyncChannel(Channel[httpx.AsyncClient]):
    """The asyncio twin of :class:`SyncChannel`."""

    def __init__(
        self,
        *,
        surface: Surface,
        base_url: str,
        header: str,
        transport: httpx.AsyncBaseTransport,
        timeout: httpx.Timeout,
    ) -> None:
        super().__init__(surface=surface, base_url=base_url, header=header)
        self.anonymous = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)
        self.authenticated = httpx.AsyncClient(
            base_url=base_url, transport=transport, timeout=timeout
        )

    def bind(self, client: GeneratedT) -> GeneratedT:
        return client.set_async_httpx_client(self.authenticated)

    async def send(self, call: Call[Any, Any], *, secrets: Sequence[str]) -> httpx.Response:
        """Send ``call`` once (never retried); see :meth:`SyncChannel.send`."""
        http, kwargs = self._prepare(call)
        try:
            if call.deadline is None:
                response = await http.request(**kwargs)
            else:
                # httpx maps its own timeouts to httpx errors: a TimeoutError is this one.
                async with asyncio.timeout(call.deadline - time.monotonic()):
                    response = await http.request(**kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, call) from exc
        except ssl.SSLError as exc:  # a handshake error anyio did not wrap
            raise self._unreachable(exc, call) from exc
        except TimeoutError as exc:
            raise self._overran(call) from exc
        return self._checked(response, call, secrets)

    async def aclose(self) -> None:
        """Close both clients (and so the shared transport)."""
        await self.authenticated.aclose()
        await self.anonymous.aclose()
