"""vSphere faults (vim25 and SMS over VI/JSON): one class per fault, in the real hierarchy.

Names are exactly the vSphere type names, so ``except HostConnectFault`` catches an
``AlreadyBeingManaged``. A fault arrives as HTTP 500 with a JSON MethodFault body
(``_typeName``, ``faultCause``, ``faultMessage`` and the type's own fields), or as a task's
``info.error``; :func:`decode_vim_fault` turns either into the matching exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vreconnect_generated.clients.vim25.models.das_config_fault_das_config_fault_reason import (
    DAS_CONFIG_FAULT_DAS_CONFIG_FAULT_REASON_VALUES,
    DasConfigFaultDasConfigFaultReason,
)
from vreconnect_generated.clients.vim25.models.event import Event

from ._base import REGISTRY, Fault, _normalize_secrets, register
from ._wire import Body, get_bool, get_str, load_body, no_body_message

__all__ = [
    "AlreadyBeingManaged",
    "DasConfigFault",
    "HostConnectFault",
    "InvalidArgument",
    "InvalidCertificate",
    "InvalidLocale",
    "InvalidLogin",
    "InvalidName",
    "InvalidRequest",
    "InvalidState",
    "ManagedObjectNotFound",
    "MethodFault",
    "MoRef",
    "NoHost",
    "NoPermission",
    "NotAuthenticated",
    "NotEnoughLicenses",
    "NotSupported",
    "NotSupportedHost",
    "ProviderConnectionFailed",
    "ProviderRegistrationFault",
    "RequestCanceled",
    "RuntimeFault",
    "SSLVerifyFault",
    "SecurityError",
    "VimFault",
    "decode_vim_fault",
]

# faultCause chains deeper than this are cut (a hostile body cannot exhaust the stack).
MAX_CAUSE_DEPTH = 16


@dataclass(frozen=True)
class MoRef:
    """A managed object reference: ``type`` (e.g. ``HostSystem``) and ``value`` (``host-101``)."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    @classmethod
    def from_wire(cls, data: object) -> MoRef | None:
        """Read ``{"_typeName": "ManagedObjectReference", "type", "value"}``; None if not one."""
        if isinstance(data, Mapping):
            type_, value = data.get("type"), data.get("value")
            if isinstance(type_, str) and isinstance(value, str):
                return cls(type_, value)
        return None


# ---------------------------------------------------------------------------- the hierarchy


@register
@dataclass(eq=False, repr=False, kw_only=True)
class MethodFault(Fault):
    """Base of every vSphere fault; also what an unknown ``_typeName`` decodes to."""

    wire_name = "MethodFault"

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The class's own typed fields read from a fault body (bases read theirs)."""
        return {}


@register
class RuntimeFault(MethodFault):
    """Base of the faults any call may raise."""

    wire_name = "RuntimeFault"


@register
class VimFault(MethodFault):
    """Base of the faults a method declares."""

    wire_name = "VimFault"


@register
class NotSupported(RuntimeFault):
    """The operation is not supported (e.g. on a standalone host, or outside an HA cluster)."""

    wire_name = "NotSupported"


@register
class NotEnoughLicenses(RuntimeFault):
    """There are not enough licenses for the operation (e.g. to add the host)."""

    wire_name = "NotEnoughLicenses"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class InvalidArgument(RuntimeFault):
    """An argument of the request is invalid; ``invalid_property`` names it when known."""

    wire_name = "InvalidArgument"
    str_fields = ("invalid_property",)

    invalid_property: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "invalid_property": get_str(data, "invalidProperty"),
        }


@register
class InvalidRequest(RuntimeFault):
    """The request is malformed (unparsable body, unknown method or release)."""

    wire_name = "InvalidRequest"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class ManagedObjectNotFound(RuntimeFault):
    """The managed object ``obj`` named by the request does not exist."""

    wire_name = "ManagedObjectNotFound"
    str_fields = ("obj",)

    obj: MoRef | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super()._fields_from_wire(data), "obj": MoRef.from_wire(data.get("obj"))}


