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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from vreconnect import faults
from vreconnect._connection import AsyncConnection, SyncConnection
from vreconnect._http import Secret, UnexpectedResponse, json_body, parse_retry_after
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
from vreconnect.waiting import TaskStatus
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
    HostConnectSpecLockdownMode,
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
    lockdown_mode: HostConnectSpecLockdownMode | None,
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
    body = json_body(response, operation=operation)
    value = body.get("value") if isinstance(body, Mapping) else None
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(
            response.status_code, operation=operation, detail="no task reference in the answer"
        )
    return value


def _check_release(release: str) -> str:
    if not isinstance(release, str) or not _RELEASE_RE.match(release):
        raise ValueError(f"release must look like '8.0.3.0', got {release!r}")
    return release


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return value


class _VCenterShared:
    """The parts of VCenter and AsyncVCenter that do no I/O."""

    _url: str
    _user: str
    _password: Secret
    _token: str | None

    def _init_urls(self, release: str) -> None:
        self._release = _check_release(release)
        self._vim_url = f"{self._url}/sdk/vim25/{self._release}"
        self._sms_url = f"{self._vim_url}/sms"
        self._session_manager = "SessionManager"
        self._about: Mapping[str, Any] | None = None

    @property
    def release(self) -> str:
        """The VI/JSON release in the URL (``/sdk/vim25/{release}``)."""
        return self._release

    @property
    def about(self) -> Mapping[str, Any] | None:
        """The server's ``AboutInfo`` (name, version, build, apiVersion...), once logged in."""
        return self._about

    def _login_request(self) -> dict[str, Any]:
        body = LoginRequestType(user_name=self._user, password=self._password.reveal())
        return login._get_kwargs(self._session_manager, body=body)

    def _read_content(self, response: httpx.Response) -> None:
        content = json_body(response, operation="GetServiceInstanceContent")
        if isinstance(content, Mapping):
            manager = content.get("sessionManager")
            value = manager.get("value") if isinstance(manager, Mapping) else None
            if isinstance(value, str) and value:
                self._session_manager = value
            about = content.get("about")
            self._about = about if isinstance(about, Mapping) else None

    @staticmethod
    def _session_from(response: httpx.Response) -> str:
        token = response.headers.get(SESSION_HEADER)
        if not isinstance(token, str) or not token:
            raise UnexpectedResponse(
                response.status_code, operation="Login", detail=f"no {SESSION_HEADER} header"
            )
        return token

    @staticmethod
    def _connection_state(response: httpx.Response) -> str:
        runtime = json_body(response, operation="GetHostSystemRuntime")
        state = runtime.get("connectionState") if isinstance(runtime, Mapping) else None
        if not isinstance(state, str):
            raise UnexpectedResponse(
                response.status_code,
                operation="GetHostSystemRuntime",
                detail="no connectionState in HostRuntimeInfo",
            )
        return state

    @staticmethod
    def _parse_model(response: httpx.Response, model: Any, operation: str) -> Any:
        data = json_body(response, operation=operation)
        try:
            return model.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UnexpectedResponse(
                response.status_code, operation=operation, detail=f"cannot parse: {exc}"
            ) from None


# ---------------------------------------------------------------------------- sync


