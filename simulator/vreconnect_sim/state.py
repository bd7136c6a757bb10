"""The simulator's whole state: clock, users, sessions, tasks, faults, settings, surfaces.

One :class:`SimulatorState` backs one app. Everything mutable is guarded by ``lock``, a
re-entrant :class:`threading.RLock` shared with the task engine: the server runs handlers on
one asyncio loop, tests may also use threads. Rule for handlers: take the lock for the
synchronous part of a request (``with ctx.lock: ...``) and never ``await`` while holding it.

The loaded scenario and the fleet size it was loaded with belong together:

* ``reset()`` rebuilds everything from them (users, empty sessions and tasks, no fault rules,
  the scenario's task settings, fresh surface states, RNGs re-seeded);
* ``load(scenario, hosts=N)`` replaces both and resets: ``hosts=None`` (the control API's
  ``POST /_sim/scenario`` without ``?hosts``) means the scenario's own size
  (``settings.hosts``, else its own objects), so an earlier ``?hosts`` never sticks;
* ``restore_initial()`` goes back to the scenario and fleet size the state was created with
  (the pytest plugin does this before every test, so a test that loads a scenario cannot
  leak it into the next one).

A rebuild runs the surface builders *outside* the lock (a 50,000-host fleet takes about a
second) and then swaps the result in under it in one step, so requests served meanwhile see
either the old world or the new one, never a mix. Concurrent rebuilds do not interleave: the
last one to finish wins. Callers on the event loop run rebuilds in a worker thread.

``spec_violations`` collects the responses that failed validation (``validate_responses``
mode, see :mod:`vreconnect_sim.validation`). ``reset()`` deliberately keeps them: a test that
resets through ``POST /_sim/reset`` must not hide an earlier violation from the check at its
end. Whoever checks them clears them (``spec_violations.clear()``, ``DELETE /_sim/violations``).
"""

from __future__ import annotations

import asyncio
import enum
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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
from .scenario import Scenario, Settings, check_fleet_size
from .tasks import FaultRenderer, SimTask, TaskEngine

if TYPE_CHECKING:
    from .injection import FaultAction
    from .validation import SpecViolation

__all__ = ["DEFAULT_SESSION_STORES", "SimulatorState"]

DEFAULT_SESSION_STORES: tuple[str, ...] = ("vim25", "rest", "vr")
"""Login domains: vim25 (also used by sms), rest (vcenter's /rest), vr."""

_STOP_POLL_SECONDS = 0.05
"""How often a fault rule's latency looks whether the server is stopping."""


