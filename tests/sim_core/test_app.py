"""The app layer and control API, in-process through httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.injection import DropConnection
from vreconnect_sim.registry import (
    BuildContext,
    SurfaceSpec,
    register_surface,
    unregister_surface,
)
from vreconnect_sim.scenario import MAX_FLEET_SIZE, FleetSizeError, Scenario, ScenarioError
from vreconnect_sim.state import SimulatorState

from ..sim_rest.support import check_documented
from .conftest import FAKE, SCENARIO_YAML

SPEC = Path(__file__).resolve().parents[2] / "specs" / "control.yaml"


async def test_reconnect_task_applies_state_and_is_readable(
    client: httpx.AsyncClient, sim: SimulatorState
) -> None:
    r = await client.post("/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task")
    assert r.status_code == 200 and r.json()["value"] == "task-1"
    info = (await client.get("/fake/8.0.3.0/Task/task-1/info")).json()
    assert info["state"] == "success" and info["queueTime"] == "2025-01-01T00:00:00.000Z"
    assert (await client.get("/_sim/objects/fake/host-0")).json()["connection_state"] == "connected"
    await client.post("/fake/8.0.3.0/HostSystem/host-1/ReconnectHost_Task")
    info = (await client.get("/fake/8.0.3.0/Task/task-2/info")).json()
    assert info["state"] == "error" and info["error"] == {
        "_typeName": "NoHost",
        "name": "unreachable",
    }


async def test_task_durations_via_control_and_settle_before_request(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    r = await client.put("/_sim/settings/tasks", json={"durations": {"ReconnectHost_Task": 10}})
    assert r.status_code == 200 and r.json()["durations"] == {"ReconnectHost_Task": 10.0}
    assert (await client.get("/_sim/settings/tasks")).json()["retention_count"] == 10_000
    await client.post("/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task")
    clock.advance(4)
    assert (await client.get("/fake/8.0.3.0/Task/task-1/info")).json()["progress"] == 40
    assert (await client.get("/_sim/objects/fake/host-0")).json()[
        "connection_state"
    ] == "disconnected"
    clock.advance(6)
    # The object read settles the task first, without anyone reading the task.
    assert (await client.get("/_sim/objects/fake/host-0")).json()["connection_state"] == "connected"
    tasks = (await client.get("/_sim/tasks")).json()
    assert tasks["total"] == 1 and tasks["items"][0]["state"] == "success"
    bad = await client.put("/_sim/settings/tasks", json={"jitter": 3})
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
    assert bad.json()["message"].startswith("jitter: ")


async def test_fault_rules_via_control(client: httpx.AsyncClient) -> None:
    url = "/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task"
    r = await client.post(
        "/_sim/faults",
        json={
            "operation": "ReconnectHost_Task",
            "object": "host-0",
            "fault": "NoHost",
            "fault_fields": {"name": "esx-0"},
            "count": 1,
        },
    )
    assert r.status_code == 201 and r.json()["id"] == "rule-1"
    r = await client.post(url)
    assert r.status_code == 500 and r.json() == {
        "_typeName": "NoHost",
        "faultMessage": [],
        "name": "esx-0",
    }
    assert (await client.post(url)).status_code == 200  # count exhausted
    listed = (await client.get("/_sim/faults")).json()["rules"]
    assert listed[0]["fired"] == 1 and listed[0]["exhausted"] is True
    await client.post(
        "/_sim/faults",
        json={"id": "s", "operation": "ReconnectHost_Task", "status": 429, "body": {"busy": True}},
    )
    r = await client.post(url)
    assert (r.status_code, r.json()) == (429, {"busy": True})
    assert (await client.post("/_sim/faults", json={"id": "s", "fault": "X"})).status_code == 409
    assert (
        await client.post("/_sim/faults", json={"fault": "X", "status": 500})
    ).status_code == 422
    assert (await client.post("/_sim/faults", content=b"{nope")).status_code == 400
    assert (await client.delete("/_sim/faults/s")).status_code == 204
    assert (await client.delete("/_sim/faults/s")).status_code == 404
    await client.post(
        "/_sim/faults",
        json={"operation": "ReconnectHost_Task", "where": "task", "fault": "InvalidState"},
    )
    r = await client.post(url)
    info = (await client.get(f"/fake/8.0.3.0/Task/{r.json()['value']}/info")).json()
    assert info["state"] == "error" and info["error"]["_typeName"] == "InvalidState"
    # render_task_fault gets the task and the surface state: it names the task's real host.
    assert info["error"]["host"] == "esx-0"
    assert (await client.delete("/_sim/faults")).status_code == 204
    assert (await client.get("/_sim/faults")).json()["rules"] == []


async def test_status_rule_sends_retry_after(client: httpx.AsyncClient) -> None:
    url = "/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task"
    rule = {"operation": "ReconnectHost_Task", "status": 503, "retry_after": 7, "count": 1}
    added = await client.post("/_sim/faults", json=rule)
    assert added.status_code == 201 and added.json()["retry_after"] == 7
    r = await client.post(url)
    assert r.status_code == 503 and r.headers["retry-after"] == "7" and not r.content
    r = await client.post(url)
    assert r.status_code == 200 and "retry-after" not in r.headers
    await client.post("/_sim/faults", json={"status": 429, "body": {"busy": True}, "count": 1})
    r = await client.post(url)
    assert r.status_code == 429 and "retry-after" not in r.headers  # only when asked for
    bad = await client.post("/_sim/faults", json={"fault": "NoHost", "retry_after": 1})
    assert bad.status_code == 422 and "retry_after" in bad.json()["message"]


async def test_delete_sessions_logs_sessions_out(
    client: httpx.AsyncClient, sim: SimulatorState
) -> None:
    admin = sim.users.get("administrator@vsphere.local")
    assert admin is not None
    vim = [sim.session_store("vim25").create(admin) for _ in range(2)]
    rest = sim.session_store("rest").create(admin)
    r = await client.delete("/_sim/sessions", params={"surface": "fake"})  # logs into vim25
    assert r.status_code == 200 and r.json() == {"invalidated": 2, "stores": {"vim25": 2}}
    assert all(sim.session_store("vim25").lookup(s.token) is None for s in vim)
    assert sim.session_store("rest").lookup(rest.token) is not None
    r = await client.delete("/_sim/sessions")
    assert r.status_code == 200 and r.json()["invalidated"] == 1
    assert r.json()["stores"]["rest"] == 1 and r.json()["stores"]["vim25"] == 0
    assert sim.session_store("rest").lookup(rest.token) is None
    missing = await client.delete("/_sim/sessions", params={"surface": "nope"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    empty = await client.delete("/_sim/sessions", params={"surface": ""})
    assert empty.status_code == 400


async def test_drop_in_process_raises_transport_error(client: httpx.AsyncClient) -> None:
    await client.post("/_sim/faults", json={"operation": "ReconnectHost_Task", "drop": True})
    with pytest.raises(httpx.RemoteProtocolError) as exc:
        await client.post("/fake/8.0.3.0/HostSystem/host-0/ReconnectHost_Task")
    assert isinstance(exc.value, DropConnection)


async def test_catch_all_body_limit_and_404_use_surface_renderer(
    client: httpx.AsyncClient, sim: SimulatorState
) -> None:
    r = await client.get("/fake/8.0.3.0/boom")
    assert r.status_code == 500 and r.json()["_typeName"] == "SystemError"
    assert "secret stack detail" not in r.text and "Traceback" not in r.text
    r = await client.get("/fake/8.0.3.0/nowhere")
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidRequest"
    big = b"x" * (sim.settings.max_body_bytes + 1)
    r = await client.post("/fake/8.0.3.0/echo", content=big)
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidRequest"

    async def chunks() -> AsyncIterator[
        bytes
    ]:  # no Content-Length: the streamed count trips the limit
        for _ in range(17):
            yield b"y" * 65536

    r = await client.post("/fake/8.0.3.0/echo", content=chunks())
    assert r.json()["_typeName"] == "InvalidRequest"
    r = await client.post("/_sim/faults", content=big)
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"
    assert (await client.post("/fake/8.0.3.0/echo", content=b"ok")).content == b"ok"
    r = await client.get("/_sim/nothing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await client.delete("/_sim/health")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/_sim/faults"),
        ("PUT", "/_sim/settings/tasks"),
        ("POST", "/_sim/reset"),
        ("GET", "/_sim/health"),
        ("GET", "/_sim/scenario"),
        ("DELETE", "/_sim/faults/rule-1"),
    ],
)
async def test_control_oversize_body_is_413_body_too_large(
    fake_registered: object, method: str, path: str
) -> None:
    app = create_app(Scenario.from_yaml(SCENARIO_YAML), clock=FakeClock(), surfaces=[FAKE])
    sim = get_state(app)
    big = b"x" * (sim.settings.max_body_bytes + 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        answer = await c.request(method, path, content=big)
        assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
        assert sim.generation == 1  # nothing was done (no reset)
        check_documented("control", "/_sim", answer)


async def test_task_settings_are_finite_and_bounded(client: httpx.AsyncClient) -> None:
    url = "/_sim/settings/tasks"
    for body, status, words in [
        (b'{"default": 1e400}', 400, "out of range"),
        (b'{"default": Infinity}', 400, "not JSON"),
        (b'{"jitter": NaN}', 400, "not JSON"),
        (b'{"default": 3600.5}', 422, "default: Input should be less than or equal to 3600"),
        (b'{"queue_seconds": 7200}', 422, "queue_seconds"),
        (b'{"durations": {"ReconnectHost_Task": 1e6}}', 422, "durations.ReconnectHost_Task"),
        (b'{"retention_seconds": 1e9}', 422, "retention_seconds"),
        (b'{"jitter": 1.5}', 422, "jitter"),
    ]:
        answer = await client.put(url, content=body)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["message"], (body, answer.text)
    # Nothing was stored: the settings still read, and tasks still finish.
    assert (await client.get(url)).json()["default"] == 0
    ok = await client.put(url, json={"default": 3600, "durations": {"*": 0.5}, "jitter": 1})
    assert ok.status_code == 200 and ok.json()["default"] == 3600


@pytest.mark.parametrize(
    ("settings", "where"),
    [
        ("{tasks: {default: .inf}}", "settings.tasks.default"),
        ("{tasks: {durations: {ReconnectHost_Task: .nan}}}", "settings.tasks.durations"),
        ("{session_idle_timeout: .inf}", "settings.session_idle_timeout"),
        ("{hosts: 50001}", "settings.hosts"),
    ],
)
def test_scenario_settings_are_finite_and_bounded(settings: str, where: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(f"settings: {settings}\n", "s.yaml")
    assert f"s.yaml: {where}" in str(info.value)


async def test_objects_endpoints(client: httpx.AsyncClient) -> None:
    r = (await client.get("/_sim/objects")).json()
    assert r["total"] == 2 and r["items"][0] == {
        "surface": "fake",
        "id": "host-0",
        "type": "HostSystem",
        "name": "esx-0",
    }
    r = (
        await client.get("/_sim/objects", params={"surface": "fake", "limit": 1, "offset": 1})
    ).json()
    assert r["total"] == 2 and [i["id"] for i in r["items"]] == ["host-1"]
    assert (await client.get("/_sim/objects", params={"surface": "zz"})).status_code == 404
    assert (await client.get("/_sim/objects", params={"limit": "x"})).status_code == 400
    assert (await client.get("/_sim/objects/fake/host-9")).status_code == 404
    assert (await client.get("/_sim/objects/zz/host-0")).status_code == 404
    r = await client.patch("/_sim/objects/fake/host-0", json={"connection_state": "notResponding"})
    assert r.status_code == 200 and r.json()["connection_state"] == "notResponding"
    r = await client.patch("/_sim/objects/fake/host-0", json={"colour": 1})
    assert r.status_code == 422 and "colour" in r.json()["message"]
    assert (await client.patch("/_sim/objects/fake/host-9", json={})).status_code == 404
    assert (await client.patch("/_sim/objects/fake/host-0", json=[1])).status_code == 422


async def test_reset_and_scenario_load(client: httpx.AsyncClient, sim: SimulatorState) -> None:
    await client.patch("/_sim/objects/fake/host-0", json={"connection_state": "connected"})
    await client.post("/_sim/faults", json={"fault": "X"})
    await client.put("/_sim/settings/tasks", json={"default": 5})
    admin = sim.users.get("administrator@vsphere.local")
    assert admin is not None
    token = sim.session_store("vim25").create(admin).token
    gen = sim.generation
    r = await client.post("/_sim/reset")
    assert r.status_code == 200 and r.json()["generation"] == gen + 1
    assert (await client.get("/_sim/objects/fake/host-0")).json()[
        "connection_state"
    ] == "disconnected"
    assert sim.injector.list() == [] and sim.tasks.settings.default == 0
    assert sim.session_store("vim25").lookup(token) is None

    bad = await client.post(
        "/_sim/scenario",
        params={"name": "mine.yaml"},
        content="fake:\n  hosts: [{name: a, connection_state: up}]\n",
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scenario"
    assert bad.json()["message"].startswith(
        "mine.yaml: fake.hosts[0].connection_state: Input should be"
    )
    assert bad.json()["detail"][0]["path"] == "fake.hosts[0].connection_state"
    assert (await client.get("/_sim/objects")).json()["total"] == 2  # unchanged
    ok = await client.post(
        "/_sim/scenario", json={"fake": {"hosts": [{"name": "only"}]}}, params={"hosts": 5}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "loaded"
    objs = (await client.get("/_sim/objects")).json()
    assert objs["total"] == 5 and objs["items"][0]["name"] == "only"
    health = (await client.get("/_sim/health")).json()
    assert (
        health["status"] == "ok"
        and health["fleet_size"] == 5
        and health["surfaces"] == {"fake": "/fake/{release}"}
    )
    scen = (await client.get("/_sim/scenario")).json()
    assert "VMware1!" not in str(scen)
    assert (await client.get("/")).json()["control"] == "/_sim"


def test_control_spec_is_valid_and_lists_every_route(app: object) -> None:
    doc = yaml.safe_load(SPEC.read_text())
    validate(doc)
    assert doc["openapi"] == "3.0.3" and doc["servers"][0]["url"] == "http://{host}/_sim"
    from vreconnect_sim.control import routes

    served = {(r.path.replace(":path", ""), m) for r in routes(None) for m in r.methods - {"HEAD"}}  # type: ignore[arg-type,attr-defined]
    documented = {
        (p, m.upper()) for p, ops in doc["paths"].items() for m in ops if m != "parameters"
    }
    assert served == documented


async def test_nested_mounts_route_to_the_most_specific_surface(fake_registered: object) -> None:
    """sms lives under vim25's mount: the longer mount must win, for routes and for errors."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from vreconnect_sim.app import create_app
    from vreconnect_sim.registry import SimError, SurfaceContext, SurfaceSpec

    def make(name: str, mount: str) -> SurfaceSpec:
        async def who(request: Request) -> Response:
            return JSONResponse({"surface": name, "release": request.path_params["release"]})

        def render(request: Request | None, error: SimError) -> Response:
            return JSONResponse({"renderer": name, "kind": error.kind}, status_code=500)

        def routes(ctx: SurfaceContext) -> list[Route]:
            return [Route("/who", who)]

        return SurfaceSpec(name=name, mount=mount, routes=routes, render_error=render)

    outer, inner = make("outer", "/sdk/vim25/{release}"), make("inner", "/sdk/vim25/{release}/sms")
    app = create_app(surfaces=[outer, inner])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        assert (await c.get("/sdk/vim25/8.0.3.0/who")).json() == {
            "surface": "outer",
            "release": "8.0.3.0",
        }
        assert (await c.get("/sdk/vim25/9.0.0.0/sms/who")).json() == {
            "surface": "inner",
            "release": "9.0.0.0",
        }
        assert (await c.get("/sdk/vim25/8.0.3.0/sms/nope")).json() == {
            "renderer": "inner",
            "kind": "not_found",
        }
        assert (await c.get("/sdk/vim25/8.0.3.0/nope")).json() == {
            "renderer": "outer",
            "kind": "not_found",
        }
        assert (await c.get("/sdk/vim25/8.0.3.0/smsx")).json()["renderer"] == "outer"


