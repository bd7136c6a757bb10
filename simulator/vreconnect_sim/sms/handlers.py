"""The sms routes (``/sdk/vim25/{release}/sms``): VasaProviderReconnect_Task and its reads.

* ``VasaProviderReconnect_Task`` answers the call with NotAuthenticated, ManagedObjectNotFound
  or NoPermission (StorageViews.ConfigureService); otherwise it returns an ``SmsTask`` which
  succeeds as a no-op unless the provider is ``disconnected``, and for a disconnected provider
  ends in ProviderConnectionFailed (unreachable) or InvalidCertificate (expired or corrupted
  certificate; carries the PEM), or succeeds and brings the provider ``online``.
* ``QuerySmsTaskInfo`` / ``QueryProviderInfo`` need a session only (the page and protocols.md
  declare no privilege).
* None of them takes parameters: a body other than nothing or ``{}`` is an InvalidRequest
  (not JSON, not an object) or InvalidArgument (a member), answered before anything is done.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from ..auth import PRIV_STORAGE_VIEWS_CONFIGURE
from ..clock import iso8601
from ..registry import SurfaceContext
from ..tasks import SimTask, TaskFailed
from ..vim25.faults import VimFault, fault, managed_object_not_found, moref
from ..vim25.vijson import (
    Dispatcher,
    caller,
    endpoint,
    require_no_parameters,
    require_privilege,
)
from .state import Provider, SmsState

__all__ = ["provider_info_body", "reconnect_outcome", "routes", "sms_task_info_body"]

SURFACE = "sms"


def sms_task_ref(task_id: str) -> dict[str, str]:
    """A ``MoRefSmsTask``."""
    return moref("SmsTask", task_id)


def sms_task_info_body(task: SimTask) -> dict[str, Any]:
    """The ``SmsTaskInfo`` of an engine task."""
    body: dict[str, Any] = {
        "_typeName": "SmsTaskInfo",
        "key": task.id,
        "task": sms_task_ref(task.id),
    }
    if task.target is not None:
        body["object"] = moref("VasaProvider", task.target)
    state: str = task.state
    if state == "cancelled":
        body["error"] = fault("RequestCanceled")
        state = "error"
    elif state == "error" and task.error is not None:
        body["error"] = task.error
    elif state == "success" and task.result is not None:
        body["result"] = task.result
    if task.start_time is not None:
        body["startTime"] = iso8601(task.start_time)
    if task.complete_time is not None:
        body["completionTime"] = iso8601(task.complete_time)
    body["state"] = state
    if state == "running":
        body["progress"] = task.progress
    return body


def provider_info_body(p: Provider) -> dict[str, Any]:
    """The ``VasaProviderInfo`` of a provider."""
    body: dict[str, Any] = {
        "_typeName": "VasaProviderInfo",
        "uid": p.uid,
        "url": p.url,
        "name": p.name,
    }
    if p.description is not None:
        body["description"] = p.description
    body["version"] = p.version
    body["status"] = p.status
    if p.status_fault is not None:
        body["statusFault"] = p.status_fault
    body["certificateExpiryDate"] = iso8601(p.certificate_expiry)
    body["certificate"] = p.certificate
    return body


def reconnect_outcome(p: Provider, now: float) -> None:
    """Reconnect a provider: no-op unless disconnected; else raise TaskFailed or go online."""
    if p.status != "disconnected":
        return  # the page: "this operation will be a no-op"
    if not p.reachable:
        failure = fault(
            "ProviderConnectionFailed",
            f"An error was encountered while reconnecting to the provider {p.name} at {p.url}: "
            "connection timed out.",
            args={"provider": p.name, "url": p.url},
        )
    elif not p.certificate_valid(now):
        why = (
            "is corrupted"
            if p.certificate_corrupted
            else f"expired on {iso8601(p.certificate_expiry)}"
        )
        failure = fault(
            "InvalidCertificate",
            f"The certificate of provider {p.name} {why}. Unregister the provider, provision a "
            "new self signed certificate and register it again.",
            args={"provider": p.name},
            certificate=p.certificate,
        )
    else:
        p.status = "online"
        p.status_fault = None
        p.reconnect_count += 1
        p.last_reconnect_time = now
        return
    p.status_fault = failure
    raise TaskFailed(failure)


def routes(ctx: SurfaceContext) -> ASGIApp:
    """The sms routes (mounted at ``/sdk/vim25/{release}/sms``)."""

    def data() -> SmsState:
        state: SmsState = ctx.data
        return state

    def provider_or_fault(moid: str) -> Provider:
        p = data().providers.get(moid)
        if p is None:
            raise VimFault(managed_object_not_found("VasaProvider", moid))
        return p

    async def reconnect(request: Request) -> Response:
        """POST /VasaProvider/{moId}/VasaProviderReconnect_Task (no request body)."""
        moid, obj, session = caller(ctx, request, "VasaProvider")
        await require_no_parameters(request)
        with ctx.lock:
            provider = provider_or_fault(moid)
            require_privilege(session, PRIV_STORAGE_VIEWS_CONFIGURE, obj)
            clock = ctx.clock

            def apply(task: SimTask) -> None:
                reconnect_outcome(provider, clock.time())

            task = ctx.tasks.create(
                surface=SURFACE,
                operation="VasaProviderReconnect_Task",
                target=moid,
                on_complete=apply,
                id_format="SmsTask-{n}",
                cancelable=False,  # the SMS API has no cancel for this task
                description="VasaProvider.reconnect",
                user=session.user.name,
                entity_name=provider.name,
            )
        return JSONResponse(sms_task_ref(task.id))

    async def query_task(request: Request) -> Response:
        """POST /SmsTask/{moId}/QuerySmsTaskInfo."""
        moid = caller(ctx, request, "SmsTask").moid
        await require_no_parameters(request)
        task = ctx.tasks.get(moid)
        if task is None or task.surface != SURFACE:
            raise VimFault(managed_object_not_found("SmsTask", moid))
        return JSONResponse(sms_task_info_body(task))

    async def query_provider(request: Request) -> Response:
        """POST /VasaProvider/{moId}/QueryProviderInfo."""
        moid = caller(ctx, request, "VasaProvider").moid
        await require_no_parameters(request)
        with ctx.lock:
            body = provider_info_body(provider_or_fault(moid))
        return JSONResponse(body)

    dispatcher = Dispatcher()
    dispatcher.add(
        "POST",
        "VasaProvider",
        "VasaProviderReconnect_Task",
        endpoint(
            ctx,
            "VasaProviderReconnect_Task",
            reconnect,
        ),
    )
    dispatcher.add(
        "POST",
        "SmsTask",
        "QuerySmsTaskInfo",
        endpoint(
            ctx,
            "QuerySmsTaskInfo",
            query_task,
        ),
    )
    dispatcher.add(
        "POST",
        "VasaProvider",
        "QueryProviderInfo",
        endpoint(
            ctx,
            "QueryProviderInfo",
            query_provider,
        ),
    )
    return dispatcher
