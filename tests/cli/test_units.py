"""The CLI's pure parts: kind inference, exit codes, error decoding, spec building, help."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from vreconnect.cli import main
from vreconnect.cli.app import app
from vreconnect.cli.config import ConnectionSettings
from vreconnect.cli.demo import DEFAULT_PLAN, ItemResult, Plan, summary_table
from vreconnect.cli.exitcodes import ExitCode, Interrupted, UsageProblem, exit_code_for
from vreconnect.cli.output import describe_error, jsonable
from vreconnect.cli.task import TaskKindChoice, infer_kind
from vreconnect.cli.vcha import build_redeploy_spec
from vreconnect.errors import TaskTimeout, TransportError
from vreconnect.faults import DasConfigFault, SSLVerifyFault, UnverifiedPeer, decode_vim_fault
from vreconnect.tls import CertificateMismatch
from vreconnect.waiting import TaskCancelled


@pytest.mark.parametrize(
    ("task_id", "kind"),
    [
        ("task-42", TaskKindChoice.VIM25),
        ("SmsTask-7", TaskKindChoice.SMS),
        (
            "8276f7c1-d1eb-483b-9824-bc5fc046be20:com.vmware.vcenter.vcha.cluster.passive",
            TaskKindChoice.CIS,
        ),
        ("bdb28704-0501-4f9e-a2c1-c38547e2570e", TaskKindChoice.VR),
        ("obj-103", None),
        ("task-", None),
    ],
)
def test_infer_kind(task_id: str, kind: TaskKindChoice | None) -> None:
    assert infer_kind(task_id) is kind


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (UsageProblem("x"), ExitCode.USAGE),
        (TaskTimeout("task-1", 1.0), ExitCode.TIMEOUT),
        (TransportError("down"), ExitCode.CONNECTION),
        (
            CertificateMismatch(
                algorithm="sha256",
                expected="A",
                presented="B",
                presented_sha1="C",
                presented_sha256="D",
            ),
            ExitCode.CONNECTION,
        ),
        (SSLVerifyFault(messages=("m",)), ExitCode.FAULT),
        (TaskCancelled("task-1"), ExitCode.FAULT),
        (Interrupted("task-1"), ExitCode.INTERRUPTED),
        (RuntimeError("bug"), ExitCode.FAULT),
        (ExceptionGroup("g", [SSLVerifyFault(), TaskTimeout("t", 1)]), ExitCode.TIMEOUT),
    ],
)
def test_exit_codes(exc: BaseException, code: ExitCode) -> None:
    assert exit_code_for(exc) is code


def test_tls_failure_in_the_cause_chain_is_a_connection_error() -> None:
    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as inner:
            raise ValueError("wrapped") from inner
    except ValueError as outer:
        assert exit_code_for(outer) is ExitCode.CONNECTION


def test_describe_ssl_verify_fault_has_thumbprint_fields_and_hint() -> None:
    fault = decode_vim_fault(
        {
            "_typeName": "SSLVerifyFault",
            "faultMessage": [
                {
                    "key": "k",
                    "message": "Authenticity of the host's SSL certificate is not verified.",
                }
            ],
            "selfSigned": True,
            "thumbprint": "3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A",
            "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        },
        status=500,
    )
    info = describe_error(fault)
    assert info.type_name == "SSLVerifyFault"
    assert info.line().startswith("SSLVerifyFault: Authenticity")
    assert info.fields == {
        "thumbprint": "3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A",
        "self_signed": True,
    }
    assert info.hint == (
        "pass --thumbprint 3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A "
        "or --accept-thumbprint"
    )


def test_describe_das_config_fault_and_unknown_fault_type() -> None:
    das = describe_error(
        DasConfigFault(
            messages=("HA failed",), reason="HostNetworkMisconfiguration", output="no gw"
        )
    )
    assert das.fields == {"reason": "HostNetworkMisconfiguration", "output": "no gw"}
    unknown = describe_error(decode_vim_fault({"_typeName": "BrandNewFault"}, status=500))
    assert unknown.type_name == "BrandNewFault"


def test_describe_unverified_peer_and_timeout_and_bug() -> None:
    peer = UnverifiedPeer(messages=("bad peer",), data={"ssl_thumbprint": "AA:BB"})
    info = describe_error(peer)
    assert info.type_name == "UnverifiedPeer"
    timeout = describe_error(TaskTimeout("task-9", 2.0))
    assert timeout.exit_code is ExitCode.TIMEOUT
    assert timeout.hint == "the task is still running; resume with: vreconnect task wait task-9"
    bug = describe_error(KeyError("oops"))
    assert bug.exit_code is ExitCode.FAULT and "--debug" in (bug.hint or "")


def test_jsonable_handles_enums_models_and_paths() -> None:
    assert jsonable({"a": (1, ExitCode.USAGE), "p": Path("/x")}) == {"a": [1, 2], "p": "/x"}


def test_connection_settings_never_show_the_password() -> None:
    conn = ConnectionSettings(url="https://vc", user="u", password="S3cr3t!")
    assert "S3cr3t!" not in repr(conn)
    with pytest.raises(UsageProblem):
        ConnectionSettings(url="ftp://vc").validate()
    with pytest.raises(UsageProblem):
        ConnectionSettings(insecure=True, thumbprint="AA").validate()


def test_build_redeploy_spec_merges_flags_over_the_file() -> None:
    conn = ConnectionSettings(user="u", password="login-pw")
    spec = build_redeploy_spec(
        {
            "placement": {"name": "a", "folder": "f"},
            "vc_spec": {"active_location": {"hostname": "h"}},
        },
        conn=conn,
        placement={"name": "b", "storage": "ds-1"},
        active={"port": 444, "username": None},
        active_password=None,
        ha_ip="10.0.0.2/24",
        failover_ip="fd00::30/64",
        failover_gateway="fd00::1",
        failover_dns=["fd00::53"],
    )
    assert spec["placement"] == {"name": "b", "folder": "f", "storage": {"datastore": "ds-1"}}
    assert spec["vc_spec"]["active_location"] == {
        "hostname": "h",
        "port": 444,
        "username": "u",  # the login's, like the password
        "password": "login-pw",
    }
    assert spec["ha_ip"] == {"ip_family": "IPV4", "ipv4": {"address": "10.0.0.2", "prefix": 24}}
    assert spec["failover_ip"]["ipv6"] == {"address": "fd00::30", "prefix": 64}
    assert spec["failover_ip"]["dns_servers"] == ["fd00::53"]
    with pytest.raises(UsageProblem):
        build_redeploy_spec(None, conn=conn, placement={}, active={}, active_password=None)
    with pytest.raises(UsageProblem):
        build_redeploy_spec(
            None,
            conn=conn,
            placement={"name": "a", "folder": "f"},
            active={},
            active_password=None,
            ha_ip="10.0.0.2",
        )


def test_plan_files(tmp_path: Path) -> None:
    shipped = Plan.load(DEFAULT_PLAN)
    assert [h.id for h in shipped.hosts] == ["host-102", "host-106"]
    assert shipped.vcha is not None and shipped.vcha.spec.is_file()
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(UsageProblem, match="nothing to recover"):
        Plan.load(empty)
    with pytest.raises(UsageProblem, match="cannot read"):
        Plan.load(tmp_path / "missing.yaml")


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("host", "vasa", "vcha", "vr", "task", "sim", "recover-all"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout
    for group, sub in (
        ("host", "reconnect"),
        ("host", "reconfigure-ha"),
        ("vasa", "reconnect"),
        ("vcha", "redeploy"),
        ("vr", "reconnect"),
        ("task", "wait"),
        ("sim", "serve"),
    ):
        sub_help = CliRunner().invoke(app, [group, sub, "--help"])
        assert sub_help.exit_code == 0, (group, sub)


def test_no_password_flag_exists() -> None:
    result = CliRunner().invoke(app, ["--password", "x", "task", "wait", "task-1"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "host", "reconnect", "host-1", "--bogus"],
        ["host", "reconnect", "--json"],  # missing HOST
        ["--json", "host", "reconnect", "host-1", "--port", "notaport"],
        ["--json", "no-such-command"],
    ],
)
def test_usage_errors_under_json_are_one_json_document(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    data = json.loads(result.stdout)  # the whole of stdout: one document
    assert data["ok"] is False
    error = data["error"]
    assert error["type"] == "UsageError" and error["exit_code"] == 2 and error["message"]
    assert result.stderr  # the human error still goes to stderr


def test_usage_errors_without_json_print_nothing_on_stdout() -> None:
    result = CliRunner().invoke(app, ["host", "reconnect", "host-1", "--bogus"])
    assert result.exit_code == 2 and result.stdout == ""


def test_main_returns_exit_codes_without_raising() -> None:
    assert main(["--help"]) == 0
    assert main(["no-such-command"]) == 2
    assert main(["task", "wait", "what"]) == 2


def test_contract_command_is_registered() -> None:
    result = CliRunner().invoke(app, ["contract", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--url", "--user", "--password-env", "--insecure", "--allow", "--surface"):
        assert option in result.stdout
    assert "contract" in CliRunner().invoke(app, ["--help"]).stdout


def test_a_tls_flag_replaces_tls_settings_from_the_environment(tmp_path: Path) -> None:
    """``contract`` and ``recover-all`` merge their own TLS flags this way."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read here")
    from_env = ConnectionSettings(ca_file=bundle, from_env=frozenset({"ca_file"}))
    pinned = from_env.overridden(thumbprint="AB:CD")
    assert pinned.ca_file is None and pinned.thumbprint == "AB:CD"
    pinned.validate()
    assert from_env.overridden(insecure=True).ca_file is None
    # Two flags (the global one and the command's) do contradict each other.
    from_flag = ConnectionSettings(ca_file=bundle)
    with pytest.raises(UsageProblem, match="--thumbprint and --ca-file cannot be combined"):
        from_flag.overridden(thumbprint="AB:CD").validate()
    # Non-TLS settings pass through; a setting given as a flag is no longer "from the env".
    assert from_env.overridden(user="u").ca_file == bundle
    url = ConnectionSettings(url="https://vc:0", from_env=frozenset({"url"}))
    with pytest.raises(UsageProblem, match=r"^VRECONNECT_URL "):
        url.validate()
    with pytest.raises(UsageProblem, match=r"^--url "):
        url.overridden(url="https://vc:x").validate()


