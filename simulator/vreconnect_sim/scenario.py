"""Scenarios: YAML files describing users, settings and each surface's objects.

Layout (every level rejects unknown keys)::

    users:                      # optional; omitted -> the default users (see vreconnect_sim.auth)
      - name: administrator@vsphere.local
        password: VMware1!      # optional, default VMware1!
        role: admin             # admin | readonly | none
        exclude: []             # privileges withheld
        privileges: []          # privileges granted on top of the role
    settings:
      seed: 42                  # RNG seed (jitter, probabilistic faults, uuids); null = random
      session_idle_timeout: 1800
      max_body_bytes: 1048576
      releases: [8.0.1.0, 8.0.2.0, 8.0.3.0, 9.0.0.0]
      hosts: null               # fleet size hint for the vim25 builder (--hosts overrides)
      tasks: {default: 0, durations: {ReconnectHost_Task: 5}, jitter: 0.2, queue_seconds: 0,
              retention_seconds: 600, retention_count: 10000}
    vim25: {...}                # validated by the model the vim25 package registered
    sms: {...}
    vcenter: {...}
    vr: {...}

Surface sections are validated by the ``section_model`` each surface registers (see
:mod:`vreconnect_sim.registry`); the section of a surface registered without one (or of a
built-in surface whose package is missing) is kept as the raw mapping; any other top-level key
is an error. A registered surface whose section is
absent gets ``section_model.model_validate({})`` if that succeeds, else None.

YAML is parsed with libyaml (``yaml.CSafeLoader``) when PyYAML has it, else the pure-Python
``SafeLoader``. :meth:`Scenario.default` parses the embedded file once per process and
validates a copy on every call, so each caller gets its own section models.

Errors are :class:`ScenarioError`, one line per problem, each naming the source and the key
path: ``scenario.yaml: vim25.hosts[3].connection_state: Input should be 'connected', ...``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .auth import DEFAULT_USERS, UserSpec
from .registry import BUILTIN_SURFACES, get_surface, load_builtin_surfaces, registered_surfaces
from .tasks import TaskSettings

__all__ = [
    "DEFAULT_RELEASES",
    "DEFAULT_SCENARIO",
    "MAX_FLEET_SIZE",
    "FleetSizeError",
    "Scenario",
    "ScenarioError",
    "Settings",
    "check_fleet_size",
    "format_loc",
]

DEFAULT_RELEASES: tuple[str, ...] = ("8.0.1.0", "8.0.2.0", "8.0.3.0", "9.0.0.0")
MAX_FLEET_SIZE = 50_000
"""Most fleet hosts the simulator builds (``--hosts``, ``?hosts=``, ``settings.hosts``): five
times what issue 3 asks for; about 25 MB of state, built in well under a second."""
DEFAULT_SCENARIO = "default.yaml"
"""File name of the embedded default scenario inside ``vreconnect_sim/scenarios/``."""


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~6x faster


def _parse_yaml(text: str) -> Any:
    """Safe YAML parse (libyaml when available).

    On a syntax error the text is parsed again with the pure-Python loader, whose error names
    the position where the problem starts (libyaml's often points past it), so messages do not
    depend on how PyYAML was built.
    """
    try:
        return yaml.load(text, Loader=_LOADER)  # a SafeLoader (C or Python)
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
    return yaml.load(text, Loader=yaml.SafeLoader)


@lru_cache(maxsize=1)
def _default_document() -> Any:
    """The embedded default scenario, parsed once (callers must not mutate it: copy it)."""
    text = (
        resources.files("vreconnect_sim").joinpath("scenarios", DEFAULT_SCENARIO).read_text("utf-8")
    )
    return _parse_yaml(text)


class Settings(BaseModel):
    """The scenario's ``settings`` section."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seed: int | None = Field(default=None, description="RNG seed; null = nondeterministic.")
    session_idle_timeout: float = Field(
        default=1800.0, gt=0, description="Seconds; all session stores."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1, description="Larger request bodies are refused."
    )
    releases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_RELEASES),
        min_length=1,
        description="VI/JSON releases accepted in /sdk/vim25/{release}.",
    )
    hosts: int | None = Field(
        default=None,
        ge=0,
        le=MAX_FLEET_SIZE,
        description="Fleet size hint for the vim25 builder.",
    )
    tasks: TaskSettings = Field(default_factory=lambda: TaskSettings())


