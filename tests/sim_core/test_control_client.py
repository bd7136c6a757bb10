"""The generated control client drives the simulator, YAML scenario upload included.

openapi-python-client knows no ``application/yaml``; scripts/generator/ maps it to bytes
(``content_type_overrides``) and the spec types the YAML body as binary, so a ``File``
is sent as given.
"""

from __future__ import annotations

import io

from vreconnect_generated.clients.control import Client
from vreconnect_generated.clients.control.api.faults import add_fault_rule
from vreconnect_generated.clients.control.api.objects import get_object
from vreconnect_generated.clients.control.api.simulator import invalidate_sessions, load_scenario
from vreconnect_generated.clients.control.models import (
    FaultRule,
    FaultRuleStatus,
    SessionsInvalidated,
)
from vreconnect_generated.clients.control.types import File
from vreconnect_sim.app import create_app
from vreconnect_sim.server import SimulatorServer

SCENARIO = b"""
vim25:
  datacenters:
    - {moid: datacenter-3, name: dc-east, host_folder: group-h4, vm_folder: group-v4}
  compute_resources:
    - {moid: domain-c7, name: cluster-recovery, datacenter: datacenter-3, kind: cluster}
  hosts:
    - {moid: host-901, host_name: esx-901.example.com, parent: domain-c7, connection_state: disconnected}
"""


def test_yaml_scenario_uploads_through_the_generated_client() -> None:
    with SimulatorServer(tls=True, app=create_app(validate_responses=True)) as server:
        client = Client(base_url=server.url("control"), verify_ssl=server.ssl_context())
        with client:
            loaded = load_scenario.sync_detailed(
                client=client, body=File(payload=io.BytesIO(SCENARIO), mime_type="application/yaml")
            )
            assert loaded.status_code == 200, loaded.content
            host = get_object.sync_detailed("vim25", "host-901", client=client)
            assert host.status_code == 200, host.content
            assert b"esx-901.example.com" in host.content
            missing = get_object.sync_detailed("vim25", "host-101", client=client)
            assert missing.status_code == 404
        assert server.state.spec_violations == []


def test_sessions_and_retry_after_through_the_generated_client() -> None:
    """The control additions downstream tests use: DELETE /sessions, FaultRule.retry_after."""
    app = create_app(validate_responses=True)
    with SimulatorServer(tls=True, app=app) as server:
        admin = server.state.users.get("administrator@vsphere.local")
        assert admin is not None
        server.state.session_store("vr").create(admin)
        client = Client(base_url=server.url("control"), verify_ssl=server.ssl_context())
        with client:
            done = invalidate_sessions.sync(client=client, surface="vr")
            assert isinstance(done, SessionsInvalidated)
            assert done.invalidated == 1 and done.stores.to_dict() == {"vr": 1}
            rule = FaultRule(operation="get_task", status=503, retry_after=2)
            added = add_fault_rule.sync_detailed(client=client, body=rule)
            assert added.status_code == 201, added.content
            assert isinstance(added.parsed, FaultRuleStatus) and added.parsed.retry_after == 2
        assert server.state.spec_violations == []
