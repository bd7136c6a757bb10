"""pytest plugin: a running simulator for downstream test suites, in one line.

Installed with the package (entry point ``pytest11: vreconnect_sim``), so the fixtures are
available everywhere without a ``conftest.py``:

``vreconnect_sim``
    A :class:`~vreconnect_sim.server.SimulatorServer` over a real TLS socket, started once per
    session on a free port and **restored before every test that uses it** to the scenario and
    fleet size it was started with (state, sessions, tasks, fault rules, task settings; a
    scenario an earlier test loaded through ``POST /_sim/scenario`` is gone). Attributes: ``base_url``,
    ``url("vim25"|"sms"|"vcenter"|"vr"|"control")``, ``ssl_context()`` (pass as httpx ``verify=``), ``ca_file``,
    ``thumbprints`` (SHA-1, SHA-256), ``state`` (the live ``SimulatorState``).
``vreconnect_sim_url``
    ``vreconnect_sim.base_url``, e.g. ``https://127.0.0.1:54321``.
``vreconnect_sim_control``
    An :class:`httpx.Client` on ``<base_url>/_sim`` (TLS verified against the simulator cert).
``vreconnect_sim_app``
    An in-process Starlette app (no socket; fastest) driven by a
    :class:`~vreconnect_sim.clock.FakeClock`, built once per session and restored before each
    test like ``vreconnect_sim`` (its clock back at its start, too).
    Use it with ``httpx.AsyncClient(transport=httpx.ASGITransport(app=vreconnect_sim_app),
    base_url="http://sim")``; ``vreconnect_sim_clock`` is its clock (``.advance(seconds)``).

Example::

    def test_reconnect(vreconnect_sim, vreconnect_sim_control):
        vreconnect_sim_control.post("/faults", json={"operation": "ReconnectHost_Task",
                                                     "fault": "NoHost", "count": 1})
        client = make_client(vreconnect_sim.url("vim25"), verify=vreconnect_sim.ssl_context())
        ...

**Response validation.** Both simulators run in ``validate_responses`` mode: every response is
checked against its surface's OpenAPI document in ``specs/`` (:mod:`vreconnect_sim.validation`);
a violating response reaches the client as ``500 {"error": "response_violates_spec", ...}`` and
is recorded, and a test during which any response violated its document **fails at teardown**
with the list, even if the test itself passed (e.g. because it expected an error). Turn this
off with ``--vreconnect-sim-no-validate``.

Options: ``--vreconnect-sim-scenario FILE``, ``--vreconnect-sim-hosts N``,
``--vreconnect-sim-seed N`` (default seed 0, so runs are reproducible),
``--vreconnect-sim-no-validate``.

The plugin imports nothing heavy until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from .clock import FakeClock
    from .server import SimulatorServer


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--vreconnect-sim-*`` options."""
    group = parser.getgroup("vreconnect_sim", "vreconnect simulator")
    group.addoption(
        "--vreconnect-sim-scenario", default=None, help="scenario YAML for the fixtures"
    )
    group.addoption("--vreconnect-sim-hosts", type=int, default=None, help="fleet size")
    group.addoption("--vreconnect-sim-seed", type=int, default=0, help="simulator RNG seed")
    group.addoption(
        "--vreconnect-sim-no-validate",
        action="store_true",
        default=False,
        help="do not check the simulator's responses against specs/ (on by default)",
    )


def _options(config: pytest.Config) -> dict[str, Any]:
    return {
        "scenario": config.getoption("--vreconnect-sim-scenario"),
        "hosts": config.getoption("--vreconnect-sim-hosts"),
        "seed": config.getoption("--vreconnect-sim-seed"),
        "validate_responses": not config.getoption("--vreconnect-sim-no-validate"),
    }


def _check_violations(sim: Any) -> None:
    """Fail the current test (at teardown) if any response violated its document."""
    with sim.lock:
        found = list(sim.spec_violations)
        sim.spec_violations.clear()
    if found:
        lines = "\n".join(f"  {v}" for v in found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        pytest.fail(
            f"{len(found)} simulator response(s) violated the OpenAPI spec:\n{lines}{more}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def vreconnect_sim_server(pytestconfig: pytest.Config) -> Iterator[SimulatorServer]:
    """The session's TLS simulator server, *without* per-test reset (prefer ``vreconnect_sim``)."""
    from .server import SimulatorServer

    server = SimulatorServer(**_options(pytestconfig), tls=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def vreconnect_sim(vreconnect_sim_server: SimulatorServer) -> Iterator[SimulatorServer]:
    """The session's simulator server, restored to its initial scenario before this test.

    Fails the test at teardown if one of the server's responses violated its spec.
    """
    state = vreconnect_sim_server.state
    state.restore_initial()
    with state.lock:
        state.spec_violations.clear()
    yield vreconnect_sim_server
    _check_violations(state)


@pytest.fixture
def vreconnect_sim_url(vreconnect_sim: SimulatorServer) -> str:
    """Base URL (scheme://host:port) of the reset simulator server."""
    return vreconnect_sim.base_url


@pytest.fixture
def vreconnect_sim_control(vreconnect_sim: SimulatorServer) -> Iterator[httpx.Client]:
    """An httpx client on the control API (``/_sim``) of the reset simulator server."""
    import httpx

    verify: Any = vreconnect_sim.ssl_context() if vreconnect_sim.tls else True
    with httpx.Client(base_url=vreconnect_sim.url("control"), verify=verify, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def _vreconnect_sim_inprocess(pytestconfig: pytest.Config) -> tuple[Starlette, FakeClock]:
    from .app import create_app
    from .clock import FakeClock

    clock = FakeClock()
    return create_app(**_options(pytestconfig), clock=clock), clock


@pytest.fixture
def vreconnect_sim_app(
    _vreconnect_sim_inprocess: tuple[Starlette, FakeClock],
) -> Iterator[Starlette]:
    """In-process simulator app (FakeClock), restored to its initial scenario and clock
    reading before this test.

    Fails the test at teardown if one of the app's responses violated its spec.
    """
    from .app import get_state

    app, clock = _vreconnect_sim_inprocess
    state = get_state(app)
    clock.reset()
    state.restore_initial()
    with state.lock:
        state.spec_violations.clear()
    yield app
    _check_violations(state)


@pytest.fixture
def vreconnect_sim_clock(
    vreconnect_sim_app: Starlette, _vreconnect_sim_inprocess: tuple[Starlette, FakeClock]
) -> FakeClock:
    """The FakeClock driving ``vreconnect_sim_app``."""
    return _vreconnect_sim_inprocess[1]
