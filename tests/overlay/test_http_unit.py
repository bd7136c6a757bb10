"""Unit tests of the plumbing with ``httpx.MockTransport``: Retry-After, error mapping for
bodies the simulator never sends (proxy pages, non-JSON, unknown states), URL and secret
handling, and the task status adapters."""

from __future__ import annotations

import asyncio
import json
import pickle
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from vreconnect import (
    AsyncVCenter,
    GatewayError,
    PollPolicy,
    ProgressReport,
    TaskState,
    TaskTimeout,
    TransportError,
    UnexpectedResponse,
    VCenter,
    VCenterRest,
    faults,
    wait_all,
)
from vreconnect._http import Secret, normalize_base_url, parse_retry_after
from vreconnect.tasks import cis_task_status, vim_task_status, vr_task_status

FAST = PollPolicy(initial_delay=0.01, max_delay=0.02, jitter=0.0)
BASE = "/sdk/vim25/8.0.3.0"


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


class FakeVim:
    """Just enough VI/JSON for a login, one task and a configurable task-info answer."""

    def __init__(self, task_info: Callable[[int], httpx.Response]) -> None:
        self.task_info = task_info
        self.calls: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        self.calls[path] = self.calls.get(path, 0) + 1
        if path == "/ServiceInstance/ServiceInstance/content":
            return _json(200, {"sessionManager": {"type": "SessionManager", "value": "SM"}})
        if path == "/SessionManager/SM/Login":
            return _json(200, {"_typeName": "UserSession"}, {"vmware-api-session-id": "tok"})
        if path == "/SessionManager/SM/Logout":
            return httpx.Response(500, content=b"<html>proxy error</html>")
        if path == "/HostSystem/host-1/ReconnectHost_Task":
            return _json(
                200, {"_typeName": "ManagedObjectReference", "type": "Task", "value": "t-1"}
            )
        if path == "/HostSystem/host-2/ReconnectHost_Task":
            return httpx.Response(503, headers={"Retry-After": "1"})
        if path == "/Task/t-1/info":
            assert request.headers["vmware-api-session-id"] == "tok"
            return self.task_info(self.calls[path])
        return httpx.Response(404, content=b"<html>not found</html>")


def _vc(handler: Callable[[httpx.Request], httpx.Response]) -> VCenter:
    return VCenter("https://vc", "u", "p", transport=httpx.MockTransport(handler))


def _success(**extra: Any) -> httpx.Response:
    return _json(200, {"_typeName": "TaskInfo", "key": "t-1", "state": "success", **extra})


def _running() -> httpx.Response:
    return _json(200, {"_typeName": "TaskInfo", "key": "t-1", "state": "running"})


def test_retry_after_is_honoured_on_task_reads() -> None:
    def info(n: int) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": "0.3"}) if n == 1 else _success()

    fake = FakeVim(info)
    with VCenter("https://vc", "u", "p", transport=httpx.MockTransport(fake)) as vc:
        task = vc.reconnect_host("host-1")
        started = time.monotonic()
        task.wait(timeout=5, policy=FAST)
        assert time.monotonic() - started >= 0.3
    assert fake.calls["/Task/t-1/info"] == 2


def test_read_503_is_a_gateway_error_with_the_hint() -> None:
    fake = FakeVim(lambda n: httpx.Response(503, headers={"Retry-After": "7"}))
    with _vc(fake) as vc, pytest.raises(GatewayError) as info:
        vc.task("t-1").status()
    assert info.value.status_code == 503 and info.value.retry_after == 7.0
    assert isinstance(info.value, TransportError)


def test_a_call_that_starts_work_is_sent_once() -> None:
    fake = FakeVim(lambda n: _success())
    with _vc(fake) as vc, pytest.raises(GatewayError):
        vc.reconnect_host("host-2")
    assert fake.calls["/HostSystem/host-2/ReconnectHost_Task"] == 1


def test_connect_errors_on_a_post_are_not_retried() -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("ReconnectHost_Task"):
            attempts.append(1)
            raise httpx.ConnectError("connection reset", request=request)
        return FakeVim(lambda n: _success())(request)

    with _vc(handler) as vc, pytest.raises(TransportError) as info:
        vc.reconnect_host("host-1")
    assert len(attempts) == 1
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_non_json_task_info_is_an_unexpected_response() -> None:
    fake = FakeVim(lambda n: httpx.Response(200, content=b"<html>login page</html>"))
    with _vc(fake) as vc, pytest.raises(UnexpectedResponse):
        vc.task("t-1").status()


def test_a_500_with_an_html_body_is_a_method_fault() -> None:
    fake = FakeVim(lambda n: httpx.Response(500, content=b"<html>oops</html>"))
    with _vc(fake) as vc, pytest.raises(faults.MethodFault) as info:
        vc.task("t-1").status()
    assert info.value.status == 500 and info.value.operation == "GetTaskInfo"


