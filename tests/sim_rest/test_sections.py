"""Scenario sections of the two surfaces and their rendering of unrouted requests."""

from __future__ import annotations

import httpx
import pytest

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario, ScenarioError
from vreconnect_sim.validation import load_document
from vreconnect_sim.vcenter.rules import prefix_of_mask

from .support import (
    PAIRING_BROKEN,
    REDEPLOY_EXAMPLE,
    ROOT,
    VCENTER,
    VR,
    basic,
    check_documented,
    pairing_body,
    redeploy_body,
)


@pytest.mark.parametrize(
    ("mask", "prefix"),
    [("255.255.255.0", 24), ("0.0.0.0", 0), ("255.255.255.255", 32), ("255.0.255.0", None)],
)
def test_prefix_of_mask(mask: str, prefix: int | None) -> None:
    assert prefix_of_mask(mask) == prefix


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("vcenter:\n  cluster: {health_state: SICK}\n", "vcenter.cluster.health_state"),
        ("vcenter:\n  cluster: {config_state: CONFIGURED}\n", "vcenter.cluster"),
        ("vcenter:\n  bogus: 1\n", "vcenter.bogus"),
        (
            "vcenter:\n  inventory:\n    hosts: [{id: h, name: a}]\n    folders: [{id: h, name: b}]\n",
            "duplicate inventory id",
        ),
        ("vr:\n  pairings: [{pairing_id: p}]\n", "vr.pairings[0].remote_vc_server"),
        (
            "vr:\n  pairings:\n"
            + (
                "    - {pairing_id: p, remote_vc_server: {id: a, url: u, name: n},"
                " remote_vrms: {id: b, url: u, name: n}, remote_psc: {url: u}}\n"
            )
            * 2,
            "duplicate pairing_id",
        ),
    ],
)
def test_bad_sections_are_scenario_errors_naming_the_key(text: str, where: str) -> None:
    with pytest.raises(ScenarioError, match=r"t\.yaml") as info:
        Scenario.from_yaml(text, "t.yaml")
    assert where in str(info.value)


async def test_without_sections_the_cluster_is_unconfigured_and_there_are_no_pairings() -> None:
    app = create_app(Scenario.from_yaml("settings: {seed: 3}\n"), clock=FakeClock())
    transport = httpx.ASGITransport(app=app)
    auth = {"Authorization": "Basic " + basic("administrator@vsphere.local", "VMware1!")}
    async with httpx.AsyncClient(transport=transport, base_url=VCENTER) as rest:
        token = (await rest.post("/com/vmware/cis/session", headers=auth)).json()["value"]
        headers = {"vmware-api-session-id": token}
        info = await rest.post("/vcenter/vcha/cluster?action=get", headers=headers)
        assert info.json() == {"value": {"config_state": "NOTCONFIGURED"}}
        body = {"spec": {"placement": {"name": "p", "folder": "group-v4"}}}
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers=headers,
            json=body,
        )
        assert refused.status_code == 400  # group-v4 is not in this (empty) inventory
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers=headers,
            json={"spec": {"placement": {"name": "p", "folder": "f"}}},
        )
        assert refused.status_code == 400
    async with httpx.AsyncClient(transport=transport, base_url=VR) as vr:
        session = (await vr.post("/session", headers=auth)).json()["session_id"]
        listed = await vr.get("/pairings", headers={"x-dr-session": session})
        assert listed.json() == {"list": [], "_meta": {"total_count": 0, "errors": []}}


async def test_unconfigured_cluster_refuses_redeploy_with_error() -> None:
    yaml_text = (
        "vcenter:\n  inventory:\n    folders: [{id: group-v4, name: vm}]\n"
        "  cluster: {config_state: NOTCONFIGURED}\n"
    )
    app = create_app(Scenario.from_yaml(yaml_text), clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VCENTER) as rest:
        auth = {"Authorization": "Basic " + basic("administrator@vsphere.local", "VMware1!")}
        token = (await rest.post("/com/vmware/cis/session", headers=auth)).json()["value"]
        body = {"spec": {"placement": {"name": "p", "folder": "group-v4"}}}
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers={"vmware-api-session-id": token},
            json=body,
        )
        assert refused.status_code == 500
        assert refused.json()["type"] == "com.vmware.vapi.std.errors.error"
        assert "not configured" in refused.text


