"""Central response validation (validate_responses mode) against an OpenAPI document."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.pytest_plugin import _check_violations
from vreconnect_sim.registry import (
    SurfaceContext,
    SurfaceSpec,
    register_surface,
    unregister_surface,
)
from vreconnect_sim.state import SimulatorState
from vreconnect_sim.validation import (
    SPECS_ENV,
    VALIDATE_ENV,
    OpenApiDocument,
    document_path,
    spec_dirs,
    to_json_schema,
)

REPO_SPECS = Path(__file__).resolve().parents[2] / "specs"

MOREF = {
    "type": "object",
    "required": ["_typeName", "type", "value"],
    "properties": {
        "_typeName": {"type": "string", "enum": ["ManagedObjectReference"]},
        "type": {"type": "string"},
        "value": {"type": "string", "minLength": 1},
    },
}
FAULT = {"$ref": "#/components/schemas/ThingFault"}

# A small vim25-like document for the throwaway "vt" surface.
DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "vt", "version": "1"},
    "paths": {
        "/Thing/{moId}": {
            "get": {
                "operationId": "GetThing",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Thing"},
                                "example": {"name": "x", "count": 1},
                            }
                        },
                    },
                    "500": {"$ref": "#/components/responses/Fault"},
                },
            }
        },
        "/Thing/special": {
            "get": {
                "operationId": "GetSpecialThing",
                "responses": {"204": {"description": "literal paths win over {moId}"}},
            }
        },
        "/Login": {
            "post": {
                "operationId": "Login",
                "responses": {
                    "200": {
                        "description": "session",
                        "headers": {
                            "vmware-api-session-id": {
                                "required": True,
                                "schema": {"type": "string", "minLength": 1},
                            },
                            "x-optional": {"schema": {"type": "string"}},
                        },
                        "content": {"application/json": {"schema": MOREF}},
                    }
                },
            }
        },
        "/Logout": {
            "post": {
                "operationId": "Logout",
                "responses": {
                    "204": {"description": "no body"},
                    "default": {"$ref": "#/components/responses/Fault"},
                },
            }
        },
    },
    "components": {
        "responses": {
            "Fault": {
                "description": "a fault",
                "content": {"application/json": {"schema": FAULT}},
            }
        },
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["name", "count"],
                "properties": {
                    "name": {"type": "string", "x-vim-note": "ignored"},
                    "count": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10},
                    "owner": {"type": "string", "nullable": True},
                    "seen": {"type": "string", "format": "date-time"},
                    "secret": {"type": "string", "format": "password"},
                    "example": {"type": "boolean"},
                },
                "example": {"name": "x", "count": 1},
            },
            "NoHost": {
                "type": "object",
                "required": ["_typeName"],
                "properties": {"_typeName": {"type": "string", "enum": ["NoHost"]}},
            },
            "InvalidState": {
                "type": "object",
                "required": ["_typeName"],
                "properties": {"_typeName": {"type": "string", "enum": ["InvalidState"]}},
            },
            "ThingFault": {
                "oneOf": [
                    {"$ref": "#/components/schemas/NoHost"},
                    {"$ref": "#/components/schemas/InvalidState"},
                ],
                "discriminator": {"propertyName": "_typeName"},
            },
        },
    },
}

# What each route answers, set per test: (status, body or None, headers).
ANSWERS: dict[str, tuple[int, Any, dict[str, str]]] = {}


def routes(ctx: SurfaceContext) -> list[BaseRoute]:
    async def answer(request: Request) -> Response:
        status, body, headers = ANSWERS[request.scope["route"].name]
        if body is None:
            return Response(status_code=status, headers=headers)
        if isinstance(body, bytes):
            return Response(body, status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    return [
        Route("/Thing/special", answer, methods=["GET"], name="special"),
        Route("/Thing/{moid}", answer, methods=["GET"], name="thing"),
        Route("/Login", answer, methods=["POST"], name="login"),
        Route("/Logout", answer, methods=["POST"], name="logout"),
        Route("/Undocumented", answer, methods=["GET"], name="undocumented"),
    ]


VT = SurfaceSpec(name="vt", mount="/vt/{release}", routes=routes, openapi=DOCUMENT)
GOOD_THING = {"name": "esx-1", "count": 3, "owner": None, "seen": "2026-11-22T10:00:00Z"}


@pytest.fixture
def vt_app() -> Iterator[Starlette]:
    register_surface(VT)
    ANSWERS.clear()
    yield create_app(clock=FakeClock(), surfaces=[VT], validate_responses=True)
    unregister_surface("vt")


@pytest.fixture
def vt_sim(vt_app: Starlette) -> SimulatorState:
    return get_state(vt_app)


@pytest.fixture
async def vt(vt_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=vt_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/vt/8.0.3.0") as c:
        yield c


async def test_a_conforming_response_passes_unchanged(
    vt: httpx.AsyncClient, vt_sim: SimulatorState
) -> None:
    ANSWERS["thing"] = (200, GOOD_THING, {})
    r = await vt.get("/Thing/host-1")
    assert r.status_code == 200 and r.json() == GOOD_THING
    ANSWERS["thing"] = (500, {"_typeName": "NoHost", "faultMessage": []}, {})
    r = await vt.get("/Thing/host-1")
    assert r.status_code == 500 and r.json()["_typeName"] == "NoHost"
    ANSWERS["login"] = (
        200,
        {"_typeName": "ManagedObjectReference", "type": "Session", "value": "s-1"},
        {"vmware-api-session-id": "abc"},
    )
    assert (await vt.post("/Login")).status_code == 200
    ANSWERS["logout"] = (204, None, {})
    assert (await vt.post("/Logout")).status_code == 204
    ANSWERS["special"] = (204, None, {})
    assert (await vt.get("/Thing/special")).status_code == 204
    assert vt_sim.spec_violations == []


@pytest.mark.parametrize(
    ("route", "path", "answer", "detail"),
    [
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, {**GOOD_THING, "count": "three"}, {}),
            "$.count: 'three' is not of type 'integer'",
            id="wrong-type",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, {**GOOD_THING, "count": 11}, {}),
            "$.count: 11 is greater than the maximum of 10",
            id="out-of-bounds",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, {"count": 1}, {}),
            "$: 'name' is a required property",
            id="missing-property",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, {**GOOD_THING, "seen": "yesterday"}, {}),
            "$.seen: 'yesterday' is not a 'date-time'",
            id="bad-date-time",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (418, {"name": "teapot", "count": 1}, {}),
            "status 418 is not documented (documented: 200, 500)",
            id="undocumented-status",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (500, {"_typeName": "SystemError"}, {}),
            "$: {'_typeName': 'SystemError'} is not valid under any of the given schemas",
            id="fault-not-in-union",
        ),
        pytest.param(
            "login",
            "/Login",
            (200, {"_typeName": "ManagedObjectReference", "type": "Session", "value": "s"}, {}),
            "required header vmware-api-session-id is missing",
            id="missing-required-header",
        ),
        pytest.param(
            "logout",
            "/Logout",
            (204, b"{}", {}),
            "status 204 is documented without a body, got 2 bytes",
            id="body-on-bodiless",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, b"name=esx", {"content-type": "text/plain"}),
            "Content-Type text/plain is not documented (application/json)",
            id="wrong-media-type",
        ),
        pytest.param(
            "thing",
            "/Thing/host-1",
            (200, b"{not json", {"content-type": "application/json"}),
            "body is not valid JSON",
            id="not-json",
        ),
    ],
)
async def test_a_violation_becomes_a_500_and_is_recorded(
    vt: httpx.AsyncClient,
    vt_sim: SimulatorState,
    caplog: pytest.LogCaptureFixture,
    route: str,
    path: str,
    answer: tuple[int, Any, dict[str, str]],
    detail: str,
) -> None:
    ANSWERS[route] = answer
    method = "GET" if route == "thing" else "POST"
    with caplog.at_level(logging.ERROR, logger="vreconnect_sim"):
        r = await vt.request(method, path)
    assert r.status_code == 500
    body = r.json()
    operation = {"thing": "GetThing", "login": "Login", "logout": "Logout"}[route]
    assert body["error"] == "response_violates_spec"
    assert body["operation"] == operation and body["status"] == answer[0]
    assert body["detail"].startswith(detail), body["detail"]
    assert body["path"] == f"/vt/8.0.3.0{path}" and body["document"] == "vt"
    [violation] = vt_sim.spec_violations
    assert violation.operation == operation and violation.detail == body["detail"]
    assert "response violates the vt document" in caplog.text


async def test_undocumented_operations_are_not_checked(
    vt: httpx.AsyncClient, vt_sim: SimulatorState
) -> None:
    ANSWERS["undocumented"] = (200, {"anything": True}, {})
    assert (await vt.get("/Undocumented")).json() == {"anything": True}
    # Wrong method on a documented path: the router's 405 is not an operation's response.
    assert (await vt.delete("/Login")).status_code == 405
    assert vt_sim.spec_violations == []


async def test_mount_parameters_outside_the_server_enum_are_still_checked() -> None:
    # An unknown {release} is outside every server URL of the document, but the answer is still
    # the operation's: a VI/JSON surface answers it with a documented fault, and nothing else.
    document = {
        **DOCUMENT,
        "servers": [
            {
                "url": "https://{vc}/vt/{release}",
                "variables": {"release": {"default": "1", "enum": ["1", "2"]}},
            }
        ],
    }
    spec = SurfaceSpec(name="vt", mount="/vt/{release}", routes=routes, openapi=document)
    register_surface(spec)
    try:
        app = create_app(surfaces=[spec], validate_responses=True)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sim/vt"
        ) as c:
            ANSWERS["thing"] = (500, {"_typeName": "NoHost"}, {})
            assert (await c.get("/9.9.9.9/Thing/host-1")).status_code == 500  # documented
            ANSWERS["thing"] = (404, {"_typeName": "InvalidRequest"}, {})
            answer = await c.get("/9.9.9.9/Thing/host-1")
            assert answer.json()["error"] == "response_violates_spec"
        [violation] = get_state(app).spec_violations
        assert violation.path == "/vt/9.9.9.9/Thing/host-1" and violation.status == 404
    finally:
        unregister_surface("vt")


async def test_violations_via_control_api_survive_reset_until_cleared(
    vt: httpx.AsyncClient, vt_sim: SimulatorState
) -> None:
    ANSWERS["thing"] = (200, {"name": 1, "count": 1}, {})
    await vt.get("/Thing/host-9")
    control = "http://sim/_sim"
    assert (await vt.post(f"{control}/reset")).status_code == 200
    listed = (await vt.get(f"{control}/violations")).json()
    assert listed["enabled"] is True and listed["total"] == 1
    assert listed["items"][0]["operation"] == "GetThing"
    assert listed["items"][0]["path"] == "/vt/8.0.3.0/Thing/host-9"
    assert (await vt.delete(f"{control}/violations")).status_code == 204
    assert vt_sim.spec_violations == []
    # The control API's own answers were validated against control.yaml all along.
    assert (await vt.get(f"{control}/violations")).json()["total"] == 0


async def test_disabled_validation_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VALIDATE_ENV, raising=False)
    register_surface(VT)
    try:
        app = create_app(surfaces=[VT])
        assert get_state(app).validate_responses is False
        ANSWERS["thing"] = (418, {"count": "x"}, {})
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://sim"
        ) as c:
            r = await c.get("/vt/1/Thing/host-1")
            assert r.status_code == 418 and r.json() == {"count": "x"}
            assert (await c.get("/_sim/violations")).json() == {
                "enabled": False,
                "total": 0,
                "items": [],
            }
        assert get_state(app).spec_violations == []
    finally:
        unregister_surface("vt")


def test_environment_switches_validation_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VALIDATE_ENV, "1")
    assert get_state(create_app(surfaces=[])).validate_responses is True
    assert get_state(create_app(surfaces=[], validate_responses=False)).validate_responses is False
    monkeypatch.setenv(VALIDATE_ENV, "0")
    assert get_state(create_app(surfaces=[])).validate_responses is False


def test_plugin_check_fails_the_test_and_clears(vt_sim: SimulatorState) -> None:
    _check_violations(vt_sim)  # nothing recorded: passes
    from vreconnect_sim.validation import SpecViolation

    vt_sim.spec_violations.append(SpecViolation("vt", "GetThing", "GET", "/p", 200, "bad"))
    with pytest.raises(pytest.fail.Exception, match=r"1 simulator response\(s\) violated"):
        _check_violations(vt_sim)
    assert vt_sim.spec_violations == []


def test_documents_are_found_in_checkout_wheel_and_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package_dir = Path(__import__("vreconnect_sim").__file__).resolve().parent
    assert package_dir / "specs" in spec_dirs()  # installed wheel: vreconnect_sim/specs
    assert document_path("vim25") == REPO_SPECS / "vim25.yaml"  # this checkout
    for name in ("vim25", "sms", "vcenter", "vr", "control"):
        assert document_path(name) is not None, name
    (tmp_path / "vim25.yaml").write_text("openapi: 3.0.3\npaths: {}\n")
    monkeypatch.setenv(SPECS_ENV, str(tmp_path))
    assert document_path("vim25") == tmp_path / "vim25.yaml"
    assert document_path("no-such-document") is None


def test_openapi_30_keywords_are_translated() -> None:
    schema = {
        "type": "object",
        "x-vim-base": "MethodFault",
        "discriminator": {"propertyName": "_typeName"},
        "example": {"a": 1},
        "additionalProperties": False,
        "properties": {
            "example": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
            "x-name": {"type": "string", "nullable": True, "format": "password"},
            "ref": {"$ref": "#/components/schemas/Other", "nullable": True},
            "kind": {"type": "string", "enum": ["a"], "nullable": True},
        },
    }
    assert to_json_schema(schema, "urn:doc") == {
        "type": "object",
        "properties": {
            "example": {"type": "integer", "exclusiveMinimum": 0},
            "x-name": {"type": ["string", "null"]},
            "ref": {"anyOf": [{"type": "null"}, {"$ref": "urn:doc#/components/schemas/Other"}]},
            "kind": {"anyOf": [{"type": "null"}, {"type": "string", "enum": ["a"]}]},
        },
    }


@pytest.mark.parametrize("name", ["vim25", "sms", "vcenter", "vr", "control"])
def test_every_real_document_compiles_and_its_examples_validate(name: str) -> None:
    """Each documented example passes its own response validator (no false positives)."""
    import yaml

    path = document_path(name)
    assert path is not None
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc = OpenApiDocument(name, spec)
    checked = 0
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            for status, response in op["responses"].items():
                response = doc.resolve(response)
                media = (response.get("content") or {}).get("application/json") or {}
                # A body carries either one `example` or named `examples` (the page's own
                # samples beside a realistic one); every one of them must pass.
                samples = [media["example"]] if "example" in media else []
                samples += [doc.resolve(ex)["value"] for ex in media.get("examples", {}).values()]
                headers = {"content-type": "application/json"}
                for header, spec_header in (response.get("headers") or {}).items():
                    headers[header.lower()] = "x"
                    assert doc.resolve(spec_header)
                concrete = template.replace("{", "").replace("}", "")
                for sample in samples:
                    result = doc.check(
                        method, concrete, int(status), headers, json.dumps(sample).encode()
                    )
                    assert result == (op["operationId"], None), (
                        name,
                        op["operationId"],
                        status,
                        result,
                    )
                    checked += 1
    assert checked


@pytest.mark.parametrize(
    ("fault_fields", "violation"),
    [
        ({"thumbprint": 7}, "$.error.thumbprint: 7 is not of type 'string' (as SSLVerifyFault)"),
        ({"selfSigned": "yes"}, "$.error.selfSigned: 'yes' is not of type 'boolean'"),
        ({}, None),
    ],
)
async def test_a_task_error_is_checked_against_its_faults_own_schema(
    fault_fields: dict[str, Any], violation: str | None
) -> None:
    # TaskInfo.error is typed MethodFault (any fault); the fault it holds must still match
    # the schema its _typeName names. The rule goes to the injector directly: POST /_sim/faults
    # refuses such fault_fields.
    from vreconnect_sim.injection import FaultRule

    app = create_app(clock=FakeClock(), validate_responses=True)
    sim = get_state(app)
    sim.injector.add(
        FaultRule(
            operation="ReconnectHost_Task",
            where="task",
            fault="SSLVerifyFault",
            fault_fields=fault_fields,
        )
    )
    base = "http://sim/sdk/vim25/8.0.3.0"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as vim:
        login = await vim.post(
            "/SessionManager/SessionManager/Login",
            json={"userName": "administrator@vsphere.local", "password": "VMware1!"},
        )
        headers = {"vmware-api-session-id": login.headers["vmware-api-session-id"]}
        task = await vim.post("/HostSystem/host-102/ReconnectHost_Task", headers=headers, json={})
        info = await vim.get(f"/Task/{task.json()['value']}/info", headers=headers)
    if violation is None:
        assert info.status_code == 200 and info.json()["error"]["_typeName"] == "SSLVerifyFault"
        assert sim.spec_violations == []
    else:
        assert info.status_code == 500 and info.json()["error"] == "response_violates_spec"
        [recorded] = sim.spec_violations
        assert recorded.operation == "GetTaskInfo" and recorded.detail.startswith(violation)
