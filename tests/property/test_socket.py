"""The suite over a real socket: the embedded TLS server, and ``vreconnect contract`` end to end.

* :class:`~vreconnect_sim.server.SimulatorServer` (uvicorn, TLS) runs one document's suite
  through the network path of :class:`vreconnect.contract.Target` (a CA bundle).
* ``vreconnect sim serve --tls`` in one subprocess, ``vreconnect contract --url ...`` in another
  (a thumbprint pin): with ``--reset-simulator`` the embedded run's checks, every link
  followed, exit status 0 and a clean JUnit file; exit 1 when the server breaks its contract
  or refuses a password; 4 when nothing listens; 2 for a bad command line; and by default (no
  ``--allow``) no state-changing call at all.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from vreconnect.contract import SURFACES, Target, run_surface
from vreconnect.contract.report import summary_lines
from vreconnect.contract.results import SuiteResult
from vreconnect.tls import TLSConfig
from vreconnect_sim.server import SimulatorServer

from .conftest import Budget, options

pytestmark = pytest.mark.socket

VRECONNECT = Path(sys.executable).parent / "vreconnect"
BROKEN_PAIRING = "e30d7438-0a92-449a-a4d6-7c9a623e01db"  # default.yaml: broken but healthy
SMALL = Budget(max_examples=5, max_steps=6, max_scenarios=15)


def _check_clean(result_surface: object) -> None:
    from vreconnect.contract.results import SurfaceResult

    assert isinstance(result_surface, SurfaceResult)
    summary = summary_lines(SuiteResult([result_surface], result_surface.seconds))
    assert result_surface.ok, summary


@pytest.mark.parametrize(
    ("document", "trust"),
    # A thumbprint pin over TLS: test_contract_against_sim_serve_passes (every document).
    [("vim25", "ca-file")],
)
def test_suite_over_tls(document: str, trust: str) -> None:
    """One document's full suite against the TLS server (no in-process shortcut)."""
    with SimulatorServer(tls=True, port=0, seed=0) as server:
        assert server.ca_file is not None and server.thumbprints is not None
        tls = (
            TLSConfig.ca_bundle(server.ca_file)
            if trust == "ca-file"
            else TLSConfig.pinned(server.thumbprints[1])
        )
        target = Target.remote(server.base_url, tls)
        result = run_surface(SURFACES[document], target, options(SMALL))
    _check_clean(result)
    assert sum(result.cases.values()) > 100
    assert result.links_followed, "no link was followed over the socket"


def test_pinned_thumbprint_mismatch_sends_nothing() -> None:
    """A wrong pin fails the handshake: the suite cannot even probe the server."""
    with SimulatorServer(tls=True, port=0, seed=0) as server:
        target = Target.remote(server.base_url, TLSConfig.pinned("00" * 32))
        with pytest.raises(requests.exceptions.SSLError):
            target.request(
                "POST",
                "/api/rest/vr/v2/session",
                headers={"Authorization": "Basic cmVhZG9ubHk6Vk13YXJlMSE="},
            )
        assert len(server.state.sessions["vr"]) == 0


# -- vreconnect contract against vreconnect sim serve ---------------------------------------


