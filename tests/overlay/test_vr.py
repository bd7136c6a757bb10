"""VR pairing reconnect (vSphere Replication REST, VR tasks) via Replication / AsyncReplication,
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
from vreconnect_generated.clients.vr.api.pairings import get_pairings
from vreconnect_generated.clients.vr.models import PairingSpec, PscInfo

pytestmark = pytest.mark.skipif(not surface_ready("vr"), reason="vr surface not ready")

RECONNECT = "reconnect_pairing"
READ = "get_task"
BROKEN = "e30d7438-0a92-449a-a4d6-7c9a623e01db"
BROKEN_VC = "19098a21-74b3-4106-8870-1a50d1876eb9"
ROTATED = "fd724452-ccea-41ff-8a14-876aeaff1a09"
ROTATED_VC = "8534f457-38d0-48ec-8f10-99c6c3e1b258"
DOWN = "43000de0-1b2e-440e-93ad-dccb2c33be0a"
DOWN_VC = "06905269-ed6f-4b09-b165-c8ce36e2f24b"

#: Every status page 004 documents for reconnect (and protocols.md's 401/404), with its class.
VR_ERRORS = [
    ("400", faults.VrBadRequest, 400),
    ("401", faults.VrUnauthorized, 401),
    ("403", faults.VrForbidden, 403),
    ("404", faults.VrNotFound, 404),
    ("500", faults.VrServerError, 500),
]


def _reconnect(vr: Any, pairing: str = BROKEN, vc: str = BROKEN_VC, **kw: Any) -> Any:
    kw.setdefault("username", ADMIN)
    kw.setdefault("password", PASSWORD)
    return vr.reconnect_pairing(pairing, pair_vc_id=vc, **kw)


def test_login_pairings_and_logout(env: Env, control: Control) -> None:
    vr = env.vr()
    pairings = env.run(vr.pairings())
    assert BROKEN in [p.pairing_id for p in pairings]
    pairing = env.run(vr.pairing(BROKEN))
    assert pairing.remote_vc_server.server_status == "ERROR"
    assert len(control.server.state.session_store("vr")) == 1
    assert PASSWORD not in repr(vr)
    assert vr.client.token and vr.client.token not in repr(vr.client)
    env.run(vr.close())
    assert len(control.server.state.session_store("vr")) == 0


def test_generated_client_shares_the_session(env: Env) -> None:
    vr = env.vr()
    env.run(vr.login())
    if env.is_async:
        response = env.run(get_pairings.asyncio_detailed(client=vr.client))
    else:
        response = get_pairings.sync_detailed(client=vr.client)
    assert response.status_code == 200


def test_reconnect_pairing_succeeds(env: Env) -> None:
    vr = env.vr()
    task = env.run(_reconnect(vr))
    assert task.kind == "vr"
    env.run(task.wait(timeout=10, policy=FAST))
    assert env.run(task.status()).state is TaskState.SUCCEEDED
    assert env.run(vr.pairing(BROKEN)).remote_vrms.server_status == "OK"


def test_reconnect_with_generated_spec(env: Env) -> None:
    vr = env.vr()
    spec = PairingSpec(
        pair_vc_id=ROTATED_VC, pair_psc_info=PscInfo(username=ADMIN, password="Rotated-Passw0rd!")
    )
    env.run(env.run(vr.reconnect_pairing(ROTATED, spec=spec)).wait(timeout=10))
    with pytest.raises(TypeError):
        env.run(vr.reconnect_pairing(ROTATED, spec=spec, pair_vc_id=ROTATED_VC))
    with pytest.raises(TypeError):
        env.run(vr.reconnect_pairing(ROTATED))


@pytest.mark.parametrize(("name", "cls", "status"), VR_ERRORS)
def test_error_via_call(env: Env, control: Control, name: str, cls: type, status: int) -> None:
    control.fault(surface="vr", operation=RECONNECT, fault=name, count=refusals(name))
    vr = env.vr()
    with pytest.raises(cls) as info:
        env.run(_reconnect(vr))
    assert type(info.value) is cls
    assert info.value.status == status and info.value.operation == RECONNECT
    assert info.value.task_id is None
    assert control.rule(RECONNECT)["matched"] == refusals(name)


@pytest.mark.parametrize(("name", "cls", "status"), VR_ERRORS)
def test_error_via_task(env: Env, control: Control, name: str, cls: type, status: int) -> None:
    """A VR task's error has no status: every failure decodes to VrError, with the task id."""
    control.fault(surface="vr", operation=RECONNECT, where="task", fault=name, count=1)
    vr = env.vr()
    task = env.run(_reconnect(vr))
    with pytest.raises(faults.VrError) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert type(info.value) is faults.VrError
    assert info.value.task_id == task.id and info.value.status is None


