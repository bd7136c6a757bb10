"""A throwaway surface ("fake", vim25-like) to exercise the shared machinery without the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock, iso8601
from vreconnect_sim.injection import FaultAction
from vreconnect_sim.registry import (
    BuildContext,
    ObjectHooks,
    SimError,
    SurfaceContext,
    SurfaceSpec,
    register_surface,
    unregister_surface,
)
from vreconnect_sim.scenario import Scenario
from vreconnect_sim.state import SimulatorState
from vreconnect_sim.tasks import SimTask, TaskFailed


class FakeHost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    connection_state: Literal["connected", "notResponding", "disconnected"] = "connected"


class FakeSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hosts: list[FakeHost] = []


def build_state(b: BuildContext) -> dict[str, dict[str, Any]]:
    section = b.section if isinstance(b.section, FakeSection) else FakeSection()
    hosts = {f"host-{i}": h.model_dump() for i, h in enumerate(section.hosts)}
    for i in range(len(hosts), b.fleet_size or 0):
        hosts[f"host-{i}"] = {"name": f"esx-{i}", "connection_state": "disconnected"}
    return hosts


def render_fault(action: FaultAction) -> dict[str, Any]:
    return {"_typeName": action.fault, "faultMessage": [], **action.fault_fields}


def render_task_fault(action: FaultAction, task: SimTask, data: Any) -> dict[str, Any]:
    """A task's injected fault names the host the task works on, from the surface state."""
    host = data.get(task.target, {}) if isinstance(data, dict) else {}
    return {**render_fault(action), "host": host.get("name")}


def render_error(request: Request | None, error: SimError) -> Response:
    if error.kind == "fault" and error.fault is not None:
        return JSONResponse(render_fault(error.fault), status_code=500)
    name = {"body_too_large": "InvalidRequest", "not_found": "InvalidRequest"}.get(
        error.kind, "SystemError"
    )
    return JSONResponse({"_typeName": name, "reason": error.message}, status_code=500)


def routes(ctx: SurfaceContext) -> list[BaseRoute]:
    async def reconnect(request: Request) -> Response:
        moid = request.path_params["moid"]
        if (resp := await ctx.call_faults(request, "ReconnectHost_Task", moid)) is not None:
            return resp
        with ctx.lock:
            if moid not in ctx.data:
                raise SimError("not_found", f"no host {moid}")

            def apply(task: SimTask) -> None:
                host = ctx.data[moid]
                if host["name"] == "unreachable":
                    raise TaskFailed({"_typeName": "NoHost", "name": host["name"]})
                host["connection_state"] = "connected"

            task = ctx.tasks.create(
                surface=ctx.name, operation="ReconnectHost_Task", target=moid, on_complete=apply
            )
        return JSONResponse(
            {"_typeName": "ManagedObjectReference", "type": "Task", "value": task.id}
        )

    async def task_info(request: Request) -> Response:
        task = ctx.tasks.get(request.path_params["tid"])
        if task is None:
            raise SimError("not_found", "no task")
        return JSONResponse(
            {
                "state": task.state,
                "progress": task.progress,
                "error": task.error,
                "queueTime": iso8601(task.queue_time),
            }
        )

    async def boom(request: Request) -> Response:
        raise RuntimeError("secret stack detail")

    async def echo(request: Request) -> Response:
        return Response(await request.body())

    return [
        Route("/HostSystem/{moid}/ReconnectHost_Task", reconnect, methods=["POST"]),
        Route("/Task/{tid}/info", task_info, methods=["GET"]),
        Route("/boom", boom, methods=["GET"]),
        Route("/echo", echo, methods=["POST"]),
    ]


def _patch(data: dict[str, dict[str, Any]], oid: str, changes: dict[str, Any]) -> dict[str, Any]:
    host = data[oid]
    bad = set(changes) - set(host)
    if bad:
        raise ValueError(f"unknown field(s): {', '.join(sorted(bad))}")
    host.update(changes)
    return dict(host)


FAKE = SurfaceSpec(
    name="fake",
    mount="/fake/{release}",
    routes=routes,
    build_state=build_state,
    section_model=FakeSection,
    render_error=render_error,
    render_task_fault=render_task_fault,
    session_store="vim25",
    objects=ObjectHooks(
        list=lambda data: [
            {"id": k, "type": "HostSystem", "name": v["name"]} for k, v in data.items()
        ],
        get=lambda data, oid: dict(data[oid]) if oid in data else None,
        patch=_patch,
    ),
)

SCENARIO_YAML = """
fake:
  hosts:
    - {name: esx-0, connection_state: disconnected}
    - {name: unreachable, connection_state: disconnected}
settings:
  seed: 7
"""


@pytest.fixture
def fake_registered() -> Iterator[SurfaceSpec]:
    register_surface(FAKE)
    yield FAKE
    unregister_surface("fake")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(fake_registered: SurfaceSpec, clock: FakeClock) -> Iterator[Starlette]:
    """The fake surface's app, validating responses: "fake" has no document, so this checks
    every control API answer of every test against specs/control.yaml."""
    application = create_app(
        Scenario.from_yaml(SCENARIO_YAML, "t.yaml"),
        clock=clock,
        surfaces=[FAKE],
        validate_responses=True,
    )
    yield application
    assert [str(v) for v in get_state(application).spec_violations] == []


@pytest.fixture
def sim(app: Starlette) -> SimulatorState:
    return get_state(app)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as c:
        yield c
