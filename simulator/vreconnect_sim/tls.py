"""Self-signed TLS material generated at start, with vSphere-style thumbprints.

:func:`generate_self_signed` makes an EC P-256 key and a certificate valid for ``127.0.0.1``,
``::1``, ``localhost`` and any extra host names/IPs (SAN entries), writes ``cert.pem`` and
``key.pem`` into a private temporary directory (or the one given; :meth:`TlsMaterial.discard`
deletes a temporary one, as the servers do when they stop), and returns their paths and
the SHA-1 / SHA-256 thumbprints of the DER certificate formatted as vSphere shows them: colon-
separated uppercase hex pairs (``AB:CD:...``). The certificate is its own CA (``BasicConstraints
ca=True``), so clients can pass ``cert_file`` as ``verify=``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "TlsMaterial",
    "format_thumbprint",
    "generate_self_signed",
    "thumbprint_hex",
    "thumbprints",
]


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """Paths of the PEM files and the certificate's thumbprints."""

    cert_file: Path
    key_file: Path
    sha1: str
    sha256: str
    cert_pem: str
    temporary_dir: Path | None = None  # made by generate_self_signed, deleted by discard()

    def discard(self) -> None:
        """Delete the temporary directory holding the PEM files (nothing if the caller chose
        the directory). Idempotent."""
        if self.temporary_dir is not None:
            shutil.rmtree(self.temporary_dir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"TlsMaterial(cert_file={str(self.cert_file)!r}, sha256={self.sha256!r})"


def format_thumbprint(digest: bytes) -> str:
    """``b"\\xab\\xcd"`` -> ``"AB:CD"``."""
    return ":".join(f"{b:02X}" for b in digest)


def thumbprint_hex(value: str) -> str:
    """A thumbprint as bare uppercase hex digits, to compare spellings (``ab:cd`` == ``ABCD``)."""
    return "".join(ch for ch in value.upper() if ch in "0123456789ABCDEF")


def thumbprints(cert_pem: bytes | str) -> tuple[str, str]:
    """(SHA-1, SHA-256) thumbprints of a PEM certificate, vSphere format."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    cert = x509.load_pem_x509_certificate(data)
    return (
        format_thumbprint(cert.fingerprint(hashes.SHA1())),  # vSphere shows SHA-1 thumbprints
        format_thumbprint(cert.fingerprint(hashes.SHA256())),
    )


def generate_self_signed(
    hostnames: Iterable[str] = (),
    directory: str | os.PathLike[str] | None = None,
    *,
    days: int = 365,
) -> TlsMaterial:
    """Generate a key + self-signed cert; see the module docstring."""
    names: list[str] = ["localhost"]
    ips: list[str] = ["127.0.0.1", "::1"]
    for name in hostnames:
        if not name:
            continue
        try:
            ipaddress.ip_address(name)
        except ValueError:
            if name not in names:
                names.append(name)
        else:
            if name not in ips:
                ips.append(name)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vreconnect simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, names[-1] if len(names) > 1 else "localhost"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    temporary: Path | None = None
    if directory is None:
        out = temporary = Path(tempfile.mkdtemp(prefix="vreconnect-sim-tls-"))
    else:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_file, key_file = out / "cert.pem", out / "key.pem"
    cert_file.write_bytes(cert_pem)
    # The key file is private to this user: written with 0600 from the start.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    sha1, sha256 = thumbprints(cert_pem)
    return TlsMaterial(cert_file, key_file, sha1, sha256, cert_pem.decode(), temporary)
