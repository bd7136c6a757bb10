"""Real sockets: TLS material, the embedded SimulatorServer, `serve` under SIGTERM, the plugin."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import ssl
import subprocess
import sys
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
    assert not server.running
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
        assert httpx.get(url + "/health", verify=False, timeout=10).status_code == 200
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "stopped" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_plugin_fixtures_reset_between_tests_part1(
    vreconnect_sim: SimulatorServer, vreconnect_sim_control: httpx.Client, vreconnect_sim_url: str
) -> None:
    assert vreconnect_sim_url == vreconnect_sim.base_url
    assert vreconnect_sim_control.post("/faults", json={"fault": "NoHost"}).status_code == 201
    assert len(vreconnect_sim.state.injector) == 1


def test_plugin_fixtures_reset_between_tests_part2(vreconnect_sim_control: httpx.Client) -> None:
    assert vreconnect_sim_control.get("/faults").json()["rules"] == []


def test_plugin_inprocess_app(vreconnect_sim_app: object, vreconnect_sim_clock: object) -> None:
    from vreconnect_sim.app import get_state

    state = get_state(vreconnect_sim_app)  # type: ignore[arg-type]
    assert state.clock is vreconnect_sim_clock
    assert state.seed == 0
