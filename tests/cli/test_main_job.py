"""The main job: ``vreconnect recover-all`` (embedded simulator and ``--url``) and ``./scripts/run``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vreconnect.cli.app import app

from .conftest import ROOT, TRACEBACK, VRECONNECT, ServedSimulator, invoke

pytestmark = pytest.mark.socket

PLAN = ROOT / "simulator" / "vreconnect_sim" / "scenarios" / "recovery-demo.plan.yaml"
ITEMS = ["host-102", "host-106", "host-201", "vasa-2", "vcha", "e30d7438"]


def _clean_env() -> dict[str, Any]:
    """No VRECONNECT_* of the caller's: the job must start its own simulator."""
    return {k: None for k in os.environ if k.startswith("VRECONNECT_")}


def test_embedded_job_recovers_everything_json(runner: CliRunner, sim: ServedSimulator) -> None:
    # VRECONNECT_URL (and the CA file) exported, as README suggests: the main job still runs
    # its own simulator; only --url on the command line points it at a server.
    result = invoke(runner, sim, ["recover-all", "--task-seconds", "0", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["recovered"] == data["total"] == 6
    assert data["already_healthy"] == 0
    assert data["simulator"]["url"] != sim.base_url
    assert data["simulator"]["sha256_thumbprint"].count(":") == 31
    items = {item["item"]: item for item in data["items"]}
    assert list(items) == ITEMS
    assert all(item["recovered"] for item in items.values())
    # The thumbprint flow: the decoded SSLVerifyFault, then a second task.
    cert = items["host-106"]
    assert [f["type"] for f in cert["expected_faults"]] == ["SSLVerifyFault"]
    assert cert["expected_faults"][0]["fields"]["thumbprint"].count(":") == 19
    assert len(cert["tasks"]) == 2 and cert["after"] == "connected"
    # The HA host: DasConfigFault decoded, fixed, reconfigured again.
    ha = items["host-201"]
    das = ha["expected_faults"][0]
    assert das["type"] == "DasConfigFault"
    assert das["fields"]["reason"] == "HostNetworkMisconfiguration"
    assert "no management network" in das["fields"]["output"]
    assert ha["before"] == "initializationError" and ha["after"] == "connectedToMaster"
    assert (
        items["host-102"]["before"] == "disconnected" and items["host-102"]["after"] == "connected"
    )
    assert items["vasa-2"]["after"] == "online"
    assert items["vcha"]["before"] == "DEGRADED" and items["vcha"]["after"] == "HEALTHY"
    assert items["e30d7438"]["after"] == "vc OK, vrms OK"


def test_embedded_job_human_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["recover-all", "--task-seconds", "0.2"], env=_clean_env())
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "embedded simulator at https://127.0.0.1:" in out
    assert "host-106: expected fault SSLVerifyFault" in out
    assert "host-201: expected fault DasConfigFault" in out
    assert "reason=HostNetworkMisconfiguration" in out
    # The failed first task is reported under the bar's first name, the retry under the new.
    first, retry = re.findall(r"^host-106 reconnect(.*?): (task-\d+) (failed|succeeded)", out, re.M)
    assert first[0] == "" and first[2] == "failed"
    assert retry[0] == " (new thumbprint)" and retry[2] == "succeeded"
    assert "Recovery summary" in out
    for item in ITEMS:
        assert item in out
    assert "All recovered: 6 of 6 recovered." in out
    assert TRACEBACK not in result.output


def test_url_mode_runs_again_leaving_healthy_items_alone(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    job = ["recover-all", "--url", sim.base_url, "--plan", str(PLAN)]
    first = invoke(runner, sim, [*job, "--json"])
    # Against a server the job cannot fix the HA host's network: that item fails, decoded.
    assert first.exit_code == 1, first.output
    data = json.loads(first.stdout)
    assert data["simulator"] is None and data["recovered"] == 5
    failed = [item for item in data["items"] if not item["ok"]]
    assert [item["item"] for item in failed] == ["host-201"]
    assert failed[0]["error"]["type"] == "DasConfigFault"
    assert failed[0]["error"]["fields"]["reason"] == "HostNetworkMisconfiguration"
    with sim.control() as control:  # the control API was not touched
        host = control.get("/objects/vim25/host-201").json()
    assert host["das_misconfig"] is not None

    second = invoke(runner, sim, job)
    assert second.exit_code == 1, second.output
    out = second.stdout
    for item in ("host-102", "host-106", "vasa-2", "vcha", "e30d7438"):
        assert f"{item}: already healthy (" in out
    # The real failure is shown decoded: type, message and the fields that matter.
    assert "host-201: error DasConfigFault: vSphere HA agent" in out
    assert "reason=HostNetworkMisconfiguration, output=fdm-installer: no management network" in out
    assert "Not everything was recovered: 0 of 6 recovered, 5 already healthy (exit 1)." in out

    with sim.control() as control:  # what the operator does on the host
        control.patch("/objects/vim25/host-201", json={"das_misconfig": None}).raise_for_status()
    third = invoke(runner, sim, [*job, "--json"])
    assert third.exit_code == 0, third.output
    data = json.loads(third.stdout)
    assert data["ok"] is True and data["recovered"] == 1 and data["already_healthy"] == 5
    items = {item["item"]: item for item in data["items"]}
    assert items["host-201"]["recovered"] and items["host-201"]["after"] == "connectedToMaster"
    assert items["vcha"]["outcome"] == "already healthy" and items["vcha"]["tasks"] == []


def test_url_mode_with_a_partial_plan_and_a_tls_flag(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "hosts:\n  - id: host-102\n  - {id: host-106, accept_thumbprint: true}\n"
        "vasa_providers: [{id: vasa-2}]\n"
        f"vcha: {{spec: {PLAN.with_name('recovery-demo.vcha-redeploy.json')}}}\n"
    )
    # --thumbprint replaces the exported VRECONNECT_CA_FILE (no "cannot be combined").
    args = ["--url", sim.base_url, "--plan", str(plan), "--thumbprint", sim.sha256]
    result = invoke(runner, sim, ["recover-all", *args])
    assert result.exit_code == 0, result.output
    assert "All recovered: 4 of 4 recovered." in result.stdout


def test_url_mode_needs_a_plan_and_a_valid_one(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    result = invoke(runner, sim, ["recover-all", "--url", sim.base_url])
    assert result.exit_code == 2 and "--plan" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts:\n  - id: host-102\n    colour: blue\n")
    result = invoke(runner, sim, ["recover-all", "--url", sim.base_url, "--plan", str(bad)])
    assert result.exit_code == 2
    assert "hosts.0.colour" in result.stderr
    # The VCHA spec a plan names is checked before anything starts.
    spec = tmp_path / "spec.json"
    spec.write_text('{"placement": {"name": "p", "folder": "group-v4", "hots": "host-21"}}')
    plan = tmp_path / "vcha.yaml"
    plan.write_text(f"vcha: {{spec: {spec}}}\n")
    result = invoke(runner, sim, ["recover-all", "--url", sim.base_url, "--plan", str(plan)])
    assert result.exit_code == 2, result.output
    assert (
        f"plan vcha.spec {spec}" in result.stderr and "placement.hots: unknown key" in result.stderr
    )


def test_url_mode_login_failure_is_one_error(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner,
        sim,
        ["recover-all", "--url", sim.base_url, "--plan", str(PLAN)],
        env={"VRECONNECT_PASSWORD": "nope-Zz1"},
    )
    assert result.exit_code == 1
    assert result.stderr.count("error: ") == 1
    assert "InvalidLogin" in result.stderr or "Unauthenticated" in result.stderr
    assert "nope-Zz1" not in result.output


def test_embedded_timeout_says_the_simulator_is_gone(runner: CliRunner, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("hosts: [{id: host-102}]\n")
    args = ["recover-all", "--plan", str(plan), "--task-seconds", "30", "--timeout", "0.2"]
    result = runner.invoke(app, [*args, "--json"], env=_clean_env())
    assert result.exit_code == 3, result.output
    error = json.loads(result.stdout)["items"][0]["error"]
    assert error["type"] == "TaskTimeout" and "did not finish within 0.2s" in error["message"]
    # Not "resume with vreconnect task wait": that simulator stopped with the job.
    assert "task wait" not in error["hint"] and "--timeout" in error["hint"]


def test_ctrl_c_stops_the_job_with_a_hint() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
    proc = subprocess.Popen(
        [str(VRECONNECT), "recover-all", "--task-seconds", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    waiting = set(ITEMS)
    for line in proc.stdout:  # every item's task started (no request still on its way)
        if " running " in line:
            waiting.discard(line.split()[0])
        if not waiting:
            break
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "error: Interrupted: recover-all stopped (Ctrl-C)" in err
    assert "hint: the embedded simulator stopped with it" in err
    assert TRACEBACK not in err


def test_scripts_run_end_to_end() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRECONNECT_")}
    proc = subprocess.run(
        [str(ROOT / "scripts" / "run")],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,  # a first run on a fresh clone installs the virtualenv
        check=False,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for item in ITEMS:
        assert item in out
    for word in ("SSLVerifyFault", "DasConfigFault", "Recovery summary", "All recovered"):
        assert word in out
    assert TRACEBACK not in proc.stderr
