"""Whether a fault rule can do what it asks, checked when it is added (``POST /_sim/faults``).

A rule's ``fault`` must be one the surfaces it targets know and may answer with:

* every targeted surface must know the name (``SurfaceSpec.knows_fault``: the faults of a
  VI/JSON document, a vAPI standard error, a VR status): ``NoSuchFaultName`` is refused rather
  than turned into some generic error;
* for a ``where: call`` rule, the answer the surface would give must be one each targeted
  operation documents (rendered with the surface's own ``render_error`` and checked against
  its OpenAPI document as response validation would): ``"500"`` on VR's login, which
  documents only 200 and 401, is refused rather than answered out of contract.

A surface is targeted when the rule's ``surface`` pattern matches its name and, if the surface
has a document, its ``operation`` pattern matches one of the document's operationIds (a rule
for ``ReconnectHost_Task`` does not target vcenter). ``status`` rules are not checked: their
answers are out of contract on purpose (:data:`~vreconnect_sim.registry.INJECTED_STATUS`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from .injection import FaultRule, matches
from .registry import SimError, SurfaceSpec
from .validation import OpenApiDocument, surface_document

__all__ = ["rule_problem"]

log = logging.getLogger(__name__)


def rule_problem(rule: FaultRule, surfaces: Iterable[SurfaceSpec]) -> str | None:
    """Why ``rule`` cannot work on ``surfaces`` as asked (one sentence), or None if it can."""
    if rule.fault is None:
        return None
    for spec in surfaces:
        if not matches(rule.surface, spec.name):
            continue
        document = (
            _default_document(spec.name)
            if spec.openapi is None
            else surface_document(spec.name, spec.openapi)
        )
        operations = _operations(document, rule.operation) if document is not None else None
        if operations == []:
            continue  # the rule's operation is not one of this surface's
        if spec.knows_fault is not None and not spec.knows_fault(rule.fault):
            return (
                f"fault {rule.fault!r} is not a fault of the {spec.name} surface; "
                + _narrowing_hint(rule)
            )
        if rule.where == "call" and document is not None and operations:
            problem = _undocumented_answer(rule, spec, document, operations)
            if problem is not None:
                return problem
    return None


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


def _undocumented_answer(
    rule: FaultRule,
    spec: SurfaceSpec,
    document: OpenApiDocument,
    operations: list[tuple[str, str, Mapping[str, Any]]],
) -> str | None:
    """The first targeted operation that may not answer with the rule's fault, as a sentence."""
    action = rule.action()
    message = action.message or f"injected fault {action.fault}"
    refused = []
    first_problem = ""
    try:
        response = spec.render_error(None, SimError("fault", message, 500, action))
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
        f"({first_problem}); " + _narrowing_hint(rule)
    )


def _narrowing_hint(rule: FaultRule) -> str:
    if rule.surface == "*" or rule.operation == "*":
        return "name the surface and operation whose documented errors include it"
    return "see the operation's documented errors in its OpenAPI document"
