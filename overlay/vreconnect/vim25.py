"""vCenter over VI/JSON (vim25) and its storage monitoring service (SMS): :class:`VCenter`
and :class:`AsyncVCenter`.

::

    from vreconnect import VCenter, TLSConfig

    with VCenter("https://vc.example.com", "administrator@vsphere.local", password,
                 tls=TLSConfig.ca_bundle("vmca-root.pem")) as vc:
        task = vc.reconnect_host("host-42", user_name="root", password=host_password)
        task.wait(timeout=600)

The connection logs in with ``GET /ServiceInstance/ServiceInstance/content`` then
``SessionManager.Login``, sends the ``vmware-api-session-id`` header on every later call
(SMS calls under ``/sms`` included), and logs out on close. ``vc.client`` and
``vc.sms_client`` are the generated clients, on the same session, for anything the facade
does not wrap::

    from vreconnect_generated.clients.vim25.api.host_system import get_host_system_runtime
    get_host_system_runtime.sync_detailed("host-42", client=vc.client)

Faults: a call answered with a fault raises the decoded fault (``faults.InvalidState``,
``faults.NoPermission``, ...) with ``operation`` set; a task that fails raises the same
classes from ``wait()``, with ``task_id`` set.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx

from vreconnect import faults
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
    Parser,
    SyncChannel,
    UnexpectedResponse,
    check_id,
    ignore,
    json_body,
    model_parser,
    string_field,
)
from vreconnect.faults import SSLVerifyFault
from vreconnect.tasks import (
    AsyncSmsTask,
    AsyncVimTask,
    SmsTask,
    TaskKind,
    VimTask,
    sms_task_status,
    vim_task_status,
)
from vreconnect.tls import TLSConfig
from vreconnect_generated.clients.sms.api.sms_task import query_sms_task_info
from vreconnect_generated.clients.sms.api.vasa_provider import (
    query_provider_info,
    vasa_provider_reconnect_task,
)
from vreconnect_generated.clients.sms.client import AuthenticatedClient as SmsClient
from vreconnect_generated.clients.sms.models import VasaProviderInfo
from vreconnect_generated.clients.vim25.api.host_system import (
    disconnect_host_task,
    get_host_system_runtime,
    reconfigure_host_for_das_task,
    reconnect_host_task,
)
from vreconnect_generated.clients.vim25.api.service_instance import get_service_instance_content
from vreconnect_generated.clients.vim25.api.session_manager import login, logout
from vreconnect_generated.clients.vim25.api.task import cancel_task, get_task_info
from vreconnect_generated.clients.vim25.client import AuthenticatedClient as VimClient
from vreconnect_generated.clients.vim25.models import (
    HostConnectSpec,
    HostGatewaySpec,
    HostRuntimeInfo,
    HostSystemReconnectSpec,
    LoginRequestType,
    ManagedObjectReference,
    ReconnectHostRequestType,
)
from vreconnect_generated.clients.vim25.types import UNSET

__all__ = ["DEFAULT_RELEASE", "SESSION_HEADER", "AcceptThumbprint", "AsyncVCenter", "VCenter"]

SESSION_HEADER = "vmware-api-session-id"
DEFAULT_RELEASE = "8.0.3.0"
_RELEASE_RE = re.compile(r"^\d+(\.\d+){1,3}$")
_RECONNECT = "ReconnectHost_Task"

M = TypeVar("M")

#: Shown the SSLVerifyFault of a host whose certificate is not trusted; returns True to accept
#: the certificate's thumbprint (trust on first use).
AcceptThumbprint = Callable[[SSLVerifyFault], bool]
AsyncAcceptThumbprint = Callable[[SSLVerifyFault], bool | Awaitable[bool]]


# ---------------------------------------------------------------------------- request building


def _connect_spec(
    *,
    host_name: str | None,
    port: int | None,
    ssl_thumbprint: str | None,
    user_name: str | None,
    password: str | None,
    force: bool | None,
    vm_folder: str | ManagedObjectReference | None,
    vim_account_name: str | None,
    vim_account_password: str | None,
    management_ip: str | None,
    lockdown_mode: str | None,
    host_gateway: HostGatewaySpec | None,
    cnx_spec: HostConnectSpec | None,
) -> HostConnectSpec | None:
    """The HostConnectSpec from keywords, or ``cnx_spec`` itself (not both)."""
    given = {
        name: value
        for name, value in (
            ("host_name", host_name),
            ("port", port),
            ("ssl_thumbprint", ssl_thumbprint),
            ("user_name", user_name),
            ("password", password),
            ("force", force),
            ("vm_folder", vm_folder),
            ("vim_account_name", vim_account_name),
            ("vim_account_password", vim_account_password),
            ("management_ip", management_ip),
            ("lockdown_mode", lockdown_mode),
            ("host_gateway", host_gateway),
        )
        if value is not None
    }
    if cnx_spec is not None:
        if given:
            raise TypeError(
                f"pass either cnx_spec or connection keywords, not both (got {', '.join(given)})"
            )
        if not isinstance(cnx_spec, HostConnectSpec):
            raise TypeError(f"cnx_spec must be a HostConnectSpec, got {type(cnx_spec).__name__}")
        return cnx_spec
    if not given:
        return None
    if isinstance(vm_folder, str):
        vm_folder = ManagedObjectReference(type_="Folder", value=vm_folder)
    spec = HostConnectSpec(
        host_name=UNSET if host_name is None else host_name,
        port=UNSET if port is None else port,
        ssl_thumbprint=UNSET if ssl_thumbprint is None else ssl_thumbprint,
        user_name=UNSET if user_name is None else user_name,
        password=UNSET if password is None else password,
        vm_folder=UNSET if vm_folder is None else vm_folder,
        vim_account_name=UNSET if vim_account_name is None else vim_account_name,
        vim_account_password=UNSET if vim_account_password is None else vim_account_password,
        management_ip=UNSET if management_ip is None else management_ip,
        lockdown_mode=UNSET if lockdown_mode is None else lockdown_mode,
        host_gateway=UNSET if host_gateway is None else host_gateway,
    )
    # The generated default sends force=false; send it only when asked, like the page.
    spec.force = UNSET if force is None else force
    return spec


def _reconnect_body(
    cnx: HostConnectSpec | None,
    reconnect_spec: HostSystemReconnectSpec | None,
    sync_state: bool | None,
) -> ReconnectHostRequestType:
    if reconnect_spec is not None and sync_state is not None:
        raise TypeError("pass either reconnect_spec or sync_state, not both")
    if reconnect_spec is not None and not isinstance(reconnect_spec, HostSystemReconnectSpec):
        raise TypeError(
            f"reconnect_spec must be a HostSystemReconnectSpec, got {type(reconnect_spec).__name__}"
        )
    if sync_state is not None:
        reconnect_spec = HostSystemReconnectSpec(sync_state=sync_state)
    return ReconnectHostRequestType(
        cnx_spec=UNSET if cnx is None else cnx,
        reconnect_spec=UNSET if reconnect_spec is None else reconnect_spec,
    )


def _with_thumbprint(body: ReconnectHostRequestType, thumbprint: str) -> ReconnectHostRequestType:
    """``body`` with ``cnxSpec.sslThumbprint`` set, every other field kept."""
    cnx = body.cnx_spec.to_dict() if isinstance(body.cnx_spec, HostConnectSpec) else {}
    cnx.setdefault("_typeName", "HostConnectSpec")
    cnx["sslThumbprint"] = thumbprint
    return ReconnectHostRequestType(
        cnx_spec=HostConnectSpec.from_dict(cnx), reconnect_spec=body.reconnect_spec
    )


def _call_secrets(body: ReconnectHostRequestType) -> tuple[str, ...]:
    cnx = body.cnx_spec
    if not isinstance(cnx, HostConnectSpec):
        return ()
    return tuple(p for p in (cnx.password, cnx.vim_account_password) if isinstance(p, str) and p)


def _task_id(response: httpx.Response, *, operation: str) -> str:
    return string_field(
        response, "value", operation=operation, detail="no task reference in the answer"
    )


def _connection_state(response: httpx.Response, *, operation: str) -> str:
    runtime = json_body(response, operation=operation)
    state = runtime.get("connectionState") if isinstance(runtime, Mapping) else None
    if not isinstance(state, str):
        raise UnexpectedResponse(
            response.status_code,
            operation=operation,
            detail="no connectionState in HostRuntimeInfo",
        )
    return state


def _session_from(response: httpx.Response, *, operation: str) -> str:
    token = response.headers.get(SESSION_HEADER)
    if not isinstance(token, str) or not token:
        raise UnexpectedResponse(
            response.status_code, operation=operation, detail=f"no {SESSION_HEADER} header"
        )
    return token


def _check_release(release: str) -> str:
    if not isinstance(release, str) or not _RELEASE_RE.match(release):
        raise ValueError(f"release must look like '8.0.3.0', got {release!r}")
    return release


class _VCenterBase(_ConnectionCore[TransportT, ChannelT]):
    """Everything of :class:`VCenter` and :class:`AsyncVCenter` but the I/O: the
    constructor, and the calls (requests and their parsers)."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        release: str = DEFAULT_RELEASE,
        timeout: float | None = 30.0,
        transport: TransportT | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._release = _check_release(release)
        self._vim_url = f"{self._url}/sdk/vim25/{self._release}"
        self._sms_url = f"{self._vim_url}/sms"
        self._session_manager = "SessionManager"
        self._about: Mapping[str, Any] | None = None
        self._vim = self._channel("vim25", self._vim_url, SESSION_HEADER)
        self._sms = self._channel("sms", self._sms_url, SESSION_HEADER)
        self._client: VimClient = self._generated_client(VimClient, self._vim)
        self._sms_client: SmsClient = self._generated_client(SmsClient, self._sms)
        self._task_readers = {
            "vim25": TaskReader(
                self._vim, get_task_info.request_kwargs, "GetTaskInfo", vim_task_status
            ),
            "sms": TaskReader(
                self._sms, query_sms_task_info.request_kwargs, "QuerySmsTaskInfo", sms_task_status
            ),
        }

    @property
    def client(self) -> VimClient:
        """The generated vim25 client, on this connection's session (``asyncio_*`` calls on
        an AsyncVCenter). ConnectionClosed once the connection is closed (a reference kept
        from before then fails with the generated code's own RuntimeError)."""
        self._check_open()
        return self._client

    @property
    def sms_client(self) -> SmsClient:
        """The generated SMS client, on this connection's session (``asyncio_*`` calls on an
        AsyncVCenter). ConnectionClosed once the connection is closed."""
        self._check_open()
        return self._sms_client

    @property
    def release(self) -> str:
        """The VI/JSON release in the URL (``/sdk/vim25/{release}``)."""
        return self._release

    @property
    def about(self) -> Mapping[str, Any] | None:
        """The server's ``AboutInfo`` (name, version, build, apiVersion...), once logged in."""
        return self._about

    # -- session ------------------------------------------------------------------------------

    def _content_call(self) -> Call[ChannelT, None]:
        """The anonymous ServiceContent read that precedes the login."""
        request = get_service_instance_content.request_kwargs("ServiceInstance")
        return Call(
            self._vim, request, "GetServiceInstanceContent", self._read_content, authenticated=False
        )

    def _read_content(self, response: httpx.Response, *, operation: str) -> None:
        content = json_body(response, operation=operation)
        if isinstance(content, Mapping):
            manager = content.get("sessionManager")
            value = manager.get("value") if isinstance(manager, Mapping) else None
            if isinstance(value, str) and value:
                self._session_manager = value
            about = content.get("about")
            self._about = about if isinstance(about, Mapping) else None

    def _login_call(self) -> Call[ChannelT, str]:
        body = LoginRequestType(user_name=self._user, password=self._password.reveal())
        request = login.request_kwargs(self._session_manager, body=body)
        return Call(self._vim, request, "Login", _session_from, authenticated=False)

    def _logout_call(self) -> Call[ChannelT, None]:
        return Call(self._vim, logout.request_kwargs(self._session_manager), "Logout", ignore)

    def _cancel_call(self, kind: TaskKind, task_id: str) -> Call[ChannelT, None]:
        if kind != "vim25":
            raise ValueError(f"only vim25 tasks can be cancelled, not {kind!r}")
        return Call(self._vim, cancel_task.request_kwargs(task_id), "CancelTask", ignore)

    # -- facade -------------------------------------------------------------------------------

    def _reconnect_call(self, host_id: str, body: ReconnectHostRequestType) -> Call[ChannelT, str]:
        request = reconnect_host_task.request_kwargs(host_id, body=body)
        return Call(self._vim, request, _RECONNECT, _task_id, secrets=_call_secrets(body))

    def _das_call(self, host_id: str) -> Call[ChannelT, str]:
        request = reconfigure_host_for_das_task.request_kwargs(check_id(host_id, "host_id"))
        return Call(self._vim, request, "ReconfigureHostForDAS_Task", _task_id)

    def _disconnect_call(self, host_id: str) -> Call[ChannelT, str]:
        request = disconnect_host_task.request_kwargs(check_id(host_id, "host_id"))
        return Call(self._vim, request, "DisconnectHost_Task", _task_id)

    def _runtime_call(self, host_id: str, parse: Parser[M]) -> Call[ChannelT, M]:
        request = get_host_system_runtime.request_kwargs(check_id(host_id, "host_id"))
        return Call(self._vim, request, "GetHostSystemRuntime", parse)

    def _vasa_reconnect_call(self, provider_id: str) -> Call[ChannelT, str]:
        request = vasa_provider_reconnect_task.request_kwargs(check_id(provider_id, "provider_id"))
        return Call(self._sms, request, "VasaProviderReconnect_Task", _task_id)

    def _provider_info_call(self, provider_id: str) -> Call[ChannelT, VasaProviderInfo]:
        request = query_provider_info.request_kwargs(check_id(provider_id, "provider_id"))
        return Call(
            self._sms, request, "QueryProviderInfo", model_parser(VasaProviderInfo.from_dict)
        )


