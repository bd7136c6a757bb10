"""The vr surface: vSphere Replication REST, page 004 (reconnect a VR pairing).

Mounted at ``/api/rest/vr/v2``; logs into the ``vr`` session store (``x-dr-session``).
See ``handlers`` for the behaviour, ``state`` for the scenario section, ``errors`` for the
error shapes (401/404 without a body, ``ResponseError`` for 400/403/500).
"""

from __future__ import annotations

from ..registry import SurfaceSpec, register_surface
from .errors import MOUNT, knows_fault, render_error, render_task_fault
from .handlers import RECONNECT_OPERATION, routes
from .state import VrSection, build_state, object_hooks

__all__ = ["SPEC"]

SPEC = SurfaceSpec(
    name="vr",
    mount=MOUNT,
    routes=routes,
    section_model=VrSection,
    build_state=build_state,
    render_error=render_error,
    render_task_fault=render_task_fault,
    session_store="vr",
    objects=object_hooks(),
    knows_fault=knows_fault,
    task_operations=frozenset({RECONNECT_OPERATION}),
    task_error_schema="TaskError",  # TaskDrResponseEntity.error
)

register_surface(SPEC)
