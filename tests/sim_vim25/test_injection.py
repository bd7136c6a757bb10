"""Fault rules (/_sim/faults) on the vim25 and sms surfaces: both channels, spec-valid bodies."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from vreconnect_generated.clients.sms import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.sms.api.sms_task import query_sms_task_info
from vreconnect_generated.clients.sms.api.vasa_provider import vasa_provider_reconnect_task
from vreconnect_generated.clients.vim25 import AuthenticatedClient, Client
from vreconnect_generated.clients.vim25.api.host_system import get_host_system_runtime
from vreconnect_generated.clients.vim25.api.session_manager import login
from vreconnect_generated.clients.vim25.api.task import get_task_info
from vreconnect_generated.clients.vim25.models import (
    HostRuntimeInfo,
    LoginRequestType,
    SSLVerifyFault,
)

from .helpers import (
    ADMIN,
    BASE,
    PASSWORD,
    SESSION_HEADER,
    assert_fault,
    body_of,
    connect_spec,
    reconnect,
    run_task,
    task_fault,
)


async def add_rule(control: httpx.AsyncClient, **rule: object) -> None:
    """Add one fault rule."""
    resp = await control.post("/faults", json=rule)
    assert resp.status_code == 201, resp.text


async def test_call_fault(vim: AuthenticatedClient, control: httpx.AsyncClient) -> None:
    await add_rule(
        control,
        surface="vim25",
        operation="ReconnectHost_Task",
        object="host-102",
        fault="NoHost",
        count=1,
    )
    fault = assert_fault(await reconnect(vim, "host-102"), "NoHost")
    assert fault["name"] == "esx-disconnected.example.com"
    assert (await run_task(vim, await reconnect(vim, "host-102")))["state"] == "success"


async def test_injected_faults_fill_required_fields(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    await add_rule(
        control, operation="ReconnectHost_Task", object="host-106", fault="SSLVerifyFault", count=1
    )
    resp = await reconnect(vim, "host-106")
    assert isinstance(resp.parsed, SSLVerifyFault)
    fault = body_of(resp)
    assert (
        fault["thumbprint"] == (await control.get("/objects/vim25/host-106")).json()["thumbprint"]
    )
    await add_rule(control, operation="ReconnectHost_Task", fault="AlreadyBeingManaged", count=1)
    assert assert_fault(await reconnect(vim, "host-102"), "AlreadyBeingManaged")["ipAddress"]


async def test_task_faults_carry_the_target_hosts_real_values(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    """``where: task`` faults are rendered for the task's host, not with placeholders."""
    rule = {"operation": "ReconnectHost_Task", "object": "host-102", "where": "task", "count": 1}
    await add_rule(control, fault="SSLVerifyFault", **rule)
    host = (await control.get("/objects/vim25/host-102")).json()
    info = await run_task(vim, await reconnect(vim, "host-102"))
    fault = task_fault(info, "SSLVerifyFault")
    assert fault["thumbprint"] == host["thumbprint"] != ":".join(["00"] * 20)
    assert fault["certificate"].startswith("-----BEGIN CERTIFICATE-----")

    # Taken over by another vCenter meanwhile: the injected fault names that vCenter (force
    # would have ignored it, so only the rule can end this task in AlreadyBeingManaged).
    patched = await control.patch("/objects/vim25/host-102", json={"managed_by": "203.0.113.9"})
    assert patched.status_code == 200, patched.text
    await add_rule(control, fault="AlreadyBeingManaged", **rule)
    info = await run_task(vim, await reconnect(vim, "host-102", connect_spec(force=True)))
    assert task_fault(info, "AlreadyBeingManaged")["ipAddress"] == "203.0.113.9"


async def test_task_fault_skips_the_state_change(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    await add_rule(
        control,
        operation="ReconnectHost_Task",
        where="task",
        fault="NotEnoughLicenses",
        message="license pool exhausted",
        count=1,
    )
    info = await run_task(vim, await reconnect(vim, "host-102", connect_spec(force=True)))
    fault = task_fault(info, "NotEnoughLicenses")
    assert fault["faultMessage"][0]["message"] == "license pool exhausted"
    resp = await get_host_system_runtime.asyncio_detailed("host-102", client=vim)
    assert isinstance(resp.parsed, HostRuntimeInfo)
    assert resp.parsed.connection_state == "disconnected"


async def test_sms_faults(
    vim: AuthenticatedClient,
    sms_for: Callable[[AuthenticatedClient], SmsClient],
    control: httpx.AsyncClient,
) -> None:
    sms = sms_for(vim)
    await add_rule(
        control,
        surface="sms",
        operation="VasaProviderReconnect_Task",
        fault="InvalidCertificate",
        count=1,
    )
    assert_fault(
        await vasa_provider_reconnect_task.asyncio_detailed("vasa-2", client=sms),
        "InvalidCertificate",
    )
    await add_rule(control, surface="sms", where="task", fault="ProviderConnectionFailed", count=1)
    resp = await vasa_provider_reconnect_task.asyncio_detailed("vasa-2", client=sms)
    info = body_of(await query_sms_task_info.asyncio_detailed(resp.parsed.value, client=sms))
    assert info["state"] == "error" and info["error"]["_typeName"] == "ProviderConnectionFailed"


async def test_status_and_latency_rules(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    await add_rule(control, operation="GetHostSystemRuntime", latency_ms=1, count=1)
    assert (
        await get_host_system_runtime.asyncio_detailed("host-101", client=vim)
    ).status_code == 200


async def test_drop_rule(vim: AuthenticatedClient, control: httpx.AsyncClient) -> None:
    await add_rule(control, surface="vim25", operation="GetTaskInfo", drop=True, count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        await get_task_info.asyncio_detailed("task-1", client=vim)
    assert_fault(
        await get_task_info.asyncio_detailed("task-1", client=vim), "ManagedObjectNotFound"
    )


async def test_a_status_rule_reaches_the_client_as_is_under_the_plugin(
    vreconnect_sim_app: Starlette,
) -> None:
    """A proxy's 503 + Retry-After in front of vCenter: out of the vim25 contract on purpose,
    so the plugin's response validation (on by default) lets it through and fails nothing."""
    transport = httpx.ASGITransport(app=vreconnect_sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/_sim") as control:
        rule = {"operation": "ReconnectHost_Task", "status": 503, "retry_after": 7, "count": 1}
        await add_rule(control, **rule)
        anon = Client(base_url=BASE, httpx_args={"transport": transport})
        login_resp = await login.asyncio_detailed(
            "SessionManager",
            client=anon,
            body=LoginRequestType(user_name=ADMIN, password=PASSWORD),
        )
        vim = AuthenticatedClient(
            base_url=BASE,
            token=login_resp.headers[SESSION_HEADER],
            prefix="",
            auth_header_name=SESSION_HEADER,
            httpx_args={"transport": transport},
        )
        refused = await reconnect(vim, "host-102")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "7"
        assert refused.content == b""
        assert (await run_task(vim, await reconnect(vim, "host-102")))["state"] == "success"
        assert (await control.get("/violations")).json()["total"] == 0
