"""VASA provider reconnect (SMS, SmsTask) through VCenter / AsyncVCenter, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from tests.overlay.conftest import FAST, Control, Env, refusals
from vreconnect import TaskCancelUnsupported, TaskState, TaskTimeout, faults

RECONNECT = "VasaProviderReconnect_Task"
READ = "QuerySmsTaskInfo"

#: Every fault VasaProviderReconnect_Task documents (page 002 plus the generic VI/JSON ones).
SMS_FAULTS = [
    "InvalidCertificate",
    "ProviderConnectionFailed",
    "NotAuthenticated",
    "NoPermission",
    "ManagedObjectNotFound",
    "InvalidArgument",
    "InvalidRequest",
]


def _cls(name: str) -> type[faults.Fault]:
    cls = getattr(faults.vim, name)
    assert issubclass(cls, faults.Fault)
    return cls


def test_reconnect_vasa_provider_succeeds(env: Env) -> None:
    vc = env.vcenter()
    assert env.run(vc.vasa_provider_info("vasa-2")).status == "disconnected"
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    assert task.kind == "sms" and task.id.startswith("SmsTask-")
    env.run(task.wait(timeout=10, policy=FAST))
    assert env.run(task.status()).state is TaskState.SUCCEEDED
    assert env.run(vc.vasa_provider_info("vasa-2")).status in ("online", "connected")


@pytest.mark.parametrize("name", SMS_FAULTS)
def test_fault_via_call(env: Env, control: Control, name: str) -> None:
    control.fault(surface="sms", operation=RECONNECT, fault=name, count=refusals(name))
    vc = env.vcenter()
    with pytest.raises(_cls(name)) as info:
        env.run(vc.reconnect_vasa_provider("vasa-2"))
    assert type(info.value) is _cls(name)
    assert info.value.operation == RECONNECT and info.value.status == 500
    assert info.value.task_id is None
    assert control.rule(RECONNECT)["matched"] == refusals(name)


@pytest.mark.parametrize("name", SMS_FAULTS)
def test_fault_via_task(env: Env, control: Control, name: str) -> None:
    control.fault(surface="sms", operation=RECONNECT, where="task", fault=name, count=1)
    vc = env.vcenter()
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    with pytest.raises(_cls(name)) as info:
        env.run(task.wait(timeout=10, policy=FAST))
    assert type(info.value) is _cls(name)
    assert info.value.task_id == task.id and info.value.status is None


@pytest.mark.parametrize(
    ("provider", "fault", "channel", "user"),
    [
        ("vasa-3", faults.InvalidCertificate, "task", None),
        ("vasa-4", faults.ProviderConnectionFailed, "task", None),
        ("vasa-404", faults.ManagedObjectNotFound, "call", None),
        ("vasa-2", faults.NoPermission, "call", "no-storage-views@vsphere.local"),
    ],
)
def test_scenario_faults(
    env: Env, provider: str, fault: type, channel: str, user: str | None
) -> None:
    vc = env.vcenter(**({"user": user} if user else {}))
    with pytest.raises(fault) as info:
        env.run(env.run(vc.reconnect_vasa_provider(provider)).wait(timeout=10, policy=FAST))
    assert (info.value.task_id is not None) == (channel == "task")


def test_invalid_certificate_carries_the_certificate(env: Env) -> None:
    vc = env.vcenter()
    with pytest.raises(faults.InvalidCertificate) as info:
        env.run(env.run(vc.reconnect_vasa_provider("vasa-3")).wait(timeout=10))
    assert info.value.certificate and "BEGIN CERTIFICATE" in info.value.certificate


def test_sms_task_cannot_be_cancelled(env: Env) -> None:
    vc = env.vcenter()
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    with pytest.raises(TaskCancelUnsupported):
        env.run(task.cancel())


def test_timeout_and_resume(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 30})
    vc = env.vcenter()
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    with pytest.raises(TaskTimeout) as info:
        env.run(task.wait(timeout=0.3, policy=FAST))
    assert info.value.task_id == task.id
    assert info.value.last_status.kind == "sms"
    assert env.run(vc.sms_task(task.id).status()).state in (TaskState.QUEUED, TaskState.RUNNING)


@pytest.mark.parametrize("rule", [{"status": 503}, {"drop": True}, {"status": 504}])
def test_transient_read_failures_are_survived(
    env: Env, control: Control, rule: dict[str, Any]
) -> None:
    control.fault(surface="sms", operation=READ, count=2, **rule)
    vc = env.vcenter()
    env.run(env.run(vc.reconnect_vasa_provider("vasa-2")).wait(timeout=10, policy=FAST))
    assert next(r for r in control.rules() if r["operation"] == READ)["fired"] == 2


def test_expired_session_is_re_established(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.3})
    vc = env.vcenter()
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    token = vc._session_token
    control.expire_sessions("vim25")  # SMS shares the vim25 session
    env.run(task.wait(timeout=10, policy=FAST))
    assert vc._session_token != token


def test_progress_has_one_final_report(env: Env, control: Control) -> None:
    control.durations({RECONNECT: 0.3})
    reports: list[Any] = []
    vc = env.vcenter()
    task = env.run(vc.reconnect_vasa_provider("vasa-2"))
    env.run(task.wait(timeout=10, policy=FAST, on_progress=reports.append))
    assert [r.final for r in reports].count(True) == 1 and reports[-1].final
    assert reports[-1].kind == "sms" and reports[-1].state is TaskState.SUCCEEDED
