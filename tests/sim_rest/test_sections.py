"""Scenario sections of the two surfaces and their rendering of unrouted requests."""

from __future__ import annotations

import httpx
import pytest

from vreconnect_sim.app import create_app
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario, ScenarioError
from vreconnect_sim.vcenter.rules import prefix_of_mask

from .support import REDEPLOY_EXAMPLE, VCENTER, VR, basic


@pytest.mark.parametrize(
    ("mask", "prefix"),
    [("255.255.255.0", 24), ("0.0.0.0", 0), ("255.255.255.255", 32), ("255.0.255.0", None)],
)
def test_prefix_of_mask(mask: str, prefix: int | None) -> None:
    assert prefix_of_mask(mask) == prefix


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("vcenter:\n  cluster: {health_state: SICK}\n", "vcenter.cluster.health_state"),
        ("vcenter:\n  cluster: {config_state: CONFIGURED}\n", "vcenter.cluster"),
        ("vcenter:\n  bogus: 1\n", "vcenter.bogus"),
        (
            "vcenter:\n  inventory:\n    hosts: [{id: h, name: a}]\n    folders: [{id: h, name: b}]\n",
            "duplicate inventory id",
        ),
        ("vr:\n  pairings: [{pairing_id: p}]\n", "vr.pairings[0].remote_vc_server"),
        (
            "vr:\n  pairings:\n"
            + (
                "    - {pairing_id: p, remote_vc_server: {id: a, url: u, name: n},"
                " remote_vrms: {id: b, url: u, name: n}, remote_psc: {url: u}}\n"
            )
            * 2,
            "duplicate pairing_id",
        ),
    ],
)
def test_bad_sections_are_scenario_errors_naming_the_key(text: str, where: str) -> None:
    with pytest.raises(ScenarioError, match=r"t\.yaml") as info:
        Scenario.from_yaml(text, "t.yaml")
    assert where in str(info.value)


async def test_without_sections_the_cluster_is_unconfigured_and_there_are_no_pairings() -> None:
    app = create_app(Scenario.from_yaml("settings: {seed: 3}\n"), clock=FakeClock())
    transport = httpx.ASGITransport(app=app)
    auth = {"Authorization": "Basic " + basic("administrator@vsphere.local", "VMware1!")}
    async with httpx.AsyncClient(transport=transport, base_url=VCENTER) as rest:
        token = (await rest.post("/com/vmware/cis/session", headers=auth)).json()["value"]
        headers = {"vmware-api-session-id": token}
        info = await rest.post("/vcenter/vcha/cluster?action=get", headers=headers)
        assert info.json() == {"value": {"config_state": "NOTCONFIGURED"}}
        body = {"spec": {"placement": {"name": "p", "folder": "group-v4"}}}
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers=headers,
            json=body,
        )
        assert refused.status_code == 400  # group-v4 is not in this (empty) inventory
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers=headers,
            json={"spec": {"placement": {"name": "p", "folder": "f"}}},
        )
        assert refused.status_code == 400
    async with httpx.AsyncClient(transport=transport, base_url=VR) as vr:
        session = (await vr.post("/session", headers=auth)).json()["session_id"]
        listed = await vr.get("/pairings", headers={"x-dr-session": session})
        assert listed.json() == {"list": [], "_meta": {"total_count": 0, "errors": []}}


async def test_unconfigured_cluster_refuses_redeploy_with_error() -> None:
    yaml_text = (
        "vcenter:\n  inventory:\n    folders: [{id: group-v4, name: vm}]\n"
        "  cluster: {config_state: NOTCONFIGURED}\n"
    )
    app = create_app(Scenario.from_yaml(yaml_text), clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VCENTER) as rest:
        auth = {"Authorization": "Basic " + basic("administrator@vsphere.local", "VMware1!")}
        token = (await rest.post("/com/vmware/cis/session", headers=auth)).json()["value"]
        body = {"spec": {"placement": {"name": "p", "folder": "group-v4"}}}
        refused = await rest.post(
            "/vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy",
            headers={"vmware-api-session-id": token},
            json=body,
        )
        assert refused.status_code == 500
        assert refused.json()["type"] == "com.vmware.vapi.std.errors.error"
        assert "not configured" in refused.text


async def test_vr_unrouted_paths_and_methods() -> None:
    app = create_app(clock=FakeClock(), validate_responses=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VR) as vr:
        missing = await vr.get("/nothing/here")
        assert missing.status_code == 404 and missing.content == b""
        wrong = await vr.put("/session")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "DELETE, POST"
        assert wrong.json()["error_code"] == "METHOD_NOT_ALLOWED"
        # login documents only 200/401: an oversize login body is refused with 401.
        too_big = await vr.post("/session", content=b"x" * (2 * 1024 * 1024))
        assert too_big.status_code == 401 and too_big.content == b""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=VCENTER) as rest:
        too_big = await rest.post("/com/vmware/cis/session", content=b"x" * (2 * 1024 * 1024))
        assert too_big.status_code == 401
        assert too_big.json()["type"] == "com.vmware.vapi.std.errors.unauthenticated"


def test_the_spec_example_matches_the_default_scenario() -> None:
    # The request example of specs/vcenter.yaml is what the tests use as their valid body.
    import yaml

    from .support import ROOT

    spec = yaml.safe_load((ROOT / "specs" / "vcenter.yaml").read_text(encoding="utf-8"))
    post = spec["paths"]["/vcenter/vcha/cluster/passive"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"] == REDEPLOY_EXAMPLE
