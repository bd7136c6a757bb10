"""Handlers of the ``/_sim`` control API (see the package docstring and ``specs/control.yaml``)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..injection import FaultRule
from ..jsonbody import NotJson, is_blank, parse_json
from ..rulecheck import rule_problem
from ..scenario import MAX_FLEET_SIZE, Scenario, ScenarioError
from ..state import SimulatorState
from ..tasks import SimTask, TaskSettings
from .models import (
    ErrorBody,
    FaultRuleList,
    Health,
    ObjectList,
    ObjectSummary,
    ResetResult,
    ScenarioLoaded,
    SessionsInvalidated,
    SpecViolationList,
    SpecViolationView,
    TaskList,
    TaskView,
)

__all__ = ["ControlError", "routes"]

MAX_PAGE = 10_000
_M = TypeVar("_M", bound=BaseModel)


class ControlError(Exception):
    """An error answered as ``{"error", "message", "detail"?}`` with ``status``."""

    def __init__(self, status: int, error: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.detail = detail

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        body = ErrorBody(error=self.error, message=self.message, detail=self.detail)
        return _AsciiJSONResponse(body.model_dump(exclude_none=True), status_code=self.status)


class _AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: error messages echo request text, which may hold lone
    surrogates (``"\\udb6b"`` in a JSON key) that cannot be encoded as UTF-8."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def _json(model: BaseModel, status: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status)


async def _json_body(request: Request) -> Any:
    """The JSON body; 400 if it is absent or not JSON (``NaN``, ``Infinity`` and numbers a
    double cannot hold, like ``1e400``, included: answers echo bodies back as JSON)."""
    raw = await request.body()
    if is_blank(raw):
        raise ControlError(400, "bad_request", "request body is empty")
    try:
        return parse_json(raw, finite=True)
    except NotJson as exc:
        raise ControlError(400, "bad_request", f"body is not valid JSON: {exc}") from None


def _validate(model: type[_M], data: Any) -> _M:
    try:
        # Strict: a JSON API must not coerce `"drop": "yes"` or `"count": "3"` into what the
        # document's types say (specs/control.yaml types every field).
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        detail = [
            {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        first = detail[0]
        message = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
        raise ControlError(422, "validation_error", message, detail) from exc


def _int_query(
    request: Request,
    name: str,
    default: int | None,
    lo: int,
    hi: int,
    *,
    limit: str | None = None,
) -> int | None:
    """An integer query parameter within ``lo..hi`` (``limit`` says what ``hi`` is)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ControlError(
            400, "bad_request", f"query parameter {name} must be an integer"
        ) from None
    if not lo <= value <= hi:
        why = f" ({hi} is {limit})" if limit else ""
        raise ControlError(
            400, "bad_request", f"query parameter {name} must be in {lo}..{hi}{why}, got {value}"
        )
    return value


def _is_null_document(text: str) -> bool:
    """True if ``text`` is YAML (or JSON) whose whole content is null."""
    try:
        return yaml.safe_load(text) is None
    except (yaml.YAMLError, RecursionError):
        return False  # Scenario.from_yaml reports the error (with its position)


def _str_query(request: Request, name: str) -> str | None:
    """A string query parameter; specs/control.yaml gives every one ``minLength: 1``."""
    raw = request.query_params.get(name)
    if raw is not None and not raw:
        raise ControlError(400, "bad_request", f"query parameter {name} must not be empty")
    return raw


def _task_view(t: SimTask) -> TaskView:
    result, error = t.result, t.error
    # Results/errors are surface objects; show them only if JSON-able.
    try:
        json.dumps([result, error])
    except (TypeError, ValueError):
        result, error = repr(result), repr(error)
    return TaskView(
        id=t.id,
        surface=t.surface,
        operation=t.operation,
        target=t.target,
        state=t.state,
        progress=t.progress,
        cancelable=t.cancelable,
        cancelled=t.cancelled,
        queue_time=t.queue_time,
        start_time=t.start_time,
        complete_time=t.complete_time,
        user=t.user,
        description=t.description,
        result=result,
        error=error,
    )


