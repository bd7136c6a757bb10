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
"""

from __future__ import annotations

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
