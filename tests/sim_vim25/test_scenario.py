"""The vim25/sms scenario sections, the embedded default inventory, fleets and /_sim/objects."""

from __future__ import annotations

import time
import tracemalloc
from collections import Counter

import httpx
import pytest

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario, ScenarioError
from vreconnect_sim.sms.state import SmsState
from vreconnect_sim.state import SimulatorState
from vreconnect_sim.vim25.state import Vim25State

DEFAULT_HOSTS = {
    "host-101": "connected",
    "host-102": "disconnected",
    "host-103": "notResponding",
    "host-104": "disconnected",
    "host-105": "disconnected",
    "host-106": "disconnected",
    "host-107": "disconnected",
    "host-108": "disconnected",
    "host-109": "disconnected",
    "host-110": "disconnected",
    "host-111": "disconnected",
    "host-112": "disconnected",
    "host-201": "connected",
    "host-202": "connected",
    "host-203": "connected",
    "host-204": "disconnected",
}


def vim25(sim: SimulatorState) -> Vim25State:
    """The vim25 state."""
    state: Vim25State = sim.surface_states["vim25"]
    return state


def test_default_inventory(sim: SimulatorState) -> None:
    state = vim25(sim)
    assert {m: h.connection_state for m, h in state.hosts.items()} == DEFAULT_HOSTS
    assert state.compute_resources["domain-c8"].ha_enabled
    assert not state.compute_resources["domain-c7"].ha_enabled
    assert state.compute_resources["domain-s10"].kind == "standalone"
    assert state.compute_resources["domain-c8"].das_master == "host-203"
    providers: SmsState = sim.surface_states["sms"]
    assert {m: p.status for m, p in providers.providers.items()} == {
        "vasa-1": "online",
        "vasa-2": "disconnected",
        "vasa-3": "disconnected",
        "vasa-4": "disconnected",
    }


def test_thumbprints_are_deterministic(default_scenario: Scenario) -> None:
    a = (
        vim25(get_state(create_app(default_scenario, clock=FakeClock())))
        .hosts["host-106"]
        .thumbprint
    )
    b = (
        vim25(get_state(create_app(default_scenario, clock=FakeClock())))
        .hosts["host-106"]
        .thumbprint
    )
    assert a == b and len(a) == 59


@pytest.mark.parametrize(
    ("yaml_text", "where"),
    [
        ("vim25: {hosts: [{moid: h1, host_name: a.example, parent: c1}]}", "hosts[0].parent"),
        (
            "vim25: {datacenters: [{moid: dc, name: dc}], compute_resources: "
            "[{moid: c1, name: c, datacenter: dc}], hosts: [{moid: h1, host_name: a.example, "
            "parent: c1, connection_state: sleeping}]}",
            "vim25.hosts[0].connection_state",
        ),
        ("vim25: {hostz: []}", "vim25.hostz"),
        (
            "vim25: {compute_resources: [{moid: c1, name: c, datacenter: nowhere}]}",
            "compute_resources[0].datacenter",
        ),
        (
            "vim25: {datacenters: [{moid: dc, name: dc}], compute_resources: "
            "[{moid: c1, name: c, datacenter: dc}], hosts: [{moid: h1, host_name: 'bad name', parent: c1}]}",
            "vim25.hosts[0].host_name",
        ),
        (
            "vim25: {datacenters: [{moid: dc, name: dc}], compute_resources: [{moid: c1, name: c, "
            "datacenter: dc}], hosts: [{moid: h1, host_name: a.example, parent: c1, "
            "das_misconfig: {reason: Bogus}}]}",
            "vim25.hosts[0].das_misconfig.reason",
        ),
        ("vim25: {datacenters: [{moid: dc, name: a}, {moid: dc, name: b}]}", "datacenters[1].moid"),
        (
            "sms: {providers: [{moid: v, name: v, url: u, status: asleep}]}",
            "sms.providers[0].status",
        ),
        (
            "sms: {providers: [{moid: v, name: v, url: u}, {moid: v, name: w, url: u}]}",
            "providers[1].moid",
        ),
        ("vim25: {fleet: {mix: {disconnected: 0}}}", "vim25.fleet.mix"),
    ],
)
def test_invalid_scenarios_name_the_key(yaml_text: str, where: str) -> None:
    with pytest.raises(ScenarioError) as err:
        Scenario.from_yaml(yaml_text, source="bad.yaml")
    assert where in str(err.value), str(err.value)
    assert str(err.value).startswith("bad.yaml: ")


def test_fleet_of_ten_thousand_hosts(default_scenario: Scenario) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    app = create_app(default_scenario, hosts=10_000, seed=7, clock=FakeClock())
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    state = vim25(get_state(app))
    fleet = [h for h in state.hosts.values() if h.parent == "domain-c100"]
    assert len(fleet) == 10_000
    assert len(state.hosts) == 10_000 + len(DEFAULT_HOSTS)
    assert elapsed < 3.0, elapsed  # well under a second on an idle machine
    assert peak < 200 * 1024 * 1024, peak
    states = Counter(h.connection_state for h in fleet)
    assert states["disconnected"] > states["connected"] > states["notResponding"] > 0
    assert sum(1 for h in fleet if not h.reachable) > 0
    assert sum(1 for h in fleet if not h.ca_trusted) > 0
    # Deterministic by seed.
    again = vim25(get_state(create_app(default_scenario, hosts=10_000, seed=7, clock=FakeClock())))
    assert [h.connection_state for h in again.hosts.values()] == [
        h.connection_state for h in state.hosts.values()
    ]


async def test_objects_view_and_patch(control: httpx.AsyncClient) -> None:
    listed = (
        await control.get("/objects", params={"surface": "vim25", "type": "HostSystem"})
    ).json()
    assert listed["total"] == len(DEFAULT_HOSTS)
    view = (await control.get("/objects/vim25/host-106")).json()
    assert view["ca_trusted"] is False and view["password"] == "********"
    assert view["certificate_generation"] == 2
    patched = await control.patch("/objects/vim25/host-106", json={"certificate_generation": 3})
    assert patched.json()["thumbprint"] != view["thumbprint"]
    override = ":".join(["0A"] * 20)
    assert (
        await control.patch("/objects/vim25/host-106", json={"thumbprint": override.lower()})
    ).json()["thumbprint"] == override
    for bad in (
        {"connection_state": "sleeping"},
        {"nope": 1},
        {"thumbprint": "12:34"},
        {"reachable": None},
        {"das_state": "master"},  # host-106 is not in an HA cluster
        {"aliases": ["bad name"]},
        {"das_misconfig": {"reason": "Bogus"}},
    ):
        resp = await control.patch("/objects/vim25/host-106", json=bad)
        assert resp.status_code == 422, (bad, resp.text)
    assert (
        await control.patch("/objects/vim25/host-999", json={"reachable": False})
    ).status_code == 404
    assert (
        await control.patch("/objects/vim25/datacenter-3", json={"name": "x"})
    ).status_code == 422
    assert (
        await control.patch("/objects/vim25/domain-s10", json={"ha_enabled": True})
    ).status_code == 422
    sms = (await control.get("/objects/sms/vasa-3")).json()
    assert sms["certificate_expired"] is True
    assert (
        await control.patch("/objects/sms/vasa-3", json={"status": "asleep"})
    ).status_code == 422
    fixed = await control.patch(
        "/objects/sms/vasa-3", json={"certificate_expiry": "2030-01-01T00:00:00Z"}
    )
    assert fixed.json()["certificate_expired"] is False