def test_timeout_message_shows_the_limit_not_float_residue() -> None:
    info = describe_error(TaskTimeout("task-7", 0.999996))
    assert info.message == "task task-7 did not finish within 1s"
    assert describe_error(TaskTimeout("task-7", 0.25)).message.endswith("within 0.2s")


def test_the_active_node_user_defaults_to_the_login_user() -> None:
    conn = ConnectionSettings(user="administrator@vsphere.local", password="pw")
    base = {"placement": {"name": "a", "folder": "f"}, "vc_spec": {"active_location": {}}}
    active = {"hostname": "mgmt"}
    spec = build_redeploy_spec(base, conn=conn, placement={}, active=active, active_password=None)
    assert spec["vc_spec"]["active_location"]["username"] == "administrator@vsphere.local"
    given = build_redeploy_spec(
        base, conn=conn, placement={}, active={**active, "username": "ops"}, active_password=None
    )
    assert given["vc_spec"]["active_location"]["username"] == "ops"


def _results() -> list[ItemResult]:
    return [
        ItemResult(
            "host-102",
            "disconnected host",
            "ReconnectHost_Task",
            recovered=True,
            before="disconnected",
            after="connected",
            tasks=["task-1"],
            seconds=1.6,
        ),
        ItemResult(
            "host-201",
            "HA configuration failed",
            "ReconfigureHostForDAS_Task",
            before="initializationError",
            after="connectedToMaster",
            recovered=True,
            tasks=["task-3", "task-5"],
            expected_faults=[describe_error(DasConfigFault(messages=("m",)))],
            seconds=3.4,
        ),
        ItemResult(
            "vasa-2",
            "disconnected VASA provider",
            "VasaProviderReconnect_Task",
            before="disconnected",
            error=describe_error(TaskTimeout("SmsTask-1", 300)),
            tasks=["SmsTask-1"],
            seconds=300.0,
        ),
        ItemResult(
            "e30d7438",
            "broken VR pairing",
            "reconnect_pairing",
            already_healthy=True,
            before="vc OK, vrms OK",
            after="vc OK, vrms OK",
        ),
    ]


