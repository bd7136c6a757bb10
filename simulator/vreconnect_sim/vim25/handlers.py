"""The vim25 (VI/JSON) routes: ServiceInstance, SessionManager, HostSystem and Task.

Which failure answers the call and which ends the task follows docs/design.md exactly:

* ReconnectHost_Task answers the call with NotAuthenticated, InvalidRequest/InvalidArgument
  (bad body), ManagedObjectNotFound, NoPermission (Host.Config.Connection), NotSupported (host
  of a standalone ComputeResource), InvalidName (syntactically invalid ``cnxSpec.hostName``)
  and InvalidState (host not disconnected -- except a connected host whose reconnect only
  presents ``cnxSpec.sslThumbprint``, which the page allows). The task then ends in error, in
  this order of discovery, with NoHost (host unreachable, or not answering at the requested
  address), SSLVerifyFault (certificate not CA-trusted and ``sslThumbprint`` missing or wrong;
  carries the real thumbprint and PEM), InvalidLogin, AlreadyBeingManaged (unless ``force``),
  NotSupportedHost, NotEnoughLicenses, HostConnectFault (generic).
* ReconfigureHostForDAS_Task answers NotSupported for a host outside an HA-enabled cluster;
  the task ends in DasConfigFault (reason, output, events) for a misconfigured or not
  connected host.

Tasks are ``task-<n>``; a cancelled task reads ``state: error, cancelled: true`` with a
``RequestCanceled`` error, as vCenter reports it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from vreconnect_generated.models import vim25 as m

from ..auth import PRIV_HOST_CONFIG_CONNECTION, User
from ..clock import iso8601
from ..registry import SurfaceContext
from ..tasks import SimTask, TaskFailed
from .certs import normalize_thumbprint
from .faults import (
    VimFault,
    already_being_managed,
    fault,
    invalid_argument,
    managed_object_not_found,
    moref,
)
from .section import is_valid_host_name
from .state import Host, Vim25State
from .vijson import (
    SESSION_HEADER,
    Caller,
    Dispatcher,
    Handler,
    caller,
    encode_json,
    endpoint,
    parse_body,
    require_no_parameters,
    require_privilege,
    require_session,
    vim_user_name,
)

__all__ = ["KNOWN_LOCALES", "PRIV_SYSTEM_READ", "TASK_OPERATIONS", "routes", "task_info_body"]

PRIV_SYSTEM_READ = "System.Read"
KNOWN_LOCALES = frozenset({"en", "de", "fr", "ja", "ko", "zh_CN", "zh_TW", "es", "it"})
SURFACE = "vim25"
_BODY_CACHE = "_vim25_taskinfo_json"

# operationId -> (descriptionId, cancelable). Reconnect can be cancelled in vCenter; HA
# configuration and disconnect cannot (so CancelTask's NotSupported is reachable).
_TASK_KINDS: dict[str, tuple[str, bool]] = {
    "ReconnectHost_Task": ("HostSystem.reconnect", True),
    "ReconfigureHostForDAS_Task": ("HostSystem.reconfigureDAS", False),
    "DisconnectHost_Task": ("HostSystem.disconnect", False),
}
TASK_OPERATIONS = frozenset(_TASK_KINDS)
"""The operationIds that start a task."""

_DAS_REASON_TEXT: dict[str, str] = {
    "HostNetworkMisconfiguration": "the host's management network is misconfigured",
    "HostMisconfiguration": "the host is misconfigured",
    "InsufficientPrivileges": "the operation has insufficient privileges",
    "NoPrimaryAgentAvailable": "no primary vSphere HA agent is available",
    "Other": "the configuration failed",
    "NoDatastoresConfigured": "no datastores are configured on the host",
    "CreateConfigVvolFailed": "the vSphere HA configuration vVol could not be created",
    "VSanNotSupportedOnHost": "the host does not support vSAN",
    "DasNetworkMisconfiguration": "the vSphere HA network is misconfigured",
    "SetDesiredImageSpecFailed": "the desired image spec could not be set",
    "ApplyHAVibsOnClusterFailed": "the vSphere HA VIBs could not be applied",
}


@dataclass(slots=True, frozen=True)
class ReconnectParams:
    """The parts of a ReconnectHost_Task request the simulation uses (no pydantic at run)."""

    host_name: str | None
    port: int | None
    thumbprint: str | None
    user: str | None
    password: str | None = None
    force: bool = False
    sync_state: bool = False
    thumbprint_only: bool = False
    vm_folder: tuple[str, str] | None = None

    @classmethod
    def from_request(cls, body: m.ReconnectHostRequestType) -> ReconnectParams:
        """Pull the fields out of the validated request model."""
        cnx = body.cnxSpec if isinstance(body.cnxSpec, m.HostConnectSpec) else None
        rspec = (
            body.reconnectSpec
            if isinstance(body.reconnectSpec, m.HostSystemReconnectSpec)
            else None
        )
        if cnx is None:
            return cls(None, None, None, None, sync_state=bool(rspec and rspec.syncState))
        password = cnx.password.get_secret_value() if isinstance(cnx.password, SecretStr) else None
        return cls(
            host_name=cnx.hostName if isinstance(cnx.hostName, str) else None,
            port=cnx.port if isinstance(cnx.port, int) else None,
            thumbprint=cnx.sslThumbprint if isinstance(cnx.sslThumbprint, str) else None,
            user=cnx.userName if isinstance(cnx.userName, str) else None,
            password=password,
            force=bool(cnx.force),
            sync_state=bool(rspec and rspec.syncState),
            vm_folder=(cnx.vmFolder.type, cnx.vmFolder.value)
            if isinstance(cnx.vmFolder, m.ManagedObjectReference)
            else None,
        )


def task_info_body(task: SimTask) -> dict[str, Any]:
    """The VI/JSON ``TaskInfo`` of an engine task."""
    info = task.info
    state: str = task.state
    body: dict[str, Any] = {
        "_typeName": "TaskInfo",
        "key": task.id,
        "task": moref("Task", task.id),
        "name": task.operation,
        "descriptionId": task.description or task.operation,
    }
    entity = info.get("entity")
    if entity is not None:
        body["entity"] = entity
    if task.entity_name is not None:
        body["entityName"] = task.entity_name
    if state == "cancelled":
        # vCenter reports a cancelled task as failed with RequestCanceled.
        body["state"] = "error"
        body["error"] = fault("RequestCanceled")
    else:
        body["state"] = state
        if state == "error" and task.error is not None:
            body["error"] = task.error
        elif state == "success" and task.result is not None:
            body["result"] = task.result
        elif state == "running":
            body["progress"] = task.progress
    body["cancelled"] = task.cancelled
    body["cancelable"] = task.cancelable
    body["reason"] = {"_typeName": "TaskReasonUser", "userName": info.get("user_name", "")}
    body["queueTime"] = iso8601(task.queue_time)
    if task.start_time is not None:
        body["startTime"] = iso8601(task.start_time)
    if task.complete_time is not None:
        body["completeTime"] = iso8601(task.complete_time)
    body["eventChainId"] = info.get("chain_id", 0)
    return body


def _invalid_state(host: Host, detail: str) -> dict[str, Any]:
    return fault(
        "InvalidState",
        f"The operation is not allowed in the current state of host {host.name}: {detail}",
        args={"host": host.name, "connectionState": host.connection_state},
    )


def _host_args(host: Host, name: str) -> dict[str, str]:
    return {"host": name, "hostName": host.host_name}


def _no_host(name: str) -> dict[str, Any]:
    return fault(
        "NoHost",
        f"Cannot contact the specified host ({name}). The host may not be available on the "
        "network, a network configuration problem may exist, or the management services on "
        "this host may not be responding.",
        args={"host": name},
        name=name,
    )


def reconnect_outcome(state: Vim25State, host: Host, p: ReconnectParams, now: float) -> None:
    """Run the reconnect against the simulated host: raise TaskFailed or apply the result."""
    if host.connection_state != "disconnected" and not (
        p.thumbprint_only and host.connection_state == "connected"
    ):
        # The host changed state while the task was queued (e.g. another reconnect won).
        raise TaskFailed(_invalid_state(host, f"it is {host.connection_state}"))
    target = p.host_name or host.host_name
    port = host.port if p.port is None else p.port
    if not host.answers_at(target, port):
        raise TaskFailed(_no_host(target))
    if not host.ca_trusted and (
        p.thumbprint is None or normalize_thumbprint(p.thumbprint) != host.thumbprint
    ):
        raise TaskFailed(
            fault(
                "SSLVerifyFault",
                f"Authenticity of the host's SSL certificate is not verified. The host "
                f"{target} presents a certificate with SHA-1 thumbprint {host.thumbprint}.",
                args={"host": target, "thumbprint": host.thumbprint},
                selfSigned=host.self_signed,
                thumbprint=host.thumbprint,
                certificate=host.certificate,
            )
        )
    explicit_credentials = p.user is not None or p.password is not None
    if explicit_credentials:
        user_ok = (p.user if p.user is not None else host.user) == host.user
        if not (user_ok and p.password is not None and p.password == host.password):
            raise TaskFailed(
                fault(
                    "InvalidLogin",
                    f"Cannot complete login due to an incorrect user name or password for "
                    f"host {target}.",
                    args={"host": target},
                )
            )
    elif not host.stored_credentials_valid:
        raise TaskFailed(
            fault(
                "InvalidLogin",
                f"Cannot complete login: the credentials vCenter Server holds for host {target} "
                "are no longer accepted; supply cnxSpec.userName and cnxSpec.password.",
                args={"host": target},
            )
        )
    if host.managed_by and not p.force:
        raise TaskFailed(already_being_managed(host.managed_by, host.name))
    if not host.supported:
        raise TaskFailed(
            fault(
                "NotSupportedHost",
                f"The host {target} runs {host.product_name} {host.product_version}, which is "
                "not supported by this vCenter Server.",
                args={"host": target, "productVersion": host.product_version},
                productName=host.product_name,
                productVersion=host.product_version,
            )
        )
    if not host.licensed:
        raise TaskFailed(
            fault(
                "NotEnoughLicenses",
                f"There are not enough licenses to add host {target}.",
                args={"host": target},
            )
        )
    if host.connect_fault:
        raise TaskFailed(fault("HostConnectFault", host.connect_fault, args={"host": target}))
    # Success: the host record keeps its moId but follows the host to its new address.
    was_connected = host.connection_state == "connected"
    if p.host_name is not None:
        host.host_name = p.host_name
    if p.port is not None:
        host.port = p.port
    if p.force:
        host.managed_by = None
    if explicit_credentials:
        host.stored_credentials_valid = True
    host.connection_state = "connected"
    host.accept_certificate()
    host.last_reconnect_sync_state = p.sync_state
    host.last_reconnect_time = now
    if p.sync_state:
        host.last_state_sync_time = now
    host.reconnect_count += 1
    if not was_connected and state.in_ha_cluster(host):
        host.das_state = (
            "initializationError"
            if host.das_misconfig is not None
            else state.healthy_das_state(host)
        )


def das_outcome(state: Vim25State, host: Host, chain_id: int, user_name: str, now: float) -> None:
    """Configure vSphere HA on the host: raise TaskFailed(DasConfigFault) or update its state."""
    cr = state.parent_of(host)
    if not state.in_ha_cluster(host):
        raise TaskFailed(
            fault("NotSupported", f"Host {host.name} is not in an HA-enabled cluster.")
        )
    misconfig = host.das_misconfig
    if host.connection_state != "connected":
        reason, output = (
            "Other",
            (
                f"The host {host.name} is {host.connection_state}; vSphere HA can only be "
                "configured on a connected host."
            ),
        )
        messages: tuple[str, ...] = ()
    elif misconfig is not None:
        reason, output, messages = misconfig.reason, misconfig.output, misconfig.events
        host.das_state = "initializationError"
    else:
        host.das_state = state.healthy_das_state(host)
        return
    dc = state.datacenter_of(cr)
    if not messages:
        text = _DAS_REASON_TEXT.get(reason, reason)
        messages = (
            f"vSphere HA agent for host {host.name} in cluster {cr.name} in {dc.name} has an "
            f"error: {text}",
        )
    created = iso8601(now)
    events = [
        {
            "_typeName": "HostDasErrorEvent",
            "key": state.next_event_key(),
            "chainId": chain_id,
            "createdTime": created,
            "userName": user_name,
            "datacenter": {
                "_typeName": "DatacenterEventArgument",
                "name": dc.name,
                "datacenter": moref("Datacenter", dc.moid),
            },
            "computeResource": {
                "_typeName": "ComputeResourceEventArgument",
                "name": cr.name,
                "computeResource": moref(cr.mo_type, cr.moid),
            },
            "host": {
                "_typeName": "HostEventArgument",
                "name": host.name,
                "host": moref("HostSystem", host.moid),
            },
            "fullFormattedMessage": text_,
            "message": text_,
            "reason": "configFailed",
        }
        for text_ in messages
    ]
    raise TaskFailed(
        fault(
            "DasConfigFault",
            f"vSphere HA agent on host {host.name} cannot be correctly installed or configured.",
            args={"host": host.name, "reason": reason},
            reason=reason,
            output=output,
            event=events,
        )
    )


def routes(ctx: SurfaceContext) -> ASGIApp:
    """The vim25 routes (mounted at ``/sdk/vim25/{release}``), as one :class:`Dispatcher`."""

    def data() -> Vim25State:
        state: Vim25State = ctx.data
        return state

    def host_for(call: Caller, privilege: str) -> tuple[Vim25State, Host]:
        """Under ``ctx.lock``: the state and the called host, once the caller holds
        ``privilege`` (ManagedObjectNotFound first, then NoPermission)."""
        state = data()
        host = state.hosts.get(call.moid)
        if host is None:
            raise VimFault(managed_object_not_found("HostSystem", call.moid))
        require_privilege(call.session, privilege, call.obj)
        return state, host

    def start_task(
        state: Vim25State,
        operation: str,
        host: Host,
        session_user: User,
        on_complete: Callable[[SimTask], None],
    ) -> SimTask:
        description, cancelable = _TASK_KINDS[operation]
        return ctx.tasks.create(
            surface=SURFACE,
            operation=operation,
            target=host.moid,
            on_complete=on_complete,
            id_format="task-{n}",
            cancelable=cancelable,
            description=description,
            user=session_user.name,
            entity_name=host.name,
            info={
                "entity": moref("HostSystem", host.moid),
                "user_name": vim_user_name(session_user),
                "chain_id": state.next_chain_id(),
                "privilege": PRIV_HOST_CONFIG_CONNECTION,
            },
        )

    def task_ref(task: SimTask) -> Response:
        return JSONResponse(moref("Task", task.id))

    # -- ServiceInstance / SessionManager ------------------------------------------------

    async def service_content(request: Request) -> Response:
        """GET /ServiceInstance/{moId}/content (no session needed)."""
        moid = request.path_params["moId"]
        await require_no_parameters(request)
        if moid != "ServiceInstance":
            raise VimFault(managed_object_not_found("ServiceInstance", moid))
        about = data().about
        return JSONResponse(
            {
                "_typeName": "ServiceContent",
                "rootFolder": moref("Folder", "group-d1"),
                "propertyCollector": moref("PropertyCollector", "propertyCollector"),
                "about": {
                    "_typeName": "AboutInfo",
                    "name": about.name,
                    "fullName": about.full_name
                    or f"{about.name} {about.version} build-{about.build}",
                    "vendor": about.vendor,
                    "version": about.version,
                    "build": about.build,
                    "osType": about.os_type,
                    "productLineId": about.product_line_id,
                    "apiType": "VirtualCenter",
                    "apiVersion": about.api_version,
                    "instanceUuid": about.instance_uuid,
                },
                "sessionManager": moref("SessionManager", "SessionManager"),
                "taskManager": moref("TaskManager", "TaskManager"),
                "eventManager": moref("EventManager", "EventManager"),
                "licenseManager": moref("LicenseManager", "LicenseManager"),
            }
        )

    async def login(request: Request) -> Response:
        """POST /SessionManager/{moId}/Login."""
        moid = request.path_params["moId"]
        body = await parse_body(request, m.LoginRequestType)
        if moid != "SessionManager":
            raise VimFault(managed_object_not_found("SessionManager", moid))
        locale = body.locale if isinstance(body.locale, str) else "en"
        if locale not in KNOWN_LOCALES:
            raise VimFault(fault("InvalidLocale", f"The locale '{locale}' is not supported."))
        user = ctx.users.authenticate(body.userName, body.password.get_secret_value())
        if user is None:
            raise VimFault(fault("InvalidLogin"))
        key = str(uuid.uuid4())
        session = ctx.sessions.create(user, key=key, locale=locale)
        login_time = iso8601(session.created)
        user_session = {
            "_typeName": "UserSession",
            "key": key,
            "userName": vim_user_name(user),
            "fullName": user.full_name or user.name,
            "loginTime": login_time,
            "lastActiveTime": login_time,
            "locale": locale,
            "messageLocale": locale,
            "extensionSession": False,
        }
        if request.client is not None:
            user_session["ipAddress"] = request.client.host
        agent = request.headers.get("user-agent")
        if agent:
            user_session["userAgent"] = agent
        return JSONResponse(user_session, headers={SESSION_HEADER: session.token})

    async def logout(request: Request) -> Response:
        """POST /SessionManager/{moId}/Logout."""
        moid = request.path_params["moId"]
        require_session(ctx, request)
        await require_no_parameters(request)
        if moid != "SessionManager":
            raise VimFault(managed_object_not_found("SessionManager", moid))
        ctx.sessions.invalidate(request.headers.get(SESSION_HEADER))
        return Response(status_code=204)

    # -- HostSystem ------------------------------------------------------------------------

    async def reconnect_host(request: Request) -> Response:
        """POST /HostSystem/{moId}/ReconnectHost_Task."""
        call = caller(ctx, request, "HostSystem")
        params = ReconnectParams.from_request(await parse_body(request, m.ReconnectHostRequestType))
        with ctx.lock:
            state, host = host_for(call, PRIV_HOST_CONFIG_CONNECTION)
            cr = state.parent_of(host)
            if cr.kind == "standalone":
                raise VimFault(
                    fault(
                        "NotSupported",
                        f"Host {host.name} belongs to the standalone ComputeResource {cr.name}; "
                        "no host can be added to this group.",
                        args={"host": host.name, "computeResource": cr.name},
                    )
                )
            if params.host_name is not None and not is_valid_host_name(params.host_name):
                raise VimFault(
                    fault(
                        "InvalidName",
                        f"The host name '{params.host_name}' is invalid.",
                        args={"name": params.host_name},
                        name=params.host_name,
                        entity=call.obj,
                    )
                )
            if params.vm_folder is not None:
                folder_type, folder = params.vm_folder
                if folder_type != "Folder":
                    raise VimFault(
                        invalid_argument("cnxSpec.vmFolder", f"A {folder_type} is not a Folder.")
                    )
                if folder not in state.folders:
                    raise VimFault(managed_object_not_found("Folder", folder))
            moving = (params.host_name is not None and params.host_name != host.host_name) or (
                params.port is not None and params.port != host.port
            )
            thumbprint_only = (
                host.connection_state == "connected"
                and params.thumbprint is not None
                and not moving
            )
            if host.connection_state != "disconnected" and not thumbprint_only:
                raise VimFault(
                    _invalid_state(host, f"it is {host.connection_state}, not disconnected")
                )
            if thumbprint_only:
                params = dataclasses.replace(params, thumbprint_only=True)
            clock = ctx.clock

            def apply(task: SimTask) -> None:
                reconnect_outcome(state, host, params, clock.time())

            task = start_task(state, "ReconnectHost_Task", host, call.session.user, apply)
        return task_ref(task)

    async def reconfigure_das(request: Request) -> Response:
        """POST /HostSystem/{moId}/ReconfigureHostForDAS_Task."""
        call = caller(ctx, request, "HostSystem")
        await require_no_parameters(request)
        with ctx.lock:
            state, host = host_for(call, PRIV_HOST_CONFIG_CONNECTION)
            if not state.in_ha_cluster(host):
                cr = state.parent_of(host)
                where = (
                    f"the standalone ComputeResource {cr.name}"
                    if cr.kind == "standalone"
                    else f"cluster {cr.name}, which does not have vSphere HA enabled"
                )
                raise VimFault(
                    fault(
                        "NotSupported",
                        f"Host {host.name} is in {where}; it cannot be reconfigured for vSphere HA.",
                        args={"host": host.name},
                    )
                )
            clock = ctx.clock
            user_name = vim_user_name(call.session.user)

            def apply(task: SimTask) -> None:
                das_outcome(state, host, int(task.info["chain_id"]), user_name, clock.time())

            task = start_task(state, "ReconfigureHostForDAS_Task", host, call.session.user, apply)
        return task_ref(task)

    async def disconnect_host(request: Request) -> Response:
        """POST /HostSystem/{moId}/DisconnectHost_Task."""
        call = caller(ctx, request, "HostSystem")
        await require_no_parameters(request)
        with ctx.lock:
            state, host = host_for(call, PRIV_HOST_CONFIG_CONNECTION)

            def apply(task: SimTask) -> None:
                host.connection_state = "disconnected"
                state.clear_das(host)

            task = start_task(state, "DisconnectHost_Task", host, call.session.user, apply)
        return task_ref(task)

    async def host_runtime(request: Request) -> Response:
        """GET /HostSystem/{moId}/runtime."""
        call = caller(ctx, request, "HostSystem")
        await require_no_parameters(request)
        with ctx.lock:
            state, host = host_for(call, PRIV_SYSTEM_READ)
            connected = host.connection_state == "connected"
            body: dict[str, Any] = {
                "_typeName": "HostRuntimeInfo",
                "connectionState": host.connection_state,
                # vCenter cannot know the power state of a host it does not talk to.
                "powerState": host.power_state if connected else "unknown",
                "inMaintenanceMode": host.in_maintenance_mode,
                "inQuarantineMode": False,
                "bootTime": iso8601(host.boot_time),
            }
            if host.das_state is not None and state.in_ha_cluster(host):
                body["dasHostState"] = {
                    "_typeName": "ClusterDasFdmHostState",
                    "state": host.das_state,
                }
                cr = state.parent_of(host)
                if cr.das_master is not None:
                    body["dasHostState"]["stateReporter"] = moref("HostSystem", cr.das_master)
        return JSONResponse(body)

    # -- Task --------------------------------------------------------------------------------

    def task_or_fault(moid: str) -> SimTask:
        task = ctx.tasks.get(moid)
        if task is None or task.surface != SURFACE:
            raise VimFault(managed_object_not_found("Task", moid))
        return task

    async def task_info(request: Request) -> Response:
        """GET /Task/{moId}/info."""
        call = caller(ctx, request, "Task")
        await require_no_parameters(request)
        task = task_or_fault(call.moid)
        require_privilege(call.session, PRIV_SYSTEM_READ, call.obj)
        if not task.finished:
            return JSONResponse(task_info_body(task))
        # A finished task's TaskInfo never changes: encode it once (polling loops re-read it).
        cached = task.info.get(_BODY_CACHE)
        if cached is None:
            cached = encode_json(task_info_body(task))
            task.info[_BODY_CACHE] = cached
        return Response(cached, media_type="application/json")

    async def cancel_task(request: Request) -> Response:
        """POST /Task/{moId}/CancelTask."""
        call = caller(ctx, request, "Task")
        await require_no_parameters(request)
        with ctx.lock:
            task = task_or_fault(call.moid)
            privilege = str(task.info.get("privilege", PRIV_SYSTEM_READ))
            require_privilege(call.session, privilege, call.obj)
            if task.finished:
                raise VimFault(
                    fault(
                        "InvalidState",
                        f"The task {call.moid} has already finished ({task.state}); it cannot be "
                        "cancelled.",
                        args={"task": call.moid},
                    )
                )
            if not task.cancelable:
                raise VimFault(
                    fault(
                        "NotSupported",
                        f"The task {call.moid} ({task.operation}) cannot be cancelled.",
                        args={"task": call.moid},
                    )
                )
            ctx.tasks.cancel(call.moid)
        return Response(status_code=204)

    dispatcher = Dispatcher()

    def route(http: str, mo_type: str, method: str, fn: Handler, op: str) -> None:
        dispatcher.add(http, mo_type, method, endpoint(ctx, op, fn))

    route("POST", "HostSystem", "ReconnectHost_Task", reconnect_host, "ReconnectHost_Task")
    route("GET", "Task", "info", task_info, "GetTaskInfo")
    route("GET", "HostSystem", "runtime", host_runtime, "GetHostSystemRuntime")
    route(
        "POST",
        "HostSystem",
        "ReconfigureHostForDAS_Task",
        reconfigure_das,
        "ReconfigureHostForDAS_Task",
    )
    route("POST", "HostSystem", "DisconnectHost_Task", disconnect_host, "DisconnectHost_Task")
    route("POST", "Task", "CancelTask", cancel_task, "CancelTask")
    route("GET", "ServiceInstance", "content", service_content, "GetServiceInstanceContent")
    route("POST", "SessionManager", "Login", login, "Login")
    route("POST", "SessionManager", "Logout", logout, "Logout")
    return dispatcher
