"""The ASGI app factory: every registered surface at its real path, plus ``/_sim``.

``create_app()`` builds a :class:`~vreconnect_sim.state.SimulatorState`, mounts each registered
surface's routes at its ``mount`` (longest mount first, so ``/sdk/vim25/{release}/sms`` wins
over ``/sdk/vim25/{release}``), the control API at ``/_sim`` and a small index at ``/``, and
wraps everything in :class:`SimulatorMiddleware`, which for every HTTP request:

1. settles due tasks (so object state reflects every task that ended before the request);
2. enforces ``settings.max_body_bytes`` (Content-Length and streamed bodies) by rendering
   ``SimError("body_too_large", status=413)`` through the owning surface's ``render_error``
   (the control API answers 413, the REST surfaces 400 with their invalid-argument error,
   VI/JSON a 500 InvalidRequest fault);
3. turns a :class:`~vreconnect_sim.registry.SimError` raised by a handler into that surface's
   error response, and any other exception into ``SimError("internal")`` (logged, never a stack
   trace to the client);
4. turns :class:`~vreconnect_sim.injection.DropConnection` into an abrupt close of the socket
   (no response bytes); in-process the exception propagates to the ASGI caller instead;
5. closes the socket the same way, quietly, when the server cancels a request it can no longer
   wait for (uvicorn does so at shutdown once ``timeout_graceful_shutdown`` has passed): no
   "Exception in ASGI application" traceback and no text/plain 500 (in-process the
   cancellation propagates). Fault-rule latency ends as soon as the server starts stopping
   (``SimulatorState.stopping``), so a shutdown does not wait for it. A request whose client
   went away while its body was being read is dropped without a log entry;
6. in ``validate_responses`` mode only, holds back every response until it has been checked
   against its surface's OpenAPI document (:mod:`vreconnect_sim.validation`); a violation is
   logged, recorded on ``SimulatorState.spec_violations`` and answered as
   ``500 {"error": "response_violates_spec", ...}`` instead. An answer a fault rule's
   ``status`` produced is let through unchecked (see
   :data:`~vreconnect_sim.registry.INJECTED_STATUS`). Off, this costs one attribute read.

Unrouted paths and wrong methods (404/405) are rendered by the surface owning the path
(``not_found`` / ``method_not_allowed``); outside any surface, in the control API's shape.
Paths are matched exactly: ``/rest`` or ``/sdk/vim25/8.0.3.0/`` get the surface's not-found
answer, never a redirect to another spelling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .clock import Clock
from .injection import DropConnection
from .registry import (
    INJECTED_STATUS,
    ErrorRenderer,
    SimError,
    SurfaceContext,
    SurfaceSpec,
    default_render_error,
)
from .scenario import Scenario
from .state import SimulatorState
from .validation import ResponseValidator, SpecViolation, validation_from_env, violation_body

__all__ = ["CONTROL_MOUNT", "SimulatorMiddleware", "create_app", "get_state"]

log = logging.getLogger("vreconnect_sim")

CONTROL_MOUNT = "/_sim"


class _BodyTooLarge(Exception):
    """Raised inside the wrapped ``receive`` when a streamed body passes the limit."""


class SimulatorMiddleware:
    """Pure-ASGI middleware implementing the per-request duties listed in the module docstring."""

    def __init__(self, app: ASGIApp, sim: SimulatorState) -> None:
        self.app = app
        self.sim = sim
        self._routes: list[tuple[re.Pattern[str], SurfaceSpec]] = [
            (spec.mount_regex(), spec)
            for spec in sorted(sim.surfaces.values(), key=lambda s: -len(s.mount))
        ]
        self._validator: ResponseValidator | None = None  # built on the first validated response

    def renderer_for(self, path: str) -> ErrorRenderer:
        """The ``render_error`` of the surface owning ``path`` (control shape otherwise)."""
        for regex, spec in self._routes:
            if regex.match(path):
                return spec.render_error
        return default_render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        if sim.validate_responses:
            # Wrap first, so error responses rendered below are validated too.
            send = self._validating_send(scope, send)
        sim.settle()
        limit = sim.settings.max_body_bytes
        length = _content_length(scope)
        if length is not None and (length < 0 or length > limit):
            too_big = length > limit
            err = SimError(
                "body_too_large" if too_big else "bad_request",
                f"request body exceeds {limit} bytes" if too_big else "invalid Content-Length",
                413 if too_big else 400,
            )
            render = self.renderer_for(scope["path"])
            await _safe_render(render, Request(scope, receive), err)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except DropConnection:
            if _abort_transport(receive):
                return
            raise
        except asyncio.CancelledError:
            # The server gave up on this request (shutdown): close the socket without a word
            # rather than let the server log a traceback and answer text/plain.
            if _abort_transport(receive):
                return
            raise
        except ClientDisconnect:
            # The client went away while its body was being read: nobody to answer, no error.
            log.debug("client disconnected during %s %s", scope.get("method"), scope["path"])
            return
        # The owning surface's renderer is looked up only on these error paths: it costs a few
        # regex matches, which the common (successful) request should not pay.
        except _BodyTooLarge:
            if started:
                raise
            err = SimError("body_too_large", f"request body exceeds {limit} bytes", 413)
            render = self.renderer_for(scope["path"])
            await _safe_render(render, Request(scope), err)(scope, receive, send)
        except SimError as raised:
            if started:
                raise
            render = self.renderer_for(scope["path"])
            await _safe_render(render, Request(scope), raised)(scope, receive, send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope["path"])
            if started:
                raise
            err = SimError("internal", "internal simulator error", 500)
            render = self.renderer_for(scope["path"])
            await _safe_render(render, Request(scope), err)(scope, receive, send)

    def _validating_send(self, scope: Scope, send: Send) -> Send:
        """A ``send`` that buffers the response and lets only a conforming one through."""
        validator = self._validator
        if validator is None:
            validator = self._validator = ResponseValidator(
                self.sim.surfaces.values(), CONTROL_MOUNT
            )
        start: Message | None = None
        chunks: list[bytes] = []

        async def validating_send(message: Message) -> None:
            nonlocal start
            kind = message["type"]
            if kind == "http.response.start":
                start = message
                return
            if kind != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if scope.get(INJECTED_STATUS) is not None:
                violation = None  # a fault rule's status: out of contract on purpose
            else:
                violation = validator.check(
                    scope["method"],
                    scope["path"],
                    int(start["status"]),
                    start.get("headers", ()),
                    body,
                )
            if violation is None:
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            self._record(violation)
            payload = json.dumps(violation_body(violation)).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})

        return validating_send

    def _record(self, violation: SpecViolation) -> None:
        log.error("response violates the %s document: %s", violation.document, violation)
        with self.sim.lock:
            self.sim.spec_violations.append(violation)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


def _safe_render(render: ErrorRenderer, request: Request, err: SimError) -> Response:
    """Call a surface renderer, falling back to the control shape if the renderer itself fails."""
    try:
        return render(request, err)
    except Exception:
        log.exception("error renderer failed for %s", err)
        return default_render_error(request, err)


def _abort_transport(receive: Receive) -> bool:
    """Abort the client connection behind uvicorn's ``receive``; False if not under uvicorn.

    uvicorn's ``receive`` is a bound method of its request cycle, which holds the asyncio
    transport. Marking the cycle disconnected stops uvicorn from writing its own 500.
    """
    cycle: Any = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    with contextlib.suppress(AttributeError):
        cycle.disconnected = True
    transport.abort()
    return True


def get_state(app: Starlette) -> SimulatorState:
    """The :class:`SimulatorState` behind an app made by :func:`create_app`."""
    sim: SimulatorState = app.state.sim
    return sim


def create_app(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    *,
    hosts: int | None = None,
    seed: int | None = None,
    validate_responses: bool | None = None,
    clock: Clock | None = None,
    surfaces: Sequence[SurfaceSpec] | None = None,
) -> Starlette:
    """Build the simulator app.

    ``scenario``: a :class:`Scenario`, a path to a YAML file, or None for the embedded default.
    ``hosts``: fleet size passed to surface builders (``--hosts N``). ``seed``: overrides
    ``settings.seed``. ``validate_responses``: check every response against its surface's
    OpenAPI document (test mode; see :mod:`vreconnect_sim.validation`); None (default) reads
    ``VRECONNECT_SIM_VALIDATE=1`` from the environment, so servers started by tests can be
    switched on from outside. Surfaces can read it as ``ctx.sim.validate_responses``.
    ``clock``: e.g. a :class:`~vreconnect_sim.clock.FakeClock`. ``surfaces``: restrict/replace the
    registered surfaces (tests); default all registered ones. The state is ``app.state.sim``.
    """
    from .control import routes as control_routes

    if validate_responses is None:
        validate_responses = validation_from_env()
    if scenario is None:
        loaded = Scenario.default()
    elif isinstance(scenario, Scenario):
        loaded = scenario
    else:
        loaded = Scenario.load(scenario)
    sim = SimulatorState(
        loaded,
        clock=clock,
        hosts=hosts,
        seed=seed,
        validate_responses=validate_responses,
        surfaces=surfaces,
    )
    routes: list[BaseRoute] = []
    for spec in sorted(sim.surfaces.values(), key=lambda s: -len(s.mount)):
        built = spec.routes(SurfaceContext(spec, sim))
        if isinstance(built, Sequence):
            router = Router(routes=list(built), redirect_slashes=False)
            routes.append(Mount(spec.mount, app=router, name=spec.name))
        else:
            routes.append(Mount(spec.mount, app=built, name=spec.name))
    control = Router(routes=control_routes(sim), redirect_slashes=False)
    routes.append(Mount(CONTROL_MOUNT, app=control, name="control"))

    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "simulator": "vreconnect_sim",
                "surfaces": {s.name: s.mount for s in sim.surfaces.values()},
                "control": CONTROL_MOUNT,
            }
        )

    routes.append(Route("/", index, methods=["GET"]))
    middleware = SimulatorMiddleware

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind: Any = {404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "bad_request"
        )
        message = f"no such resource: {request.method} {request.url.path}"
        if exc.status_code == 405:
            message = f"method {request.method} not allowed on {request.url.path}"
        err = SimError(kind, message, exc.status_code)
        for regex, spec in sorted(
            ((s.mount_regex(), s) for s in sim.surfaces.values()), key=lambda p: -len(p[1].mount)
        ):
            if regex.match(request.url.path):
                return _safe_render(spec.render_error, request, err)
        response = default_render_error(request, err)
        # RFC 9110: a 405 must say which methods the resource has; starlette's router knows.
        if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response

    app = Starlette(
        routes=routes,
        middleware=[Middleware(middleware, sim=sim)],
        exception_handlers={HTTPException: http_error},
    )
    # A path is matched as written: `/rest` is not redirected to `/rest/` (each surface answers
    # its own not-found instead).
    app.router.redirect_slashes = False
    app.state.sim = sim
    return app
