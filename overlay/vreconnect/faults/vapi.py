"""vSphere Automation (vAPI) standard errors, as answered by ``/rest`` and in cis task errors.

A ``/rest`` error body is ``{"type": "com.vmware.vapi.std.errors.<name>", "value":
{"messages": [LocalizableMessage], "data": ..., "error_type": "<NAME>"}}``; the newer ``/api``
shape (``{"error_type", "messages", "data"}``, unwrapped) is read too. As in the vAPI
bindings, :class:`Error` is the base of every standard error (``except vapi.Error`` catches
them all); :class:`VapiError` is the family base, and what an unknown type decodes to.

Names that clash with vSphere faults (:class:`InvalidArgument`, :class:`InvalidRequest`) or
are too generic (:class:`Error`, :class:`NotFound`) are only available from this module:
``from vreconnect.faults import vapi; except vapi.InvalidArgument``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._base import REGISTRY, Fault, _normalize_secrets, register
from ._wire import get_str, load_body, no_body_message

__all__ = [
    "VAPI_ERROR_PREFIX",
    "AlreadyExists",
    "AlreadyInDesiredState",
    "Canceled",
    "CertificateInfo",
    "ConcurrentChange",
    "Error",
    "FeatureInUse",
    "InternalServerError",
    "InvalidArgument",
    "InvalidElementConfiguration",
    "InvalidElementType",
    "InvalidRequest",
    "NotAllowedInCurrentState",
    "NotFound",
    "OperationNotFound",
    "ResourceBusy",
    "ResourceInUse",
    "ResourceInaccessible",
    "ServiceUnavailable",
    "TimedOut",
    "UnableToAllocateResource",
    "Unauthenticated",
    "Unauthorized",
    "UnexpectedInput",
    "Unsupported",
    "UnverifiedPeer",
    "VapiError",
    "decode_vapi_error",
]

#: The prefix of every standard error's wire name.
VAPI_ERROR_PREFIX = "com.vmware.vapi.std.errors."


@dataclass(frozen=True)
class CertificateInfo:
    """``vcenter.vcha.certificate_info``: the peer certificate's SHA-256 ``ssl_thumbprint``."""

    ssl_thumbprint: str

    @classmethod
    def from_wire(cls, data: object) -> CertificateInfo | None:
        """Read ``{"ssl_thumbprint": ...}``; None if ``data`` is not one."""
        if isinstance(data, Mapping):
            thumbprint = get_str(data, "ssl_thumbprint")
            if thumbprint is not None:
                return cls(thumbprint)
        return None


@dataclass(eq=False, repr=False, kw_only=True)
class VapiError(Fault):
    """Base of the vAPI errors; an unknown or unreadable error decodes to it.

    ``error_type`` is the body's discriminator (``"UNVERIFIED_PEER"``; optional on the wire),
    ``data`` the error's ``data`` as sent.
    """

    str_fields = ("error_type",)

    error_type: str | None = None
    data: object = None

    @classmethod
    def _fields_from_wire(cls, value: Mapping[str, Any]) -> dict[str, Any]:
        """The class's own typed fields read from the error's ``value``."""
        return {}

    def _title(self) -> str:
        name = self.type_name
        short = name[len(VAPI_ERROR_PREFIX) :] if name.startswith(VAPI_ERROR_PREFIX) else name
        if self.wire_name and name not in (self.wire_name, *self.wire_aliases):
            return f"{short} (as {type(self).__name__})"
        if not self.wire_name and name != type(self).__name__:
            return f"{short} (as {type(self).__name__})"
        return short

    def _details(self) -> list[tuple[str, object]]:
        # error_type only says again what the title says, unless the type was unknown.
        return [(n, v) for n, v in super()._details() if n != "error_type" or not self.wire_name]


@register
class Error(VapiError):
    """``error``: the base of every standard error, and the generic one (usually HTTP 500)."""

    wire_name = VAPI_ERROR_PREFIX + "error"


@register
class AlreadyExists(Error):
    """``already_exists``: the resource to create already exists."""

    wire_name = VAPI_ERROR_PREFIX + "already_exists"


