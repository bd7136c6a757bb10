"""Pydantic models of the control API's bodies (mirrors ``specs/control.yaml``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ..injection import FaultRule, FaultRuleStatus
from ..tasks import TaskSettings

__all__ = [
    "ErrorBody",
    "FaultRule",
    "FaultRuleList",
    "FaultRuleStatus",
    "Health",
    "ObjectList",
    "ObjectPatch",
    "ObjectSummary",
    "ResetResult",
    "ScenarioLoaded",
    "SessionsInvalidated",
    "SpecViolationList",
    "SpecViolationView",
    "TaskList",
    "TaskSettings",
    "TaskView",
]


class ErrorBody(BaseModel):
    """Every control API error."""

    error: str
    message: str
    detail: Any = None


class Health(BaseModel):
    """``GET /_sim/health``."""

    status: str = "ok"
    surfaces: dict[str, str]
    scenario: str
    generation: int
    fleet_size: int | None
    tasks: int
    sessions: dict[str, int]
    fault_rules: int


class ResetResult(BaseModel):
    """``POST /_sim/reset``."""

    status: str = "reset"
    generation: int


class ScenarioLoaded(BaseModel):
    """``POST /_sim/scenario``."""

    status: str = "loaded"
    scenario: str
    generation: int
    surfaces: list[str]


class SessionsInvalidated(BaseModel):
    """``DELETE /_sim/sessions``: live sessions logged out, per login domain."""

    invalidated: int
    stores: dict[str, int]


class SpecViolationView(BaseModel):
    """One recorded response validation failure."""

    document: str
    operation: str | None
    method: str
    path: str
    status: int
    detail: str


class SpecViolationList(BaseModel):
    """``GET /_sim/violations``."""

    enabled: bool
    total: int
    items: list[SpecViolationView]


class ObjectSummary(BaseModel):
    """One entry of ``GET /_sim/objects``; surfaces may add fields."""

    model_config = ConfigDict(extra="allow")

    surface: str
    id: str
    type: str | None = None
    name: str | None = None


class ObjectList(BaseModel):
    """``GET /_sim/objects``."""

    total: int
    items: list[ObjectSummary]


class FaultRuleList(BaseModel):
    """``GET /_sim/faults``."""

    rules: list[FaultRuleStatus]


class TaskView(BaseModel):
    """A task as the control API shows it (times are epoch seconds)."""

    id: str
    surface: str
    operation: str
    target: str | None
    state: str
    progress: int
    cancelable: bool
    cancelled: bool
    queue_time: float
    start_time: float | None
    complete_time: float | None
    user: str | None
    description: str | None
    result: Any = None
    error: Any = None


class TaskList(BaseModel):
    """``GET /_sim/tasks``."""

    total: int
    items: list[TaskView]


class ObjectPatch(BaseModel):
    """``PATCH /_sim/objects/{surface}/{id}`` body: any JSON object of changes."""

    model_config = ConfigDict(extra="allow")
