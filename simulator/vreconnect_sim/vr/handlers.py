"""Routes of the vr surface (vSphere Replication REST, page 004: pairing reconnect).

``POST/DELETE /session``, ``GET /pairings``, ``GET /pairings/{pairing_id}``,
``POST /pairings/{pairing_id}/actions/reconnect``, ``GET /tasks/{task_id}``.

Which failure answers the call and which ends the task follows docs/design.md:

* the call answers 401 (no/expired ``x-dr-session``; no body), 403 ``PERMISSION_DENIED``
  (reconnect without VRMRemote.Manage -- the simulator's name for "the VR manage permission";
  reads need only a session), 404 (unknown pairing/task; no body), 400 ``INVALID_ARGUMENT``
  (malformed body, wrong types, ``pair_vc_id`` not the pairing's remote vCenter Server id, a
  ``certificate`` that is not PEM);
* the reconnect task ends ERROR (``error: {message, details}``) when the remote site is not
  reachable, the PSC URL/port/thumbprint/certificate do not match the remote PSC, or the PSC
  rejects the credentials; otherwise it sets every server status of the pairing to OK.

Checks run in this order: fault injection, session, permission, pairing, body, ``pair_vc_id``.
The operations without a request body (login, logout and the reads) ignore a blank or JSON body
and answer 400 ``INVALID_ARGUMENT`` to one that is not JSON, as the reconnect does; the login
checks it before logging in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vreconnect_generated.models import vr as models

from ..auth import PRIV_VR_MANAGE, Session, credentials_match
from ..clock import epoch_ms
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
from ..tls import thumbprint_hex, thumbprints
from .errors import VrError
from .state import PairingSettings, VrState, host_of, pairing_wire

__all__ = ["RECONNECT_OPERATION", "SESSION_HEADER", "routes", "task_entity"]

SESSION_HEADER = "x-dr-session"
RECONNECT_OPERATION = "reconnect_pairing"
MAX_PROBLEMS = 20  # a huge invalid body must not produce a huge error

_TASK_STATUS = {
    "queued": "QUEUED",
    "running": "RUNNING",
    "success": "SUCCESS",
    "error": "ERROR",
    "cancelled": "CANCELLED",
}


def display_user(name: str) -> str:
    """``readonly@vsphere.local`` -> ``VSPHERE.LOCAL\\readonly`` (how VR names users)."""
    user, sep, domain = name.partition("@")
    return f"{domain.upper()}\\{user}" if sep else name


def task_entity(task: SimTask) -> dict[str, Any]:
    """The API's ``TaskDrResponseEntity`` for a task of this surface (times in epoch ms)."""
    status = _TASK_STATUS[task.state]
    entity: dict[str, Any] = {
        "id": task.id,
        "description": task.description or "Reconnect pairing",
        "description_id": task.info.get("description_id", "com.vmware.vr.pairing.reconnect"),
        "status": status,
        "progress": task.progress,
        "queued_time": epoch_ms(task.queue_time),
        "_meta": {"errors": []},
    }
    if task.target is not None:
        entity["entity"] = task.target
    if task.entity_name is not None:
        entity["entity_name"] = task.entity_name
    if task.start_time is not None:
        entity["start_time"] = epoch_ms(task.start_time)
    if task.complete_time is not None:
        entity["complete_time"] = epoch_ms(task.complete_time)
    if status == "ERROR":
        entity["error"] = (
            task.error
            if isinstance(task.error, dict)
            else {"message": "The task failed.", "details": str(task.error)}
        )
    elif status == "SUCCESS":
        entity["result"] = task.result if isinstance(task.result, dict) else {}
    return entity


def _schema_problems(exc: ValidationError) -> str:
    """One line per schema violation, naming the field; never echoes input values."""
    parts: list[str] = []
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors[:MAX_PROBLEMS]:
        if err["type"] == "json_invalid":
            parts.append(f"request body is not valid JSON: {err['msg']}")
        else:
            parts.append(f"{format_loc(tuple(err['loc'])) or 'request body'}: {err['msg']}")
    if len(errors) > MAX_PROBLEMS:
        parts.append(f"... and {len(errors) - MAX_PROBLEMS} more problems")
    return "; ".join(parts)


