"""Fixtures for the command-line tests.

The simulator runs as ``vreconnect sim serve --tls --port 0`` in a subprocess (one per test
session), exactly as a user would start it; its printed banner gives the URLs, the certificate
and its thumbprints. Every test then drives the CLI over that real socket, either in-process
(typer's CliRunner, fast) or through the installed ``vreconnect`` entry point (subprocess).
Before each test the simulator is reset through its control API (zero task durations).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from vreconnect.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
VRECONNECT = Path(sys.executable).parent / "vreconnect"
SCENARIO = ROOT / "simulator" / "vreconnect_sim" / "scenarios" / "recovery-demo.yaml"
ADMIN = "administrator@vsphere.local"
PASSWORD = "VMware1!"

# Objects of recovery-demo.yaml.
DISCONNECTED_HOST = "host-102"
CONNECTED_HOST = "host-101"
NEW_CERT_HOST = "host-106"
HA_BAD_HOST = "host-201"
PROVIDER = "vasa-2"
PAIRING = "e30d7438-0a92-449a-a4d6-7c9a623e01db"
VCHA_SPEC = ROOT / "simulator" / "vreconnect_sim" / "scenarios" / "recovery-demo.vcha-redeploy.json"

TRACEBACK = "Traceback (most recent call last)"


@dataclass
class ServedSimulator:
    """What ``vreconnect sim serve`` printed, plus the process."""

    proc: subprocess.Popen[str]
    urls: dict[str, str]
    cert_file: str
    sha1: str
    sha256: str
    banner: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return self.urls["control"].removesuffix("/_sim")

    def control(self) -> httpx.Client:
        """A client on the control API, trusting the simulator's certificate."""
        verify = ssl.create_default_context(cafile=self.cert_file)
        return httpx.Client(base_url=self.urls["control"], verify=verify, timeout=10)

    def env(self, **extra: str) -> dict[str, str]:
        """An environment pointing the CLI at this simulator (and nothing else of the caller's)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
        env.update(
            VRECONNECT_URL=self.base_url,
            VRECONNECT_USER=ADMIN,
            VRECONNECT_PASSWORD=PASSWORD,
            VRECONNECT_CA_FILE=self.cert_file,
            NO_COLOR="1",
        )
        env.update(extra)
        return env


def _read_banner(proc: subprocess.Popen[str], deadline: float) -> list[str]:
    """Lines up to "Press Ctrl-C"; a thread keeps draining stdout so the pipe never fills."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, name="sim-serve-stdout", daemon=True).start()
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if line.startswith("Press Ctrl-C"):
            return seen
    raise RuntimeError(f"vreconnect sim serve did not start: {seen!r}")


def parse_banner(lines: Sequence[str]) -> dict[str, str]:
    """``{surface: url, 'certificate': path, 'sha1': ..., 'sha256': ...}`` from the banner."""
    out: dict[str, str] = {}
    for line in lines:
        if m := re.match(r"^\s+(vim25|sms|vcenter|vr|control)\s+(\S+)$", line):
            out[m.group(1)] = m.group(2)
        elif m := re.match(r"^\s+certificate\s+(\S+)$", line):
            out["certificate"] = m.group(1)
        elif m := re.match(r"^\s+SHA-1 thumbprint\s+(\S+)$", line):
            out["sha1"] = m.group(1)
        elif m := re.match(r"^\s+SHA-256 thumbprint\s+(\S+)$", line):
            out["sha256"] = m.group(1)
    return out


@pytest.fixture(scope="session")
def served() -> Iterator[ServedSimulator]:
    """``vreconnect sim serve --tls --port 0 --scenario recovery-demo.yaml`` for the session."""
    proc = subprocess.Popen(
        [
            str(VRECONNECT),
            "sim",
            "serve",
            "--tls",
            "--port",
            "0",
            "--scenario",
            str(SCENARIO),
            "--seed",
            "1",
            # Every answer the CLI gets is checked against specs/ (a violation answers 500).
            "--validate-responses",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")},
    )
    try:
        banner = _read_banner(proc, time.monotonic() + 60)
        info = parse_banner(banner)
        sim = ServedSimulator(
            proc=proc,
            urls={
                k: v for k, v in info.items() if k in ("vim25", "sms", "vcenter", "vr", "control")
            },
            cert_file=info["certificate"],
            sha1=info["sha1"],
            sha256=info["sha256"],
            banner=banner,
        )
        yield sim
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C: must stop cleanly
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def sim(served: ServedSimulator) -> ServedSimulator:
    """The served simulator, reset to its scenario (tasks take 0 s)."""
    with served.control() as control:
        control.post("/reset").raise_for_status()
    return served


@pytest.fixture
def slow_tasks(sim: ServedSimulator) -> Iterator[None]:
    """Make every task run 30 s (for timeouts and --no-wait); reset afterwards by ``sim``."""
    with sim.control() as control:
        control.put("/settings/tasks", json={"default": 30}).raise_for_status()
    yield


@pytest.fixture
def runner() -> CliRunner:
    """typer's in-process runner."""
    return CliRunner()


def invoke(
    runner: CliRunner,
    sim: ServedSimulator,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run the CLI in-process against ``sim`` (environment as :meth:`ServedSimulator.env`)."""
    full_env: dict[str, Any] = {k: None for k in os.environ if k.startswith("VRECONNECT_")}
    full_env.update(sim.env(**(env or {})))
    return runner.invoke(app, list(args), env=full_env, catch_exceptions=False)


def run_cli(
    sim: ServedSimulator | None,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``vreconnect`` entry point (stdin not a terminal)."""
    base = (
        sim.env()
        if sim is not None
        else {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
    )
    base.update(env or {})
    return subprocess.run(
        [str(VRECONNECT), *args],
        capture_output=True,
        text=True,
        env=base,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
