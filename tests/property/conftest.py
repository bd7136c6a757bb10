"""Shared pieces of the property tests: the two budgets (CI and deep) and the suite options.

The CI budget keeps the whole ``tests/property`` run to a few minutes on two cores; the deep one
(``VRECONNECT_DEEP=1``) runs many more examples and stateful steps. Both are deterministic: a
fixed seed, hypothesis derandomised, no example database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from vreconnect.contract import Credentials, SuiteOptions
from vreconnect.contract.simulator import SIMULATOR_ADMIN, SIMULATOR_PASSWORD, SIMULATOR_READONLY

DEEP = os.environ.get("VRECONNECT_DEEP", "") not in ("", "0")
"""``VRECONNECT_DEEP=1`` runs the tests marked ``deep`` (skipped otherwise)."""

ADMIN = Credentials(SIMULATOR_ADMIN, SIMULATOR_PASSWORD)
READONLY = Credentials(SIMULATOR_READONLY, SIMULATOR_PASSWORD)


@dataclass(frozen=True)
class Budget:
    """How much generation one document's run gets."""

    max_examples: int
    max_steps: int
    max_scenarios: int


CI = Budget(max_examples=20, max_steps=10, max_scenarios=80)
DEEP_BUDGET = Budget(max_examples=200, max_steps=20, max_scenarios=600)


def options(budget: Budget, *, seed: int = 0, **overrides: object) -> SuiteOptions:
    """Suite options for the in-process simulator: every operation, the default users."""
    values: dict[str, object] = {
        "admin": ADMIN,
        "readonly": READONLY,
        "allow": None,
        "max_examples": budget.max_examples,
        "max_steps": budget.max_steps,
        "max_scenarios": budget.max_scenarios,
        "seed": seed,
        "task_poll_interval": 0.0,
    }
    values.update(overrides)
    return SuiteOptions(**values)  # type: ignore[arg-type]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the deep run unless VRECONNECT_DEEP=1."""
    if DEEP:
        return
    skip = pytest.mark.skip(reason="deep property run: set VRECONNECT_DEEP=1")
    for item in items:
        if "deep" in item.keywords:
            item.add_marker(skip)
