"""Where the suite sends its requests: an in-process simulator, or a server over the network.

The suite drives schemathesis, which speaks ``requests``; so does everything the suite sends
itself (logins, task reads, probes). :class:`Target` hands out ``requests`` sessions that
reach the server the same way schemathesis does:

* in-process: schemathesis' ASGI client (a ``requests.Session`` whose adapter calls the app);
* over the network: a session whose HTTPS adapter uses the :class:`~vreconnect.tls.TLSConfig`
  of the rest of the CLI (system trust store, CA bundle, SHA-1/SHA-256 pin checked during the
  handshake, or insecure by name).
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InsecureRequestWarning

from vreconnect.tls import TLSConfig

if TYPE_CHECKING:
    from schemathesis import Response
    from schemathesis.generation.case import Case
    from schemathesis.transport.requests import RequestsTransport

AfterSend = Callable[["Case[Any]", "Response"], None]
"""Called with every request a transport sent, and its response."""

__all__ = ["IN_PROCESS_ROOT", "TLSAdapter", "Target", "discover_objects"]

log = logging.getLogger("vreconnect.contract")

IN_PROCESS_ROOT = "http://testserver"
"""Root URL of an in-process app (the host schemathesis' ASGI client sends)."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a single request may take (a real vCenter can be slow; the simulator is not)."""


class TLSAdapter(HTTPAdapter):
    """An HTTPS adapter whose TLS is a :class:`TLSConfig`'s :class:`ssl.SSLContext`.

    A pinned config checks the thumbprint inside the handshake, so no request byte (and no
    password) reaches a server presenting another certificate.
    """

    def __init__(self, tls: TLSConfig) -> None:
        self._context = tls.ssl_context()
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager with the config's SSL context."""
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


def _requests_verify(tls: TLSConfig) -> bool | str:
    """The ``verify`` value requests needs next to :class:`TLSAdapter`.

    The adapter's context decides; ``verify`` must only not contradict it: a pinned or insecure
    context turns CA verification off, which requests must be told (else it demands it back).
    """
    if tls.mode in ("pinned", "insecure"):
        return False
    if tls.mode == "ca_bundle":
        assert tls.ca_path is not None
        return tls.ca_path
    return True


@dataclass
class Target:
    """The server under test.

    ``app`` is an in-process ASGI app (``root_url`` is then :data:`IN_PROCESS_ROOT`); otherwise
    ``root_url`` is the server's ``https://host[:port]`` and ``tls`` how to trust it.
    ``on_reset`` is set when the suite owns the server (an in-process simulator): the suite then
    resets it between phases and stateful scenarios, so every flow starts from the scenario.
    """

    root_url: str
    app: Any = None
    tls: TLSConfig = field(default_factory=TLSConfig.verify)
    on_reset: Callable[[], None] | None = None
    error_log: Callable[[], Sequence[str]] | None = None
    """In-process simulator: the errors it logged so far (unhandled exceptions, spec violations)."""
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def in_process(
        cls,
        app: Any,
        *,
        on_reset: Callable[[], None] | None = None,
        error_log: Callable[[], Sequence[str]] | None = None,
    ) -> Target:
        """A target for an ASGI app in this process (a simulator made by ``create_app``)."""
        return cls(IN_PROCESS_ROOT, app=app, on_reset=on_reset, error_log=error_log)

    @classmethod
    def remote(cls, url: str, tls: TLSConfig | None = None) -> Target:
        """A target for a server at ``url`` (``https://vc.example.com``; any path is dropped)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not a server URL: {url!r} (expected https://host[:port])")
        return cls(f"{parts.scheme}://{parts.netloc}", tls=tls or TLSConfig.verify())

    @property
    def is_in_process(self) -> bool:
        """True for an ASGI app in this process."""
        return self.app is not None

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with ``/``)."""
        return f"{self.root_url}{path}"

    def new_session(self) -> requests.Session:
        """A fresh ``requests`` session reaching this target."""
        if self.app is not None:
            from schemathesis.python import asgi

            return asgi.get_client(self.app)
        session = requests.Session()
        session.mount("https://", TLSAdapter(self.tls))
        session.verify = _requests_verify(self.tls)
        return session

    def session(self) -> requests.Session:
        """This thread's session (requests sessions are not thread-safe)."""
        found: requests.Session | None = getattr(self._local, "session", None)
        if found is None:
            found = self._local.session = self.new_session()
        return found

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request to ``path`` below the root URL (quietly: never logs a secret)."""
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        if self.app is None:
            # Explicitly: requests would otherwise let REQUESTS_CA_BUNDLE override the session.
            kwargs.setdefault("verify", _requests_verify(self.tls))
        with _quiet_tls_warnings():
            return self.session().request(method, self.url(path), **kwargs)

    # -- schemathesis integration --------------------------------------------------------------

    def schemathesis_tls_verify(self) -> bool | str:
        """``tls-verify`` for schemathesis' own sessions (used with :meth:`transport`)."""
        return True if self.app is not None else _requests_verify(self.tls)

    def transport(self, after_send: AfterSend | None = None) -> RequestsTransport:
        """The transport schemathesis must use for this target.

        Remote targets get a transport that mounts :class:`TLSAdapter` on every session it
        sends through, so schemathesis' requests and probes trust the server exactly as the CLI
        does; in-process targets schemathesis' ASGI transport. ``after_send`` is called with
        every request sent through it (and its response) before ``send`` returns.
        """
        if self.app is not None:
            return _make_asgi_transport(after_send)
        return _make_transport(self.tls, after_send)


@contextmanager
def _quiet_tls_warnings() -> Iterator[None]:
    # urllib3 warns on every unverified request; the CLI already warned once (TLSConfig).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        yield


def _make_transport(tls: TLSConfig, after_send: AfterSend | None) -> RequestsTransport:
    from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

    adapter = TLSAdapter(tls)
    verify = _requests_verify(tls)

    class _TLSTransport(RequestsTransport):
        """schemathesis' requests transport, with the suite's TLS on every session."""

        def send(
            self, case: Case[Any], *, session: requests.Session | None = None, **kwargs: Any
        ) -> Any:
            if session is None:
                # Probes (ignored_auth, the suite's own checks) come without a session.
                session = requests.Session()
            session.mount("https://", adapter)
            kwargs["verify"] = verify
            with _quiet_tls_warnings():
                response = super().send(case, session=session, **kwargs)
            if after_send is not None:
                after_send(case, response)
            return response

    transport = _TLSTransport()
    # Serializers (JSON, form, ...) are registered on the module-level transport instance.
    transport._copy_serializers_from(REQUESTS_TRANSPORT)
    return transport


def _make_asgi_transport(after_send: AfterSend | None) -> RequestsTransport:
    from schemathesis.transport.asgi import ASGITransport
    from schemathesis.transport.requests import REQUESTS_TRANSPORT

    class _ASGITransport(ASGITransport):
        """schemathesis' ASGI transport, calling ``after_send`` with every response."""

        def send(
            self, case: Case[Any], *, session: requests.Session | None = None, **kwargs: Any
        ) -> Any:
            response = super().send(case, session=session, **kwargs)
            if after_send is not None:
                after_send(case, response)
            return response

    transport = _ASGITransport()
    transport._copy_serializers_from(REQUESTS_TRANSPORT)
    return transport


def discover_objects(target: Target) -> dict[str, list[str]]:
    """Object ids to pin path parameters to, by kind (``host``, ``pairing``, ...).

    A vreconnect simulator lists its objects at ``GET /_sim/objects`` (specs/control.yaml); a
    real server has no such thing, but a VR appliance lists its pairings (``GET /pairings``,
    done by the caller once it has a session). Nothing found is not an error: parameters are
    then generated, which still tests every check, only reaches fewer links.
    """
    found: dict[str, list[str]] = {}
    try:
        health = target.request("GET", "/_sim/health", timeout=10)
    except requests.RequestException:
        return found
    if health.status_code != 200:
        return found
    try:
        listing = target.request("GET", "/_sim/objects", params={"limit": 200}, timeout=30)
        items = listing.json().get("items", []) if listing.status_code == 200 else []
    except (requests.RequestException, ValueError):
        return found
    kinds = {
        ("vim25", "HostSystem"): "host",
        ("sms", "VasaProvider"): "vasa-provider",
        ("vr", "Pairing"): "pairing",
        ("vcenter", "Datastore"): "datastore",
    }
    for item in items:
        if not isinstance(item, Mapping):
            continue
        surface, kind, oid = item.get("surface"), item.get("type"), item.get("id")
        if not isinstance(oid, str):
            continue
        if isinstance(surface, str):
            # The control API names an object by its surface and id together.
            found.setdefault("sim-object", []).append(f"{surface}/{oid}")
        mapped = kinds.get((str(surface), str(kind)))
        if mapped is not None:
            found.setdefault(mapped, []).append(oid)
    return found
