"""The simulator's whole state: clock, users, sessions, tasks, faults, settings, surfaces.

One :class:`SimulatorState` backs one app. Everything mutable is guarded by ``lock``, a
re-entrant :class:`threading.RLock` shared with the task engine: the server runs handlers on
one asyncio loop, tests may also use threads. Rule for handlers: take the lock for the
synchronous part of a request (``with ctx.lock: ...``) and never ``await`` while holding it.

``reset()`` rebuilds everything from the loaded scenario (users, empty sessions and tasks, no
fault rules, the scenario's task settings, fresh surface states, RNGs re-seeded);
``load(scenario)`` replaces the scenario and resets.

``spec_violations`` collects the responses that failed validation (``validate_responses``
mode, see :mod:`vreconnect_sim.validation`). ``reset()`` deliberately keeps them: a test that
resets through ``POST /_sim/reset`` must not hide an earlier violation from the check at its
end. Whoever checks them clears them (``spec_violations.clear()``, ``DELETE /_sim/violations``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .auth import SessionStore, UserDirectory
from .clock import Clock, SystemClock
from .injection import FaultInjector
from .registry import (
    BuildContext,
    SurfaceSpec,
    TaskFaultRenderer,
    load_builtin_surfaces,
    registered_surfaces,
)
from .scenario import Scenario, Settings
from .tasks import FaultRenderer, SimTask, TaskEngine

if TYPE_CHECKING:
    from .injection import FaultAction
    from .validation import SpecViolation

__all__ = ["DEFAULT_SESSION_STORES", "SimulatorState"]

DEFAULT_SESSION_STORES: tuple[str, ...] = ("vim25", "rest", "vr")
"""Login domains: vim25 (also used by sms), rest (vcenter's /rest), vr."""


class SimulatorState:
    """Holds and resets everything; surfaces reach it through ``SurfaceContext.sim``."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        clock: Clock | None = None,
        hosts: int | None = None,
        seed: int | None = None,
        validate_responses: bool = False,
        surfaces: Sequence[SurfaceSpec] | None = None,
    ) -> None:
        if surfaces is None:
            load_builtin_surfaces()
            surfaces = registered_surfaces()
        self.surfaces: dict[str, SurfaceSpec] = {s.name: s for s in surfaces}
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.scenario = scenario or Scenario.default()
        self.hosts_override = hosts
        self.seed_override = seed
        self.validate_responses = validate_responses
        self.spec_violations: list[SpecViolation] = []
        self.settings: Settings = self.scenario.settings
        self.injector = FaultInjector()
        self.tasks = TaskEngine(self.clock, lock=self.lock, injector=self.injector)
        self.users = UserDirectory(self.scenario.users)
        self.sessions: dict[str, SessionStore] = {}
        for name in (*DEFAULT_SESSION_STORES, *(s.store_name for s in self.surfaces.values())):
            self.sessions.setdefault(name, SessionStore(name, self.clock))
        self.surface_states: dict[str, Any] = {}
        self.generation = 0  # bumped on every reset; lets caches notice
        self.reset()

    # -- derived values ------------------------------------------------------------------

    @property
    def seed(self) -> int | None:
        """Effective seed: ``create_app(seed=)`` over ``settings.seed``."""
        return self.seed_override if self.seed_override is not None else self.settings.seed

    @property
    def fleet_size(self) -> int | None:
        """Effective fleet size: ``--hosts`` over ``settings.hosts``."""
        return self.hosts_override if self.hosts_override is not None else self.settings.hosts

    def rng_for(self, name: str) -> random.Random:
        """A fresh RNG for ``name``, deterministic when a seed is set."""
        seed = self.seed
        return random.Random(f"{seed}:{name}") if seed is not None else random.Random()

    def session_store(self, name: str) -> SessionStore:
        """The session store called ``name`` (created on first use)."""
        store = self.sessions.get(name)
        if store is None:
            with self.lock:
                store = self.sessions.setdefault(
                    name, SessionStore(name, self.clock, self.settings.session_idle_timeout)
                )
        return store

    def surface(self, name: str) -> Any:
        """The state object of surface ``name`` (None if it has none)."""
        return self.surface_states.get(name)

    # -- lifecycle -----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the loaded scenario: see the module docstring."""
        with self.lock:
            self.settings = self.scenario.settings.model_copy(deep=True)
            self.users = UserDirectory(self.scenario.users)
            for store in self.sessions.values():
                store.clear()
                store.idle_timeout = self.settings.session_idle_timeout
            self.injector.clear()
            self.injector.reseed(None if self.seed is None else f"{self.seed}:faults")
            self.tasks.clear()
            self.tasks.rng = self.rng_for("tasks")
            self.tasks.settings = self.settings.tasks
            self.tasks.fault_renderers = {
                s.name: self._task_fault_renderer(s.name, s.render_task_fault)
                for s in self.surfaces.values()
                if s.render_task_fault is not None
            }
            states: dict[str, Any] = {}
            for spec in self.surfaces.values():
                ctx = BuildContext(
                    sim=self,
                    name=spec.name,
                    section=self.scenario.section(spec.name),
                    fleet_size=self.fleet_size,
                    rng=self.rng_for(spec.name),
                    clock=self.clock,
                )
                states[spec.name] = spec.build_state(ctx)
            self.surface_states = states
            self.generation += 1

    def _task_fault_renderer(self, name: str, render: TaskFaultRenderer) -> FaultRenderer:
        """The engine's renderer for surface ``name``: ``render`` given the surface's state."""

        def bound(action: FaultAction, task: SimTask) -> Any:
            return render(action, task, self.surface_states.get(name))

        return bound

    def load(self, scenario: Scenario) -> None:
        """Replace the scenario and reset to it."""
        with self.lock:
            self.scenario = scenario
            self.reset()

    def settle(self) -> None:
        """Apply every task completion due by now (the app calls this before each request)."""
        self.tasks.settle()
