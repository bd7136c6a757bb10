"""Fixtures for the vcenter (/rest) and vr (/api/rest/vr/v2) surface tests.

Every test gets a fresh in-process app on a FakeClock, built with ``validate_responses=True``:
the simulator checks every response against its OpenAPI document (specs/vcenter.yaml,
specs/vr.yaml) and records violations in ``SimulatorState.spec_violations``; the ``app``
fixture fails the test if there is any. Calls go through the generated attrs clients (``asyncio_detailed``)
over ``httpx.ASGITransport``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from vreconnect_generated.clients.vcenter import AuthenticatedClient as VcClient
from vreconnect_generated.clients.vcenter.api.session import cis_session_create
from vreconnect_generated.clients.vcenter.models import CisSessionCreateResponse
from vreconnect_generated.clients.vr import AuthenticatedClient as VrClient
from vreconnect_generated.clients.vr.api.session import login as vr_login_api
from vreconnect_generated.clients.vr.models import SessionIdData
from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario
from vreconnect_sim.state import SimulatorState

from .support import ADMIN, PASSWORD, VCENTER, VR, basic


@pytest.fixture
def clock() -> FakeClock:
    """The app's clock; advance it to move tasks and sessions."""
    return FakeClock()


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    """The embedded default scenario, parsed once (parsing dominates building an app)."""
    return Scenario.default()


@pytest.fixture
def app(clock: FakeClock, default_scenario: Scenario) -> Iterator[Starlette]:
    """A fresh simulator with the default scenario, validating its own responses.

    After the test, fails it if any response of the vcenter or vr surface broke its spec.
    """
    application = create_app(default_scenario, clock=clock, seed=1, validate_responses=True)
    yield application
    violations = get_state(application).spec_violations
    assert violations == [], f"responses violate the specs: {violations}"


@pytest.fixture
def sim(app: Starlette) -> SimulatorState:
    """The app's state."""
    return get_state(app)


Factory = Callable[..., Any]


@pytest.fixture
async def clients(app: Starlette) -> AsyncIterator[list[Any]]:
    """Generated clients made by the factories below; closed after the test."""
    made: list[Any] = []
    yield made
    for client in made:
        await client.get_async_httpx_client().aclose()


@pytest.fixture
def vc_client(app: Starlette, clients: list[Any]) -> Callable[..., VcClient]:
    """``vc_client(token)``: a generated vcenter client sending ``vmware-api-session-id``."""

    def make(
        token: str = "", *, prefix: str = "", header: str = "vmware-api-session-id"
    ) -> VcClient:
        client = VcClient(
            base_url=VCENTER,
            token=token,
            prefix=prefix,
            auth_header_name=header,
            httpx_args={"transport": httpx.ASGITransport(app=app)},
        )
        clients.append(client)
        return client

    return make


@pytest.fixture
def vr_client(app: Starlette, clients: list[Any]) -> Callable[..., VrClient]:
    """``vr_client(token)``: a generated vr client sending ``x-dr-session``."""

    def make(token: str = "", *, prefix: str = "", header: str = "x-dr-session") -> VrClient:
        client = VrClient(
            base_url=VR,
            token=token,
            prefix=prefix,
            auth_header_name=header,
            httpx_args={"transport": httpx.ASGITransport(app=app)},
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
