"""The surface registry: how ``vim25/``, ``sms/``, ``vcenter/`` and ``vr/`` plug into the app.

A surface package registers itself at import time (in its ``__init__.py``)::

    from vreconnect_sim.registry import SurfaceSpec, register_surface

    register_surface(SurfaceSpec(
        name="vr",
        mount="/api/rest/vr/v2",
        routes=routes,                  # (SurfaceContext) -> list[BaseRoute] | ASGI app
        section_model=VrSection,        # pydantic model of the scenario's `vr:` section
        build_state=build_state,        # (BuildContext) -> your state object
        render_error=render_error,      # (Request | None, SimError) -> Response
        render_task_fault=task_fault,   # (FaultAction, SimTask, data) -> task error payload
        session_store="vr",
        objects=ObjectHooks(list=..., get=..., patch=...),
        knows_fault=knows_fault,        # (fault name) -> bool: rules naming others are refused
        task_operations=frozenset({"reconnect_pairing"}),  # operationIds that start a task
        task_error_schema="TaskError",  # schema of a failed task's error in the document
        openapi=None,                   # document for response validation; None: specs/vr.yaml
    ))

:func:`load_builtin_surfaces` imports the four packages (missing ones are skipped), so
``create_app`` and the scenario loader always see every surface that exists.

Routes are built once per app, but state is rebuilt on every reset/scenario load: handlers must
read ``ctx.data`` (and ``ctx.sessions``...) at request time, never capture them at build time.
"""

from __future__ import annotations

import importlib
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from .injection import DropConnection, FaultAction

if TYPE_CHECKING:
    from .auth import SessionStore, UserDirectory
    from .clock import Clock
    from .injection import FaultInjector
    from .scenario import Settings
    from .state import SimulatorState
    from .tasks import SimTask, TaskEngine

__all__ = [
    "BUILTIN_SURFACES",
    "INJECTED_STATUS",
    "BuildContext",
    "ErrorKind",
    "ErrorRenderer",
    "ObjectHooks",
    "SimError",
    "SurfaceContext",
    "SurfaceSpec",
    "TaskFaultRenderer",
    "default_render_error",
    "get_surface",
    "load_builtin_surfaces",
    "register_surface",
    "registered_surfaces",
    "unregister_surface",
]

BUILTIN_SURFACES: tuple[str, ...] = ("vim25", "sms", "vcenter", "vr")
"""Scenario sections accepted even before their package registers."""

INJECTED_STATUS = "vreconnect_sim.injected_status"
"""ASGI scope key set (to the rule's id) on a request answered by a fault rule's ``status``.

Such an answer is deliberately outside the surface's contract (a proxy's 503 in front of
vCenter, a teapot to break a contract test), so response validation lets it through as is."""

ErrorKind = Literal[
    "internal",  # unhandled exception -> the surface's documented 500 shape
    "body_too_large",  # request body over the limit (REST: 400; control: 413; VI/JSON: 500)
    "not_found",  # no route under the surface's mount
    "method_not_allowed",
    "bad_request",
    "unauthenticated",
    "forbidden",
    "fault",  # an injected fault rule (see SimError.fault)
]


@dataclass(slots=True)
class SimError(Exception):
    """A surface-neutral error for a surface's ``render_error`` to put in its own shape.

    ``status`` is the suggested HTTP status (a surface may override it: VI/JSON answers 500
    for everything); ``fault`` is set for ``kind="fault"``.
    """

    kind: ErrorKind
    message: str
    status: int = 500
    fault: FaultAction | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    @classmethod
    def injected(cls, action: FaultAction) -> SimError:
        """The error a ``where: call`` rule's ``fault`` answers with, for ``render_error``."""
        return cls("fault", action.message or f"injected fault {action.fault}", 500, action)


ErrorRenderer = Callable[[Request | None, SimError], Response]
"""``render_error(request, error) -> Response``; must never raise or include a stack trace."""


TaskFaultRenderer = Callable[[FaultAction, "SimTask", Any], Any]
"""``render_task_fault(action, task, data) -> payload``: the error of ``task`` (a snapshot;
``task.target`` is the object it works on) ended by an injected ``where: task`` fault (or by
the engine's ``SystemError`` when a completion callback crashed); ``data`` is the surface's
current state object, so object-specific fields can carry the object's real values."""


def default_render_error(request: Request | None, error: SimError) -> Response:
    """Fallback renderer (control API shape): ``{"error", "message"}`` with ``error.status``."""
    return JSONResponse({"error": error.kind, "message": error.message}, status_code=error.status)


