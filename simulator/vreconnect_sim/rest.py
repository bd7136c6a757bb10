"""Request plumbing shared by the REST surfaces (``vcenter`` at ``/rest``, ``vr``).

* :func:`json_response` -- compact JSON (``body=None``: no body at all);
* :class:`RestError` -- base of a surface's call errors; :func:`endpoint` answers one with its
  ``response()`` after applying ``where: call`` fault rules;
* :func:`basic_credentials`, :func:`basic_login`, :func:`session_of` -- HTTP Basic login into
  the surface's session store and the session lookup by header;
* :func:`refuse_unreadable_body` -- an operation that takes no body ignores any JSON sent to it,
  blank or ``{}`` included, and refuses anything else as the surface's 400 (every REST
  surface the same way: :func:`vreconnect_sim.jsonbody.ignored_body_problem`);
* :class:`DocumentedOperations` -- what the surface's OpenAPI document says about its paths,
  read from the same parsed document that response validation uses
  (:mod:`vreconnect_sim.validation`): which methods a 405's ``Allow`` header names.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .jsonbody import ignored_body_problem, may_have_body

if TYPE_CHECKING:
    from .auth import Session
    from .registry import SurfaceContext
    from .validation import OpenApiDocument

__all__ = [
    "DocumentedOperations",
    "Handler",
    "ObjectId",
    "RestError",
    "basic_credentials",
    "basic_login",
    "endpoint",
    "json_response",
    "path_param",
    "refuse_unreadable_body",
    "session_of",
]

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
ObjectId = Callable[[Request], str | None]
"""Gives the object id a fault rule's ``object`` is matched against, from the request."""


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response (``body=None``: none at all)."""
    if body is None:
        return Response(status_code=status, headers=headers)
    return Response(
        json.dumps(body, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class RestError(Exception):
    """Raised by a handler: :func:`endpoint` answers the call with :meth:`response`."""

    def response(self) -> Response:
        """The HTTP response for this error."""
        raise NotImplementedError


def path_param(name: str) -> ObjectId:
    """An :data:`ObjectId` reading the path parameter ``name``."""

    def read(request: Request) -> str | None:
        value: str | None = request.path_params.get(name)
        return value

    return read


def endpoint(
    ctx: SurfaceContext, operation_id: str, fn: Handler, object_id: ObjectId | None = None
) -> Handler:
    """Fault injection first (``operation_id``, ``object_id(request)``), then ``fn``; a
    :class:`RestError` it raises becomes its response."""

    async def run(request: Request) -> Response:
        target = object_id(request) if object_id is not None else None
        injected = await ctx.call_faults(request, operation_id, target)
        if injected is not None:
            return injected
        try:
            return await fn(request)
        except RestError as err:
            return err.response()

    run.__name__ = operation_id
    return run


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic`` header, or None if absent/garbled."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def basic_login(
    ctx: SurfaceContext, request: Request, unauthenticated: Callable[[str], Exception]
) -> Session:
    """A new session for the HTTP Basic credentials of ``request``.

    Raises ``unauthenticated(text)`` without usable credentials or when they are wrong (the
    text never says which part was wrong).
    """
    credentials = basic_credentials(request)
    if credentials is None:
        raise unauthenticated("Authentication required: use HTTP Basic authentication.")
    user = ctx.users.authenticate(*credentials)
    if user is None:
        raise unauthenticated("Authentication failed: invalid user name or password.")
    with ctx.lock:
        return ctx.sessions.create(user)


async def refuse_unreadable_body(request: Request, bad_request: Callable[[str], Exception]) -> None:
    """For an operation whose document declares no request body: raise ``bad_request(text)``
    if a body was sent that is not JSON. A blank body and any JSON value (``{}``...) pass, and
    are ignored, as the REST surfaces ignore what they do not know."""
    if not may_have_body(request.scope):
        return  # the common case: nothing to read
    problem = ignored_body_problem(await request.body())
    if problem is not None:
        raise bad_request(problem)


def session_of(
    ctx: SurfaceContext,
    request: Request,
    header: str,
    unauthenticated: Callable[[str], Exception],
) -> Session:
    """The live session named by the ``header`` of ``request``.

    Raises ``unauthenticated(text)`` when the header is missing or names no live session.
    """
    token = request.headers.get(header)
    if not token:
        raise unauthenticated(f"This method requires authentication: no {header}.")
    session = ctx.sessions.lookup(token)
    if session is None:
        raise unauthenticated("The session is unknown or has expired.")
    return session


class DocumentedOperations:
    """The operations a surface's OpenAPI document describes below ``mount``.

    ``surface`` names the document (``specs/<surface>.yaml``, found as
    :func:`vreconnect_sim.validation.document_path` finds it); it is loaded on first use and
    shared with response validation. Without a document a 405 names no methods.
    """

    def __init__(self, surface: str, mount: str) -> None:
        self.surface = surface
        self.mount = mount.rstrip("/")
        self._document: OpenApiDocument | None = None
        self._loaded = False
        self._lock = threading.Lock()

    def document(self) -> OpenApiDocument | None:
        """The parsed document (None if it cannot be found or read)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._document = self._load()
                    self._loaded = True
        return self._document

    def _load(self) -> OpenApiDocument | None:
        from .validation import document_path, load_document

        path = document_path(self.surface)
        if path is None:
            log.warning("no OpenAPI document for surface %r", self.surface)
            return None
        try:
            return load_document(path)
        except Exception:  # error rendering must not fail because of a broken document
            log.exception("cannot load the OpenAPI document of %r", self.surface)
            return None

    def _subpath(self, path: str) -> str:
        return (path[len(self.mount) :] or "/") if path.startswith(self.mount) else path

    def allowed_methods(self, path: str) -> list[str]:
        """The methods documented on ``path`` (full path), for the ``Allow`` header of a 405."""
        document = self.document()
        return document.methods_at(self._subpath(path)) if document is not None else []
