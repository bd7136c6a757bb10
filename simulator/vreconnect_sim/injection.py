"""Fault injection: rules in the spirit of vcsim's fault rules and moto's state manager.

A :class:`FaultRule` says *when* (surface, operationId, object id -- ``*`` and shell-style
patterns allowed --, ``skip`` the first N matches, fire with ``probability``, at most ``count``
times) and *what*:

* ``fault``: a surface fault name (``"NoHost"``, ``"InvalidCertificate"``, vAPI
  ``"service_unavailable"``, VR ``"500"``...), optionally with ``fault_fields`` and ``message``;
  the surface renders it in its own error shape;
* ``status`` (+ optional JSON ``body``, optional ``retry_after`` seconds sent as a
  ``Retry-After`` header): answer that HTTP status verbatim;
* ``drop``: close the connection without any response;
* ``latency_ms``: added delay, alone or combined with one of the above.

``where`` selects the point of injection: ``"call"`` (the HTTP call is answered with the
fault/status/drop; checked by the surface handler through
``SurfaceContext.call_faults``) or ``"task"`` (the call succeeds and returns a task, which then
ends in error with the fault; checked by :class:`~vreconnect_sim.tasks.TaskEngine.create`).

Rules are evaluated in insertion order; the first rule that *fires* wins. A rule's ``matched``
counter counts calls it matched (including skipped ones), ``fired`` the times it acted; once
``fired == count`` it stays listed but inactive. The RNG is seeded (scenario/``create_app``
``seed``) so probabilistic runs are reproducible.

Dropped connections: the handler raises :class:`DropConnection`. Over a real socket the app
layer aborts the TCP (or TLS) connection before any response byte is written, so clients see
"server disconnected without sending a response". In-process (``httpx.ASGITransport``) the
exception propagates out of the transport; since it subclasses
:class:`httpx.RemoteProtocolError`, client code that handles ``httpx.TransportError`` behaves
the same in both modes.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, Self

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "DropConnection",
    "FaultAction",
    "FaultInjector",
    "FaultRule",
    "FaultRuleStatus",
    "Where",
    "matches",
]

Where = Literal["call", "task"]


class DropConnection(httpx.RemoteProtocolError):
    """Raised by a handler to make the server close the connection without a response."""

    def __init__(self, message: str = "connection dropped by simulator fault rule") -> None:
        super().__init__(message)


class FaultRule(BaseModel):
    """One fault rule, as posted to ``POST /_sim/faults``."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        default=None, min_length=1, description="Assigned by the simulator when omitted."
    )
    surface: str = Field(default="*", description="vim25 | sms | vcenter | vr | '*' (pattern).")
    operation: str = Field(
        default="*", description="operationId from the surface's spec, or a pattern."
    )
    object: str = Field(
        default="*", description="Target object id (moId, pairing id...) or a pattern."
    )
    where: Where = "call"
    probability: float = Field(default=1.0, ge=0, le=1)
    count: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Fire at most this many times; null = no limit.",
    )
    skip: int = Field(
        default=0, ge=0, le=2**31 - 1, description="Let the first N matching calls through."
    )
    fault: str | None = Field(
        default=None, min_length=1, description="Surface fault name, e.g. NoHost."
    )
    fault_fields: dict[str, Any] = Field(default_factory=dict)
    message: str | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    body: Any = None
    retry_after: int | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="Seconds, sent as a Retry-After header with status.",
    )
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    drop: bool = False

    @model_validator(mode="before")
    @classmethod
    def _id_is_a_string(cls, data: Any) -> Any:
        # specs/control.yaml: `id` is a string (not nullable); omit it to have one assigned.
        if isinstance(data, dict) and "id" in data and data["id"] is None:
            raise ValueError("id must be a string; omit it to have one assigned")
        return data

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        actions = [
            n
            for n, on in (("fault", self.fault), ("status", self.status), ("drop", self.drop))
            if on
        ]
        if len(actions) > 1:
            raise ValueError(
                f"only one of fault, status, drop may be set (got {', '.join(actions)})"
            )
        if not actions and self.latency_ms == 0:
            raise ValueError("a rule needs an action: fault, status, drop or latency_ms > 0")
        if self.where == "task" and (self.status is not None or self.drop):
            raise ValueError(
                "where=task rules take a fault (and/or latency_ms), not status or drop"
            )
        if self.body is not None and self.status is None:
            raise ValueError("body is only allowed with status")
        if self.retry_after is not None and self.status is None:
            raise ValueError("retry_after is only allowed with status")
        if self.fault_fields and self.fault is None:
            raise ValueError("fault_fields is only allowed with fault")
        return self

    def action(self, rule_id: str | None = None) -> FaultAction:
        """What this rule asks for when it fires (``rule_id`` defaults to the rule's id)."""
        return FaultAction(
            rule_id=rule_id if rule_id is not None else self.id,
            where=self.where,
            fault=self.fault,
            fault_fields=dict(self.fault_fields),
            message=self.message,
            status=self.status,
            body=self.body,
            retry_after=self.retry_after,
            latency_ms=self.latency_ms,
            drop=self.drop,
        )


