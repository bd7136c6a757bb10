"""A wait's timeout bounds each whole status read and re-login, not just each chunk: httpx's
timeouts are per phase (and restart with every chunk), so a server (or proxy) that drips its
answer a byte at a time would otherwise hold a wait far past its timeout. Sync and async,
over a transport whose answer stream yields slowly."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from vreconnect import AsyncVCenter, PollPolicy, TaskState, TaskTimeout, TransportError, VCenter

FAST = PollPolicy(initial_delay=0.01, max_delay=0.02, jitter=0.0)
BASE = "/sdk/vim25/8.0.3.0"
RUNNING = {"_typeName": "TaskInfo", "key": "t-1", "state": "running"}
SUCCESS = {"_typeName": "TaskInfo", "key": "t-1", "state": "success"}
EXPIRED = {"_typeName": "NotAuthenticated", "faultMessage": []}
#: One byte every DRIP seconds: the dripped answers below take several seconds in all.
DRIP = 0.05
#: A wait of WAIT seconds must be over well before a dripped answer could complete.
WAIT = 0.3
BOUND = 1.5


class Drip(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body sent one byte at a time, DRIP seconds apart."""

    def __init__(self, body: dict[str, Any]) -> None:
        # Padded so that the whole answer takes about 5 s.
        self.body = json.dumps(body).encode().ljust(int(5 / DRIP))

    def __iter__(self) -> Iterator[bytes]:
        for byte in self.body:
            time.sleep(DRIP)
            yield bytes([byte])

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for byte in self.body:
            await asyncio.sleep(DRIP)
            yield bytes([byte])


def _json(status: int, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def _vim(
    info: Callable[[int], httpx.Response], login: Callable[[int], httpx.Response] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    """Just enough VI/JSON: ``info(n)`` answers the n-th task read, ``login(n)`` the n-th
    login (by default at once)."""
    counts: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        counts[path] = counts.get(path, 0) + 1
        if path == "/ServiceInstance/ServiceInstance/content":
            return _json(200, {"sessionManager": {"type": "SessionManager", "value": "SM"}})
        if path == "/SessionManager/SM/Login":
            if login is not None and counts[path] > 1:
                return login(counts[path])
            return _json(200, {"_typeName": "UserSession"}, **{"vmware-api-session-id": "tok"})
        if path == "/SessionManager/SM/Logout":
            return httpx.Response(200)
        if path == "/Task/t-1/info":
            return info(counts[path])
        return httpx.Response(404)

    return handler


def _wait(mode: str, handler: Callable[[httpx.Request], httpx.Response]) -> TaskTimeout:
    """Wait WAIT seconds for task t-1 in ``mode``; the TaskTimeout it must raise within BOUND."""
    transport = httpx.MockTransport(handler)
    started = time.monotonic()
    if mode == "sync":
        with (
            VCenter("https://vc", "u", "p", transport=transport) as vc,
            pytest.raises(TaskTimeout) as info,
        ):
            vc.task("t-1").wait(timeout=WAIT, policy=FAST)
    else:

        async def run() -> None:
            async with AsyncVCenter("https://vc", "u", "p", transport=transport) as vc:
                await vc.task("t-1").wait(timeout=WAIT, policy=FAST)

        with pytest.raises(TaskTimeout) as info:
            asyncio.run(run())
    assert time.monotonic() - started < BOUND
    assert info.value.task_id == "t-1" and info.value.timeout == WAIT
    return info.value


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dripped_task_read_cannot_outlast_the_timeout(mode: str) -> None:
    """The first read answers "running" at once, the second drips: the wait ends with a
    TaskTimeout carrying the last status, the dripped read as its cause."""
    error = _wait(
        mode,
        _vim(
            lambda n: _json(200, RUNNING) if n == 1 else httpx.Response(200, stream=Drip(SUCCESS))
        ),
    )
    assert error.last_status is not None and error.last_status.state is TaskState.RUNNING
    assert isinstance(error.__cause__, TransportError)
    assert "GetTaskInfo" in str(error.__cause__)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dripped_re_login_cannot_outlast_the_timeout(mode: str) -> None:
    """The session expires during the wait and the new login's answer drips."""

    def info(n: int) -> httpx.Response:
        return _json(200, RUNNING) if n == 1 else _json(500, EXPIRED)

    def login(n: int) -> httpx.Response:
        return httpx.Response(
            200, stream=Drip({"_typeName": "UserSession"}), headers={"vmware-api-session-id": "t2"}
        )

    error = _wait(mode, _vim(info, login))
    assert error.last_status is not None and error.last_status.state is TaskState.RUNNING
    assert isinstance(error.__cause__, TransportError)
    assert "Login" in str(error.__cause__)
