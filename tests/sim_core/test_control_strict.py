"""The control API against the real surfaces: fault rules it refuses, type-strict object
patches, exact paths and JSON-only whitespace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.jsonbody import is_blank
from vreconnect_sim.scenario import Scenario
from vreconnect_sim.validation import document_path, load_document

PAIRING = "e30d7438-0a92-449a-a4d6-7c9a623e01db"  # the default scenario's broken pairing
CONTROL_DOCUMENT = load_document(document_path("control") or "specs/control.yaml")


@pytest.fixture(scope="module")
def default_scenario() -> Scenario:
    return Scenario.default()


@pytest.fixture
async def control(default_scenario: Scenario) -> AsyncIterator[httpx.AsyncClient]:
    """The control API of a fresh simulator with every surface, validating its responses."""
    app = create_app(default_scenario, clock=FakeClock(), seed=1, validate_responses=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/_sim") as client:
        yield client
    assert get_state(app).spec_violations == []


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"fault": "NoSuchFaultName"}, "fault 'NoSuchFaultName' is not a fault of the vim25"),
        (
            {"operation": "ReconnectHost_Task", "fault": "NoSuchFaultName"},
            "'NoSuchFaultName' is not a fault of the vim25 surface",
        ),
        (
            {"surface": "sms", "fault": "NoHost", "where": "task"},
            "'NoHost' is not a fault of the sms surface",
        ),
        (
            {
                "surface": "vcenter",
                "operation": "vcha_cluster_passive_redeploy_task",
                "fault": "NoHost",
            },
            "'NoHost' is not a fault of the vcenter surface",
        ),
        ({"surface": "vr", "fault": "teapot"}, "'teapot' is not a fault of the vr surface"),
        # Known, but the operation's documented answers do not include it.
        (
            {"surface": "vr", "operation": "login", "fault": "500"},
            "would answer vr login with HTTP 500",
        ),
        (
            {"surface": "vim25", "operation": "Login", "fault": "NoHost"},
            "would answer vim25 Login with HTTP 500",
        ),
        (
            {"surface": "vcenter", "operation": "cis_tasks_get", "fault": "error"},
            "would answer vcenter cis_tasks_get with HTTP 500",
        ),
        ({"surface": "vim25", "fault": "NoHost"}, "vim25 GetServiceInstanceContent, Login"),
        # Patterns that match nothing: the rule would never fire, whatever it does.
        (
            {"surface": "vcenter", "operation": "redeploy_task", "fault": "service_unavailable"},
            "operation pattern 'redeploy_task' matches no operationId of the vcenter surface",
        ),
        (
            {"surface": "vim", "operation": "ReconnectHost_Task", "fault": "NoHost"},
            "surface pattern 'vim' matches no surface",
        ),
        (
            {"operation": "ReconectHost_Task", "drop": True},
            "operation pattern 'ReconectHost_Task' matches no operationId",
        ),
        (
            {"surface": "vr", "operation": "get_pairing_list", "status": 503},
            "operation pattern 'get_pairing_list' matches no operationId of the vr surface",
        ),
        ({"surface": "esx*", "latency_ms": 50}, "surface pattern 'esx*' matches no surface"),
        (
            {"surface": "sms", "operation": "ReconnectHost_Task", "latency_ms": 50},
            "matches no operationId of the sms surface (operationIds: VasaProviderReconnect_Task,",
        ),
        # A where: task rule on an operation that starts no task.
        (
            {"surface": "vr", "operation": "login", "where": "task", "fault": "500"},
            "matches no operation that starts a task",
        ),
        (
            {"operation": "GetTaskInfo", "where": "task", "latency_ms": 10},
            "matches no operation that starts a task",
        ),
        # fault_fields the fault's own schema refuses, in the call's answer or the task's error.
        (
            {
                "surface": "vim25",
                "operation": "ReconnectHost_Task",
                "where": "task",
                "fault": "SSLVerifyFault",
                "fault_fields": {"thumbprint": ["x"], "selfSigned": True},
            },
            "$.thumbprint: ['x'] is not of type 'string'",
        ),
        (
            {
                "operation": "ReconnectHost_Task",
                "where": "task",
                "fault": "SSLVerifyFault",
                "fault_fields": {"selfSigned": "yes"},
            },
            "$.selfSigned: 'yes' is not of type 'boolean'",
        ),
        (
            {
                "surface": "sms",
                "where": "task",
                "fault": "InvalidCertificate",
                "fault_fields": {"faultMessage": "expired"},
            },
            "$.faultMessage",
        ),
        (
            {"surface": "vr", "where": "task", "fault": "500", "fault_fields": {"details": 5}},
            "$.details: 5 is not of type 'string'",
        ),
        (
            {
                "surface": "vcenter",
                "where": "task",
                "fault": "unverified_peer",
                "fault_fields": {"data": 5},
            },
            "'ssl_thumbprint' is a required property",
        ),
        (
            {
                "surface": "vcenter",
                "where": "task",
                "fault": "unverified_peer",
                "fault_fields": {"ssl_thumbprint": 5},
            },
            "$.value.data.ssl_thumbprint: 5 is not of type 'string'",
        ),
        (
            {
                "surface": "vim25",
                "operation": "ReconnectHost_Task",
                "fault": "SSLVerifyFault",
                "fault_fields": {"thumbprint": 7},
            },
            "$.thumbprint: 7 is not of type 'string'",
        ),
        (
            {
                "surface": "vr",
                "operation": "reconnect_pairing",
                "fault": "500",
                "fault_fields": {"error_code": 5},
            },
            "$.error_code: 5 is not of type 'string'",
        ),
    ],
)
async def test_fault_rules_the_surfaces_cannot_answer_are_refused(
    control: httpx.AsyncClient, rule: dict[str, Any], words: str
) -> None:
    answer = await control.post("/faults", json=rule)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "validation_error"
    assert words in answer.json()["message"]
    assert (await control.get("/faults")).json()["rules"] == []


@pytest.mark.parametrize(
    "rule",
    [
        {"operation": "ReconnectHost_Task", "fault": "NoHost"},  # the operation names vim25
        {"operation": "ReconnectHost_Task", "where": "task", "fault": "SSLVerifyFault"},
        {
            "surface": "sms",
            "operation": "VasaProviderReconnect_Task",
            "fault": "InvalidCertificate",
        },
        {"surface": "vim25", "fault": "InvalidRequest"},  # every vim25 operation lists it
        {"surface": "vcenter", "operation": "cis_session_create", "fault": "service_unavailable"},
        {"surface": "vcenter", "fault": "com.vmware.vapi.std.errors.unauthenticated"},
        {"surface": "vr", "operation": "reconnect_pairing", "fault": "500"},
        {"surface": "vr", "operation": "get_pairing", "fault": "not_found"},
        {"surface": "vr", "operation": "login", "fault": "401"},
        {"surface": "vr", "where": "task", "fault": "500"},
        {"fault": "X", "status": 418},  # a status is out of contract on purpose: not checked
        # Patterns match as globs.
        {"operation": "Reconnect*", "drop": True},
        {"surface": "v*", "operation": "*", "latency_ms": 5},
        {"surface": "vcenter", "operation": "*redeploy*", "where": "task", "latency_ms": 5},
        {"operation": "[Rr]econnectHost_Task", "status": 503, "retry_after": 1},
        # fault_fields of the types the fault's schema gives.
        {
            "operation": "ReconnectHost_Task",
            "where": "task",
            "fault": "SSLVerifyFault",
            "fault_fields": {"thumbprint": "AA:BB", "selfSigned": False},
        },
        {"surface": "vr", "where": "task", "fault": "500", "fault_fields": {"details": "x"}},
        {
            "surface": "vcenter",
            "where": "task",
            "fault": "unverified_peer",
            "fault_fields": {"ssl_thumbprint": "AB:CD"},
        },
        # A vAPI error's fault_fields are the members of its `data`, which `error` leaves open.
        {"surface": "vcenter", "where": "task", "fault": "error", "fault_fields": {"disk": 5}},
    ],
)
async def test_fault_rules_within_the_documents_are_accepted(
    control: httpx.AsyncClient, rule: dict[str, Any]
) -> None:
    if "status" in rule:
        rule = {k: v for k, v in rule.items() if k != "fault"}
    answer = await control.post("/faults", json=rule)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("surface", "object_id", "change", "field"),
    [
        ("vim25", "host-102", {"port": "443"}, "port"),
        ("vim25", "host-102", {"in_maintenance_mode": "true"}, "in_maintenance_mode"),
        ("vim25", "host-102", {"reachable": 1}, "reachable"),
        ("vim25", "host-102", {"certificate_generation": 2.5}, "certificate_generation"),
        ("vim25", "host-102", {"aliases": "esx-a"}, "aliases"),
        ("sms", "vasa-2", {"reachable": "false"}, "reachable"),
        ("sms", "vasa-2", {"certificate_expires_in_days": "30"}, "certificate_expires_in_days"),
        ("vcenter", "vcha-cluster", {"management_vcenter": {"port": "443"}}, "port"),
        ("vcenter", "vcha-cluster", {"passive": {"name": 7}}, "name"),
        ("vr", PAIRING, {"reachable": "no"}, "reachable"),
        ("vr", PAIRING, {"remote_psc": {"port": "443"}}, "port"),
    ],
)
async def test_object_patches_take_json_types_only(
    control: httpx.AsyncClient, surface: str, object_id: str, change: dict[str, Any], field: str
) -> None:
    url = f"/objects/{surface}/{object_id}"
    before = (await control.get(url)).json()
    answer = await control.patch(url, json=change)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["message"]
    assert (await control.get(url)).json() == before  # nothing changed


@pytest.mark.parametrize(
    ("surface", "object_id", "change", "shown"),
    [
        ("vim25", "host-102", {"port": 8443, "in_maintenance_mode": True}, {"port": 8443}),
        ("sms", "vasa-2", {"certificate_expiry": "2030-01-01T00:00:00Z"}, {"status": None}),
        ("vcenter", "vcha-cluster", {"management_vcenter": {"port": 444}}, {}),
        ("vr", PAIRING, {"remote_psc": {"port": 444}, "reachable": False}, {"reachable": False}),
    ],
)
async def test_object_patches_with_json_types_apply(
    control: httpx.AsyncClient,
    surface: str,
    object_id: str,
    change: dict[str, Any],
    shown: dict[str, Any],
) -> None:
    answer = await control.patch(f"/objects/{surface}/{object_id}", json=change)
    assert answer.status_code == 200, answer.text
    for key, value in shown.items():
        if value is not None:
            assert answer.json()[key] == value


async def test_control_paths_are_exact(control: httpx.AsyncClient) -> None:
    for path in ("", "/", "/health/", "/faults/"):
        answer = await control.get(path)
        assert answer.status_code == 404, path
        assert "location" not in answer.headers and answer.json()["error"] == "not_found"
    wrong = await control.delete("/health")
    assert wrong.status_code == 405 and "GET" in wrong.headers["allow"]
    # The body is the `Error` that control.yaml's info.description names for a 405.
    assert CONTROL_DOCUMENT.schema_problem("Error", wrong.json()) is None
    assert wrong.json()["error"] == "method_not_allowed"


async def test_vim25_bare_release_path_is_invalid_request(default_scenario: Scenario) -> None:
    app = create_app(default_scenario, clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        for path in ("/sdk/vim25/8.0.3.0", "/sdk/vim25/8.0.3.0/", "/sdk/vim25/8.0.3.0/sms"):
            answer = await c.get(path)
            assert answer.status_code == 500 and "location" not in answer.headers, path
            assert answer.json()["_typeName"] == "InvalidRequest"


@pytest.mark.parametrize(
    ("raw", "blank"),
    [
        (b"", True),
        (b" \t\r\n", True),
        (b"\x0b", False),
        (b"\x0c", False),
        (b" \x0b ", False),
        (b"{}", False),
    ],
)
def test_only_json_whitespace_is_blank(raw: bytes, blank: bool) -> None:
    assert is_blank(raw) is blank


@pytest.mark.parametrize("body", [b"\x0b", b"\x0c"])
async def test_control_bodies_of_non_json_whitespace_are_not_json(
    control: httpx.AsyncClient, body: bytes
) -> None:
    answer = await control.put("/settings/tasks", content=body)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("body is not valid JSON")


async def test_deeply_nested_bodies_are_refused_as_malformed(control: httpx.AsyncClient) -> None:
    deep = b"[" * 1_500
    scenario = await control.post("/scenario", content=deep)
    assert scenario.status_code == 400 and "nested too deeply" in scenario.json()["message"]
    settings = await control.put("/settings/tasks", content=deep)
    assert settings.status_code == 400 and "nested too deeply" in settings.json()["message"]