async def _parse_pairing_spec(request: Request) -> models.PairingSpec:
    raw = await request.body()
    if is_blank(raw):
        raise VrError(400, "request body: a PairingSpec JSON object is required")
    try:
        return models.PairingSpec.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise VrError(400, _schema_problems(exc)) from None


def routes(ctx: SurfaceContext) -> list[BaseRoute]:
    """The surface's routes (built once per app; state is read at request time)."""
    # VR session ids are UUIDs.
    ctx.sessions.token_factory = lambda: str(uuid.uuid4())

    def data() -> VrState:
        state: VrState = ctx.data
        return state

    def unauthenticated(text: str) -> VrError:
        return VrError(401, text)  # page 004: a 401 has no body, so the text is not sent

    def session(request: Request) -> Session:
        return session_of(ctx, request, SESSION_HEADER, unauthenticated)

    def pairing_of(pairing_id: str) -> PairingSettings:
        pairing = data().pairings.get(pairing_id)
        if pairing is None:
            raise VrError(404, f"no pairing {pairing_id}")
        return pairing

    async def no_body(request: Request) -> None:
        await refuse_unreadable_body(request, lambda text: VrError(400, text))

    async def login(request: Request) -> Response:
        await no_body(request)  # before the login: a refused call must not leave a session
        return json_response(200, {"session_id": basic_login(ctx, request, unauthenticated).token})

    async def logout(request: Request) -> Response:
        caller = session(request)
        await no_body(request)
        ctx.sessions.invalidate(caller.token)
        return json_response(204)

    async def get_pairings(request: Request) -> Response:
        session(request)
        await no_body(request)
        with ctx.lock:
            items = [pairing_wire(p) for p in data().pairings.values()]
        return json_response(
            200, {"list": items, "_meta": {"total_count": len(items), "errors": []}}
        )

    async def get_pairing(request: Request) -> Response:
        session(request)
        with ctx.lock:
            body = pairing_wire(pairing_of(request.path_params["pairing_id"]))
        await no_body(request)
        return json_response(200, body)

    async def reconnect(request: Request) -> Response:
        caller = session(request)
        pairing_id = request.path_params["pairing_id"]
        if not caller.user.has(PRIV_VR_MANAGE):
            raise VrError(
                403,
                f"User {display_user(caller.user.name)} is not authorized to reconnect "
                f"pairing {pairing_id}.",
            )
        with ctx.lock:
            pairing_of(pairing_id)
        spec = await _parse_pairing_spec(request)
        certificate = spec.pair_psc_info.certificate
        cert_thumbprints: tuple[str, str] | None = None
        if isinstance(certificate, str):
            try:
                cert_thumbprints = thumbprints(certificate)
            except ValueError:
                raise VrError(
                    400, "pair_psc_info.certificate: not a PEM-encoded X.509 certificate"
                ) from None
        with ctx.lock:
            pairing = pairing_of(pairing_id)  # again: the state may have been reset meanwhile
            if spec.pair_vc_id != pairing.remote_vc_server.id:
                raise VrError(
                    400,
                    f"pair_vc_id {spec.pair_vc_id} does not match the remote vCenter Server "
                    f"{pairing.remote_vc_server.id} of pairing {pairing_id}.",
                )
            local = pairing.local_vc_server
            task = ctx.tasks.create(
                surface=ctx.name,
                operation=RECONNECT_OPERATION,
                target=pairing_id,
                on_complete=_completion(ctx, pairing_id, spec.pair_psc_info, cert_thumbprints),
                id_format="{uuid}",
                cancelable=False,
                description="Reconnect pairing",
                user=caller.user.name,
                entity_name=f"{local.name if local else '?'} - {pairing.remote_vc_server.name}",
                info={"description_id": "com.vmware.vr.pairing.reconnect"},
            )
        return json_response(202, task_entity(task))

    async def get_task(request: Request) -> Response:
        session(request)
        task_id = request.path_params["task_id"]
        task = ctx.tasks.get(task_id)
        if task is None or task.surface != ctx.name:
            raise VrError(404, f"no task {task_id}")
        await no_body(request)
        return json_response(200, task_entity(task))

    return [
        Route("/session", endpoint(ctx, "login", login), methods=["POST"]),
        Route("/session", endpoint(ctx, "logout", logout), methods=["DELETE"]),
        Route("/pairings", endpoint(ctx, "get_pairings", get_pairings), methods=["GET"]),
        Route(
            "/pairings/{pairing_id}",
            endpoint(ctx, "get_pairing", get_pairing, path_param("pairing_id")),
            methods=["GET"],
        ),
        Route(
            "/pairings/{pairing_id}/actions/reconnect",
            endpoint(ctx, RECONNECT_OPERATION, reconnect, path_param("pairing_id")),
            methods=["POST"],
        ),
        Route(
            "/tasks/{task_id}",
            endpoint(ctx, "get_task", get_task, path_param("task_id")),
            methods=["GET"],
        ),
    ]


