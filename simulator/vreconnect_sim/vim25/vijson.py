"""The VI/JSON request pipeline shared by the vim25 and sms surfaces.

:func:`endpoint` wraps an operation handler with what every VI/JSON call does first:

1. reject an unknown ``{release}`` (HTTP 500 + InvalidRequest, see :mod:`.faults`);
2. apply ``where: call`` fault rules (``ctx.call_faults``);
3. run the handler; a :class:`~.faults.VimFault` it raises becomes HTTP 500 + the fault body.

(Responses are checked against the OpenAPI documents by the shared middleware in
``validate_responses`` mode, see :mod:`vreconnect_sim.validation`.)

Helpers: :func:`caller` (the called object and the caller's session),
:func:`require_session` (NotAuthenticated), :func:`require_privilege`
(NoPermission), :func:`parse_body` (InvalidRequest for unparsable JSON, InvalidArgument with
``invalidProperty`` for a body the operation's generated request model rejects) and
:func:`require_no_parameters` (a method without parameters: no body, or ``{}``; anything else
is an InvalidRequest).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..auth import Session, User
from ..jsonbody import NotJson, is_blank, may_have_body, parse_json
from ..registry import SimError, SurfaceContext
from ..scenario import format_loc
from .faults import (
    VimFault,
    fault_response,
    invalid_argument,
    invalid_request,
    moref,
    no_permission,
    not_authenticated,
    unknown_release_response,
)

__all__ = [
    "SESSION_HEADER",
    "Caller",
    "Dispatcher",
    "Handler",
    "caller",
    "encode_json",
    "endpoint",
    "parse_body",
    "require_no_parameters",
    "require_privilege",
    "require_session",
    "vim_user_name",
]

SESSION_HEADER = "vmware-api-session-id"
Handler = Callable[[Request], Awaitable[Response]]
_M = TypeVar("_M", bound=BaseModel)


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode_json(body: object) -> bytes:
    """Compact JSON bytes, exactly as Starlette's JSONResponse renders them."""
    return _ENCODER.encode(body).encode("utf-8")


def endpoint(
    ctx: SurfaceContext, operation: str, handler: Handler, *, object_param: str = "moId"
) -> Handler:
    """Wrap ``handler`` with the VI/JSON pipeline (see the module docstring)."""

    async def wrapped(request: Request) -> Response:
        release = request.path_params.get("release")
        releases = ctx.settings.releases
        if release not in releases:
            return unknown_release_response(str(release), list(releases))
        if len(ctx.injector):  # no rules (the common case): skip the coroutine entirely
            injected = await ctx.call_faults(
                request, operation, request.path_params.get(object_param)
            )
            if injected is not None:
                return injected
        try:
            return await handler(request)
        except VimFault as raised:
            return fault_response(raised.body)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


class Dispatcher:
    """A minimal ASGI router for VI/JSON paths ``/{MoType}/{moId}/{Method-or-property}``.

    One dict lookup per request instead of trying each route's regex in turn (the simulator
    must sustain thousands of requests per second). Mounted by the app under the surface's
    mount; an unknown path or a wrong HTTP method raises :class:`SimError` (``not_found`` /
    ``method_not_allowed``), which the middleware renders with the surface's renderer.
    """

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], dict[str, Handler]] = {}

    def add(self, http_method: str, mo_type: str, method: str, handler: Handler) -> None:
        """Route ``http_method /{mo_type}/{moId}/{method}`` to ``handler``."""
        self._routes.setdefault((mo_type, method), {})[http_method.upper()] = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one HTTP request (the path below the mount is split, never regex-matched)."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        rest = path[len(root) :] if root and path.startswith(root) else path
        parts = rest.split("/")
        if len(parts) == 4 and not parts[0] and parts[2]:
            handlers = self._routes.get((parts[1], parts[3]))
            if handlers is not None:
                handler = handlers.get(scope["method"])
                if handler is None:
                    raise SimError(
                        "method_not_allowed",
                        f"method {scope['method']} not allowed on {path}",
                        405,
                    )
                scope["path_params"] = {**scope.get("path_params", {}), "moId": parts[2]}
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        raise SimError("not_found", f"no such resource: {scope['method']} {path}", 404)