class ScenarioError(ValueError):
    """A scenario failed to parse or validate; ``problems`` holds ``(key path, message)``."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            "\n".join(
                f"{source}: {path}: {msg}" if path else f"{source}: {msg}" for path, msg in problems
            )
        )


class FleetSizeError(ScenarioError):
    """A fleet size over :data:`MAX_FLEET_SIZE` (or negative) was asked for."""

    def __init__(self, source: str, size: int) -> None:
        super().__init__(
            source,
            [("", f"fleet size {size} is outside 0..{MAX_FLEET_SIZE} (the simulator's limit)")],
        )
        self.size = size


def check_fleet_size(size: int | None, source: str = "hosts") -> None:
    """Raise :class:`FleetSizeError` unless ``size`` is None or within 0..MAX_FLEET_SIZE."""
    if size is not None and not 0 <= size <= MAX_FLEET_SIZE:
        raise FleetSizeError(source, size)


def format_loc(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``("hosts", 3, "connection_state")`` -> ``hosts[3].connection_state`` (after ``prefix``)."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _problems(exc: ValidationError, prefix: str) -> list[tuple[str, str]]:
    return [(format_loc(tuple(e["loc"]), prefix), e["msg"]) for e in exc.errors()]


@dataclass
class Scenario:
    """A loaded, validated scenario. Build with :meth:`load`, :meth:`from_yaml`, :meth:`default`.

    ``sections`` maps surface name to its validated section model (or raw mapping / None).
    """

    users: tuple[UserSpec, ...] = DEFAULT_USERS
    settings: Settings = field(default_factory=lambda: Settings())
    sections: dict[str, Any] = field(default_factory=dict)
    source: str = "<scenario>"

    def section(self, name: str) -> Any:
        """The section of surface ``name`` (None if absent)."""
        return self.sections.get(name)

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read and validate a YAML (or JSON) file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(p), [("", f"cannot read: {exc.strerror or exc}")]) from exc
        return cls.from_yaml(text, source=p.name)

    @classmethod
    def default(cls) -> Scenario:
        """The embedded default scenario (package data ``scenarios/default.yaml``).

        The file is parsed once per process; every call validates a deep copy of it, so the
        returned scenario shares nothing mutable with earlier ones.
        """
        return cls.from_mapping(copy.deepcopy(_default_document()), source=DEFAULT_SCENARIO)

    @classmethod
    def from_yaml(cls, text: str, source: str = "<scenario>") -> Scenario:
        """Parse YAML (JSON is YAML too) and validate."""
        try:
            data = _parse_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError(source, [("", f"invalid YAML: {where}{problem}")]) from exc
        except RecursionError:
            raise ScenarioError(source, [("", "invalid YAML: nested too deeply")]) from None
        if data is None:
            data = {}
        return cls.from_mapping(data, source=source)

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<scenario>") -> Scenario:
        """Validate an already-parsed document; collects every problem before raising."""
        if not isinstance(data, Mapping):
            raise ScenarioError(source, [("", "the top level must be a mapping")])
        load_builtin_surfaces()
        problems: list[tuple[str, str]] = []
        users: tuple[UserSpec, ...] = DEFAULT_USERS
        settings = Settings()
        sections: dict[str, Any] = {}
        for key in data:
            if not isinstance(key, str) or (
                key not in ("users", "settings")
                and key not in BUILTIN_SURFACES
                and get_surface(key) is None
            ):
                problems.append(
                    (str(key), "unknown top-level key (expected users, settings or a surface name)")
                )
        if data.get("users") is not None:
            raw_users = data["users"]
            if not isinstance(raw_users, list):
                problems.append(("users", "Input should be a valid list"))
            else:
                parsed: list[UserSpec] = []
                for i, raw in enumerate(raw_users):
                    try:
                        parsed.append(UserSpec.model_validate(raw))
                    except ValidationError as exc:
                        problems += _problems(exc, f"users[{i}]")
                names = [u.name.lower() for u in parsed]
                for i, name in enumerate(names):
                    if name in names[:i]:
                        problems.append((f"users[{i}].name", f"duplicate user {parsed[i].name!r}"))
                users = tuple(parsed)
        if data.get("settings") is not None:
            try:
                settings = Settings.model_validate(data["settings"])
            except ValidationError as exc:
                problems += _problems(exc, "settings")
        names = list(
            dict.fromkeys(
                [
                    *BUILTIN_SURFACES,
                    *(spec.name for spec in registered_surfaces()),
                    *(k for k in data if isinstance(k, str)),
                ]
            )
        )
        for name in names:
            if name in ("users", "settings"):
                continue
            spec = get_surface(name)
            raw = data.get(name)
            model = spec.section_model if spec is not None else None
            if model is None:
                if raw is not None:
                    sections[name] = raw
                continue
            try:
                sections[name] = model.model_validate(raw if raw is not None else {})
            except ValidationError as exc:
                if raw is None:
                    sections[name] = None  # model has required fields; builder copes
                else:
                    problems += _problems(exc, name)
        if problems:
            raise ScenarioError(source, problems)
        return cls(users=users, settings=settings, sections=sections, source=source)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view (passwords masked) for the control API."""
        out: dict[str, Any] = {
            "source": self.source,
            "users": [u.model_dump(mode="json") for u in self.users],
            "settings": self.settings.model_dump(mode="json"),
        }
        for name, section in self.sections.items():
            out[name] = (
                section.model_dump(mode="json") if isinstance(section, BaseModel) else section
            )
        return out
