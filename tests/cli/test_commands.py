"""Every command, in-process (typer's CliRunner), against ``vreconnect sim serve`` over TLS."""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vreconnect.cli import connect

from .conftest import (
    ADMIN,
    CONNECTED_HOST,
    DISCONNECTED_HOST,
    HA_BAD_HOST,
    NEW_CERT_HOST,
    PAIRING,
    PASSWORD,
    PROVIDER,
    TRACEBACK,
    VCHA_SPEC,
    ServedSimulator,
    invoke,
    run_cli,
)

pytestmark = pytest.mark.socket


def _json(stdout: str) -> dict[str, object]:
    data = json.loads(stdout)
    assert isinstance(data, dict)
    return data


# -- host ---------------------------------------------------------------------------------------


def test_host_reconnect_succeeds_and_reports_the_new_state(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST])
    assert result.exit_code == 0, result.output
    assert "ReconnectHost_Task succeeded" in result.stdout
    assert "connectionState connected" in result.stdout
    assert "task-" in result.stdout


def test_host_reconnect_json(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST, "--json"])
    assert result.exit_code == 0
    data = _json(result.stdout)
    assert data["ok"] is True and data["operation"] == "ReconnectHost_Task"
    assert data["connection_state"] == "connected"
    task = data["task"]
    assert isinstance(task, dict) and task["kind"] == "vim25" and task["state"] == "succeeded"


def test_global_json_flag_works_before_the_command(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["--json", "host", "reconnect", DISCONNECTED_HOST])
    assert result.exit_code == 0
    assert _json(result.stdout)["target"] == DISCONNECTED_HOST


def test_changed_certificate_gives_the_thumbprint_hint(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["host", "reconnect", NEW_CERT_HOST])
    assert result.exit_code == 1
    assert TRACEBACK not in result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: SSLVerifyFault: ")
    hint = [line for line in result.stderr.splitlines() if line.startswith("hint:")]
    assert hint and "--thumbprint " in hint[0] and "--accept-thumbprint" in hint[0]
    # The hint's thumbprint is the one that works.
    thumbprint = hint[0].split("--thumbprint ")[1].split()[0]
    again = invoke(
        runner, sim, ["host", "reconnect", NEW_CERT_HOST, "--thumbprint", thumbprint, "--json"]
    )
    assert again.exit_code == 0, again.output
    assert _json(again.stdout)["connection_state"] == "connected"


def test_accept_thumbprint_shows_the_decoded_fault_and_succeeds(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["host", "reconnect", NEW_CERT_HOST, "--accept-thumbprint"])
    assert result.exit_code == 0, result.output
    assert "expected fault SSLVerifyFault" in result.stdout
    assert "thumbprint=" in result.stdout and "self_signed=True" in result.stdout
    assert "accepted thumbprint" in result.stdout