@register
@dataclass(eq=False, repr=False, kw_only=True)
class NotAuthenticated(RuntimeFault):
    """The call needs a session and none, or an expired one, was sent.

    ``object`` and ``privilege_id`` are filled when the server sends them (the vim25 schema
    allows them).
    """

    wire_name = "NotAuthenticated"
    str_fields = ("privilege_id", "object")

    object: MoRef | None = None
    privilege_id: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "object": MoRef.from_wire(data.get("object")),
            "privilege_id": get_str(data, "privilegeId"),
        }


@register
class SecurityError(RuntimeFault):
    """Base of the security faults."""

    wire_name = "SecurityError"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class NoPermission(SecurityError):
    """The session's user lacks privilege ``privilege_id`` on ``object``."""

    wire_name = "NoPermission"
    str_fields = ("privilege_id", "object")

    object: MoRef | None = None
    privilege_id: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "object": MoRef.from_wire(data.get("object")),
            "privilege_id": get_str(data, "privilegeId"),
        }


@register
class InvalidLogin(VimFault):
    """Authentication failed: wrong user name or password (Login, or the host's credentials)."""

    wire_name = "InvalidLogin"


@register
class InvalidLocale(VimFault):
    """Login was given a locale the server does not know."""

    wire_name = "InvalidLocale"


@register
class InvalidState(VimFault):
    """The operation is not allowed in the object's current state."""

    wire_name = "InvalidState"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class InvalidName(VimFault):
    """A name is invalid: ``name`` is the name, ``entity`` the object it was meant for."""

    wire_name = "InvalidName"
    str_fields = ("name", "entity")

    name: str | None = None
    entity: MoRef | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "name": get_str(data, "name"),
            "entity": MoRef.from_wire(data.get("entity")),
        }


@register
@dataclass(eq=False, repr=False, kw_only=True)
class DasConfigFault(VimFault):
    """vSphere HA could not be configured on the host.

    ``reason`` is the reason as sent (any string, see :attr:`reason_enum`), ``output`` the
    configuration's stdout/stderr, ``events`` the events explaining it (the generated
    ``Event`` model; the wire field is ``event``).
    """

    wire_name = "DasConfigFault"
    str_fields = ("reason", "output")

    reason: str | None = None
    output: str | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def reason_enum(self) -> DasConfigFaultDasConfigFaultReason | None:
        """``reason`` as a DasConfigFaultDasConfigFaultReason value, or None if not one."""
        if self.reason in DAS_CONFIG_FAULT_DAS_CONFIG_FAULT_REASON_VALUES:
            return self.reason
        return None

    def _details(self) -> list[tuple[str, object]]:
        details = super()._details()
        if self.events:
            details.append(("events", len(self.events)))
        return details

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        events: list[Event] = []
        items = data.get("event")
        if isinstance(items, list):
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                try:
                    events.append(Event.from_dict(item))
                except Exception:  # an event the model cannot read stays in raw only
                    continue
        return {
            **super()._fields_from_wire(data),
            "reason": get_str(data, "reason"),
            "output": get_str(data, "output"),
            "events": events,
        }


@register
class HostConnectFault(VimFault):
    """Connecting to the host failed; usually a more specific subclass is raised."""

    wire_name = "HostConnectFault"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class AlreadyBeingManaged(HostConnectFault):
    """The host is managed by another vCenter server, at ``ip_address``."""

    wire_name = "AlreadyBeingManaged"
    str_fields = ("ip_address",)

    ip_address: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super()._fields_from_wire(data), "ip_address": get_str(data, "ipAddress")}


@register
@dataclass(eq=False, repr=False, kw_only=True)
class NotSupportedHost(HostConnectFault):
    """The host runs a product version that is not supported."""

    wire_name = "NotSupportedHost"
    str_fields = ("product_name", "product_version")

    product_name: str | None = None
    product_version: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "product_name": get_str(data, "productName"),
            "product_version": get_str(data, "productVersion"),
        }


@register
@dataclass(eq=False, repr=False, kw_only=True)
class NoHost(HostConnectFault):
    """The host ``name`` could not be contacted."""

    wire_name = "NoHost"
    str_fields = ("name",)

    name: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super()._fields_from_wire(data), "name": get_str(data, "name")}


