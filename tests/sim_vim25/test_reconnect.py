"""ReconnectHost_Task: every outcome of docs/design.md, through the generated vim25 client."""

from __future__ import annotations

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from vreconnect_generated.clients.vim25 import AuthenticatedClient
from vreconnect_generated.clients.vim25.api.host_system import get_host_system_runtime
from vreconnect_generated.clients.vim25.models import (
    AlreadyBeingManaged,
    HostRuntimeInfo,
    InvalidName,
    InvalidState,
    ManagedObjectReference,
    NoPermission,
    NotSupported,
)
from vreconnect_sim.tls import format_thumbprint

from ..sim_core.targets import both_transports
from .conftest import LoginFn
from .helpers import assert_fault, connect_spec, reconnect, run_task, task_fault

pytestmark = both_transports  # in-process and over a real TLS socket


async def runtime(client: AuthenticatedClient, moid: str) -> HostRuntimeInfo:
    """The host's runtime through the generated client."""
    resp = await get_host_system_runtime.asyncio_detailed(moid, client=client)
    assert resp.status_code == 200, resp.content
    assert isinstance(resp.parsed, HostRuntimeInfo)
    return resp.parsed


async def host_state(control: httpx.AsyncClient, moid: str) -> dict[str, object]:
    """The control API's view of a host."""
    resp = await control.get(f"/objects/vim25/{moid}")
    assert resp.status_code == 200
    view: dict[str, object] = resp.json()
    return view


# -- successes ------------------------------------------------------------------------------


async def test_disconnected_host_reconnects(vim: AuthenticatedClient) -> None:
    assert (await runtime(vim, "host-102")).connection_state == "disconnected"
    info = await run_task(vim, await reconnect(vim, "host-102"))
    assert info["state"] == "success"
    assert info["name"] == "ReconnectHost_Task"
    assert info["descriptionId"] == "HostSystem.reconnect"
    assert info["entity"] == {
        "_typeName": "ManagedObjectReference",
        "type": "HostSystem",
        "value": "host-102",
    }
    assert info["reason"]["userName"] == "VSPHERE.LOCAL\\administrator"
    assert (await runtime(vim, "host-102")).connection_state == "connected"