class VCenter(SyncConnection, _VCenterShared):
    """A vCenter Server over VI/JSON (vim25 + SMS): login, the facade, task handles.

    ``url`` is the server root (``https://vc.example.com``); the overlay adds
    ``/sdk/vim25/{release}`` and ``.../sms``. ``tls`` says how to trust the certificate
    (verify against the system store by default). ``timeout`` bounds each HTTP request.
    ``transport`` replaces the httpx transport (tests, proxies); ``tls`` is then the
    transport's business. Use as a context manager, or call :meth:`login` / :meth:`close`;
    the first call logs in if needed.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        release: str = DEFAULT_RELEASE,
        timeout: float | None = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._init_urls(release)
        self._vim = self._channel("vim25", self._vim_url, SESSION_HEADER)
        self._sms = self._channel("sms", self._sms_url, SESSION_HEADER)
        self.client: VimClient = VimClient(
            base_url=self._vim_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_httpx_client(self._vim.authenticated)
        """The generated vim25 client, on this connection's session."""
        self.sms_client: SmsClient = SmsClient(
            base_url=self._sms_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_httpx_client(self._sms.authenticated)
        """The generated SMS client, on this connection's session."""

    def _on_token(self, token: str | None) -> None:
        self.client.token = token or ""
        self.sms_client.token = token or ""

    def _login(self) -> str:
        self._read_content(
            self._vim.send(
                get_service_instance_content._get_kwargs("ServiceInstance"),
                operation="GetServiceInstanceContent",
                secrets=self._secrets(),
                authenticated=False,
            )
        )
        response = self._vim.send(
            self._login_request(), operation="Login", secrets=self._secrets(), authenticated=False
        )
        return self._session_from(response)

    def _logout(self) -> None:
        self._vim.send(
            logout._get_kwargs(self._session_manager), operation="Logout", secrets=self._secrets()
        )

    # -- task plumbing (SyncTaskBackend) ------------------------------------------------------

    def _read_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        self._ensure_session()
        all_secrets = self._secrets(*secrets)
        if kind == "vim25":
            response = self._vim.send(
                get_task_info._get_kwargs(task_id),
                operation="GetTaskInfo",
                secrets=all_secrets,
                read=True,
            )
            return vim_task_status(
                task_id,
                json_body(response, operation="GetTaskInfo"),
                operation=operation,
                secrets=all_secrets,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if kind == "sms":
            response = self._sms.send(
                query_sms_task_info._get_kwargs(task_id),
                operation="QuerySmsTaskInfo",
                secrets=all_secrets,
                read=True,
            )
            return sms_task_status(
                task_id,
                json_body(response, operation="QuerySmsTaskInfo"),
                operation=operation,
                secrets=all_secrets,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        raise ValueError(f"a VCenter follows vim25 and sms tasks, not {kind!r}")

    def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        if kind != "vim25":
            raise ValueError(f"only vim25 tasks can be cancelled, not {kind!r}")
        self._ensure_session()
        self._vim.send(
            cancel_task._get_kwargs(task_id), operation="CancelTask", secrets=self._secrets()
        )

    def task(self, task_id: str, *, operation: str | None = None) -> VimTask:
        """A handle on an existing vSphere Task (e.g. to resume after a TaskTimeout)."""
        return VimTask(self, _check_id(task_id, "task_id"), operation=operation)

    def sms_task(self, task_id: str, *, operation: str | None = None) -> SmsTask:
        """A handle on an existing SmsTask."""
        return SmsTask(self, _check_id(task_id, "task_id"), operation=operation)

    # -- facade -------------------------------------------------------------------------------

    def _start_reconnect(self, host_id: str, body: ReconnectHostRequestType) -> str:
        response = self._vim.send(
            reconnect_host_task._get_kwargs(host_id, body=body),
            operation="ReconnectHost_Task",
            secrets=self._secrets(*_call_secrets(body)),
        )
        return _task_id(response, operation="ReconnectHost_Task")

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
        lockdown_mode: HostConnectSpecLockdownMode | None = None,
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
        """
        _check_id(host_id, "host_id")
        cnx = _connect_spec(
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
        )
        body = _reconnect_body(cnx, reconnect_spec, sync_state)
        self._ensure_session()
        secrets = _call_secrets(body)
        try:
            task_id = self._start_reconnect(host_id, body)
        except SSLVerifyFault as fault:
            retry = self._accepted(body, fault, accept_thumbprint)
            if retry is None:
                raise
            task_id = self._start_reconnect(host_id, retry)
            return VimTask(self, task_id, operation="ReconnectHost_Task", secrets=secrets)
        handle = VimTask(self, task_id, operation="ReconnectHost_Task", secrets=secrets)
        if accept_thumbprint is not None:

            def replace(fault: faults.Fault) -> str | None:
                if not isinstance(fault, SSLVerifyFault):
                    return None
                retry = self._accepted(body, fault, accept_thumbprint)
                return None if retry is None else self._start_reconnect(host_id, retry)

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
        _check_id(host_id, "host_id")
        self._ensure_session()
        response = self._vim.send(
            reconfigure_host_for_das_task._get_kwargs(host_id),
            operation="ReconfigureHostForDAS_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="ReconfigureHostForDAS_Task")
        return VimTask(self, task_id, operation="ReconfigureHostForDAS_Task")

    def disconnect_host(self, host_id: str) -> VimTask:
        """Disconnect host ``host_id`` from vCenter: ``DisconnectHost_Task``."""
        _check_id(host_id, "host_id")
        self._ensure_session()
        response = self._vim.send(
            disconnect_host_task._get_kwargs(host_id),
            operation="DisconnectHost_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="DisconnectHost_Task")
        return VimTask(self, task_id, operation="DisconnectHost_Task")

    def _runtime_response(self, host_id: str) -> httpx.Response:
        return self._read(
            lambda: self._vim.send(
                get_host_system_runtime._get_kwargs(host_id),
                operation="GetHostSystemRuntime",
                secrets=self._secrets(),
            )
        )

    def host_connection_state(self, host_id: str) -> str:
        """The host's ``runtime.connectionState``: ``connected``, ``disconnected`` or
        ``notResponding``."""
        return self._connection_state(self._runtime_response(_check_id(host_id, "host_id")))

    def host_runtime(self, host_id: str) -> HostRuntimeInfo:
        """The host's ``runtime`` (HostRuntimeInfo, generated model)."""
        response = self._runtime_response(_check_id(host_id, "host_id"))
        result: HostRuntimeInfo = self._parse_model(
            response, HostRuntimeInfo, "GetHostSystemRuntime"
        )
        return result

    def reconnect_vasa_provider(self, provider_id: str) -> SmsTask:
        """Reconnect VASA provider ``provider_id``: ``VasaProviderReconnect_Task`` (SMS).

        Raises NoPermission, NotAuthenticated, ManagedObjectNotFound from the call;
        InvalidCertificate (expired certificate) and ProviderConnectionFailed from ``wait()``.
        """
        _check_id(provider_id, "provider_id")
        self._ensure_session()
        response = self._sms.send(
            vasa_provider_reconnect_task._get_kwargs(provider_id),
            operation="VasaProviderReconnect_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="VasaProviderReconnect_Task")
        return SmsTask(self, task_id, operation="VasaProviderReconnect_Task")

    def vasa_provider_info(self, provider_id: str) -> VasaProviderInfo:
        """The provider's ``VasaProviderInfo`` (status, certificate expiry, ...)."""
        _check_id(provider_id, "provider_id")
        response = self._read(
            lambda: self._sms.send(
                query_provider_info._get_kwargs(provider_id),
                operation="QueryProviderInfo",
                secrets=self._secrets(),
            )
        )
        result: VasaProviderInfo = self._parse_model(
            response, VasaProviderInfo, "QueryProviderInfo"
        )
        return result


# ---------------------------------------------------------------------------- async


class AsyncVCenter(AsyncConnection, _VCenterShared):
    """The asyncio twin of :class:`VCenter`: same constructor (``transport`` is an
    ``httpx.AsyncBaseTransport``), same methods as coroutines, ``Async*`` task handles.

    ``accept_thumbprint`` may be a plain function or a coroutine function.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        tls: TLSConfig = TLSConfig.verify(),  # noqa: B008 - frozen, safe to share
        release: str = DEFAULT_RELEASE,
        timeout: float | None = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, user, password, tls=tls, timeout=timeout, transport=transport)
        self._init_urls(release)
        self._vim = self._channel("vim25", self._vim_url, SESSION_HEADER)
        self._sms = self._channel("sms", self._sms_url, SESSION_HEADER)
        self.client: VimClient = VimClient(
            base_url=self._vim_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_async_httpx_client(self._vim.authenticated)
        """The generated vim25 client, on this connection's session (use ``asyncio_*``)."""
        self.sms_client: SmsClient = SmsClient(
            base_url=self._sms_url,
            token="",
            prefix="",
            auth_header_name=SESSION_HEADER,
            verify_ssl=self._ssl_context,
            timeout=self._timeout,
        ).set_async_httpx_client(self._sms.authenticated)
        """The generated SMS client, on this connection's session (use ``asyncio_*``)."""

    def _on_token(self, token: str | None) -> None:
        self.client.token = token or ""
        self.sms_client.token = token or ""

    async def _login(self) -> str:
        self._read_content(
            await self._vim.send(
                get_service_instance_content._get_kwargs("ServiceInstance"),
                operation="GetServiceInstanceContent",
                secrets=self._secrets(),
                authenticated=False,
            )
        )
        response = await self._vim.send(
            self._login_request(), operation="Login", secrets=self._secrets(), authenticated=False
        )
        return self._session_from(response)

    async def _logout(self) -> None:
        await self._vim.send(
            logout._get_kwargs(self._session_manager), operation="Logout", secrets=self._secrets()
        )

    # -- task plumbing (AsyncTaskBackend) -----------------------------------------------------

    async def _read_task_status(
        self, kind: TaskKind, task_id: str, operation: str | None, secrets: Sequence[str]
    ) -> TaskStatus:
        await self._ensure_session()
        all_secrets = self._secrets(*secrets)
        if kind == "vim25":
            response = await self._vim.send(
                get_task_info._get_kwargs(task_id),
                operation="GetTaskInfo",
                secrets=all_secrets,
                read=True,
            )
            return vim_task_status(
                task_id,
                json_body(response, operation="GetTaskInfo"),
                operation=operation,
                secrets=all_secrets,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if kind == "sms":
            response = await self._sms.send(
                query_sms_task_info._get_kwargs(task_id),
                operation="QuerySmsTaskInfo",
                secrets=all_secrets,
                read=True,
            )
            return sms_task_status(
                task_id,
                json_body(response, operation="QuerySmsTaskInfo"),
                operation=operation,
                secrets=all_secrets,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        raise ValueError(f"an AsyncVCenter follows vim25 and sms tasks, not {kind!r}")

    async def _cancel_task(self, kind: TaskKind, task_id: str) -> None:
        if kind != "vim25":
            raise ValueError(f"only vim25 tasks can be cancelled, not {kind!r}")
        await self._ensure_session()
        await self._vim.send(
            cancel_task._get_kwargs(task_id), operation="CancelTask", secrets=self._secrets()
        )

    def task(self, task_id: str, *, operation: str | None = None) -> AsyncVimTask:
        """A handle on an existing vSphere Task (e.g. to resume after a TaskTimeout)."""
        return AsyncVimTask(self, _check_id(task_id, "task_id"), operation=operation)

    def sms_task(self, task_id: str, *, operation: str | None = None) -> AsyncSmsTask:
        """A handle on an existing SmsTask."""
        return AsyncSmsTask(self, _check_id(task_id, "task_id"), operation=operation)

    # -- facade -------------------------------------------------------------------------------

    async def _start_reconnect(self, host_id: str, body: ReconnectHostRequestType) -> str:
        response = await self._vim.send(
            reconnect_host_task._get_kwargs(host_id, body=body),
            operation="ReconnectHost_Task",
            secrets=self._secrets(*_call_secrets(body)),
        )
        return _task_id(response, operation="ReconnectHost_Task")

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
        lockdown_mode: HostConnectSpecLockdownMode | None = None,
        host_gateway: HostGatewaySpec | None = None,
        sync_state: bool | None = None,
        cnx_spec: HostConnectSpec | None = None,
        reconnect_spec: HostSystemReconnectSpec | None = None,
        accept_thumbprint: AsyncAcceptThumbprint | None = None,
    ) -> AsyncVimTask:
        """Reconnect host ``host_id``; see :meth:`VCenter.reconnect_host`."""
        _check_id(host_id, "host_id")
        cnx = _connect_spec(
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
        )
        body = _reconnect_body(cnx, reconnect_spec, sync_state)
        await self._ensure_session()
        secrets = _call_secrets(body)
        try:
            task_id = await self._start_reconnect(host_id, body)
        except SSLVerifyFault as fault:
            retry = await self._accepted(body, fault, accept_thumbprint)
            if retry is None:
                raise
            task_id = await self._start_reconnect(host_id, retry)
            return AsyncVimTask(self, task_id, operation="ReconnectHost_Task", secrets=secrets)
        handle = AsyncVimTask(self, task_id, operation="ReconnectHost_Task", secrets=secrets)
        if accept_thumbprint is not None:

            async def replace(fault: faults.Fault) -> str | None:
                if not isinstance(fault, SSLVerifyFault):
                    return None
                retry = await self._accepted(body, fault, accept_thumbprint)
                return None if retry is None else await self._start_reconnect(host_id, retry)

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
        _check_id(host_id, "host_id")
        await self._ensure_session()
        response = await self._vim.send(
            reconfigure_host_for_das_task._get_kwargs(host_id),
            operation="ReconfigureHostForDAS_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="ReconfigureHostForDAS_Task")
        return AsyncVimTask(self, task_id, operation="ReconfigureHostForDAS_Task")

    async def disconnect_host(self, host_id: str) -> AsyncVimTask:
        """Disconnect host ``host_id`` from vCenter: ``DisconnectHost_Task``."""
        _check_id(host_id, "host_id")
        await self._ensure_session()
        response = await self._vim.send(
            disconnect_host_task._get_kwargs(host_id),
            operation="DisconnectHost_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="DisconnectHost_Task")
        return AsyncVimTask(self, task_id, operation="DisconnectHost_Task")

    async def _runtime_response(self, host_id: str) -> httpx.Response:
        async def read() -> httpx.Response:
            return await self._vim.send(
                get_host_system_runtime._get_kwargs(host_id),
                operation="GetHostSystemRuntime",
                secrets=self._secrets(),
            )

        return await self._read(read)

    async def host_connection_state(self, host_id: str) -> str:
        """The host's ``runtime.connectionState``."""
        return self._connection_state(await self._runtime_response(_check_id(host_id, "host_id")))

    async def host_runtime(self, host_id: str) -> HostRuntimeInfo:
        """The host's ``runtime`` (HostRuntimeInfo, generated model)."""
        response = await self._runtime_response(_check_id(host_id, "host_id"))
        result: HostRuntimeInfo = self._parse_model(
            response, HostRuntimeInfo, "GetHostSystemRuntime"
        )
        return result

    async def reconnect_vasa_provider(self, provider_id: str) -> AsyncSmsTask:
        """Reconnect VASA provider ``provider_id``; see :meth:`VCenter.reconnect_vasa_provider`."""
        _check_id(provider_id, "provider_id")
        await self._ensure_session()
        response = await self._sms.send(
            vasa_provider_reconnect_task._get_kwargs(provider_id),
            operation="VasaProviderReconnect_Task",
            secrets=self._secrets(),
        )
        task_id = _task_id(response, operation="VasaProviderReconnect_Task")
        return AsyncSmsTask(self, task_id, operation="VasaProviderReconnect_Task")

    async def vasa_provider_info(self, provider_id: str) -> VasaProviderInfo:
        """The provider's ``VasaProviderInfo``."""
        _check_id(provider_id, "provider_id")

        async def read() -> httpx.Response:
            return await self._sms.send(
                query_provider_info._get_kwargs(provider_id),
                operation="QueryProviderInfo",
                secrets=self._secrets(),
            )

        response = await self._read(read)
        result: VasaProviderInfo = self._parse_model(
            response, VasaProviderInfo, "QueryProviderInfo"
        )
        return result
