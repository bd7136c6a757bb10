"""How vreconnect trusts the server's TLS certificate.

:class:`TLSConfig` has four named constructors:

* :meth:`TLSConfig.verify` (the default): the system trust store, hostname checked.
* :meth:`TLSConfig.ca_bundle`: a PEM CA bundle (file or hashed directory), hostname checked.
  Typical for a vCenter whose certificate is signed by its own VMCA: download the VMCA root
  (``https://<vc>/certs/download.zip``) and point this at it.
* :meth:`TLSConfig.pinned`: trust exactly one certificate, named by its SHA-1 or SHA-256
  thumbprint as vSphere shows it (``AB:CD:...``, any case, colons optional). The thumbprint is
  checked *during the TLS handshake*, before a single request byte -- and so before any
  credential -- is sent; CA and hostname checks are off, since the pin replaces them.
* :meth:`TLSConfig.insecure`: no verification at all. Only by name, and it logs a warning.

A pinned connection to a server presenting another certificate fails with
:class:`CertificateMismatch` (a :class:`~vreconnect.errors.TransportError`), whose message
shows the expected and the presented thumbprints.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import ssl
import threading
from dataclasses import dataclass
from typing import Literal, TypeVar

from vreconnect.errors import TransportError

__all__ = [
    "CertificateMismatch",
    "TLSConfig",
    "format_thumbprint",
    "parse_thumbprint",
    "thumbprint_of",
]

logger = logging.getLogger("vreconnect.tls")

TLSMode = Literal["verify", "ca_bundle", "pinned", "insecure"]
Algorithm = Literal["sha1", "sha256"]
E = TypeVar("E", bound=BaseException)

# Digest length -> algorithm: a thumbprint's length says which hash it is.
_ALGORITHM_BY_LENGTH: dict[int, Algorithm] = {20: "sha1", 32: "sha256"}
_DISPLAY = {"sha1": "SHA-1", "sha256": "SHA-256"}


def _normalize_algorithm(algorithm: str) -> Algorithm:
    name = algorithm.lower().replace("-", "").replace("_", "")
    if name == "sha1":
        return "sha1"
    if name == "sha256":
        return "sha256"
    raise ValueError(f"unsupported thumbprint algorithm {algorithm!r} (use 'sha1' or 'sha256')")


def format_thumbprint(digest: bytes) -> str:
    """Format a digest the way vSphere shows thumbprints: ``AB:CD:EF:...``."""
    return ":".join(f"{b:02X}" for b in digest)


def thumbprint_of(der: bytes, algorithm: str = "sha256") -> str:
    """The thumbprint of a DER-encoded certificate, formatted like vSphere (``AB:CD:...``).

    ``algorithm`` is ``"sha1"`` (what vSphere host thumbprints use) or ``"sha256"``.
    """
    return format_thumbprint(hashlib.new(_normalize_algorithm(algorithm), der).digest())


def parse_thumbprint(thumbprint: str) -> tuple[Algorithm, bytes]:
    """Parse a SHA-1 or SHA-256 thumbprint into (algorithm, digest).

    Accepts colon-separated or plain hex in any case, with surrounding whitespace; the
    algorithm follows from the length (20 bytes: SHA-1, 32 bytes: SHA-256).
    """
    if not isinstance(thumbprint, str):
        raise TypeError(f"thumbprint must be a str, got {type(thumbprint).__name__}")
    text = "".join(thumbprint.split()).replace(":", "")
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"thumbprint {thumbprint!r} is not hex (expected AB:CD:... )") from None
    algorithm = _ALGORITHM_BY_LENGTH.get(len(digest))
    if algorithm is None:
        raise ValueError(
            f"thumbprint {thumbprint!r} has {len(digest)} bytes; a SHA-1 thumbprint has 20, "
            "a SHA-256 thumbprint 32"
        )
    return algorithm, digest


class CertificateMismatch(TransportError):
    """The server presented a certificate other than the pinned one.

    Raised before any request is sent. ``expected`` and ``presented`` are thumbprints in the
    pin's algorithm (``algorithm``); ``presented_sha1`` / ``presented_sha256`` give both
    forms of the presented certificate's thumbprint, for whoever decides to re-pin.
    """

    def __init__(
        self,
        *,
        algorithm: Algorithm,
        expected: str,
        presented: str,
        presented_sha1: str,
        presented_sha256: str,
        server: str | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.expected = expected
        self.presented = presented
        self.presented_sha1 = presented_sha1
        self.presented_sha256 = presented_sha256
        self.server = server
        where = f" of {server}" if server else ""
        super().__init__(
            f"TLS certificate{where} does not match the pinned {_DISPLAY[algorithm]} "
            f"thumbprint: expected {expected}, presented {presented}"
        )


class _PinMismatchError(ssl.SSLCertVerificationError):
    """Raised inside the handshake; the HTTP layer turns it into :class:`CertificateMismatch`.

    It must be an ``ssl.SSLError`` so that httpx/httpcore/anyio treat it as a failed TLS
    handshake (close the socket, raise ConnectError chained to it).
    """

    def __init__(self, algorithm: Algorithm, expected: bytes, der: bytes | None) -> None:
        self.algorithm = algorithm
        self.expected = format_thumbprint(expected)
        self.presented = thumbprint_of(der, algorithm) if der else "(no certificate)"
        self.presented_sha1 = thumbprint_of(der, "sha1") if der else "(no certificate)"
        self.presented_sha256 = thumbprint_of(der, "sha256") if der else "(no certificate)"
        super().__init__(
            f"certificate thumbprint mismatch: expected {self.expected}, presented {self.presented}"
        )

    def to_transport_error(self, server: str | None = None) -> CertificateMismatch:
        """The public exception for this mismatch."""
        return CertificateMismatch(
            algorithm=self.algorithm,
            expected=self.expected,
            presented=self.presented,
            presented_sha1=self.presented_sha1,
            presented_sha256=self.presented_sha256,
            server=server,
        )


def _check_pin(algorithm: Algorithm, expected: bytes, der: bytes | None) -> None:
    presented = hashlib.new(algorithm, der).digest() if der else b""
    if not der or not hmac.compare_digest(presented, expected):
        raise _PinMismatchError(algorithm, expected, der)


def _pinned_socket_classes(
    algorithm: Algorithm, expected: bytes
) -> tuple[type[ssl.SSLSocket], type[ssl.SSLObject]]:
    """SSLSocket/SSLObject subclasses that verify the pin as the last step of the handshake.

    httpx's sync transport wraps sockets (``SSLContext.wrap_socket`` -> ``sslsocket_class``);
    its async transport (anyio) wraps memory BIOs (``wrap_bio`` -> ``sslobject_class``). Both
    call ``do_handshake`` before the connection is handed back, so no request byte is ever
    written to a server whose certificate does not match.
    """

    class PinnedSSLSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            _check_pin(algorithm, expected, self.getpeercert(binary_form=True))

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            _check_pin(algorithm, expected, self.getpeercert(binary_form=True))

    return PinnedSSLSocket, PinnedSSLObject


_insecure_warned = False
_insecure_lock = threading.Lock()


def _warn_insecure_once() -> None:
    global _insecure_warned
    with _insecure_lock:
        if _insecure_warned:
            return
        _insecure_warned = True
    logger.warning(
        "TLS certificate verification is DISABLED (TLSConfig.insecure()): connections can be "
        "intercepted and credentials stolen. Prefer TLSConfig.ca_bundle() or TLSConfig.pinned()."
    )


@dataclass(frozen=True)
class TLSConfig:
    """How to trust the server's certificate; build it with one of the named constructors.

    Frozen and hashable, so one config can be shared by many connections. :meth:`ssl_context`
    builds a fresh :class:`ssl.SSLContext` for it.
    """

    mode: TLSMode = "verify"
    ca_path: str | None = None
    pin_algorithm: Algorithm | None = None
    pin_digest: bytes | None = None

    def __post_init__(self) -> None:
        # Reject inconsistent hand-built configs here rather than at connect time.
        if self.mode not in ("verify", "ca_bundle", "pinned", "insecure"):
            raise ValueError(f"unknown TLS mode {self.mode!r}")
        if (self.mode == "ca_bundle") != (self.ca_path is not None):
            raise ValueError("ca_path is required for, and only for, mode 'ca_bundle'")
        pinned = self.pin_algorithm is not None and self.pin_digest is not None
        if (self.mode == "pinned") != pinned:
            raise ValueError(
                "pin_algorithm and pin_digest are required for, and only for, 'pinned'"
            )
        if pinned and self.pin_digest is not None and self.pin_algorithm is not None:
            expected_len = 20 if self.pin_algorithm == "sha1" else 32
            if len(self.pin_digest) != expected_len:
                raise ValueError(f"a {self.pin_algorithm} pin has {expected_len} bytes")

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def verify(cls) -> TLSConfig:
        """Verify against the system trust store and check the hostname (the default)."""
        return cls("verify")

    @classmethod
    def ca_bundle(cls, path: str | os.PathLike[str]) -> TLSConfig:
        """Verify against the CA certificates in ``path`` (a PEM file, or a hashed directory).

        The hostname is checked too. Raises FileNotFoundError if ``path`` does not exist.
        """
        text = os.fspath(path)
        if not os.path.exists(text):
            raise FileNotFoundError(f"CA bundle {text!r} does not exist")
        return cls("ca_bundle", ca_path=text)

    @classmethod
    def pinned(cls, thumbprint: str) -> TLSConfig:
        """Trust only the certificate with this SHA-1 or SHA-256 thumbprint.

        ``thumbprint`` is as vSphere shows it (``AB:CD:...``); plain hex and lower case work
        too. CA and hostname checks are off: the pin is the whole trust decision.
        """
        algorithm, digest = parse_thumbprint(thumbprint)
        return cls("pinned", pin_algorithm=algorithm, pin_digest=digest)

    @classmethod
    def insecure(cls) -> TLSConfig:
        """Do not verify the certificate at all. For labs only; logs a warning once."""
        return cls("insecure")

    @classmethod
    def from_options(
        cls,
        *,
        ca_file: str | os.PathLike[str] | None = None,
        thumbprint: str | None = None,
        insecure: bool = False,
    ) -> TLSConfig:
        """The config for command-line style options; at most one may be given.

        ``thumbprint`` -> :meth:`pinned`, ``ca_file`` -> :meth:`ca_bundle`, ``insecure`` ->
        :meth:`insecure`, none -> :meth:`verify`. Conflicting options raise ValueError
        rather than silently preferring one.
        """
        chosen = [
            name
            for name, on in (
                ("ca_file", ca_file is not None),
                ("thumbprint", thumbprint is not None),
                ("insecure", insecure),
            )
            if on
        ]
        if len(chosen) > 1:
            raise ValueError(f"choose one way to trust the server, not {' and '.join(chosen)}")
        if thumbprint is not None:
            return cls.pinned(thumbprint)
        if ca_file is not None:
            return cls.ca_bundle(ca_file)
        return cls.insecure() if insecure else cls.verify()

    # -- use ----------------------------------------------------------------------------------

    @property
    def thumbprint(self) -> str | None:
        """The pinned thumbprint (``AB:CD:...``), or None if not pinned."""
        return format_thumbprint(self.pin_digest) if self.pin_digest is not None else None

    def ssl_context(self) -> ssl.SSLContext:
        """Build an :class:`ssl.SSLContext` implementing this config."""
        if self.mode == "verify":
            return ssl.create_default_context()
        if self.mode == "ca_bundle":
            assert self.ca_path is not None  # checked in __post_init__
            if os.path.isdir(self.ca_path):
                return ssl.create_default_context(capath=self.ca_path)
            return ssl.create_default_context(cafile=self.ca_path)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False  # must precede verify_mode = CERT_NONE
        ctx.verify_mode = ssl.CERT_NONE
        if self.mode == "insecure":
            _warn_insecure_once()
            return ctx
        assert self.pin_algorithm is not None and self.pin_digest is not None
        # Per-instance classes: the context stays a plain ssl.SSLContext (anyio only takes
        # its fast, non-threaded wrap_bio path for exactly that type).
        sock_cls, obj_cls = _pinned_socket_classes(self.pin_algorithm, self.pin_digest)
        ctx.sslsocket_class = sock_cls
        ctx.sslobject_class = obj_cls
        return ctx

    def __repr__(self) -> str:
        if self.mode == "ca_bundle":
            return f"TLSConfig.ca_bundle({self.ca_path!r})"
        if self.mode == "pinned":
            return f"TLSConfig.pinned({self.thumbprint!r})"
        return f"TLSConfig.{self.mode}()"


def find_in_chain(exc: BaseException, kind: type[E]) -> E | None:
    """The first ``kind`` exception in ``exc``'s cause/context chain (``exc`` included)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def find_pin_mismatch(exc: BaseException) -> _PinMismatchError | None:
    """The pin mismatch behind ``exc`` (searching its cause/context chain), if any."""
    return find_in_chain(exc, _PinMismatchError)