async def test_scenario_fleet_size_is_capped_and_belongs_to_one_load(
    client: httpx.AsyncClient, sim: SimulatorState
) -> None:
    scenario = {"fake": {"hosts": [{"name": "only"}]}}
    huge = await client.post("/_sim/scenario", json=scenario, params={"hosts": 1_000_000})
    assert huge.status_code == 400 and "0..50000" in huge.json()["message"]
    assert "fleet limit" in huge.json()["message"]
    assert sim.generation == 1  # nothing was built
    sized = await client.post("/_sim/scenario", json=scenario, params={"hosts": 5})
    assert sized.status_code == 200
    assert (await client.get("/_sim/health")).json()["fleet_size"] == 5
    await client.post("/_sim/reset")  # a reset keeps the loaded scenario's size
    assert (await client.get("/_sim/objects")).json()["total"] == 5
    # A load without ?hosts is sized by the scenario itself: the earlier ?hosts is gone.
    plain = await client.post("/_sim/scenario", json=scenario)
    assert plain.status_code == 200
    assert (await client.get("/_sim/health")).json()["fleet_size"] is None
    assert (await client.get("/_sim/objects")).json()["total"] == 1
    own = await client.post("/_sim/scenario", json={**scenario, "settings": {"hosts": 3}})
    assert own.status_code == 200
    assert (await client.get("/_sim/objects")).json()["total"] == 3


