"""Deterministic, real X.509 certificates for simulated ESXi hosts and VASA providers.

A simulated host presents a certificate whose SHA-1 thumbprint is what ``SSLVerifyFault``
reports and what ``cnxSpec.sslThumbprint`` must match. The certificate is a real self-signed
Ed25519 certificate (Ed25519 signatures are deterministic), derived from a seed string such
as ``"host-106:2"`` (moId and certificate generation), so the same scenario always yields the
same thumbprints, and a client can check that the PEM in the fault matches the thumbprint.

Generation costs about 0.1 ms, so certificates are made lazily (only for hosts whose
thumbprint is actually needed) and cached by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from ..tls import format_thumbprint

__all__ = ["make_certificate", "normalize_thumbprint"]

_NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
_NOT_AFTER = dt.datetime(2035, 1, 1, tzinfo=dt.UTC)


def make_certificate(
    seed: str,
    common_name: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    organization: str = "VMware Installer",
) -> tuple[str, str]:
    """(PEM, SHA-1 thumbprint in ``AB:CD:...`` form) of a self-signed certificate for ``seed``."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(digest)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "localhost"),
        ]
    )
    start = not_before or _NOT_BEFORE
    end = not_after or _NOT_AFTER
    if end <= start:
        start = end - dt.timedelta(days=730)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number((int.from_bytes(digest[:16], "big") >> 1) or 1)
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, None)
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    # vSphere identifies host certificates by their SHA-1 thumbprint.
    return pem, format_thumbprint(cert.fingerprint(hashes.SHA1()))


def normalize_thumbprint(value: str) -> str:
    """Compare thumbprints the way vCenter does: case-insensitive, colons optional."""
    hexdigits = value.replace(":", "").replace(" ", "").strip().upper()
    return ":".join(hexdigits[i : i + 2] for i in range(0, len(hexdigits), 2))