def require_session(
    ctx: SurfaceContext, request: Request, obj: dict[str, str] | None = None
) -> Session:
    """The caller's live session, or raise NotAuthenticated (no/unknown/expired token)."""
    session = ctx.sessions.lookup(request.headers.get(SESSION_HEADER))
    if session is None:
        raise VimFault(not_authenticated(obj))
    return session


class Caller(NamedTuple):
    """A call on a managed object: its moId (from the path), its MoRef and the live session."""

    moid: str
    obj: dict[str, str]
    session: Session


def caller(ctx: SurfaceContext, request: Request, mo_type: str) -> Caller:
    """The object ``/{mo_type}/{moId}/...`` names and the caller's live session
    (NotAuthenticated, naming the object, without one)."""
    moid: str = request.path_params["moId"]
    obj = moref(mo_type, moid)
    return Caller(moid, obj, require_session(ctx, request, obj))


def require_privilege(session: Session, privilege: str, obj: dict[str, str]) -> None:
    """Raise NoPermission (with ``privilegeId``) unless the session's user holds ``privilege``."""
    if not session.user.has(privilege):
        raise VimFault(no_permission(obj, privilege))


async def parse_body(request: Request, model: type[_M]) -> _M:
    """Parse and validate the JSON body with the operation's generated request model.

    Strict JSON validation: a string where the spec wants an integer or boolean is an
    InvalidArgument, as a real VI/JSON deserializer would refuse it. A body that is empty,
    not JSON, or not a JSON object is an InvalidRequest. Error texts name the property but
    never echo the submitted values (they may hold passwords).
    """
    raw = await request.body()
    if is_blank(raw):
        raise VimFault(invalid_request("The request body is empty; this method takes parameters."))
    return _validated(raw, model)


async def require_no_parameters(request: Request) -> None:
    """For a method that takes no parameters (no request body in the spec): a body, if sent,
    must be an empty JSON object.

    Anything else (not JSON, not an object, an object with members) is an InvalidRequest --
    the fault every operation's fault union lists -- answered before the method does anything.
    """
    if not may_have_body(request.scope):
        return  # the common case (no Content-Length, no chunked body): nothing to read
    raw = await request.body()
    if is_blank(raw):
        return
    try:
        parsed = parse_json(raw)
    except NotJson:  # not UTF-8, not JSON, a huge integer, nested too deep
        raise VimFault(invalid_request("The request body is not valid JSON.")) from None
    if not isinstance(parsed, dict):
        raise VimFault(
            invalid_request("The request body must be a JSON object; this method takes none.")
        )
    if parsed:
        name = next(iter(parsed))
        raise VimFault(
            invalid_request(f"The method takes no parameters; the request names '{name[:80]}'.")
        )


def _validated(raw: bytes, model: type[_M]) -> _M:
    """``raw`` validated by ``model`` (strict JSON), or the VimFault a VI/JSON server answers."""
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = errors[0]
        if first["type"] == "json_invalid":
            raise VimFault(
                invalid_request(f"The request body is not valid JSON: {first['msg']}")
            ) from None
        if not first["loc"] and first["type"] in ("model_type", "model_attributes_type"):
            raise VimFault(
                invalid_request(
                    "The request body must be a JSON object of the method's parameters."
                )
            ) from None
        prop = format_loc(tuple(first["loc"])) or None
        if first["type"] == "extra_forbidden":
            detail = f"The method has no parameter '{prop}'."
        else:
            detail = str(first["msg"])
        raise VimFault(invalid_argument(prop, detail)) from None


def vim_user_name(user: User) -> str:
    """``administrator@vsphere.local`` -> ``VSPHERE.LOCAL\\administrator`` (vCenter's spelling)."""
    name, sep, domain = user.name.partition("@")
    return f"{domain.upper()}\\{name}" if sep else name
