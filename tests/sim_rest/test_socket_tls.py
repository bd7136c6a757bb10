"""Both REST surfaces over a real TLS socket, through the generated (sync) clients."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator

import pytest

from vreconnect_generated.clients.vcenter import AuthenticatedClient as VcClient
from vreconnect_generated.clients.vcenter.api.session import cis_session_create
from vreconnect_generated.clients.vcenter.api.tasks import cis_tasks_get
from vreconnect_generated.clients.vcenter.api.vcha import (
    vcha_cluster_get,
    vcha_cluster_passive_redeploy_task,
)
from vreconnect_generated.clients.vcenter.models import (
    CisSessionCreateResponse,
    CisTasksGetResponse,
    VchaClusterGetResponse,
    VchaClusterPassiveRedeployTaskRequest,
    VchaClusterPassiveRedeployTaskResponse,
)
from vreconnect_generated.clients.vr import AuthenticatedClient as VrClient
from vreconnect_generated.clients.vr.api.pairings import reconnect_pairing
from vreconnect_generated.clients.vr.api.session import login as vr_login
from vreconnect_generated.clients.vr.api.tasks import get_task
from vreconnect_generated.clients.vr.models import PairingSpec, SessionIdData, TaskDrResponseEntity
from vreconnect_sim.app import create_app
from vreconnect_sim.server import SimulatorServer
from vreconnect_sim.tasks import TaskSettings

from .support import ADMIN, PAIRING_BROKEN, PASSWORD, REDEPLOY_EXAMPLE, basic, pairing_body

pytestmark = pytest.mark.socket


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    """A TLS simulator on a free port, validating its responses; tasks take 0.2 s."""
    app = create_app(seed=1, validate_responses=True)
    with SimulatorServer(app=app, tls=True) as running:
        running.state.tasks.settings = TaskSettings(default=0.2)
        yield running
        assert running.state.spec_violations == []


def test_login_redeploy_and_task_read_over_verified_tls(server: SimulatorServer) -> None:
    assert server.ca_file is not None
    verify = ssl.create_default_context(cafile=str(server.ca_file))  # no verify=False anywhere

    with VcClient(
        base_url=server.url("vcenter"),
        token=basic(ADMIN, PASSWORD),
        prefix="Basic",
        verify_ssl=verify,
    ) as basic_client:
        created = cis_session_create.sync_detailed(client=basic_client)
    assert isinstance(created.parsed, CisSessionCreateResponse), created.content

    with VcClient(
        base_url=server.url("vcenter"),
        token=created.parsed.value,
        prefix="",
        auth_header_name="vmware-api-session-id",
        verify_ssl=verify,
    ) as client:
        started = vcha_cluster_passive_redeploy_task.sync_detailed(
            client=client,
            body=VchaClusterPassiveRedeployTaskRequest.from_dict(REDEPLOY_EXAMPLE),
            vmw_task="true",
            action="redeploy",
        )
        assert isinstance(started.parsed, VchaClusterPassiveRedeployTaskResponse), started.content
        deadline = time.monotonic() + 10
        while True:
            read = cis_tasks_get.sync_detailed(started.parsed.value, client=client)
            assert isinstance(read.parsed, CisTasksGetResponse), read.content
            status = read.parsed.value.status
            if status in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
                break
            assert status in ("PENDING", "RUNNING")
            time.sleep(0.05)
        assert status == "SUCCEEDED"
        info = vcha_cluster_get.sync_detailed(client=client, action="get")
        assert isinstance(info.parsed, VchaClusterGetResponse)
        assert info.parsed.value.health_state == "HEALTHY"

    # The VR surface answers on the same port.
    with VrClient(
        base_url=server.url("vr"), token=basic(ADMIN, PASSWORD), prefix="Basic", verify_ssl=verify
    ) as basic_client:
        session = vr_login.sync_detailed(client=basic_client)
    assert isinstance(session.parsed, SessionIdData)
    with VrClient(
        base_url=server.url("vr"),
        token=session.parsed.session_id,
        prefix="",
        auth_header_name="x-dr-session",
        verify_ssl=verify,
    ) as client:
        reconnect = reconnect_pairing.sync_detailed(
            PAIRING_BROKEN,
            client=client,
            body=PairingSpec.from_dict(pairing_body(PAIRING_BROKEN)),
        )
        assert reconnect.status_code == 202
        assert isinstance(reconnect.parsed, TaskDrResponseEntity)
        time.sleep(0.25)
        done = get_task.sync_detailed(reconnect.parsed.id, client=client)
        assert isinstance(done.parsed, TaskDrResponseEntity)
        assert done.parsed.status == "SUCCESS"
