"""What a run found: per operation and check, the failures, the links followed, the tasks read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from .checks import TaskRecord

__all__ = [
    "CheckTally",
    "FailureRecord",
    "Redactor",
    "SuiteResult",
    "SurfaceResult",
    "SurfaceStatus",
]

SurfaceStatus = Literal["passed", "failed", "error", "not-answering"]


@dataclass
class CheckTally:
    """How often one check passed and failed for one operation, and how often it had nothing
    to look at (``not_applicable``: schemathesis counts those as passes; the report does not).
    """

    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_applicable: int = 0

    @property
    def total(self) -> int:
        """Every time the check applied (passed, failed or errored)."""
        return self.passed + self.failed + self.errors


@dataclass
class FailureRecord:
    """One distinct failure (repeats of the same failure are counted, not listed)."""

    operation: str
    check: str
    title: str
    message: str
    phase: str
    status: int | None = None
    reproduce: str | None = None
    """A curl command that sends the failing request (secrets redacted)."""
    response: str | None = None
    """The start of the response body (secrets redacted)."""
    count: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes two failures the same one."""
        return (self.operation, self.check, self.title, self.message.split("\n", 1)[0])


@dataclass
class SurfaceResult:
    """The outcome of the suite against one surface (one OpenAPI document)."""

    surface: str
    base_url: str
    status: SurfaceStatus = "passed"
    operations: list[str] = field(default_factory=list)
    """operationIds tested, in document order."""
    skipped_operations: dict[str, str] = field(default_factory=dict)
    """operationId -> why it was not tested (e.g. it changes state and was not allowed)."""
    tallies: dict[tuple[str, str], CheckTally] = field(default_factory=dict)
    failures: list[FailureRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    links_declared: list[str] = field(default_factory=list)
    """Every link of the document whose source and target were both tested."""
    links_followed: Counter[str] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    """operationId -> requests sent for it."""
    phases: dict[str, float] = field(default_factory=dict)
    """phase -> seconds."""
    tasks: list[TaskRecord] = field(default_factory=list)
    stateful_scenarios: int = 0
    """Stateful scenarios run (each a chain of calls following the document's links)."""
    seconds: float = 0.0
    started_at: str = ""
    """When the run of this surface started (ISO 8601, UTC)."""
    note: str | None = None
    skipped_checks: dict[str, str] = field(default_factory=dict)
    """check -> why it did not run at all (e.g. privilege_required: needs --readonly-user)."""
    inapplicable: dict[str, str] = field(default_factory=dict)
    """check -> why it cannot apply to this document as run (never counted as a pass)."""
    sessions_opened: int = 0
    """Sessions the test cases' own logins opened."""
    sessions_ended_by_flows: int = 0
    """Of those, the ones a logout test case ended (a stateful flow's link carried it there)."""
    sessions_ended_early: int = 0
    """Sessions the suite logged out as soon as nothing could use them any more: after the
    test case (outside a stateful scenario) or the stateful scenario that opened them."""
    sessions_ended_after: int = 0
    """Sessions still open at the end (the suite's own above all), which the suite logged out
    then."""
    sessions_peak: int = 0
    """The most sessions of the run known open on the server at once."""
    redirected: dict[str, int] = field(default_factory=dict)
    """operationId -> state-changing requests sent to an id no server has instead of an object
    nobody named (a server the suite does not own)."""
    credentials_replaced: dict[str, int] = field(default_factory=dict)
    """operationId -> requests whose credentials for another host were replaced by nobody's
    (a server the suite does not own)."""
    links_required: bool = False
    """``--require-links``: a declared link never followed is a failure of the surface."""

    @property
    def ok(self) -> bool:
        """No failure and no error (a surface that does not answer is not ok either)."""
        return self.status == "passed"

    @property
    def links_missed(self) -> list[str]:
        """Declared links that were never followed."""
        return [link for link in self.links_declared if self.links_followed[link] == 0]

    @property
    def failure_count(self) -> int:
        """Distinct failures, counting each link never followed under ``--require-links``."""
        return len(self.failures) + (len(self.links_missed) if self.links_required else 0)

    def tally(self, operation: str, check: str) -> CheckTally:
        """The tally of ``check`` for ``operation`` (created on first use)."""
        return self.tallies.setdefault((operation, check), CheckTally())

    def checks(self) -> list[str]:
        """Every check that ran, in a stable order."""
        return sorted({check for _, check in self.tallies})

    def applied_checks(self) -> set[str]:
        """Every check that applied to at least one response."""
        return {check for (_, check), tally in self.tallies.items() if tally.total}

    def task_outcomes(self) -> dict[str, dict[str, int]]:
        """operationId -> terminal task state -> how many of its tasks ended so."""
        found: dict[str, dict[str, int]] = {}
        for task in self.tasks:
            states = found.setdefault(task.operation, {})
            states[task.state or "?"] = states.get(task.state or "?", 0) + 1
        return found

    def add_failure(self, record: FailureRecord) -> None:
        """Record a failure, folding repeats of one already recorded."""
        for existing in self.failures:
            if existing.key == record.key:
                existing.count += record.count
                return
        self.failures.append(record)


@dataclass
class SuiteResult:
    """The outcome of the suite against every surface it ran."""

    surfaces: list[SurfaceResult] = field(default_factory=list)
    seconds: float = 0.0
    credentials_rejected: str | None = None
    """The server refused the user name or password: the suite stopped there (no other
    surface was tried, so a wrong password was sent once)."""

    @property
    def ok(self) -> bool:
        """Every surface passed (and there was at least one)."""
        return (
            bool(self.surfaces)
            and self.credentials_rejected is None
            and all(s.ok for s in self.surfaces)
        )

    @property
    def failure_count(self) -> int:
        """Distinct failures over all surfaces."""
        return sum(s.failure_count for s in self.surfaces)


class Redactor:
    """Replaces secrets (passwords, session tokens, Basic credentials) in report text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        """Never show these strings (empty and very short ones are ignored: too many hits)."""
        for secret in secrets:
            if secret and len(secret) >= 4:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text
