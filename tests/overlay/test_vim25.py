"""VCenter / AsyncVCenter against the simulator: ReconnectHost_Task, ReconfigureHostForDAS_Task,
sessions, waiting (success, timeout, cancel, transient failures, session expiry, progress)
and the thumbprint (trust on first use) flow. Every test runs sync and async (``env``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.overlay.conftest import ADMIN, FAST, PASSWORD, Control, Env, Recorder, refusals
from vreconnect import (
    ProgressReport,
    TaskCancelled,
    TaskState,
    TaskTimeout,
    TransportError,
    VimTask,
    faults,
)
from vreconnect_generated.clients.vim25.api.host_system import get_host_system_runtime
from vreconnect_generated.clients.vim25.models import HostConnectSpec, HostSystemReconnectSpec

RECONNECT = "ReconnectHost_Task"
DAS = "ReconfigureHostForDAS_Task"

#: Every fault ReconnectHost_Task documents (page 000 plus the generic VI/JSON ones).
RECONNECT_FAULTS = [
    "NotSupported",
    "InvalidLogin",
    "AlreadyBeingManaged",
    "NotEnoughLicenses",
    "NoHost",
    "NotSupportedHost",
    "InvalidState",
    "InvalidName",
    "HostConnectFault",
    "SSLVerifyFault",
    "NotAuthenticated",
    "NoPermission",
    "ManagedObjectNotFound",
    "InvalidArgument",
    "InvalidRequest",
]
#: Every fault ReconfigureHostForDAS_Task documents (page 001 plus the generic ones).
DAS_FAULTS = [
    "NotSupported",
    "DasConfigFault",
    "NotAuthenticated",
    "NoPermission",
    "ManagedObjectNotFound",
    "InvalidArgument",
    "InvalidRequest",
]
_FIELDS: dict[str, dict[str, Any]] = {
    "SSLVerifyFault": {"thumbprint": "AA:" * 19 + "AA", "selfSigned": True},
    "AlreadyBeingManaged": {"ipAddress": "198.51.100.7"},
}


def _fault_class(name: str) -> type[faults.Fault]:
    cls = getattr(faults.vim, name)
    assert issubclass(cls, faults.Fault)
    return cls


# ---------------------------------------------------------------------------- sessions


def test_login_logout_and_repr(env: Env, control: Control) -> None:
    vc = env.vcenter()
    assert not vc.logged_in
    env.run(vc.login())
    assert vc.logged_in
    assert vc.about["apiType"] == "VirtualCenter"
    assert repr(vc) == f"{type(vc).__name__}(url={vc.url!r}, user={ADMIN!r})"
    assert PASSWORD not in repr(vc) and PASSWORD not in str(vc)
    assert PASSWORD not in repr(vars(vc))
    # The generated clients ride the session; their reprs must not show its token.
    for generated in (vc.client, vc.sms_client):
        assert generated.token and generated.token not in repr(generated)
    sessions = control.server.state.session_store("vim25")
    assert len(sessions) == 1
    env.run(vc.close())
    assert vc.closed and not vc.logged_in
    assert len(sessions) == 0  # logged out on close


def test_wrong_password_is_invalid_login_without_the_password(env: Env) -> None:
    secret = "Wr0ng-Secret-Pa55!"
    vc = env.vcenter(password=secret)
    with pytest.raises(faults.InvalidLogin) as info:
        env.run(vc.login())
    assert info.value.operation == "Login"
    for text in (str(info.value), repr(info.value), repr(info.value.safe_raw)):
        assert secret not in text


def test_context_manager_logs_in_and_out(env: Env, control: Control) -> None:
    sessions = control.server.state.session_store("vim25")
    if env.is_async:

        async def use() -> int:
            async with env.vcenter() as vc:
                await vc.host_connection_state("host-101")
                return len(sessions)

        assert env.run(use()) == 1
    else:
        with env.vcenter() as vc:
            vc.host_connection_state("host-101")
            assert len(sessions) == 1
    assert len(sessions) == 0


def test_first_call_logs_in_lazily(env: Env) -> None:
    vc = env.vcenter()
    assert env.run(vc.host_connection_state("host-101")) == "connected"
    assert vc.logged_in


def test_generated_client_is_reachable_on_the_same_session(env: Env) -> None:
    vc = env.vcenter()
    env.run(vc.login())
    if env.is_async:
        response = env.run(get_host_system_runtime.asyncio_detailed("host-102", client=vc.client))
    else:
        response = get_host_system_runtime.sync_detailed("host-102", client=vc.client)
    assert response.status_code == 200
    assert response.parsed.connection_state == "disconnected"


# ---------------------------------------------------------------------------- success


def test_reconnect_host_succeeds(env: Env) -> None:
    vc = env.vcenter()
    assert env.run(vc.host_connection_state("host-102")) == "disconnected"
    task = env.run(vc.reconnect_host("host-102"))
    assert isinstance(task, VimTask) != env.is_async
    assert task.kind == "vim25" and task.id.startswith("task-")
    env.run(task.wait(timeout=10))
    assert task.last_status is not None and task.last_status.state is TaskState.SUCCEEDED
    assert env.run(vc.host_connection_state("host-102")) == "connected"
    status = env.run(task.status())
    assert status.state is TaskState.SUCCEEDED and status.progress == 100
    runtime = env.run(vc.host_runtime("host-102"))
    assert runtime.connection_state == "connected"


def test_reconnect_with_keywords_and_models(env: Env) -> None:
    vc = env.vcenter()
    # host-105's stored credentials are stale: the page's cnxSpec fields fix it.
    task = env.run(vc.reconnect_host("host-105", user_name="root", password="Rotated-Pa55!"))
    env.run(task.wait(timeout=10))
    assert env.run(vc.host_connection_state("host-105")) == "connected"
    # The generated models are accepted too.
    spec = HostConnectSpec(host_name="192.0.2.111")
    task = env.run(
        vc.reconnect_host(
            "host-111", cnx_spec=spec, reconnect_spec=HostSystemReconnectSpec(sync_state=True)
        )
    )
    env.run(task.wait(timeout=10))
    assert env.run(vc.host_connection_state("host-111")) == "connected"


def test_keyword_and_model_conflict_is_a_type_error(env: Env) -> None:
    vc = env.vcenter()
    with pytest.raises(TypeError):
        env.run(vc.reconnect_host("host-102", host_name="x", cnx_spec=HostConnectSpec()))
    with pytest.raises(TypeError):
        env.run(
            vc.reconnect_host("host-102", sync_state=True, reconnect_spec=HostSystemReconnectSpec())
        )


def test_reconfigure_host_for_das_succeeds(env: Env) -> None:
    vc = env.vcenter()
    env.run(env.run(vc.reconfigure_host_for_das("host-203")).wait(timeout=10))


def test_disconnect_then_reconnect(env: Env) -> None:
    vc = env.vcenter()
    env.run(env.run(vc.disconnect_host("host-101")).wait(timeout=10))
    assert env.run(vc.host_connection_state("host-101")) == "disconnected"
    env.run(env.run(vc.reconnect_host("host-101")).wait(timeout=10))
    assert env.run(vc.host_connection_state("host-101")) == "connected"


# ---------------------------------------------------------------------------- faults


@pytest.mark.parametrize("name", RECONNECT_FAULTS)
def test_reconnect_fault_via_call(env: Env, control: Control, name: str) -> None:
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        fault=name,
        fault_fields=_FIELDS.get(name, {}),
        count=refusals(name),
    )
    vc = env.vcenter()
    with pytest.raises(_fault_class(name)) as info:
        env.run(vc.reconnect_host("host-102"))
    fault = info.value
    assert type(fault) is _fault_class(name)
    assert fault.operation == RECONNECT and fault.status == 500 and fault.task_id is None
    assert control.rule(RECONNECT)["matched"] == refusals(name)  # resent only after a refusal


@pytest.mark.parametrize("name", RECONNECT_FAULTS)
def test_reconnect_fault_via_task(env: Env, control: Control, name: str) -> None:
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        where="task",
        fault=name,
        fault_fields=_FIELDS.get(name, {}),
        count=1,
    )
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    with pytest.raises(_fault_class(name)) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    fault = info.value
    assert type(fault) is _fault_class(name)
    assert fault.task_id == task.id and fault.status is None
    assert fault.operation == RECONNECT
    status = env.run(task.status())
    assert status.state is TaskState.FAILED and isinstance(status.error, _fault_class(name))


@pytest.mark.parametrize("name", DAS_FAULTS)
def test_das_fault_via_call(env: Env, control: Control, name: str) -> None:
    control.fault(surface="vim25", operation=DAS, fault=name, count=refusals(name))
    vc = env.vcenter()
    with pytest.raises(_fault_class(name)) as info:
        env.run(vc.reconfigure_host_for_das("host-203"))
    assert info.value.operation == DAS and info.value.task_id is None
    assert control.rule(DAS)["matched"] == refusals(name)


@pytest.mark.parametrize("name", DAS_FAULTS)
def test_das_fault_via_task(env: Env, control: Control, name: str) -> None:
    control.fault(surface="vim25", operation=DAS, where="task", fault=name, count=1)
    vc = env.vcenter()
    task = env.run(vc.reconfigure_host_for_das("host-203"))
    with pytest.raises(_fault_class(name)) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert info.value.task_id == task.id


@pytest.mark.parametrize(
    ("host", "fault", "channel"),
    [
        ("host-104", faults.NoHost, "task"),
        ("host-105", faults.InvalidLogin, "task"),
        ("host-106", faults.SSLVerifyFault, "task"),
        ("host-107", faults.AlreadyBeingManaged, "task"),
        ("host-108", faults.NotSupportedHost, "task"),
        ("host-109", faults.NotEnoughLicenses, "task"),
        ("host-112", faults.HostConnectFault, "task"),
        ("host-101", faults.InvalidState, "call"),
        ("host-103", faults.InvalidState, "call"),
        ("host-110", faults.NotSupported, "call"),
        ("host-999", faults.ManagedObjectNotFound, "call"),
    ],
)
def test_reconnect_scenario_faults(env: Env, host: str, fault: type, channel: str) -> None:
    """The default scenario's hosts, each demonstrating one documented outcome."""
    vc = env.vcenter()
    with pytest.raises(fault) as info:
        env.run(env.run(vc.reconnect_host(host)).wait(timeout=10, policy=FAST))
    assert type(info.value) is fault
    assert (info.value.task_id is not None) == (channel == "task")


