"""The vcenter surface: vSphere Automation REST (legacy ``/rest``), page 003 (VCHA redeploy).

Mounted at ``/rest``; logs into the ``rest`` session store (``vmware-api-session-id``).
Operations: ``POST/DELETE /com/vmware/cis/session``, ``GET /cis/tasks/{task}``,
``POST /vcenter/vcha/cluster?action=get``,
``POST /vcenter/vcha/cluster/passive?vmw-task=true&action=redeploy``. See ``handlers`` for the
behaviour, ``state`` for the scenario section, ``errors`` for the vAPI error shapes.
"""

from __future__ import annotations

from ..registry import SurfaceSpec, register_surface
from .errors import MOUNT, knows_fault, render_error, render_task_fault
from .handlers import REDEPLOY_OPERATION, routes
from .state import VcenterSection, build_state, object_hooks

__all__ = ["SPEC"]

SPEC = SurfaceSpec(
    name="vcenter",
    mount=MOUNT,
    routes=routes,
    section_model=VcenterSection,
    build_state=build_state,
    render_error=render_error,
    render_task_fault=render_task_fault,
    session_store="rest",
    objects=object_hooks(),
    knows_fault=knows_fault,
    task_operations=frozenset({REDEPLOY_OPERATION}),
    task_error_schema="StdError",  # TaskInfo.error
)

register_surface(SPEC)
