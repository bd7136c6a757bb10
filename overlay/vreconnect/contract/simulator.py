"""The simulator as a suite target: embedded (``vreconnect contract`` without ``--url``, tests),
or served (``vreconnect sim serve``) and reset through its control API (``--reset-simulator``).

The simulator runs in this process (schemathesis' ASGI client calls it directly: no socket,
no TLS), in its test mode: every response is checked against its own OpenAPI document
(``validate_responses``), and every error it logs (an unhandled exception, a response that
violates a document) fails the ``simulator_healthy`` check of the request that caused it. The
suite owns this simulator, so it resets it to the scenario before every phase and every
stateful scenario.

A simulator served elsewhere (:func:`own_served_simulator`) becomes the suite's own in the
same way: reset with ``POST /_sim/reset`` (specs/control.yaml) before every phase and every
stateful scenario, so a run against it is the embedded run over a socket -- the VCHA cluster
is degraded again for every flow, each pairing broken again, and so on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .target import Target

__all__ = [
    "SIMULATOR_ADMIN",
    "SIMULATOR_PASSWORD",
    "SIMULATOR_READONLY",
    "NotASimulator",
    "embedded_simulator",
    "own_served_simulator",
]

SIMULATOR_ADMIN = "administrator@vsphere.local"
SIMULATOR_READONLY = "readonly@vsphere.local"
SIMULATOR_PASSWORD = "VMware1!"
"""The default scenario's users (simulator/vreconnect_sim/scenarios/default.yaml)."""


class _ErrorCollector(logging.Handler):
    """Keeps every ERROR the simulator logs while a run is going on."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        with self._guard:
            self.messages.append(text)

    def snapshot(self) -> list[str]:
        """The messages logged so far."""
        with self._guard:
            return list(self.messages)


@contextmanager
def embedded_simulator(
    scenario: str | os.PathLike[str] | None = None,
    *,
    seed: int | None = 0,
    hosts: int | None = None,
) -> Iterator[Target]:
    """A :class:`Target` for a fresh in-process simulator (validating its own responses)."""
    from vreconnect_sim.app import create_app, get_state

    app: Any = create_app(scenario, seed=seed, hosts=hosts, validate_responses=True)
    state = get_state(app)
    started_with, fleet_size = state.scenario, state.hosts_override

    def reset() -> None:
        # Back to the scenario and fleet size this target started with: the control API's
        # loadScenario (`?hosts=N`, up to a million hosts) must not outlive the flow it ran in.
        with state.lock:
            state.hosts_override = fleet_size
            state.load(started_with)

    collector = _ErrorCollector()
    logger = logging.getLogger("vreconnect_sim")
    logger.addHandler(collector)
    try:
        yield Target.in_process(app, on_reset=reset, error_log=collector.snapshot)
    finally:
        logger.removeHandler(collector)


class NotASimulator(Exception):
    """The server does not answer the vreconnect simulator's control API."""


def own_served_simulator(target: Target) -> Target:
    """Make ``target`` (a ``vreconnect sim serve`` over the network) a simulator the suite owns.

    Checks that it is one (``GET /_sim/health`` answers 200 with the simulator's health), and
    gives it an ``on_reset`` that resets it through ``POST /_sim/reset``: that logs every
    session out, forgets every task and removes every fault rule (specs/control.yaml).

    Raises:
        NotASimulator: the server is not a vreconnect simulator (a real vCenter, say).
        requests.ConnectionError: the server cannot be reached.
    """
    import requests

    health = target.request("GET", "/_sim/health", timeout=30)
    try:
        body = health.json()
    except ValueError:
        body = None
    if (
        health.status_code != 200
        or not isinstance(body, dict)
        or body.get("status") != "ok"
        or not isinstance(body.get("surfaces"), dict)
    ):
        raise NotASimulator(
            f"{target.root_url} is not a vreconnect simulator (GET /_sim/health answered "
            f"HTTP {health.status_code})"
        )

    def reset() -> None:
        answer = target.request("POST", "/_sim/reset", timeout=60)
        if answer.status_code != 200:
            raise requests.HTTPError(
                f"POST /_sim/reset answered HTTP {answer.status_code}", response=answer
            )

    target.on_reset = reset
    return target
