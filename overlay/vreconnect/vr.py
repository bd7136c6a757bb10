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

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from vreconnect._connection import AsyncConnection, SyncConnection
from vreconnect._http import Secret, UnexpectedResponse, json_body, parse_retry_after
from vreconnect.tasks import AsyncVrTask, TaskKind, VrTask, vr_task_status
from vreconnect.tls import TLSConfig
from vreconnect.waiting import TaskStatus
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


def _session_id(response: httpx.Response) -> str:
    body = json_body(response, operation="login")
    value = body.get("session_id") if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(response.status_code, operation="login", detail="no session_id")
    return value


def _task_entity(response: httpx.Response) -> tuple[str, Any]:
    body = json_body(response, operation=_RECONNECT)
    task_id = body.get("id") if isinstance(body, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise UnexpectedResponse(response.status_code, operation=_RECONNECT, detail="no task id")
    return task_id, body


def _pairing_list(response: httpx.Response) -> list[Pairing]:
    body = json_body(response, operation="get_pairings")
    items = body.get("list") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise UnexpectedResponse(response.status_code, operation="get_pairings", detail="no list")
    try:
        return [Pairing.from_dict(item) for item in items]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnexpectedResponse(
            response.status_code, operation="get_pairings", detail=f"cannot parse: {exc}"
        ) from None


def _pairing(response: httpx.Response) -> Pairing:
    body = json_body(response, operation="get_pairing")
    try:
        return Pairing.from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnexpectedResponse(
            response.status_code, operation="get_pairing", detail=f"cannot parse: {exc}"
        ) from None


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return value


class _VrShared:
    _url: str
    _user: str
    _password: Secret

    def _basic_auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self._user, self._password.reveal())