def test_accept_thumbprint_json_reports_the_thumbprint(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(
        runner, sim, ["host", "reconnect", NEW_CERT_HOST, "--accept-thumbprint", "--json"]
    )
    assert result.exit_code == 0
    data = _json(result.stdout)
    assert (
        isinstance(data["accepted_thumbprint"], str)
        and data["accepted_thumbprint"].count(":") == 19
    )


def test_reconnect_of_a_connected_host_is_a_fault(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["host", "reconnect", CONNECTED_HOST, "--json"])
    assert result.exit_code == 1
    error = _json(result.stdout)["error"]
    assert isinstance(error, dict)
    assert error["type"] == "InvalidState" and error["exit_code"] == 1
    assert result.stderr.startswith("error: InvalidState: ")


def test_host_credentials_come_from_an_env_variable_and_are_never_printed(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    secret = "Sup3r-S3cret-H0st!"
    result = invoke(
        runner,
        sim,
        ["host", "reconnect", DISCONNECTED_HOST, "--user", "root", "--password-env", "ESX_PW"],
        env={"ESX_PW": secret},
    )
    assert result.exit_code == 1  # the host's password is VMware1!: InvalidLogin in the task
    assert "InvalidLogin" in result.stderr
    assert secret not in result.output


def test_host_password_env_must_exist(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner,
        sim,
        ["host", "reconnect", DISCONNECTED_HOST, "--user", "root", "--password-env", "NOPE_X"],
    )
    assert result.exit_code == 2
    assert "NOPE_X" in result.stderr


def test_host_user_without_password_off_a_terminal_is_a_usage_error(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST, "--user", "root"])
    assert result.exit_code == 2
    assert "--password-env" in result.stderr


def test_host_reconnect_flags_reach_the_server(runner: CliRunner, sim: ServedSimulator) -> None:
    # The host moved (new name and port) and another vCenter took it over meanwhile.
    with sim.control() as control:
        control.patch(
            f"/objects/vim25/{DISCONNECTED_HOST}",
            json={
                "actual_host_name": "esx-moved.example.com",
                "actual_port": 8443,
                "managed_by": "198.51.100.7",
            },
        ).raise_for_status()
    moved = ["--host-name", "esx-moved.example.com", "--port", "8443"]
    taken = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST, *moved])
    assert taken.exit_code == 1  # the address reached the host; without --force: taken over
    assert taken.stderr.startswith("error: AlreadyBeingManaged: ")
    assert "hint: pass --force" in taken.stderr
    result = invoke(
        runner,
        sim,
        ["host", "reconnect", DISCONNECTED_HOST, *moved, "--force", "--sync-state", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert _json(result.stdout)["connection_state"] == "connected"
    with sim.control() as control:
        host = control.get(f"/objects/vim25/{DISCONNECTED_HOST}").json()
    assert host["host_name"] == "esx-moved.example.com" and host["port"] == 8443
    assert host["managed_by"] is None  # --force took it over
    assert host["last_reconnect_sync_state"] is True
    assert host["last_state_sync_time"] is not None


def test_no_sync_state_reaches_the_server(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST, "--no-sync-state"])
    assert result.exit_code == 0, result.output
    with sim.control() as control:
        host = control.get(f"/objects/vim25/{DISCONNECTED_HOST}").json()
    assert host["last_reconnect_sync_state"] is False and host["last_state_sync_time"] is None


def test_reconfigure_ha_shows_the_das_config_fault_decoded(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["host", "reconfigure-ha", HA_BAD_HOST])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: DasConfigFault: ")
    assert "reason=HostNetworkMisconfiguration" in result.stderr
    assert "output=fdm-installer: no management network" in result.stderr
    # After the fix (what the operator does on the host), the same command succeeds.
    with sim.control() as control:
        control.patch(
            f"/objects/vim25/{HA_BAD_HOST}", json={"das_misconfig": None}
        ).raise_for_status()
    fixed = invoke(runner, sim, ["host", "reconfigure-ha", HA_BAD_HOST])
    assert fixed.exit_code == 0, fixed.output
    assert "ReconfigureHostForDAS_Task succeeded" in fixed.stdout


def test_reconfigure_ha_json_error_fields(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["host", "reconfigure-ha", HA_BAD_HOST, "--json"])
    assert result.exit_code == 1
    error = _json(result.stdout)["error"]
    assert isinstance(error, dict)
    assert error["type"] == "DasConfigFault"
    fields = error["fields"]
    assert isinstance(fields, dict) and fields["reason"] == "HostNetworkMisconfiguration"
    assert error["task_id"].startswith("task-")


# -- vasa, vcha, vr -------------------------------------------------------------------------------


def test_vasa_reconnect(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["vasa", "reconnect", PROVIDER, "--json"])
    assert result.exit_code == 0, result.output
    data = _json(result.stdout)
    assert data["provider_status"] == "online"
    assert data["task"]["id"].startswith("SmsTask-")  # type: ignore[index]


def test_vasa_unknown_provider(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["vasa", "reconnect", "vasa-404"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ManagedObjectNotFound")


def test_vcha_redeploy_with_the_shipped_spec(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["vcha", "redeploy", "--spec", str(VCHA_SPEC)])
    assert result.exit_code == 0, result.output
    assert "cluster health HEALTHY" in result.stdout


def test_vcha_redeploy_from_flags_only(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner,
        sim,
        [
            "vcha",
            "redeploy",
            "--name",
            "vcsa-passive",
            "--folder",
            "group-v4",
            "--host",
            "host-21",
            "--datastore",
            "datastore-15",
            "--ha-network",
            "dvportgroup-31",
            "--ha-network-type",
            "DISTRIBUTED_PORTGROUP",
            "--active-hostname",
            "mgmt-vc.example.com",
            # no --active-user: the login user (the management vCenter's admin here)
            "--active-thumbprint",
            "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4",
            "--active-password-env",
            "MGMT_PW",
            "--ha-ip",
            "192.168.100.2/24",
            "--json",
        ],
        env={"MGMT_PW": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert _json(result.stdout)["health_state"] == "HEALTHY"


def test_vcha_wrong_active_thumbprint_shows_unverified_peer_and_hint(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(
        runner, sim, ["vcha", "redeploy", "--spec", str(VCHA_SPEC), "--active-thumbprint", "00:11"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: UnverifiedPeer: ")
    assert "ssl_thumbprint=" in result.stderr
    assert "--active-thumbprint" in result.stderr


def test_vcha_bad_spec_file_is_a_usage_error(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    bad = tmp_path / "spec.json"
    bad.write_text("{not json")
    result = invoke(runner, sim, ["vcha", "redeploy", "--spec", str(bad)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
    missing = invoke(runner, sim, ["vcha", "redeploy"])
    assert missing.exit_code == 2 and "placement.name" in missing.stderr


def test_vcha_spec_is_checked_before_anything_is_sent(
    runner: CliRunner, sim: ServedSimulator, tmp_path: Path
) -> None:
    bad = tmp_path / "spec.json"
    bad.write_text('{"placement": {"name": 5, "folder": "group-v4"}, "zzz": 1}')
    result = invoke(runner, sim, ["vcha", "redeploy", "--spec", str(bad), "--json"])
    assert result.exit_code == 2, result.output
    message = _json(result.stdout)["error"]["message"]  # type: ignore[index]
    assert f"--spec {bad}" in message
    assert "placement.name: Input should be a valid string" in message
    assert "zzz: unknown key" in message  # a typo is not dropped silently
    # Nothing reached the server: the cluster is still degraded.
    with sim.control() as control:
        assert control.get("/objects/vcenter/vcha-cluster").json()["health_state"] == "DEGRADED"
    typo = tmp_path / "typo.json"
    typo.write_text(VCHA_SPEC.read_text().replace('"ha_ip"', '"ha_ipp"'))
    result = invoke(runner, sim, ["vcha", "redeploy", "--spec", str(typo)])
    assert result.exit_code == 2 and "ha_ipp: unknown key" in result.stderr


def test_vr_reconnect(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(runner, sim, ["vr", "reconnect", PAIRING])
    assert result.exit_code == 0, result.output
    assert "remote_vc_server OK, remote_vrms OK" in result.stdout


def test_vr_wrong_psc_password_fails_in_the_task(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner,
        sim,
        ["vr", "reconnect", PAIRING, "--psc-password-env", "PSC_PW", "--json"],
        env={"PSC_PW": "not-it-Xy9"},
    )
    assert result.exit_code == 1
    error = _json(result.stdout)["error"]
    assert isinstance(error, dict) and error["task_id"]
    assert "not-it-Xy9" not in result.output
    # Off a terminal, progress is plain lines: a failed task shows no percentage.
    args = ["vr", "reconnect", PAIRING, "--psc-password-env", "PSC_PW"]
    plain = invoke(runner, sim, args, env={"PSC_PW": "not-it-Xy9"})
    assert plain.exit_code == 1
    final = plain.stdout.splitlines()[-1]
    assert final.startswith(f"reconnect pairing {PAIRING[:8]}: ") and " failed (" in final, final
    assert "%" not in final


def test_vr_unknown_pairing_names_it(runner: CliRunner, sim: ServedSimulator) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    result = invoke(runner, sim, ["vr", "reconnect", unknown])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: VrNotFound: pairing {unknown}: ")


# -- --no-wait, task wait, timeouts -----------------------------------------------------------


@pytest.mark.usefixtures("slow_tasks")
@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["host", "reconnect", DISCONNECTED_HOST], "vim25"),
        (["vasa", "reconnect", PROVIDER], "sms"),
        (["vcha", "redeploy", "--spec", str(VCHA_SPEC)], "cis"),
        (["vr", "reconnect", PAIRING], "vr"),
    ],
)
def test_no_wait_then_task_wait_infers_the_kind(
    runner: CliRunner, sim: ServedSimulator, args: list[str], kind: str
) -> None:
    started = invoke(runner, sim, [*args, "--no-wait", "--json"])
    assert started.exit_code == 0, started.output
    task = _json(started.stdout)["task"]
    assert isinstance(task, dict) and task["kind"] == kind
    task_id = str(task["id"])
    # Still running: a short wait times out (exit 3) and says how to resume.
    waited = invoke(runner, sim, ["task", "wait", task_id, "--timeout", "0.3"])
    assert waited.exit_code == 3, waited.output
    assert f"vreconnect task wait {task_id}" in waited.stderr
    # Back to the scenario (instant tasks): started again, the task is then waited for.
    with sim.control() as control:
        control.post("/reset").raise_for_status()
    restarted = invoke(runner, sim, [*args, "--no-wait"])
    new_id = restarted.stdout.split("follow it with: vreconnect task wait ")[1].split()[0]
    done = invoke(runner, sim, ["task", "wait", new_id, "--json"])
    assert done.exit_code == 0, done.output
    assert _json(done.stdout)["kind"] == kind


@pytest.mark.usefixtures("slow_tasks")
def test_timeout_exit_code_and_resume_hint(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner, sim, ["host", "reconnect", DISCONNECTED_HOST, "--timeout", "0.3", "--json"]
    )
    assert result.exit_code == 3
    error = _json(result.stdout)["error"]
    assert isinstance(error, dict) and error["type"] == "TaskTimeout" and error["exit_code"] == 3
    assert "vreconnect task wait task-" in str(error["hint"])
    # The limit as given (the overlay's remaining-time arithmetic does not show through).
    assert " did not finish within 0.3s (last state running" in str(error["message"])


def test_task_wait_explicit_kind_and_unknown_format(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    started = invoke(runner, sim, ["host", "reconnect", DISCONNECTED_HOST, "--no-wait", "--json"])
    task_id = str(_json(started.stdout)["task"]["id"])  # type: ignore[index]
    waited = invoke(runner, sim, ["task", "wait", task_id, "--kind", "vim25"])
    assert waited.exit_code == 0, waited.output
    # The target is the task itself: said once, without an operation the id does not tell.
    assert re.fullmatch(rf"{task_id}: succeeded in \d+\.\ds", waited.stdout.splitlines()[-1])
    unknown = invoke(runner, sim, ["task", "wait", "what-is-this"])
    assert unknown.exit_code == 2 and "--kind" in unknown.stderr
    missing = invoke(runner, sim, ["task", "wait", "task-99999"])
    assert missing.exit_code == 1 and "ManagedObjectNotFound" in missing.stderr


# -- connection settings and TLS ----------------------------------------------------------------


def test_pinning_the_simulator_thumbprint_works(runner: CliRunner, sim: ServedSimulator) -> None:
    # VRECONNECT_CA_FILE is exported (sim.env): a TLS flag replaces it, it does not conflict.
    result = invoke(runner, sim, ["--thumbprint", sim.sha256, "host", "reconnect", "host-102"])
    assert result.exit_code == 0, result.output
    sha1 = invoke(runner, sim, ["--thumbprint", sim.sha1, "vasa", "reconnect", PROVIDER])
    assert sha1.exit_code == 0, sha1.output


def test_wrong_pin_is_a_connection_error_with_the_presented_thumbprint(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    wrong = ":".join(["AB"] * 32)
    result = invoke(runner, sim, ["--thumbprint", wrong, "vasa", "reconnect", PROVIDER])
    assert result.exit_code == 4
    assert result.stderr.startswith("error: CertificateMismatch: ")
    assert sim.sha256 in result.stderr  # the hint names what the server presents
    assert TRACEBACK not in result.output


def test_untrusted_certificate_is_a_connection_error_with_a_hint(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    result = invoke(runner, sim, ["vasa", "reconnect", PROVIDER], env={"VRECONNECT_CA_FILE": ""})
    assert result.exit_code == 4
    error, hint = result.stderr.splitlines()
    # What failed, in the CLI's words (not the library's "pass tls=TLSConfig..." advice) ...
    assert error.startswith("error: TransportError: ")
    assert error.endswith(": the server certificate is not trusted (self-signed certificate)")
    # ... and the flags to pass, with what the server presents.
    assert hint.startswith("hint: ") and f"--thumbprint {sim.sha256}" in hint
    assert "--ca-file FILE" in hint


def test_insecure_warns_once_in_the_cli_s_words(sim: ServedSimulator) -> None:
    # A fresh process: the library warns about insecure mode once per process.
    proc = run_cli(sim, ["--insecure", "vasa", "reconnect", PROVIDER])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "warning: --insecure: the server certificate is not verified, so anyone on the network "
        "path can intercept the connection and the password (use --ca-file or --thumbprint "
        "outside tests)"
    ]


def test_insecure_works_and_contradictions_are_usage_errors(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    ok = invoke(runner, sim, ["--insecure", "vasa", "reconnect", PROVIDER])
    assert ok.exit_code == 0, ok.output
    both = invoke(
        runner, sim, ["--insecure", "--thumbprint", sim.sha256, "vasa", "reconnect", PROVIDER]
    )
    assert both.exit_code == 2
    assert "--insecure and --thumbprint cannot be combined" in both.stderr
    # Two variables contradicting each other are named as variables.
    env_both = invoke(
        runner, sim, ["vasa", "reconnect", PROVIDER], env={"VRECONNECT_THUMBPRINT": sim.sha256}
    )
    assert env_both.exit_code == 2
    assert "VRECONNECT_THUMBPRINT and VRECONNECT_CA_FILE cannot be combined" in env_both.stderr
    # ... and a flag settles it.
    flag = invoke(
        runner,
        sim,
        ["--ca-file", sim.cert_file, "vasa", "reconnect", PROVIDER],
        env={"VRECONNECT_THUMBPRINT": sim.sha256},
    )
    assert flag.exit_code == 0, flag.output


def test_wrong_password_is_a_fault_and_never_printed(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    secret = "Wr0ng-Pa55-Xq7"
    result = invoke(
        runner, sim, ["host", "reconnect", DISCONNECTED_HOST], env={"VRECONNECT_PASSWORD": secret}
    )
    assert result.exit_code == 1
    assert "InvalidLogin" in result.stderr and "hint:" in result.stderr
    assert secret not in result.output
    debug = invoke(
        runner,
        sim,
        ["--debug", "host", "reconnect", DISCONNECTED_HOST],
        env={"VRECONNECT_PASSWORD": secret},
    )
    assert debug.exit_code == 1
    assert TRACEBACK in debug.stderr  # --debug shows it ...
    assert secret not in debug.output  # ... and still not the password


def test_password_from_a_named_env_variable(runner: CliRunner, sim: ServedSimulator) -> None:
    result = invoke(
        runner,
        sim,
        ["--password-env", "MY_VC_PW", "vasa", "reconnect", PROVIDER],
        env={"VRECONNECT_PASSWORD": "", "MY_VC_PW": PASSWORD},
    )
    assert result.exit_code == 0, result.output


def test_no_password_off_a_terminal_is_a_usage_error(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    env = sim.env()
    del env["VRECONNECT_PASSWORD"]
    result = runner.invoke(
        __import__("vreconnect.cli.app", fromlist=["app"]).app,
        ["vasa", "reconnect", PROVIDER],
        env={**{k: None for k in ("VRECONNECT_PASSWORD",)}, **env},
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: UsageError: no password available for {ADMIN}\n")
    assert "VRECONNECT_PASSWORD" in result.stderr


def test_no_url_is_a_usage_error(runner: CliRunner, sim: ServedSimulator) -> None:
    result = runner.invoke(
        __import__("vreconnect.cli.app", fromlist=["app"]).app,
        ["vasa", "reconnect", PROVIDER],
        env={"VRECONNECT_URL": None, "VRECONNECT_USER": "u", "VRECONNECT_PASSWORD": "p"},
    )
    assert result.exit_code == 2
    assert "--url" in result.stderr


# -- URLs and connection failures: each gets its own error and hint -----------------------------


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--url", "https://127.0.0.1:abc"], {}, "--url 'https://127.0.0.1:abc': the port must"),
        (["--url", "https://127.0.0.1:99999"], {}, "--url 'https://127.0.0.1:99999': the port"),
        (["--url", "https://"], {}, "--url 'https://': no host name"),
        (["--url", "vc.example.com"], {}, "must start with https:// or http://"),
        ([], {"VRECONNECT_URL": "https://127.0.0.1:0"}, "VRECONNECT_URL 'https://127.0.0.1:0'"),
        (["--vr-url", "https://vr.example.com:70000"], {}, "--vr-url 'https://vr.example.com:7"),
        (["--url", "https://a..b"], {}, "--url 'https://a..b': 'a..b' is not a valid host name"),
        (["--url", "https://256.1.1.1"], {}, "--url 'https://256.1.1.1': not a URL (Invalid IPv4"),
    ],
    ids=["letters", "too-big", "no-host", "no-scheme", "env-port-0", "vr-url", "label", "ipv4"],
)
def test_malformed_urls_are_usage_errors_naming_the_setting(
    runner: CliRunner, sim: ServedSimulator, args: list[str], env: dict[str, str], named: str
) -> None:
    result = invoke(runner, sim, [*args, "vasa", "reconnect", PROVIDER], env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: UsageError: ")
    assert named in result.stderr.splitlines()[0]


def test_plain_http_warns_that_credentials_go_in_cleartext(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    http_url = sim.base_url.replace("https://", "http://")
    result = invoke(runner, sim, ["--url", http_url, "vasa", "reconnect", PROVIDER])
    assert result.exit_code == 4  # the simulator speaks TLS on that port
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: --url {http_url} is plain HTTP: the user name and password are sent in "
        "cleartext (use https:// outside a lab)"
    ]
    assert "use https://" in result.stderr.split("hint: ")[1]


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request log on the test's stderr."""


def test_https_to_a_plain_http_server_is_a_protocol_hint_not_a_certificate_one(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        result = invoke(runner, sim, ["--url", url, "vasa", "reconnect", PROVIDER])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 4
    assert "WRONG_VERSION_NUMBER" in result.stderr
    hint = result.stderr.split("hint: ")[1]
    assert hint.startswith("the server did not answer in TLS: it may serve plain HTTP")
    assert "certificate" not in hint


def test_tls_handshake_timeout_is_a_timeout_hint_not_a_certificate_one(
    runner: CliRunner, sim: ServedSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect, "HTTP_TIMEOUT", 0.3)  # per request; 30 s by default
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"https://127.0.0.1:{silent.getsockname()[1]}"
        result = invoke(runner, sim, ["--url", url, "vasa", "reconnect", PROVIDER])
    assert result.exit_code == 4
    hint = result.stderr.split("hint: ")[1]
    assert hint.startswith("the TLS handshake did not answer in time: check --url")
    assert "certificate" not in hint


def test_unreachable_vr_appliance_hint_names_vr_url(
    runner: CliRunner, sim: ServedSimulator
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once the block ends
    result = invoke(
        runner, sim, ["--vr-url", f"https://127.0.0.1:{port}", "vr", "reconnect", PAIRING]
    )
    assert result.exit_code == 4
    assert "hint: check --vr-url (default: --url) and that the server is reachable" in result.stderr
