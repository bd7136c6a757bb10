"""vSphere Replication (VR) REST: :class:`Replication` and :class:`AsyncReplication`, for
reconnecting a site pairing.

::

    from vreconnect import Replication

    with Replication("https://vrms.example.com:8043", user, password, tls=tls) as vr:
        pairing = vr.pairings()[0]
        task = vr.reconnect_pairing(pairing.pairing_id, pair_vc_id=pairing.remote_vc_server.id,
                                    url="psc-b.example.com", username=remote_user,
                                    password=remote_password)
        task.wait(timeout=600)

The overlay adds the base path ``/api/rest/vr/v2``. Login is ``POST /session`` with HTTP
Basic authentication; the ``session_id`` travels in ``x-dr-session``; close() deletes the
session. Errors decode by HTTP status to :mod:`vreconnect.faults.vr` classes (``VrBadRequest``,
``VrUnauthorized``, ``VrForbidden``, ``VrNotFound``, ``VrServerError``); a failed task raises
``VrError`` with ``task_id`` set. ``.client`` is the generated client on the same session.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from vreconnect._connection import (
    AsyncConnection,
    SyncConnection,
    TaskReader,
    TransportT,
    _ConnectionCore,
)
from vreconnect._http import (
    AsyncChannel,
    Call,
    ChannelT,
    SyncChannel,
    UnexpectedResponse,
    check_id,
    ignore,
    json_body,
    model_parser,
    string_field,
)
from vreconnect.tasks import AsyncVrTask, TaskKind, VrTask, vr_task_status
from vreconnect.tls import TLSConfig
from vreconnect_generated.clients.vr.api.pairings import (
    get_pairing,
    get_pairings,
    reconnect_pairing,
)
from vreconnect_generated.clients.vr.api.session import login, logout
from vreconnect_generated.clients.vr.api.tasks import get_task
from vreconnect_generated.clients.vr.client import AuthenticatedClient as VrClient
from vreconnect_generated.clients.vr.models import Pairing, PairingSpec, PscInfo
from vreconnect_generated.clients.vr.types import UNSET

__all__ = ["BASE_PATH", "SESSION_HEADER", "AsyncReplication", "Replication"]

SESSION_HEADER = "x-dr-session"
BASE_PATH = "/api/rest/vr/v2"
_RECONNECT = "reconnect_pairing"


def _pairing_spec(
    spec: PairingSpec | None,
    *,
    pair_vc_id: str | None,
    url: str | None,
    port: int | None,
    thumbprint: str | None,
    certificate: str | None,
    username: str | None,
    password: str | None,
) -> PairingSpec:
    """The PairingSpec from ``spec`` or from the page's fields as keywords (not both)."""
    given = {
        name: value
        for name, value in (
            ("pair_vc_id", pair_vc_id),
            ("url", url),
            ("port", port),
            ("thumbprint", thumbprint),
            ("certificate", certificate),
            ("username", username),
            ("password", password),
        )
        if value is not None
    }
    if spec is not None:
        if given:
            raise TypeError(f"pass either spec or keywords, not both (got {', '.join(given)})")
        if not isinstance(spec, PairingSpec):
            raise TypeError(f"spec must be a PairingSpec, got {type(spec).__name__}")
        return spec
    if pair_vc_id is None:
        raise TypeError("reconnect_pairing() needs pair_vc_id (the remote vCenter's id) or spec")
    return PairingSpec(
        pair_vc_id=pair_vc_id,
        pair_psc_info=PscInfo(
            url=UNSET if url is None else url,
            port=UNSET if port is None else port,
            thumbprint=UNSET if thumbprint is None else thumbprint,
            certificate=UNSET if certificate is None else certificate,
            username=UNSET if username is None else username,
            password=UNSET if password is None else password,
        ),
    )


def _spec_secrets(spec: PairingSpec) -> tuple[str, ...]:
    password = spec.pair_psc_info.password
    return (password,) if isinstance(password, str) and password else ()


def _session_id(response: httpx.Response, *, operation: str) -> str:
    return string_field(response, "session_id", operation=operation, detail="no session_id")


def _task_id(response: httpx.Response, *, operation: str) -> str:
    return string_field(response, "id", operation=operation, detail="no task id")


def _list(response: httpx.Response, *, operation: str) -> list[object]:
    body = json_body(response, operation=operation)
    items = body.get("list") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise UnexpectedResponse(response.status_code, operation=operation, detail="no list")
    return items


_pairing = model_parser(Pairing.from_dict)
_pairing_list = model_parser(lambda items: [Pairing.from_dict(item) for item in items], _list)