def routes(sim: SimulatorState) -> list[BaseRoute]:
    """The control API's routes for one simulator (mounted at ``/_sim`` by ``create_app``)."""

    def handler(fn: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                response: Response = await fn(request)
                return response
            except ControlError as err:
                return err.response()

        wrapped.__name__ = fn.__name__
        wrapped.__doc__ = fn.__doc__
        return wrapped

    async def health(request: Request) -> Response:
        """Liveness and counts."""
        with sim.lock:
            body = Health(
                surfaces={s.name: s.mount for s in sim.surfaces.values()},
                scenario=sim.scenario.source,
                generation=sim.generation,
                fleet_size=sim.fleet_size,
                tasks=len(sim.tasks),
                sessions={name: len(store) for name, store in sim.sessions.items()},
                fault_rules=len(sim.injector),
            )
        return _json(body)

    async def reset(request: Request) -> Response:
        """Back to the loaded scenario (rebuilt in a worker thread: see post_scenario)."""
        await run_in_threadpool(sim.reset)
        with sim.lock:
            return _json(ResetResult(generation=sim.generation))

    async def get_scenario(request: Request) -> Response:
        """The loaded scenario, passwords masked."""
        with sim.lock:
            return JSONResponse(sim.scenario.to_dict())

    async def post_scenario(request: Request) -> Response:
        """Load a scenario from a YAML or JSON body, sized by ``?hosts=N`` if given.

        Without ``?hosts`` the scenario's own size applies (``settings.hosts``, else its own
        objects): an earlier load's ``?hosts`` does not stick. Parsing and building run in a
        worker thread, so a large fleet does not stall the other requests; the new state is
        swapped in at once when it is complete (``SimulatorState.load``).
        """
        raw = await request.body()
        if is_blank(raw):
            # specs/control.yaml: the request body is required.
            raise ControlError(400, "invalid_scenario", "scenario body is empty")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ControlError(400, "invalid_scenario", "scenario body is not UTF-8") from None
        name = _str_query(request, "name") or "scenario"
        hosts = _int_query(request, "hosts", None, 0, MAX_FLEET_SIZE, limit="the fleet limit")
        if await run_in_threadpool(_is_null_document, text):
            # A bare `null` parses to nothing; the document's body is an object (JSON) or a
            # YAML mapping, never null.
            raise ControlError(400, "invalid_scenario", f"{name}: the top level must be a mapping")

        def load() -> Scenario:
            scenario = Scenario.from_yaml(text, source=name)
            sim.load(scenario, hosts)
            return scenario

        try:
            scenario = await run_in_threadpool(load)
        except ScenarioError as err:
            detail = [{"path": p, "message": m} for p, m in err.problems]
            raise ControlError(400, "invalid_scenario", str(err), detail) from err
        with sim.lock:
            return _json(
                ScenarioLoaded(
                    scenario=scenario.source,
                    generation=sim.generation,
                    surfaces=list(sim.surfaces),
                )
            )

    async def list_violations(request: Request) -> Response:
        """Responses that failed validation."""
        with sim.lock:
            items = [SpecViolationView.model_validate(v.as_dict()) for v in sim.spec_violations]
            enabled = sim.validate_responses
        return _json(SpecViolationList(enabled=enabled, total=len(items), items=items))

    async def clear_violations(request: Request) -> Response:
        """Forget the recorded violations."""
        with sim.lock:
            sim.spec_violations.clear()
        return Response(status_code=204)

    async def invalidate_sessions(request: Request) -> Response:
        """Log sessions out: every login domain, or the one ``surface`` logs into."""
        surface = _str_query(request, "surface")
        with sim.lock:
            if surface is None:
                stores = list(sim.sessions)
            elif surface in sim.surfaces:
                stores = [sim.surfaces[surface].store_name]
            else:
                raise ControlError(404, "not_found", f"no surface {surface!r}")
            counts = {name: sim.session_store(name).invalidate_all() for name in stores}
        return _json(SessionsInvalidated(invalidated=sum(counts.values()), stores=counts))

    def _hooks(surface: str) -> Any:
        spec = sim.surfaces.get(surface)
        if spec is None:
            raise ControlError(404, "not_found", f"no surface {surface!r}")
        if spec.objects is None:
            raise ControlError(404, "not_found", f"surface {surface!r} exposes no objects")
        return spec.objects

    async def list_objects(request: Request) -> Response:
        """Object summaries across surfaces."""
        surface = _str_query(request, "surface")
        kind = _str_query(request, "type")
        limit = _int_query(request, "limit", 1000, 0, MAX_PAGE) or 0
        offset = _int_query(request, "offset", 0, 0, 10**9) or 0
        if surface is not None and surface not in sim.surfaces:
            raise ControlError(404, "not_found", f"no surface {surface!r}")
        items: list[ObjectSummary] = []
        total = 0
        with sim.lock:
            for spec in sim.surfaces.values():
                if spec.objects is None or (surface is not None and spec.name != surface):
                    continue
                for entry in spec.objects.list(sim.surface_states.get(spec.name)):
                    if kind is not None and entry.get("type") != kind:
                        continue
                    if offset <= total < offset + limit:
                        items.append(ObjectSummary.model_validate({**entry, "surface": spec.name}))
                    total += 1
        return _json(ObjectList(total=total, items=items))

    async def get_object(request: Request) -> Response:
        """One object's state."""
        surface, oid = request.path_params["surface"], request.path_params["object_id"]
        hooks = _hooks(surface)
        with sim.lock:
            state = hooks.get(sim.surface_states.get(surface), oid)
        if state is None:
            raise ControlError(404, "not_found", f"no object {oid!r} in {surface}")
        return JSONResponse(state)

    async def patch_object(request: Request) -> Response:
        """Merge changes into one object's state."""
        surface, oid = request.path_params["surface"], request.path_params["object_id"]
        hooks = _hooks(surface)
        changes = await _json_body(request)
        if not isinstance(changes, dict):
            raise ControlError(422, "validation_error", "the body must be a JSON object")
        if hooks.patch is None:
            raise ControlError(409, "read_only", f"objects of {surface} cannot be changed")
        with sim.lock:
            data = sim.surface_states.get(surface)
            if hooks.get(data, oid) is None:
                raise ControlError(404, "not_found", f"no object {oid!r} in {surface}")
            try:
                state = hooks.patch(data, oid, changes)
            except KeyError:
                raise ControlError(404, "not_found", f"no object {oid!r} in {surface}") from None
            except ValueError as exc:
                raise ControlError(422, "validation_error", str(exc)) from exc
        return JSONResponse(state)

    async def get_task_settings(request: Request) -> Response:
        """Current task timing/retention."""
        return _json(sim.tasks.settings)

    async def put_task_settings(request: Request) -> Response:
        """Replace task timing/retention until the next reset."""
        settings = _validate(TaskSettings, await _json_body(request))
        with sim.lock:
            sim.settings = sim.settings.model_copy(update={"tasks": settings})
            sim.tasks.settings = settings
        return _json(settings)

    async def list_tasks(request: Request) -> Response:
        """Retained tasks."""
        surface = _str_query(request, "surface")
        limit = _int_query(request, "limit", 1000, 0, MAX_PAGE) or 0
        tasks = sim.tasks.list(surface)
        return _json(
            TaskList(total=len(tasks), items=[_task_view(t) for t in tasks[-limit:] if limit])
        )

    async def list_faults(request: Request) -> Response:
        """Fault rules with counters."""
        return _json(FaultRuleList(rules=sim.injector.list()))

    async def add_fault(request: Request) -> Response:
        """Add a fault rule."""
        rule = _validate(FaultRule, await _json_body(request))
        problem = rule_problem(rule, sim.surfaces.values())
        if problem is not None:
            raise ControlError(422, "validation_error", problem)
        try:
            status = sim.injector.add(rule)
        except ValueError as exc:
            raise ControlError(409, "conflict", str(exc)) from exc
        return _json(status, 201)

    async def clear_faults(request: Request) -> Response:
        """Remove every rule."""
        sim.injector.clear()
        return Response(status_code=204)

    async def delete_fault(request: Request) -> Response:
        """Remove one rule."""
        rule_id = request.path_params["rule_id"]
        if not sim.injector.remove(rule_id):
            raise ControlError(404, "not_found", f"no fault rule {rule_id!r}")
        return Response(status_code=204)

    def route(path: str, **by_method: Any) -> Route:
        # One route per path, so that starlette's 405 lists every method of the path in
        # `Allow` (with one route per method it names only the first route's methods).
        endpoints = {method: handler(fn) for method, fn in by_method.items()}

        async def dispatch(request: Request) -> Response:
            # starlette adds HEAD to a GET route; HEAD is answered like GET.
            method = "GET" if request.method == "HEAD" else request.method
            response: Response = await endpoints[method](request)
            return response

        return Route(path, dispatch, methods=list(endpoints), name=path)

    return [
        route("/health", GET=health),
        route("/reset", POST=reset),
        route("/scenario", GET=get_scenario, POST=post_scenario),
        route("/violations", GET=list_violations, DELETE=clear_violations),
        route("/sessions", DELETE=invalidate_sessions),
        route("/objects", GET=list_objects),
        route("/objects/{surface}/{object_id:path}", GET=get_object, PATCH=patch_object),
        route("/settings/tasks", GET=get_task_settings, PUT=put_task_settings),
        route("/tasks", GET=list_tasks),
        route("/faults", GET=list_faults, POST=add_fault, DELETE=clear_faults),
        route("/faults/{rule_id}", DELETE=delete_fault),
    ]