async def test_vr_unrouted_paths_and_methods() -> None:
    app = create_app(clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VR) as vr:
        missing = await vr.get("/nothing/here")
        assert missing.status_code == 404 and missing.content == b""
        wrong = await vr.put("/session")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "DELETE, POST"
        assert wrong.json()["error_code"] == "METHOD_NOT_ALLOWED"


TOO_BIG = b"x" * (2 * 1024 * 1024)
ADMIN_BASIC = {"Authorization": "Basic " + basic("administrator@vsphere.local", "VMware1!")}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/com/vmware/cis/session"),  # with valid Basic credentials
        ("POST", "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy"),
        ("POST", "/vcenter/vcha/cluster?action=get"),
        ("GET", "/cis/tasks/no-such-task"),
        ("DELETE", "/com/vmware/cis/session"),
    ],
)
async def test_vcenter_oversize_body_is_invalid_argument(method: str, path: str) -> None:
    # Not 401 (the credentials are fine) nor 500: the request is bad, so 400 invalid_argument.
    app = create_app(clock=FakeClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VCENTER) as rest:
        answer = await rest.request(method, path, headers=ADMIN_BASIC, content=TOO_BIG)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["type"] == "com.vmware.vapi.std.errors.invalid_argument"
    assert error["value"]["messages"][0]["id"] == "vapi.message.request.too_large"
    check_documented("vcenter", "/rest", answer)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/session"),  # with valid Basic credentials
        ("GET", "/pairings"),
        (
            "POST",
            f"/pairings/{PAIRING_BROKEN}/actions/reconnect",
        ),
        ("GET", f"/pairings/{PAIRING_BROKEN}"),
        ("DELETE", "/session"),
        ("GET", "/tasks/no-such-task"),
    ],
)
async def test_vr_oversize_body_is_bad_request(method: str, path: str) -> None:
    app = create_app(clock=FakeClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VR) as vr:
        answer = await vr.request(method, path, headers=ADMIN_BASIC, content=TOO_BIG)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["error_code"] == "INVALID_ARGUMENT" and "exceeds" in error["message"]
    check_documented("vr", "/api/rest/vr/v2", answer)