class _VrBase(_ConnectionCore[TransportT, ChannelT]):
    """Everything of :class:`Replication` and :class:`AsyncReplication` but the I/O."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        timeout: float | None = 30.0,
        transport: TransportT | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._vr_url = f"{self._url}{BASE_PATH}"
        self._vr = self._channel("vr", self._vr_url, SESSION_HEADER)
        self._client: VrClient = self._generated_client(VrClient, self._vr)
        self._task_readers = {
            "vr": TaskReader(self._vr, get_task.request_kwargs, "get_task", vr_task_status)
        }

    @property
    def client(self) -> VrClient:
        """The generated VR client, on this connection's session (``asyncio_*`` calls on an
        AsyncReplication). ConnectionClosed once the connection is closed (a reference kept
        from before then fails with the generated code's own RuntimeError)."""
        self._check_open()
        return self._client

    def _login_call(self) -> Call[ChannelT, str]:
        return self._basic_login_call(self._vr, login.request_kwargs(), "login", _session_id)

    def _logout_call(self) -> Call[ChannelT, None]:
        return Call(self._vr, logout.request_kwargs(), "logout", ignore)

    def _cancel_call(self, kind: TaskKind, task_id: str) -> Call[ChannelT, None]:
        raise ValueError("the vSphere Replication API has no task cancel")

    def _reconnect_call(self, pairing_id: str, spec: PairingSpec) -> Call[ChannelT, str]:
        request = reconnect_pairing.request_kwargs(pairing_id, body=spec)
        return Call(self._vr, request, _RECONNECT, _task_id, secrets=_spec_secrets(spec))

    def _pairings_call(self) -> Call[ChannelT, list[Pairing]]:
        return Call(self._vr, get_pairings.request_kwargs(), "get_pairings", _pairing_list)

    def _pairing_call(self, pairing_id: str) -> Call[ChannelT, Pairing]:
        request = get_pairing.request_kwargs(check_id(pairing_id, "pairing_id"))
        return Call(self._vr, request, "get_pairing", _pairing)


class Replication(SyncConnection, _VrBase[httpx.BaseTransport, SyncChannel]):
    """A vSphere Replication Management Server (``{url}/api/rest/vr/v2``).

    Same constructor conventions as :class:`~vreconnect.VCenter`; a context manager; the
    first call logs in if needed.
    """

    def task(self, task_id: str, *, operation: str | None = None) -> VrTask:
        """A handle on an existing VR task (e.g. to resume after a TaskTimeout)."""
        return VrTask(self, task_id, operation=operation)

    def reconnect_pairing(
        self,
        pairing_id: str,
        *,
        pair_vc_id: str | None = None,
        url: str | None = None,
        port: int | None = None,
        thumbprint: str | None = None,
        certificate: str | None = None,
        username: str | None = None,
        password: str | None = None,
        spec: PairingSpec | None = None,
    ) -> VrTask:
        """Reconnect pairing ``pairing_id`` to its remote VRMS (``actions/reconnect``).

        ``pair_vc_id`` is the remote vCenter's id; the other keywords are ``pair_psc_info``
        (the remote Platform Services Controller: ``url``, ``port``, ``thumbprint``,
        ``certificate``, ``username``, ``password``). Or pass the generated ``spec``.

        Raises from the call: VrBadRequest (400), VrUnauthorized (401: only if refused again
        right after a new login -- a first 401 is answered by logging in again and sending
        the call once more), VrForbidden (403, VRMRemote.Manage), VrNotFound (404, unknown
        pairing), VrServerError (500). Never resent when its outcome is unknown (transport
        error, timeout, 5xx). From ``wait()``: VrError (wrong PSC credentials, remote
        unreachable).
        """
        call = self._reconnect_call(
            check_id(pairing_id, "pairing_id"),
            _pairing_spec(
                spec,
                pair_vc_id=pair_vc_id,
                url=url,
                port=port,
                thumbprint=thumbprint,
                certificate=certificate,
                username=username,
                password=password,
            ),
        )
        return VrTask(self, self._start(call), operation=_RECONNECT, secrets=call.secrets)

    def pairings(self) -> list[Pairing]:
        """Every pairing of this VRMS (``GET /pairings``)."""
        return self._fetch(self._pairings_call())

    def pairing(self, pairing_id: str) -> Pairing:
        """One pairing (``GET /pairings/{pairing_id}``); VrNotFound if there is none."""
        return self._fetch(self._pairing_call(pairing_id))


class AsyncReplication(AsyncConnection, _VrBase[httpx.AsyncBaseTransport, AsyncChannel]):
    """The asyncio twin of :class:`Replication` (``transport`` is an ``httpx.AsyncBaseTransport``)."""

    def task(self, task_id: str, *, operation: str | None = None) -> AsyncVrTask:
        """A handle on an existing VR task (e.g. to resume after a TaskTimeout)."""
        return AsyncVrTask(self, task_id, operation=operation)

    async def reconnect_pairing(
        self,
        pairing_id: str,
        *,
        pair_vc_id: str | None = None,
        url: str | None = None,
        port: int | None = None,
        thumbprint: str | None = None,
        certificate: str | None = None,
        username: str | None = None,
        password: str | None = None,
        spec: PairingSpec | None = None,
    ) -> AsyncVrTask:
        """Reconnect pairing ``pairing_id``; see :meth:`Replication.reconnect_pairing`."""
        call = self._reconnect_call(
            check_id(pairing_id, "pairing_id"),
            _pairing_spec(
                spec,
                pair_vc_id=pair_vc_id,
                url=url,
                port=port,
                thumbprint=thumbprint,
                certificate=certificate,
                username=username,
                password=password,
            ),
        )
        return AsyncVrTask(
            self, await self._start(call), operation=_RECONNECT, secrets=call.secrets
        )

    async def pairings(self) -> list[Pairing]:
        """Every pairing of this VRMS (``GET /pairings``)."""
        return await self._fetch(self._pairings_call())

    async def pairing(self, pairing_id: str) -> Pairing:
        """One pairing (``GET /pairings/{pairing_id}``); VrNotFound if there is none."""
        return await self._fetch(self._pairing_call(pairing_id))
