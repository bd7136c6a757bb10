"""vAPI standard errors of the vcenter (``/rest``) surface, and which status each operation documents.

Every error body is ``{"type": "com.vmware.vapi.std.errors.<name>", "value": {"messages":
[LocalizableMessage], "data"?, "error_type": "<NAME>"}}`` exactly as ``specs/vcenter.yaml``
defines it. Handlers raise :class:`VapiError`; :func:`render_error` turns the shared machinery's
:class:`~vreconnect_sim.registry.SimError` into the same shape; :func:`render_task_fault` builds a
``TaskInfo.error`` for a task that fails.

Status choice for generic errors (bad body, body too large): the spec documents no 413, so a
request the simulator refuses is answered with the first status the *operation* documents from
:data:`REFUSAL_PREFERENCE` (400 invalid_argument where documented, else 500 error, else 401
unauthenticated), so that every answer to a documented operation stays inside its contract.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from ..injection import FaultAction
from ..registry import SimError

__all__ = [
    "MOUNT",
    "OPERATIONS",
    "STATUS_OF",
    "ErrorName",
    "OperationDoc",
    "VapiError",
    "allowed_methods",
    "error_body",
    "message",
    "operation_for",
    "render_error",
    "render_task_fault",
    "vapi_response",
]

MOUNT = "/rest"
PREFIX = "com.vmware.vapi.std.errors."

ErrorName = Literal[
    "error",
    "invalid_argument",
    "not_found",
    "service_unavailable",
    "unauthenticated",
    "unauthorized",
    "unverified_peer",
]

STATUS_OF: dict[str, int] = {
    "invalid_argument": 400,
    "unverified_peer": 400,
    "unauthenticated": 401,
    "unauthorized": 403,
    "not_found": 404,
    "service_unavailable": 503,
    "error": 500,
}
"""The usual vAPI status of each standard error (protocols.md; page 003 agrees for its own)."""

REFUSAL_PREFERENCE: tuple[int, ...] = (400, 500, 401)
"""Statuses tried, in order, for a refused request (bad or oversize body); see module docstring."""
_REFUSAL_NAMES: dict[int, ErrorName] = {400: "invalid_argument", 401: "unauthenticated"}


def message(msg_id: str, default_message: str, *args: str) -> dict[str, Any]:
    """A vAPI LocalizableMessage."""
    return {"id": msg_id, "default_message": default_message, "args": [str(a) for a in args]}


def error_body(
    name: ErrorName, messages: Sequence[dict[str, Any]], data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON body of the standard error ``name``."""
    value: dict[str, Any] = {"messages": list(messages), "error_type": name.upper()}
    if data is not None:
        value["data"] = data
    return {"type": PREFIX + name, "value": value}


