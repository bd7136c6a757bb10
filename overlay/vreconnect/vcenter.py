"""vCenter over vSphere Automation REST (legacy ``/rest``): :class:`VCenterRest` and
:class:`AsyncVCenterRest`, for the VCHA passive node redeploy.

::

    from vreconnect import VCenterRest

    with VCenterRest("https://vc.example.com", user, password, tls=tls) as vc:
        task = vc.redeploy_vcha_passive(name="vcsa-passive", folder="group-v4",
                                        host="host-21", datastore="datastore-15")
        task.wait(timeout=3600)

Login is ``POST /rest/com/vmware/cis/session`` with HTTP Basic authentication; the token
then travels in ``vmware-api-session-id``; close() deletes the session. Errors are the vAPI
standard errors decoded to :mod:`vreconnect.faults.vapi` classes (``UnverifiedPeer``
carries the active node's certificate thumbprint in ``data``). ``.client`` is the generated
client on the same session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    ignore,
    json_body,
    model_parser,
)
from vreconnect.tasks import AsyncCisTask, CisTask, TaskKind, cis_task_status
from vreconnect.tls import TLSConfig
from vreconnect_generated.clients.vcenter.api.session import (
    cis_session_create,
    cis_session_delete,
)
from vreconnect_generated.clients.vcenter.api.tasks import cis_tasks_get
from vreconnect_generated.clients.vcenter.api.vcha import (
    vcha_cluster_get,
    vcha_cluster_passive_redeploy_task,
)
from vreconnect_generated.clients.vcenter.client import AuthenticatedClient as RestClient
from vreconnect_generated.clients.vcenter.models import (
    ClusterInfo,
    ConnectionSpec,
    CredentialsSpec,
    DiskSpec,
    IpSpec,
    NetworkType,
    PlacementSpec,
    RedeploySpec,
    VchaClusterGetRequest,
    VchaClusterPassiveRedeployTaskRequest,
)
from vreconnect_generated.clients.vcenter.types import UNSET

__all__ = ["SESSION_HEADER", "AsyncVCenterRest", "VCenterRest"]

SESSION_HEADER = "vmware-api-session-id"
_REDEPLOY = "vcha_cluster_passive_redeploy_task"


def _redeploy_spec(spec: RedeploySpec | Mapping[str, Any] | None, **fields: Any) -> RedeploySpec:
    """The RedeploySpec from ``spec`` (model or dict) or from the keyword fields (not both)."""
    given = {name: value for name, value in fields.items() if value is not None}
    if spec is not None:
        if given:
            raise TypeError(f"pass either spec or keywords, not both (got {', '.join(given)})")
        if isinstance(spec, RedeploySpec):
            return spec
        if isinstance(spec, Mapping):
            try:
                return RedeploySpec.from_dict(dict(spec))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"spec is not a valid RedeploySpec: {exc!r}") from None
        raise TypeError(f"spec must be a RedeploySpec or a dict, got {type(spec).__name__}")
    missing = [name for name in ("name", "folder") if name not in given]
    if missing:
        raise TypeError(f"redeploy_vcha_passive() needs {' and '.join(missing)} (placement)")
    active = {k: v for k, v in given.items() if k.startswith("active_")}
    vc_spec: CredentialsSpec | None = None
    if active:
        if "active_hostname" not in active:
            raise TypeError("active_hostname is required with the other active_* keywords")
        vc_spec = CredentialsSpec(
            active_location=ConnectionSpec(
                hostname=active["active_hostname"],
                port=active.get("active_port", UNSET),
                ssl_thumbprint=active.get("active_ssl_thumbprint", UNSET),
                username=active.get("active_username", UNSET),
                password=active.get("active_password", UNSET),
            )
        )
    for ip_name in ("ha_ip", "failover_ip"):
        if ip_name in given and not isinstance(given[ip_name], IpSpec):
            raise TypeError(f"{ip_name} must be a generated IpSpec")
    placement = PlacementSpec(
        name=given["name"],
        folder=given["folder"],
        host=given.get("host", UNSET),
        resource_pool=given.get("resource_pool", UNSET),
        ha_network_type=given.get("ha_network_type", UNSET),
        ha_network=given.get("ha_network", UNSET),
        management_network_type=given.get("management_network_type", UNSET),
        management_network=given.get("management_network", UNSET),
        storage=DiskSpec(datastore=given["datastore"]) if "datastore" in given else UNSET,
    )
    return RedeploySpec(
        placement=placement,
        vc_spec=UNSET if vc_spec is None else vc_spec,
        ha_ip=given.get("ha_ip", UNSET),
        failover_ip=given.get("failover_ip", UNSET),
    )


def _spec_secrets(spec: RedeploySpec) -> tuple[str, ...]:
    vc_spec = spec.vc_spec
    if isinstance(vc_spec, CredentialsSpec):
        password = vc_spec.active_location.password
        if isinstance(password, str) and password:
            return (password,)
    return ()


def _value(response: httpx.Response, *, operation: str) -> Any:
    body = json_body(response, operation=operation)
    if not isinstance(body, Mapping) or "value" not in body:
        raise UnexpectedResponse(
            response.status_code, operation=operation, detail="no 'value' in the answer"
        )
    return body["value"]


def _string_value(response: httpx.Response, *, operation: str) -> str:
    value = _value(response, operation=operation)
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(
            response.status_code, operation=operation, detail="'value' is not a string"
        )
    return value


_cluster_info = model_parser(ClusterInfo.from_dict, _value)


def _redeploy_request(spec: RedeploySpec) -> dict[str, Any]:
    return vcha_cluster_passive_redeploy_task.request_kwargs(
        body=VchaClusterPassiveRedeployTaskRequest(spec=spec), vmw_task="true", action="redeploy"
    )


def _cluster_request(partial: bool | None) -> dict[str, Any]:
    body = VchaClusterGetRequest(partial=partial) if partial is not None else UNSET
    return vcha_cluster_get.request_kwargs(body=body, action="get")


class _RestBase(_ConnectionCore[TransportT, ChannelT]):
    """Everything of :class:`VCenterRest` and :class:`AsyncVCenterRest` but the I/O."""

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
        self._rest_url = f"{self._url}/rest"
        self._rest = self._channel("vcenter", self._rest_url, SESSION_HEADER)
        self._client: RestClient = self._generated_client(RestClient, self._rest)
        self._task_readers = {
            "cis": TaskReader(
                self._rest, cis_tasks_get.request_kwargs, "cis_tasks_get", cis_task_status, _value
            )
        }

    @property
    def client(self) -> RestClient:
        """The generated vSphere Automation client, on this connection's session.
        ConnectionClosed once the connection is closed (a reference kept from before then
        fails with the generated code's own RuntimeError)."""
        self._check_open()
        return self._client

    def _login_call(self) -> Call[ChannelT, str]:
        request = cis_session_create.request_kwargs()
        return self._basic_login_call(self._rest, request, "cis_session_create", _string_value)

    def _logout_call(self) -> Call[ChannelT, None]:
        return Call(self._rest, cis_session_delete.request_kwargs(), "cis_session_delete", ignore)

    def _cancel_call(self, kind: TaskKind, task_id: str) -> Call[ChannelT, None]:
        raise ValueError("the vSphere Automation REST surface used here has no task cancel")

    def _redeploy_call(self, spec: RedeploySpec) -> Call[ChannelT, str]:
        request = _redeploy_request(spec)
        return Call(self._rest, request, _REDEPLOY, _string_value, secrets=_spec_secrets(spec))

    def _cluster_call(self, partial: bool | None) -> Call[ChannelT, ClusterInfo]:
        return Call(self._rest, _cluster_request(partial), "vcha_cluster_get", _cluster_info)


class VCenterRest(SyncConnection, _RestBase[httpx.BaseTransport, SyncChannel]):
    """A vCenter Server over the vSphere Automation REST API (``{url}/rest``).

    Same constructor conventions as :class:`~vreconnect.VCenter` (``url`` is the server root,
    ``tls``, ``timeout``, ``transport``); a context manager; the first call logs in if needed.
    """

    def task(self, task_id: str, *, operation: str | None = None) -> CisTask:
        """A handle on an existing cis task (e.g. to resume after a TaskTimeout)."""
        return CisTask(self, task_id, operation=operation)

    def redeploy_vcha_passive(
        self,
        spec: RedeploySpec | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        folder: str | None = None,
        host: str | None = None,
        resource_pool: str | None = None,
        datastore: str | None = None,
        ha_network: str | None = None,
        ha_network_type: NetworkType | None = None,
        management_network: str | None = None,
        management_network_type: NetworkType | None = None,
        active_hostname: str | None = None,
        active_port: int | None = None,
        active_ssl_thumbprint: str | None = None,
        active_username: str | None = None,
        active_password: str | None = None,
        ha_ip: IpSpec | None = None,
        failover_ip: IpSpec | None = None,
    ) -> CisTask:
        """Redeploy the passive node of a degraded VCHA cluster (``?vmw-task=true&action=redeploy``).

        Pass the generated ``RedeploySpec`` (or its dict form) as ``spec``, or its common
        fields as keywords: placement (``name`` and ``folder`` required, ``host``,
        ``resource_pool``, ``datastore``, ``ha_network`` + ``ha_network_type``,
        ``management_network`` + ``management_network_type``), the active node's management
        vCenter (``active_hostname``, ``active_port``, ``active_ssl_thumbprint``,
        ``active_username``, ``active_password``), and ``ha_ip`` / ``failover_ip`` as
        generated ``IpSpec``.

        Raises from the call: ``vapi.InvalidArgument`` (cross-field rules, bad active-node
        credentials), ``UnverifiedPeer`` (thumbprint mismatch; ``data`` holds the
        certificate_info), ``Unauthenticated`` (only if refused again right after a new
        login: a first refusal for want of a session is answered by logging in again and
        sending the call once more), ``Unauthorized`` (Global.VCServer), ``vapi.Error``.
        Never resent when its outcome is unknown (transport error, timeout, 5xx). From
        ``wait()``: the vAPI error the task failed with.
        """
        call = self._redeploy_call(
            _redeploy_spec(
                spec,
                name=name,
                folder=folder,
                host=host,
                resource_pool=resource_pool,
                datastore=datastore,
                ha_network=ha_network,
                ha_network_type=ha_network_type,
                management_network=management_network,
                management_network_type=management_network_type,
                active_hostname=active_hostname,
                active_port=active_port,
                active_ssl_thumbprint=active_ssl_thumbprint,
                active_username=active_username,
                active_password=active_password,
                ha_ip=ha_ip,
                failover_ip=failover_ip,
            )
        )
        return CisTask(self, self._start(call), operation=_REDEPLOY, secrets=call.secrets)

    def vcha_cluster(self, *, partial: bool | None = None) -> ClusterInfo:
        """The VCHA cluster's configuration and health (``?action=get``)."""
        return self._fetch(self._cluster_call(partial))


class AsyncVCenterRest(AsyncConnection, _RestBase[httpx.AsyncBaseTransport, AsyncChannel]):
    """The asyncio twin of :class:`VCenterRest` (``transport`` is an ``httpx.AsyncBaseTransport``)."""

    def task(self, task_id: str, *, operation: str | None = None) -> AsyncCisTask:
        """A handle on an existing cis task (e.g. to resume after a TaskTimeout)."""
        return AsyncCisTask(self, task_id, operation=operation)

    async def redeploy_vcha_passive(
        self,
        spec: RedeploySpec | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        folder: str | None = None,
        host: str | None = None,
        resource_pool: str | None = None,
        datastore: str | None = None,
        ha_network: str | None = None,
        ha_network_type: NetworkType | None = None,
        management_network: str | None = None,
        management_network_type: NetworkType | None = None,
        active_hostname: str | None = None,
        active_port: int | None = None,
        active_ssl_thumbprint: str | None = None,
        active_username: str | None = None,
        active_password: str | None = None,
        ha_ip: IpSpec | None = None,
        failover_ip: IpSpec | None = None,
    ) -> AsyncCisTask:
        """Redeploy the VCHA passive node; see :meth:`VCenterRest.redeploy_vcha_passive`."""
        call = self._redeploy_call(
            _redeploy_spec(
                spec,
                name=name,
                folder=folder,
                host=host,
                resource_pool=resource_pool,
                datastore=datastore,
                ha_network=ha_network,
                ha_network_type=ha_network_type,
                management_network=management_network,
                management_network_type=management_network_type,
                active_hostname=active_hostname,
                active_port=active_port,
                active_ssl_thumbprint=active_ssl_thumbprint,
                active_username=active_username,
                active_password=active_password,
                ha_ip=ha_ip,
                failover_ip=failover_ip,
            )
        )
        return AsyncCisTask(
            self, await self._start(call), operation=_REDEPLOY, secrets=call.secrets
        )

    async def vcha_cluster(self, *, partial: bool | None = None) -> ClusterInfo:
        """The VCHA cluster's configuration and health (``?action=get``)."""
        return await self._fetch(self._cluster_call(partial))
