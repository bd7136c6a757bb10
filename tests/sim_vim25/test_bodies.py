"""Malformed, mistyped, incomplete and oversize requests; unknown releases, paths and methods.

VI/JSON answers all of them with HTTP 500 and a MethodFault body: InvalidRequest when the
request cannot be parsed or routed (an unknown release included: specs/vim25.yaml lists it for
"an unknown method or release"), InvalidArgument naming the property when it parses but does
not match the method's parameters. Methods without parameters take no body, or ``{}``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from vreconnect_generated.clients.vim25 import AuthenticatedClient

from .helpers import RELEASE, SESSION_HEADER

RECONNECT = f"/sdk/vim25/{RELEASE}/HostSystem/host-102/ReconnectHost_Task"
LOGIN = f"/sdk/vim25/{RELEASE}/SessionManager/SessionManager/Login"


def fault(resp: httpx.Response, type_name: str, status: int = 500) -> dict[str, Any]:
    """Assert a fault answer; never a stack trace."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = resp.json()
    assert body["_typeName"] == type_name, body
    assert "Traceback" not in resp.text
    return body


@pytest.fixture
def headers(vim: AuthenticatedClient) -> dict[str, str]:
    """Session header of an administrator session, plus a JSON content type."""
    return {SESSION_HEADER: vim.token, "content-type": "application/json"}


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"not json",
        b'{"cnxSpec": }',
        b"\xff\xfe\x00",
        b"[]",
        b'"text"',
        b"null",
        b"",
        b" \t\r\n",
        # Not JSON whitespace, though bytes.strip() would remove them: not an empty body.
        b"\x0b",
        b"\x0c",
    ],
)
async def test_unparsable_body_is_invalid_request(
    raw: httpx.AsyncClient, headers: dict[str, str], content: bytes
) -> None:
    fault(await raw.post(RECONNECT, content=content, headers=headers), "InvalidRequest")


@pytest.mark.parametrize(
    ("body", "prop"),
    [
        ({"cnxSpec": {"_typeName": "HostConnectSpec", "port": "443"}}, "cnxSpec.port"),
        ({"cnxSpec": {"_typeName": "HostConnectSpec", "port": 70000}}, "cnxSpec.port"),
        ({"cnxSpec": {"_typeName": "HostConnectSpec", "force": "yes"}}, "cnxSpec.force"),
        ({"cnxSpec": {"_typeName": "HostConnectSpec", "hostName": ""}}, "cnxSpec.hostName"),
        (
            {"cnxSpec": {"_typeName": "HostConnectSpec", "lockdownMode": 1}},
            "cnxSpec.lockdownMode",
        ),
        ({"cnxSpec": {"hostName": "esx.example.com"}}, "cnxSpec._typeName"),
        ({"cnxSpec": {"_typeName": "HostSystemReconnectSpec"}}, "cnxSpec._typeName"),
        ({"reconnectSpec": {"syncState": True}}, "reconnectSpec._typeName"),
        (
            {
                "cnxSpec": {
                    "_typeName": "HostConnectSpec",
                    "vmFolder": {"type": "Folder", "value": "g"},
                }
            },
            "cnxSpec.vmFolder._typeName",
        ),
        ({"cnxSpec": "esx.example.com"}, "cnxSpec"),
        ({"hostName": "esx.example.com"}, "hostName"),
    ],
)
async def test_schema_invalid_body_is_invalid_argument(
    raw: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], prop: str
) -> None:
    resp = await raw.post(RECONNECT, content=json.dumps(body), headers=headers)
    assert fault(resp, "InvalidArgument")["invalidProperty"] == prop


async def test_passwords_are_never_echoed(raw: httpx.AsyncClient, headers: dict[str, str]) -> None:
    body = {"cnxSpec": {"_typeName": "HostConnectSpec", "password": "S3cret-pw", "port": "x"}}
    resp = await raw.post(RECONNECT, content=json.dumps(body), headers=headers)
    fault(resp, "InvalidArgument")
    assert "S3cret-pw" not in resp.text
    login = await raw.post(LOGIN, json={"userName": "administrator@vsphere.local", "password": 12})
    assert fault(login, "InvalidArgument")["invalidProperty"] == "password"
    missing = await raw.post(LOGIN, json={"userName": "administrator@vsphere.local"})
    assert fault(missing, "InvalidArgument")["invalidProperty"] == "password"
    extra = await raw.post(LOGIN, json={"userName": "a", "password": "b", "domain": "c"})
    assert fault(extra, "InvalidArgument")["invalidProperty"] == "domain"


