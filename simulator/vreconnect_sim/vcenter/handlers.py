"""Routes of the vcenter (``/rest``) surface: session, task read, VCHA cluster read, redeploy.

Which failure answers the call and which ends the task follows docs/design.md:

* the call answers 401 unauthenticated (no/expired session), 403 unauthorized (missing
  Global.VCServer; System.Read for reads), 400 invalid_argument (malformed body, a cross-field
  rule, an unknown placement object, bad active-node credentials), 400 unverified_peer (the
  management vCenter's thumbprint does not match; ``data`` = certificate_info), 500 error
  (cluster not configured / not degraded / already being redeployed, management vCenter not
  reachable);
* the task ends FAILED when deploying fails (a placement object with ``deploy_error``) or an
  injected ``where=task`` fault fires; otherwise it makes the cluster HEALTHY with the passive
  node UP, as ``POST /vcenter/vcha/cluster?action=get`` then shows.

Checks run in this order: fault injection, session, privilege, query parameters, body schema,
cross-field rules and placement, management vCenter (reachable, thumbprint, credentials),
cluster state. Privilege comes before the body so that an unprivileged caller learns nothing
about the inventory from validation messages. The operations without a request body (session
create/delete, task read) ignore a blank or JSON body and answer 400 invalid_argument to one
that is not JSON (``vapi.message.json.invalid``), as the cluster read does; the login checks
it before logging in.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vreconnect_generated.models import vcenter as models

from ..auth import PRIV_GLOBAL_VCSERVER, Session, User, credentials_match
from ..clock import iso8601
from ..jsonbody import is_blank
from ..registry import SurfaceContext
from ..rest import (
    basic_login,
    endpoint,
    json_response,
    path_param,
    refuse_unreadable_body,
    session_of,
)
from ..scenario import format_loc
from ..tasks import SimTask, TaskFailed
from ..tls import thumbprint_hex
from .errors import VapiError, error_body, message
from .rules import check_credentials_spec, check_placement, check_redeploy_spec
from .state import CLUSTER_ID, ClusterSettings, IpSettings, NodeSettings, VcenterState

__all__ = ["REDEPLOY_OPERATION", "SESSION_HEADER", "routes", "task_info"]

SESSION_HEADER = "vmware-api-session-id"
REDEPLOY_OPERATION = "vcha_cluster_passive_redeploy_task"
SERVICE = "com.vmware.vcenter.vcha.cluster.passive"
PRIV_READ = "System.Read"
MAX_MESSAGES = 20  # a huge invalid body must not produce a huge error

_M = TypeVar("_M", bound=BaseModel)

_TASK_STATUS = {
    "queued": "PENDING",
    "running": "RUNNING",
    "success": "SUCCEEDED",
    "error": "FAILED",
    "cancelled": "FAILED",  # the spec's TaskStatus has no CANCELED; redeploy is not cancelable
}
_PROGRESS_TEXT = {
    "PENDING": "Waiting to start",
    "RUNNING": "Deploying the passive node",
    "SUCCEEDED": "Passive node deployed",
    "FAILED": "Redeploy failed",
}


# -- request helpers ------------------------------------------------------------------------


def _unauthenticated(text: str) -> VapiError:
    return VapiError.simple("unauthenticated", "vapi.security.authentication.invalid", text)


def _unauthorized(privilege: str) -> VapiError:
    return VapiError.simple(
        "unauthorized",
        "vapi.security.authorization.invalid",
        f"Unable to authorize user: operation execution requires the {privilege} privilege.",
        privilege,
    )


def _invalid(msg_id: str, text: str, *args: str) -> VapiError:
    return VapiError.simple("invalid_argument", msg_id, text, *args)


def _unreadable(text: str) -> VapiError:
    return _invalid("vapi.message.json.invalid", text)


def _schema_messages(exc: ValidationError) -> list[dict[str, Any]]:
    """One message per schema violation, naming the field; never echoes input values."""
    out: list[dict[str, Any]] = []
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors[:MAX_MESSAGES]:
        if err["type"] == "json_invalid":
            out.append(
                message(
                    "vapi.message.json.invalid", f"request body is not valid JSON: {err['msg']}"
                )
            )
            continue
        field = format_loc(tuple(err["loc"])) or "request body"
        out.append(
            message(
                "vapi.data.structure.field.invalid", f"{field}: {err['msg']}", field, err["msg"]
            )
        )
    if len(errors) > MAX_MESSAGES:
        more = str(len(errors) - MAX_MESSAGES)
        out.append(message("vapi.data.structure.more", f"... and {more} more problems", more))
    return out


async def _parse_body(request: Request, model: type[_M], *, required: bool) -> _M | None:
    """The body validated (strictly: JSON types as the spec types them) by a generated model."""
    raw = await request.body()
    if is_blank(raw):
        if required:
            raise _invalid("vapi.method.input.missing", "request body: a JSON object is required")
        return None
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise VapiError("invalid_argument", _schema_messages(exc)) from None


def _require_query(request: Request, name: str, expected: str) -> None:
    value = request.query_params.get(name)
    if value != expected:
        got = "missing" if value is None else f"{value!r}"
        raise _invalid(
            "vapi.method.input.invalid.query",
            f"query parameter {name} must be {expected!r} (got {got})",
            name,
        )


# -- rendering --------------------------------------------------------------------------------


def task_info(task: SimTask) -> dict[str, Any]:
    """A ``cis.task.info`` (spec ``TaskInfo``) for a task of this surface."""
    status = _TASK_STATUS[task.state]
    info: dict[str, Any] = {
        "description": message(
            f"{SERVICE}.redeploy", "Redeploy the passive node of the VCHA cluster"
        ),
        "service": task.info.get("service", SERVICE),
        "operation": task.info.get("operation", "redeploy"),
        "status": status,
        "cancelable": task.cancelable,
        "progress": {
            "total": 100,
            "completed": task.progress,
            "message": message(f"{SERVICE}.redeploy.progress", _PROGRESS_TEXT[status]),
        },
    }
    if task.user:
        info["user"] = task.user
    if task.start_time is not None:
        info["start_time"] = iso8601(task.start_time)
    if task.complete_time is not None:
        info["end_time"] = iso8601(task.complete_time)
    if status == "FAILED":
        if task.cancelled or not isinstance(task.error, dict):
            info["error"] = error_body(
                "error", [message("cis.task.canceled", "The task was canceled.")]
            )
        else:
            info["error"] = task.error
    return info


def _health_messages(cluster: ClusterSettings) -> list[dict[str, Any]]:
    if cluster.health_state == "HEALTHY":
        return []
    out: list[dict[str, Any]] = []
    if cluster.health_state == "ISOLATED":
        out.append(
            message(
                "com.vmware.vcenter.vcha.cluster.isolated",
                "The active node is isolated from the passive and witness nodes.",
            )
        )
    for role, node in (("passive", cluster.passive), ("witness", cluster.witness)):
        if node is None:
            out.append(
                message(
                    f"com.vmware.vcenter.vcha.cluster.{role}.missing",
                    f"The {role} node is missing.",
                    role,
                )
            )
        elif node.state != "UP":
            out.append(
                message(
                    f"com.vmware.vcenter.vcha.cluster.{role}.down",
                    f"The {role} node {node.name} is down.",
                    node.name,
                )
            )
    if not out:
        out.append(
            message("com.vmware.vcenter.vcha.cluster.degraded", "The VCHA cluster is degraded.")
        )
    return out


def _node_info(node: NodeSettings, role: str) -> dict[str, Any]:
    runtime: dict[str, Any] = {"state": node.state, "role": role, "name": node.name}
    for key in ("vm", "host", "datastore"):
        if getattr(node, key) is not None:
            runtime[key] = getattr(node, key)
    out: dict[str, Any] = {"runtime": runtime}
    if node.ha_ip is not None:
        out["ha_ip"] = node.ha_ip.wire()
    if node.failover_ip is not None and role != "WITNESS":
        out["failover_ip"] = node.failover_ip.wire()
    return out


def cluster_info(cluster: ClusterSettings, partial: bool) -> dict[str, Any]:
    """A ``vcenter.vcha.cluster.info`` (spec ``ClusterInfo``)."""
    if cluster.config_state == "NOTCONFIGURED":
        return {"config_state": cluster.config_state}
    info: dict[str, Any] = {
        "config_state": cluster.config_state,
        "mode": cluster.mode,
        "health_state": cluster.health_state,
    }
    if partial:  # only what needs no connection to the active node
        return info
    if cluster.active is not None:
        info["node1"] = _node_info(cluster.active, "ACTIVE")
    if cluster.passive is not None:
        info["node2"] = _node_info(cluster.passive, "PASSIVE")
    if cluster.witness is not None:
        witness = _node_info(cluster.witness, "WITNESS")
        witness.pop("failover_ip", None)
        info["witness"] = witness
    healthy = cluster.health_state == "HEALTHY"
    info["health_exception"] = _health_messages(cluster)
    info["health_warnings"] = []
    info["manual_failover_allowed"] = healthy and cluster.mode != "DISABLED"
    info["auto_failover_allowed"] = healthy and cluster.mode == "ENABLED"
    return info


# -- domain checks ----------------------------------------------------------------------------


def check_vc_spec(cluster: ClusterSettings, vc_spec: object) -> None:
    """Check ``vc_spec`` against the active node's management vCenter; raise :class:`VapiError`.

    Order follows a real connection: reach the server, verify its certificate, then log in.
    The page calls ``ssl_thumbprint`` a SHA-1 hash; the simulator accepts the SHA-1 thumbprint
    and also the SHA-256 one (which ``certificate_info`` reports, so a client that retries with
    the reported thumbprint succeeds). Separators and case do not matter.
    """
    mgmt = cluster.management_vcenter
    if not isinstance(vc_spec, models.CredentialsSpec):
        if mgmt is not None and not mgmt.self_managed:
            raise _invalid(
                "com.vmware.vcenter.vcha.spec.cross_field_rule",
                "spec.vc_spec: unset, so the active vCenter Server instance is assumed to be "
                "either self-managed or else in enhanced linked mode, but the active node is "
                f"managed by {mgmt.hostname}: give vc_spec.active_location.",
                "spec.vc_spec",
            )
        return
    if mgmt is None:
        return  # self-managed without a separate management vCenter: nothing to connect to
    location = vc_spec.active_location
    port = location.port if isinstance(location.port, int) else 443
    where = f"{location.hostname}:{port}"
    reason = None
    if not mgmt.answers_to(location.hostname):
        reason = "host not found"
    elif port != mgmt.port:
        reason = "connection refused"
    elif not mgmt.reachable:
        reason = "connection timed out"
    if reason is not None:
        raise VapiError.simple(
            "error",
            "com.vmware.vcenter.vcha.management_vc.unreachable",
            f"Cannot connect to the management vCenter Server at {where}: {reason}.",
            where,
        )
    given = location.ssl_thumbprint if isinstance(location.ssl_thumbprint, str) else ""
    accepted = {
        thumbprint_hex(mgmt.ssl_thumbprint_sha1),
        thumbprint_hex(mgmt.ssl_thumbprint_sha256),
    }
    if (given or not mgmt.certificate_trusted) and thumbprint_hex(given) not in accepted:
        raise VapiError(
            "unverified_peer",
            [
                message(
                    "com.vmware.vcenter.vcha.management_vc.certificate.unverified",
                    f"The SSL certificate of the management vCenter Server {location.hostname} "
                    "cannot be validated: "
                    + (f"thumbprint {given} does not match." if given else "no thumbprint given."),
                    location.hostname,
                )
            ],
            data={"ssl_thumbprint": mgmt.ssl_thumbprint_sha256},
        )
    username = location.username if isinstance(location.username, str) else ""
    password = (
        location.password.get_secret_value() if isinstance(location.password, SecretStr) else ""
    )
    if not credentials_match(username, password, mgmt.username, mgmt.password):
        raise _invalid(
            "com.vmware.vcenter.vcha.management_vc.credentials.invalid",
            "The credentials provided for authenticating with the active node's management "
            f"vCenter server {location.hostname} are invalid.",
            location.hostname,
        )


# -- routes -----------------------------------------------------------------------------------


def routes(ctx: SurfaceContext) -> list[BaseRoute]:
    """The surface's routes (built once per app; state is read at request time)."""
    # vCenter's /rest session ids are 32 hex digits.
    ctx.sessions.token_factory = lambda: secrets.token_hex(16)

    def data() -> VcenterState:
        state: VcenterState = ctx.data
        return state

    def session(request: Request) -> Session:
        return session_of(ctx, request, SESSION_HEADER, _unauthenticated)

    def require(user: User, privilege: str) -> None:
        if not user.has(privilege):
            raise _unauthorized(privilege)

    async def no_body(request: Request) -> None:
        await refuse_unreadable_body(request, _unreadable)

    async def login(request: Request) -> Response:
        await no_body(request)  # before the login: a refused call must not leave a session
        return json_response(200, {"value": basic_login(ctx, request, _unauthenticated).token})

    async def logout(request: Request) -> Response:
        caller = session(request)
        await no_body(request)
        ctx.sessions.invalidate(caller.token)
        return json_response(200, None)

    async def get_task(request: Request) -> Response:
        caller = session(request)
        require(caller.user, PRIV_READ)
        await no_body(request)
        task_id = request.path_params["task"]
        task = ctx.tasks.get(task_id)
        if task is None or task.surface != ctx.name:
            raise VapiError.simple(
                "not_found", "cis.tasks.not_found", f"Task {task_id} does not exist.", task_id
            )
        return json_response(200, {"value": task_info(task)})

    async def cluster_get(request: Request) -> Response:
        caller = session(request)
        require(caller.user, PRIV_READ)
        _require_query(request, "action", "get")
        body = await _parse_body(request, models.VchaClusterGetRequest, required=False)
        vc_spec = body.vc_spec if body is not None else None
        partial = body is not None and body.partial is True
        problems = check_credentials_spec(vc_spec, "vc_spec")
        if problems:
            raise VapiError("invalid_argument", problems)
        with ctx.lock:
            cluster = data().cluster
            if isinstance(vc_spec, models.CredentialsSpec):
                check_vc_spec(cluster, vc_spec)
            info = cluster_info(cluster, partial)
        return json_response(200, {"value": info})

    async def redeploy(request: Request) -> Response:
        caller = session(request)
        require(caller.user, PRIV_GLOBAL_VCSERVER)
        _require_query(request, "vmw-task", "true")
        _require_query(request, "action", "redeploy")
        body = await _parse_body(
            request, models.VchaClusterPassiveRedeployTaskRequest, required=True
        )
        assert body is not None  # required=True
        spec = body.spec
        problems = check_redeploy_spec(spec)
        with ctx.lock:
            state = data()
            problems += check_placement(spec.placement, state)
            if problems:
                raise VapiError("invalid_argument", problems[:MAX_MESSAGES])
            cluster = state.cluster
            check_vc_spec(cluster, spec.vc_spec)
            _check_redeployable(cluster)
            task = ctx.tasks.create(
                surface=ctx.name,
                operation=REDEPLOY_OPERATION,
                target=CLUSTER_ID,
                on_complete=_completion(ctx, spec),
                id_format="{uuid}:" + SERVICE,
                cancelable=False,
                description="Redeploy the passive node of the VCHA cluster",
                user=caller.user.name,
                entity_name=spec.placement.name,
                info={"service": SERVICE, "operation": "redeploy"},
            )
            cluster.redeploy_task = task.id
        return json_response(200, {"value": task.id})

    def _check_redeployable(cluster: ClusterSettings) -> None:
        def fail(msg_id: str, text: str) -> VapiError:
            return VapiError.simple("error", f"com.vmware.vcenter.vcha.cluster.{msg_id}", text)

        if cluster.config_state != "CONFIGURED":
            raise fail(
                "not_configured", f"The VCHA cluster is not configured ({cluster.config_state})."
            )
        if cluster.redeploy_task is not None:
            running = ctx.tasks.get(cluster.redeploy_task)
            if running is not None and not running.finished:
                raise fail(
                    "redeploy_in_progress",
                    f"The passive node is already being redeployed by task {running.id}.",
                )
        if cluster.health_state != "DEGRADED":
            raise fail(
                "not_degraded",
                f"The VCHA cluster is not degraded (health_state {cluster.health_state}): "
                "there is no passive node to redeploy.",
            )

    def cluster_id(request: Request) -> str:
        return CLUSTER_ID

    return [
        Route(
            "/com/vmware/cis/session",
            endpoint(ctx, "cis_session_create", login),
            methods=["POST"],
        ),
        Route(
            "/com/vmware/cis/session",
            endpoint(ctx, "cis_session_delete", logout),
            methods=["DELETE"],
        ),
        Route(
            "/cis/tasks/{task}",
            endpoint(ctx, "cis_tasks_get", get_task, path_param("task")),
            methods=["GET"],
        ),
        Route(
            "/vcenter/vcha/cluster",
            endpoint(ctx, "vcha_cluster_get", cluster_get, cluster_id),
            methods=["POST"],
        ),
        Route(
            "/vcenter/vcha/cluster/passive",
            endpoint(ctx, REDEPLOY_OPERATION, redeploy, cluster_id),
            methods=["POST"],
        ),
    ]