def _completion(
    ctx: SurfaceContext,
    pairing_id: str,
    psc_info: models.PscInfo,
    cert_thumbprints: tuple[str, str] | None,
) -> Callable[[SimTask], Any]:
    """The reconnect task's completion: reach the remote site, log into its PSC, heal."""
    url = psc_info.url if isinstance(psc_info.url, str) else None
    port = psc_info.port if isinstance(psc_info.port, int) else None
    thumbprint = psc_info.thumbprint if isinstance(psc_info.thumbprint, str) else None
    username = psc_info.username if isinstance(psc_info.username, str) else ""
    password = (
        psc_info.password.get_secret_value() if isinstance(psc_info.password, SecretStr) else ""
    )

    def complete(task: SimTask) -> dict[str, Any]:
        state: VrState = ctx.data
        pairing = state.pairings.get(pairing_id)
        if pairing is None:
            raise TaskFailed(
                {
                    "message": f"Unable to reconnect pairing {pairing_id}.",
                    "details": "The pairing no longer exists.",
                }
            )
        remote = pairing.remote_vc_server.name
        psc = pairing.remote_psc

        def fail(details: str) -> TaskFailed:
            return TaskFailed(
                {"message": f"Unable to reconnect the pairing with {remote}.", "details": details}
            )

        if not pairing.reachable:
            raise fail(
                "Cannot connect to the remote vSphere Replication Management Server at "
                f"{pairing.remote_vrms.url}: connection timed out after 30000 ms."
            )
        if url is not None and host_of(url) != psc.host:
            raise fail(
                f"Cannot connect to the Platform Services Controller at {url}: host not found."
            )
        if port is not None and port != psc.port:
            raise fail(
                f"Cannot connect to the Platform Services Controller at {psc.host}:{port}: "
                "connection refused."
            )
        known = {thumbprint_hex(t) for t in (psc.thumbprint_sha1, psc.thumbprint_sha256) if t}
        offered = [thumbprint] if thumbprint is not None else []
        if cert_thumbprints is not None:
            offered.append(cert_thumbprints[1])
        for value in offered:
            if known and thumbprint_hex(value) not in known:
                raise fail(
                    f"The certificate of the Platform Services Controller at {psc.url} does not "
                    f"match the given thumbprint/certificate ({value})."
                )
        if not credentials_match(username, password, psc.username, psc.password):
            raise fail(
                f"Cannot log in to the Platform Services Controller at {psc.url} as "
                f"{username or '(no user name)'}: invalid credentials."
            )
        for server in (
            pairing.local_vc_server,
            pairing.local_vrms,
            pairing.remote_vc_server,
            pairing.remote_vrms,
        ):
            if server is not None:
                server.server_status = "OK"
        return {}

    return complete