def vapi_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (``body=None``: no body at all)."""
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class VapiError(Exception):
    """Raised by a handler: answer the call with this standard error."""

    def __init__(
        self,
        name: ErrorName,
        messages: Sequence[dict[str, Any]],
        data: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__("; ".join(m["default_message"] for m in messages))
        self.name: ErrorName = name
        self.messages = list(messages)
        self.data = data
        self.status = status if status is not None else STATUS_OF[name]

    @classmethod
    def simple(cls, name: ErrorName, msg_id: str, text: str, *args: str) -> VapiError:
        """An error with one message."""
        return cls(name, [message(msg_id, text, *args)])

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        return error_body(self.name, self.messages, self.data)

    def response(self) -> Response:
        """The HTTP response."""
        return vapi_response(self.status, self.body())


# -- what each operation documents ------------------------------------------------------


@dataclass(frozen=True)
class OperationDoc:
    """One operation of ``specs/vcenter.yaml``: its route and the statuses it documents."""

    operation_id: str
    method: str
    pattern: re.Pattern[str]
    statuses: frozenset[int]

    def refusal_status(self) -> int:
        """The status to refuse a request with (see :data:`REFUSAL_PREFERENCE`)."""
        for status in REFUSAL_PREFERENCE:
            if status in self.statuses:
                return status
        return 400


def _path(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


OPERATIONS: tuple[OperationDoc, ...] = (
    OperationDoc(
        "cis_session_create", "POST", _path("/com/vmware/cis/session"), frozenset({200, 401, 503})
    ),
    OperationDoc(
        "cis_session_delete", "DELETE", _path("/com/vmware/cis/session"), frozenset({200, 401})
    ),
    OperationDoc(
        "cis_tasks_get", "GET", _path("/cis/tasks/{task}"), frozenset({200, 401, 403, 404})
    ),
    OperationDoc(
        "vcha_cluster_get",
        "POST",
        _path("/vcenter/vcha/cluster"),
        frozenset({200, 400, 401, 403, 500}),
    ),
    OperationDoc(
        "vcha_cluster_passive_redeploy_task",
        "POST",
        _path("/vcenter/vcha/cluster/passive"),
        frozenset({200, 400, 401, 403, 500}),
    ),
)
OPERATION_BY_ID: dict[str, OperationDoc] = {op.operation_id: op for op in OPERATIONS}


def _subpath(path: str) -> str:
    return path[len(MOUNT) :] if path.startswith(MOUNT) else path


def operation_for(method: str, path: str) -> OperationDoc | None:
    """The documented operation answering ``method path`` (full path, mount included)."""
    sub = _subpath(path)
    method = "GET" if method.upper() == "HEAD" else method.upper()
    for op in OPERATIONS:
        if op.method == method and op.pattern.match(sub):
            return op
    return None


def allowed_methods(path: str) -> list[str]:
    """Methods the spec documents on ``path`` (for the ``Allow`` header of a 405)."""
    sub = _subpath(path)
    return sorted({op.method for op in OPERATIONS if op.pattern.match(sub)})


# -- rendering of the shared machinery's errors ----------------------------------------

_FAULT_ALIASES: dict[str, ErrorName] = {
    "error": "error",
    "internal": "error",
    "systemerror": "error",
    "invalidargument": "invalid_argument",
    "notfound": "not_found",
    "serviceunavailable": "service_unavailable",
    "unauthenticated": "unauthenticated",
    "unauthorized": "unauthorized",
    "unverifiedpeer": "unverified_peer",
}


def fault_name(fault: str | None) -> ErrorName:
    """Normalise an injected fault name to a standard error name.

    Accepts ``service_unavailable``, ``ServiceUnavailable`` and
    ``com.vmware.vapi.std.errors.service_unavailable``; anything else is ``error``.
    """
    raw = (fault or "error").removeprefix(PREFIX)
    return _FAULT_ALIASES.get(raw.replace("_", "").lower(), "error")


def _fault_body(action: FaultAction) -> tuple[ErrorName, dict[str, Any]]:
    name = fault_name(action.fault)
    text = action.message or f"Injected fault: {action.fault}"
    data = dict(action.fault_fields) if action.fault_fields else None
    return name, error_body(name, [message(f"{PREFIX}{name}", text)], data)


def render_task_fault(action: FaultAction) -> dict[str, Any]:
    """``TaskInfo.error`` for a task ended by an injected fault (or an internal failure)."""
    return _fault_body(action)[1]


def render_error(request: Request | None, error: SimError) -> Response:
    """Render a :class:`SimError` as a standard error; never raises."""
    op = operation_for(request.method, request.url.path) if request is not None else None
    headers: dict[str, str] | None = None
    if error.kind == "fault" and error.fault is not None:
        name, body = _fault_body(error.fault)
        return vapi_response(STATUS_OF[name], body)
    if error.kind == "unauthenticated":
        name, status = "unauthenticated", 401
        msg_id = "vapi.security.authentication.invalid"
    elif error.kind == "forbidden":
        name, status = "unauthorized", 403
        msg_id = "vapi.security.authorization.invalid"
    elif error.kind == "not_found":
        name, status = "not_found", 404
        msg_id = "vapi.method.input.invalid.path"
    elif error.kind == "method_not_allowed":
        name, status = "error", 405
        msg_id = "vapi.method.not_allowed"
        if request is not None:
            headers = {"Allow": ", ".join(allowed_methods(request.url.path))}
    elif error.kind in ("bad_request", "body_too_large"):
        status = op.refusal_status() if op is not None else 400
        name = _REFUSAL_NAMES.get(status, "error")
        too_large = error.kind == "body_too_large"
        msg_id = "vapi.message.request.too_large" if too_large else "vapi.message.request.invalid"
    else:
        name, status = "error", 500
        msg_id = "vapi.server.internal"
    return vapi_response(status, error_body(name, [message(msg_id, error.message)]), headers)
