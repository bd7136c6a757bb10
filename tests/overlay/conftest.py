"""Fixtures for the overlay tests: one TLS simulator per module, and an ``env`` that runs the
same test body against the sync entry points (real TLS socket) and the async ones
(in-process, ``httpx.ASGITransport`` on the very same app, so one control API serves both).

``env.run(x)`` returns ``x`` unchanged in sync mode and awaits it on the env's event loop in
async mode, so a test reads the same either way::

    def test_x(env):
        vc = env.vcenter()
        task = env.run(vc.reconnect_host("host-102"))
        env.run(task.wait(timeout=10))
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from vreconnect import (
    AsyncReplication,
    AsyncVCenter,
    AsyncVCenterRest,
    PollPolicy,
    Replication,
    TLSConfig,
    VCenter,
    VCenterRest,
    async_wait_all,
    wait_all,
)
from vreconnect_sim.registry import load_builtin_surfaces, registered_surfaces
from vreconnect_sim.server import SimulatorServer

ADMIN = "administrator@vsphere.local"
PASSWORD = "VMware1!"
#: Fast polling so that tests with retries or running tasks stay quick.
FAST = PollPolicy(initial_delay=0.02, multiplier=1.5, max_delay=0.1, jitter=0.0)

#: Fault-rule names that refuse a call for want of a session: the overlay logs in again and
#: resends such a call once, so a rule must fire twice for the refusal to reach the caller.
SESSION_REFUSALS = frozenset({"NotAuthenticated", "unauthenticated", "401"})


def refusals(name: str) -> int:
    """How many times a call-channel rule ``name`` must fire to be raised to the caller."""
    return 2 if name in SESSION_REFUSALS else 1


def surface_ready(name: str) -> bool:
    """True if the simulator registers surface ``name`` (surfaces may still be landing)."""
    load_builtin_surfaces()
    return any(spec.name == name for spec in registered_surfaces())


class Control:
    """The simulator's control API (``/_sim``), over the socket."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        verify = ssl.create_default_context(cafile=str(server.ca_file))
        self.http = httpx.Client(base_url=server.url("control"), verify=verify, timeout=30)

    def reset(self) -> None:
        response = self.http.post("/reset")
        response.raise_for_status()

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (see specs/control.yaml FaultRule)."""
        response = self.http.post("/faults", json=rule)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self.http.get("/faults").json()["rules"]
        return rules

    def durations(self, durations: dict[str, float], **extra: Any) -> None:
        """Set task run times (seconds per operationId) until the next reset."""
        response = self.http.put("/settings/tasks", json={"durations": durations, **extra})
        assert response.status_code == 200, response.text

    def object(self, surface: str, object_id: str) -> dict[str, Any]:
        response = self.http.get(f"/objects/{surface}/{object_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def patch(self, surface: str, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        response = self.http.patch(f"/objects/{surface}/{object_id}", json=changes)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def expire_sessions(self, store: str) -> None:
        """Forget every session of ``store`` (vim25, rest, vr), as an idle timeout would."""
        self.server.state.session_store(store).clear()

    def invalidate_sessions(self, surface: str | None = None) -> dict[str, Any]:
        """``DELETE /_sim/sessions`` (every login domain, or the one ``surface`` logs into)."""
        params = {"surface": surface} if surface is not None else None
        response = self.http.delete("/sessions", params=params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def health(self) -> dict[str, Any]:
        """``GET /_sim/health``."""
        response = self.http.get("/health")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def live_sessions(self, store: str) -> int:
        """Live sessions of login domain ``store`` (vim25, rest, vr), from ``/_sim/health``."""
        count: int = self.health()["sessions"].get(store, 0)
        return count

    def rule(self, operation: str) -> dict[str, Any]:
        """The (first) fault rule of ``operation``, with its counters."""
        return next(r for r in self.rules() if r["operation"] == operation)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="module")
def sim_server() -> Iterator[SimulatorServer]:
    """One TLS simulator per test module (reset before each test by ``control``)."""
    with SimulatorServer(seed=1) as server:
        yield server


@pytest.fixture
def control(sim_server: SimulatorServer) -> Iterator[Control]:
    """The control API of the module's simulator, reset to the default scenario."""
    ctl = Control(sim_server)
    ctl.reset()
    try:
        yield ctl
    finally:
        ctl.close()


