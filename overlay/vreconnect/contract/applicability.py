"""Which check applied to which response, and which checks can never apply to a document.

schemathesis counts a check that returned without raising as passed, also when the check
found nothing to look at (``negative_data_rejection`` on a positive case, ``use_after_free``
with no DELETE before it): a check that never applied once would look like one that passed
every time. The suite's own checks say "not applicable" by returning True, which schemathesis
does not count at all; for schemathesis' built-in checks, :func:`check_applied` restates the
condition under which each one looks at a response (schemathesis 4.x,
``schemathesis/specs/openapi/checks.py``), so the report can tell "passed" from "n/a".

:func:`inapplicable_checks` says, from a document and the run's configuration, which checks
cannot apply to it at all, and why; every other check must apply at least once in a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario, coverage_scenario

if TYPE_CHECKING:
    from schemathesis.generation.case import Case

    from .surfaces import Surface

__all__ = ["check_applied", "inapplicable_checks"]

_REQUEST_SHAPE_PROBES = frozenset(
    {
        CoverageScenario.UNSPECIFIED_HTTP_METHOD,
        CoverageScenario.MALFORMED_CONTENT_TYPE,
        CoverageScenario.UNSUPPORTED_CONTENT_TYPE,
    }
)
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _probe(case: Case[Any]) -> bool:
    # schemathesis skips its conformance checks for the coverage phase's request-shape probes.
    return coverage_scenario(case) in _REQUEST_SHAPE_PROBES


def _definition(case: Case[Any], status: int) -> Any:
    return case.operation.responses.find_by_status_code(status)


def _mode_is(case: Case[Any], positive: bool) -> bool:
    meta = case.meta
    if meta is None:
        return False
    mode = meta.generation.mode
    return bool(mode.is_positive if positive else mode.is_negative)


def check_applied(
    name: str,
    case: Case[Any],
    status: int,
    request_method: str,
    response_headers: Mapping[str, Any],
    chain: list[tuple[Case[Any], int | None]],
) -> bool:
    """Whether built-in check ``name`` looked at this response (True for any other check).

    ``chain``: the stateful scenario's earlier steps this case descends from, nearest first,
    each with its response status (empty outside the stateful phase).
    """
    if name == "status_code_conformance":
        return not _probe(case) and "default" not in case.operation.responses.status_codes
    if name == "content_type_conformance":
        definition = _definition(case, status)
        return not _probe(case) and definition is not None and bool(_content(definition))
    if name == "response_headers_conformance":
        definition = _definition(case, status)
        return not _probe(case) and definition is not None and bool(definition.headers)
    if name == "response_schema_conformance":
        definition = _definition(case, status)
        return definition is not None and bool(_content(definition))
    if name == "positive_data_acceptance":
        return not _probe(case) and _mode_is(case, positive=True)
    if name == "negative_data_rejection":
        return _mode_is(case, positive=False)
    if name == "missing_required_header":
        meta = case.meta
        data = meta.phase.data if meta is not None else None
        return (
            isinstance(data, CoveragePhaseData)
            and not _probe(case)
            and data.scenario == CoverageScenario.MISSING_PARAMETER
            and data.parameter_location is not None
            and data.parameter_location.value == "header"
        )
    if name == "unsupported_method":
        return (
            coverage_scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD
            and request_method != "OPTIONS"
        )
    if name == "allow_header_conformance":
        return request_method == "OPTIONS" and bool(_get(response_headers, "allow"))
    if name == "ignored_auth":
        default = case.operation.schema.raw_schema.get("security") or []
        declares = bool(case.operation.definition.raw.get("security", default))
        return not _probe(case) and declares and 200 <= status < 300
    if name == "use_after_free":
        return (
            not _probe(case)
            and 200 <= status < 400
            and case.method.lower() != "delete"
            and any(
                step.method.lower() == "delete"
                and step.path_parameters
                and answer is not None
                and 200 <= answer < 300
                for step, answer in chain
            )
        )
    if name == "ensure_resource_availability":
        if _probe(case) or status != 404 or not chain:
            return False
        parent, answer = chain[0]
        return (
            parent.method.upper() == "POST"
            and answer is not None
            and 200 <= answer < 400
            and case.path.startswith(parent.path.rstrip("/") + "/")
        )
    if name == "object_level_authorization":
        return (
            case.method.upper() == "GET"
            and 200 <= status < 300
            and getattr(case, "auth_identity", None) is not None
        )
    return True


def _content(definition: Any) -> Any:
    raw = getattr(definition, "definition", None)
    if isinstance(raw, Mapping):
        return raw.get("content")
    return getattr(definition, "content", None)


def _resolve(spec: Mapping[str, Any], item: Any) -> Mapping[str, Any]:
    """``item``, or what its local ``$ref`` points to."""
    while isinstance(item, Mapping) and isinstance(item.get("$ref"), str):
        target: Any = spec
        for token in item["$ref"].removeprefix("#/").split("/"):
            target = target.get(token) if isinstance(target, Mapping) else None
        item = target
    return item if isinstance(item, Mapping) else {}


def _get(headers: Mapping[str, Any], name: str) -> Any:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def inapplicable_checks(
    surface: Surface,
    spec: Mapping[str, Any],
    checks_config: Mapping[str, Any],
    *,
    operations: set[str],
    readonly: bool,
    privileged: bool,
    operation_checks: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """check -> why it cannot apply to ``spec`` as run (only for checks that cannot).

    ``checks_config``: the surface's schemathesis ``checks`` settings (a disabled check cannot
    apply); ``operations``: the operationIds run; ``readonly``: a read-only user was given;
    ``privileged``: an operation run requires a privilege beyond reading;
    ``operation_checks``: operationId -> its own ``checks`` settings (``[[operations]]``).
    """
    per_operation = operation_checks or {}

    def disabled_for(op_id: str, check: str) -> bool:
        settings = (per_operation.get(op_id) or {}).get(check)
        return isinstance(settings, Mapping) and settings.get("enabled") is False

    ops = [
        (str(op.get("operationId")), method, path, op)
        for path, item in (spec.get("paths") or {}).items()
        for method, op in item.items()
        if method in _METHODS and str(op.get("operationId")) in operations
    ]
    reasons: dict[str, str] = {}
    for name, settings in checks_config.items():
        if isinstance(settings, Mapping) and settings.get("enabled") is False:
            reasons[name] = "disabled for this document (surfaces.py says why)"
    default_security = spec.get("security") or []
    secured = [op_id for op_id, _, _, op in ops if op.get("security", default_security)]
    if not secured and not any(
        _resolve(spec, parameter).get("in") == "header"
        and _resolve(spec, parameter).get("required")
        for _, _, path, op in ops
        for parameter in [
            *(spec["paths"][path].get("parameters") or []),
            *(op.get("parameters") or []),
        ]
    ):
        # The coverage phase leaves out a required header (a security scheme's included).
        reasons["missing_required_header"] = "no operation requires a header"
    if not secured:
        reasons.setdefault("ignored_auth", "no operation declares security")
        reasons["session_required"] = "no operation declares security"
        reasons["privilege_required"] = "no operation declares security"
    if surface.unauthenticated is None or surface.unauthenticated.fault is None:
        reasons.setdefault("session_required", "REST surface: ignored_auth covers sessions")
    if surface.undeclared_method is None:
        reasons.setdefault(
            "undeclared_method_refused", "the surface answers undeclared methods with 405"
        )
    if not surface.task_reads or not set(surface.task_reads) & operations:
        reasons.setdefault("task_completes", "no operation run starts a task")
    if not readonly:
        reasons.setdefault("privilege_required", "needs --readonly-user")
    if not any(
        (response or {}).get("headers")
        for _, _, _, op in ops
        for response in (op.get("responses") or {}).values()
        if isinstance(response, Mapping)
    ):
        reasons["response_headers_conformance"] = "no response declares headers"
    deletes = [path for _, method, path, _ in ops if method == "delete" and "{" in path]
    if not deletes:
        # use_after_free looks for a successful DELETE of a resource named by path parameters
        # earlier in the same stateful scenario.
        reasons["use_after_free"] = "no DELETE operation names a resource by path parameters"
    by_id = {op_id: (method, path) for op_id, method, path, _ in ops}
    extending = [
        target
        for op_id, method, path, op in ops
        if method == "post"
        for response in (op.get("responses") or {}).values()
        for link in ((response or {}).get("links") or {}).values()
        if (target := by_id.get(str(link.get("operationId")))) is not None
        and target[1].startswith(path.rstrip("/") + "/")
        and not disabled_for(str(link.get("operationId")), "ensure_resource_availability")
    ]
    if not extending:
        # ensure_resource_availability looks at a 404 from a link target below the path of
        # the POST that created the resource.
        reasons["ensure_resource_availability"] = (
            "no link goes from a POST to an operation below the POST's path (where enabled)"
        )
    # schemathesis' BOLA check replays one identity's reads as another of its own configured
    # identities ([auth] peers); the suite logs in through its own auth provider, and vSphere
    # objects have no owner (permissions are roles on the inventory): privilege_required is the
    # suite's authorization check instead.
    reasons["object_level_authorization"] = (
        "needs schemathesis-configured peer identities; vSphere objects have no owner"
    )
    if surface.undeclared_method is not None:
        # allow_header_conformance reads the Allow header of an OPTIONS answer; VI/JSON answers
        # a method it does not serve with the InvalidRequest fault (protocols.md), no Allow.
        reasons.setdefault("allow_header_conformance", "VI/JSON answers OPTIONS with a fault")
    if not privileged:
        reasons.setdefault("privilege_required", "no operation run requires a privilege")
    return reasons