@dataclass(frozen=True, slots=True)
class ObjectHooks:
    """Control-API access to a surface's objects (``/_sim/objects``).

    * ``list(data)`` -> iterable of summaries ``{"id", "type", "name"?...}``;
    * ``get(data, object_id)`` -> JSON-able dict of the object's state, or None if unknown;
    * ``patch(data, object_id, changes)`` -> the new state; raise ``KeyError`` for an unknown
      object, ``ValueError`` (message shown to the caller, 422) for a bad change.

    ``data`` is the surface state built by ``build_state``. Hooks run under the simulator lock.
    """

    list: Callable[[Any], Iterable[dict[str, Any]]]
    get: Callable[[Any, str], dict[str, Any] | None]
    patch: Callable[[Any, str, dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What ``build_state`` receives on every (re)build of a surface's state."""

    sim: SimulatorState
    name: str
    section: Any  # validated section model instance, raw mapping if no model, or None
    fleet_size: int | None  # `--hosts N` / create_app(hosts=N); None = the scenario's own
    rng: random.Random  # seeded per surface from the simulator seed
    clock: Clock


@dataclass(frozen=True)
class SurfaceSpec:
    """A surface's registration; see the module docstring."""

    name: str
    mount: str
    routes: Callable[[SurfaceContext], Sequence[BaseRoute] | ASGIApp]
    build_state: Callable[[BuildContext], Any] = field(default=lambda ctx: None)
    section_model: type[BaseModel] | None = None
    render_error: ErrorRenderer = default_render_error
    render_task_fault: TaskFaultRenderer | None = None
    session_store: str | None = None  # default: the surface name; sms uses "vim25"
    objects: ObjectHooks | None = None
    # Whether a fault rule's `fault` names a fault of this surface (POST /_sim/faults refuses
    # the others with 422); None: any name is accepted.
    knows_fault: Callable[[str], bool] | None = None
    # The operationIds that start a task (a `where: task` rule for any other operation would
    # never fire, so POST /_sim/faults refuses it); None: not checked.
    task_operations: frozenset[str] | None = None
    # The component schema of a failed task's error in the surface's document: a `where: task`
    # rule's error, as render_task_fault renders it, must match it (and, for a VI/JSON fault,
    # the schema its `_typeName` names); None: not checked.
    task_error_schema: str | None = None
    # OpenAPI document its responses are validated against (validate_responses mode): a path
    # or a parsed mapping; None means ``specs/<name>.yaml`` (see vreconnect_sim.validation).
    openapi: str | os.PathLike[str] | Mapping[str, Any] | None = None

    @property
    def store_name(self) -> str:
        """Name of the session store this surface logs into."""
        return self.session_store or self.name

    def mount_regex(self) -> re.Pattern[str]:
        """Regex matching request paths under this mount (``{param}`` = one segment)."""
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.mount))
        return re.compile(f"^{pattern}(?:/|$)")


class SurfaceContext:
    """Handed to ``routes()``; gives handlers the *current* state at request time."""

    def __init__(self, spec: SurfaceSpec, sim: SimulatorState) -> None:
        self.spec = spec
        self.sim = sim

    @property
    def name(self) -> str:
        """The surface name."""
        return self.spec.name

    @property
    def data(self) -> Any:
        """This surface's state object (rebuilt by reset; read it per request)."""
        return self.sim.surface_states.get(self.spec.name)

    @property
    def sessions(self) -> SessionStore:
        """The session store this surface logs into."""
        return self.sim.session_store(self.spec.store_name)

    @property
    def tasks(self) -> TaskEngine:
        """The shared task engine."""
        return self.sim.tasks

    @property
    def injector(self) -> FaultInjector:
        """The shared fault injector."""
        return self.sim.injector

    @property
    def users(self) -> UserDirectory:
        """The scenario's users."""
        return self.sim.users

    @property
    def clock(self) -> Clock:
        """The simulator clock."""
        return self.sim.clock

    @property
    def settings(self) -> Settings:
        """The live settings (task settings, releases, limits...)."""
        return self.sim.settings

    @property
    def lock(self) -> Any:
        """The simulator-wide RLock; hold it while touching state, never across ``await``."""
        return self.sim.lock

    def error_response(self, request: Request | None, error: SimError) -> Response:
        """Render ``error`` in this surface's shape."""
        return self.spec.render_error(request, error)

    async def call_faults(
        self, request: Request | None, operation: str, object_id: str | None
    ) -> Response | None:
        """Apply ``where="call"`` fault rules for one call; call once per handled request.

        Sleeps any ``latency_ms`` (cut short, and the connection dropped, when the server
        starts shutting down); raises :class:`DropConnection` for ``drop``; returns the
        response to send for ``status`` (verbatim, with ``Retry-After`` when the rule has
        ``retry_after``, and exempt from response validation: see :data:`INJECTED_STATUS`) or
        ``fault`` (via ``render_error`` with
        ``SimError(kind="fault", fault=action)``); returns None when the call should proceed.
        """
        action = self.sim.injector.check(operation, object_id, "call", surface=self.spec.name)
        if action is None:
            return None
        if action.latency_ms and not await self.sim.pause(action.latency_ms / 1000.0):
            raise DropConnection("the simulator is shutting down")
        if action.drop:
            raise DropConnection()
        if action.status is not None:
            if request is not None:
                request.scope[INJECTED_STATUS] = action.rule_id or "?"
            headers = None
            if action.retry_after is not None:
                headers = {"Retry-After": str(action.retry_after)}
            if action.body is None:
                return Response(status_code=action.status, headers=headers)
            return JSONResponse(action.body, status_code=action.status, headers=headers)
        if action.fault is not None:
            return self.spec.render_error(request, SimError.injected(action))
        return None


_REGISTRY: dict[str, SurfaceSpec] = {}


def register_surface(spec: SurfaceSpec) -> None:
    """Register (or replace, e.g. on reload) a surface."""
    _REGISTRY[spec.name] = spec


def unregister_surface(name: str) -> None:
    """Remove a surface (tests use this to register throwaway surfaces)."""
    _REGISTRY.pop(name, None)


def get_surface(name: str) -> SurfaceSpec | None:
    """The registered surface called ``name``, or None."""
    return _REGISTRY.get(name)


def registered_surfaces() -> list[SurfaceSpec]:
    """All registered surfaces: the built-in ones in :data:`BUILTIN_SURFACES` order (whichever
    package happened to be imported first), then the others in registration order."""
    builtin = [_REGISTRY[name] for name in BUILTIN_SURFACES if name in _REGISTRY]
    return builtin + [spec for name, spec in _REGISTRY.items() if name not in BUILTIN_SURFACES]


def load_builtin_surfaces() -> list[str]:
    """Import the built-in surface packages so they register; returns those that exist.

    A package that does not exist yet is skipped; an error *inside* one propagates.
    """
    found = []
    for name in BUILTIN_SURFACES:
        module = f"vreconnect_sim.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        found.append(name)
    return found
