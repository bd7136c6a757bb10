"""The property suite over every document, against the in-process simulator.

One run per document (vim25, sms, vcenter, vr, control): schemathesis with every check and every
phase (examples, coverage, fuzzing, stateful), logged in through the real logins, as
:mod:`vreconnect.contract` runs it for ``vreconnect contract``. Each run must:

* find no failure and hit no error (the summary is the assertion message);
* follow every link of the document in its stateful scenarios;
* run every check that applies to the document at least once;
* leave the simulator without an error logged or a response that violates its own document.
"""

from __future__ import annotations

import pytest

from vreconnect.contract import SURFACES, run_surface
from vreconnect.contract.report import summary_lines
from vreconnect.contract.results import SuiteResult, SurfaceResult
from vreconnect.contract.simulator import embedded_simulator

from .conftest import CI, DEEP_BUDGET, Budget, options

DOCUMENTS = ("vim25", "sms", "vcenter", "vr", "control")

# The checks each document must exercise (beyond schemathesis' response checks, which run on
# every response): the suite's own auth/privilege/task checks where the document has them.
ALWAYS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "simulator_healthy",
}
EXPECTED_CHECKS: dict[str, set[str]] = {
    # VI/JSON: ignored_auth/unsupported_method are replaced (surfaces.py says why).
    "vim25": ALWAYS | {"session_required", "privilege_required", "task_completes"},
    "sms": ALWAYS | {"session_required", "privilege_required", "task_completes"},
    "vcenter": ALWAYS
    | {"ignored_auth", "unsupported_method", "privilege_required", "task_completes"},
    "vr": ALWAYS | {"ignored_auth", "unsupported_method", "privilege_required", "task_completes"},
    "control": ALWAYS | {"unsupported_method", "allow_header_conformance"},
}


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
    assert not result.links_missed, f"links never followed on {document}:\n{summary}"
    ran = {check for (_, check), tally in result.tallies.items() if tally.total}
    missing = EXPECTED_CHECKS[document] - ran
    assert not missing, f"checks that never ran on {document}: {sorted(missing)}\n{summary}"
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
