"""vreconnect: typed Python bindings for five vSphere recovery operations.

Entry points (each a context manager, sync and async, logging in and out for you):

* :class:`VCenter` / :class:`AsyncVCenter` -- vCenter over VI/JSON (vim25) and SMS:
  ``reconnect_host``, ``reconfigure_host_for_das``, ``reconnect_vasa_provider``, ...
* :class:`VCenterRest` / :class:`AsyncVCenterRest` -- vSphere Automation REST:
  ``redeploy_vcha_passive``, ``vcha_cluster``.
* :class:`Replication` / :class:`AsyncReplication` -- vSphere Replication:
  ``reconnect_pairing``, ``pairings``.

Operations that start work return a task handle (:class:`VimTask`, :class:`SmsTask`,
:class:`CisTask`, :class:`VrTask` and their ``Async*`` twins) with one interface:
``status()``, ``wait(timeout=...)`` and ``cancel()``. Server faults are exceptions in
:mod:`vreconnect.faults`; everything raised derives from :class:`VReconnectError`.
TLS trust is a :class:`TLSConfig` (verify, CA bundle, thumbprint pin, or insecure by name).

::

    from vreconnect import VCenter, TLSConfig

    with VCenter("https://vc.example.com", user, password,
                 tls=TLSConfig.pinned("AB:CD:...")) as vc:
        vc.reconnect_host("host-42").wait(timeout=600)

The names below are imported on first use (``import vreconnect`` alone loads no client, so
the command line starts fast); ``from vreconnect import VCenter`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and IDEs
    from vreconnect import faults
    from vreconnect._connection import ConnectionClosed
    from vreconnect._http import GatewayError, UnexpectedResponse
    from vreconnect.errors import TaskTimeout, TransportError, VReconnectError
    from vreconnect.faults import Fault
    from vreconnect.tasks import (
        AsyncCisTask,
        AsyncSmsTask,
        AsyncTask,
        AsyncVimTask,
        AsyncVrTask,
        CisTask,
        SmsTask,
        SyncTask,
        TaskCancelUnsupported,
        TaskOutcome,
        VimTask,
        VrTask,
        async_wait_all,
        wait_all,
    )
    from vreconnect.tls import CertificateMismatch, TLSConfig, thumbprint_of
    from vreconnect.vcenter import AsyncVCenterRest, VCenterRest
    from vreconnect.vim25 import AsyncVCenter, VCenter
    from vreconnect.vr import AsyncReplication, Replication
    from vreconnect.waiting import (
        PollPolicy,
        ProgressReport,
        TaskCancelled,
        TaskFailed,
        TaskState,
        TaskStatus,
        WaitManyError,
        raise_for_failures,
    )

__version__ = "0.1.0"

__all__ = [
    "AsyncCisTask",
    "AsyncReplication",
    "AsyncSmsTask",
    "AsyncTask",
    "AsyncVCenter",
    "AsyncVCenterRest",
    "AsyncVimTask",
    "AsyncVrTask",
    "CertificateMismatch",
    "CisTask",
    "ConnectionClosed",
    "Fault",
    "GatewayError",
    "PollPolicy",
    "ProgressReport",
    "Replication",
    "SmsTask",
    "SyncTask",
    "TLSConfig",
    "TaskCancelUnsupported",
    "TaskCancelled",
    "TaskFailed",
    "TaskOutcome",
    "TaskState",
    "TaskStatus",
    "TaskTimeout",
    "TransportError",
    "UnexpectedResponse",
    "VCenter",
    "VCenterRest",
    "VReconnectError",
    "VimTask",
    "VrTask",
    "WaitManyError",
    "__version__",
    "async_wait_all",
    "faults",
    "raise_for_failures",
    "thumbprint_of",
    "wait_all",
]

#: Public name -> the module it comes from (the module itself for a subpackage).
_LAZY: dict[str, str] = {
    "faults": "vreconnect.faults",
    "Fault": "vreconnect.faults",
    "ConnectionClosed": "vreconnect._connection",
    "GatewayError": "vreconnect._http",
    "UnexpectedResponse": "vreconnect._http",
    "TaskTimeout": "vreconnect.errors",
    "TransportError": "vreconnect.errors",
    "VReconnectError": "vreconnect.errors",
    **dict.fromkeys(
        (
            "AsyncCisTask",
            "AsyncSmsTask",
            "AsyncTask",
            "AsyncVimTask",
            "AsyncVrTask",
            "CisTask",
            "SmsTask",
            "SyncTask",
            "TaskCancelUnsupported",
            "TaskOutcome",
            "VimTask",
            "VrTask",
            "async_wait_all",
            "wait_all",
        ),
        "vreconnect.tasks",
    ),
    **dict.fromkeys(("CertificateMismatch", "TLSConfig", "thumbprint_of"), "vreconnect.tls"),
    **dict.fromkeys(("AsyncVCenterRest", "VCenterRest"), "vreconnect.vcenter"),
    **dict.fromkeys(("AsyncVCenter", "VCenter"), "vreconnect.vim25"),
    **dict.fromkeys(("AsyncReplication", "Replication"), "vreconnect.vr"),
    **dict.fromkeys(
        (
            "PollPolicy",
            "ProgressReport",
            "TaskCancelled",
            "TaskFailed",
            "TaskState",
            "TaskStatus",
            "WaitManyError",
            "raise_for_failures",
        ),
        "vreconnect.waiting",
    ),
}


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute

    def __getattr__(name: str) -> Any:
        module_name = _LAZY.get(name)
        if module_name is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value = module if module_name == f"{__name__}.{name}" else getattr(module, name)
        globals()[name] = value  # later lookups skip __getattr__
        return value


def __dir__() -> list[str]:
    """The public names (loaded or not) and the module's dunders; not the loader's helpers."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
