"""The vim25 surface: VI/JSON at ``/sdk/vim25/{release}`` (pages 000 and 001).

Operations (specs/vim25.yaml): ServiceInstance content, SessionManager Login/Logout,
HostSystem ReconnectHost_Task / ReconfigureHostForDAS_Task / DisconnectHost_Task / runtime,
Task info / CancelTask. State: :mod:`.state` (inventory from the scenario's ``vim25:`` section,
:mod:`.section`); faults and error rendering: :mod:`.faults`; routes: :mod:`.handlers`.
"""

from __future__ import annotations

from ..registry import ObjectHooks, SurfaceSpec, register_surface
from .faults import fault_vocabulary, render_error, render_task_fault
from .handlers import TASK_OPERATIONS, routes
from .section import Vim25Section
from .state import build_state, get_object, list_objects, patch_object

__all__ = ["SPEC"]

SPEC = SurfaceSpec(
    name="vim25",
    mount="/sdk/vim25/{release}",
    routes=routes,
    section_model=Vim25Section,
    build_state=build_state,
    render_error=render_error,
    render_task_fault=render_task_fault,
    session_store="vim25",
    objects=ObjectHooks(list=list_objects, get=get_object, patch=patch_object),
    knows_fault=fault_vocabulary("vim25"),
    task_operations=TASK_OPERATIONS,
    task_error_schema="MethodFault",  # TaskInfo.error; the fault's own schema applies too
)

register_surface(SPEC)