def test_invalid_name_and_das_config_fault_from_the_scenario(env: Env) -> None:
    vc = env.vcenter()
    with pytest.raises(faults.InvalidName):
        env.run(vc.reconnect_host("host-102", host_name="bad name!"))
    with pytest.raises(faults.DasConfigFault) as info:
        env.run(env.run(vc.reconfigure_host_for_das("host-201")).wait(timeout=10))
    assert info.value.reason == "HostNetworkMisconfiguration"
    assert info.value.task_id is not None
    with pytest.raises(faults.NotSupported):
        env.run(vc.reconfigure_host_for_das("host-102"))  # cluster without vSphere HA


def test_no_permission_for_a_user_without_the_privilege(env: Env) -> None:
    vc = env.vcenter(user="no-host-config@vsphere.local")
    with pytest.raises(faults.NoPermission) as info:
        env.run(vc.reconnect_host("host-102"))
    assert info.value.status == 500


def test_fault_messages_never_show_the_host_password(env: Env, control: Control) -> None:
    secret = "H0st-Secret-Pa55!"
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        where="task",
        fault="InvalidLogin",
        message=f"login as root with {secret} failed",
        count=1,
    )
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102", user_name="root", password=secret))
    assert secret not in repr(task)
    with pytest.raises(faults.InvalidLogin) as info:
        env.run(task.wait(timeout=10))
    for text in (str(info.value), repr(info.value), repr(info.value.safe_raw)):
        assert secret not in text