def _ip_settings(ip: object) -> IpSettings | None:
    """The node setting for a request's ``IpSpec``, keeping only its family's address spec
    (the other one "is only relevant" for the other family, so it is dropped)."""
    if not isinstance(ip, models.IpSpec):
        return None
    wire = ip.model_dump(mode="json")
    wire.pop("ipv6" if ip.ip_family == models.IpFamily.IPV4 else "ipv4", None)
    return IpSettings.model_validate(wire)


def _completion(ctx: SurfaceContext, spec: models.RedeploySpec) -> Callable[[SimTask], Any]:
    """The redeploy task's completion: fail on a ``deploy_error``, else heal the cluster."""
    placement = spec.placement
    targets: list[tuple[str, str]] = [("folders", placement.folder)]
    for field, kind in (("host", "hosts"), ("resource_pool", "resource_pools")):
        value = getattr(placement, field)
        if isinstance(value, str):
            targets.append((kind, value))
    for field in ("ha_network", "management_network"):
        value = getattr(placement, field)
        if isinstance(value, str):
            targets.append(("networks", value))
    datastore = None
    if isinstance(placement.storage, models.DiskSpec) and isinstance(
        placement.storage.datastore, str
    ):
        datastore = placement.storage.datastore
        targets.append(("datastores", datastore))
    ha_ip = _ip_settings(spec.ha_ip)
    failover_ip = _ip_settings(spec.failover_ip)

    def complete(task: SimTask) -> None:
        state: VcenterState = ctx.data
        for kind, object_id in targets:
            obj = state.find(kind, object_id)
            problem = f"{object_id} no longer exists" if obj is None else obj.deploy_error
            if problem:
                raise TaskFailed(
                    error_body(
                        "error",
                        [
                            message(
                                f"{SERVICE}.redeploy.failed",
                                f"Failed to deploy the passive node {placement.name}: {problem}",
                                placement.name,
                            )
                        ],
                    )
                )
        cluster = state.cluster
        previous = cluster.passive
        state.vm_counter += 1
        cluster.passive = NodeSettings(
            name=placement.name,
            state="UP",
            vm=f"vm-{state.vm_counter}",
            host=placement.host if isinstance(placement.host, str) else None,
            datastore=datastore,
            # Unset: "the stored network configuration for the VCHA HA network for the passive
            # node will be used" / "the public IP address of the Active vCenter Server is assumed".
            ha_ip=ha_ip or (previous.ha_ip if previous else None),
            failover_ip=failover_ip
            or (cluster.active.failover_ip if cluster.active is not None else None),
        )
        cluster.health_state = "HEALTHY"

    return complete