def test_scenario_errors(env: Env) -> None:
    vr = env.vr()
    # Remote PSC password rotated: the task fails; the password never shows.
    task = env.run(_reconnect(vr, ROTATED, ROTATED_VC))
    with pytest.raises(faults.VrError) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert info.value.task_id == task.id and PASSWORD not in str(info.value)
    # Remote site down: the task fails.
    with pytest.raises(faults.VrError):
        env.run(env.run(_reconnect(vr, DOWN, DOWN_VC)).wait(timeout=10, policy=FAST))
    # The right password reconnects.
    env.run(
        env.run(_reconnect(vr, ROTATED, ROTATED_VC, password="Rotated-Passw0rd!")).wait(timeout=10)
    )
    with pytest.raises(faults.VrNotFound):
        env.run(_reconnect(vr, "no-such-pairing"))
    with pytest.raises(faults.VrNotFound):
        env.run(vr.pairing("no-such-pairing"))
    with pytest.raises(faults.VrBadRequest):
        env.run(vr.reconnect_pairing(BROKEN, pair_vc_id=""))
    unprivileged = env.vr(user="no-vr-manage@vsphere.local")
    with pytest.raises(faults.VrForbidden):
        env.run(_reconnect(unprivileged))


def test_wrong_login_is_unauthorized(env: Env) -> None:
    secret = "Bad-Vr-Pa55"
    vr = env.vr(password=secret)
    with pytest.raises(faults.VrUnauthorized) as info:
        env.run(vr.login())
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_vr_task_cannot_be_cancelled(env: Env) -> None:
    vr = env.vr()
    task = env.run(_reconnect(vr))
    with pytest.raises(TaskCancelUnsupported):
        env.run(task.cancel())


def test_timeout_and_resume(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    vr = env.vr()
    task = env.run(_reconnect(vr))
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.3, policy=FAST))
    assert info.value.task_id == task.id and info.value.last_status.kind == "vr"
    assert env.run(vr.task(task.id).status()).state in (TaskState.QUEUED, TaskState.RUNNING)


@pytest.mark.parametrize("rule", [{"status": 503}, {"drop": True}, {"status": 502}])
def test_transient_read_failures_are_survived(
    env: Env, control: Control, rule: dict[str, Any]
) -> None:
    control.fault(surface="vr", operation=READ, count=2, **rule)
    vr = env.vr()
    env.run(env.run(_reconnect(vr)).wait(timeout=10, policy=FAST))
    assert next(r for r in control.rules() if r["operation"] == READ)["fired"] == 2


def test_expired_session_is_re_established(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.3})
    vr = env.vr()
    task = env.run(_reconnect(vr))
    token = vr._session_token
    control.expire_sessions("vr")
    env.run(task.wait(timeout=10, policy=FAST))
    assert vr._session_token != token


def test_progress_reports(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.4})
    reports: list[Any] = []
    vr = env.vr()
    task = env.run(_reconnect(vr))
    env.run(task.wait(timeout=10, policy=FAST, on_progress=reports.append))
    assert [r.final for r in reports].count(True) == 1 and reports[-1].final
    assert reports[-1].state is TaskState.SUCCEEDED and reports[-1].kind == "vr"
