"""The main job: ``vreconnect recover-all`` (embedded simulator and ``--url``) and ``./scripts/run``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vreconnect.cli.app import app

from .conftest import ROOT, TRACEBACK, ServedSimulator, invoke

pytestmark = pytest.mark.socket

PLAN = ROOT / "simulator" / "vreconnect_sim" / "scenarios" / "recovery-demo.plan.yaml"
ITEMS = ["host-102", "host-106", "host-201", "vasa-2", "vcha", "e30d7438"]


def _clean_env() -> dict[str, Any]:
    """No VRECONNECT_* of the caller's: the job must start its own simulator."""
    return {k: None for k in os.environ if k.startswith("VRECONNECT_")}


def test_embedded_job_recovers_everything_json(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["recover-all", "--task-seconds", "0", "--json"],
        env=_clean_env(),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["recovered"] == data["total"] == 6
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
    assert "Recovery summary" in out
    for item in ITEMS:
        assert item in out
    assert "All recovered: 6 of 6 recovered." in out
    assert TRACEBACK not in result.output


def test_url_mode_runs_the_plan_without_touching_the_control_api(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["recover-all", "--plan", str(PLAN), "--json"])
    # Against a server the job cannot fix the HA host's network: that item fails, decoded.
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["simulator"] is None and data["recovered"] == 5
    failed = [item for item in data["items"] if not item["recovered"]]
    assert [item["item"] for item in failed] == ["host-201"]
    assert failed[0]["error"]["type"] == "DasConfigFault"
    assert failed[0]["error"]["fields"]["reason"] == "HostNetworkMisconfiguration"


def test_url_mode_with_a_partial_plan_succeeds(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "hosts:\n  - id: host-102\n  - {id: host-106, accept_thumbprint: true}\n"
        "vasa_providers: [{id: vasa-2}]\n"
        f"vcha: {{spec: {PLAN.with_name('recovery-demo.vcha-redeploy.json')}}}\n"
    )
    result = invoke(runner, sim, ["recover-all", "--plan", str(plan)])
    assert result.exit_code == 0, result.output
    assert "All recovered: 4 of 4 recovered." in result.stdout


def test_url_mode_needs_a_plan_and_a_valid_one(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    result = invoke(runner, sim, ["recover-all"])
    assert result.exit_code == 2 and "--plan" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts:\n  - id: host-102\n    colour: blue\n")
    result = invoke(runner, sim, ["recover-all", "--plan", str(bad)])
    assert result.exit_code == 2
    assert "hosts.0.colour" in result.stderr


def test_url_mode_login_failure_is_one_error(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner, sim, ["recover-all", "--plan", str(PLAN)], env={"VRECONNECT_PASSWORD": "nope-Zz1"}
    )
    assert result.exit_code == 1
    assert result.stderr.count("error: ") == 1
    assert "InvalidLogin" in result.stderr or "Unauthenticated" in result.stderr
    assert "nope-Zz1" not in result.output


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