def test_fleet_size_over_the_limit_is_refused_at_start(fake_registered: object) -> None:
    with pytest.raises(FleetSizeError, match="50000"):
        create_app(surfaces=[FAKE], hosts=MAX_FLEET_SIZE + 1)


async def test_scenario_load_builds_off_the_event_loop() -> None:
    """While a slow scenario builds, other requests are answered, from the old state."""
    started, gate = threading.Event(), threading.Event()

    def build_state(b: BuildContext) -> dict[str, Any]:
        if isinstance(b.section, dict) and b.section.get("slow"):
            started.set()
            assert gate.wait(10), "the test never opened the gate"
        return {}

    slow = SurfaceSpec(name="slow", mount="/slow", routes=lambda ctx: [], build_state=build_state)
    register_surface(slow)
    try:
        app = create_app(clock=FakeClock(), surfaces=[slow], validate_responses=True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim/_sim") as c:
            load = asyncio.create_task(c.post("/scenario", json={"slow": {"slow": True}}))
            assert await asyncio.to_thread(started.wait, 10)
            health = await asyncio.wait_for(c.get("/health"), 5)
            assert health.status_code == 200 and health.json()["generation"] == 1
            gate.set()
            loaded = await asyncio.wait_for(load, 10)
        assert loaded.status_code == 200 and loaded.json()["generation"] == 2
        assert get_state(app).spec_violations == []
    finally:
        gate.set()
        unregister_surface("slow")


async def test_a_client_gone_while_its_body_is_read_is_not_an_error(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/fake/8.0.3.0/echo",
        "raw_path": b"/fake/8.0.3.0/echo",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"sim"), (b"content-length", b"10")],
        "client": ("127.0.0.1", 50000),
        "server": ("sim", 80),
    }
    with caplog.at_level(logging.INFO, logger="vreconnect_sim"):
        await app(scope, receive, send)
    assert sent == []  # nobody to answer
    assert "unhandled error" not in caplog.text and "Traceback" not in caplog.text
