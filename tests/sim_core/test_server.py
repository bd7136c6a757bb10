"""Real sockets: TLS material, the embedded SimulatorServer, `serve` under SIGTERM, the plugin."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from vreconnect_sim.app import create_app
from vreconnect_sim.registry import SurfaceSpec
from vreconnect_sim.server import SimulatorServer
from vreconnect_sim.tls import generate_self_signed

from .conftest import FAKE

pytestmark = pytest.mark.socket


def test_tls_thumbprints_match_the_certificate(tmp_path: Path) -> None:
    tls = generate_self_signed(["vc.example.test", "10.0.0.5"], tmp_path)
    der = ssl.PEM_cert_to_DER_cert(tls.cert_file.read_text())
    assert tls.sha1 == ":".join(f"{b:02X}" for b in hashlib.sha1(der).digest())
    assert tls.sha256 == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert len(tls.sha256.split(":")) == 32 and tls.sha256 == tls.sha256.upper()
    cert = x509.load_pem_x509_certificate(tls.cert_file.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "vc.example.test"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "10.0.0.5"} <= {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    assert oct(tls.key_file.stat().st_mode & 0o777) == "0o600"


def test_embedded_tls_server_serves_drops_and_stops(fake_registered: SurfaceSpec) -> None:
    app = create_app(surfaces=[FAKE], hosts=1)
    with SimulatorServer(app=app) as server:
        assert server.base_url.startswith("https://127.0.0.1:") and server.port > 0
        with httpx.Client(verify=server.ssl_context(), timeout=10) as c:
            r = c.get(server.url("control") + "/health")
            assert r.status_code == 200 and r.json()["status"] == "ok"
            # The served certificate is the one whose thumbprints we publish.
            der = ssl.get_server_certificate(("127.0.0.1", server.port))
            assert hashlib.sha256(
                ssl.PEM_cert_to_DER_cert(der)
            ).hexdigest().upper() == server.thumbprints[1].replace(":", "")  # type: ignore[index]
            c.post(
                server.url("control") + "/faults",
                json={"operation": "ReconnectHost_Task", "drop": True, "count": 1},
            )
            with pytest.raises(httpx.RemoteProtocolError):
                c.post(server.base_url + "/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task")
            r = c.post(server.base_url + "/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task")
            assert r.status_code == 200
        port = server.port
        assert server.tls is not None and server.tls.key_file.exists()
    assert not server.running
    # The generated certificate and private key do not outlive the server.
    assert not server.tls.cert_file.parent.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_urls_and_thumbprints_and_stops_on_signal(sig: signal.Signals) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vreconnect_sim", "serve", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        url = next(w for w in text.split() if w.endswith("/_sim"))
        for path in ("/sdk/vim25/8.0.3.0", "/sdk/vim25/8.0.3.0/sms", "/rest", "/api/rest/vr/v2"):
            assert url.replace("/_sim", path) in text.split()
        assert "SHA-1 thumbprint" in text and "SHA-256 thumbprint" in text
        certificate = Path(text.split("certificate", 1)[1].split()[0])
        assert certificate.is_file() and (certificate.parent / "key.pem").is_file()
        trust = ssl.create_default_context(cafile=str(certificate))
        assert httpx.get(url + "/health", verify=trust, timeout=10).status_code == 200
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "stopped" in out and "Traceback" not in err
        assert not certificate.parent.exists()  # certificate and key deleted on the way out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_during_a_long_latency_rule_stops_quietly_and_promptly() -> None:
    """A request held by a 60 s latency rule neither delays the stop nor logs a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "vreconnect_sim", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        banner = ""
        for line in proc.stdout:
            banner += line
            if line.startswith("Press Ctrl-C"):
                break
        control = next(w for w in banner.split() if w.endswith("/_sim"))
        vim25 = control.replace("/_sim", "/sdk/vim25/8.0.3.0")
        rule = {"operation": "GetServiceInstanceContent", "latency_ms": 60_000}
        assert httpx.post(control + "/faults", json=rule, timeout=10).status_code == 201
        outcome: list[BaseException | httpx.Response] = []

        def call() -> None:
            try:
                outcome.append(httpx.get(vim25 + "/ServiceInstance/ServiceInstance/content"))
            except httpx.HTTPError as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 10
        while httpx.get(control + "/faults", timeout=10).json()["rules"][0]["matched"] < 1:
            assert time.monotonic() < deadline, "the request never reached the rule"
            time.sleep(0.02)
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert "stopped" in out
        stopped_after = time.monotonic() - stopping
        caller.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err
    assert "timeout graceful shutdown exceeded" not in err, err
    # uvicorn's graceful-shutdown timeout is 5 s: the held request did not wait for it.
    assert stopped_after < 4, stopped_after
    # The client sees the connection close without an answer, not a text/plain 500.
    [result] = outcome
    assert isinstance(result, httpx.RemoteProtocolError), result


