"""Whether a fault rule can do what it asks, checked when it is added (``POST /_sim/faults``).

A rule that could never fire, or would answer out of contract, is refused (422) with a sentence
saying why, instead of being accepted and silently doing nothing:

* its ``surface`` pattern must match a registered surface, and its ``operation`` pattern an
  operationId of one of them (for every kind of rule: fault, status, latency, drop).
  ``"vim"`` or ``"ReconectHost_Task"`` are refused; patterns (``"*"``, ``"Reconnect*"``) work.
  A surface is *targeted* when both match (a rule for ``ReconnectHost_Task`` does not target
  vcenter); a surface without a document has unknown operations and is targeted by any;
* a ``where: task`` rule's operation must be one that starts a task
  (``SurfaceSpec.task_operations``): ``vr`` ``login`` never does;
* its ``fault`` must be one every targeted surface knows (``SurfaceSpec.knows_fault``: the
  faults of a VI/JSON document, a vAPI standard error, a VR status): ``NoSuchFaultName`` is
  refused rather than turned into some generic error;
* a ``where: call`` fault, rendered with the surface's own ``render_error`` (``fault_fields``
  included), must be an answer each targeted operation documents, checked as response
  validation would: ``"500"`` on VR's login, which documents only 200 and 401, is refused, as is
  an ``SSLVerifyFault`` whose ``thumbprint`` is not a string;
* a ``where: task`` fault, rendered with the surface's ``render_task_fault`` as the task would,
  must match the document's schema of a task error (``SurfaceSpec.task_error_schema``) and,
  for a VI/JSON fault, the schema its ``_typeName`` names: ``fault_fields`` of the wrong type
  are refused, naming the field.

``status`` rules' answers are not checked: they are out of contract on purpose
(:data:`~vreconnect_sim.registry.INJECTED_STATUS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .injection import FaultRule, matches
from .registry import SimError, SurfaceSpec
from .tasks import SimTask
from .validation import OpenApiDocument, surface_document

__all__ = ["rule_problem"]

log = logging.getLogger(__name__)

_MAX_NAMES = 12  # operationIds listed in a refusal


@dataclass(frozen=True, slots=True)
class _Target:
    """A surface a rule targets, its document and the operations of it the rule matches."""

    spec: SurfaceSpec
    document: OpenApiDocument | None
    # (METHOD, template, operation) the rule's operation pattern matches; None: no document.
    operations: list[tuple[str, str, Mapping[str, Any]]] | None


def rule_problem(rule: FaultRule, surfaces: Iterable[SurfaceSpec]) -> str | None:
    """Why ``rule`` cannot work on ``surfaces`` as asked (one sentence), or None if it can."""
    surfaces = list(surfaces)
    named = [spec for spec in surfaces if matches(rule.surface, spec.name)]
    if not named:
        known = ", ".join(spec.name for spec in surfaces) or "none"
        return (
            f"surface pattern {rule.surface!r} matches no surface of this simulator "
            f"(surfaces: {known})"
        )
    targets: list[_Target] = []
    for spec in named:
        document = _document(spec)
        operations = _operations(document, rule.operation) if document is not None else None
        if operations != []:
            targets.append(_Target(spec, document, operations))
    if not targets:
        which, names = _listing(named, lambda spec: _operation_ids(_document(spec)))
        return (
            f"operation pattern {rule.operation!r} matches no operationId of the {which} "
            f"(operationIds: {names})"
        )
    if rule.where == "task":
        targets = [t for t in targets if _starts_tasks(t.spec, rule.operation)]
        if not targets:
            which, names = _listing(named, lambda spec: sorted(spec.task_operations or ()))
            return (
                f"operation pattern {rule.operation!r} matches no operation that starts a task "
                f"on the {which} (those are: {names}), so a where: task rule would never fire"
            )
    if rule.fault is None:
        return None
    for target in targets:
        spec = target.spec
        if spec.knows_fault is not None and not spec.knows_fault(rule.fault):
            return (
                f"fault {rule.fault!r} is not a fault of the {spec.name} surface; "
                + _narrowing_hint(rule)
            )
        if target.document is None:
            continue
        if rule.where == "call" and target.operations:
            problem = _undocumented_answer(rule, spec, target.document, target.operations)
        else:
            problem = _task_error_problem(rule, spec, target.document)
        if problem is not None:
            return problem
    return None


def _document(spec: SurfaceSpec) -> OpenApiDocument | None:
    if spec.openapi is None:
        return _default_document(spec.name)
    return surface_document(spec.name, spec.openapi)


@lru_cache(maxsize=16)
def _default_document(name: str) -> OpenApiDocument | None:
    """``specs/<name>.yaml`` (looked up once per process: a missing one is logged once)."""
    return surface_document(name)


def _operations(
    document: OpenApiDocument, pattern: str
) -> list[tuple[str, str, Mapping[str, Any]]]:
    return [
        (method, template, op)
        for method, template, op in document.operations()
        if matches(pattern, str(op.get("operationId", "")))
    ]


def _operation_ids(document: OpenApiDocument | None) -> list[str]:
    if document is None:
        return []
    return [str(op["operationId"]) for _, _, op in document.operations() if "operationId" in op]


def _starts_tasks(spec: SurfaceSpec, pattern: str) -> bool:
    if spec.task_operations is None:
        return True  # not declared: cannot tell
    return any(matches(pattern, operation) for operation in spec.task_operations)


def _listing(
    surfaces: Sequence[SurfaceSpec], names: Callable[[SurfaceSpec], Iterable[str]]
) -> tuple[str, str]:
    """(``vcenter surface`` / ``vim25, sms surfaces``, their ``names``, shortened)."""
    listed: list[str] = []
    for spec in surfaces:
        listed += [name for name in names(spec) if name not in listed]
    noun = "surface" if len(surfaces) == 1 else "surfaces"
    shown = ", ".join(listed[:_MAX_NAMES]) or "unknown"
    if len(listed) > _MAX_NAMES:
        shown += f" and {len(listed) - _MAX_NAMES} more"
    return f"{', '.join(spec.name for spec in surfaces)} {noun}", shown


def _undocumented_answer(
    rule: FaultRule,
    spec: SurfaceSpec,
    document: OpenApiDocument,
    operations: list[tuple[str, str, Mapping[str, Any]]],
) -> str | None:
    """The first targeted operation that may not answer with the rule's fault, as a sentence."""
    refused = []
    first_problem = ""
    try:
        response = spec.render_error(None, SimError.injected(rule.action()))
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.raw_headers
        }
        for method, template, op in operations:
            problem = document.response_problem(
                op, template, method, response.status_code, headers, bytes(response.body)
            )
            if problem is not None:
                refused.append(str(op.get("operationId") or f"{method} {template}"))
                first_problem = first_problem or problem
    except Exception:  # a broken renderer or document must not stop rules being added
        log.exception("cannot check fault rule %s against the %s document", rule, spec.name)
        return None
    if not refused:
        return None
    names = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
    return (
        f"fault {rule.fault!r} would answer {spec.name} {names} with HTTP "
        f"{response.status_code}, which the {document.name} document does not allow there "
        f"({first_problem}); " + _fields_hint(rule, first_problem)
    )


