"""vAPI standard errors of the vcenter (``/rest``) surface.

Every error body is ``{"type": "com.vmware.vapi.std.errors.<name>", "value": {"messages":
[LocalizableMessage], "data"?, "error_type": "<NAME>"}}`` exactly as ``specs/vcenter.yaml``
defines it. Handlers raise :class:`VapiError`; :func:`render_error` turns the shared machinery's
:class:`~vreconnect_sim.registry.SimError` into the same shape; :func:`render_task_fault` builds a
``TaskInfo.error`` for a task that fails.

A request the simulator refuses before its operation looks at it (a body over
``settings.max_body_bytes``, a malformed ``Content-Length``) is ``400 invalid_argument``, as
vAPI answers a request it cannot read; a 405 names the path's methods in ``Allow`` (read from
``specs/vcenter.yaml``, see :class:`~vreconnect_sim.rest.DocumentedOperations`).

Fault rules name a standard error in any spelling :func:`fault_name` accepts; any other name
is refused when the rule is added (:func:`knows_fault`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from ..injection import FaultAction
from ..registry import SimError
from ..rest import DocumentedOperations, RestError, json_response

if TYPE_CHECKING:
    from ..tasks import SimTask

__all__ = [
    "MOUNT",
    "OPERATIONS",
    "STATUS_OF",
    "ErrorName",
    "VapiError",
    "error_body",
    "fault_name",
    "knows_fault",
    "message",
    "render_error",
    "render_task_fault",
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

OPERATIONS = DocumentedOperations("vcenter", MOUNT)
"""What ``specs/vcenter.yaml`` documents (the ``Allow`` of a 405)."""


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


class VapiError(RestError):
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
        return json_response(self.status, self.body())


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


def fault_name(fault: str | None) -> ErrorName | None:
    """Normalise an injected fault name to a standard error name (None: not one).

    Accepts ``service_unavailable``, ``ServiceUnavailable`` and
    ``com.vmware.vapi.std.errors.service_unavailable``; no name at all is ``error``.
    """
    raw = (fault or "error").removeprefix(PREFIX)
    return _FAULT_ALIASES.get(raw.replace("_", "").lower())


def knows_fault(fault: str) -> bool:
    """Whether a fault rule's ``fault`` names a vAPI standard error (see :func:`fault_name`)."""
    return fault_name(fault) is not None


def _fault_body(
    action: FaultAction, default_text: str | None = None
) -> tuple[ErrorName, dict[str, Any]]:
    name = fault_name(action.fault) or "error"
    text = action.message or default_text or f"Injected fault: {action.fault}"
    data = dict(action.fault_fields) if action.fault_fields else None
    return name, error_body(name, [message(f"{PREFIX}{name}", text)], data)


def render_task_fault(action: FaultAction, task: SimTask, data: object) -> dict[str, Any]:
    """``TaskInfo.error`` for a task ended by an injected fault (or an internal failure).

    A rule without a ``message`` gets one naming the task's operation and object (the passive
    node being deployed, else the task's target).
    """
    what = task.entity_name or task.target or "the cluster"
    text = f"{task.operation} of {what} failed: injected fault {action.fault}."
    return _fault_body(action, text)[1]


def render_error(request: Request | None, error: SimError) -> Response:
    """Render a :class:`SimError` as a standard error; never raises."""
    headers: dict[str, str] | None = None
    if error.kind == "fault" and error.fault is not None:
        name, body = _fault_body(error.fault)
        return json_response(STATUS_OF[name], body)
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
            headers = {"Allow": ", ".join(OPERATIONS.allowed_methods(request.url.path))}
    elif error.kind in ("bad_request", "body_too_large"):
        name, status = "invalid_argument", 400
        too_large = error.kind == "body_too_large"
        msg_id = "vapi.message.request.too_large" if too_large else "vapi.message.request.invalid"
    else:
        name, status = "error", 500
        msg_id = "vapi.server.internal"
    return json_response(status, error_body(name, [message(msg_id, error.message)]), headers)
