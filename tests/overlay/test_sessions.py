"""Sessions on all three surfaces, sync and async: a call that starts work survives a session
the server dropped (one re-login, one resend), logging in again never leaves a session
behind, and a closed connection's generated clients are refused clearly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.overlay.conftest import ADMIN, FAST, PASSWORD, Control, Env, surface_ready
from vreconnect import ConnectionClosed, faults

SHA1 = "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4"
BROKEN = "e30d7438-0a92-449a-a4d6-7c9a623e01db"
BROKEN_VC = "19098a21-74b3-4106-8870-1a50d1876eb9"


@dataclass(frozen=True)
class Surface:
    """One entry point as these tests use it."""

    name: str  # the simulator's surface name (for DELETE /_sim/sessions?surface=)
    store: str  # its login domain in /_sim/health
    start_operation: str  # the operationId of the call that starts work
    open: Callable[[Env], Any]
    start: Callable[[Any], Any]  # starts work: returns a (coroutine of a) task handle
    read: Callable[[Any], Any]  # an idempotent read
    refusal: type[faults.Fault]  # how the surface refuses a call without a session
    refusal_rule: str  # the fault rule that makes the simulator refuse so


SURFACES = [
    Surface(
        "vim25",
        "vim25",
        "ReconnectHost_Task",
        lambda env: env.vcenter(),
        lambda vc: vc.reconnect_host("host-102"),
        lambda vc: vc.host_connection_state("host-101"),
        faults.NotAuthenticated,
        "NotAuthenticated",
    ),
    Surface(
        "vcenter",
        "rest",
        "vcha_cluster_passive_redeploy_task",
        lambda env: env.rest(),
        lambda rest: rest.redeploy_vcha_passive(
            name="vcsa-passive",
            folder="group-v4",
            host="host-21",
            active_hostname="mgmt-vc.example.com",
            active_ssl_thumbprint=SHA1,
            active_username=ADMIN,
            active_password=PASSWORD,
        ),
        lambda rest: rest.vcha_cluster(),
        faults.Unauthenticated,
        "unauthenticated",
    ),
    Surface(
        "vr",
        "vr",
        "reconnect_pairing",
        lambda env: env.vr(),
        lambda vr: vr.reconnect_pairing(
            BROKEN, pair_vc_id=BROKEN_VC, username=ADMIN, password=PASSWORD
        ),
        lambda vr: vr.pairings(),
        faults.VrUnauthorized,
        "401",
    ),
]


@pytest.fixture(params=SURFACES, ids=[s.name for s in SURFACES])
def surface(request: pytest.FixtureRequest) -> Surface:
    chosen: Surface = request.param
    if not surface_ready(chosen.name):
        pytest.skip(f"{chosen.name} surface not ready")
    return chosen


def test_work_starts_after_the_server_dropped_the_session(
    env: Env, control: Control, surface: Surface
) -> None:
    """DELETE /_sim/sessions, then a call that starts work: the server refuses it for want of
    a session (so it did nothing), the connection logs in again and sends it once more."""
    conn = surface.open(env)
    env.run(conn.login())
    dropped = conn._session_token
    assert control.invalidate_sessions(surface.name)["invalidated"] == 1
    task = env.run(surface.start(conn))
    assert conn.logged_in and conn._session_token not in (None, dropped)
    assert control.live_sessions(surface.store) == 1
    env.run(task.wait(timeout=10, policy=FAST))


def test_a_second_refusal_is_raised_and_the_call_not_sent_again(
    env: Env, control: Control, surface: Surface
) -> None:
    """Refused again right after a fresh login: re-logging in does not help, so the refusal
    reaches the caller, after exactly two attempts."""
    control.fault(
        surface=surface.name, operation=surface.start_operation, fault=surface.refusal_rule, count=5
    )
    conn = surface.open(env)
    with pytest.raises(surface.refusal):
        env.run(surface.start(conn))
    assert control.rule(surface.start_operation)["matched"] == 2
    assert conn.logged_in  # on the fresh session: the refusal was the call's, not a login's


def test_logging_in_again_leaves_no_session_behind(
    env: Env, control: Control, surface: Surface
) -> None:
    conn = surface.open(env)
    env.run(surface.read(conn))  # logs in lazily
    lazy = conn._session_token
    assert control.live_sessions(surface.store) == 1
    env.run(conn.login())  # an explicit login replaces the session...
    assert conn._session_token != lazy
    assert control.live_sessions(surface.store) == 1  # ...and logs the old one out
    replaced = conn._session_token

    def inside() -> None:
        # A context manager on a connection that holds a session keeps it.
        assert conn._session_token == replaced
        assert control.live_sessions(surface.store) == 1

    if env.is_async:

        async def use() -> None:
            async with conn:
                inside()

        env.run(use())
    else:
        with conn:
            inside()
    assert control.live_sessions(surface.store) == 0


def test_generated_clients_of_a_closed_connection_are_refused(env: Env, surface: Surface) -> None:
    conn = surface.open(env)
    assert conn.client is not None
    env.run(conn.close())
    with pytest.raises(ConnectionClosed):
        _ = conn.client
    if surface.name == "vim25":
        with pytest.raises(ConnectionClosed):
            _ = conn.sms_client


def test_a_task_status_read_survives_a_session_the_server_dropped(
    env: Env, control: Control, surface: Surface
) -> None:
    """``task.status()`` is a read like any other: refused for want of a session, it logs in
    again once and reads once more."""
    conn = surface.open(env)
    task = env.run(surface.start(conn))
    dropped = conn._session_token
    assert control.invalidate_sessions(surface.name)["invalidated"] == 1
    status = env.run(task.status())
    assert status.task_id == task.id
    assert conn._session_token not in (None, dropped)
    assert control.live_sessions(surface.store) == 1


def test_a_refused_session_is_logged_out_once_a_new_one_is_open(
    env: Env, control: Control, surface: Surface
) -> None:
    """The server refuses a call for want of a session while that session is in fact alive
    (a fault rule here; a load balancer or a clock skew in the field): the connection logs
    in again, and logs the refused session out rather than leaving it behind."""
    conn = surface.open(env)
    env.run(conn.login())
    refused = conn._session_token
    control.fault(
        surface=surface.name, operation=surface.start_operation, fault=surface.refusal_rule, count=1
    )
    env.run(surface.start(conn))
    fresh = conn._session_token
    assert fresh not in (None, refused)
    assert control.live_sessions(surface.store) == 1
    env.run(surface.read(conn))  # the session kept is the fresh one: no further login
    assert conn._session_token == fresh
    env.run(conn.close())
    assert control.live_sessions(surface.store) == 0