def test_plugin_restores_the_initial_scenario_and_clock_before_each_test(
    tmp_path: Path,
) -> None:
    """A test that loads a scenario (here `?hosts=3` without host-102) or moves the clock
    leaves nothing behind for the next one, in-process and over TLS."""
    (tmp_path / "test_leaks.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    disabled = [arg for name in UNNEEDED_PLUGINS for arg in ("-p", f"no:{name}")]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *disabled, "test_leaks.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout, run.stdout


PLUGIN_TESTS = """
import httpx
import pytest

SMALL = b"settings: {seed: 1}\\n"


def control_of(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim/_sim")


@pytest.mark.asyncio
async def test_1_app_loads_a_small_fleet_and_moves_the_clock(
    vreconnect_sim_app, vreconnect_sim_clock
):
    async with control_of(vreconnect_sim_app) as control:
        loaded = await control.post("/scenario", params={"hosts": 3}, content=SMALL)
        assert loaded.status_code == 200
        assert (await control.get("/objects/vim25/host-102")).status_code == 404
        assert (await control.get("/health")).json()["fleet_size"] == 3
    vreconnect_sim_clock.advance(3600)


@pytest.mark.asyncio
async def test_2_app_starts_from_the_initial_scenario(vreconnect_sim_app, vreconnect_sim_clock):
    async with control_of(vreconnect_sim_app) as control:
        assert (await control.get("/objects/vim25/host-102")).status_code == 200
        assert (await control.get("/health")).json()["fleet_size"] is None
    assert vreconnect_sim_clock.time() == vreconnect_sim_clock.DEFAULT_START


def test_3_server_loads_a_small_fleet(vreconnect_sim_control):
    loaded = vreconnect_sim_control.post("/scenario", params={"hosts": 3}, content=SMALL)
    assert loaded.status_code == 200
    assert vreconnect_sim_control.get("/objects/vim25/host-102").status_code == 404


def test_4_server_starts_from_the_initial_scenario(vreconnect_sim_control):
    assert vreconnect_sim_control.get("/objects/vim25/host-102").status_code == 200
    assert vreconnect_sim_control.get("/health").json()["fleet_size"] is None
"""
# Plugins the inner run does not need (they only cost start-up time).
UNNEEDED_PLUGINS = ("cacheprovider", "hypothesispytest", "schemathesis", "anyio", "typeguard")


def test_plugin_fixtures_reset_between_tests_part1(
    vreconnect_sim: SimulatorServer, vreconnect_sim_control: httpx.Client, vreconnect_sim_url: str
) -> None:
    assert vreconnect_sim_url == vreconnect_sim.base_url
    rule = {"operation": "ReconnectHost_Task", "fault": "NoHost"}
    assert vreconnect_sim_control.post("/faults", json=rule).status_code == 201
    assert len(vreconnect_sim.state.injector) == 1


def test_plugin_fixtures_reset_between_tests_part2(vreconnect_sim_control: httpx.Client) -> None:
    assert vreconnect_sim_control.get("/faults").json()["rules"] == []


def test_plugin_inprocess_app(vreconnect_sim_app: object, vreconnect_sim_clock: object) -> None:
    from vreconnect_sim.app import get_state

    state = get_state(vreconnect_sim_app)  # type: ignore[arg-type]
    assert state.clock is vreconnect_sim_clock
    assert state.seed == 0
