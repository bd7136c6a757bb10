"""A read-only session is refused where the page says a privilege is needed.

The suite's ``privilege_required`` check does this for whatever call first succeeds in a run;
these tests pin it down for each privileged operation explicitly: the request that succeeds for
the administrator is refused for ``readonly@vsphere.local`` (NoPermission naming the page's
privilege on VI/JSON, 403 on the REST surfaces), changes nothing, and the same read-only session
can still read. Sessions come from the real logins (:class:`vreconnect.contract.sessions.SessionBroker`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from vreconnect.contract import SURFACES, Target
from vreconnect.contract.runner import DEFAULT_RELEASE, load_document
from vreconnect.contract.sessions import SessionBroker
from vreconnect.contract.simulator import embedded_simulator

from .conftest import ADMIN, READONLY

VIM = f"/sdk/vim25/{DEFAULT_RELEASE}"
BROKEN_PAIRING = "e30d7438-0a92-449a-a4d6-7c9a623e01db"  # default.yaml: broken but healthy


def _example(document: str, operation_id: str) -> Any:
    _, spec = load_document(SURFACES[document])
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                media = op["requestBody"]["content"]["application/json"]
                # `example`, or the working one of named `examples` (specs/CONVENTIONS.md).
                return (
                    media["example"]
                    if "example" in media
                    else media["examples"]["realistic"]["value"]
                )
    raise LookupError(operation_id)


@dataclass(frozen=True)
class Privileged:
    """One privileged call, and a read showing whether it changed anything."""

    surface: str
    operation: str
    path: str
    privilege: str
    body: Any = None
    state_path: str | None = None
    state_key: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.operation


CALLS = [
    # Page 000: "Required privileges: Host.Config.Connection". host-102 is disconnected and
    # healthy in the default scenario: the administrator's reconnect succeeds.
    Privileged(
        "vim25",
        "ReconnectHost_Task",
        f"{VIM}/HostSystem/host-102/ReconnectHost_Task",
        "Host.Config.Connection",
        body={},
        state_path=f"{VIM}/HostSystem/host-102/runtime",
        state_key=("connectionState",),
    ),
    # Page 001: "Required privileges: Host.Config.Connection" (host-203: HA master, healthy).
    Privileged(
        "vim25",
        "ReconfigureHostForDAS_Task",
        f"{VIM}/HostSystem/host-203/ReconfigureHostForDAS_Task",
        "Host.Config.Connection",
    ),
    # Not on the pages (real product): DisconnectHost_Task needs Host.Config.Connection too.
    Privileged(
        "vim25",
        "DisconnectHost_Task",
        f"{VIM}/HostSystem/host-101/DisconnectHost_Task",
        "Host.Config.Connection",
        state_path=f"{VIM}/HostSystem/host-101/runtime",
        state_key=("connectionState",),
    ),
    # Page 002: "Required privileges: StorageViews.ConfigureService" (vasa-2: disconnected).
    Privileged(
        "sms",
        "VasaProviderReconnect_Task",
        f"{VIM}/sms/VasaProvider/vasa-2/VasaProviderReconnect_Task",
        "StorageViews.ConfigureService",
        state_path=f"{VIM}/sms/VasaProvider/vasa-2/QueryProviderInfo",
        state_key=("status",),
    ),
    # Page 003: "Operation execution requires the Global.VCServer privilege" -> 403 unauthorized.
    Privileged(
        "vcenter",
        "vcha_cluster_passive_redeploy_task",
        "/rest/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
        "Global.VCServer",
        body=_example("vcenter", "vcha_cluster_passive_redeploy_task"),
        state_path="/rest/vcenter/vcha/cluster?action=get",
        state_key=("value", "health_state"),
    ),
    # Page 004 names no privilege but documents 403 "not sufficient access rights"; the
    # simulator requires VRMRemote.Manage (docs/design.md).
    Privileged(
        "vr",
        "reconnect_pairing",
        f"/api/rest/vr/v2/pairings/{BROKEN_PAIRING}/actions/reconnect",
        "VRMRemote.Manage",
        body=_example("vr", "reconnect_pairing"),
        state_path=f"/api/rest/vr/v2/pairings/{BROKEN_PAIRING}",
        state_key=("remote_vrms", "server_status"),
    ),
]

# A read each surface allows any logged-in user (System.Read / no privilege).
READS = {
    "vim25": ("GET", f"{VIM}/HostSystem/host-101/runtime"),
    "sms": ("POST", f"{VIM}/sms/VasaProvider/vasa-1/QueryProviderInfo"),
    "vcenter": ("POST", "/rest/vcenter/vcha/cluster?action=get"),
    "vr": ("GET", "/api/rest/vr/v2/pairings"),
}


@pytest.fixture
def target() -> Iterator[Target]:
    with embedded_simulator() as t:
        yield t


def _session(target: Target, surface: str, readonly: bool) -> dict[str, str]:
    spec = SURFACES[surface]
    broker = SessionBroker(spec, target, DEFAULT_RELEASE)
    token = broker.token(READONLY if readonly else ADMIN)
    assert spec.session_header is not None
    return {spec.session_header: token}


def _state(target: Target, call: Privileged, headers: dict[str, str]) -> Any:
    assert call.state_path is not None
    method = "GET" if call.surface in ("vim25", "vr") else "POST"
    response = target.request(method, call.state_path, headers=headers)
    assert response.status_code == 200, response.text
    value: Any = response.json()
    for key in call.state_key:
        value = value[key]
    return value


def _call(target: Target, call: Privileged, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if call.body is not None:
        kwargs["json"] = call.body
    return target.request("POST", call.path, **kwargs)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_readonly_session_is_refused(target: Target, call: Privileged) -> None:
    """The read-only user gets NoPermission / 403, and nothing changes."""
    readonly = _session(target, call.surface, readonly=True)
    before = _state(target, call, readonly) if call.state_path else None

    refused = _call(target, call, readonly)

    forbidden = SURFACES[call.surface].forbidden
    assert forbidden is not None
    body = refused.json()
    assert forbidden.matches(refused.status_code, body), (refused.status_code, refused.text)
    if forbidden.fault is not None:
        # VI/JSON: NoPermission names the privilege the page requires.
        assert body["privilegeId"] == call.privilege
    if call.state_path:
        assert _state(target, call, readonly) == before


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_administrator_is_not_refused(target: Target, call: Privileged) -> None:
    """The very same request succeeds for the administrator: the refusal is the privilege."""
    response = _call(target, call, _session(target, call.surface, readonly=False))
    assert 200 <= response.status_code < 300, (response.status_code, response.text)


@pytest.mark.parametrize("surface", sorted(READS))
def test_readonly_session_can_read(target: Target, surface: str) -> None:
    """A read-only session is a valid session: reads succeed."""
    method, path = READS[surface]
    response = target.request(method, path, headers=_session(target, surface, readonly=True))
    assert response.status_code == 200, response.text


def test_every_privileged_operation_is_covered() -> None:
    """Every operation a document marks with a privilege (beyond reading) has a test above."""
    from vreconnect.contract.runner import privileged_operations

    documented = {
        op
        for name in READS
        for op in privileged_operations(SURFACES[name], load_document(SURFACES[name])[1])
    }
    assert documented == {call.operation for call in CALLS}