# ---------------------------------------------------------------------------- thumbprint flow


def test_ssl_verify_fault_without_callback_is_raised(env: Env) -> None:
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-106"))
    with pytest.raises(faults.SSLVerifyFault) as info:
        env.run(task.wait(timeout=10))
    assert info.value.thumbprint and info.value.self_signed is True


def test_accepting_the_thumbprint_reconnects(env: Env) -> None:
    seen: list[faults.SSLVerifyFault] = []

    def accept(fault: faults.SSLVerifyFault) -> bool:
        seen.append(fault)
        return True

    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-106", accept_thumbprint=accept))
    first_id = task.id
    env.run(task.wait(timeout=10))
    assert len(seen) == 1 and seen[0].thumbprint
    assert task.id != first_id  # the wait continued on the replacement task
    assert env.run(vc.host_connection_state("host-106")) == "connected"


def test_rejecting_the_thumbprint_raises_the_fault(env: Env) -> None:
    calls: list[str | None] = []
    vc = env.vcenter()
    task = env.run(
        vc.reconnect_host(
            "host-106", accept_thumbprint=lambda f: calls.append(f.thumbprint) is not None
        )
    )
    with pytest.raises(faults.SSLVerifyFault):
        env.run(task.wait(timeout=10))
    assert len(calls) == 1
    assert env.run(vc.host_connection_state("host-106")) == "disconnected"