@register
class AlreadyInDesiredState(Error):
    """``already_in_desired_state``: the operation would not change anything."""

    wire_name = VAPI_ERROR_PREFIX + "already_in_desired_state"


@register
class Canceled(Error):
    """``canceled``: the operation was cancelled."""

    wire_name = VAPI_ERROR_PREFIX + "canceled"
    wire_aliases = (VAPI_ERROR_PREFIX + "cancelled",)


@register
class ConcurrentChange(Error):
    """``concurrent_change``: a concurrent change invalidated the operation."""

    wire_name = VAPI_ERROR_PREFIX + "concurrent_change"


@register
class FeatureInUse(Error):
    """``feature_in_use``: a feature the operation would disable is in use."""

    wire_name = VAPI_ERROR_PREFIX + "feature_in_use"


@register
class InternalServerError(Error):
    """``internal_server_error``: the server hit an internal error."""

    wire_name = VAPI_ERROR_PREFIX + "internal_server_error"


@register
class InvalidArgument(Error):
    """``invalid_argument``: an argument is invalid (usually HTTP 400)."""

    wire_name = VAPI_ERROR_PREFIX + "invalid_argument"


@register
class InvalidElementConfiguration(Error):
    """``invalid_element_configuration``: an element's configuration is invalid."""

    wire_name = VAPI_ERROR_PREFIX + "invalid_element_configuration"


@register
class InvalidElementType(Error):
    """``invalid_element_type``: an element has the wrong type."""

    wire_name = VAPI_ERROR_PREFIX + "invalid_element_type"


@register
class InvalidRequest(Error):
    """``invalid_request``: the request is malformed."""

    wire_name = VAPI_ERROR_PREFIX + "invalid_request"


@register
class NotAllowedInCurrentState(Error):
    """``not_allowed_in_current_state``: the resource's state forbids the operation."""

    wire_name = VAPI_ERROR_PREFIX + "not_allowed_in_current_state"


@register
class NotFound(Error):
    """``not_found``: a referenced resource does not exist (usually HTTP 404)."""

    wire_name = VAPI_ERROR_PREFIX + "not_found"


@register
class OperationNotFound(Error):
    """``operation_not_found``: the operation does not exist."""

    wire_name = VAPI_ERROR_PREFIX + "operation_not_found"


@register
class ResourceBusy(Error):
    """``resource_busy``: the resource is busy; retry later."""

    wire_name = VAPI_ERROR_PREFIX + "resource_busy"


@register
class ResourceInUse(Error):
    """``resource_in_use``: the resource is in use by another."""

    wire_name = VAPI_ERROR_PREFIX + "resource_in_use"


@register
class ResourceInaccessible(Error):
    """``resource_inaccessible``: the resource cannot be accessed."""

    wire_name = VAPI_ERROR_PREFIX + "resource_inaccessible"


@register
class ServiceUnavailable(Error):
    """``service_unavailable``: the service cannot handle the request now (usually HTTP 503)."""

    wire_name = VAPI_ERROR_PREFIX + "service_unavailable"


@register
class TimedOut(Error):
    """``timed_out``: the operation did not finish in time."""

    wire_name = VAPI_ERROR_PREFIX + "timed_out"


@register
class UnableToAllocateResource(Error):
    """``unable_to_allocate_resource``: a resource could not be allocated."""

    wire_name = VAPI_ERROR_PREFIX + "unable_to_allocate_resource"


@register
class Unauthenticated(Error):
    """``unauthenticated``: no valid session or credentials (usually HTTP 401)."""

    wire_name = VAPI_ERROR_PREFIX + "unauthenticated"


@register
class Unauthorized(Error):
    """``unauthorized``: the user lacks a privilege the operation needs (usually HTTP 403)."""

    wire_name = VAPI_ERROR_PREFIX + "unauthorized"


@register
class UnexpectedInput(Error):
    """``unexpected_input``: the request has input the operation does not expect."""

    wire_name = VAPI_ERROR_PREFIX + "unexpected_input"


