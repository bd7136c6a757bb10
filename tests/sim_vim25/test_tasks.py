"""Task lifecycle: queued -> running (progress rising) -> success/error; CancelTask; Disconnect."""

from __future__ import annotations

import httpx
import pytest

from vreconnect_generated.clients.vim25 import AuthenticatedClient
from vreconnect_generated.clients.vim25.api.host_system import (
    disconnect_host_task,
    get_host_system_runtime,
    reconfigure_host_for_das_task,
)
from vreconnect_generated.clients.vim25.api.task import cancel_task, get_task_info
from vreconnect_generated.clients.vim25.models import HostRuntimeInfo
from vreconnect_sim.clock import FakeClock

from .conftest import LoginFn
from .helpers import assert_fault, reconnect, run_task, task_fault, task_info


@pytest.fixture
async def slow_tasks(control: httpx.AsyncClient) -> None:
    """2 s queued, then 10 s running for every operation."""
    resp = await control.put("/settings/tasks", json={"default": 10, "queue_seconds": 2})
    assert resp.status_code == 200


async def connection(client: AuthenticatedClient, moid: str) -> str:
    """``runtime.connectionState``."""
    resp = await get_host_system_runtime.asyncio_detailed(moid, client=client)
    assert isinstance(resp.parsed, HostRuntimeInfo)
    return str(resp.parsed.connection_state)


@pytest.mark.usefixtures("slow_tasks")
async def test_progress_rises_then_success(vim: AuthenticatedClient, clock: FakeClock) -> None:
    resp = await reconnect(vim, "host-102")
    task_id = resp.parsed.value
    info = await task_info(vim, task_id)
    assert info["state"] == "queued"
    assert "startTime" not in info and "progress" not in info
    clock.advance(2)
    seen = []
    for _ in range(4):
        info = await task_info(vim, task_id)
        assert info["state"] == "running"
        assert "startTime" in info and "completeTime" not in info
        seen.append(info["progress"])
        assert await connection(vim, "host-102") == "disconnected"
        clock.advance(2.5)
    assert seen == sorted(seen) and seen[0] < seen[-1], seen
    assert seen == [0, 25, 50, 75]
    clock.advance(0.1)
    info = await task_info(vim, task_id)
    assert info["state"] == "success"
    assert info["completeTime"] == "2025-01-01T00:00:12.000Z"
    assert await connection(vim, "host-102") == "connected"


@pytest.mark.usefixtures("slow_tasks")
async def test_error_arrives_at_the_end(vim: AuthenticatedClient, clock: FakeClock) -> None:
    task_id = (await reconnect(vim, "host-104")).parsed.value
    clock.advance(7)
    info = await task_info(vim, task_id)
    assert info["state"] == "running" and "error" not in info
    clock.advance(5)
    task_fault(await task_info(vim, task_id), "NoHost")


@pytest.mark.usefixtures("slow_tasks")
async def test_cancel_running_reconnect(vim: AuthenticatedClient, clock: FakeClock) -> None:
    task_id = (await reconnect(vim, "host-102")).parsed.value
    clock.advance(5)
    resp = await cancel_task.asyncio_detailed(task_id, client=vim)
    assert resp.status_code == 204
    info = await task_info(vim, task_id)
    assert info["state"] == "error"
    assert info["cancelled"] is True
    assert info["error"]["_typeName"] == "RequestCanceled"
    clock.advance(60)
    assert await connection(vim, "host-102") == "disconnected"  # the reconnect never happened
    # A finished task cannot be cancelled.
    assert_fault(await cancel_task.asyncio_detailed(task_id, client=vim), "InvalidState")


@pytest.mark.usefixtures("slow_tasks")
async def test_cancel_queued_reconnect(vim: AuthenticatedClient, clock: FakeClock) -> None:
    task_id = (await reconnect(vim, "host-102")).parsed.value
    assert (await cancel_task.asyncio_detailed(task_id, client=vim)).status_code == 204
    info = await task_info(vim, task_id)
    assert info["state"] == "error" and info["cancelled"] is True


@pytest.mark.usefixtures("slow_tasks")
async def test_cancel_not_cancelable(vim: AuthenticatedClient, clock: FakeClock) -> None:
    das = (
        await reconfigure_host_for_das_task.asyncio_detailed("host-203", client=vim)
    ).parsed.value
    disconnect = (await disconnect_host_task.asyncio_detailed("host-101", client=vim)).parsed.value
    clock.advance(3)
    for task_id in (das, disconnect):
        info = await task_info(vim, task_id)
        assert info["cancelable"] is False and info["state"] == "running"
        assert_fault(await cancel_task.asyncio_detailed(task_id, client=vim), "NotSupported")


async def test_cancel_finished_and_unknown(vim: AuthenticatedClient) -> None:
    info = await run_task(vim, await reconnect(vim, "host-102"))
    assert_fault(await cancel_task.asyncio_detailed(info["key"], client=vim), "InvalidState")
    assert_fault(
        await cancel_task.asyncio_detailed("task-999", client=vim), "ManagedObjectNotFound"
    )
    assert_fault(
        await get_task_info.asyncio_detailed("task-999", client=vim), "ManagedObjectNotFound"
    )


@pytest.mark.usefixtures("slow_tasks")
async def test_cancel_needs_the_operation_privilege(
    vim: AuthenticatedClient, login_as: LoginFn
) -> None:
    task_id = (await reconnect(vim, "host-102")).parsed.value
    other = await login_as("no-host-config@vsphere.local")
    fault = assert_fault(await cancel_task.asyncio_detailed(task_id, client=other), "NoPermission")
    assert fault["privilegeId"] == "Host.Config.Connection"
    # Reading the task only needs System.Read.
    assert (await task_info(other, task_id))["state"] == "queued"


async def test_disconnect_then_reconnect(vim: AuthenticatedClient) -> None:
    info = await run_task(vim, await disconnect_host_task.asyncio_detailed("host-101", client=vim))
    assert info["state"] == "success" and info["descriptionId"] == "HostSystem.disconnect"
    assert await connection(vim, "host-101") == "disconnected"
    assert (await run_task(vim, await reconnect(vim, "host-101")))["state"] == "success"
    assert await connection(vim, "host-101") == "connected"


async def test_task_ids_are_sequential(vim: AuthenticatedClient) -> None:
    first = (await reconnect(vim, "host-102")).parsed.value
    second = (await reconnect(vim, "host-104")).parsed.value
    assert (first, second) == ("task-1", "task-2")
    info = await task_info(vim, second)
    assert info["eventChainId"] > 0 and info["queueTime"] == "2025-01-01T00:00:00.000Z"
