"""The sms surface: storage monitoring service at ``/sdk/vim25/{release}/sms`` (page 002).

Operations (specs/sms.yaml): VasaProviderReconnect_Task, QuerySmsTaskInfo, QueryProviderInfo.
Sessions are the vim25 ones (``session_store="vim25"``); faults, the VI/JSON pipeline and the
error renderer are shared with :mod:`vreconnect_sim.vim25`. State: :mod:`.state`.
"""

from __future__ import annotations

from ..registry import ObjectHooks, SurfaceSpec, register_surface
from ..vim25.faults import fault_vocabulary, render_error, render_task_fault
from .handlers import routes
from .state import SmsSection, build_state, get_object, list_objects, patch_object

__all__ = ["SPEC"]

SPEC = SurfaceSpec(
    name="sms",
    mount="/sdk/vim25/{release}/sms",
    routes=routes,
    section_model=SmsSection,
    build_state=build_state,
    render_error=render_error,
    render_task_fault=render_task_fault,
    session_store="vim25",
    objects=ObjectHooks(list=list_objects, get=get_object, patch=patch_object),
    knows_fault=fault_vocabulary("sms"),
    task_operations=frozenset({"VasaProviderReconnect_Task"}),
    task_error_schema="MethodFault",  # SmsTaskInfo.error; the fault's own schema applies too
)

register_surface(SPEC)