async def test_oversize_body(raw: httpx.AsyncClient, headers: dict[str, str]) -> None:
    big = (
        b'{"cnxSpec": {"_typeName": "HostConnectSpec", "hostName": "'
        + b"a" * (1024 * 1024)
        + b'"}}'
    )
    body = fault(await raw.post(RECONNECT, content=big, headers=headers), "InvalidRequest")
    assert "too large" in body["faultMessage"][0]["message"]

    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    streamed = await raw.post(RECONNECT, content=chunks(), headers=headers)
    fault(streamed, "InvalidRequest")


@pytest.mark.parametrize(
    "path",
    [
        "/sdk/vim25/9.9.9.9/ServiceInstance/ServiceInstance/content",
        "/sdk/vim25/7.0.3.0/HostSystem/host-102/ReconnectHost_Task",
        "/sdk/vim25/latest/Task/task-1/info",
        "/sdk/vim25/1.0/sms/VasaProvider/vasa-1/QueryProviderInfo",
        "/sdk/vim25/1.0/NoSuchType/x/y",
    ],
)
async def test_unknown_release(raw: httpx.AsyncClient, headers: dict[str, str], path: str) -> None:
    method = "GET" if path.endswith(("content", "info", "/y")) else "POST"
    resp = await raw.request(method, path, headers=headers, content=b"{}")
    body = fault(resp, "InvalidRequest")
    message = body["faultMessage"][0]["message"]
    assert "8.0.1.0, 8.0.2.0, 8.0.3.0, 9.0.0.0" in message


@pytest.mark.parametrize("release", ["8.0.1.0", "8.0.2.0", "8.0.3.0", "9.0.0.0"])
async def test_every_supported_release(raw: httpx.AsyncClient, release: str) -> None:
    resp = await raw.get(f"/sdk/vim25/{release}/ServiceInstance/ServiceInstance/content")
    assert resp.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/HostSystem/host-102/ReconnectHost_Task"),
        ("POST", "/HostSystem/host-102/runtime"),
        ("DELETE", "/Task/task-1/info"),
        ("POST", "/HostSystem/host-102/NoSuchMethod"),
        ("GET", "/VirtualMachine/vm-1/runtime"),
        ("GET", "/"),
        ("POST", "/sms/VasaProvider/vasa-1/NoSuchMethod"),
        ("GET", "/sms/VasaProvider/vasa-1/QueryProviderInfo"),
    ],
)
async def test_unknown_method_or_path_is_invalid_request(
    raw: httpx.AsyncClient, headers: dict[str, str], method: str, path: str
) -> None:
    resp = await raw.request(method, f"/sdk/vim25/{RELEASE}{path}", headers=headers)
    fault(resp, "InvalidRequest")


PARAMETERLESS = [
    ("POST", "/HostSystem/host-203/ReconfigureHostForDAS_Task"),
    ("POST", "/HostSystem/host-101/DisconnectHost_Task"),
    ("POST", "/sms/VasaProvider/vasa-2/VasaProviderReconnect_Task"),
    ("POST", "/sms/VasaProvider/vasa-2/QueryProviderInfo"),
    ("POST", "/SessionManager/SessionManager/Logout"),
    ("GET", "/HostSystem/host-102/runtime"),
]


@pytest.mark.parametrize(("method", "path"), PARAMETERLESS)
@pytest.mark.parametrize("content", [b"{bad", b"[]", b"\x0b", b'{"host": "host-1"}'])
async def test_parameterless_methods_refuse_a_body_before_doing_anything(
    raw: httpx.AsyncClient,
    headers: dict[str, str],
    control: httpx.AsyncClient,
    method: str,
    path: str,
    content: bytes,
) -> None:
    resp = await raw.request(
        method, f"/sdk/vim25/{RELEASE}{path}", content=content, headers=headers
    )
    fault(resp, "InvalidRequest")
    # Nothing was done: no task started, the session still works.
    assert (await control.get("/tasks")).json()["total"] == 0
    still = await raw.get(f"/sdk/vim25/{RELEASE}/HostSystem/host-102/runtime", headers=headers)
    assert still.status_code == 200


@pytest.mark.parametrize("content", [b"", b" \r\n", b"{}", b" {} "])
async def test_parameterless_methods_accept_no_body_or_an_empty_object(
    raw: httpx.AsyncClient, headers: dict[str, str], content: bytes
) -> None:
    resp = await raw.post(
        f"/sdk/vim25/{RELEASE}/HostSystem/host-203/ReconfigureHostForDAS_Task",
        content=content,
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["type"] == "Task"
