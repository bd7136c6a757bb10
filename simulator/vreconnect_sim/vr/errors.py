"""Errors of the vr surface, and which status each operation documents (``specs/vr.yaml``).

401 and 404 carry no body (page 004); 400, 403 and 500 carry ``ResponseError``
``{error_code, message, op_id}``. Error codes: ``INVALID_ARGUMENT`` (400),
``PERMISSION_DENIED`` (403), ``INTERNAL_SERVER_ERROR`` (500), ``METHOD_NOT_ALLOWED`` (405, an
undocumented path/method pair).

A request the simulator refuses before its operation looks at it (a body over
``settings.max_body_bytes``, a malformed ``Content-Length``) is ``400 INVALID_ARGUMENT`` (the
page's "Bad request"); a 405 names the path's methods in ``Allow`` (read from
``specs/vr.yaml``, see :class:`~vreconnect_sim.rest.DocumentedOperations`).

A fault rule's ``fault`` is a status (``"500"``) or its name (``"internal_server_error"``,
``"not_found"``...), see :func:`fault_status`; any other name is refused when the rule is added
(:func:`knows_fault`), as is one whose status the targeted operation does not document.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..injection import FaultAction
from ..registry import SimError
from ..rest import DocumentedOperations, RestError, json_response

if TYPE_CHECKING:
    from ..tasks import SimTask
    from .state import VrState

__all__ = [
    "MOUNT",
    "OPERATIONS",
    "VrError",
    "error_response",
    "fault_status",
    "knows_fault",
    "render_error",
    "render_task_fault",
]

MOUNT = "/api/rest/vr/v2"
NO_BODY_STATUSES = frozenset({401, 404})
DEFAULT_CODES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    405: "METHOD_NOT_ALLOWED",
    500: "INTERNAL_SERVER_ERROR",
}
OPERATIONS = DocumentedOperations("vr", MOUNT)
"""What ``specs/vr.yaml`` documents (the ``Allow`` of a 405)."""


def error_response(
    status: int, message: str, error_code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The page's error answer: no body for 401/404, ``ResponseError`` otherwise."""
    if status in NO_BODY_STATUSES:
        return json_response(status, None, headers)
    body = {
        "error_code": error_code or DEFAULT_CODES.get(status, "INTERNAL_SERVER_ERROR"),
        "message": message,
        "op_id": str(uuid.uuid4()),
    }
    return json_response(status, body, headers)


class VrError(RestError):
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


def fault_status(fault: str | None) -> int | None:
    """Status of an injected VR fault: ``"500"``, ``"403"``... (400-599) or a name
    (``not_found``); None for anything else. No fault name at all is 500."""
    text = (fault or "500").strip()
    if text.isascii() and text.isdigit():
        return int(text) if 400 <= int(text) <= 599 else None
    return _NAMED_STATUS.get(text.lower())


def knows_fault(fault: str) -> bool:
    """Whether a fault rule's ``fault`` names a VR error (see :func:`fault_status`)."""
    return fault_status(fault) is not None


def render_task_fault(action: FaultAction, task: SimTask, data: VrState | None) -> dict[str, Any]:
    """The task ``error`` (``TaskError {message, details}``) for an injected/internal fault.

    A rule without a ``message`` gets the one a failed reconnect of the task's pairing has,
    naming the pairing's remote vCenter Server. ``fault_fields.details`` is used as given (not
    turned into a string): a rule whose ``details`` is not a string is refused when it is added.
    """
    details = action.fault_fields.get("details")
    pairing = data.pairings.get(task.target) if data is not None and task.target else None
    if pairing is not None:
        default = f"Unable to reconnect the pairing with {pairing.remote_vc_server.name}."
    else:
        default = f"Injected fault: {action.fault}"
    return {
        "message": action.message or default,
        "details": details if details is not None else f"fault {action.fault}",
    }


def render_error(request: Request | None, error: SimError) -> Response:
    """Render a :class:`SimError` the page's way; never raises."""
    if error.kind == "fault" and error.fault is not None:
        status = fault_status(error.fault.fault) or 500
        # As given, like the task's `details`: a rule whose error_code is not a string is
        # refused when it is added (the answer would not be a ResponseError).
        code: Any = error.fault.fault_fields.get("error_code")
        return error_response(
            status, error.fault.message or f"Injected fault: {error.fault.fault}", code
        )
    headers: dict[str, str] | None = None
    status = {
        "unauthenticated": 401,
        "forbidden": 403,
        "not_found": 404,
        "method_not_allowed": 405,
    }.get(error.kind, 500)
    if error.kind in ("bad_request", "body_too_large"):
        status = 400
    if status == 405 and request is not None:
        headers = {"Allow": ", ".join(OPERATIONS.allowed_methods(request.url.path))}
    return error_response(status, error.message, None, headers)
