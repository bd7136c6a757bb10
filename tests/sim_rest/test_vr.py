"""The vr surface (/api/rest/vr/v2, page 004) through the generated vr client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from vreconnect_generated.clients.vr import AuthenticatedClient
from vreconnect_generated.clients.vr.api.pairings import (
    get_pairing,
    get_pairings,
    reconnect_pairing,
)
from vreconnect_generated.clients.vr.api.session import login, logout
from vreconnect_generated.clients.vr.api.tasks import get_task
from vreconnect_generated.clients.vr.models import (
    Pairing,
    PairingDrResponseList,
    PairingSpec,
    ResponseError,
    TaskDrResponseEntity,
)
from vreconnect_generated.clients.vr.types import Response
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.injection import FaultRule
from vreconnect_sim.state import SimulatorState
from vreconnect_sim.tasks import TaskSettings
from vreconnect_sim.tls import generate_self_signed

from ..sim_core.targets import both_transports
from .support import (
    ADMIN,
    PAIRING_BROKEN,
    PAIRING_CONNECTED,
    PAIRING_ROTATED,
    PAIRING_UNREACHABLE,
    PASSWORD,
    REMOTE_VC,
    basic,
    pairing_body,
)

pytestmark = both_transports  # in-process and over a real TLS socket

Login = Callable[..., Awaitable[AuthenticatedClient]]
MakeClient = Callable[..., AuthenticatedClient]
STATUSES = ("local_vc_server", "remote_vc_server", "local_vrms", "remote_vrms")


async def reconnect(
    client: AuthenticatedClient, pairing_id: str, body: dict[str, Any]
) -> Response[Any]:
    """Call reconnect with a body given as JSON (built into the generated model)."""
    return await reconnect_pairing.asyncio_detailed(
        pairing_id, client=client, body=PairingSpec.from_dict(body)
    )


async def task(client: AuthenticatedClient, task_id: str) -> dict[str, Any]:
    """The task entity as JSON."""
    response = await get_task.asyncio_detailed(task_id, client=client)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, TaskDrResponseEntity)
    value: dict[str, Any] = response.parsed.to_dict()
    return value


async def pairing(client: AuthenticatedClient, pairing_id: str) -> dict[str, Any]:
    """The pairing as JSON."""
    response = await get_pairing.asyncio_detailed(pairing_id, client=client)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, Pairing)
    value: dict[str, Any] = response.parsed.to_dict()
    return value


def statuses(info: dict[str, Any]) -> dict[str, str]:
    """server_status of the four servers of a pairing."""
    return {key: info[key]["server_status"] for key in STATUSES}


def response_error(response: Response[Any]) -> ResponseError:
    """The parsed ResponseError; its op_id is a UUID."""
    assert isinstance(response.parsed, ResponseError), response.content
    uuid.UUID(str(response.parsed.op_id))
    return response.parsed


# -- sessions -----------------------------------------------------------------------------------


async def test_login_logout_and_401_without_body(vr_client: MakeClient, vr_login: Login) -> None:
    bad = await login.asyncio_detailed(
        client=vr_client(basic(ADMIN, "wrong"), prefix="Basic", header="Authorization")
    )
    assert bad.status_code == 401 and bad.content == b""
    none = await login.asyncio_detailed(client=vr_client("", prefix="", header="Authorization"))
    assert none.status_code == 401 and none.content == b""

    client = await vr_login()
    uuid.UUID(client.token)
    assert (await get_pairings.asyncio_detailed(client=client)).status_code == 200
    out = await logout.asyncio_detailed(client=client)
    assert out.status_code == 204 and out.content == b""
    after = await get_pairings.asyncio_detailed(client=client)
    assert after.status_code == 401 and after.content == b""
    assert (await logout.asyncio_detailed(client=client)).status_code == 401


async def test_idle_session_expires(vr_login: Login, clock: FakeClock, sim: SimulatorState) -> None:
    client = await vr_login()
    clock.advance(sim.settings.session_idle_timeout + 1)
    expired = await get_pairing.asyncio_detailed(PAIRING_BROKEN, client=client)
    assert expired.status_code == 401 and expired.content == b""


async def test_every_operation_needs_a_session(vr_client: MakeClient) -> None:
    for client in (vr_client(""), vr_client(str(uuid.uuid4()))):
        calls = [
            await get_pairings.asyncio_detailed(client=client),
            await get_pairing.asyncio_detailed(PAIRING_BROKEN, client=client),
            await reconnect(client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN)),
            await get_task.asyncio_detailed("x", client=client),
            await logout.asyncio_detailed(client=client),
        ]
        for response in calls:
            assert response.status_code == 401 and response.content == b""


async def test_sessions_belong_to_the_surface_that_created_them(
    vr_login: Login, vr_client: MakeClient, vc_login: Callable[..., Awaitable[Any]]
) -> None:
    vc_session = await vc_login()
    foreign = await get_pairings.asyncio_detailed(client=vr_client(vc_session.token))
    assert foreign.status_code == 401
    vr_session = await vr_login()
    http = vc_session.get_async_httpx_client()
    other_way = await http.post(
        "/vcenter/vcha/cluster?action=get", headers={"vmware-api-session-id": vr_session.token}
    )
    assert other_way.status_code == 401


# -- reads --------------------------------------------------------------------------------------


async def test_pairings_connected_and_broken(vr_login: Login) -> None:
    client = await vr_login("readonly@vsphere.local")  # reads need only a session
    listed = await get_pairings.asyncio_detailed(client=client)
    assert listed.status_code == 200
    assert isinstance(listed.parsed, PairingDrResponseList)
    body = listed.parsed.to_dict()
    assert body["_meta"]["total_count"] == 4
    by_id = {p["pairing_id"]: p for p in body["list"]}
    assert set(statuses(by_id[PAIRING_CONNECTED]).values()) == {"OK"}
    broken = statuses(by_id[PAIRING_BROKEN])
    assert broken["remote_vrms"] == "ERROR" and broken["remote_vc_server"] in ("WARNING", "ERROR")
    assert by_id[PAIRING_BROKEN]["remote_vc_server"]["id"] == REMOTE_VC[PAIRING_BROKEN]

    one = await pairing(client, PAIRING_BROKEN)
    assert one == by_id[PAIRING_BROKEN]
    missing = await get_pairing.asyncio_detailed("no-such-pairing", client=client)
    assert missing.status_code == 404 and missing.content == b""


# -- reconnect ----------------------------------------------------------------------------------


async def test_reconnect_restores_the_broken_pairing(vr_login: Login) -> None:
    client = await vr_login()
    response = await reconnect(client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN))
    assert response.status_code == 202, response.content
    assert isinstance(response.parsed, TaskDrResponseEntity)
    started = response.parsed.to_dict()
    uuid.UUID(started["id"])
    assert started["entity"] == PAIRING_BROKEN
    assert started["entity_name"] == "vc-a.example.com - vc-b.example.com"

    done = await task(client, started["id"])
    assert done["status"] == "SUCCESS" and done["progress"] == 100
    assert done["result"] == {} and "error" not in done
    assert set(statuses(await pairing(client, PAIRING_BROKEN)).values()) == {"OK"}


async def test_reconnect_of_a_connected_pairing_is_a_no_op_success(vr_login: Login) -> None:
    client = await vr_login()
    response = await reconnect(client, PAIRING_CONNECTED, pairing_body(PAIRING_CONNECTED))
    assert (await task(client, response.parsed.id))["status"] == "SUCCESS"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pairing_id", "psc", "details"),
    [
        (PAIRING_ROTATED, {}, "invalid credentials"),
        (PAIRING_ROTATED, {"password": None}, "invalid credentials"),
        (PAIRING_UNREACHABLE, {}, "connection timed out"),
        (
            PAIRING_BROKEN,
            {"url": "https://elsewhere.example.com/lookupservice/sdk"},
            "host not found",
        ),
        (PAIRING_BROKEN, {"port": 7444}, "connection refused"),
        (PAIRING_BROKEN, {"thumbprint": "00:11:22:33"}, "does not match"),
    ],
    ids=["rotated-password", "no-password", "unreachable", "wrong-url", "wrong-port", "thumbprint"],
)
async def test_failing_reconnects_end_the_task_in_error(
    vr_login: Login, pairing_id: str, psc: dict[str, Any], details: str
) -> None:
    client = await vr_login()
    before = statuses(await pairing(client, pairing_id))
    body = pairing_body(pairing_id, **psc)
    body["pair_psc_info"] = {k: v for k, v in body["pair_psc_info"].items() if v is not None}
    response = await reconnect(client, pairing_id, body)
    assert response.status_code == 202, response.content
    done = await task(client, response.parsed.id)  # type: ignore[union-attr]
    assert done["status"] == "ERROR"
    assert done["error"]["message"].startswith("Unable to reconnect the pairing with")
    assert details in done["error"]["details"]
    assert PASSWORD not in json.dumps(done)
    assert statuses(await pairing(client, pairing_id)) == before


async def test_rotated_password_succeeds_with_the_new_password(vr_login: Login) -> None:
    client = await vr_login()
    body = pairing_body(
        PAIRING_ROTATED,
        password="Rotated-Passw0rd!",
        url="https://VC-D.example.com/lookupservice/sdk",
        port=443,
        thumbprint="E0A4A19EF8B08A791CD8B637FD15521EC2C165D9BFFC9B75CA285968AEDCD335",
    )
    response = await reconnect(client, PAIRING_ROTATED, body)
    assert (await task(client, response.parsed.id))["status"] == "SUCCESS"  # type: ignore[union-attr]
    assert set(statuses(await pairing(client, PAIRING_ROTATED)).values()) == {"OK"}


async def test_a_certificate_is_checked_against_the_remote_psc(
    vr_login: Login, tmp_path: Path
) -> None:
    client = await vr_login()
    other = generate_self_signed(["psc.example.com"], tmp_path).cert_pem
    response = await reconnect(
        client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN, certificate=other)
    )
    assert (await task(client, response.parsed.id))["status"] == "ERROR"  # type: ignore[union-attr]
    garbage = await reconnect(
        client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN, certificate="not a certificate")
    )
    assert garbage.status_code == 400
    assert "pair_psc_info.certificate" in (response_error(garbage).message or "")


@pytest.mark.parametrize("user", ["no-vr-manage@vsphere.local", "readonly@vsphere.local"])
async def test_reconnect_without_the_manage_permission_is_403(
    vr_login: Login, sim: SimulatorState, user: str
) -> None:
    client = await vr_login(user)
    response = await reconnect(client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN))
    assert response.status_code == 403
    error = response_error(response)
    assert error.error_code == "PERMISSION_DENIED"
    assert f"VSPHERE.LOCAL\\{user.split('@')[0]}" in (error.message or "")
    assert sim.tasks.list("vr") == []


async def test_reconnect_of_an_unknown_pairing_is_404(vr_login: Login) -> None:
    client = await vr_login()
    response = await reconnect(client, "no-such-pairing", pairing_body(PAIRING_BROKEN))
    assert response.status_code == 404 and response.content == b""


async def test_bad_bodies_are_400(vr_login: Login, sim: SimulatorState) -> None:
    client = await vr_login()
    http = client.get_async_httpx_client()
    url = f"/pairings/{PAIRING_BROKEN}/actions/reconnect"
    cases: list[tuple[bytes, str]] = [
        (b'{"pair_psc_info": {', "not valid JSON"),
        (b"", "PairingSpec JSON object is required"),
        (b'"text"', "request body: Input should be an object"),
        (b'{"pair_psc_info": {}}', "pair_vc_id: Field required"),
        (b'{"pair_vc_id": "x"}', "pair_psc_info: Field required"),
        (b'{"pair_psc_info": {"port": "443"}, "pair_vc_id": "x"}', "pair_psc_info.port"),
        (b'{"pair_psc_info": {"port": 70000}, "pair_vc_id": "x"}', "pair_psc_info.port"),
        (b'{"pair_psc_info": {"password": 1}, "pair_vc_id": "x"}', "pair_psc_info.password"),
        (b'{"pair_psc_info": [], "pair_vc_id": ""}', "pair_vc_id"),
    ]
    for raw, expected in cases:
        response = await http.post(url, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, (raw, response.text)
        error = ResponseError.from_dict(response.json())
        assert error.error_code == "INVALID_ARGUMENT"
        assert expected in (error.message or ""), (raw, error.message)

    mismatch = await reconnect(
        client, PAIRING_BROKEN, {**pairing_body(PAIRING_BROKEN), "pair_vc_id": "other-vc"}
    )
    assert mismatch.status_code == 400
    assert "does not match the remote vCenter Server" in (response_error(mismatch).message or "")

    huge = pairing_body(PAIRING_BROKEN, certificate="x" * (sim.settings.max_body_bytes + 1))
    too_big = await reconnect(client, PAIRING_BROKEN, huge)
    assert too_big.status_code == 400
    assert "exceeds" in (response_error(too_big).message or "")
    assert sim.tasks.list("vr") == []


async def test_progress_rises_then_the_task_succeeds(
    vr_login: Login, sim: SimulatorState, clock: FakeClock
) -> None:
    sim.tasks.settings = TaskSettings(durations={"reconnect_pairing": 8.0}, queue_seconds=1.0)
    client = await vr_login()
    response = await reconnect(client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN))
    started = response.parsed.to_dict()  # type: ignore[union-attr]
    assert started["status"] == "QUEUED" and started["progress"] == 0
    assert started["queued_time"] == round(clock.time() * 1000)
    assert "start_time" not in started

    seen = []
    for _ in range(3):
        clock.advance(2)
        info = await task(client, started["id"])
        assert info["status"] == "RUNNING"
        seen.append(info["progress"])
    assert seen == sorted(seen) and 0 < seen[0] < seen[-1] < 100
    assert statuses(await pairing(client, PAIRING_BROKEN))["remote_vrms"] == "ERROR"

    clock.advance(5)
    done = await task(client, started["id"])
    assert done["status"] == "SUCCESS" and done["progress"] == 100
    assert done["start_time"] == started["queued_time"] + 1000
    assert done["complete_time"] == done["start_time"] + 8000
    assert set(statuses(await pairing(client, PAIRING_BROKEN)).values()) == {"OK"}


async def test_unknown_and_foreign_tasks_are_404(vr_login: Login, sim: SimulatorState) -> None:
    client = await vr_login()
    missing = await get_task.asyncio_detailed(str(uuid.uuid4()), client=client)
    assert missing.status_code == 404 and missing.content == b""
    foreign = sim.tasks.create(surface="vcenter", operation="x", target=None)
    assert (await get_task.asyncio_detailed(foreign.id, client=client)).status_code == 404


async def test_injected_faults(vr_login: Login, sim: SimulatorState) -> None:
    client = await vr_login()
    sim.injector.add(
        FaultRule(
            surface="vr", operation="get_pairing", object=PAIRING_BROKEN, fault="500", count=1
        )
    )
    failed = await get_pairing.asyncio_detailed(PAIRING_BROKEN, client=client)
    assert failed.status_code == 500
    assert response_error(failed).error_code == "INTERNAL_SERVER_ERROR"
    assert (await get_pairing.asyncio_detailed(PAIRING_BROKEN, client=client)).status_code == 200

    sim.injector.add(
        FaultRule(
            surface="vr",
            operation="reconnect_pairing",
            where="task",
            fault="VrFault",
            message="Injected: remote VRMS refused",
            fault_fields={"details": "injected"},
            count=1,
        )
    )
    response = await reconnect(client, PAIRING_BROKEN, pairing_body(PAIRING_BROKEN))
    done = await task(client, response.parsed.id)  # type: ignore[union-attr]
    assert done["status"] == "ERROR"
    assert done["error"] == {"message": "Injected: remote VRMS refused", "details": "injected"}
    assert statuses(await pairing(client, PAIRING_BROKEN))["remote_vrms"] == "ERROR"


async def test_control_api_patches_a_pairing(app: Any, vr_login: Login) -> None:
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        view = (await c.get(f"/_sim/objects/vr/{PAIRING_CONNECTED}")).json()
        assert "password" not in view["remote_psc"]
        patched = await c.patch(
            f"/_sim/objects/vr/{PAIRING_CONNECTED}",
            json={"remote_vrms": {"server_status": "ERROR"}, "reachable": False},
        )
        assert patched.status_code == 200, patched.text
        bad = await c.patch(
            f"/_sim/objects/vr/{PAIRING_CONNECTED}", json={"remote_vrms": {"server_status": "X"}}
        )
        assert bad.status_code == 422
    client = await vr_login()
    assert statuses(await pairing(client, PAIRING_CONNECTED))["remote_vrms"] == "ERROR"
    response = await reconnect(client, PAIRING_CONNECTED, pairing_body(PAIRING_CONNECTED))
    assert (await task(client, response.parsed.id))["status"] == "ERROR"  # type: ignore[union-attr]
