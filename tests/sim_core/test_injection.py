"""Fault rules: matching, wildcards, skip, count, probability with a seeded RNG, validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vreconnect_sim.injection import FaultInjector, FaultRule


def test_no_rules_is_none() -> None:
    assert FaultInjector().check("Op", "x") is None


def test_matching_operation_object_surface_and_where() -> None:
    inj = FaultInjector()
    inj.add(
        FaultRule(surface="vim25", operation="ReconnectHost_Task", object="host-1", fault="NoHost")
    )
    assert inj.check("ReconnectHost_Task", "host-2", surface="vim25") is None
    assert inj.check("Other", "host-1", surface="vim25") is None
    assert inj.check("ReconnectHost_Task", "host-1", surface="sms") is None
    assert inj.check("ReconnectHost_Task", "host-1", "task", surface="vim25") is None
    action = inj.check("ReconnectHost_Task", "host-1", surface="vim25")
    assert action is not None and action.fault == "NoHost" and action.rule_id == "rule-1"


def test_wildcards_and_patterns() -> None:
    inj = FaultInjector()
    inj.add(FaultRule(operation="*_Task", object="host-1?", status=503, body={"x": 1}))
    assert inj.check("Login", "host-10") is None
    assert inj.check("ReconnectHost_Task", "host-1") is None
    a = inj.check("ReconfigureHostForDAS_Task", "host-12")
    assert a is not None and (a.status, a.body) == (503, {"x": 1})
    assert inj.check("Op", None) is None  # object pattern needs an object


def test_skip_then_count() -> None:
    inj = FaultInjector()
    inj.add(FaultRule(operation="Op", skip=2, count=2, drop=True))
    fired = [inj.check("Op", "o") is not None for _ in range(6)]
    assert fired == [False, False, True, True, False, False]
    (status,) = inj.list()
    assert (status.matched, status.fired, status.exhausted) == (4, 2, True)


def test_first_firing_rule_wins_and_remove_clear() -> None:
    inj = FaultInjector()
    r1 = inj.add(FaultRule(operation="Op", fault="A", count=1))
    inj.add(FaultRule(id="mine", operation="*", fault="B", latency_ms=10))
    assert inj.check("Op", None).fault == "A"  # type: ignore[union-attr]
    b = inj.check("Op", None)
    assert b is not None and (b.fault, b.latency_ms, b.rule_id) == ("B", 10, "mine")
    with pytest.raises(ValueError, match="already exists"):
        inj.add(FaultRule(id="mine", fault="C"))
    assert inj.remove(r1.id) and not inj.remove(r1.id)
    inj.clear()
    assert inj.list() == [] and inj.check("Op", None) is None


def test_probability_is_reproducible_with_seed() -> None:
    def run(seed: int) -> list[bool]:
        inj = FaultInjector(seed=seed)
        inj.add(FaultRule(probability=0.3, fault="X"))
        return [inj.check("Op", None) is not None for _ in range(1000)]

    a = run(42)
    assert a == run(42)
    assert a != run(43)
    assert 230 < sum(a) < 370
    inj = FaultInjector(seed=1)
    inj.add(FaultRule(probability=0.0, fault="X"))
    assert all(inj.check("Op", None) is None for _ in range(100))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "needs an action"),
        ({"fault": "A", "status": 500}, "only one of"),
        ({"drop": True, "status": 500}, "only one of"),
        ({"where": "task", "status": 500}, "where=task"),
        ({"where": "task", "drop": True}, "where=task"),
        ({"fault": "A", "body": {}}, "body is only allowed"),
        ({"status": 500, "fault_fields": {"a": 1}}, "fault_fields"),
        ({"fault": "A", "probability": 1.5}, "less than or equal"),
        ({"fault": "A", "bogus": 1}, "Extra inputs"),
        ({"fault": "A", "retry_after": 1}, "retry_after is only allowed with status"),
        ({"latency_ms": 5, "retry_after": 1}, "retry_after is only allowed with status"),
        ({"status": 503, "retry_after": 3601}, "less than or equal to 3600"),
        ({"status": 503, "retry_after": -1}, "greater than or equal to 0"),
    ],
)
def test_rule_validation(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FaultRule.model_validate(fields)
