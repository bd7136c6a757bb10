"""Server faults as exceptions: vSphere (vim25/SMS) faults, vAPI standard errors, VR errors.

Every exception derives from :class:`Fault` (itself a
:class:`~vreconnect.errors.VReconnectError`) and carries the fault's typed fields, its
``messages`` (secrets redacted), the HTTP ``status``, the ``operation``, the ``task_id`` when
it ended a task, and the ``raw`` body. One :data:`REGISTRY` maps every wire name to its class.

- vSphere faults are exported here under their vSphere names (``from vreconnect.faults
  import SSLVerifyFault``) and in :mod:`vreconnect.faults.vim`.
- vAPI errors live in :mod:`vreconnect.faults.vapi`; those whose names neither clash with a
  vSphere fault nor are too generic are exported here too (``UnverifiedPeer``,
  ``Unauthenticated``...). ``InvalidArgument`` here is the *vSphere* fault: use
  ``vapi.InvalidArgument``, ``vapi.InvalidRequest``, ``vapi.NotFound``, ``vapi.Error``.
- VR errors live in :mod:`vreconnect.faults.vr` and are exported here too.

Decoders never raise: :func:`decode_vim_fault`, :func:`decode_vapi_error`,
:func:`decode_vr_error`. A fault that ended a task is decoded the same way, then marked with
``.with_task(task_id)``.
"""

from __future__ import annotations

from . import vapi, vim, vr
from ._base import REDACTED, REGISTRY, Fault, is_sensitive_key, redact, register, scrub
from .vapi import (
    AlreadyExists,
    AlreadyInDesiredState,
    Canceled,
    CertificateInfo,
    ConcurrentChange,
    FeatureInUse,
    InternalServerError,
    InvalidElementConfiguration,
    InvalidElementType,
    NotAllowedInCurrentState,
    OperationNotFound,
    ResourceBusy,
    ResourceInaccessible,
    ResourceInUse,
    ServiceUnavailable,
    TimedOut,
    UnableToAllocateResource,
    Unauthenticated,
    Unauthorized,
    UnexpectedInput,
    Unsupported,
    UnverifiedPeer,
    VapiError,
    decode_vapi_error,
)
from .vim import (
    AlreadyBeingManaged,
    DasConfigFault,
    HostConnectFault,
    InvalidArgument,
    InvalidCertificate,
    InvalidLocale,
    InvalidLogin,
    InvalidName,
    InvalidRequest,
    InvalidState,
    ManagedObjectNotFound,
    MethodFault,
    MoRef,
    NoHost,
    NoPermission,
    NotAuthenticated,
    NotEnoughLicenses,
    NotSupported,
    NotSupportedHost,
    ProviderConnectionFailed,
    ProviderRegistrationFault,
    RequestCanceled,
    RuntimeFault,
    SecurityError,
    SSLVerifyFault,
    VimFault,
    decode_vim_fault,
)
from .vr import (
    VrBadRequest,
    VrError,
    VrForbidden,
    VrNotFound,
    VrServerError,
    VrUnauthorized,
    decode_vr_error,
)

__all__ = [
    "REDACTED",
    "REGISTRY",
    "AlreadyBeingManaged",
    "AlreadyExists",
    "AlreadyInDesiredState",
    "Canceled",
    "CertificateInfo",
    "ConcurrentChange",
    "DasConfigFault",
    "Fault",
    "FeatureInUse",
    "HostConnectFault",
    "InternalServerError",
    "InvalidArgument",
    "InvalidCertificate",
    "InvalidElementConfiguration",
    "InvalidElementType",
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
    "NotAllowedInCurrentState",
    "NotAuthenticated",
    "NotEnoughLicenses",
    "NotSupported",
    "NotSupportedHost",
    "OperationNotFound",
    "ProviderConnectionFailed",
    "ProviderRegistrationFault",
    "RequestCanceled",
    "ResourceBusy",
    "ResourceInUse",
    "ResourceInaccessible",
    "RuntimeFault",
    "SSLVerifyFault",
    "SecurityError",
    "ServiceUnavailable",
    "TimedOut",
    "UnableToAllocateResource",
    "Unauthenticated",
    "Unauthorized",
    "UnexpectedInput",
    "Unsupported",
    "UnverifiedPeer",
    "VapiError",
    "VimFault",
    "VrBadRequest",
    "VrError",
    "VrForbidden",
    "VrNotFound",
    "VrServerError",
    "VrUnauthorized",
    "decode_vapi_error",
    "decode_vim_fault",
    "decode_vr_error",
    "is_sensitive_key",
    "is_session_expired",
    "redact",
    "register",
    "scrub",
    "vapi",
    "vim",
    "vr",
]


def is_session_expired(exc: BaseException) -> bool:
    """True if ``exc`` says the session is missing or expired, so logging in again may help.

    That is vSphere ``NotAuthenticated``, vAPI ``unauthenticated`` and VR 401.
    """
    return isinstance(exc, NotAuthenticated | Unauthenticated | VrUnauthorized)