@pytest.mark.parametrize(
    ("base", "path", "status"),
    [
        ("http://sim", "/rest", 404),
        ("http://sim", "/rest/", 404),
        ("http://sim", "/rest/vcenter/vcha/cluster/", 404),
        ("http://sim", "/api/rest/vr/v2", 404),
        ("http://sim", "/api/rest/vr/v2/pairings/", 404),
    ],
)
async def test_paths_are_not_redirected_to_another_spelling(
    base: str, path: str, status: int
) -> None:
    app = create_app(clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as c:
        answer = await c.get(path)
    assert answer.status_code == status and "location" not in answer.headers
    if path.startswith("/rest"):
        assert answer.json()["type"] == "com.vmware.vapi.std.errors.not_found"
    else:
        assert answer.content == b""  # VR: a 404 has no body


@pytest.mark.parametrize(
    ("base", "method", "path", "allow"),
    [
        (VCENTER, "PUT", "/com/vmware/cis/session", "DELETE, POST"),
        (VCENTER, "DELETE", "/vcenter/vcha/cluster", "POST"),
        (VR, "PUT", "/pairings", "GET"),
        (VR, "GET", f"/pairings/{PAIRING_BROKEN}/actions/reconnect", "POST"),
    ],
)
async def test_wrong_method_is_405_with_allow_in_the_surface_shape(
    base: str, method: str, path: str, allow: str
) -> None:
    app = create_app(clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as c:
        answer = await c.request(method, path)
    assert answer.status_code == 405 and answer.headers["allow"] == allow
    # The body is the error schema each document's info.description names for a 405.
    document, schema = ("vcenter", "Error") if base == VCENTER else ("vr", "ResponseError")
    problem = load_document(ROOT / "specs" / f"{document}.yaml").schema_problem(
        schema, answer.json()
    )
    assert problem is None, problem
    if base == VCENTER:
        assert answer.json()["type"] == "com.vmware.vapi.std.errors.error"
        assert answer.json()["value"]["messages"][0]["id"] == "vapi.method.not_allowed"
    else:
        assert answer.json()["error_code"] == "METHOD_NOT_ALLOWED"


# Operations whose document declares no request body; {task} is a task of the surface.
NO_BODY_OPERATIONS = [
    (VCENTER, "POST", "/com/vmware/cis/session"),
    (VCENTER, "DELETE", "/com/vmware/cis/session"),
    (VCENTER, "GET", "/cis/tasks/{task}"),
    (VR, "POST", "/session"),
    (VR, "DELETE", "/session"),
    (VR, "GET", "/pairings"),
    (VR, "GET", f"/pairings/{PAIRING_BROKEN}"),
    (VR, "GET", "/tasks/{task}"),
]
IGNORED_BODIES = [b" \r\n", b"{}", b"[1, 2]", b'{"anything": true}']
UNREADABLE_BODIES = [b"garbage", b"NaN", b"{", b"\x0b", b"\xff\xfe{}", b'{"a": 1}x']


async def _session_headers(client: httpx.AsyncClient, base: str) -> dict[str, str]:
    """A fresh session's header (a logout ends it) plus the admin's Basic credentials."""
    if base == VCENTER:
        login = await client.post(f"{VCENTER}/com/vmware/cis/session", headers=ADMIN_BASIC)
        return {**ADMIN_BASIC, "vmware-api-session-id": login.json()["value"]}
    login = await client.post(f"{VR}/session", headers=ADMIN_BASIC)
    return {**ADMIN_BASIC, "x-dr-session": login.json()["session_id"]}


async def _task_of(client: httpx.AsyncClient, base: str, headers: dict[str, str]) -> str:
    if base == VCENTER:
        started = await client.post(
            f"{VCENTER}/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers=headers,
            json=redeploy_body(),
        )
        task_id: str = started.json()["value"]
    else:
        started = await client.post(
            f"{VR}/pairings/{PAIRING_BROKEN}/actions/reconnect",
            headers=headers,
            json=pairing_body(PAIRING_BROKEN),
        )
        task_id = started.json()["id"]
    return task_id


@pytest.mark.parametrize(("base", "method", "path"), NO_BODY_OPERATIONS)
async def test_operations_without_a_body_ignore_json_and_refuse_anything_else(
    base: str, method: str, path: str
) -> None:
    app = create_app(clock=FakeClock(), validate_responses=True)
    sim = get_state(app)
    store = sim.session_store("rest" if base == VCENTER else "vr")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        if "{task}" in path:
            path = path.format(
                task=await _task_of(client, base, await _session_headers(client, base))
            )

        async def call(body: bytes) -> httpx.Response:
            headers = await _session_headers(client, base)
            return await client.request(method, base + path, headers=headers, content=body)

        usual = await call(b"")
        assert usual.status_code in (200, 204), usual.text
        for body in IGNORED_BODIES:
            assert (await call(body)).status_code == usual.status_code, body
        for body in UNREADABLE_BODIES:
            sessions = len(store)
            answer = await call(body)
            assert answer.status_code == 400, (body, answer.text)
            if base == VCENTER:
                error = answer.json()
                assert error["type"] == "com.vmware.vapi.std.errors.invalid_argument"
                message = error["value"]["messages"][0]
                assert message["id"] == "vapi.message.json.invalid"
                text = message["default_message"]
            else:
                assert answer.json()["error_code"] == "INVALID_ARGUMENT"
                text = answer.json()["message"]
            assert text.startswith("request body is not valid JSON"), text
            check_documented(
                "vcenter" if base == VCENTER else "vr", base.removeprefix("http://sim"), answer
            )
            # One session was opened to make the call; a refused login opens none, a refused
            # logout ends none.
            assert len(store) == sessions + 1, body
    assert sim.spec_violations == []


def test_the_spec_example_matches_the_default_scenario() -> None:
    # A request example of specs/vcenter.yaml is what the tests use as their valid body.
    import yaml

    from .support import ROOT

    spec = yaml.safe_load((ROOT / "specs" / "vcenter.yaml").read_text(encoding="utf-8"))
    post = spec["paths"]["/vcenter/vcha/cluster/passive"]["post"]
    content = post["requestBody"]["content"]["application/json"]
    examples = [content["example"]] if "example" in content else []
    examples += [e["value"] for e in (content.get("examples") or {}).values()]
    assert REDEPLOY_EXAMPLE in examples