def _task_error_problem(
    rule: FaultRule, spec: SurfaceSpec, document: OpenApiDocument
) -> str | None:
    """Why the task error the rule's fault would give is not one the document allows."""
    if spec.render_task_fault is None or spec.task_error_schema is None:
        return None
    operation = next(
        (op for op in sorted(spec.task_operations or ()) if matches(rule.operation, op)),
        rule.operation,
    )
    # No target and no state: the rule must hold whatever object it fires on, so only the
    # renderer's neutral defaults and the rule's own fault_fields are checked.
    task = SimTask(id="fault-rule-check", surface=spec.name, operation=operation, target=None)
    try:
        error = spec.render_task_fault(rule.action(), task, None)
        problem = document.schema_problem(spec.task_error_schema, error)
    except Exception:  # a broken renderer or document must not stop rules being added
        log.exception("cannot check fault rule %s against the %s document", rule, spec.name)
        return None
    if problem is None:
        return None
    return (
        f"fault {rule.fault!r} would end {spec.name} tasks with an error the {document.name} "
        f"document does not allow (task error {problem}); " + _fields_hint(rule, problem)
    )


def _fields_hint(rule: FaultRule, problem: str) -> str:
    if rule.fault_fields and problem.startswith("$"):  # a schema error, not a status
        return "check fault_fields against the fault's schema"
    return _narrowing_hint(rule)


def _narrowing_hint(rule: FaultRule) -> str:
    if rule.surface == "*" or rule.operation == "*":
        return "name the surface and operation whose documented errors include it"
    return "see the operation's documented errors in its OpenAPI document"