@dataclass
class Served:
    """``vreconnect sim serve --tls`` running in a subprocess."""

    proc: subprocess.Popen[str]
    base_url: str
    sha256: str
    cert_file: str

    def env(self, **extra: str) -> dict[str, str]:
        """The caller's environment without VRECONNECT_*, plus ``extra``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
        env.update(NO_COLOR="1", **extra)
        return env

    def control(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """A call on the simulator's control API."""
        return requests.request(  # type: ignore[arg-type]
            method, f"{self.base_url}/_sim{path}", verify=self.cert_file, timeout=10, **kwargs
        )


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    proc = subprocess.Popen(
        [
            str(VRECONNECT),
            "sim",
            "serve",
            "--tls",
            "--port",
            "0",
            "--seed",
            "0",
            "--validate-responses",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    banner: list[str] = []
    try:
        while not any(line.startswith("Press Ctrl-C") for line in banner):
            banner.append(lines.get(timeout=30))
    except queue.Empty:
        proc.kill()
        pytest.fail("vreconnect sim serve printed no banner:\n" + "".join(banner))
    text = "".join(banner)
    url = re.search(r"control\s+(https://\S+)/_sim", text)
    sha256 = re.search(r"SHA-256 thumbprint\s+(\S+)", text)
    cert = re.search(r"certificate\s+(\S+)", text)
    assert url and sha256 and cert, text
    try:
        yield Served(proc, url.group(1), sha256.group(1), cert.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _contract(served: Served, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base_env = {
        "VRECONNECT_PASSWORD": "VMware1!",
        "VRECONNECT_READONLY_USER": "readonly@vsphere.local",
        "VRECONNECT_READONLY_PASSWORD": "VMware1!",
    }
    base_env.update(env)
    return subprocess.run(
        [str(VRECONNECT), "contract", *args],
        env=served.env(**base_env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _junit(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    return root


class _SessionSampler:
    """Samples the served simulator's open sessions (``/_sim/health``) while a run goes on."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                sessions = self.served.control("GET", "/health").json()["sessions"]
            except (requests.RequestException, ValueError, KeyError):
                continue
            for name, count in sessions.items():
                self.peak[name] = max(self.peak.get(name, 0), int(count))

    def __enter__(self) -> _SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def test_contract_against_sim_serve_passes(served: Served, tmp_path: Path) -> None:
    """`vreconnect contract --url` against `vreconnect sim serve --reset-simulator`: the
    embedded run's checks over a socket -- every operation on the objects named, the simulator
    reset before every phase and scenario (the VCHA cluster is degraded again, each pairing
    broken again), every link followed (--require-links), both outcomes of the tasks whose
    failure a page documents, few sessions open at once, exit 0 and a clean JUnit file.

    Before --reset-simulator, the served simulator healed after the first redeploy and
    reconnect: later ones could only fail, and most links were never followed."""
    import json

    from vreconnect.contract.surfaces import SURFACES

    junit = tmp_path / "contract.xml"
    assert served.control("POST", "/reset").status_code == 200
    with _SessionSampler(served) as sampler:
        proc = _contract(
            served,
            "--url", served.base_url,
            "--user", "administrator@vsphere.local",
            "--thumbprint", served.sha256,
            "--allow", "all",
            "--object", "host=host-102", "--object", "host=host-203",
            "--object", "vasa-provider=vasa-2", "--object", f"pairing={BROKEN_PAIRING}",
            "--object", "vcha-cluster=vc.example.com",
            "--reset-simulator", "--require-links",
            # Every link is followed from 8 on (ReconfigureHostForDAS_Task's, which start
            # only on the four of sixteen hosts HA can be reconfigured on, are the last).
            "--max-examples", "10",
            "--junit", str(junit), "--json",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "VMware1!" not in proc.stdout + proc.stderr + junit.read_text()
    report = json.loads(proc.stdout)
    surfaces = {s["surface"]: s for s in report["surfaces"]}
    assert set(surfaces) == {"vim25", "sms", "vcenter", "vr"}
    for name, surface in surfaces.items():
        assert surface["links_declared"] > 0 and surface["links_missed"] == [], name
        assert surface["status"] == "passed" and not surface["not_run"], name
    # Both outcomes, where the page documents that the task can fail.
    for name in ("sms", "vcenter", "vr"):
        for op_id, read in SURFACES[name].task_reads.items():
            states = set(surfaces[name]["tasks"].get(op_id, {}))
            assert states & read.failed and states - read.failed, (op_id, states)
    root = _junit(junit)
    assert (root.get("failures"), root.get("errors")) == ("0", "0")
    names = {(c.get("classname"), c.get("name")) for c in root.iter("testcase")}
    # The same checks as the property tests, the suite's own included.
    for expected in [
        ("vim25.ReconnectHost_Task", "response_schema_conformance"),
        ("vim25.ReconnectHost_Task", "privilege_required"),
        ("vim25.ReconnectHost_Task", "session_required"),
        ("vim25.ReconnectHost_Task", "task_completes"),
        ("sms.VasaProviderReconnect_Task", "privilege_required"),
        ("vcenter.vcha_cluster_passive_redeploy_task", "ignored_auth"),
        ("vcenter.vcha_cluster_passive_redeploy_task", "task_completes"),
        ("vr.reconnect_pairing", "negative_data_rejection"),
    ]:
        assert expected in names, expected
    assert not [c for c in root.iter("testcase") if c.find("skipped") is not None and
                c.get("classname", "").endswith(".links")]  # fmt: skip
    # The simulator checked its own responses all along.
    violations = served.control("GET", "/violations").json()
    assert violations["total"] == 0, violations
    # A few sessions at a time (a scenario's own logins and the suite's two users), none left.
    assert sampler.peak and max(sampler.peak.values()) <= 12 + 3, sampler.peak  # max-steps 12
    assert _open_sessions(served) == 0


def _open_sessions(served: Served) -> int:
    """Live sessions of every login domain of the served simulator."""
    return sum(served.control("GET", "/health").json()["sessions"].values())


def test_contract_is_safe_by_default(served: Served, tmp_path: Path) -> None:
    """Without --allow only logins, reads and task reads run: no task is ever started."""
    assert served.control("POST", "/reset").status_code == 200
    junit = tmp_path / "safe.xml"
    # With --url, the user comes from VRECONNECT_USER as documented.
    proc = _contract(
        served, "--url", served.base_url, "--insecure", "--max-examples", "3",
        "--junit", str(junit), VRECONNECT_USER="administrator@vsphere.local",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert served.control("GET", "/tasks").json()["total"] == 0
    # --insecure is warned about in the command's own words, not the Python API's.
    assert "--insecure: the server certificate is not verified" in proc.stderr
    assert "TLSConfig" not in proc.stderr
    # The read-only user logged in, and the summary says why its check did not run.
    assert "skipped: privilege_required (no state-changing operation allowed)" in proc.stdout
    assert _open_sessions(served) == 0
    skipped = {
        c.get("classname")
        for c in _junit(junit).iter("testcase")
        if c.find("skipped") is not None and c.get("name") == "(all checks)"
    }
    assert {
        "vim25.ReconnectHost_Task",
        "vim25.CancelTask",
        "sms.VasaProviderReconnect_Task",
        "vcenter.vcha_cluster_passive_redeploy_task",
        "vr.reconnect_pairing",
    } <= skipped
    assert "--allow ReconnectHost_Task" in proc.stdout


def test_contract_fails_when_the_server_breaks_its_contract(served: Served, tmp_path: Path) -> None:
    """A response the document does not allow fails the run: exit 1, a JUnit failure."""
    rule = {"id": "contract-418", "surface": "vim25", "operation": "GetHostSystemRuntime",
            "status": 418, "body": {"teapot": True}}  # fmt: skip
    assert served.control("POST", "/faults", json=rule).status_code == 201
    try:
        junit = tmp_path / "broken.xml"
        proc = _contract(
            served, "--url", served.base_url, "--user", "administrator@vsphere.local",
            "--thumbprint", served.sha256, "--surface", "vim25", "--max-examples", "3",
            "--junit", str(junit),
        )  # fmt: skip
    finally:
        served.control("DELETE", "/faults/contract-418")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "GetHostSystemRuntime · " in proc.stdout
    failed = {
        c.get("classname") for c in _junit(junit).iter("testcase") if c.find("failure") is not None
    }
    # The server validates its own responses (--validate-responses), so the 418 reaches the
    # client as a 500 that is not one of the documented faults.
    assert failed == {"vim25.GetHostSystemRuntime"}


def test_contract_exit_codes(served: Served, tmp_path: Path) -> None:
    """2 for a bad command line (no password flag exists; unknown --allow; --allow without
    the objects it may change), 1 and one line for a wrong password, 4 for no server."""
    bad_allow = _contract(served, "--url", served.base_url, "--user", "u", "--allow", "Nope")
    assert bad_allow.returncode == 2, bad_allow.stderr
    assert "Nope" in bad_allow.stderr
    password_flag = _contract(served, "--url", served.base_url, "--password", "x")
    assert password_flag.returncode == 2
    # A state-changing operation against a server not owned needs the objects it may change.
    no_objects = _contract(
        served, "--url", served.base_url, "--user", "u", "--insecure",
        "--allow", "DisconnectHost_Task",
    )  # fmt: skip
    assert no_objects.returncode == 2, no_objects.stderr
    assert "--object host=ID" in no_objects.stderr
    # The VCHA redeploy's URL names no object: the cluster it changes must be named.
    no_cluster = _contract(
        served, "--url", served.base_url, "--user", "u", "--insecure",
        "--allow", "vcha_cluster_passive_redeploy_task",
    )  # fmt: skip
    assert no_cluster.returncode == 2, no_cluster.stderr
    assert "--object vcha-cluster=NAME" in no_cluster.stderr
    # A wrong password: one error line, exit 1, and no other surface tried.
    before = served.control("GET", "/health").json()
    wrong = _contract(
        served, "--url", served.base_url, "--user", "administrator@vsphere.local",
        "--thumbprint", served.sha256, VRECONNECT_PASSWORD="Wr0ng-Pa55",
    )  # fmt: skip
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    lines = wrong.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: InvalidLogin: vim25"), wrong.stderr
    assert wrong.stdout == "" and "Wr0ng-Pa55" not in wrong.stderr
    assert served.control("GET", "/health").json()["sessions"] == before["sessions"]
    # The same for the read-only user's, in safe mode too (where nothing needs it).
    wrong_readonly = _contract(
        served, "--url", served.base_url, "--user", "administrator@vsphere.local",
        "--thumbprint", served.sha256, VRECONNECT_READONLY_PASSWORD="Wr0ng-Pa55",
    )  # fmt: skip
    assert wrong_readonly.returncode == 1, wrong_readonly.stdout + wrong_readonly.stderr
    lines = wrong_readonly.stderr.splitlines()
    assert len(lines) == 1 and "login as readonly@vsphere.local" in lines[0], lines
    assert served.control("GET", "/health").json()["sessions"] == before["sessions"]
    # Nothing listens: exit 4, and the JUnit file says so (one error testcase).
    junit = tmp_path / "unreachable.xml"
    with socket_closed_port() as port:
        nothing = _contract(
            served, "--url", f"https://127.0.0.1:{port}", "--user", "u", "--insecure",
            "--junit", str(junit),
        )  # fmt: skip
    assert nothing.returncode == 4, nothing.stdout + nothing.stderr
    errors = [e for c in _junit(junit).iter("testcase") for e in c.iter("error")]
    assert len(errors) == 1 and f"127.0.0.1:{port}" in (errors[0].get("message") or "")


class socket_closed_port:
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        sock.close()
        return self.port

    def __exit__(self, *exc: object) -> None:
        return None


def test_contract_without_url_runs_the_embedded_simulator(tmp_path: Path) -> None:
    """No --url: the embedded simulator, every operation, the default users; exit 0. A link
    the run did not follow is reported; with --require-links it is a failure, and the
    summary, the JUnit file and the exit status all say so."""
    junit = tmp_path / "embedded.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
    # A server and user set in the environment do not choose the server here: no --url on
    # the command line means the embedded simulator, as its default users.
    with socket_closed_port() as port:
        env.update(VRECONNECT_URL=f"https://127.0.0.1:{port}", VRECONNECT_USER="someone")
    # Too short a run to follow every link of the document.
    short = [str(VRECONNECT), "contract", "--surface", "vcenter", "--max-examples", "1",
             "--max-steps", "2"]  # fmt: skip
    lenient = subprocess.run(
        [*short, "--junit", str(junit)], env=env, capture_output=True, text=True, timeout=600
    )
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "VRECONNECT_URL is set, but without --url" in lenient.stderr
    assert "not followed (fails the run only with --require-links)" in lenient.stdout
    root = _junit(junit)
    assert root.get("failures") == "0"
    assert any(c.get("name") == "privilege_required" for c in root.iter("testcase"))
    strict_junit = tmp_path / "strict.xml"
    strict = subprocess.run(
        [*short, "--require-links", "--junit", str(strict_junit)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "not followed (a failure with --require-links)" in strict.stdout
    assert "fails the run only with" not in strict.stdout
    verdict = [line for line in strict.stdout.splitlines() if "surface(s)" in line]
    assert verdict and verdict[-1].startswith("FAILED"), strict.stdout
    assert int(_junit(strict_junit).get("failures") or 0) > 0