# ---------------------------------------------------------------------------- sync


class VCenter(SyncConnection, _VCenterBase[httpx.BaseTransport, SyncChannel]):
    """A vCenter Server over VI/JSON (vim25 + SMS): login, the facade, task handles.

    ``url`` is the server root (``https://vc.example.com``); the overlay adds
    ``/sdk/vim25/{release}`` and ``.../sms``. ``tls`` says how to trust the certificate
    (verify against the system store by default). ``timeout`` bounds each HTTP request.
    ``transport`` replaces the httpx transport (tests, proxies); ``tls`` is then the
    transport's business. Use as a context manager, or call :meth:`login` / :meth:`close`;
    the first call logs in if needed.
    """

    def _login(self, deadline: float | None = None) -> str:
        self._send(self._content_call().by(deadline))
        return super()._login(deadline)

    def task(self, task_id: str, *, operation: str | None = None) -> VimTask:
        """A handle on an existing vSphere Task (e.g. to resume after a TaskTimeout)."""
        return VimTask(self, task_id, operation=operation)

    def sms_task(self, task_id: str, *, operation: str | None = None) -> SmsTask:
        """A handle on an existing SmsTask."""
        return SmsTask(self, task_id, operation=operation)

    # -- facade -------------------------------------------------------------------------------

    def reconnect_host(
        self,
        host_id: str,
        *,
        host_name: str | None = None,
        port: int | None = None,
        ssl_thumbprint: str | None = None,
        user_name: str | None = None,
        password: str | None = None,
        force: bool | None = None,
        vm_folder: str | ManagedObjectReference | None = None,
        vim_account_name: str | None = None,
        vim_account_password: str | None = None,
        management_ip: str | None = None,
        lockdown_mode: str | None = None,
        host_gateway: HostGatewaySpec | None = None,
        sync_state: bool | None = None,
        cnx_spec: HostConnectSpec | None = None,
        reconnect_spec: HostSystemReconnectSpec | None = None,
        accept_thumbprint: AcceptThumbprint | None = None,
    ) -> VimTask:
        """Reconnect host ``host_id`` (a HostSystem moId): ``ReconnectHost_Task``.

        The keywords are the fields of ``cnxSpec`` (HostConnectSpec; ``vm_folder`` may be a
        Folder moId) and ``reconnectSpec.syncState``; or pass the generated ``cnx_spec`` /
        ``reconnect_spec`` instead. With neither, both are omitted (reconnect as before).

        ``accept_thumbprint`` opts in to trust on first use: if the host's certificate is not
        trusted (SSLVerifyFault, from the call or from the task), it is called with the
        fault, whose ``thumbprint`` is the host's SHA-1 thumbprint; if it returns True, ONE
        new ReconnectHost_Task is issued with ``cnxSpec.sslThumbprint`` set to it (the other
        fields kept), and the handle continues on that task (its ``id`` changes). Without the
        callback, or when it returns False, the SSLVerifyFault is raised as is.

        Raises (from the call): NotAuthenticated, NoPermission, ManagedObjectNotFound,
        InvalidArgument/InvalidRequest, NotSupported, InvalidState, InvalidName. From
        ``wait()``: NoHost, InvalidLogin, SSLVerifyFault, AlreadyBeingManaged,
        NotEnoughLicenses, NotSupportedHost, HostConnectFault.

        Like every call that starts work, it is never resent when its outcome is unknown
        (transport error, timeout, 5xx); refused with NotAuthenticated (the session expired,
        so nothing was done), it is sent once more after a new login, and NotAuthenticated
        is raised only if that is refused too.
        """
        check_id(host_id, "host_id")
        body = _reconnect_body(
            _connect_spec(
                host_name=host_name,
                port=port,
                ssl_thumbprint=ssl_thumbprint,
                user_name=user_name,
                password=password,
                force=force,
                vm_folder=vm_folder,
                vim_account_name=vim_account_name,
                vim_account_password=vim_account_password,
                management_ip=management_ip,
                lockdown_mode=lockdown_mode,
                host_gateway=host_gateway,
                cnx_spec=cnx_spec,
            ),
            reconnect_spec,
            sync_state,
        )
        secrets = _call_secrets(body)
        try:
            task_id = self._start(self._reconnect_call(host_id, body))
        except SSLVerifyFault as fault:
            retry = self._accepted(body, fault, accept_thumbprint)
            if retry is None:
                raise
            task_id = self._start(self._reconnect_call(host_id, retry))
            return VimTask(self, task_id, operation=_RECONNECT, secrets=secrets)
        handle = VimTask(self, task_id, operation=_RECONNECT, secrets=secrets)
        if accept_thumbprint is not None:

            def replace(fault: faults.Fault) -> str | None:
                if not isinstance(fault, SSLVerifyFault):
                    return None
                retry = self._accepted(body, fault, accept_thumbprint)
                return None if retry is None else self._start(self._reconnect_call(host_id, retry))

            handle._retry_hook = replace
        return handle

    @staticmethod
    def _accepted(
        body: ReconnectHostRequestType,
        fault: SSLVerifyFault,
        accept: AcceptThumbprint | None,
    ) -> ReconnectHostRequestType | None:
        if accept is None or not fault.thumbprint:
            return None
        if accept(fault) is not True:
            return None
        return _with_thumbprint(body, fault.thumbprint)

    def reconfigure_host_for_das(self, host_id: str) -> VimTask:
        """Reconfigure host ``host_id`` for vSphere HA: ``ReconfigureHostForDAS_Task``.

        Raises NotSupported (host not in an HA cluster), NoPermission, ... from the call;
        DasConfigFault (``reason``, ``output``, ``event``) from ``wait()``.
        """
        call = self._das_call(host_id)
        return VimTask(self, self._start(call), operation=call.operation)

    def disconnect_host(self, host_id: str) -> VimTask:
        """Disconnect host ``host_id`` from vCenter: ``DisconnectHost_Task``."""
        call = self._disconnect_call(host_id)
        return VimTask(self, self._start(call), operation=call.operation)

    def host_connection_state(self, host_id: str) -> str:
        """The host's ``runtime.connectionState``: ``connected``, ``disconnected`` or
        ``notResponding``."""
        return self._fetch(self._runtime_call(host_id, _connection_state))

    def host_runtime(self, host_id: str) -> HostRuntimeInfo:
        """The host's ``runtime`` (HostRuntimeInfo, generated model)."""
        return self._fetch(self._runtime_call(host_id, model_parser(HostRuntimeInfo.from_dict)))

    def reconnect_vasa_provider(self, provider_id: str) -> SmsTask:
        """Reconnect VASA provider ``provider_id``: ``VasaProviderReconnect_Task`` (SMS).

        Raises NoPermission, NotAuthenticated, ManagedObjectNotFound from the call;
        InvalidCertificate (expired certificate) and ProviderConnectionFailed from ``wait()``.
        """
        call = self._vasa_reconnect_call(provider_id)
        return SmsTask(self, self._start(call), operation=call.operation)

    def vasa_provider_info(self, provider_id: str) -> VasaProviderInfo:
        """The provider's ``VasaProviderInfo`` (status, certificate expiry, ...)."""
        return self._fetch(self._provider_info_call(provider_id))


