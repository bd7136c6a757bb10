"""The vcenter surface (/rest, page 003) through the generated vcenter client."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from vreconnect_generated.clients.vcenter import AuthenticatedClient
from vreconnect_generated.clients.vcenter.api.session import cis_session_create, cis_session_delete
from vreconnect_generated.clients.vcenter.api.tasks import cis_tasks_get
from vreconnect_generated.clients.vcenter.api.vcha import (
    vcha_cluster_get,
    vcha_cluster_passive_redeploy_task,
)
from vreconnect_generated.clients.vcenter.models import (
    CisTasksGetResponse,
    Error,
    InvalidArgument,
    NotFound,
    ServiceUnavailable,
    TaskInfo,
    Unauthenticated,
    Unauthorized,
    UnverifiedPeer,
    VchaClusterGetRequest,
    VchaClusterGetResponse,
    VchaClusterPassiveRedeployTaskRequest,
    VchaClusterPassiveRedeployTaskResponse,
)
from vreconnect_generated.clients.vcenter.types import Response
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.injection import FaultRule
from vreconnect_sim.state import SimulatorState
from vreconnect_sim.tasks import TaskSettings

from ..sim_core.targets import both_transports
from .support import ADMIN, MGMT_SHA1, MGMT_SHA256, PASSWORD, basic, redeploy_body

pytestmark = both_transports  # in-process and over a real TLS socket

Login = Callable[..., Awaitable[AuthenticatedClient]]
MakeClient = Callable[..., AuthenticatedClient]
TASK_ID = re.compile(r"^[0-9a-f-]{36}:com\.vmware\.vcenter\.vcha\.cluster\.passive$")
REDEPLOY = "vcha_cluster_passive_redeploy_task"


async def redeploy(client: AuthenticatedClient, body: dict[str, Any]) -> Response[Any]:
    """Call redeploy-task with a body given as JSON (built into the generated model)."""
    return await vcha_cluster_passive_redeploy_task.asyncio_detailed(
        client=client,
        body=VchaClusterPassiveRedeployTaskRequest.from_dict(body),
        vmw_task="true",
        action="redeploy",
    )


async def cluster(client: AuthenticatedClient) -> dict[str, Any]:
    """The cluster info (``value``) as JSON."""
    response = await vcha_cluster_get.asyncio_detailed(client=client, action="get")
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, VchaClusterGetResponse)
    value: dict[str, Any] = response.parsed.to_dict()["value"]
    return value


async def task(client: AuthenticatedClient, task_id: str) -> dict[str, Any]:
    """The task info (``value``) as JSON."""
    response = await cis_tasks_get.asyncio_detailed(task_id, client=client)
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, CisTasksGetResponse)
    assert isinstance(response.parsed.value, TaskInfo)
    value: dict[str, Any] = response.parsed.to_dict()["value"]
    return value


def messages(response: Response[Any]) -> str:
    """All default messages of an error response, joined."""
    parsed = response.parsed
    assert parsed is not None, response.content
    return " | ".join(m.default_message for m in parsed.value.messages)


# -- sessions -----------------------------------------------------------------------------------


async def test_login_returns_a_token_and_bad_credentials_are_unauthenticated(
    vc_client: MakeClient,
) -> None:
    good = await cis_session_create.asyncio_detailed(
        client=vc_client(basic(ADMIN, PASSWORD), prefix="Basic", header="Authorization")
    )
    assert good.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", good.parsed.value)  # type: ignore[union-attr]

    for token in (basic(ADMIN, "wrong"), basic("nobody@vsphere.local", PASSWORD), "%%%"):
        bad = await cis_session_create.asyncio_detailed(
            client=vc_client(token, prefix="Basic", header="Authorization")
        )
        assert bad.status_code == 401
        assert isinstance(bad.parsed, Unauthenticated)
        assert PASSWORD not in bad.content.decode()


async def test_logout_invalidates_the_session(vc_login: Login) -> None:
    client = await vc_login()
    assert (await vcha_cluster_get.asyncio_detailed(client=client, action="get")).status_code == 200
    out = await cis_session_delete.asyncio_detailed(client=client)
    assert out.status_code == 200 and out.content == b""
    after = await vcha_cluster_get.asyncio_detailed(client=client, action="get")
    assert after.status_code == 401 and isinstance(after.parsed, Unauthenticated)
    again = await cis_session_delete.asyncio_detailed(client=client)
    assert again.status_code == 401 and isinstance(again.parsed, Unauthenticated)


async def test_idle_session_expires(vc_login: Login, clock: FakeClock, sim: SimulatorState) -> None:
    client = await vc_login()
    clock.advance(sim.settings.session_idle_timeout - 1)
    assert (await vcha_cluster_get.asyncio_detailed(client=client, action="get")).status_code == 200
    clock.advance(sim.settings.session_idle_timeout + 1)
    expired = await vcha_cluster_get.asyncio_detailed(client=client, action="get")
    assert expired.status_code == 401 and isinstance(expired.parsed, Unauthenticated)


async def test_every_operation_needs_a_session(vc_client: MakeClient) -> None:
    for client in (vc_client(""), vc_client("0" * 32)):
        calls = [
            await redeploy(client, redeploy_body()),
            await vcha_cluster_get.asyncio_detailed(client=client, action="get"),
            await cis_tasks_get.asyncio_detailed("x", client=client),
            await cis_session_delete.asyncio_detailed(client=client),
        ]
        for response in calls:
            assert response.status_code == 401
            assert isinstance(response.parsed, Unauthenticated)


# -- cluster and redeploy -----------------------------------------------------------------------


async def test_default_cluster_is_degraded(vc_login: Login) -> None:
    info = await cluster(await vc_login("readonly@vsphere.local"))
    assert info["config_state"] == "CONFIGURED"
    assert info["health_state"] == "DEGRADED"
    assert info["node1"]["runtime"]["state"] == "UP"
    assert info["node2"]["runtime"]["state"] == "DOWN"
    assert info["witness"]["runtime"]["state"] == "UP"
    assert info["health_exception"]
    assert info["manual_failover_allowed"] is False


async def test_redeploy_heals_the_cluster(vc_login: Login) -> None:
    client = await vc_login()
    response = await redeploy(client, redeploy_body(spec__placement__name="vcsa-passive-2"))
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, VchaClusterPassiveRedeployTaskResponse)
    task_id = response.parsed.value
    assert TASK_ID.match(task_id)

    info = await task(client, task_id)
    assert info["status"] == "SUCCEEDED"
    assert info["service"] == "com.vmware.vcenter.vcha.cluster.passive"
    assert info["operation"] == "redeploy"
    assert info["progress"]["completed"] == info["progress"]["total"] == 100
    assert info["user"] == ADMIN and "error" not in info

    healed = await cluster(client)
    assert healed["health_state"] == "HEALTHY"
    assert healed["node2"]["runtime"]["state"] == "UP"
    assert healed["node2"]["runtime"]["name"] == "vcsa-passive-2"
    assert healed["node2"]["ha_ip"]["ipv4"]["address"] == "192.168.100.2"
    assert healed["node2"]["failover_ip"]["ip_family"] == "IPV6"
    assert healed["health_exception"] == []

    # Healthy now: nothing to redeploy ("If any other error occurs": 500 error).
    again = await redeploy(client, redeploy_body())
    assert again.status_code == 500 and isinstance(again.parsed, Error)
    assert "not degraded" in messages(again)


async def test_minimal_spec_uses_the_stored_configuration(vc_login: Login) -> None:
    client = await vc_login()
    body = {"spec": {"vc_spec": REDEPLOY_VC_SPEC, "placement": {"name": "p", "folder": "group-v4"}}}
    response = await redeploy(client, body)
    assert response.status_code == 200, response.content
    healed = await cluster(client)
    assert healed["health_state"] == "HEALTHY"
    # ha_ip unset: the stored passive HA configuration; failover_ip unset: the active's.
    assert healed["node2"]["ha_ip"]["ipv4"]["address"] == "192.168.100.2"
    assert healed["node2"]["failover_ip"] == healed["node1"]["failover_ip"]


REDEPLOY_VC_SPEC = redeploy_body()["spec"]["vc_spec"]

CROSS_FIELD_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "username unset",
        {"spec__vc_spec__active_location__username": None},
        "spec.vc_spec.active_location.username",
        "This field is currently required. If unset, an error is returned.",
    ),
    (
        "ip_family IPV4 without ipv4",
        {"spec__ha_ip": {"ip_family": "IPV4", "ipv6": {"address": "fd00::2", "prefix": 64}}},
        "spec.ha_ip.ipv4",
        "If the family of the ip is IPV4, then this will point to IPv4 address specification.",
    ),
    (
        "ip_family IPV6 without ipv6",
        {"spec__failover_ip": {"ip_family": "IPV6", "ipv4": {"address": "10.0.0.2", "prefix": 8}}},
        "spec.failover_ip.ipv6",
        "If the family of the ip is IPV6, then this will point to IPv6 address specification.",
    ),
    (
        "subnet_mask and prefix both unset",
        {"spec__ha_ip__ipv4": {"address": "192.168.100.2"}},
        "spec.ha_ip.ipv4.subnet_mask",
        "If unset and the prefix field is unset, then an error will be reported.",
    ),
    (
        "subnet_mask and prefix disagree",
        {"spec__ha_ip__ipv4__prefix": 16},
        "spec.ha_ip.ipv4.prefix",
        "If both the subnet_mask field and the prefix field are set and they do not represent "
        "the same value, then an error will be reported.",
    ),
    (
        "ha_network without ha_network_type",
        {"spec__placement__ha_network_type": None},
        "spec.placement.ha_network_type",
        "If the vcenter.vcha.placement_spec.ha_network field is set, then the "
        "vcenter.vcha.placement_spec.ha_network_type field must be set.",
    ),
    (
        "management_network without management_network_type",
        {"spec__placement__management_network_type": None},
        "spec.placement.management_network_type",
        "If the vcenter.vcha.placement_spec.management_network field is set, then the "
        "vcenter.vcha.placement_spec.management_network_type field must be set.",
    ),
    (
        "network of another type",
        {"spec__placement__ha_network_type": "STANDARD_PORTGROUP"},
        "spec.placement.ha_network_type",
        "ha_network dvportgroup-31 is a DISTRIBUTED_PORTGROUP, not a STANDARD_PORTGROUP",
    ),
    (
        "vc_spec unset on an externally managed active node",
        {"spec__vc_spec": None},
        "spec.vc_spec",
        "assumed to be either self-managed or else in enhanced linked mode",
    ),
    (
        "not a subnet mask",
        {"spec__ha_ip__ipv4__subnet_mask": "255.0.255.0", "spec__ha_ip__ipv4__prefix": None},
        "spec.ha_ip.ipv4.subnet_mask",
        "is not an IPv4 subnet mask",
    ),
    (
        "IPv6 address in ipv4",
        {"spec__ha_ip__ipv4__address": "fd00::2"},
        "spec.ha_ip.ipv4.address",
        "is not an IPv4 address",
    ),
    (
        "gateway of the other family",
        {"spec__failover_ip__default_gateway": "10.0.0.1"},
        "spec.failover_ip.default_gateway",
        "is not an IPv6 address",
    ),
    (
        "unknown folder",
        {"spec__placement__folder": "group-v999"},
        "spec.placement.folder",
        "Folder",
    ),
    ("unknown host", {"spec__placement__host": "host-999"}, "spec.placement.host", "HostSystem"),
    (
        "unknown datastore",
        {"spec__placement__storage__datastore": "datastore-999"},
        "spec.placement.storage.datastore",
        "Datastore",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [case[1:] for case in CROSS_FIELD_CASES],
    ids=[case[0] for case in CROSS_FIELD_CASES],
)
async def test_each_cross_field_rule_is_invalid_argument_naming_it(
    vc_login: Login, sim: SimulatorState, change: dict[str, Any], field: str, rule: str
) -> None:
    client = await vc_login()
    response = await redeploy(client, redeploy_body(**change))
    assert response.status_code == 400, response.content
    assert isinstance(response.parsed, InvalidArgument)
    text = messages(response)
    assert field in text and rule in text
    assert sim.surface("vcenter").cluster.health_state == "DEGRADED"
    assert sim.tasks.list("vcenter") == []


async def test_all_violations_are_reported_together(vc_login: Login) -> None:
    body = redeploy_body(
        spec__placement__ha_network_type=None,
        spec__ha_ip__ipv4={"address": "192.168.100.2"},
        spec__placement__host="host-999",
    )
    response = await redeploy(await vc_login(), body)
    assert response.status_code == 400 and isinstance(response.parsed, InvalidArgument)
    assert len(response.parsed.value.messages) == 3


async def test_the_other_family_spec_is_ignored(vc_login: Login) -> None:
    # "It is only relevant when ip_family has value IPV4": an extra ipv6 does no harm.
    body = redeploy_body(spec__ha_ip__ipv6={"address": "not-an-address", "prefix": 64})
    client = await vc_login()
    response = await redeploy(client, body)
    assert response.status_code == 200, response.content
    assert "ipv6" not in (await cluster(client))["node2"]["ha_ip"]


async def test_a_network_type_without_its_network_is_ignored(vc_login: Login) -> None:
    body = redeploy_body(spec__placement__ha_network=None)
    response = await redeploy(await vc_login(), body)
    assert response.status_code == 200, response.content


async def test_bad_credentials_are_invalid_argument(vc_login: Login) -> None:
    client = await vc_login()
    for change in (
        {"spec__vc_spec__active_location__password": "Wrong-Passw0rd"},
        {"spec__vc_spec__active_location__password": None},  # unset: the empty password
        {"spec__vc_spec__active_location__username": "root"},
    ):
        response = await redeploy(client, redeploy_body(**change))
        assert response.status_code == 400, response.content
        assert isinstance(response.parsed, InvalidArgument)
        assert "credentials" in messages(response)
        assert "Wrong-Passw0rd" not in response.content.decode()


async def test_thumbprint_mismatch_is_unverified_peer_with_certificate_info(
    vc_login: Login,
) -> None:
    client = await vc_login()
    for thumbprint in ("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", None):
        body = redeploy_body(spec__vc_spec__active_location__ssl_thumbprint=thumbprint)
        response = await redeploy(client, body)
        assert response.status_code == 400, response.content
        assert isinstance(response.parsed, UnverifiedPeer)
        assert response.parsed.value.data.ssl_thumbprint == MGMT_SHA256  # type: ignore[union-attr]
        assert response.parsed.type_ == "com.vmware.vapi.std.errors.unverified_peer"

    # Retrying with the reported (SHA-256) thumbprint works.
    body = redeploy_body(spec__vc_spec__active_location__ssl_thumbprint=MGMT_SHA256)
    response = await redeploy(client, body)
    assert response.status_code == 200, response.content
    # The page's SHA-1 is accepted in any spelling (checked through cluster get's vc_spec).
    sha1 = MGMT_SHA1.replace(":", "").lower()
    vc_spec = redeploy_body(spec__vc_spec__active_location__ssl_thumbprint=sha1)["spec"]["vc_spec"]
    cluster_get = await vcha_cluster_get.asyncio_detailed(
        client=client,
        action="get",
        body=VchaClusterGetRequest.from_dict({"vc_spec": vc_spec}),
    )
    assert cluster_get.status_code == 200, cluster_get.content


async def test_unreachable_management_vcenter_is_error(vc_login: Login) -> None:
    client = await vc_login()
    for change in (
        {"spec__vc_spec__active_location__hostname": "other-vc.example.com"},
        {"spec__vc_spec__active_location__port": 8443},
    ):
        response = await redeploy(client, redeploy_body(**change))
        assert response.status_code == 500 and isinstance(response.parsed, Error)
        assert "Cannot connect" in messages(response)


@pytest.mark.parametrize("user", ["no-vcserver@vsphere.local", "readonly@vsphere.local"])
async def test_redeploy_without_global_vcserver_is_unauthorized(vc_login: Login, user: str) -> None:
    response = await redeploy(await vc_login(user), redeploy_body())
    assert response.status_code == 403
    assert isinstance(response.parsed, Unauthorized)
    assert "Global.VCServer" in messages(response)


async def test_failure_while_deploying_ends_the_task_failed(vc_login: Login) -> None:
    client = await vc_login()
    for change in (
        {"spec__placement__host": "host-22"},
        {"spec__placement__storage__datastore": "datastore-16"},
    ):
        response = await redeploy(client, redeploy_body(**change))
        assert response.status_code == 200, response.content
        info = await task(client, response.parsed.value)  # type: ignore[union-attr]
        assert info["status"] == "FAILED"
        assert info["error"]["type"] == "com.vmware.vapi.std.errors.error"
        assert (
            "Failed to deploy the passive node"
            in info["error"]["value"]["messages"][0]["default_message"]
        )
        assert (await cluster(client))["health_state"] == "DEGRADED"


async def test_progress_rises_then_the_task_succeeds(
    vc_login: Login, sim: SimulatorState, clock: FakeClock
) -> None:
    sim.tasks.settings = TaskSettings(durations={REDEPLOY: 10.0}, queue_seconds=2.0)
    client = await vc_login()
    response = await redeploy(client, redeploy_body())
    task_id = response.parsed.value  # type: ignore[union-attr]

    pending = await task(client, task_id)
    assert pending["status"] == "PENDING" and pending["progress"]["completed"] == 0
    assert "start_time" not in pending

    seen = []
    for _ in range(4):
        clock.advance(2.5)
        info = await task(client, task_id)
        assert info["status"] == "RUNNING"
        seen.append(info["progress"]["completed"])
    assert seen == sorted(seen) and seen[0] < seen[-1] < 100
    assert (await cluster(client))["health_state"] == "DEGRADED"

    # Still running: a second redeploy is refused.
    busy = await redeploy(client, redeploy_body())
    assert busy.status_code == 500 and "already being redeployed" in messages(busy)

    clock.advance(5)
    done = await task(client, task_id)
    assert done["status"] == "SUCCEEDED" and done["progress"]["completed"] == 100
    assert done["start_time"] < done["end_time"]
    assert (await cluster(client))["health_state"] == "HEALTHY"


# -- malformed requests -------------------------------------------------------------------------


async def test_malformed_wrong_typed_and_oversize_bodies_are_invalid_argument(
    vc_login: Login, sim: SimulatorState
) -> None:
    client = await vc_login()
    http = client.get_async_httpx_client()
    url = "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy"
    cases: list[tuple[bytes, str]] = [
        (b'{"spec": {', "not valid JSON"),
        (b"", "a JSON object is required"),
        (b"[1, 2]", "request body: Input should be an object"),
        (b'{"spec": {"placement": {"name": "p"}}}', "spec.placement.folder: Field required"),
        (
            b'{"spec": {"placement": {"name": "p", "folder": 7}}}',
            "spec.placement.folder: Input should be a valid string",
        ),
        (
            b'{"spec": {"placement": {"name": "p", "folder": "f"},'
            b' "vc_spec": {"active_location": {"hostname": "h", "port": "443"}}}}',
            "spec.vc_spec.active_location.port: Input should be a valid integer",
        ),
        (
            b'{"spec": {"placement": {"name": "p", "folder": "f"},'
            b' "vc_spec": {"active_location": {"hostname": "h", "port": null}}}}',
            "spec.vc_spec.active_location.port: Input should be a valid integer",
        ),
        (
            b'{"spec": {"placement": {"name": "p", "folder": "f", "ha_network_type": "VLAN"}}}',
            "spec.placement.ha_network_type",
        ),
        (
            b'{"spec": {"placement": {"name": "p", "folder": "f"},'
            b' "ha_ip": {"ip_family": "IPV4", "ipv4": {"address": "1.2.3.4", "prefix": 33}}}}',
            "spec.ha_ip.ipv4.prefix",
        ),
        (b"\xff\xfe", "not valid JSON"),
    ]
    for raw, expected in cases:
        response = await http.post(url, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, (raw, response.text)
        parsed = InvalidArgument.from_dict(response.json())
        text = " | ".join(m.default_message for m in parsed.value.messages)
        assert expected in text, (raw, text)

    # Oversize: the body limit answers with the operation's documented 400.
    huge = redeploy_body(spec__placement__name="x" * (sim.settings.max_body_bytes + 1))
    response = await redeploy(client, huge)
    assert response.status_code == 400 and isinstance(response.parsed, InvalidArgument)
    assert "exceeds" in messages(response)

    # Wrong query parameters.
    for query in (
        "action=redeploy",
        "vmw-task=true&action=destroy",
        "vmw-task=false&action=redeploy",
    ):
        bad = await http.post(f"/vcenter/vcha/cluster/passive?{query}", json=redeploy_body())
        assert bad.status_code == 400, query
        assert "query parameter" in bad.text
    assert sim.tasks.list("vcenter") == []


async def test_huge_invalid_body_gives_a_bounded_error(vc_login: Login) -> None:
    client = await vc_login()
    body = redeploy_body(spec__ha_ip__dns_servers=list(range(5000)))
    response = await redeploy(client, body)
    assert response.status_code == 400 and isinstance(response.parsed, InvalidArgument)
    assert len(response.parsed.value.messages) <= 21
    assert "more problems" in messages(response)


async def test_unknown_task_path_and_method(vc_login: Login) -> None:
    client = await vc_login()
    missing = await cis_tasks_get.asyncio_detailed("nope", client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, NotFound)

    http = client.get_async_httpx_client()
    unrouted = await http.get("/vcenter/nothing")
    assert unrouted.status_code == 404
    assert NotFound.from_dict(unrouted.json()).type_ == "com.vmware.vapi.std.errors.not_found"
    wrong_method = await http.get("/vcenter/vcha/cluster/passive")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    Error.from_dict(wrong_method.json())


async def test_cluster_get_checks_vc_spec_and_action(vc_login: Login) -> None:
    client = await vc_login()
    vc_spec = redeploy_body(spec__vc_spec__active_location__password="nope")["spec"]["vc_spec"]
    bad_creds = await vcha_cluster_get.asyncio_detailed(
        client=client, action="get", body=VchaClusterGetRequest.from_dict({"vc_spec": vc_spec})
    )
    assert bad_creds.status_code == 400 and isinstance(bad_creds.parsed, InvalidArgument)

    partial = await vcha_cluster_get.asyncio_detailed(
        client=client, action="get", body=VchaClusterGetRequest.from_dict({"partial": True})
    )
    assert partial.status_code == 200
    assert set(partial.parsed.to_dict()["value"]) == {"config_state", "mode", "health_state"}  # type: ignore[union-attr]

    http = client.get_async_httpx_client()
    no_action = await http.post("/vcenter/vcha/cluster")
    assert no_action.status_code == 400
    InvalidArgument.from_dict(no_action.json())


# -- fault injection and control ----------------------------------------------------------------


async def test_injected_faults_answer_the_call_or_end_the_task(
    vc_login: Login, vc_client: MakeClient, sim: SimulatorState
) -> None:
    client = await vc_login()
    sim.injector.add(
        FaultRule(
            surface="vcenter", operation="cis_session_create", fault="service_unavailable", count=1
        )
    )
    unavailable = await cis_session_create.asyncio_detailed(
        client=vc_client(basic(ADMIN, PASSWORD), prefix="Basic", header="Authorization")
    )
    assert unavailable.status_code == 503 and isinstance(unavailable.parsed, ServiceUnavailable)

    sim.injector.add(
        FaultRule(surface="vcenter", operation=REDEPLOY, fault="error", message="boom", count=1)
    )
    answered = await redeploy(client, redeploy_body())
    assert answered.status_code == 500 and isinstance(answered.parsed, Error)
    assert messages(answered) == "boom"

    sim.injector.add(
        FaultRule(
            surface="vcenter",
            operation=REDEPLOY,
            where="task",
            fault="error",
            message="Injected: OVF deployment failed",
            count=1,
        )
    )
    started = await redeploy(client, redeploy_body())
    assert started.status_code == 200
    info = await task(client, started.parsed.value)  # type: ignore[union-attr]
    assert info["status"] == "FAILED"
    assert info["error"]["value"]["messages"][0]["default_message"] == (
        "Injected: OVF deployment failed"
    )
    assert (await cluster(client))["health_state"] == "DEGRADED"  # the state change is skipped


async def test_control_api_reads_and_patches_the_cluster(app: Any, vc_login: Login) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as c:
        listed = (await c.get("/_sim/objects", params={"surface": "vcenter"})).json()
        ids = {item["id"] for item in listed["items"]}
        assert {"vcha-cluster", "host-21", "dvportgroup-31", "datastore-16"} <= ids
        view = (await c.get("/_sim/objects/vcenter/vcha-cluster")).json()
        assert view["health_state"] == "DEGRADED"
        assert "password" not in view["management_vcenter"]
        patched = await c.patch(
            "/_sim/objects/vcenter/vcha-cluster", json={"health_state": "HEALTHY"}
        )
        assert patched.status_code == 200
        bad = await c.patch("/_sim/objects/vcenter/vcha-cluster", json={"health_state": "SICK"})
        assert bad.status_code == 422
        unknown = await c.patch("/_sim/objects/vcenter/host-21", json={"bogus": 1})
        assert unknown.status_code == 422
    client = await vc_login()
    assert (await cluster(client))["health_state"] == "HEALTHY"
    response = await redeploy(client, redeploy_body())
    assert response.status_code == 500 and "not degraded" in messages(response)
