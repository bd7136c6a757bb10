"""vreconnect_sim: a stateful simulator of the four vSphere API surfaces vreconnect uses.

Entry points: :func:`vreconnect_sim.app.create_app` (ASGI app), :func:`vreconnect_sim.server.serve`
and :class:`vreconnect_sim.server.SimulatorServer` (real socket), the pytest plugin
(:mod:`vreconnect_sim.pytest_plugin`), and the control API at ``/_sim``. Surface packages plug
in through :mod:`vreconnect_sim.registry`; see ``README.md`` next to this file.

Nothing heavy is imported here; ``create_app``, ``SimulatorServer`` and ``Scenario`` are
resolved lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .scenario import Scenario
    from .server import SimulatorServer

__all__ = ["Scenario", "SimulatorServer", "create_app"]

_LAZY = {"create_app": "app", "Scenario": "scenario", "SimulatorServer": "server"}


def __getattr__(name: str) -> Any:
    """Resolve the lazily exported names."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