@register
@dataclass(eq=False, repr=False, kw_only=True)
class SSLVerifyFault(HostConnectFault):
    """The host's certificate could not be authenticated.

    ``thumbprint`` is the host's real SHA-1 thumbprint: retrying with it as
    ``cnxSpec.sslThumbprint`` accepts the certificate. ``certificate`` is the PEM.
    """

    wire_name = "SSLVerifyFault"
    str_fields = ("thumbprint", "self_signed")

    self_signed: bool | None = None
    thumbprint: str | None = None
    certificate: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(data),
            "self_signed": get_bool(data, "selfSigned"),
            "thumbprint": get_str(data, "thumbprint"),
            "certificate": get_str(data, "certificate"),
        }


@register
class ProviderRegistrationFault(MethodFault):
    """SMS: base of the faults about registering a storage (VASA) provider."""

    wire_name = "ProviderRegistrationFault"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class InvalidCertificate(ProviderRegistrationFault):
    """SMS: the provider certificate is invalid (e.g. expired); ``certificate`` is the one sent."""

    wire_name = "InvalidCertificate"

    certificate: str | None = None

    @classmethod
    def _fields_from_wire(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**super()._fields_from_wire(data), "certificate": get_str(data, "certificate")}


@register
class ProviderConnectionFailed(RuntimeFault):
    """SMS: the provider could not be reached while reconnecting to it."""

    wire_name = "ProviderConnectionFailed"


@register
class RequestCanceled(RuntimeFault):
    """The task was cancelled (vSphere's fault in the ``error`` of a cancelled task)."""

    wire_name = "RequestCanceled"


# ---------------------------------------------------------------------------- decoding


def _messages(data: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    items = data.get("faultMessage")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                text = get_str(item, "message") or get_str(item, "key")
                if text:
                    out.append(text)
    if not out:
        for key in ("localizedMessage", "msg"):
            text = get_str(data, key)
            if text:
                out.append(text)
                break
    return tuple(out)


def _decode(
    body: Body,
    status: int | None,
    operation: str | None,
    secrets: tuple[str, ...],
    depth: int,
) -> MethodFault:
    data = body.mapping
    if data is None:
        message = no_body_message(body, status, secrets)
        return MethodFault(
            messages=(message,) if message else (),
            status=status,
            operation=operation,
            raw=body.raw,
            secrets=secrets,
        )
    wire = data.get("_typeName")
    type_name = wire if isinstance(wire, str) else ""
    cls = REGISTRY.get(type_name)
    fault_cls = cls if cls is not None and issubclass(cls, MethodFault) else MethodFault
    try:
        own = fault_cls._fields_from_wire(data)
    except Exception:  # defensive: a reader choked on an odd value; raw keeps everything
        own = {}
    exc = fault_cls(
        messages=_messages(data),
        status=status,
        operation=operation,
        raw=body.raw,
        type_name=type_name,
        secrets=secrets,
        **own,
    )
    cause = data.get("faultCause")
    if isinstance(cause, Mapping) and depth < MAX_CAUSE_DEPTH:
        exc.__cause__ = _decode(Body(cause, cause), None, operation, secrets, depth + 1)
    return exc


def decode_vim_fault(
    body: object,
    *,
    status: int | None = None,
    operation: str | None = None,
    secrets: Iterable[str] = (),
) -> MethodFault:
    """Decode a vim25/SMS fault body (HTTP 500 answer or a task's ``error``) to its exception.

    ``body`` may be a dict, JSON bytes/str, a generated model, None or garbage: this never
    raises. An unknown ``_typeName`` gives :class:`MethodFault` with ``type_name`` holding the
    wire name; a body that is not a JSON object gives :class:`MethodFault` too. ``raw`` keeps
    the body; ``faultCause`` is decoded recursively and becomes ``__cause__``. ``secrets`` are
    redacted from messages and renderings.
    """
    sec = _normalize_secrets(secrets)
    try:
        return _decode(load_body(body), status, operation, sec, 0)
    except Exception:  # last line of defence: decoding must never raise
        return MethodFault(
            messages=("undecodable fault body",),
            status=status,
            operation=operation,
            raw=body,
            secrets=sec,
        )