# ---------------------------------------------------------------------------- async


class AsyncVCenter(AsyncConnection, _VCenterBase[httpx.AsyncBaseTransport, AsyncChannel]):
    """The asyncio twin of :class:`VCenter`: same constructor (``transport`` is an
    ``httpx.AsyncBaseTransport``), same methods as coroutines, ``Async*`` task handles.

    ``accept_thumbprint`` may be a plain function or a coroutine function.
    """

    async def _login(self, deadline: float | None = None) -> str:
        await self._send(self._content_call().by(deadline))
        return await super()._login(deadline)

    def task(self, task_id: str, *, operation: str | None = None) -> AsyncVimTask:
        """A handle on an existing vSphere Task (e.g. to resume after a TaskTimeout)."""
        return AsyncVimTask(self, task_id, operation=operation)

    def sms_task(self, task_id: str, *, operation: str | None = None) -> AsyncSmsTask:
        """A handle on an existing SmsTask."""
        return AsyncSmsTask(self, task_id, operation=operation)

    # -- facade -------------------------------------------------------------------------------

    async def reconnect_host(
        self,
        host_id: str,
        *,
        host_name: str | None = None,
        port: int | None = None,
        ssl_thumbprint: str | None = None,
        user_name: str | None = None,
        password: str | None = None,
        force: bool | None = None,
        vm_folder: str | ManagedObjectReference | None = None,
        vim_account_name: str | None = None,
        vim_account_password: str | None = None,
        management_ip: str | None = None,
        lockdown_mode: str | None = None,
        host_gateway: HostGatewaySpec | None = None,
        sync_state: bool | None = None,
        cnx_spec: HostConnectSpec | None = None,
        reconnect_spec: HostSystemReconnectSpec | None = None,
        accept_thumbprint: AsyncAcceptThumbprint | None = None,
    ) -> AsyncVimTask:
        """Reconnect host ``host_id``; see :meth:`VCenter.reconnect_host`."""
        check_id(host_id, "host_id")
        body = _reconnect_body(
            _connect_spec(
                host_name=host_name,
                port=port,
                ssl_thumbprint=ssl_thumbprint,
                user_name=user_name,
                password=password,
                force=force,
                vm_folder=vm_folder,
                vim_account_name=vim_account_name,
                vim_account_password=vim_account_password,
                management_ip=management_ip,
                lockdown_mode=lockdown_mode,
                host_gateway=host_gateway,
                cnx_spec=cnx_spec,
            ),
            reconnect_spec,
            sync_state,
        )
        secrets = _call_secrets(body)
        try:
            task_id = await self._start(self._reconnect_call(host_id, body))
        except SSLVerifyFault as fault:
            retry = await self._accepted(body, fault, accept_thumbprint)
            if retry is None:
                raise
            task_id = await self._start(self._reconnect_call(host_id, retry))
            return AsyncVimTask(self, task_id, operation=_RECONNECT, secrets=secrets)
        handle = AsyncVimTask(self, task_id, operation=_RECONNECT, secrets=secrets)
        if accept_thumbprint is not None:

            async def replace(fault: faults.Fault) -> str | None:
                if not isinstance(fault, SSLVerifyFault):
                    return None
                retry = await self._accepted(body, fault, accept_thumbprint)
                if retry is None:
                    return None
                return await self._start(self._reconnect_call(host_id, retry))

            handle._retry_hook = replace
        return handle

    @staticmethod
    async def _accepted(
        body: ReconnectHostRequestType,
        fault: SSLVerifyFault,
        accept: AsyncAcceptThumbprint | None,
    ) -> ReconnectHostRequestType | None:
        if accept is None or not fault.thumbprint:
            return None
        verdict = accept(fault)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict is not True:
            return None
        return _with_thumbprint(body, fault.thumbprint)

    async def reconfigure_host_for_das(self, host_id: str) -> AsyncVimTask:
        """Reconfigure host ``host_id`` for vSphere HA; see :meth:`VCenter.reconfigure_host_for_das`."""
        call = self._das_call(host_id)
        return AsyncVimTask(self, await self._start(call), operation=call.operation)

    async def disconnect_host(self, host_id: str) -> AsyncVimTask:
        """Disconnect host ``host_id`` from vCenter: ``DisconnectHost_Task``."""
        call = self._disconnect_call(host_id)
        return AsyncVimTask(self, await self._start(call), operation=call.operation)

    async def host_connection_state(self, host_id: str) -> str:
        """The host's ``runtime.connectionState``."""
        return await self._fetch(self._runtime_call(host_id, _connection_state))

    async def host_runtime(self, host_id: str) -> HostRuntimeInfo:
        """The host's ``runtime`` (HostRuntimeInfo, generated model)."""
        return await self._fetch(
            self._runtime_call(host_id, model_parser(HostRuntimeInfo.from_dict))
        )

    async def reconnect_vasa_provider(self, provider_id: str) -> AsyncSmsTask:
        """Reconnect VASA provider ``provider_id``; see :meth:`VCenter.reconnect_vasa_provider`."""
        call = self._vasa_reconnect_call(provider_id)
        return AsyncSmsTask(self, await self._start(call), operation=call.operation)

    async def vasa_provider_info(self, provider_id: str) -> VasaProviderInfo:
        """The provider's ``VasaProviderInfo``."""
        return await self._fetch(self._provider_info_call(provider_id))
