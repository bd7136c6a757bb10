"""Errors of the vr surface, and which status each operation documents (``specs/vr.yaml``).

401 and 404 carry no body (page 004); 400, 403 and 500 carry ``ResponseError``
``{error_code, message, op_id}``. Error codes: ``INVALID_ARGUMENT`` (400),
``PERMISSION_DENIED`` (403), ``INTERNAL_SERVER_ERROR`` (500), ``METHOD_NOT_ALLOWED`` (405, an
undocumented path/method pair).

Status choice for a refused request (malformed or oversize body): the spec documents no 413, so
the first status the operation documents among 400, 500, 401 is used (400 for reconnect, 500 for
the reads, 401 for login/logout, which document nothing else).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..injection import FaultAction
from ..registry import SimError

__all__ = [
    "MOUNT",
    "OPERATIONS",
    "OperationDoc",
    "VrError",
    "allowed_methods",
    "error_response",
    "operation_for",
    "render_error",
    "render_task_fault",
    "vr_response",
]

MOUNT = "/api/rest/vr/v2"
NO_BODY_STATUSES = frozenset({401, 404})
DEFAULT_CODES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    405: "METHOD_NOT_ALLOWED",
    500: "INTERNAL_SERVER_ERROR",
}
REFUSAL_PREFERENCE: tuple[int, ...] = (400, 500, 401)


def vr_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (``body=None``: none at all)."""
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_response(
    status: int, message: str, error_code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The page's error answer: no body for 401/404, ``ResponseError`` otherwise."""
    if status in NO_BODY_STATUSES:
        return vr_response(status, None, headers)
    body = {
        "error_code": error_code or DEFAULT_CODES.get(status, "INTERNAL_SERVER_ERROR"),
        "message": message,
        "op_id": str(uuid.uuid4()),
    }
    return vr_response(status, body, headers)


class VrError(Exception):
    """Raised by a handler: answer the call with ``status`` (body per :func:`error_response`)."""

    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code

    def response(self) -> Response:
        """The HTTP response."""
        headers = {"WWW-Authenticate": 'Basic realm="vr"'} if self.status == 401 else None
        return error_response(self.status, self.message, self.error_code, headers)


# -- what each operation documents ------------------------------------------------------


@dataclass(frozen=True)
class OperationDoc:
    """One operation of ``specs/vr.yaml``: its route and the statuses it documents."""

    operation_id: str
    method: str
    pattern: re.Pattern[str]
    statuses: frozenset[int]

    def refusal_status(self) -> int:
        """The status to refuse a request with (see the module docstring)."""
        for status in REFUSAL_PREFERENCE:
            if status in self.statuses:
                return status
        return 400


def _path(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


_READ = frozenset({200, 401, 403, 500})
OPERATIONS: tuple[OperationDoc, ...] = (
    OperationDoc("login", "POST", _path("/session"), frozenset({200, 401})),
    OperationDoc("logout", "DELETE", _path("/session"), frozenset({204, 401})),
    OperationDoc("get_pairings", "GET", _path("/pairings"), _READ),
    OperationDoc("get_pairing", "GET", _path("/pairings/{pairing_id}"), _READ | {404}),
    OperationDoc(
        "reconnect_pairing",
        "POST",
        _path("/pairings/{pairing_id}/actions/reconnect"),
        frozenset({202, 400, 401, 403, 404, 500}),
    ),
    OperationDoc("get_task", "GET", _path("/tasks/{task_id}"), _READ | {404}),
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

_NAMED_STATUS = {
    "bad_request": 400,
    "invalid_argument": 400,
    "unauthenticated": 401,
    "unauthorized": 401,
    "forbidden": 403,
    "permission_denied": 403,
    "not_found": 404,
    "internal": 500,
    "internal_server_error": 500,
    "service_unavailable": 503,
}


def fault_status(fault: str | None) -> int:
    """Status of an injected VR fault: ``"500"``, ``"403"``... or a name (``not_found``)."""
    text = (fault or "500").strip()
    if text.isdigit() and 400 <= int(text) <= 599:
        return int(text)
    return _NAMED_STATUS.get(text.lower(), 500)


def render_task_fault(action: FaultAction) -> dict[str, Any]:
    """The task ``error`` (``TaskError {message, details}``) for an injected/internal fault."""
    details = action.fault_fields.get("details")
    return {
        "message": action.message or f"Injected fault: {action.fault}",
        "details": str(details) if details is not None else f"fault {action.fault}",
    }


def render_error(request: Request | None, error: SimError) -> Response:
    """Render a :class:`SimError` the page's way; never raises."""
    op = operation_for(request.method, request.url.path) if request is not None else None
    if error.kind == "fault" and error.fault is not None:
        status = fault_status(error.fault.fault)
        code = error.fault.fault_fields.get("error_code")
        return error_response(
            status,
            error.fault.message or f"Injected fault: {error.fault.fault}",
            str(code) if code is not None else None,
        )
    headers: dict[str, str] | None = None
    status = {
        "unauthenticated": 401,
        "forbidden": 403,
        "not_found": 404,
        "method_not_allowed": 405,
    }.get(error.kind, 500)
    if error.kind in ("bad_request", "body_too_large"):
        status = op.refusal_status() if op is not None else 400
    if status == 405 and request is not None:
        headers = {"Allow": ", ".join(allowed_methods(request.url.path))}
    return error_response(status, error.message, None, headers)