@register
class Unsupported(Error):
    """``unsupported``: the operation is not supported here."""

    wire_name = VAPI_ERROR_PREFIX + "unsupported"


@register
@dataclass(eq=False, repr=False, kw_only=True)
class UnverifiedPeer(Error):
    """``unverified_peer``: a peer's SSL certificate could not be validated.

    ``certificate_info`` (from ``data``) carries the peer's SHA-256 thumbprint, to retry with.
    """

    wire_name = VAPI_ERROR_PREFIX + "unverified_peer"
    str_fields = ("ssl_thumbprint",)

    certificate_info: CertificateInfo | None = None

    @property
    def ssl_thumbprint(self) -> str | None:
        """``certificate_info.ssl_thumbprint``, or None."""
        return self.certificate_info.ssl_thumbprint if self.certificate_info else None

    @classmethod
    def _fields_from_wire(cls, value: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **super()._fields_from_wire(value),
            "certificate_info": CertificateInfo.from_wire(value.get("data")),
        }


# ---------------------------------------------------------------------------- decoding


def _by_error_type() -> dict[str, type[VapiError]]:
    out: dict[str, type[VapiError]] = {}
    for name, cls in REGISTRY.items():
        if issubclass(cls, VapiError) and name == cls.wire_name:
            out[name[len(VAPI_ERROR_PREFIX) :].upper()] = cls
    return out


_BY_ERROR_TYPE = _by_error_type()


def _messages(value: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    items = value.get("messages")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                text = (
                    get_str(item, "default_message")
                    or get_str(item, "localized")
                    or get_str(item, "id")
                )
                if text:
                    out.append(text)
            elif isinstance(item, str) and item:
                out.append(item)
    return tuple(out)


def _decode(
    body: object, status: int | None, operation: str | None, secrets: tuple[str, ...]
) -> VapiError:
    loaded = load_body(body)
    data = loaded.mapping
    if data is None:
        message = no_body_message(loaded, status, secrets)
        return VapiError(
            messages=(message,) if message else (),
            status=status,
            operation=operation,
            raw=loaded.raw,
            secrets=secrets,
        )
    wire = data.get("type")
    inner = data.get("value")
    if isinstance(wire, str) and isinstance(inner, Mapping):
        value: Mapping[str, Any] = inner
    elif isinstance(wire, str) and inner is None:
        value = {}
    else:  # the unwrapped /api shape, or no type at all
        value = data
        wire = None
    error_type = get_str(value, "error_type")
    cls: type[Fault] | None = REGISTRY.get(wire) if wire else None
    if cls is None and wire is None and error_type:
        cls = _BY_ERROR_TYPE.get(error_type.upper())
    err_cls = cls if cls is not None and issubclass(cls, VapiError) else VapiError
    type_name = wire or (err_cls.wire_name if err_cls is not VapiError else error_type) or ""
    try:
        own = err_cls._fields_from_wire(value)
    except Exception:  # defensive: raw keeps everything
        own = {}
    return err_cls(
        messages=_messages(value),
        status=status,
        operation=operation,
        raw=loaded.raw,
        type_name=type_name,
        error_type=error_type,
        data=value.get("data"),
        secrets=secrets,
        **own,
    )


def decode_vapi_error(
    body: object,
    *,
    status: int | None = None,
    operation: str | None = None,
    secrets: Iterable[str] = (),
) -> VapiError:
    """Decode a vAPI error body (an HTTP error answer or a cis task's ``error``).

    ``body`` may be a dict, JSON bytes/str, a generated model, None or garbage: this never
    raises. An unknown ``type`` gives :class:`VapiError` with ``type_name`` holding it; a body
    that is not a JSON object gives :class:`VapiError`. ``raw`` keeps the body; ``secrets`` are
    redacted from messages and renderings.
    """
    sec = _normalize_secrets(secrets)
    try:
        return _decode(body, status, operation, sec)
    except Exception:  # last line of defence: decoding must never raise
        return VapiError(
            messages=("undecodable error body",),
            status=status,
            operation=operation,
            raw=body,
            secrets=sec,
        )
