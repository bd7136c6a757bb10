"""VI/JSON MethodFault bodies, and the error renderers of the vim25 (and sms) surface.

Every fault leaves the simulator in one of two channels (docs/design.md):

* the call itself: HTTP 500 with the MethodFault JSON body (:class:`VimFault` raised by a
  handler, or :func:`render_error` for the shared machinery's :class:`SimError`);
* a task's ``error``: the same MethodFault dict, raised as ``TaskFailed(fault_dict)`` from a
  completion callback (or :func:`render_task_fault` for an injected ``where: task`` rule).

A fault body is ``{"_typeName": X, "faultMessage": [LocalizableMessage], ...X's own fields}``.
``faultMessage`` carries one English message with a catalog key (``vim.fault.X`` or
``vmodl.fault.X`` as the real product uses) and its arguments boxed as VI/JSON does
(``{"_typeName": "string", "_value": ...}``).

An unknown ``{release}`` path segment is answered like any request VI/JSON cannot serve:
HTTP 500 with an ``InvalidRequest`` body (specs/vim25.yaml: "an unknown method or release")
naming the supported releases.

Fault rules (``POST /_sim/faults``) may name the faults the surface's document defines
(:func:`documented_faults`); any other name is refused when the rule is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..injection import FaultAction
from ..registry import SimError

if TYPE_CHECKING:
    from ..tasks import SimTask

__all__ = [
    "DEFAULT_MANAGED_BY",
    "RELEASE_PATH",
    "VimFault",
    "already_being_managed",
    "documented_faults",
    "fault",
    "fault_response",
    "fault_vocabulary",
    "invalid_argument",
    "invalid_request",
    "managed_object_not_found",
    "moref",
    "no_permission",
    "not_authenticated",
    "render_error",
    "render_task_fault",
    "unknown_release_response",
]

# Faults of the vmodl namespace (the rest are vim.fault.*): only used for the catalog key.
_VMODL = frozenset(
    {
        "MethodFault",
        "RuntimeFault",
        "InvalidArgument",
        "InvalidRequest",
        "ManagedObjectNotFound",
        "NotSupported",
        "SecurityError",
        "SystemError",
        "RequestCanceled",
    }
)
# SMS faults live in their own namespace.
_SMS = frozenset({"InvalidCertificate", "ProviderConnectionFailed", "ProviderRegistrationFault"})

_DEFAULT_MESSAGES: dict[str, str] = {
    "NotAuthenticated": "The session is not authenticated.",
    "NoPermission": "Permission to perform this operation was denied.",
    "ManagedObjectNotFound": (
        "The object has already been deleted or has not been completely created"
    ),
    "InvalidArgument": "A specified parameter was not correct.",
    "InvalidRequest": "The request is invalid.",
    "InvalidLogin": "Cannot complete login due to an incorrect user name or password.",
    "InvalidLocale": "The specified locale is not supported.",
    "InvalidState": "The operation is not allowed in the current state.",
    "InvalidName": "The specified name is not valid.",
    "NotSupported": "The operation is not supported on the object.",
    "NoHost": "Cannot contact the specified host.",
    "SSLVerifyFault": "Authenticity of the host's SSL certificate is not verified.",
    "AlreadyBeingManaged": "The host is already being managed by another vCenter Server.",
    "NotSupportedHost": "The host is running a software version that is not supported.",
    "NotEnoughLicenses": "There are not enough licenses to add this host.",
    "HostConnectFault": "An error occurred when attempting to connect to the host.",
    "DasConfigFault": "vSphere HA agent cannot be correctly installed or configured.",
    "RequestCanceled": "The task was canceled by a user.",
    "SystemError": "A general system error occurred.",
    "InvalidCertificate": "The provider certificate is invalid.",
    "ProviderConnectionFailed": "An error was encountered while connecting to the provider.",
}

DEFAULT_MANAGED_BY = "198.51.100.7"
"""ipAddress of an injected AlreadyBeingManaged when nothing better is known (TEST-NET-2)."""

RELEASE_PATH = re.compile(r"^/sdk/vim25/([^/]+)(?:/|$)")
"""Extracts ``{release}`` from a request path under either VI/JSON mount."""


class VimFault(Exception):
    """Raised by a handler: answer the call with HTTP 500 and this MethodFault ``body``."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("_typeName", "MethodFault"))
        self.body = body

    @property
    def type_name(self) -> str:
        """The fault's ``_typeName``."""
        return str(self.body.get("_typeName"))


def message_key(type_name: str) -> str:
    """The message catalog key of a fault type, as the real product spells it."""
    if type_name in _VMODL:
        return f"vmodl.fault.{type_name}"
    if type_name in _SMS:
        return f"sms.fault.{type_name}"
    return f"vim.fault.{type_name}"


