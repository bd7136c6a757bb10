"""ReconfigureHostForDAS_Task: NotSupported outside HA, DasConfigFault, success, privileges."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from vreconnect_generated.clients.vim25 import AuthenticatedClient
from vreconnect_generated.clients.vim25.api.host_system import (
    get_host_system_runtime,
    reconfigure_host_for_das_task,
)
from vreconnect_generated.clients.vim25.models import DasConfigFault, HostRuntimeInfo, NotSupported
from vreconnect_sim.vim25.section import DAS_FAULT_REASONS

from ..sim_core.targets import both_transports
from .helpers import assert_fault, reconnect, run_task, task_fault

pytestmark = both_transports  # in-process and over a real TLS socket


async def reconfigure(client: AuthenticatedClient, moid: str) -> Any:
    """Call ReconfigureHostForDAS_Task through the generated client."""
    return await reconfigure_host_for_das_task.asyncio_detailed(moid, client=client)


async def das_state(client: AuthenticatedClient, moid: str) -> str | None:
    """``runtime.dasHostState.state`` (None when absent)."""
    resp = await get_host_system_runtime.asyncio_detailed(moid, client=client)
    assert isinstance(resp.parsed, HostRuntimeInfo)
    state = resp.parsed.das_host_state
    return None if not state else str(state.state)


@pytest.mark.parametrize("moid", ["host-102", "host-110"])
async def test_outside_an_ha_cluster_is_not_supported(vim: AuthenticatedClient, moid: str) -> None:
    # host-102: cluster without HA; host-110: standalone ComputeResource.
    resp = await reconfigure(vim, moid)
    assert isinstance(resp.parsed, NotSupported)
    assert_fault(resp, "NotSupported")


async def test_misconfigured_host_fails_with_das_config_fault(vim: AuthenticatedClient) -> None:
    assert await das_state(vim, "host-201") == "initializationError"
    info = await run_task(vim, await reconfigure(vim, "host-201"))
    fault = task_fault(info, "DasConfigFault")
    assert fault["reason"] == "HostNetworkMisconfiguration"
    assert fault["reason"] in DAS_FAULT_REASONS
    assert fault["output"] == "fdm-installer: no management network with a default gateway"
    (event,) = fault["event"]
    assert event["_typeName"] == "HostDasErrorEvent"
    assert event["host"]["host"]["value"] == "host-201"
    assert event["computeResource"]["computeResource"]["value"] == "domain-c8"
    assert event["datacenter"]["name"] == "dc-east"
    assert event["chainId"] == info["eventChainId"]
    assert DasConfigFault.from_dict(fault).reason == "HostNetworkMisconfiguration"


async def test_other_reason_and_several_events(vim: AuthenticatedClient) -> None:
    fault = task_fault(await run_task(vim, await reconfigure(vim, "host-202")), "DasConfigFault")
    assert fault["reason"] == "NoDatastoresConfigured"
    assert len(fault["event"]) == 2
    assert fault["event"][0]["key"] != fault["event"][1]["key"]


async def test_success_reconfigures_ha(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    info = await run_task(vim, await reconfigure(vim, "host-203"))
    assert info["state"] == "success"
    assert info["descriptionId"] == "HostSystem.reconfigureDAS"
    assert await das_state(vim, "host-203") == "master"
    # Fixing the misconfiguration makes the next reconfigure succeed.
    resp = await control.patch("/objects/vim25/host-201", json={"das_misconfig": None})
    assert resp.status_code == 200
    info = await run_task(vim, await reconfigure(vim, "host-201"))
    assert info["state"] == "success"
    assert await das_state(vim, "host-201") == "connectedToMaster"


async def test_disconnected_ha_host(vim: AuthenticatedClient) -> None:
    fault = task_fault(await run_task(vim, await reconfigure(vim, "host-204")), "DasConfigFault")
    assert fault["reason"] == "Other"
    assert await das_state(vim, "host-204") is None
    assert (await run_task(vim, await reconnect(vim, "host-204")))["state"] == "success"
    assert await das_state(vim, "host-204") == "connectedToMaster"
    assert (await run_task(vim, await reconfigure(vim, "host-204")))["state"] == "success"


async def test_ha_disabled_on_the_cluster(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    assert (
        await control.patch("/objects/vim25/domain-c8", json={"ha_enabled": False})
    ).status_code == 200
    assert_fault(await reconfigure(vim, "host-203"), "NotSupported")
    assert await das_state(vim, "host-203") is None
