"""VasaProviderReconnect_Task, QuerySmsTaskInfo and QueryProviderInfo via the generated sms client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography import x509

from vreconnect_generated.clients.sms import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.sms.api.sms_task import query_sms_task_info
from vreconnect_generated.clients.sms.api.vasa_provider import (
    query_provider_info,
    vasa_provider_reconnect_task,
)
from vreconnect_generated.clients.sms.models import (
    InvalidCertificate,
    MoRefSmsTask,
    NoPermission,
    SmsTaskInfo,
    VasaProviderInfo,
)
from vreconnect_generated.clients.vim25 import AuthenticatedClient
from vreconnect_generated.clients.vim25.api.task import get_task_info
from vreconnect_sim.clock import FakeClock

from ..sim_core.targets import both_transports
from .conftest import LoginFn
from .helpers import assert_fault, body_of

pytestmark = both_transports  # in-process and over a real TLS socket

SmsFor = Callable[[AuthenticatedClient], SmsClient]


@pytest.fixture
def sms(vim: AuthenticatedClient, sms_for: SmsFor) -> SmsClient:
    """A generated sms client on the administrator's vim25 session."""
    return sms_for(vim)


async def reconnect(sms: SmsClient, moid: str) -> str:
    """Start VasaProviderReconnect_Task; return the SmsTask id."""
    resp = await vasa_provider_reconnect_task.asyncio_detailed(moid, client=sms)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, MoRefSmsTask)
    assert resp.parsed.type_ == "SmsTask"
    return resp.parsed.value


async def task(sms: SmsClient, task_id: str) -> dict[str, Any]:
    """SmsTaskInfo as JSON."""
    resp = await query_sms_task_info.asyncio_detailed(task_id, client=sms)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, SmsTaskInfo)
    info: dict[str, Any] = body_of(resp)
    return info


async def provider(sms: SmsClient, moid: str) -> VasaProviderInfo:
    """VasaProviderInfo."""
    resp = await query_provider_info.asyncio_detailed(moid, client=sms)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, VasaProviderInfo)
    return resp.parsed


async def test_online_provider_is_a_no_op(sms: SmsClient) -> None:
    task_id = await reconnect(sms, "vasa-1")
    assert task_id == "SmsTask-1"
    info = await task(sms, task_id)
    assert info["state"] == "success"
    assert info["object"]["value"] == "vasa-1"
    assert (await provider(sms, "vasa-1")).status == "online"


async def test_disconnected_provider_reconnects(sms: SmsClient) -> None:
    assert (await provider(sms, "vasa-2")).status == "disconnected"
    info = await task(sms, await reconnect(sms, "vasa-2"))
    assert info["state"] == "success"
    assert (await provider(sms, "vasa-2")).status == "online"


async def test_expired_certificate(sms: SmsClient) -> None:
    info_before = await provider(sms, "vasa-3")
    assert info_before.certificate_expiry_date < dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    info = await task(sms, await reconnect(sms, "vasa-3"))
    assert info["state"] == "error"
    fault = info["error"]
    assert fault["_typeName"] == "InvalidCertificate"
    cert = x509.load_pem_x509_certificate(fault["certificate"].encode())
    assert cert.not_valid_after_utc == info_before.certificate_expiry_date
    assert InvalidCertificate.from_dict(fault).certificate == fault["certificate"]
    after = await provider(sms, "vasa-3")
    assert after.status == "disconnected"
    assert after.status_fault.field_type_name == "InvalidCertificate"


async def test_unreachable_provider(sms: SmsClient) -> None:
    info = await task(sms, await reconnect(sms, "vasa-4"))
    assert info["state"] == "error"
    assert info["error"]["_typeName"] == "ProviderConnectionFailed"
    assert info["error"]["faultMessage"][0]["key"] == "sms.fault.ProviderConnectionFailed"


async def test_certificate_expires_with_the_clock(
    login_as: LoginFn, sms_for: SmsFor, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    await control.patch("/objects/sms/vasa-2", json={"certificate_expires_in_days": 1})
    clock.advance(2 * 86400)
    sms = sms_for(await login_as())  # the earlier sessions expired meanwhile
    info = await task(sms, await reconnect(sms, "vasa-2"))
    assert info["error"]["_typeName"] == "InvalidCertificate"
    # A renewed certificate fixes it.
    await control.patch("/objects/sms/vasa-2", json={"certificate_expires_in_days": 365})
    assert (await task(sms, await reconnect(sms, "vasa-2")))["state"] == "success"


async def test_no_permission(login_as: LoginFn, sms_for: SmsFor) -> None:
    for user in ("no-storage-views@vsphere.local", "readonly@vsphere.local"):
        client = sms_for(await login_as(user))
        resp = await vasa_provider_reconnect_task.asyncio_detailed("vasa-2", client=client)
        assert isinstance(resp.parsed, NoPermission)
        fault = assert_fault(resp, "NoPermission")
        assert fault["privilegeId"] == "StorageViews.ConfigureService"
        assert fault["object"]["value"] == "vasa-2"
        # Reads declare no privilege.
        assert (await provider(client, "vasa-2")).status == "disconnected"
    # no-host-config lacks a vim25 privilege only: the sms reconnect works.
    client = sms_for(await login_as("no-host-config@vsphere.local"))
    assert (await task(client, await reconnect(client, "vasa-2")))["state"] == "success"


async def test_unknown_objects(sms: SmsClient) -> None:
    for resp in (
        await vasa_provider_reconnect_task.asyncio_detailed("vasa-9", client=sms),
        await query_provider_info.asyncio_detailed("vasa-9", client=sms),
        await query_sms_task_info.asyncio_detailed("SmsTask-9", client=sms),
    ):
        assert_fault(resp, "ManagedObjectNotFound")


async def test_sms_and_vim25_tasks_are_separate(sms: SmsClient, vim: AuthenticatedClient) -> None:
    task_id = await reconnect(sms, "vasa-2")
    assert_fault(await get_task_info.asyncio_detailed(task_id, client=vim), "ManagedObjectNotFound")


async def test_sms_task_progress(
    sms: SmsClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    await control.put("/settings/tasks", json={"durations": {"VasaProviderReconnect_Task": 4}})
    task_id = await reconnect(sms, "vasa-2")
    progress = []
    for _ in range(3):
        info = await task(sms, task_id)
        assert info["state"] == "running" and "completionTime" not in info
        progress.append(info["progress"])
        clock.advance(1.5)
    assert progress == [0, 37, 75]
    clock.advance(1)
    info = await task(sms, task_id)
    assert info["state"] == "success" and info["completionTime"]