class FaultRuleStatus(FaultRule):
    """A rule as listed by ``GET /_sim/faults``: the rule plus its counters."""

    id: str
    matched: int = 0
    fired: int = 0
    exhausted: bool = False


@dataclass(frozen=True, slots=True)
class FaultAction:
    """What a fired rule asks for; the surface applies ``fault``/``status``, the app ``drop``."""

    rule_id: str | None = None
    where: Where = "call"
    fault: str | None = None
    fault_fields: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    status: int | None = None
    body: Any = None
    retry_after: int | None = None
    latency_ms: int = 0
    drop: bool = False


@dataclass(slots=True)
class _Slot:
    rule: FaultRule
    action: FaultAction
    matched: int = 0
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.rule.count is not None and self.fired >= self.rule.count


class FaultInjector:
    """Holds the fault rules and decides, per call or task, whether one fires. Thread-safe."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._lock = threading.Lock()
        self._slots: list[_Slot] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)

    def reseed(self, seed: int | str | None) -> None:
        """Restart the random sequence (reset does this with the scenario's seed)."""
        with self._lock:
            self._rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRuleStatus:
        """Add a rule (after the existing ones); assigns ``id`` ("rule-N") if absent."""
        with self._lock:
            rule_id = rule.id or f"rule-{next(self._ids)}"
            if any(s.rule.id == rule_id for s in self._slots):
                raise ValueError(f"a fault rule with id {rule_id!r} already exists")
            rule = rule.model_copy(update={"id": rule_id})
            slot = _Slot(rule, rule.action(rule_id))
            self._slots.append(slot)
            return self._status(slot)

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; False if there was none with that id."""
        with self._lock:
            for i, slot in enumerate(self._slots):
                if slot.rule.id == rule_id:
                    del self._slots[i]
                    return True
            return False

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._slots.clear()

    def list(self) -> list[FaultRuleStatus]:
        """All rules with their counters, in evaluation order."""
        with self._lock:
            return [self._status(s) for s in self._slots]

    def __len__(self) -> int:
        return len(self._slots)

    def check(
        self,
        operation: str,
        object_id: str | None,
        where: Where = "call",
        *,
        surface: str | None = None,
    ) -> FaultAction | None:
        """Return the action of the first rule that fires for this call/task, or None.

        Counters advance as a side effect, so call this exactly once per call (or task).
        """
        if not self._slots:  # fast path: the benchmark runs with no rules
            return None
        with self._lock:
            for slot in self._slots:
                rule = slot.rule
                if rule.where != where or slot.exhausted:
                    continue
                if not matches(rule.surface, surface) or not matches(rule.operation, operation):
                    continue
                if not matches(rule.object, object_id):
                    continue
                slot.matched += 1
                if slot.matched <= rule.skip:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                slot.fired += 1
                return slot.action
            return None

    @staticmethod
    def _status(slot: _Slot) -> FaultRuleStatus:
        return FaultRuleStatus(
            **slot.rule.model_dump(exclude={"id"}),
            id=slot.rule.id or "",
            matched=slot.matched,
            fired=slot.fired,
            exhausted=slot.exhausted,
        )


def matches(pattern: str, value: str | None) -> bool:
    """Whether a rule's ``surface``/``operation``/``object`` pattern matches ``value``
    (``*`` matches anything, None included; other patterns are shell-style)."""
    if pattern == "*":
        return True
    if value is None:
        return False
    if pattern == value:
        return True
    return any(c in pattern for c in "*?[") and fnmatchcase(value, pattern)
