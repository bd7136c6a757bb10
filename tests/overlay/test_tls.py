"""TLSConfig: parsing, and every mode against the simulator's real TLS socket, sync and async
(the async path pins through ``SSLObject``, the sync one through ``SSLSocket``)."""

from __future__ import annotations

import asyncio
import logging
import ssl

import pytest

from tests.overlay.conftest import ADMIN, PASSWORD, Control
from vreconnect import (
    AsyncReplication,
    AsyncVCenter,
    AsyncVCenterRest,
    CertificateMismatch,
    Replication,
    TLSConfig,
    TransportError,
    VCenter,
    VCenterRest,
    thumbprint_of,
    tls,
)
from vreconnect_sim.server import SimulatorServer

# ---------------------------------------------------------------------------- parsing


def test_pinned_accepts_sha1_and_sha256_in_any_spelling() -> None:
    sha1 = "5d:81:9a:65:31:7d:e4:fa:eb:40:a3:79:1f:22:bd:20:47:95:55:c2"
    config = TLSConfig.pinned(sha1)
    assert config.pin_algorithm == "sha1"
    assert config.thumbprint == sha1.upper()
    assert TLSConfig.pinned(sha1.replace(":", "").upper()) == config
    assert TLSConfig.pinned(f"  {sha1}\n") == config
    sha256 = "AB" * 32
    assert TLSConfig.pinned(sha256).pin_algorithm == "sha256"
    assert repr(TLSConfig.pinned(sha256)).startswith("TLSConfig.pinned('AB:AB:")


@pytest.mark.parametrize("bad", ["", "zz" * 20, "AB" * 16, "AB:CD", "AB" * 33])
def test_pinned_rejects_malformed_thumbprints(bad: str) -> None:
    with pytest.raises(ValueError):
        TLSConfig.pinned(bad)


def test_constructors_and_options() -> None:
    assert TLSConfig() == TLSConfig.verify()
    assert repr(TLSConfig.insecure()) == "TLSConfig.insecure()"
    with pytest.raises(FileNotFoundError):
        TLSConfig.ca_bundle("/no/such/bundle.pem")
    assert TLSConfig.from_options() == TLSConfig.verify()
    assert TLSConfig.from_options(insecure=True) == TLSConfig.insecure()
    assert TLSConfig.from_options(thumbprint="AB" * 20) == TLSConfig.pinned("AB" * 20)
    with pytest.raises(ValueError):
        TLSConfig.from_options(thumbprint="AB" * 20, insecure=True)
    with pytest.raises(ValueError):
        TLSConfig(mode="pinned")  # a pin needs its digest
    ctx = TLSConfig.verify().ssl_context()
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname


def test_thumbprint_of_formats_like_vsphere(sim_server: SimulatorServer) -> None:
    der = ssl.PEM_cert_to_DER_cert(sim_server.tls.cert_pem)
    sha1, sha256 = sim_server.thumbprints
    assert thumbprint_of(der, "sha1") == sha1
    assert thumbprint_of(der) == sha256
    assert thumbprint_of(der, "SHA-256") == sha256


def test_insecure_logs_a_warning_once(caplog: pytest.LogCaptureFixture) -> None:
    tls._insecure_warned = False
    with caplog.at_level(logging.WARNING, logger="vreconnect.tls"):
        TLSConfig.insecure().ssl_context()
        TLSConfig.insecure().ssl_context()
    assert len([r for r in caplog.records if "DISABLED" in r.message]) == 1


# ---------------------------------------------------------------------------- against the socket


def _login_sync(server: SimulatorServer, config: TLSConfig) -> None:
    for cls in (VCenter, VCenterRest, Replication):
        with cls(server.base_url, ADMIN, PASSWORD, tls=config) as conn:
            assert conn.logged_in


def _login_async(server: SimulatorServer, config: TLSConfig) -> None:
    async def run() -> None:
        for cls in (AsyncVCenter, AsyncVCenterRest, AsyncReplication):
            async with cls(server.base_url, ADMIN, PASSWORD, tls=config) as conn:
                assert conn.logged_in

    asyncio.run(run())


MODES = [_login_sync, _login_async]


@pytest.mark.parametrize("login", MODES)
def test_ca_bundle_verifies(sim_server: SimulatorServer, control: Control, login: object) -> None:
    login(sim_server, TLSConfig.ca_bundle(str(sim_server.ca_file)))  # type: ignore[operator]


@pytest.mark.parametrize("login", MODES)
@pytest.mark.parametrize("which", [0, 1], ids=["sha1", "sha256"])
def test_right_pin_connects(
    sim_server: SimulatorServer, control: Control, login: object, which: int
) -> None:
    assert sim_server.thumbprints is not None
    login(sim_server, TLSConfig.pinned(sim_server.thumbprints[which]))  # type: ignore[operator]


@pytest.mark.parametrize("login", MODES)
def test_insecure_connects(sim_server: SimulatorServer, control: Control, login: object) -> None:
    login(sim_server, TLSConfig.insecure())  # type: ignore[operator]


@pytest.mark.parametrize("login", MODES)
@pytest.mark.parametrize("which", [0, 1], ids=["sha1", "sha256"])
def test_wrong_pin_fails_before_any_request(
    sim_server: SimulatorServer, control: Control, login: object, which: int
) -> None:
    # A rule that only counts: if any request reached the server, `matched` would move.
    rule = control.fault(operation="*", latency_ms=1)
    assert sim_server.thumbprints is not None
    real = sim_server.thumbprints[which]
    wrong = ("00:" if not real.startswith("00") else "11:") + real[3:]
    with pytest.raises(CertificateMismatch) as info:
        login(sim_server, TLSConfig.pinned(wrong))  # type: ignore[operator]
    err = info.value
    assert isinstance(err, TransportError)
    assert err.expected == wrong and err.presented == real
    assert wrong in str(err) and real in str(err)
    assert err.presented_sha256 == sim_server.thumbprints[1]
    assert next(r for r in control.rules() if r["id"] == rule["id"])["matched"] == 0
    assert len(sim_server.state.session_store("vim25")) == 0


@pytest.mark.parametrize("login", MODES)
def test_default_verify_rejects_the_self_signed_cert(
    sim_server: SimulatorServer, control: Control, login: object
) -> None:
    with pytest.raises(TransportError) as info:
        login(sim_server, TLSConfig.verify())  # type: ignore[operator]
    assert not isinstance(info.value, CertificateMismatch)
    assert "ca_bundle" in str(info.value)  # the message says how to fix it
    assert PASSWORD not in str(info.value)


def test_unreachable_server_is_a_transport_error() -> None:
    with pytest.raises(TransportError) as info:
        VCenter("https://127.0.0.1:1", ADMIN, PASSWORD, timeout=2).login()
    assert info.value.__cause__ is not None