def test_thumbprint_accepted_when_the_call_itself_raises(env: Env, control: Control) -> None:
    thumb = "12:" * 19 + "34"
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        fault="SSLVerifyFault",
        fault_fields={"thumbprint": thumb, "selfSigned": True},
        count=1,
    )
    offered: list[str | None] = []
    vc = env.vcenter()
    task = env.run(
        vc.reconnect_host(
            "host-102", accept_thumbprint=lambda f: offered.append(f.thumbprint) or True
        )
    )
    env.run(task.wait(timeout=10))
    assert offered == [thumb]


def test_thumbprint_retry_happens_only_once(env: Env, control: Control) -> None:
    control.fault(
        surface="vim25",
        operation=RECONNECT,
        where="task",
        fault="SSLVerifyFault",
        fault_fields={"thumbprint": "AB:" * 19 + "CD", "selfSigned": True},
        count=2,
    )
    offered: list[str | None] = []
    vc = env.vcenter()
    task = env.run(
        vc.reconnect_host(
            "host-102", accept_thumbprint=lambda f: offered.append(f.thumbprint) or True
        )
    )
    with pytest.raises(faults.SSLVerifyFault):
        env.run(task.wait(timeout=10))
    assert len(offered) == 1


def test_progress_reports_one_final_across_a_thumbprint_retry(env: Env) -> None:
    reports: list[ProgressReport] = []
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-106", accept_thumbprint=lambda f: True))
    env.run(task.wait(timeout=10, on_progress=reports.append))
    finals = [r for r in reports if r.final]
    assert len(finals) == 1 and finals[0] is reports[-1]
    assert finals[0].state is TaskState.SUCCEEDED and finals[0].task_id == task.id


# ---------------------------------------------------------------------------- waiting


def test_timeout_carries_task_id_and_last_status_and_can_resume(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.3, policy=FAST))
    assert info.value.task_id == task.id
    assert info.value.last_status.state in (TaskState.QUEUED, TaskState.RUNNING)
    resumed = vc.task(info.value.task_id)
    assert env.run(resumed.status()).state in (TaskState.QUEUED, TaskState.RUNNING)


def test_cancel_then_wait_raises_task_cancelled(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.cancel())
    with pytest.raises(TaskCancelled) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert info.value.task_id == task.id
    assert env.run(task.status()).state is TaskState.CANCELLED


def test_cancel_of_a_finished_task_is_invalid_state(env: Env) -> None:
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.wait(timeout=10))
    with pytest.raises(faults.InvalidState) as info:
        env.run(task.cancel())
    assert info.value.operation == "CancelTask"


def test_progress_reports_changes_and_exactly_one_final(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.4})
    reports: list[ProgressReport] = []
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.wait(timeout=10, policy=FAST, on_progress=reports.append))
    assert reports and all(r.task_id == task.id and r.kind == "vim25" for r in reports)
    assert [r.final for r in reports].count(True) == 1 and reports[-1].final
    assert reports[-1].state is TaskState.SUCCEEDED and reports[-1].progress == 100
    assert any(r.state is TaskState.RUNNING for r in reports[:-1])


@pytest.mark.parametrize("rule", [{"status": 503}, {"drop": True}, {"status": 502}])
def test_transient_task_read_failures_are_survived(
    env: Env, control: Control, rule: dict[str, Any]
) -> None:
    control.fault(surface="vim25", operation="GetTaskInfo", count=3, **rule)
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.wait(timeout=10, policy=FAST))
    fired = next(r for r in control.rules() if r["operation"] == "GetTaskInfo")["fired"]
    assert fired == 3


def test_slow_task_reads_time_out_and_are_retried(env: Env, control: Control) -> None:
    # Over the socket in both modes: ASGITransport has no request timeouts.
    control.fault(surface="vim25", operation="GetTaskInfo", latency_ms=600, count=1)
    vc = env.vcenter(timeout=0.2, socket=True)
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.wait(timeout=10, policy=FAST))
    assert next(r for r in control.rules() if r["operation"] == "GetTaskInfo")["fired"] == 1


def test_calls_that_start_work_are_never_retried(env: Env, control: Control) -> None:
    control.fault(surface="vim25", operation=RECONNECT, status=503, count=1)
    vc = env.vcenter()
    with pytest.raises(TransportError):
        env.run(vc.reconnect_host("host-102"))
    assert env.run(vc.host_connection_state("host-102")) == "disconnected"
    rule = next(r for r in control.rules() if r["operation"] == RECONNECT)
    assert rule["matched"] == 1


def test_expired_session_is_re_established_during_a_wait(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.3})
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    first_token = vc._session_token
    control.expire_sessions("vim25")
    env.run(task.wait(timeout=10, policy=FAST))
    assert vc._session_token != first_token


