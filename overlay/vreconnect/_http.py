"""Plumbing shared by the entry points: channels, error mapping, secrets, session bookkeeping.

Every request is built by the generated client module's own ``_get_kwargs`` (so paths, query
parameters and bodies are exactly the generated code's) and sent on the httpx client behind
the generated :class:`AuthenticatedClient`. The response is then handled here rather than by
the generated ``_parse_response``, because that parser raises on any body outside the
documented union (an unlisted fault type, a proxy's HTML page, a new enum value) and the
raw body would be lost; faults are decoded from the raw ``response.content`` instead.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from vreconnect import faults
from vreconnect.errors import TransportError, VReconnectError
from vreconnect.tls import CertificateMismatch, find_pin_mismatch
from vreconnect.waiting import is_transient

__all__ = [
    "AsyncChannel",
    "GatewayError",
    "Secret",
    "Surface",
    "SyncChannel",
    "UnexpectedResponse",
    "decode_failure",
    "is_transient_read_error",
    "json_body",
    "normalize_base_url",
    "parse_retry_after",
    "transport_failure",
]

logger = logging.getLogger("vreconnect.http")

Surface = Literal["vim25", "sms", "vcenter", "vr"]

_GATEWAY_STATUSES = frozenset({502, 503, 504})


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
    if _find_in_chain(exc, ssl.SSLCertVerificationError) is not None:
        hint = (
            " (the server certificate is not trusted: pass tls=TLSConfig.ca_bundle(path) or "
            "tls=TLSConfig.pinned(thumbprint))"
        )
    return TransportError(f"{operation}: cannot talk to {server}: {detail}{hint}")


def _find_in_chain(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def is_transient_read_error(exc: BaseException) -> bool:
    """Whether a failed task-status read is worth retrying.

    Like :func:`vreconnect.waiting.is_transient`, but a certificate problem (pin mismatch,
    untrusted certificate) or a request httpx cannot send is permanent, even though it
    arrives as a TransportError.
    """
    if isinstance(exc, CertificateMismatch):
        return False
    if isinstance(exc, TransportError) and not isinstance(exc, GatewayError):
        if _find_in_chain(exc, ssl.SSLCertVerificationError) is not None:
            return False
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPError) and not is_transient(cause):
            return False
    return is_transient(exc)


# ---------------------------------------------------------------------------- channels


class _ChannelBase:
    """One base URL of one surface (e.g. ``https://vc/sdk/vim25/8.0.3.0/sms``)."""

    def __init__(self, *, surface: Surface, base_url: str, header: str) -> None:
        self.surface: Surface = surface
        self.base_url = base_url
        self.header = header


class SyncChannel(_ChannelBase):
    """Blocking channel: an anonymous and an authenticated httpx client on one transport.

    The anonymous client serves calls that must not carry a session (login); the
    authenticated one carries the session header and backs the generated client.
    """

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

    def set_token(self, token: str | None) -> None:
        """Send ``token`` in the session header from now on (None: send none)."""
        if token is None:
            self.authenticated.headers.pop(self.header, None)
        else:
            self.authenticated.headers[self.header] = token

    def send(
        self,
        request: Mapping[str, Any],
        *,
        operation: str,
        secrets: Sequence[str],
        authenticated: bool = True,
        auth: httpx.Auth | None = None,
        read: bool = False,
    ) -> httpx.Response:
        """Send one request (never retried); return a 2xx response or raise the decoded error."""
        http = self.authenticated if authenticated else self.anonymous
        kwargs = dict(request)
        if auth is not None:
            kwargs["auth"] = auth
        try:
            response = http.request(**kwargs)
        except httpx.HTTPError as exc:
            raise transport_failure(exc, operation=operation, server=self.base_url) from exc
        if response.is_success:
            return response
        raise decode_failure(
            self.surface, response, operation=operation, secrets=secrets, read=read
        )

    def close(self) -> None:
        """Close both clients (and so the shared transport)."""
        self.authenticated.close()
        self.anonymous.close()


class AsyncChannel(_ChannelBase):
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

    def set_token(self, token: str | None) -> None:
        """Send ``token`` in the session header from now on (None: send none)."""
        if token is None:
            self.authenticated.headers.pop(self.header, None)
        else:
            self.authenticated.headers[self.header] = token

    async def send(
        self,
        request: Mapping[str, Any],
        *,
        operation: str,
        secrets: Sequence[str],
        authenticated: bool = True,
        auth: httpx.Auth | None = None,
        read: bool = False,
    ) -> httpx.Response:
        """Send one request (never retried); return a 2xx response or raise the decoded error."""
        http = self.authenticated if authenticated else self.anonymous
        kwargs = dict(request)
        if auth is not None:
            kwargs["auth"] = auth
        try:
            response = await http.request(**kwargs)
        except httpx.HTTPError as exc:
            raise transport_failure(exc, operation=operation, server=self.base_url) from exc
        except ssl.SSLError as exc:  # a handshake error anyio did not wrap
            raise transport_failure(exc, operation=operation, server=self.base_url) from exc
        if response.is_success:
            return response
        raise decode_failure(
            self.surface, response, operation=operation, secrets=secrets, read=read
        )

    async def aclose(self) -> None:
        """Close both clients (and so the shared transport)."""
        await self.authenticated.aclose()
        await self.anonymous.aclose()
