"""The property suite over every document, against the in-process simulator.

One run per document (vim25, sms, vcenter, vr, control): schemathesis with every check and every
phase (examples, coverage, fuzzing, stateful), logged in through the real logins, as
:mod:`vreconnect.contract` runs it for ``vreconnect contract``. Each run must:

* find no failure and hit no error (the summary is the assertion message);
* follow every link declared in the document (computed from the document) in its stateful
  scenarios;
* apply every check that can apply to the document at least once -- a check counts when it
  looked at a response, not when it merely returned (schemathesis counts that as a pass); the
  checks that cannot apply are those :func:`~vreconnect.contract.applicability.inapplicable_checks`
  derives from the document, each with its reason;
* reach both outcomes, success and failure, of every task-starting operation whose page
  documents that its task can fail;
* leave the simulator without an error logged or a response that violates its own document.
"""

from __future__ import annotations

import pytest

from vreconnect.contract import SURFACES, declared_links, run_surface
from vreconnect.contract.report import summary_lines
from vreconnect.contract.results import SuiteResult, SurfaceResult
from vreconnect.contract.runner import load_document
from vreconnect.contract.simulator import embedded_simulator

from .conftest import CI, DEEP_BUDGET, Budget, options

DOCUMENTS = ("vim25", "sms", "vcenter", "vr", "control")


def _run(document: str, budget: Budget) -> tuple[SurfaceResult, list[str]]:
    with embedded_simulator() as target:
        result = run_surface(SURFACES[document], target, options(budget))
        assert target.app is not None
        violations = [str(v) for v in target.app.state.sim.spec_violations]
    return result, violations


def _assert_clean(document: str, budget: Budget) -> SurfaceResult:
    result, violations = _run(document, budget)
    summary = summary_lines(SuiteResult([result], result.seconds))
    assert result.ok, f"the property suite failed on {document}:\n{summary}"
    assert not violations, "the simulator violated its own documents:\n" + "\n".join(violations)
    _, spec = load_document(SURFACES[document])
    assert result.links_declared == declared_links(spec)
    assert not result.links_missed, f"links never followed on {document}:\n{summary}"
    can_apply = set(result.checks()) - set(result.inapplicable)
    never = can_apply - result.applied_checks()
    assert not never, f"checks that never applied on {document}: {sorted(never)}\n{summary}"
    wrongly = result.applied_checks() & set(result.inapplicable)
    assert not wrongly, f"checks said not to apply did: {sorted(wrongly)}"
    # The core checks always can apply: the reasons above never excuse them.
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "simulator_healthy",
    } <= can_apply
    outcomes = result.task_outcomes()
    for op_id, read in SURFACES[document].task_reads.items():
        if read.documented_failure is None:
            continue
        states = set(outcomes.get(op_id, {}))
        assert states & read.failed, f"no {op_id} task failed ({read.documented_failure})"
        assert states - read.failed, f"no {op_id} task succeeded: {outcomes.get(op_id)}"
    # hypothesis can end a stateful run early without a failure (schemathesis reports a pass);
    # a full run has at least as many scenarios as asked for.
    assert result.stateful_scenarios >= budget.max_scenarios, summary
    assert not result.skipped_operations, result.skipped_operations
    return result


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document(document: str) -> None:
    """Every check, every phase, every link: zero failures (CI budget)."""
    result = _assert_clean(document, CI)
    if SURFACES[document].task_reads:
        assert result.tasks, "no task was read to its end"


@pytest.mark.deep
@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_deep(document: str) -> None:
    """The same, with ten times the examples and longer stateful scenarios."""
    _assert_clean(document, DEEP_BUDGET)