def moref(mo_type: str, value: str) -> dict[str, str]:
    """A ``ManagedObjectReference`` data object."""
    return {"_typeName": "ManagedObjectReference", "type": mo_type, "value": value}


def fault(
    type_name: str,
    message: str | None = None,
    *,
    args: Mapping[str, str] | None = None,
    cause: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A MethodFault body: ``_typeName``, one ``faultMessage``, ``faultCause``, own fields.

    ``args`` become the message's ``arg`` list (boxed strings); ``fields`` whose value is None
    are left out (VI/JSON omits unset optional properties).
    """
    text = message or _DEFAULT_MESSAGES.get(type_name) or f"{type_name} fault."
    msg: dict[str, Any] = {
        "_typeName": "LocalizableMessage",
        "key": message_key(type_name),
    }
    if args:
        msg["arg"] = [
            {"_typeName": "KeyAnyValue", "key": k, "value": {"_typeName": "string", "_value": v}}
            for k, v in args.items()
        ]
    msg["message"] = text
    body: dict[str, Any] = {"_typeName": type_name}
    if cause is not None:
        body["faultCause"] = cause
    body["faultMessage"] = [msg]
    for key, value in fields.items():
        if value is not None:
            body[key] = value
    return body


def fault_response(body: dict[str, Any], status: int = 500) -> Response:
    """The HTTP answer carrying a fault body (VI/JSON: always 500)."""
    return JSONResponse(body, status_code=status)


# -- the faults every VI/JSON call can raise -------------------------------------------------


def not_authenticated(obj: dict[str, str] | None = None) -> dict[str, Any]:
    """NotAuthenticated: no session header, or an unknown/expired/logged-out session."""
    return fault("NotAuthenticated", object=obj, privilegeId="System.View")


def no_permission(obj: dict[str, str], privilege: str) -> dict[str, Any]:
    """NoPermission naming the missing privilege and the object it was checked on."""
    return fault(
        "NoPermission",
        f"Permission to perform this operation was denied. Required privilege '{privilege}' "
        f"on {obj['type']} '{obj['value']}'.",
        args={"privilegeId": privilege, "object": obj["value"]},
        object=obj,
        privilegeId=privilege,
    )


def managed_object_not_found(mo_type: str, value: str) -> dict[str, Any]:
    """ManagedObjectNotFound for ``mo_type:value``."""
    return fault(
        "ManagedObjectNotFound",
        f"The object '{mo_type}:{value}' has already been deleted or has not been completely "
        "created",
        args={"obj": f"{mo_type}:{value}"},
        obj=moref(mo_type, value),
    )


def invalid_argument(prop: str | None, detail: str) -> dict[str, Any]:
    """InvalidArgument, with ``invalidProperty`` naming the offending argument when known."""
    text = f"A specified parameter was not correct: {prop}. {detail}" if prop else detail
    return fault("InvalidArgument", text, invalidProperty=prop)


def invalid_request(detail: str) -> dict[str, Any]:
    """InvalidRequest: the request could not be parsed or routed."""
    return fault("InvalidRequest", detail)


def already_being_managed(ip: str, host: str | None = None) -> dict[str, Any]:
    """AlreadyBeingManaged carrying the managing server's address."""
    text = f"Host is already being managed by another vCenter Server: {ip}."
    return fault(
        "AlreadyBeingManaged", text, args={"ipAddress": ip, "host": host or ""}, ipAddress=ip
    )


# -- renderers registered with the shared machinery -----------------------------------------

_KIND_MESSAGES: dict[str, str] = {
    "not_found": "The request does not name a known method or property: {message}",
    "method_not_allowed": "The HTTP method is not valid for this path: {message}",
    "bad_request": "The request is malformed: {message}",
    "body_too_large": "The request body is too large: {message}",
}


def _required_defaults(name: str, state_hint: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the fields a fault's schema requires, so injected faults stay spec-valid."""
    if name == "AlreadyBeingManaged":
        return {"ipAddress": state_hint.get("managed_by") or DEFAULT_MANAGED_BY}
    if name == "SSLVerifyFault":
        out: dict[str, Any] = {
            "selfSigned": bool(state_hint.get("self_signed", True)),
            "thumbprint": state_hint.get("thumbprint") or ":".join(["00"] * 20),
        }
        if state_hint.get("certificate"):
            out["certificate"] = state_hint["certificate"]
        return out
    if name == "NoHost" and state_hint.get("host_name"):
        return {"name": state_hint["host_name"]}
    return {}


def injected_fault(
    action: FaultAction, state_hint: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The MethodFault body of a fired fault rule (``fault_fields`` override the defaults)."""
    name = action.fault or "SystemError"
    fields = _required_defaults(name, state_hint or {})
    fields.update(action.fault_fields)
    if name == "SystemError" and "reason" not in fields:
        fields["reason"] = action.message or "injected fault"
    return fault(name, action.message, **fields)


def render_task_fault(action: FaultAction, task: SimTask, data: object) -> dict[str, Any]:
    """A task ``error`` for an injected ``where: task`` rule (or the engine's SystemError).

    Object-specific required fields come from the task's target (SSLVerifyFault carries the
    host's real thumbprint and certificate, AlreadyBeingManaged the real managing address,
    NoHost the host name) unless the rule's ``fault_fields`` give them; ``data`` is the
    surface's state (for sms, whose providers have no such fields, neutral defaults apply).
    """
    return injected_fault(action, _hint(data, task.target))


def _hint(data: object, moid: str | None) -> Mapping[str, Any]:
    """Object-specific defaults for an injected fault on ``moid`` (empty if none are known)."""
    hint = getattr(data, "fault_hint", None)
    if not moid or not callable(hint):
        return {}
    try:
        result: Mapping[str, Any] = hint(moid)
    except Exception:  # a renderer must never raise; fall back to neutral defaults
        return {}
    return result


def _hint_for(request: Request | None) -> Mapping[str, Any]:
    """Object-specific defaults for an injected call fault (the host named in the path)."""
    if request is None:
        return {}
    try:
        data = request.app.state.sim.surface_states.get("vim25")
    except AttributeError:
        return {}
    return _hint(data, request.path_params.get("moId"))


def unsupported_release(request: Request | None) -> str | None:
    """The ``{release}`` of the request path if the simulator does not serve it, else None."""
    if request is None:
        return None
    match = RELEASE_PATH.match(request.url.path)
    if match is None:
        return None
    try:
        releases = request.app.state.sim.settings.releases
    except AttributeError:
        return None
    release = match.group(1)
    return None if release in releases else release


def unknown_release_response(release: str, releases: list[str]) -> Response:
    """HTTP 500 + InvalidRequest naming the supported releases (see the module docstring)."""
    body = fault(
        "InvalidRequest",
        f"Unsupported vSphere API release '{release}'. Supported releases: {', '.join(releases)}.",
        args={"release": release, "supportedReleases": ", ".join(releases)},
    )
    return JSONResponse(body, status_code=500)


@lru_cache(maxsize=8)
def documented_faults(document: str) -> frozenset[str] | None:
    """The fault types ``specs/<document>.yaml`` defines (``MethodFault`` and every concrete
    fault schema, see :meth:`~vreconnect_sim.validation.OpenApiDocument.fault_schemas`); None
    if the document cannot be found."""
    from ..validation import surface_document

    doc = surface_document(document)
    if doc is None:
        return None
    return doc.fault_schemas() | {"MethodFault"}


def fault_vocabulary(document: str) -> Callable[[str], bool]:
    """``SurfaceSpec.knows_fault`` of a VI/JSON surface: the faults its document defines."""

    def knows(name: str) -> bool:
        names = documented_faults(document)
        return names is None or name in names

    return knows


def render_error(request: Request | None, error: SimError) -> Response:
    """The VI/JSON renderer for the shared machinery's :class:`SimError` (never raises).

    Always HTTP 500 with a MethodFault body (an unknown release: InvalidRequest naming the
    supported ones): ``fault`` -> the injected fault; ``unauthenticated`` ->
    NotAuthenticated; ``forbidden`` -> NoPermission; everything else (unparsable or oversize
    body, unknown path or method, internal error) -> InvalidRequest. Internal errors are
    reported as InvalidRequest rather than SystemError because every operation's documented
    fault union lists InvalidRequest and none lists SystemError.
    """
    try:
        release = unsupported_release(request)
        if release is not None and request is not None:
            return unknown_release_response(release, list(request.app.state.sim.settings.releases))
        if error.kind == "fault" and error.fault is not None:
            return fault_response(injected_fault(error.fault, _hint_for(request)))
        if error.kind == "unauthenticated":
            return fault_response(not_authenticated())
        if error.kind == "forbidden":
            return fault_response(fault("NoPermission", error.message))
        if error.kind == "internal":
            return fault_response(invalid_request("The server could not process the request."))
        template = _KIND_MESSAGES.get(error.kind, "{message}")
        return fault_response(invalid_request(template.format(message=error.message)))
    except Exception:  # pragma: no cover - last resort, keeps the "never raises" contract
        return fault_response(invalid_request("The request is invalid."))