@pytest.mark.parametrize("width", [80, 200])
def test_summary_table_keeps_ids_and_states_whole(width: int) -> None:
    console = Console(width=width, record=True, color_system=None)
    console.print(summary_table(_results(), width=width))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    for word in ("host-102", "host-201", "vasa-2", "e30d7438", "initializationError"):
        assert word in text  # never cut ("disc…")
    for state in ("disconnected", "-> connected", "-> connectedToMaster", "vc OK, vrms OK"):
        assert state in text
    for outcome in ("recovered", "DasConfigFault", "FAILED", "TaskTimeout", "already healthy"):
        assert outcome in text
    assert "300.0s" in text and "task-5" in text
    # The failure / operation column only when it fits.
    assert ("ReconfigureHostForDAS_Task" in text) is (width > 80)


@pytest.mark.parametrize(
    ("argv", "too_big"),
    [
        (["sim", "serve", "--hosts"], "MAX_FLEET_SIZE"),
        (["recover-all", "--task-seconds"], "MAX_TASK_SECONDS"),
    ],
)
def test_simulator_limits_are_refused_as_usage_errors(argv: list[str], too_big: str) -> None:
    """A value the simulator would refuse is a usage error (exit 2) before anything starts,
    and the CLI's bound is exactly the simulator's, so the two cannot drift apart."""
    from vreconnect_sim import scenario, tasks

    limit = {"MAX_FLEET_SIZE": scenario.MAX_FLEET_SIZE, "MAX_TASK_SECONDS": tasks.MAX_TASK_SECONDS}
    result = CliRunner().invoke(app, [*argv, str(int(limit[too_big]) + 1)])
    assert result.exit_code == 2, result.output
    assert f"{int(limit[too_big])}" in result.output