def test_task_wait_survives_deleted_sessions_by_logging_in_once(env: Env, control: Control) -> None:
    """``DELETE /_sim/sessions`` over a real socket: the wait re-logs in once and goes on."""
    recorder = Recorder(env)
    control.durations({RECONNECT: 0.3})
    vc = env.vcenter(socket=True, transport=recorder.transport())
    task = env.run(vc.reconnect_host("host-102"))
    first_token = vc._session_token
    assert control.invalidate_sessions("vim25") == {"invalidated": 1, "stores": {"vim25": 1}}
    env.run(task.wait(timeout=10, policy=FAST))
    assert vc._session_token != first_token
    logins = recorder.calls("/SessionManager/SessionManager/Login")
    assert [e.status for e in logins] == [200, 200]  # the first login, and one re-login
    reads = recorder.calls(f"/Task/{task.id}/info")
    assert reads[0].status == 500 and reads[0].received <= logins[1].sent  # NotAuthenticated
    assert all(e.status == 200 for e in reads[1:]) and reads[-1].sent >= logins[1].received
    assert control.object("vim25", "host-102")["connection_state"] == "connected"


def test_retry_after_on_task_reads_delays_the_next_read(env: Env, control: Control) -> None:
    """A 503 with ``Retry-After: 1`` on a task read: the next read waits at least 1 s (far
    longer than the FAST policy's 0.1 s cap), then the wait succeeds."""
    recorder = Recorder(env)
    control.fault(surface="vim25", operation="GetTaskInfo", status=503, retry_after=1, count=1)
    vc = env.vcenter(socket=True, transport=recorder.transport())
    task = env.run(vc.reconnect_host("host-102"))
    env.run(task.wait(timeout=10, policy=FAST))
    reads = recorder.calls(f"/Task/{task.id}/info")
    assert [e.status for e in reads] == [503, 200]
    gap = reads[1].sent - reads[0].received
    assert 1.0 - 0.01 <= gap < 5.0  # 10 ms of slack for the event loop's clock resolution
    assert control.object("vim25", "host-102")["connection_state"] == "connected"


def test_session_is_re_established_only_once(env: Env, control: Control) -> None:
    control.fault(surface="vim25", operation="GetTaskInfo", fault="NotAuthenticated", count=2)
    vc = env.vcenter()
    task = env.run(vc.reconnect_host("host-102"))
    with pytest.raises(faults.NotAuthenticated):
        env.run(task.wait(timeout=10, policy=FAST))


def test_reads_re_login_after_expiry(env: Env, control: Control) -> None:
    vc = env.vcenter()
    env.run(vc.login())
    control.expire_sessions("vim25")
    assert env.run(vc.host_connection_state("host-101")) == "connected"


def test_closed_connection_refuses_calls(env: Env) -> None:
    from vreconnect import VReconnectError

    vc = env.vcenter()
    env.run(vc.close())
    with pytest.raises(VReconnectError):
        env.run(vc.reconnect_host("host-102"))


def test_unknown_release_fails_clearly(env: Env) -> None:
    vc = env.vcenter(release="9.9.9.9")
    with pytest.raises(faults.Fault):
        env.run(vc.login())


def test_wait_all_collects_results_in_order(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.2})
    vc = env.vcenter()
    handles = [env.run(vc.reconnect_host(h)) for h in ("host-102", "host-104", "host-109")]
    outcomes = env.wait_all(handles, concurrency=2, timeout=10, policy=FAST)
    assert [o.index for o in outcomes] == [0, 1, 2]
    assert [o.handle for o in outcomes] == handles
    assert outcomes[0].ok and outcomes[0].status.state is TaskState.SUCCEEDED
    assert isinstance(outcomes[1].error, faults.NoHost)
    assert isinstance(outcomes[2].error, faults.NotEnoughLicenses)


def test_wait_all_shares_one_deadline(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    vc = env.vcenter()
    handles = [env.run(vc.reconnect_host(h)) for h in ("host-102", "host-105")]
    outcomes = env.wait_all(handles, concurrency=1, timeout=0.3, policy=FAST)
    assert all(isinstance(o.error, TaskTimeout) for o in outcomes)
    assert [o.error.task_id for o in outcomes] == [h.id for h in handles]


def test_login_with_an_unknown_user_is_invalid_login(env: Env) -> None:
    vc = env.vcenter(user="nobody@vsphere.local")
    with pytest.raises(faults.InvalidLogin):
        env.run(vc.login())
