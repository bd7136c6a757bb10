"""VCHA passive redeploy (vSphere Automation REST, cis tasks) via VCenterRest / AsyncVCenterRest,
sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from tests.overlay.conftest import (
    ADMIN,
    FAST,
    PASSWORD,
    Control,
    Env,
    refusals,
    surface_ready,
)
from vreconnect import TaskCancelUnsupported, TaskState, TaskTimeout, faults
from vreconnect_generated.clients.vcenter.api.vcha import vcha_cluster_get
from vreconnect_generated.clients.vcenter.models import (
    ConnectionSpec,
    CredentialsSpec,
    IpSpec,
    Ipv4Spec,
    PlacementSpec,
    RedeploySpec,
)

pytestmark = pytest.mark.skipif(not surface_ready("vcenter"), reason="vcenter surface not ready")

REDEPLOY = "vcha_cluster_passive_redeploy_task"
READ = "cis_tasks_get"
SHA1 = "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4"
SHA256 = "79:44:15:CF:AB:9E:62:82:D7:0F:2E:16:19:2E:05:C4:37:66:89:F9:E4:A0:56:7A:55:57:E5:19:84:65:27:2D"

#: Every error page 003 documents for redeploy-task (plus 401), with its class and status.
REDEPLOY_ERRORS = [
    ("invalid_argument", faults.vapi.InvalidArgument, 400),
    ("unverified_peer", faults.vapi.UnverifiedPeer, 400),
    ("unauthenticated", faults.vapi.Unauthenticated, 401),
    ("unauthorized", faults.vapi.Unauthorized, 403),
    ("error", faults.vapi.Error, 500),
]


def _good(**overrides: Any) -> dict[str, Any]:
    """Keywords of a redeploy that succeeds against the default scenario."""
    kwargs: dict[str, Any] = {
        "name": "vcsa-passive",
        "folder": "group-v4",
        "host": "host-21",
        "datastore": "datastore-15",
        "active_hostname": "mgmt-vc.example.com",
        "active_ssl_thumbprint": SHA1,
        "active_username": ADMIN,
        "active_password": PASSWORD,
    }
    kwargs.update(overrides)
    return kwargs


def test_login_and_cluster_read(env: Env, control: Control) -> None:
    rest = env.rest()
    cluster = env.run(rest.vcha_cluster())
    assert cluster.config_state == "CONFIGURED" and cluster.health_state == "DEGRADED"
    assert len(control.server.state.session_store("rest")) == 1
    assert PASSWORD not in repr(rest)
    assert rest.client.token and rest.client.token not in repr(rest.client)
    env.run(rest.close())
    assert len(control.server.state.session_store("rest")) == 0


def test_generated_client_shares_the_session(env: Env) -> None:
    rest = env.rest()
    env.run(rest.login())
    if env.is_async:
        response = env.run(vcha_cluster_get.asyncio_detailed(client=rest.client, action="get"))
    else:
        response = vcha_cluster_get.sync_detailed(client=rest.client, action="get")
    assert response.status_code == 200


def test_redeploy_with_keywords_succeeds(env: Env) -> None:
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    assert task.kind == "cis"
    env.run(task.wait(timeout=10, policy=FAST))
    assert env.run(task.status()).state is TaskState.SUCCEEDED
    assert env.run(rest.vcha_cluster()).health_state == "HEALTHY"


def test_redeploy_with_generated_model_and_dict(env: Env, control: Control) -> None:
    spec = RedeploySpec(
        placement=PlacementSpec(name="vcsa-passive", folder="group-v4", host="host-21"),
        vc_spec=CredentialsSpec(
            active_location=ConnectionSpec(
                hostname="mgmt-vc.example.com",
                ssl_thumbprint=SHA1,
                username=ADMIN,
                password=PASSWORD,
            )
        ),
        ha_ip=IpSpec(ip_family="IPV4", ipv4=Ipv4Spec(address="192.168.100.2", prefix=24)),
    )
    rest = env.rest()
    env.run(env.run(rest.redeploy_vcha_passive(spec)).wait(timeout=10))
    control.reset()
    rest2 = env.rest()
    env.run(env.run(rest2.redeploy_vcha_passive(spec.to_dict())).wait(timeout=10))


def test_spec_and_keywords_conflict(env: Env) -> None:
    rest = env.rest()
    with pytest.raises(TypeError):
        env.run(rest.redeploy_vcha_passive({"placement": {}}, name="x"))
    with pytest.raises(TypeError):
        env.run(rest.redeploy_vcha_passive(host="host-21"))  # name/folder missing
    with pytest.raises(ValueError):
        env.run(rest.redeploy_vcha_passive({"no": "placement"}))


@pytest.mark.parametrize(("name", "cls", "status"), REDEPLOY_ERRORS)
def test_error_via_call(env: Env, control: Control, name: str, cls: type, status: int) -> None:
    control.fault(surface="vcenter", operation=REDEPLOY, fault=name, count=refusals(name))
    rest = env.rest()
    with pytest.raises(cls) as info:
        env.run(rest.redeploy_vcha_passive(**_good()))
    assert type(info.value) is cls
    assert info.value.status == status and info.value.operation == REDEPLOY
    assert info.value.task_id is None
    assert control.rule(REDEPLOY)["matched"] == refusals(name)


@pytest.mark.parametrize(("name", "cls", "status"), REDEPLOY_ERRORS)
def test_error_via_task(env: Env, control: Control, name: str, cls: type, status: int) -> None:
    control.fault(surface="vcenter", operation=REDEPLOY, where="task", fault=name, count=1)
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    with pytest.raises(cls) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert type(info.value) is cls
    assert info.value.task_id == task.id and info.value.status is None


def test_unverified_peer_carries_the_sha256_thumbprint(env: Env) -> None:
    rest = env.rest()
    with pytest.raises(faults.vapi.UnverifiedPeer) as info:
        env.run(rest.redeploy_vcha_passive(**_good(active_ssl_thumbprint=None)))
    assert info.value.ssl_thumbprint == SHA256


def test_scenario_errors(env: Env, control: Control) -> None:
    rest = env.rest()
    secret = "Not-The-Password-1"
    with pytest.raises(faults.vapi.InvalidArgument) as info:
        env.run(rest.redeploy_vcha_passive(**_good(active_password=secret)))
    assert secret not in str(info.value) and secret not in repr(info.value)
    # Placed on a host in maintenance mode: the call succeeds, the task fails.
    task = env.run(rest.redeploy_vcha_passive(**_good(host="host-22")))
    with pytest.raises(faults.vapi.Error) as failed:
        env.run(task.wait(timeout=10, policy=FAST))
    assert failed.value.task_id == task.id
    # Not degraded (after a successful redeploy): 500 error.
    env.run(env.run(rest.redeploy_vcha_passive(**_good())).wait(timeout=10))
    with pytest.raises(faults.vapi.Error) as not_degraded:
        env.run(rest.redeploy_vcha_passive(**_good()))
    assert not_degraded.value.status == 500
    unprivileged = env.rest(user="no-vcserver@vsphere.local")
    with pytest.raises(faults.vapi.Unauthorized):
        env.run(unprivileged.redeploy_vcha_passive(**_good()))


def test_wrong_login_is_unauthenticated(env: Env) -> None:
    secret = "Bad-Rest-Pa55"
    rest = env.rest(password=secret)
    with pytest.raises(faults.vapi.Unauthenticated) as info:
        env.run(rest.login())
    assert secret not in str(info.value)


def test_cis_task_cannot_be_cancelled(env: Env) -> None:
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    with pytest.raises(TaskCancelUnsupported):
        env.run(task.cancel())


def test_timeout_and_resume(env: Env, control: Control) -> None:
    control.durations({REDEPLOY: 30})
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.3, policy=FAST))
    assert info.value.task_id == task.id and info.value.last_status.kind == "cis"
    assert env.run(rest.task(task.id).status()).state in (TaskState.QUEUED, TaskState.RUNNING)


#: A vAPI service_unavailable error body: a 503 that carries one is still a transient read
#: failure (the task read's document does not list 503, so it comes as a verbatim answer).
UNAVAILABLE = {
    "type": "com.vmware.vapi.std.errors.service_unavailable",
    "value": {
        "messages": [
            {
                "id": "vapi.service.unavailable",
                "default_message": "The service is unavailable.",
                "args": [],
            }
        ]
    },
}


@pytest.mark.parametrize(
    "rule", [{"status": 503}, {"drop": True}, {"status": 503, "body": UNAVAILABLE}]
)
def test_transient_read_failures_are_survived(
    env: Env, control: Control, rule: dict[str, Any]
) -> None:
    control.fault(surface="vcenter", operation=READ, count=2, **rule)
    rest = env.rest()
    env.run(env.run(rest.redeploy_vcha_passive(**_good())).wait(timeout=10, policy=FAST))
    assert next(r for r in control.rules() if r["operation"] == READ)["fired"] == 2


def test_expired_session_is_re_established(env: Env, control: Control) -> None:
    control.durations({REDEPLOY: 0.3})
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    token = rest._session_token
    control.expire_sessions("rest")
    env.run(task.wait(timeout=10, policy=FAST))
    assert rest._session_token != token


def test_progress_reports(env: Env, control: Control) -> None:
    control.durations({REDEPLOY: 0.4})
    reports: list[Any] = []
    rest = env.rest()
    task = env.run(rest.redeploy_vcha_passive(**_good()))
    env.run(task.wait(timeout=10, policy=FAST, on_progress=reports.append))
    assert [r.final for r in reports].count(True) == 1 and reports[-1].final
    assert reports[-1].state is TaskState.SUCCEEDED and reports[-1].kind == "cis"
