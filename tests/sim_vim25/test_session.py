"""ServiceInstance, Login/Logout, NotAuthenticated and NoPermission on every operation."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from vreconnect_generated.clients.sms import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.sms.api.sms_task import query_sms_task_info
from vreconnect_generated.clients.sms.api.vasa_provider import (
    query_provider_info,
    vasa_provider_reconnect_task,
)
from vreconnect_generated.clients.vim25 import AuthenticatedClient, Client
from vreconnect_generated.clients.vim25.api.host_system import (
    disconnect_host_task,
    get_host_system_runtime,
    reconfigure_host_for_das_task,
    reconnect_host_task,
)
from vreconnect_generated.clients.vim25.api.service_instance import get_service_instance_content
from vreconnect_generated.clients.vim25.api.session_manager import login, logout
from vreconnect_generated.clients.vim25.api.task import cancel_task, get_task_info
from vreconnect_generated.clients.vim25.models import (
    InvalidLogin,
    LoginRequestType,
    NotAuthenticated,
    ReconnectHostRequestType,
    ServiceContent,
    UserSession,
)
from vreconnect_sim.app import create_app
from vreconnect_sim.auth import UserSpec
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario

from ..sim_core.targets import Target, both_transports
from .conftest import LoginFn
from .helpers import ADMIN, BASE, CHECKER, PASSWORD, SESSION_HEADER, assert_fault, httpx_args

VimCall = Callable[[AuthenticatedClient | Client], Awaitable[Any]]

# Every vim25 operation that needs a session, called on a valid object.
VIM_CALLS: dict[str, VimCall] = {
    "Logout": lambda c: logout.asyncio_detailed("SessionManager", client=c),
    "ReconnectHost_Task": lambda c: reconnect_host_task.asyncio_detailed(
        "host-102", client=c, body=ReconnectHostRequestType()
    ),
    "ReconfigureHostForDAS_Task": lambda c: reconfigure_host_for_das_task.asyncio_detailed(
        "host-203", client=c
    ),
    "DisconnectHost_Task": lambda c: disconnect_host_task.asyncio_detailed("host-101", client=c),
    "GetHostSystemRuntime": lambda c: get_host_system_runtime.asyncio_detailed(
        "host-101", client=c
    ),
    "GetTaskInfo": lambda c: get_task_info.asyncio_detailed("task-1", client=c),
    "CancelTask": lambda c: cancel_task.asyncio_detailed("task-1", client=c),
}


async def test_service_content_needs_no_session(anon: Client) -> None:
    resp = await get_service_instance_content.asyncio_detailed("ServiceInstance", client=anon)
    assert resp.status_code == 200
    assert isinstance(resp.parsed, ServiceContent)
    assert resp.parsed.about.api_type == "VirtualCenter"
    assert resp.parsed.session_manager.value == "SessionManager"
    bad = await get_service_instance_content.asyncio_detailed("Nope", client=anon)
    assert_fault(bad, "ManagedObjectNotFound")


async def test_login_returns_session_and_header(anon: Client) -> None:
    resp = await login.asyncio_detailed(
        "SessionManager", client=anon, body=LoginRequestType(user_name=ADMIN, password=PASSWORD)
    )
    assert resp.status_code == 200
    assert isinstance(resp.parsed, UserSession)
    assert resp.parsed.user_name == "VSPHERE.LOCAL\\administrator"
    assert len(resp.headers[SESSION_HEADER]) == 40
    assert resp.headers[SESSION_HEADER] not in resp.content.decode()


async def test_login_failures(anon: Client) -> None:
    resp = await login.asyncio_detailed(
        "SessionManager", client=anon, body=LoginRequestType(user_name=ADMIN, password="wrong")
    )
    assert isinstance(resp.parsed, InvalidLogin)
    fault = assert_fault(resp, "InvalidLogin")
    assert "wrong" not in resp.content.decode()
    assert SESSION_HEADER not in resp.headers
    unknown = LoginRequestType(user_name="nobody@vsphere.local", password=PASSWORD)
    assert_fault(
        await login.asyncio_detailed("SessionManager", client=anon, body=unknown), "InvalidLogin"
    )
    locale = LoginRequestType(user_name=ADMIN, password=PASSWORD, locale="xx_YY")
    assert_fault(
        await login.asyncio_detailed("SessionManager", client=anon, body=locale), "InvalidLocale"
    )
    ok = LoginRequestType(user_name=ADMIN, password=PASSWORD)
    assert_fault(
        await login.asyncio_detailed("SessionMgr", client=anon, body=ok), "ManagedObjectNotFound"
    )
    assert fault["faultMessage"][0]["key"] == "vim.fault.InvalidLogin"


@both_transports
@pytest.mark.parametrize("operation", sorted(VIM_CALLS))
async def test_no_session_is_not_authenticated(anon: Client, operation: str) -> None:
    resp = await VIM_CALLS[operation](anon)
    assert isinstance(resp.parsed, NotAuthenticated)
    assert_fault(resp, "NotAuthenticated")


@both_transports
@pytest.mark.parametrize("operation", sorted(VIM_CALLS))
async def test_unknown_token_is_not_authenticated(
    target: Target, vim25_base: str, clients: list[Any], operation: str
) -> None:
    client = AuthenticatedClient(
        base_url=vim25_base,
        token="0" * 40,
        prefix="",
        auth_header_name=SESSION_HEADER,
        **target.client_kwargs(),
    )
    clients.append(client)
    assert_fault(await VIM_CALLS[operation](client), "NotAuthenticated")


@both_transports
async def test_expired_session(vim: AuthenticatedClient, clock: FakeClock) -> None:
    ok = await get_host_system_runtime.asyncio_detailed("host-101", client=vim)
    assert ok.status_code == 200
    clock.advance(1799)  # idle timeout is 1800 s; each use refreshes it
    assert (
        await get_host_system_runtime.asyncio_detailed("host-101", client=vim)
    ).status_code == 200
    clock.advance(1801)
    assert_fault(
        await get_host_system_runtime.asyncio_detailed("host-101", client=vim), "NotAuthenticated"
    )


@both_transports
async def test_logout_invalidates(
    vim: AuthenticatedClient, sms_for: Callable[[AuthenticatedClient], SmsClient]
) -> None:
    resp = await logout.asyncio_detailed("SessionManager", client=vim)
    assert resp.status_code == 204
    assert_fault(
        await get_host_system_runtime.asyncio_detailed("host-101", client=vim), "NotAuthenticated"
    )
    assert_fault(await logout.asyncio_detailed("SessionManager", client=vim), "NotAuthenticated")
    sms = sms_for(vim)
    assert_fault(
        await query_provider_info.asyncio_detailed("vasa-1", client=sms), "NotAuthenticated"
    )


@both_transports
async def test_sms_shares_vim25_sessions(
    anon: Client,
    vim: AuthenticatedClient,
    sms_for: Callable[[AuthenticatedClient], SmsClient],
    target: Target,
    vim25_base: str,
    clients: list[Any],
) -> None:
    sms = sms_for(vim)
    assert (await query_provider_info.asyncio_detailed("vasa-1", client=sms)).status_code == 200
    nobody = SmsClient(
        base_url=vim25_base + "/sms",
        token="f" * 40,
        prefix="",
        auth_header_name=SESSION_HEADER,
        **target.client_kwargs(),
    )
    clients.append(nobody)
    for call in (
        vasa_provider_reconnect_task.asyncio_detailed("vasa-1", client=nobody),
        query_provider_info.asyncio_detailed("vasa-1", client=nobody),
        query_sms_task_info.asyncio_detailed("SmsTask-1", client=nobody),
    ):
        assert_fault(await call, "NotAuthenticated")


@both_transports
@pytest.mark.parametrize(
    ("user", "operation", "privilege"),
    [
        ("no-host-config@vsphere.local", "ReconnectHost_Task", "Host.Config.Connection"),
        ("no-host-config@vsphere.local", "ReconfigureHostForDAS_Task", "Host.Config.Connection"),
        ("no-host-config@vsphere.local", "DisconnectHost_Task", "Host.Config.Connection"),
        ("readonly@vsphere.local", "ReconnectHost_Task", "Host.Config.Connection"),
        ("readonly@vsphere.local", "ReconfigureHostForDAS_Task", "Host.Config.Connection"),
        ("readonly@vsphere.local", "DisconnectHost_Task", "Host.Config.Connection"),
    ],
)
async def test_missing_privilege(
    login_as: LoginFn, user: str, operation: str, privilege: str
) -> None:
    client = await login_as(user)
    fault = assert_fault(await VIM_CALLS[operation](client), "NoPermission")
    assert fault["privilegeId"] == privilege
    # Reads need only System.Read, which every default user holds.
    assert (await VIM_CALLS["GetHostSystemRuntime"](client)).status_code == 200


async def test_system_read_is_required_for_reads(default_scenario: Scenario) -> None:
    scenario = dataclasses.replace(default_scenario)
    scenario.users = (*scenario.users, UserSpec(name="nobody@vsphere.local", role="none"))
    other = create_app(scenario, validate_responses=True)
    anon = Client(base_url=BASE, httpx_args=httpx_args(other))
    resp = await login.asyncio_detailed(
        "SessionManager",
        client=anon,
        body=LoginRequestType(user_name="nobody@vsphere.local", password=PASSWORD),
    )
    client = AuthenticatedClient(
        base_url=BASE,
        token=resp.headers[SESSION_HEADER],
        prefix="",
        auth_header_name=SESSION_HEADER,
        httpx_args=httpx_args(other),
    )
    fault = assert_fault(await VIM_CALLS["GetHostSystemRuntime"](client), "NoPermission")
    assert fault["privilegeId"] == "System.Read"
    fault = assert_fault(await VIM_CALLS["GetTaskInfo"](client), "ManagedObjectNotFound")


def test_responses_were_checked_against_the_spec() -> None:
    # Guards the wiring of the response hook: earlier tests must have gone through it.
    assert CHECKER.checked > 0


# The same operations on objects that do not exist.
UNKNOWN_CALLS: dict[str, VimCall] = {
    "ReconnectHost_Task": lambda c: reconnect_host_task.asyncio_detailed(
        "host-404", client=c, body=ReconnectHostRequestType()
    ),
    "ReconfigureHostForDAS_Task": lambda c: reconfigure_host_for_das_task.asyncio_detailed(
        "host-404", client=c
    ),
    "DisconnectHost_Task": lambda c: disconnect_host_task.asyncio_detailed("host-404", client=c),
    "GetHostSystemRuntime": lambda c: get_host_system_runtime.asyncio_detailed(
        "host-404", client=c
    ),
    "GetTaskInfo": lambda c: get_task_info.asyncio_detailed("task-404", client=c),
    "CancelTask": lambda c: cancel_task.asyncio_detailed("task-404", client=c),
    "Logout": lambda c: logout.asyncio_detailed("NoSessionManager", client=c),
}


@pytest.mark.parametrize("operation", sorted(UNKNOWN_CALLS))
async def test_unknown_object_is_managed_object_not_found(
    vim: AuthenticatedClient, operation: str
) -> None:
    fault = assert_fault(await UNKNOWN_CALLS[operation](vim), "ManagedObjectNotFound")
    assert fault["obj"]["value"].endswith("404") or fault["obj"]["value"] == "NoSessionManager"