async def test_new_host_name_moves_the_host(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    # host-111: vCenter knows 192.0.2.11, the host now answers at 192.0.2.111.
    info = await run_task(vim, await reconnect(vim, "host-111"))
    task_fault(info, "NoHost")
    assert info["error"]["name"] == "192.0.2.11"
    info = await run_task(
        vim, await reconnect(vim, "host-111", connect_spec(host_name="192.0.2.111", port=443))
    )
    assert info["state"] == "success"
    view = await host_state(control, "host-111")
    assert view["host_name"] == "192.0.2.111"
    assert view["id"] == "host-111"  # same managed object, new address
    assert (await runtime(vim, "host-111")).connection_state == "connected"


async def test_move_to_an_alias_and_unknown_address(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    info = await run_task(
        vim, await reconnect(vim, "host-102", connect_spec(host_name="esx-nowhere.example.com"))
    )
    assert task_fault(info, "NoHost")["name"] == "esx-nowhere.example.com"
    info = await run_task(vim, await reconnect(vim, "host-102", connect_spec(port=8443)))
    task_fault(info, "NoHost")
    info = await run_task(
        vim, await reconnect(vim, "host-102", connect_spec(host_name="192.0.2.12"))
    )
    assert info["state"] == "success"
    assert (await host_state(control, "host-102"))["host_name"] == "192.0.2.12"


async def test_ssl_thumbprint_retry_succeeds(vim: AuthenticatedClient) -> None:
    info = await run_task(vim, await reconnect(vim, "host-106"))
    fault = task_fault(info, "SSLVerifyFault")
    assert fault["selfSigned"] is True
    thumbprint = fault["thumbprint"]
    # The PEM in the fault is the certificate whose SHA-1 thumbprint is reported.
    cert = x509.load_pem_x509_certificate(fault["certificate"].encode())
    assert format_thumbprint(cert.fingerprint(hashes.SHA1())) == thumbprint
    wrong = ":".join(["AB"] * 20)
    info = await run_task(vim, await reconnect(vim, "host-106", connect_spec(ssl_thumbprint=wrong)))
    assert task_fault(info, "SSLVerifyFault")["thumbprint"] == thumbprint
    # Lower case without colons is the same thumbprint.
    info = await run_task(
        vim, await reconnect(vim, "host-106", connect_spec(ssl_thumbprint=thumbprint.lower()))
    )
    assert info["state"] == "success"


async def test_thumbprint_change_on_connected_host(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    # The page: the method can change the SSL thumbprint of a connected host.
    patched = await control.patch(
        "/objects/vim25/host-101", json={"ca_trusted": False, "certificate_generation": 3}
    )
    assert patched.status_code == 200
    thumbprint = patched.json()["thumbprint"]
    info = await run_task(
        vim, await reconnect(vim, "host-101", connect_spec(ssl_thumbprint=thumbprint))
    )
    assert info["state"] == "success"
    view = await host_state(control, "host-101")
    assert view["accepted_thumbprint"] == thumbprint
    assert view["connection_state"] == "connected"
    # Moving a connected host is not "only a thumbprint change": InvalidState.
    resp = await reconnect(
        vim, "host-101", connect_spec(ssl_thumbprint=thumbprint, host_name="192.0.2.99")
    )
    assert_fault(resp, "InvalidState")


async def test_force_overrides_already_being_managed(
    vim: AuthenticatedClient, control: httpx.AsyncClient
) -> None:
    info = await run_task(vim, await reconnect(vim, "host-107"))
    fault = task_fault(info, "AlreadyBeingManaged")
    assert fault["ipAddress"] == "198.51.100.7"
    info = await run_task(vim, await reconnect(vim, "host-107", connect_spec(force=True)))
    assert info["state"] == "success"
    assert (await host_state(control, "host-107"))["managed_by"] is None


async def test_sync_state_is_recorded(vim: AuthenticatedClient, control: httpx.AsyncClient) -> None:
    assert (await host_state(control, "host-102"))["last_reconnect_sync_state"] is None
    await run_task(vim, await reconnect(vim, "host-102", sync_state=True))
    view = await host_state(control, "host-102")
    assert view["last_reconnect_sync_state"] is True
    assert view["last_state_sync_time"] == "2025-01-01T00:00:00.000Z"
    assert view["reconnect_count"] == 1
    await control.patch("/objects/vim25/host-102", json={"connection_state": "disconnected"})
    await run_task(vim, await reconnect(vim, "host-102", sync_state=False))
    view = await host_state(control, "host-102")
    assert view["last_reconnect_sync_state"] is False
    assert view["reconnect_count"] == 2


async def test_credentials(vim: AuthenticatedClient, control: httpx.AsyncClient) -> None:
    # host-105: vCenter's stored credentials no longer work.
    task_fault(await run_task(vim, await reconnect(vim, "host-105")), "InvalidLogin")
    bad = connect_spec(user_name="root", password="wrong")
    task_fault(await run_task(vim, await reconnect(vim, "host-105", bad)), "InvalidLogin")
    good = connect_spec(user_name="root", password="Rotated-Pa55!")
    info = await run_task(vim, await reconnect(vim, "host-105", good))
    assert info["state"] == "success"
    assert (await host_state(control, "host-105"))["stored_credentials_valid"] is True
    # Wrong explicit credentials fail even on a host whose stored credentials are fine.
    wrong = connect_spec(user_name="root", password="nope")
    task_fault(await run_task(vim, await reconnect(vim, "host-112", wrong)), "InvalidLogin")


# -- failures found while working: the task's error -----------------------------------------


@pytest.mark.parametrize(
    ("moid", "fault_name", "fields"),
    [
        ("host-104", "NoHost", {"name": "esx-unreachable.example.com"}),
        ("host-105", "InvalidLogin", {}),
        ("host-107", "AlreadyBeingManaged", {"ipAddress": "198.51.100.7"}),
        ("host-108", "NotSupportedHost", {"productName": "VMware ESXi", "productVersion": "5.5.0"}),
        ("host-109", "NotEnoughLicenses", {}),
        ("host-112", "HostConnectFault", {}),
    ],
)
async def test_task_faults(
    vim: AuthenticatedClient, moid: str, fault_name: str, fields: dict[str, str]
) -> None:
    resp = await reconnect(vim, moid)
    assert resp.status_code == 200  # the call itself succeeds: the failure lands in the task
    info = await run_task(vim, resp)
    fault = task_fault(info, fault_name)
    for key, value in fields.items():
        assert fault[key] == value
    assert (await runtime(vim, moid)).connection_state == "disconnected"


# -- precondition failures: the call itself -------------------------------------------------


async def test_not_disconnected_is_invalid_state(vim: AuthenticatedClient) -> None:
    for moid in ("host-101", "host-103"):
        resp = await reconnect(vim, moid)
        assert isinstance(resp.parsed, InvalidState)
        assert_fault(resp, "InvalidState")


async def test_standalone_is_not_supported(vim: AuthenticatedClient) -> None:
    resp = await reconnect(vim, "host-110")
    assert isinstance(resp.parsed, NotSupported)
    assert_fault(resp, "NotSupported")


@pytest.mark.parametrize(
    "name", ["bad_name!.example.com", "-esx.example.com", "a..b", "300.1.1.1", "x" * 64]
)
async def test_invalid_name(vim: AuthenticatedClient, name: str) -> None:
    resp = await reconnect(vim, "host-102", connect_spec(host_name=name))
    assert isinstance(resp.parsed, InvalidName)
    fault = assert_fault(resp, "InvalidName")
    assert fault["name"] == name
    assert fault["entity"]["value"] == "host-102"


async def test_unknown_host_is_managed_object_not_found(vim: AuthenticatedClient) -> None:
    fault = assert_fault(await reconnect(vim, "host-999"), "ManagedObjectNotFound")
    assert fault["obj"] == {
        "_typeName": "ManagedObjectReference",
        "type": "HostSystem",
        "value": "host-999",
    }


async def test_unknown_vm_folder(vim: AuthenticatedClient) -> None:
    folder = ManagedObjectReference(type_="Folder", value="group-v999")
    fault = assert_fault(
        await reconnect(vim, "host-102", connect_spec(vm_folder=folder)), "ManagedObjectNotFound"
    )
    assert fault["obj"]["value"] == "group-v999"
    ok = ManagedObjectReference(type_="Folder", value="group-v4")
    info = await run_task(vim, await reconnect(vim, "host-102", connect_spec(vm_folder=ok)))
    assert info["state"] == "success"


@pytest.mark.parametrize("user", ["no-host-config@vsphere.local", "readonly@vsphere.local"])
async def test_no_permission(login_as: LoginFn, user: str) -> None:
    client = await login_as(user)
    resp = await reconnect(client, "host-102")
    assert isinstance(resp.parsed, NoPermission)
    fault = assert_fault(resp, "NoPermission")
    assert fault["privilegeId"] == "Host.Config.Connection"
    assert fault["object"]["value"] == "host-102"


async def test_already_managed_parses_in_generated_model(vim: AuthenticatedClient) -> None:
    resp = await reconnect(vim, "host-107")
    info = await run_task(vim, resp)
    assert AlreadyBeingManaged.from_dict(info["error"]).ip_address == "198.51.100.7"