def test_an_undocumented_404_is_an_unexpected_response() -> None:
    fake = FakeVim(lambda n: _success())
    with _vc(fake) as vc, pytest.raises(UnexpectedResponse) as info:
        vc.host_connection_state("host-9")
    assert info.value.status_code == 404


def test_unknown_task_state_keeps_polling_and_says_so_in_the_progress() -> None:
    def info(n: int) -> httpx.Response:
        if n < 3:
            return _json(200, {"key": "t-1", "state": "someNewState", "progress": 10})
        return _success()

    fake = FakeVim(info)
    reports: list[ProgressReport] = []
    with VCenter("https://vc", "u", "p", transport=httpx.MockTransport(fake)) as vc:
        status = vc.task("t-1").status()
        assert status.state is TaskState.RUNNING
        assert status.message == "unknown state 'someNewState'"
        vc.task("t-1").wait(timeout=5, policy=FAST, on_progress=reports.append)
    assert [(r.state, r.message, r.final) for r in reports] == [
        (TaskState.RUNNING, "unknown state 'someNewState'", False),
        (TaskState.SUCCEEDED, None, True),
    ]


def test_wait_bounds_the_request_timeouts_of_reads_and_re_login() -> None:
    """Each request of a wait (task reads, and the re-login after an expired session) carries
    an httpx timeout of at most what is left of the wait's timeout, and never more than the
    connection's own."""
    seen: dict[str, list[float]] = {}
    expired = {"_typeName": "NotAuthenticated", "faultMessage": []}

    def info(n: int) -> httpx.Response:
        return _json(500, expired) if n == 2 else _success() if n > 3 else _running()

    fake = FakeVim(info)

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        seen.setdefault(path, []).append(request.extensions["timeout"]["read"])
        return fake(request)

    with VCenter("https://vc", "u", "p", timeout=30, transport=httpx.MockTransport(handler)) as vc:
        vc.task("t-1").wait(timeout=3, policy=FAST)
        reads, logins = seen["/Task/t-1/info"], seen["/SessionManager/SM/Login"]
        assert len(reads) == 4 and all(0 < t <= 3 for t in reads)
        assert logins[0] == 30  # the first login is no part of a wait
        assert len(logins) == 2 and 0 < logins[1] <= 3  # the re-login during the wait
        assert seen["/ServiceInstance/ServiceInstance/content"][1] <= 3
        vc.task("t-1").wait(timeout=None, policy=FAST)
        assert reads[-1] == 30  # without a timeout: the connection's own
    with VCenter("https://vc", "u", "p", timeout=2, transport=httpx.MockTransport(handler)) as vc:
        vc.task("t-1").wait(timeout=60, policy=FAST)
        assert seen["/Task/t-1/info"][-1] == 2  # never more than the connection's own


def test_a_failed_re_login_leaves_the_connection_logged_out() -> None:
    """The session expired and the password no longer works: the call raises InvalidLogin,
    ``logged_in`` turns False, and the next call tries a fresh login."""
    logins: list[int] = []
    good = FakeVim(lambda n: _success())

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        if path == "/SessionManager/SM/Login":
            logins.append(1)
            if len(logins) == 2:
                return _json(500, {"_typeName": "InvalidLogin", "faultMessage": []})
        if path == "/HostSystem/host-1/ReconnectHost_Task" and len(logins) == 1:
            return _json(500, {"_typeName": "NotAuthenticated", "faultMessage": []})
        return good(request)

    with _vc(handler) as vc:
        with pytest.raises(faults.InvalidLogin):
            vc.reconnect_host("host-1")
        assert not vc.logged_in
        assert vc.reconnect_host("host-1").id == "t-1"  # a fresh login, then the call
        assert vc.logged_in and len(logins) == 3


def test_a_refused_session_is_logged_out_on_its_own_header() -> None:
    """Refused for want of a session, the call is resent on a new session; the refused one
    is then logged out with its own token (the shared client keeps the new one, so calls of
    other threads never go out on the refused session), and a failing logout is not raised."""
    tokens = iter(["tok-1", "tok-2"])
    sent: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        session = request.headers.get("vmware-api-session-id")
        sent.append((path, session))
        if path == "/SessionManager/SM/Login":
            return _json(200, {"_typeName": "UserSession"}, {"vmware-api-session-id": next(tokens)})
        if path == "/HostSystem/host-1/ReconnectHost_Task" and session == "tok-1":
            return _json(500, {"_typeName": "NotAuthenticated", "faultMessage": []})
        if path == "/Task/t-1/info":
            return _success()
        return FakeVim(lambda n: _success())(request)  # Logout answers 500 HTML

    with _vc(handler) as vc:
        assert vc.reconnect_host("host-1").id == "t-1"
        assert vc._session_token == "tok-2"
        vc.task("t-1").status()
    calls = [(path, session) for path, session in sent if not path.endswith("/content")]
    assert calls == [
        ("/SessionManager/SM/Login", None),
        ("/HostSystem/host-1/ReconnectHost_Task", "tok-1"),
        ("/SessionManager/SM/Login", None),
        ("/SessionManager/SM/Logout", "tok-1"),  # the refused session, on its own header
        ("/HostSystem/host-1/ReconnectHost_Task", "tok-2"),
        ("/Task/t-1/info", "tok-2"),
        ("/SessionManager/SM/Logout", "tok-2"),  # close()
    ]