class Env:
    """Builds entry points in one mode and runs their calls; closes them at teardown."""

    def __init__(self, mode: str, server: SimulatorServer) -> None:
        self.mode = mode
        self.server = server
        self.runner = asyncio.Runner() if mode == "async" else None
        self._opened: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.mode == "async"

    def run(self, value: Any) -> Any:
        """Await ``value`` in async mode (coroutines only); return it as is otherwise."""
        if inspect.isawaitable(value):
            assert self.runner is not None, "awaitable in sync mode"
            return self.runner.run(_await(value))
        return value

    def _open(self, sync_cls: type, async_cls: type, user: str, password: str, **kw: Any) -> Any:
        """An entry point: sync over TLS, async in-process (or over TLS with socket=True)."""
        socket = kw.pop("socket", False)
        if self.is_async and not socket:
            url = "http://sim"
            kw.setdefault("transport", httpx.ASGITransport(app=self.server.app))
        else:
            url = self.server.base_url
            kw.setdefault("tls", TLSConfig.ca_bundle(str(self.server.ca_file)))
        cls = async_cls if self.is_async else sync_cls
        conn = cls(url, user, password, **kw)
        self._opened.append(conn)
        return conn

    def vcenter(self, user: str = ADMIN, password: str = PASSWORD, **kw: Any) -> Any:
        return self._open(VCenter, AsyncVCenter, user, password, **kw)

    def rest(self, user: str = ADMIN, password: str = PASSWORD, **kw: Any) -> Any:
        return self._open(VCenterRest, AsyncVCenterRest, user, password, **kw)

    def vr(self, user: str = ADMIN, password: str = PASSWORD, **kw: Any) -> Any:
        return self._open(Replication, AsyncReplication, user, password, **kw)

    def wait_all(self, handles: Sequence[Any], **kw: Any) -> Any:
        if self.is_async:
            return self.run(async_wait_all(handles, **kw))
        return wait_all(handles, **kw)

    def close(self) -> None:
        for conn in reversed(self._opened):
            self.run(conn.close())
        if self.runner is not None:
            self.runner.close()


@dataclass(frozen=True)
class Exchange:
    """One request an entry point sent, as a :class:`Recorder` saw it (monotonic times)."""

    method: str
    path: str
    status: int
    sent: float
    received: float


class Recorder:
    """Builds transports (sync or async, TLS to the test server) that record every exchange."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.exchanges: list[Exchange] = []

    def transport(self) -> Any:
        """A transport for ``env.vcenter(socket=True, transport=...)`` (and the others)."""
        verify = ssl.create_default_context(cafile=str(self.env.server.ca_file))
        exchanges = self.exchanges

        def record(request: httpx.Request, response: httpx.Response, sent: float) -> None:
            exchanges.append(
                Exchange(
                    request.method, request.url.path, response.status_code, sent, time.monotonic()
                )
            )

        class SyncRecording(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                sent = time.monotonic()
                response = super().handle_request(request)
                record(request, response, sent)
                return response

        class AsyncRecording(httpx.AsyncHTTPTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                sent = time.monotonic()
                response = await super().handle_async_request(request)
                record(request, response, sent)
                return response

        if self.env.is_async:
            return AsyncRecording(verify=verify, retries=0)
        return SyncRecording(verify=verify, retries=0)

    def calls(self, path_suffix: str) -> list[Exchange]:
        """The recorded exchanges whose path ends with ``path_suffix``, in order."""
        return [e for e in self.exchanges if e.path.endswith(path_suffix)]


async def _await(value: Any) -> Any:
    return await value


@pytest.fixture(params=["sync", "async"])
def env(
    request: pytest.FixtureRequest, sim_server: SimulatorServer, control: Control
) -> Iterator[Env]:
    """Run the test once with the sync entry points and once with the async ones."""
    environment = Env(request.param, sim_server)
    try:
        yield environment
    finally:
        environment.close()