class Replication(SyncConnection, _VrShared):
    """A vSphere Replication Management Server (``{url}/api/rest/vr/v2``).

    Same constructor conventions as :class:`~vreconnect.VCenter`; a context manager; the
    first call logs in if needed.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        timeout: float | None = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._vr_url = f"{self._url}{BASE_PATH}"
        self._vr = self._channel("vr", self._vr_url, SESSION_HEADER)
        self.client: VrClient = VrClient(
            base_url=self._vr_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_httpx_client(self._vr.authenticated)
        """The generated VR client, on this connection's session."""

    def _on_token(self, token: str | None) -> None:
        self.client.token = token or ""

    def _login(self) -> str:
        return _session_id(
            self._vr.send(
                login._get_kwargs(),
                operation="login",
                secrets=self._secrets(),
                authenticated=False,
                auth=self._basic_auth(),
            )
        )

    def _logout(self) -> None:
        self._vr.send(logout._get_kwargs(), operation="logout", secrets=self._secrets())

    def _read_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        if kind != "vr":
            raise ValueError(f"a Replication follows vr tasks, not {kind!r}")
        self._ensure_session()
        all_secrets = self._secrets(*secrets)
        response = self._vr.send(
            get_task._get_kwargs(task_id), operation="get_task", secrets=all_secrets, read=True
        )
        return vr_task_status(
            task_id,
            json_body(response, operation="get_task"),
            operation=operation,
            secrets=all_secrets,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        raise ValueError("the vSphere Replication API has no task cancel")

    def task(self, task_id: str, *, operation: str | None = None) -> VrTask:
        """A handle on an existing VR task (e.g. to resume after a TaskTimeout)."""
        return VrTask(self, _check_id(task_id, "task_id"), operation=operation)

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

        Raises from the call: VrBadRequest (400), VrUnauthorized (401), VrForbidden (403,
        VRMRemote.Manage), VrNotFound (404, unknown pairing), VrServerError (500). From
        ``wait()``: VrError (wrong PSC credentials, remote unreachable).
        """
        _check_id(pairing_id, "pairing_id")
        pairing_spec = _pairing_spec(
            spec,
            pair_vc_id=pair_vc_id,
            url=url,
            port=port,
            thumbprint=thumbprint,
            certificate=certificate,
            username=username,
            password=password,
        )
        self._ensure_session()
        secrets = _spec_secrets(pairing_spec)
        response = self._vr.send(
            reconnect_pairing._get_kwargs(pairing_id, body=pairing_spec),
            operation=_RECONNECT,
            secrets=self._secrets(*secrets),
        )
        task_id, _ = _task_entity(response)
        return VrTask(self, task_id, operation=_RECONNECT, secrets=secrets)

    def pairings(self) -> list[Pairing]:
        """Every pairing of this VRMS (``GET /pairings``)."""
        return _pairing_list(
            self._read(
                lambda: self._vr.send(
                    get_pairings._get_kwargs(), operation="get_pairings", secrets=self._secrets()
                )
            )
        )

    def pairing(self, pairing_id: str) -> Pairing:
        """One pairing (``GET /pairings/{pairing_id}``); VrNotFound if there is none."""
        _check_id(pairing_id, "pairing_id")
        return _pairing(
            self._read(
                lambda: self._vr.send(
                    get_pairing._get_kwargs(pairing_id),
                    operation="get_pairing",
                    secrets=self._secrets(),
                )
            )
        )


class AsyncReplication(AsyncConnection, _VrShared):
    """The asyncio twin of :class:`Replication` (``transport`` is an ``httpx.AsyncBaseTransport``)."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        timeout: float | None = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._vr_url = f"{self._url}{BASE_PATH}"
        self._vr = self._channel("vr", self._vr_url, SESSION_HEADER)
        self.client: VrClient = VrClient(
            base_url=self._vr_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_async_httpx_client(self._vr.authenticated)
        """The generated VR client, on this connection's session (use ``asyncio_*``)."""

    def _on_token(self, token: str | None) -> None:
        self.client.token = token or ""

    async def _login(self) -> str:
        return _session_id(
            await self._vr.send(
                login._get_kwargs(),
                operation="login",
                secrets=self._secrets(),
                authenticated=False,
                auth=self._basic_auth(),
            )
        )

    async def _logout(self) -> None:
        await self._vr.send(logout._get_kwargs(), operation="logout", secrets=self._secrets())

    async def _read_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        if kind != "vr":
            raise ValueError(f"an AsyncReplication follows vr tasks, not {kind!r}")
        await self._ensure_session()
        all_secrets = self._secrets(*secrets)
        response = await self._vr.send(
            get_task._get_kwargs(task_id), operation="get_task", secrets=all_secrets, read=True
        )
        return vr_task_status(
            task_id,
            json_body(response, operation="get_task"),
            operation=operation,
            secrets=all_secrets,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    async def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        raise ValueError("the vSphere Replication API has no task cancel")

    def task(self, task_id: str, *, operation: str | None = None) -> AsyncVrTask:
        """A handle on an existing VR task (e.g. to resume after a TaskTimeout)."""
        return AsyncVrTask(self, _check_id(task_id, "task_id"), operation=operation)

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
        _check_id(pairing_id, "pairing_id")
        pairing_spec = _pairing_spec(
            spec,
            pair_vc_id=pair_vc_id,
            url=url,
            port=port,
            thumbprint=thumbprint,
            certificate=certificate,
            username=username,
            password=password,
        )
        await self._ensure_session()
        secrets = _spec_secrets(pairing_spec)
        response = await self._vr.send(
            reconnect_pairing._get_kwargs(pairing_id, body=pairing_spec),
            operation=_RECONNECT,
            secrets=self._secrets(*secrets),
        )
        task_id, _ = _task_entity(response)
        return AsyncVrTask(self, task_id, operation=_RECONNECT, secrets=secrets)

    async def pairings(self) -> list[Pairing]:
        """Every pairing of this VRMS (``GET /pairings``)."""

        async def read() -> httpx.Response:
            return await self._vr.send(
                get_pairings._get_kwargs(), operation="get_pairings", secrets=self._secrets()
            )

        return _pairing_list(await self._read(read))

    async def pairing(self, pairing_id: str) -> Pairing:
        """One pairing (``GET /pairings/{pairing_id}``); VrNotFound if there is none."""
        _check_id(pairing_id, "pairing_id")

        async def read() -> httpx.Response:
            return await self._vr.send(
                get_pairing._get_kwargs(pairing_id),
                operation="get_pairing",
                secrets=self._secrets(),
            )

        return _pairing(await self._read(read))
