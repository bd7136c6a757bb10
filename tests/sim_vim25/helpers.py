"""Helpers for the vim25 / sms surface tests (see conftest.py for the fixtures).

Every test talks to the simulator through the generated clients
(``vreconnect_generated.clients.vim25`` / ``.sms``): an in-process app (``httpx.ASGITransport``)
or, for the operation modules (``both_transports``), also a real uvicorn server over TLS. Two
independent checks guard the contract:

* the simulator runs with ``validate_responses=True``: the shared middleware checks each
  response against the OpenAPI documents, and the ``target`` fixture fails a test that
  recorded a violation;
* every HTTP response a test receives passes through :class:`SpecChecker` (an httpx response
  hook) and is validated against the response schema of ``specs/vim25.yaml`` /
  ``specs/sms.yaml`` for its operation and status (JSON Schema, OpenAPI 3.0 dialect), and an
  undocumented status fails the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from starlette.applications import Starlette

from vreconnect_generated.clients.vim25 import AuthenticatedClient
from vreconnect_generated.clients.vim25.api.host_system import reconnect_host_task
from vreconnect_generated.clients.vim25.api.task import get_task_info
from vreconnect_generated.clients.vim25.models import (
    HostConnectSpec,
    HostSystemReconnectSpec,
    MoRefTask,
    ReconnectHostRequestType,
    TaskInfo,
)

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "8.0.3.0"
BASE = f"http://sim/sdk/vim25/{RELEASE}"
SESSION_HEADER = "vmware-api-session-id"
ADMIN = "administrator@vsphere.local"
PASSWORD = "VMware1!"
_VIJSON_PATH = re.compile(r"^/sdk/vim25/[^/]+(?P<sms>/sms)?(?P<rest>/.*)?$")


class SpecChecker:
    """Validates VI/JSON responses against the OpenAPI documents."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.ops: dict[str, list[tuple[str, re.Pattern[str], dict[str, Any]]]] = {}
        for doc in ("vim25", "sms"):
            spec = yaml.safe_load((ROOT / "specs" / f"{doc}.yaml").read_text(encoding="utf-8"))
            self.docs[doc] = spec
            ops = []
            for path, item in spec["paths"].items():
                regex = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
                for method in ("get", "post", "put", "patch", "delete"):
                    if method in item:
                        ops.append((method.upper(), regex, item[method]))
            self.ops[doc] = ops
        self.checked = 0

    def schema_check(self, doc: str, schema: dict[str, Any], instance: Any) -> None:
        """Validate ``instance`` against ``schema`` (refs resolved in document ``doc``)."""
        root = {"components": self.docs[doc]["components"], **schema}
        OAS30Validator(root, format_checker=oas30_format_checker).validate(instance)

    def component(self, doc: str, name: str) -> dict[str, Any]:
        """A ``$ref`` schema to a named component."""
        assert name in self.docs[doc]["components"]["schemas"], name
        return {"$ref": f"#/components/schemas/{name}"}

    def check(
        self, method: str, path: str, status: int, body: bytes, headers: httpx.Headers
    ) -> None:
        """Assert the response is documented and its body matches the schema."""
        match = _VIJSON_PATH.match(path)
        if match is None:
            return  # control API: not a VI/JSON surface
        doc = "sms" if match.group("sms") else "vim25"
        rest = match.group("rest") or "/"
        payload = json.loads(body) if body else None
        for op_method, regex, op in self.ops[doc]:
            if regex.match(rest) and op_method == method:
                responses = op["responses"]
                assert str(status) in responses, (
                    f"{op['operationId']}: undocumented status {status}"
                )
                response = responses[str(status)]
                for name, header in response.get("headers", {}).items():
                    if header.get("required"):
                        assert headers.get(name), f"{op['operationId']}: header {name} missing"
                content = response.get("content", {}).get("application/json")
                if content is None:
                    assert not body, f"{op['operationId']} {status}: unexpected body"
                else:
                    self.schema_check(doc, content["schema"], payload)
                self.checked += 1
                return
        # No operation: an unknown path or method is a 500 InvalidRequest fault.
        assert status == 500, f"{method} {path}: status {status} for an unknown operation"
        self.schema_check(doc, self.component(doc, "InvalidRequest"), payload)
        self.checked += 1


CHECKER = SpecChecker()


async def response_hook(response: httpx.Response) -> None:
    """An httpx response hook checking VI/JSON answers with :data:`CHECKER`."""
    await response.aread()
    CHECKER.check(
        response.request.method,
        response.request.url.path,
        response.status_code,
        response.content,
        response.headers,
    )


def validate_sync_response(response: httpx.Response) -> None:
    """The same check, for synchronous clients (the TLS socket test)."""
    response.read()
    CHECKER.check(
        response.request.method,
        response.request.url.path,
        response.status_code,
        response.content,
        response.headers,
    )


def httpx_args(app: Starlette) -> dict[str, Any]:
    """httpx arguments for an in-process client of ``app`` with response validation."""
    return {
        "transport": httpx.ASGITransport(app=app),
        "event_hooks": {"response": [response_hook]},
    }


def body_of(resp: Any) -> Any:
    """The JSON body of a generated-client ``Response``."""
    return json.loads(resp.content)


def assert_fault(resp: Any, type_name: str, status: int = 500) -> dict[str, Any]:
    """Assert the call was answered with fault ``type_name``; return the fault body."""
    assert resp.status_code == status, (resp.status_code, resp.content)
    fault: dict[str, Any] = body_of(resp)
    assert fault["_typeName"] == type_name, fault
    assert fault["faultMessage"][0]["_typeName"] == "LocalizableMessage"
    assert fault["faultMessage"][0]["message"]
    return fault


# -- shortcuts over the generated clients ---------------------------------------------------


def connect_spec(**fields: Any) -> HostConnectSpec:
    """A generated ``HostConnectSpec`` (snake_case field names of the generated model)."""
    return HostConnectSpec(**fields)


async def reconnect(
    client: AuthenticatedClient,
    moid: str,
    cnx: HostConnectSpec | None = None,
    sync_state: bool | None = None,
) -> Any:
    """Call ReconnectHost_Task through the generated client; returns the detailed Response."""
    body = ReconnectHostRequestType()
    if cnx is not None:
        body.cnx_spec = cnx
    if sync_state is not None:
        body.reconnect_spec = HostSystemReconnectSpec(sync_state=sync_state)
    return await reconnect_host_task.asyncio_detailed(moid, client=client, body=body)


async def task_info(client: AuthenticatedClient, task_id: str) -> dict[str, Any]:
    """The TaskInfo of ``task_id`` as JSON (also parsed by the generated model)."""
    resp = await get_task_info.asyncio_detailed(task_id, client=client)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, TaskInfo)
    info: dict[str, Any] = body_of(resp)
    return info


async def run_task(client: AuthenticatedClient, resp: Any) -> dict[str, Any]:
    """Given the 200 answer of a ``*_Task`` call, return the task's (final) TaskInfo."""
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, MoRefTask)
    assert resp.parsed.type_ == "Task"
    return await task_info(client, resp.parsed.value)


def task_fault(info: dict[str, Any], type_name: str) -> dict[str, Any]:
    """Assert the task ended in error with ``type_name``; return the fault."""
    assert info["state"] == "error", info
    fault: dict[str, Any] = info["error"]
    assert fault["_typeName"] == type_name, fault
    assert fault["faultMessage"][0]["message"]
    return fault