def test_a_timeout_never_shows_a_password_echoed_in_the_task_info() -> None:
    secret = "Echoed-Pa55!"

    def info(n: int) -> httpx.Response:
        return _json(
            200,
            {
                "_typeName": "TaskInfo",
                "key": "t-1",
                "state": "running",
                "description": {"message": f"reconnecting with password {secret}"},
                "reason": {"userName": "root", "password": secret},
            },
        )

    with _vc(FakeVim(info)) as vc:
        task = vc.reconnect_host("host-1", user_name="root", password=secret)
        with pytest.raises(TaskTimeout) as failed:
            task.wait(timeout=0.05, policy=FAST)
    status = failed.value.last_status
    assert status is not None and secret in repr(status.raw)
    for text in (str(failed.value), repr(failed.value), repr(status), repr(status.safe_raw)):
        assert secret not in text
    assert status.safe_raw["reason"]["password"] == "********"  # type: ignore[index]


def test_login_without_a_session_header_fails_clearly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Login"):
            return _json(200, {"_typeName": "UserSession"})
        return _json(200, {})

    vc = VCenter("https://vc", "u", "p", transport=httpx.MockTransport(handler))
    with pytest.raises(UnexpectedResponse):
        vc.login()
    vc.close()


def test_close_survives_a_failing_logout() -> None:
    fake = FakeVim(lambda n: _success())
    vc = VCenter("https://vc", "u", "p", transport=httpx.MockTransport(fake))
    vc.login()
    vc.close()  # Logout answers 500 HTML: logged, not raised
    assert vc.closed and fake.calls["/SessionManager/SM/Logout"] == 1
    vc.close()  # idempotent


def test_async_twin_over_a_mock_transport() -> None:
    def info(n: int) -> httpx.Response:
        return httpx.Response(502) if n == 1 else _success(result={"_typeName": "string"})

    fake = FakeVim(info)

    async def run() -> object:
        async with AsyncVCenter("https://vc", "u", "p", transport=httpx.MockTransport(fake)) as vc:
            task = await vc.reconnect_host("host-1")
            return await task.wait(timeout=5, policy=FAST)

    assert asyncio.run(run()) == {"_typeName": "string"}


def test_wrong_transport_kind_is_refused() -> None:
    with pytest.raises(TypeError):
        VCenter("https://vc", "u", "p", transport=httpx.AsyncHTTPTransport())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AsyncVCenter("https://vc", "u", "p", transport=httpx.HTTPTransport())  # type: ignore[arg-type]


def test_wait_all_validates_its_arguments() -> None:
    with pytest.raises(ValueError):
        wait_all([], concurrency=0)
    assert wait_all([]) == []
    vc = AsyncVCenter("https://vc", "u", "p", transport=httpx.MockTransport(FakeVim(_success)))
    with pytest.raises(TypeError):
        wait_all([vc.task("t-1")])  # type: ignore[list-item]
    asyncio.run(vc.close())


# ---------------------------------------------------------------------------- helpers


def test_parse_retry_after() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 0.25 ") == 0.25
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


@pytest.mark.parametrize(
    "url",
    ["vc.example.com", "ftp://vc", "https://user:pw@vc", "https://vc/?x=1", "https://", ""],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        normalize_base_url(url)


def test_urls_are_normalized() -> None:
    assert normalize_base_url("https://vc.example.com/") == "https://vc.example.com"
    assert normalize_base_url("https://vc:8443/proxy/") == "https://vc:8443/proxy"
    rest = VCenterRest("https://vc.example.com/", "u", "p")
    assert rest.client._base_url == "https://vc.example.com/rest"
    rest.close()


def test_secret_never_shows() -> None:
    secret = Secret("pa55word")
    assert "pa55word" not in repr(secret) and "pa55word" not in str(secret)
    assert secret.reveal() == "pa55word"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_status_adapters() -> None:
    cancelled = vim_task_status(
        "t", {"state": "error", "cancelled": True, "error": {"_typeName": "RequestCanceled"}}
    )
    assert cancelled.state is TaskState.CANCELLED
    failed = vim_task_status("t", {"state": "error", "error": {"_typeName": "NoHost"}})
    assert isinstance(failed.error, faults.NoHost) and failed.error.task_id == "t"
    blocked = cis_task_status(
        "c", {"status": "BLOCKED", "progress": {"total": 4, "completed": 1, "message": {}}}
    )
    assert blocked.state is TaskState.RUNNING and blocked.progress == 25
    assert blocked.message == "blocked"
    vr = vr_task_status("v", {"status": "CANCELLED"})
    assert vr.state is TaskState.CANCELLED
    with pytest.raises(UnexpectedResponse):
        vr_task_status("v", ["not", "a", "mapping"])
