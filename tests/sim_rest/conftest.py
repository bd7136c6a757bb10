"""Fixtures for the vcenter (/rest) and vr (/api/rest/vr/v2) surface tests.

Every test gets a simulator on a FakeClock, built with ``validate_responses=True``: it checks
every response against its OpenAPI document (specs/vcenter.yaml, specs/vr.yaml) and records
violations in ``SimulatorState.spec_violations``; the ``target`` fixture fails the test if
there is any. Calls go through the generated attrs clients (``asyncio_detailed``): to a fresh
in-process app, and for tests marked ``both_transports`` (the operation modules) also to one
real uvicorn server per module over verified TLS (see ``tests/sim_core/targets``).
"""

# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from vreconnect_generated.clients.vcenter import AuthenticatedClient as VcClient
from vreconnect_generated.clients.vcenter.api.session import cis_session_create
from vreconnect_generated.clients.vcenter.models import CisSessionCreateResponse
from vreconnect_generated.clients.vr import AuthenticatedClient as VrClient
from vreconnect_generated.clients.vr.api.session import login as vr_login_api
from vreconnect_generated.clients.vr.models import SessionIdData

# The shared fixtures are imported to register them here; parameters of the fixtures below
# then carry the same names, which is how pytest wires fixtures (hence F401/F811).
from ..sim_core.targets import (  # noqa: F401
    Target,
    app,
    clients,
    clock,
    default_scenario,
    sim,
    target,
    target_hooks,
    tls_simulator,
    transport,
)
from .support import ADMIN, PASSWORD, basic

Factory = Callable[..., Any]


@pytest.fixture
def vc_client(target: Target, clients: list[Any]) -> Callable[..., VcClient]:
    """``vc_client(token)``: a generated vcenter client sending ``vmware-api-session-id``."""

    def make(
        token: str = "", *, prefix: str = "", header: str = "vmware-api-session-id"
    ) -> VcClient:
        client = VcClient(
            base_url=f"{target.origin}/rest",
            token=token,
            prefix=prefix,
            auth_header_name=header,
            **target.client_kwargs(),
        )
        clients.append(client)
        return client

    return make


@pytest.fixture
def vr_client(target: Target, clients: list[Any]) -> Callable[..., VrClient]:
    """``vr_client(token)``: a generated vr client sending ``x-dr-session``."""

    def make(token: str = "", *, prefix: str = "", header: str = "x-dr-session") -> VrClient:
        client = VrClient(
            base_url=f"{target.origin}/api/rest/vr/v2",
            token=token,
            prefix=prefix,
            auth_header_name=header,
            **target.client_kwargs(),
        )
        clients.append(client)
        return client

    return make


@pytest.fixture
def vc_login(vc_client: Callable[..., VcClient]) -> Callable[..., Awaitable[VcClient]]:
    """``await vc_login(user)``: log in over /rest and return a client carrying the session."""

    async def login(user: str = ADMIN, password: str = PASSWORD) -> VcClient:
        basic_client = vc_client(basic(user, password), prefix="Basic", header="Authorization")
        response = await cis_session_create.asyncio_detailed(client=basic_client)
        assert response.status_code == 200, response.content
        assert isinstance(response.parsed, CisSessionCreateResponse)
        return vc_client(response.parsed.value)

    return login


@pytest.fixture
def vr_login(vr_client: Callable[..., VrClient]) -> Callable[..., Awaitable[VrClient]]:
    """``await vr_login(user)``: log in over VR and return a client carrying the session."""

    async def login(user: str = ADMIN, password: str = PASSWORD) -> VrClient:
        basic_client = vr_client(basic(user, password), prefix="Basic", header="Authorization")
        response = await vr_login_api.asyncio_detailed(client=basic_client)
        assert response.status_code == 200, response.content
        assert isinstance(response.parsed, SessionIdData)
        return vr_client(response.parsed.session_id)

    return login