class _Keep(enum.Enum):
    """Default of :meth:`SimulatorState.load`'s ``hosts``: keep the current fleet size."""

    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class _World:
    """Everything a rebuild makes before it is swapped in (see the module docstring)."""

    scenario: Scenario
    hosts: int | None
    settings: Settings
    users: UserDirectory
    seed: int | None
    states: dict[str, Any]


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
        check_fleet_size(hosts)
        self.scenario = scenario or Scenario.default()
        self.hosts_override = hosts
        self.seed_override = seed
        self._initial: tuple[Scenario, int | None] = (self.scenario, hosts)
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
        # Set by the server when it starts shutting down (cleared when one starts serving):
        # fault-rule latency stops waiting then.
        self.stopping = threading.Event()
        self.reset()

    # -- derived values ------------------------------------------------------------------

    @property
    def seed(self) -> int | None:
        """Effective seed: ``create_app(seed=)`` over ``settings.seed``."""
        return self.seed_override if self.seed_override is not None else self.settings.seed

    @property
    def fleet_size(self) -> int | None:
        """Effective fleet size: ``--hosts`` (or the last load's ``?hosts=``) over
        ``settings.hosts``."""
        return self.hosts_override if self.hosts_override is not None else self.settings.hosts

    def rng_for(self, name: str) -> random.Random:
        """A fresh RNG for ``name``, deterministic when a seed is set."""
        return _rng(self.seed, name)

    def session_store(self, name: str) -> SessionStore:
        """The session store called ``name`` (created on first use)."""
        store = self.sessions.get(name)
        if store is None:
            with self.lock:
                store = self.sessions.setdefault(
                    name, SessionStore(name, self.clock, self.settings.session_idle_timeout)
                )
        return store

    async def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` of real time, or less if the server starts stopping meanwhile
        (``stopping``); True if the full time passed."""
        deadline = time.monotonic() + seconds
        while not self.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, _STOP_POLL_SECONDS))
        return False

    def surface(self, name: str) -> Any:
        """The state object of surface ``name`` (None if it has none)."""
        return self.surface_states.get(name)

    # -- lifecycle -----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the loaded scenario and fleet size: see the module docstring."""
        self._install(self._build(self.scenario, self.hosts_override))

    def load(
        self, scenario: Scenario, hosts: int | Literal[_Keep.KEEP] | None = _Keep.KEEP
    ) -> None:
        """Replace the scenario and reset to it.

        ``hosts`` is the fleet size to build it with: None for the scenario's own
        (``settings.hosts``, else its own objects); omitted, the current ``hosts_override``
        is kept. Raises :class:`~vreconnect_sim.scenario.FleetSizeError` (changing nothing)
        for a size outside ``0..MAX_FLEET_SIZE``.
        """
        size = self.hosts_override if hosts is _Keep.KEEP else hosts
        check_fleet_size(size)
        self._install(self._build(scenario, size))

    def restore_initial(self) -> None:
        """Back to the scenario and fleet size this state was created with, then reset."""
        scenario, hosts = self._initial
        self._install(self._build(scenario, hosts))

    def _build(self, scenario: Scenario, hosts: int | None) -> _World:
        """Build a world for ``scenario`` without touching the live one (no lock needed)."""
        settings = scenario.settings.model_copy(deep=True)
        seed = self.seed_override if self.seed_override is not None else settings.seed
        fleet_size = hosts if hosts is not None else settings.hosts
        states: dict[str, Any] = {}
        for spec in self.surfaces.values():
            ctx = BuildContext(
                sim=self,
                name=spec.name,
                section=scenario.section(spec.name),
                fleet_size=fleet_size,
                rng=_rng(seed, spec.name),
                clock=self.clock,
            )
            states[spec.name] = spec.build_state(ctx)
        return _World(scenario, hosts, settings, UserDirectory(scenario.users), seed, states)

    def _install(self, world: _World) -> None:
        """Swap ``world`` in as the live state, in one step under the lock."""
        with self.lock:
            self.scenario = world.scenario
            self.hosts_override = world.hosts
            self.settings = world.settings
            self.users = world.users
            for store in self.sessions.values():
                store.clear()
                store.idle_timeout = self.settings.session_idle_timeout
            self.injector.clear()
            self.injector.reseed(None if world.seed is None else f"{world.seed}:faults")
            self.tasks.clear()
            self.tasks.rng = _rng(world.seed, "tasks")
            self.tasks.settings = self.settings.tasks
            self.tasks.fault_renderers = {
                s.name: self._task_fault_renderer(s.name, s.render_task_fault)
                for s in self.surfaces.values()
                if s.render_task_fault is not None
            }
            self.surface_states = world.states
            self.generation += 1

    def _task_fault_renderer(self, name: str, render: TaskFaultRenderer) -> FaultRenderer:
        """The engine's renderer for surface ``name``: ``render`` given the surface's state."""

        def bound(action: FaultAction, task: SimTask) -> Any:
            return render(action, task, self.surface_states.get(name))

        return bound

    def settle(self) -> None:
        """Apply every task completion due by now (the app calls this before each request)."""
        self.tasks.settle()


def _rng(seed: int | None, name: str) -> random.Random:
    """The RNG of ``name`` under ``seed`` (unseeded when ``seed`` is None)."""
    return random.Random(f"{seed}:{name}") if seed is not None else random.Random()
