"""The embedded simulator as a suite target (``vreconnect contract`` without ``--url``, tests).

The simulator runs in this process (schemathesis' ASGI client calls it directly: no socket,
no TLS), in its test mode: every response is checked against its own OpenAPI document
(``validate_responses``), and every error it logs (an unhandled exception, a response that
violates a document) fails the ``simulator_healthy`` check of the request that caused it. The
suite owns this simulator, so it resets it to the scenario before every phase and every
stateful scenario.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .target import Target

__all__ = ["SIMULATOR_ADMIN", "SIMULATOR_PASSWORD", "SIMULATOR_READONLY", "embedded_simulator"]

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
