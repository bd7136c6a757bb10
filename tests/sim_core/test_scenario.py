"""Scenario loading: defaults, composition with registered sections, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from vreconnect_sim.auth import DEFAULT_USERS
from vreconnect_sim.registry import (
    BuildContext,
    SurfaceSpec,
    register_surface,
    unregister_surface,
)
from vreconnect_sim.scenario import Scenario, ScenarioError
from vreconnect_sim.state import SimulatorState

from .conftest import FakeSection


def test_default_scenario_is_parsed_once_and_copied_on_use() -> None:
    from vreconnect_sim import scenario as module

    first = Scenario.default()
    before = module._default_document.cache_info()
    state = first.sections["vim25"].hosts[0].connection_state
    first.sections["vim25"].hosts[0].connection_state = "notResponding"
    first.settings.releases.append("1.0.0.0")
    second = Scenario.default()
    assert module._default_document.cache_info().hits == before.hits + 1
    assert module._default_document.cache_info().misses == before.misses  # not parsed again
    assert second.sections["vim25"] is not first.sections["vim25"]
    assert second.sections["vim25"].hosts[0].connection_state == state != "notResponding"
    assert "1.0.0.0" not in second.settings.releases


def test_default_scenario_is_embedded() -> None:
    s = Scenario.default()
    assert [u.name for u in s.users] == [u.name for u in DEFAULT_USERS]
    assert all(u.password.get_secret_value() == "VMware1!" for u in s.users)
    assert s.settings.tasks.retention_count == 10_000
    assert s.settings.tasks.retention_seconds == 600
    assert s.settings.session_idle_timeout == 1800
    assert "8.0.3.0" in s.settings.releases


def test_registered_section_is_validated(fake_registered: SurfaceSpec) -> None:
    s = Scenario.from_yaml("fake:\n  hosts:\n    - {name: a}\n")
    section = s.section("fake")
    assert isinstance(section, FakeSection) and section.hosts[0].connection_state == "connected"
    assert isinstance(Scenario.from_yaml("{}").section("fake"), FakeSection)  # defaults


def test_error_names_the_key_path(fake_registered: SurfaceSpec, tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "fake:\n  hosts:\n"
        + "    - {name: ok}\n" * 3
        + "    - {name: bad, connection_state: gone}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        Scenario.load(path)
    assert str(exc.value) == (
        "scenario.yaml: fake.hosts[3].connection_state: Input should be 'connected', "
        "'notResponding' or 'disconnected'"
    )


def test_every_problem_is_reported() -> None:
    text = """
users:
  - {name: a, role: superuser}
  - {name: b, colour: red}
settings:
  tasks: {jitter: 2}
  sesion_idle_timeout: 5
nonsense: 1
"""
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_yaml(text, "s.yaml")
    lines = str(exc.value).splitlines()
    assert (
        "s.yaml: nonsense: unknown top-level key (expected users, settings or a surface name)"
        in lines
    )
    assert "s.yaml: users[0].role: Input should be 'admin', 'readonly' or 'none'" in lines
    assert "s.yaml: users[1].colour: Extra inputs are not permitted" in lines
    assert "s.yaml: settings.tasks.jitter: Input should be less than or equal to 1" in lines
    assert "s.yaml: settings.sesion_idle_timeout: Extra inputs are not permitted" in lines


def test_section_of_a_surface_without_a_model_is_kept_raw() -> None:
    """A surface registered without ``section_model`` gets its section as the raw mapping."""
    seen: list[object] = []

    def build(b: BuildContext) -> None:
        seen.append(b.section)

    raw = SurfaceSpec(name="rawfake", mount="/rawfake", routes=lambda ctx: [], build_state=build)
    register_surface(raw)
    try:
        s = Scenario.from_yaml("rawfake: {anything: [1, 2]}\n")
        assert s.section("rawfake") == {"anything": [1, 2]}
        assert Scenario.from_yaml("settings: {seed: 1}\n").section("rawfake") is None
        SimulatorState(s, surfaces=[raw])
        assert seen == [{"anything": [1, 2]}]
    finally:
        unregister_surface("rawfake")
    with pytest.raises(ScenarioError, match="rawfake: unknown top-level key"):
        Scenario.from_yaml("rawfake: {anything: [1, 2]}\n")


def test_duplicate_users_bad_yaml_and_non_mapping() -> None:
    with pytest.raises(ScenarioError, match=r"users\[1\].name: duplicate user"):
        Scenario.from_yaml("users: [{name: a}, {name: A}]")
    with pytest.raises(ScenarioError, match=r"x.yaml: invalid YAML: line 1, column"):
        Scenario.from_yaml("users: [", "x.yaml")
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        Scenario.from_yaml("- 1")
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.load("/nonexistent/scenario.yaml")


def test_to_dict_masks_passwords() -> None:
    d = Scenario.from_yaml("users: [{name: a, password: hunter22}]").to_dict()
    assert "hunter22" not in repr(d)
