"""How the surface tests reach the simulator: in-process, or over a real TLS socket.

The conftests of ``tests/sim_vim25`` and ``tests/sim_rest`` build every client from a
:class:`Target`. By default a test gets a fresh in-process app (``transport == "asgi"``); a test
(or module) marked :data:`both_transports` also runs against a real uvicorn server over
verified TLS (``"tls"``): one :class:`TlsSimulator` per module, restored through the control
API (``POST /_sim/reset``) and its clock rewound before each test, its responses validated
against the specs like the in-process app's.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from vreconnect_sim.app import create_app, get_state
from vreconnect_sim.clock import FakeClock
from vreconnect_sim.scenario import Scenario
from vreconnect_sim.server import SimulatorServer
from vreconnect_sim.state import SimulatorState

__all__ = [
    "TRANSPORTS",
    "Target",
    "TlsSimulator",
    "app",
    "both_transports",
    "clients",
    "clock",
    "default_scenario",
    "in_process",
    "sim",
    "target",
    "target_hooks",
    "tls_simulator",
    "transport",
]

TRANSPORTS = ("asgi", "tls")
both_transports = pytest.mark.parametrize("transport", TRANSPORTS)
"""Run the marked test (or every test of a module, as ``pytestmark``) both ways."""

Hook = Callable[[httpx.Response], Any]


@dataclass
class Target:
    """One simulator as a test reaches it."""

    transport: str
    origin: str  # "http://sim" in-process, "https://127.0.0.1:<port>" over TLS
    app: Starlette
    clock: FakeClock
    verify: ssl.SSLContext | None = None  # set over TLS: trusts the server's certificate
    hooks: Sequence[Hook] = field(default_factory=tuple)

    @property
    def state(self) -> SimulatorState:
        """The simulator's live state (the same object either way: the server runs here)."""
        return get_state(self.app)

    def httpx_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an ``httpx.AsyncClient`` on this target."""
        kwargs: dict[str, Any] = {"event_hooks": {"response": list(self.hooks)}}
        if self.verify is None:
            kwargs["transport"] = httpx.ASGITransport(app=self.app)
        else:
            kwargs["verify"] = self.verify
        return kwargs

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a generated client (``httpx_args``, ``verify_ssl``)."""
        kwargs = self.httpx_kwargs()
        verify = kwargs.pop("verify", True)
        return {"httpx_args": kwargs, "verify_ssl": verify}


def in_process(scenario: Scenario, hooks: Sequence[Hook] = ()) -> Target:
    """A fresh in-process simulator (FakeClock, seed 1) validating its responses."""
    clock = FakeClock()
    app = create_app(scenario, clock=clock, seed=1, validate_responses=True)
    return Target("asgi", "http://sim", app, clock, hooks=hooks)


class TlsSimulator:
    """A real uvicorn server over TLS (FakeClock, seed 1, validating), shared by a module."""

    def __init__(self, scenario: Scenario) -> None:
        self.clock = FakeClock()
        self.server = SimulatorServer(
            scenario, seed=1, clock=self.clock, tls=True, validate_responses=True
        )
        self.server.start()
        self.verify = self.server.ssl_context()

    def target(self, hooks: Sequence[Hook] = ()) -> Target:
        """The server restored to its scenario (through the control API), clock rewound."""
        self.clock.reset()
        reset = httpx.post(self.server.url("control") + "/reset", verify=self.verify, timeout=30)
        assert reset.status_code == 200, reset.text
        with self.server.state.lock:
            self.server.state.spec_violations.clear()
        return Target("tls", self.server.base_url, self.server.app, self.clock, self.verify, hooks)

    def close(self) -> None:
        """Stop the server."""
        self.server.stop()


# -- fixtures: the surface conftests import these (a conftest may override ``target_hooks``) --


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    """The embedded default scenario, parsed once (YAML parsing dominates app creation)."""
    return Scenario.default()


@pytest.fixture
def transport() -> str:
    """``asgi`` (in-process); ``both_transports`` parametrizes it with ``tls`` too."""
    return "asgi"


@pytest.fixture
def target_hooks() -> Sequence[Hook]:
    """httpx response hooks every client of the test gets (none by default)."""
    return ()


@pytest.fixture(scope="module")
def tls_simulator(default_scenario: Scenario) -> Iterator[TlsSimulator]:
    """The module's TLS server (started only if a test of the module runs over TLS)."""
    simulator = TlsSimulator(default_scenario)
    yield simulator
    simulator.close()


@pytest.fixture
def target(
    request: pytest.FixtureRequest,
    transport: str,
    default_scenario: Scenario,
    target_hooks: Sequence[Hook],
) -> Iterator[Target]:
    """The simulator this test talks to; the test fails if a response broke its spec."""
    if transport == "tls":
        simulator: TlsSimulator = request.getfixturevalue("tls_simulator")
        chosen = simulator.target(target_hooks)
    else:
        chosen = in_process(default_scenario, target_hooks)
    yield chosen
    violations = chosen.state.spec_violations
    assert violations == [], f"responses violate the specs: {violations}"


@pytest.fixture
def app(target: Target) -> Starlette:
    """The simulator's app (in-process, or the one the TLS server serves)."""
    return target.app


@pytest.fixture
def clock(target: Target) -> FakeClock:
    """The simulator's clock; advance it to move tasks and sessions."""
    return target.clock


@pytest.fixture
def sim(target: Target) -> SimulatorState:
    """The simulator's live state."""
    return target.state


@pytest.fixture
async def clients(target: Target) -> AsyncIterator[list[Any]]:
    """Generated clients a test's factories made; closed after the test."""
    made: list[Any] = []
    yield made
    for client in made:
        await client.get_async_httpx_client().aclose()
