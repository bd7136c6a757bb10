"""Fixtures for the vim25 / sms surface tests: an in-process app and generated clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from vreconnect_generated.clients.sms import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.vim25 import AuthenticatedClient, Client
from vreconnect_generated.clients.vim25.api.session_manager import login
from vreconnect_generated.clients.vim25.models import LoginRequestType
from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario
from vreconnect_sim.state import SimulatorState

from .helpers import ADMIN, BASE, PASSWORD, SESSION_HEADER, SMS_BASE, httpx_args


@pytest.fixture
def clock() -> FakeClock:
    """The FakeClock driving the app."""
    return FakeClock()


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    """The embedded default scenario, parsed once (YAML parsing dominates app creation)."""
    return Scenario.default()


@pytest.fixture
def app(clock: FakeClock, default_scenario: Scenario) -> Iterator[Starlette]:
    """A fresh simulator (default scenario, zero task durations) validating its responses.

    The shared middleware checks every response against the OpenAPI documents; the test
    fails if it recorded a violation.
    """
    app = create_app(default_scenario, clock=clock, seed=1, validate_responses=True)
    yield app
    assert get_state(app).spec_violations == []


@pytest.fixture
def sim(app: Starlette) -> SimulatorState:
    """The app's live state."""
    return get_state(app)


@pytest.fixture
def anon(app: Starlette) -> Client:
    """A generated vim25 client without a session."""
    return Client(base_url=BASE, httpx_args=httpx_args(app))


LoginFn = Callable[..., Awaitable[AuthenticatedClient]]


@pytest.fixture
def login_as(app: Starlette) -> LoginFn:
    """``await login_as(user)`` -> a generated vim25 client holding that user's session."""

    async def do(user: str = ADMIN, password: str = PASSWORD) -> AuthenticatedClient:
        anon = Client(base_url=BASE, httpx_args=httpx_args(app))
        resp = await login.asyncio_detailed(
            "SessionManager", client=anon, body=LoginRequestType(user_name=user, password=password)
        )
        assert resp.status_code == 200, resp.content
        token = resp.headers[SESSION_HEADER]
        return AuthenticatedClient(
            base_url=BASE,
            token=token,
            prefix="",
            auth_header_name=SESSION_HEADER,
            httpx_args=httpx_args(app),
        )

    return do


@pytest.fixture
async def vim(login_as: LoginFn) -> AuthenticatedClient:
    """A generated vim25 client logged in as administrator@vsphere.local."""
    return await login_as()


@pytest.fixture
def sms_for(app: Starlette) -> Callable[[AuthenticatedClient], SmsClient]:
    """The generated sms client sharing a vim25 client's session (sms uses vim25 sessions)."""

    def make(vim_client: AuthenticatedClient) -> SmsClient:
        return SmsClient(
            base_url=SMS_BASE,
            token=vim_client.token,
            prefix="",
            auth_header_name=SESSION_HEADER,
            httpx_args=httpx_args(app),
        )

    return make


@pytest.fixture
async def raw(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client (for bodies the generated client cannot send), still validated."""
    async with httpx.AsyncClient(base_url="http://sim", **httpx_args(app)) as client:
        yield client


@pytest.fixture
async def control(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The control API (``/_sim``)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim/_sim") as client:
        yield client
