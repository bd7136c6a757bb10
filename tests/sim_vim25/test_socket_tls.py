"""One end-to-end run over a real TLS socket: login, reconnect, task read, CA-verified."""

from __future__ import annotations

import ssl

import pytest

from vreconnect_generated.clients.vim25 import AuthenticatedClient, Client
from vreconnect_generated.clients.vim25.api.host_system import reconnect_host_task
from vreconnect_generated.clients.vim25.api.session_manager import login
from vreconnect_generated.clients.vim25.api.task import get_task_info
from vreconnect_generated.clients.vim25.models import (
    LoginRequestType,
    MoRefTask,
    ReconnectHostRequestType,
    TaskInfo,
    UserSession,
)
from vreconnect_sim.server import SimulatorServer

from .helpers import ADMIN, PASSWORD, SESSION_HEADER, validate_sync_response


@pytest.mark.socket
def test_login_reconnect_task_over_tls() -> None:
    with SimulatorServer(seed=1, tls=True) as server:
        assert server.ca_file is not None
        context = ssl.create_default_context(cafile=str(server.ca_file))  # verified, not insecure
        hooks = {"event_hooks": {"response": [validate_sync_response]}}
        base = server.url("vim25")
        assert base.startswith("https://")
        with Client(base_url=base, verify_ssl=context, httpx_args=hooks) as anon:
            resp = login.sync_detailed(
                "SessionManager",
                client=anon,
                body=LoginRequestType(user_name=ADMIN, password=PASSWORD),
            )
        assert isinstance(resp.parsed, UserSession)
        token = resp.headers[SESSION_HEADER]
        with AuthenticatedClient(
            base_url=base,
            token=token,
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=context,
            httpx_args=hooks,
        ) as client:
            started = reconnect_host_task.sync_detailed(
                "host-102", client=client, body=ReconnectHostRequestType()
            )
            assert isinstance(started.parsed, MoRefTask)
            info = get_task_info.sync_detailed(started.parsed.value, client=client)
            assert isinstance(info.parsed, TaskInfo)
            assert info.parsed.state == "success"
            assert info.parsed.entity.value == "host-102"
