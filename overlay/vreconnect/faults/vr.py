"""vSphere Replication errors: the ``ResponseError`` body, one class per HTTP status.

400, 403 and 500 carry ``{"error_code", "message", "op_id"}``; 401 and 404 carry no body, so
their message is the status's reason phrase. A failed VR task's ``error``
(``{"message", "details"}``) decodes to :class:`VrError` with no status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from ._base import REGISTRY, Fault, _normalize_secrets, register, status_phrase
from ._wire import get_str, load_body, malformed_message

__all__ = [
    "VrBadRequest",
    "VrError",
    "VrForbidden",
    "VrNotFound",
    "VrServerError",
    "VrUnauthorized",
    "decode_vr_error",
]


@dataclass(eq=False, repr=False, kw_only=True)
class VrError(Fault):
    """Base of the vSphere Replication errors, and the class for any other status.

    ``error_code`` and ``op_id`` come from the ResponseError body; ``details`` from a failed
    task's error.
    """

    #: The HTTP status the class stands for (None for the base).
    http_status: ClassVar[int | None] = None
    str_fields = ("error_code", "op_id", "details")

    error_code: str | None = None
    op_id: str | None = None
    details: str | None = None

    def _title(self) -> str:
        name = type(self).__name__
        return f"{name} (HTTP {self.status})" if self.status is not None else name


@register
class VrBadRequest(VrError):
    """400: the request body or parameters are invalid."""

    wire_name = "vr:400"
    http_status = 400


@register
class VrUnauthorized(VrError):
    """401: no valid session (no body)."""

    wire_name = "vr:401"
    http_status = 401


@register
class VrForbidden(VrError):
    """403: the user lacks a privilege (e.g. VRMRemote.Manage)."""

    wire_name = "vr:403"
    http_status = 403


@register
class VrNotFound(VrError):
    """404: the resource in the URL (e.g. the pairing) does not exist (no body)."""

    wire_name = "vr:404"
    http_status = 404


@register
class VrServerError(VrError):
    """500: the server met an unexpected condition."""

    wire_name = "vr:500"
    http_status = 500


def _decode(
    body: object, status: int | None, operation: str | None, secrets: tuple[str, ...]
) -> VrError:
    wire = f"vr:{status}" if status is not None else ""
    found = REGISTRY.get(wire) if wire else None
    cls = found if found is not None and issubclass(found, VrError) else VrError
    loaded = load_body(body)
    data = loaded.mapping
    messages: list[str] = []
    error_code = op_id = details = None
    if data is not None:
        message = get_str(data, "message")
        if message:
            messages.append(message)
        error_code = get_str(data, "error_code")
        op_id = get_str(data, "op_id")
        details = get_str(data, "details")
    else:
        malformed = malformed_message(loaded, secrets)
        if malformed:
            messages.append(malformed)
    if not messages:
        phrase = status_phrase(status)
        if phrase:
            messages.append(phrase)
    return cls(
        messages=tuple(messages),
        status=status,
        operation=operation,
        raw=loaded.raw,
        type_name=wire,
        error_code=error_code,
        op_id=op_id,
        details=details,
        secrets=secrets,
    )


def decode_vr_error(
    body: object,
    *,
    status: int | None,
    operation: str | None = None,
    secrets: Iterable[str] = (),
) -> VrError:
    """Decode a VR error answer (by ``status``) or, with ``status=None``, a task's ``error``.

    ``body`` may be a dict, JSON bytes/str, None (401/404 have no body) or garbage: this never
    raises. Statuses without a class of their own give :class:`VrError`. ``raw`` keeps the
    body; ``secrets`` are redacted from messages and renderings.
    """
    sec = _normalize_secrets(secrets)
    try:
        return _decode(body, status, operation, sec)
    except Exception:  # last line of defence: decoding must never raise
        return VrError(
            messages=("undecodable error body",),
            status=status,
            operation=operation,
            raw=body,
            secrets=sec,
        )