# -- errors found while parsing, before anything connects --------------------------------------

# Nothing listens here: a command that got as far as connecting would exit 4, not 2.
_NOWHERE = {
    "VRECONNECT_URL": "https://127.0.0.1:9",
    "VRECONNECT_USER": "u",
    "VRECONNECT_PASSWORD": "p",
    "VRECONNECT_CA_FILE": None,
    "VRECONNECT_THUMBPRINT": None,
    "VRECONNECT_INSECURE": None,
}


def _float_options() -> list[tuple[list[str], str]]:
    """(command path plus its required arguments, option) for every float option."""
    import typer

    found: list[tuple[list[str], str]] = []

    def walk(command: object, path: list[str]) -> None:
        params = getattr(command, "params", [])
        arguments = [p for p in params if p.param_type_name == "argument" and p.required]
        for param in params:
            float_type = type(param.type).__name__ in ("FloatParamType", "FloatRange")
            if param.param_type_name == "option" and float_type:
                found.append(([*path, *("x" for _ in arguments)], param.opts[0]))
        for name, sub in getattr(command, "commands", {}).items():
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("value", ["nan", "inf"])
@pytest.mark.parametrize(
    ("command", "option"), _float_options(), ids=lambda x: " ".join(x) if isinstance(x, list) else x
)
def test_non_finite_numbers_are_usage_errors(command: list[str], option: str, value: str) -> None:
    result = CliRunner().invoke(app, [*command, option, value], env=_NOWHERE)
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    # "... is not a finite number.", or for a bounded option maybe "... is not in the range".
    assert first.startswith(f"error: UsageError: Invalid value for '{option}': {value} is not ")


def test_float_options_include_every_timeout_and_duration() -> None:
    options = {(" ".join(path), option) for path, option in _float_options()}
    assert {
        ("host reconnect x", "--timeout"),
        ("task wait x", "--timeout"),
        ("recover-all", "--timeout"),
        ("recover-all", "--task-seconds"),
        ("recover-all", "--jitter"),
        ("contract", "--task-timeout"),
    } <= options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["vcha", "redeploy", "--ha-network-type", "FOO"], "Invalid value for '--ha-network-type'"),
        (["host", "reconnect", "h", "--timeout", "-1"], "-1.0 is not in the range x>=0."),
        (["host", "reconnect", "h", "--timeout", "1s"], "'1s' is not a valid number."),
        (["host", "reconnect", "h", "--bogus"], "No such option: --bogus"),
        (["task", "wait"], "Missing argument 'ID'."),
    ],
    ids=["choice", "range", "not-a-number", "unknown-option", "missing-argument"],
)
def test_usage_errors_are_one_plain_line_and_a_hint(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args, env=_NOWHERE)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: UsageError: ") and message in lines[0], lines
    command = " ".join(["vreconnect", *args[:2]])
    assert lines[1:] == [f"hint: see '{command} --help'"]
    assert result.stdout == ""


@pytest.mark.parametrize("source", ["flag", "env"])
def test_a_ca_file_must_be_a_pem_bundle(tmp_path: Path, source: str) -> None:
    not_pem = tmp_path / "passwd"
    not_pem.write_text("root:x:0:0:root:/root:/bin/bash\n")
    bad_pem = tmp_path / "bad.pem"
    bad_pem.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    named = "--ca-file" if source == "flag" else "VRECONNECT_CA_FILE"
    cases = {
        not_pem: "not a PEM CA bundle (no certificate in it)",
        bad_pem: "not a PEM CA bundle (a certificate in it is not valid PEM)",
        tmp_path / "missing.pem": "no such file",
        tmp_path: "not a file (expected a PEM CA bundle)",
    }
    for path, problem in cases.items():
        args = ["--ca-file", str(path)] if source == "flag" else []
        env = {**_NOWHERE, "VRECONNECT_CA_FILE": str(path) if source == "env" else None}
        result = CliRunner().invoke(app, [*args, "vasa", "reconnect", "vasa-2"], env=env)
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines()[0] == f"error: UsageError: {named} {path}: {problem}"
