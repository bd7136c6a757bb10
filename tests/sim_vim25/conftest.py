"""Fixtures for the vim25 / sms surface tests: a simulator target and generated clients.

Every test gets a fresh in-process app (default scenario, zero task durations, FakeClock)
validating its responses; tests marked ``both_transports`` (the operation modules) also run
against one real uvicorn server per module over verified TLS (see ``tests/sim_core/targets``).
"""

# ruff: noqa: F811

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest

from vreconnect_generated.clients.sms import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.vim25 import AuthenticatedClient, Client
from vreconnect_generated.clients.vim25.api.session_manager import login
from vreconnect_generated.clients.vim25.models import LoginRequestType

# The shared fixtures are imported to register them here; parameters of the fixtures below
# then carry the same names, which is how pytest wires fixtures (hence F401/F811).
from ..sim_core.targets import (  # noqa: F401
    Hook,
    Target,
    app,
    clients,
    clock,
    default_scenario,
    sim,
    target,
    tls_simulator,
    transport,
)
from .helpers import ADMIN, PASSWORD, RELEASE, SESSION_HEADER, response_hook


@pytest.fixture
def target_hooks() -> Sequence[Hook]:
    """Every VI/JSON answer is also checked by :func:`.helpers.response_hook`."""
    return [response_hook]


@pytest.fixture
def vim25_base(target: Target) -> str:
    """Base URL of the vim25 surface."""
    return f"{target.origin}/sdk/vim25/{RELEASE}"


@pytest.fixture
def anon(target: Target, vim25_base: str, clients: list[Any]) -> Client:
    """A generated vim25 client without a session."""
    client = Client(base_url=vim25_base, **target.client_kwargs())
    clients.append(client)
    return client


LoginFn = Callable[..., Awaitable[AuthenticatedClient]]


@pytest.fixture
def login_as(target: Target, vim25_base: str, clients: list[Any]) -> LoginFn:
    """``await login_as(user)`` -> a generated vim25 client holding that user's session."""

    async def do(user: str = ADMIN, password: str = PASSWORD) -> AuthenticatedClient:
        anon = Client(base_url=vim25_base, **target.client_kwargs())
        clients.append(anon)
        resp = await login.asyncio_detailed(
            "SessionManager", client=anon, body=LoginRequestType(user_name=user, password=password)
        )
        assert resp.status_code == 200, resp.content
        client = AuthenticatedClient(
            base_url=vim25_base,
            token=resp.headers[SESSION_HEADER],
            prefix="",
            auth_header_name=SESSION_HEADER,
            **target.client_kwargs(),
        )
        clients.append(client)
        return client

    return do


@pytest.fixture
async def vim(login_as: LoginFn) -> AuthenticatedClient:
    """A generated vim25 client logged in as administrator@vsphere.local."""
    return await login_as()


@pytest.fixture
def sms_for(
    target: Target, vim25_base: str, clients: list[Any]
) -> Callable[[AuthenticatedClient], SmsClient]:
    """The generated sms client sharing a vim25 client's session (sms uses vim25 sessions)."""

    def make(vim_client: AuthenticatedClient) -> SmsClient:
        client = SmsClient(
            base_url=f"{vim25_base}/sms",
            token=vim_client.token,
            prefix="",
            auth_header_name=SESSION_HEADER,
            **target.client_kwargs(),
        )
        clients.append(client)
        return client

    return make


@pytest.fixture
async def raw(target: Target) -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client (for bodies the generated client cannot send), still validated."""
    async with httpx.AsyncClient(base_url=target.origin, **target.httpx_kwargs()) as client:
        yield client


@pytest.fixture
async def control(target: Target) -> AsyncIterator[httpx.AsyncClient]:
    """The control API (``/_sim``)."""
    kwargs = target.httpx_kwargs()
    kwargs.pop("event_hooks")  # the hook checks VI/JSON answers only
    async with httpx.AsyncClient(base_url=f"{target.origin}/_sim", **kwargs) as client:
        yield client
