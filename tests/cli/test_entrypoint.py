"""The installed ``vreconnect`` entry point, in subprocesses: sim serve, exit codes, Ctrl-C."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import (
    DISCONNECTED_HOST,
    NEW_CERT_HOST,
    TRACEBACK,
    VRECONNECT,
    ServedSimulator,
    run_cli,
)

pytestmark = pytest.mark.socket


def _thumbprint(der: bytes, algorithm: str) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.new(algorithm, der).digest())


def test_sim_serve_prints_urls_and_the_served_certificates_thumbprints(
    sim: ServedSimulator,
) -> None:
    assert set(sim.urls) == {"vim25", "sms", "vcenter", "vr", "control"}
    assert sim.urls["vim25"].startswith("https://127.0.0.1:")
    assert sim.urls["vim25"].endswith("/sdk/vim25/8.0.3.0")
    assert sim.urls["vr"].endswith("/api/rest/vr/v2")
    port = int(sim.base_url.rsplit(":", 1)[1])
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", port)))
    assert sim.sha1 == _thumbprint(der, "sha1")
    assert sim.sha256 == _thumbprint(der, "sha256")
    assert der == ssl.PEM_cert_to_DER_cert(Path(sim.cert_file).read_text())


def test_success_with_json_output(sim: ServedSimulator) -> None:
    proc = run_cli(sim, ["--json", "host", "reconnect", DISCONNECTED_HOST])
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is True and data["connection_state"] == "connected"
    assert proc.stderr == ""


def test_fault_is_one_line_with_a_hint_and_no_traceback(sim: ServedSimulator) -> None:
    proc = run_cli(sim, ["host", "reconnect", NEW_CERT_HOST])
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("error: SSLVerifyFault: Authenticity of the host's SSL certificate")
    assert any(line.startswith("hint: pass --thumbprint ") for line in lines)
    assert TRACEBACK not in proc.stderr
    assert "VMware1!" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["host", "reconnect"],  # missing HOST
        ["host", "reconnect", "host-1", "--port", "notaport"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    proc = run_cli(None, args)
    assert proc.returncode == 2
    assert TRACEBACK not in proc.stderr


@pytest.mark.usefixtures("slow_tasks")
def test_timeout_exits_3_and_says_how_to_resume(sim: ServedSimulator) -> None:
    proc = run_cli(sim, ["host", "reconnect", DISCONNECTED_HOST, "--timeout", "0.5"])
    assert proc.returncode == 3
    assert proc.stderr.startswith("error: TaskTimeout: ")
    assert "hint: the task is still running; resume with: vreconnect task wait task-" in proc.stderr


def test_unreachable_server_exits_4() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    proc = run_cli(
        None,
        ["host", "reconnect", "host-1"],
        env={
            "VRECONNECT_URL": f"https://127.0.0.1:{port}",
            "VRECONNECT_USER": "u",
            "VRECONNECT_PASSWORD": "p",
        },
    )
    assert proc.returncode == 4
    assert proc.stderr.startswith("error: TransportError: ")
    assert TRACEBACK not in proc.stderr


@pytest.mark.usefixtures("slow_tasks")
def test_ctrl_c_while_waiting_exits_130_and_names_the_task(sim: ServedSimulator) -> None:
    proc = subprocess.Popen(
        [str(VRECONNECT), "host", "reconnect", DISCONNECTED_HOST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=sim.env(),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first progress line: the task is running
    assert "running" in first, first
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "vreconnect task wait task-" in err
    assert TRACEBACK not in err


def test_sim_serve_rejects_a_bad_scenario_and_a_busy_port(
    tmp_path: Path, sim: ServedSimulator
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("vim25:\n  hosts: 3\n")
    proc = run_cli(None, ["sim", "serve", "--scenario", str(bad), "--port", "0"], timeout=30)
    assert proc.returncode == 2
    assert "vim25.hosts" in proc.stderr
    port = sim.base_url.rsplit(":", 1)[1]
    start = time.monotonic()
    busy = run_cli(None, ["sim", "serve", "--port", port], timeout=30)
    assert busy.returncode == 4, (busy.stdout, busy.stderr, time.monotonic() - start)
    assert "cannot listen" in busy.stderr
