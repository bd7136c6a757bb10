"""scripts/generator/generate.py: pinned tools, its subprocesses' PATH, the whole-tree check."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .test_documents import ROOT
from .test_generator_templates import EDITS

GENERATOR = ROOT / "scripts" / "generator" / "generate.py"


def _generate() -> ModuleType:
    # generate.py imports its sibling template_edits as a top-level module (it runs as a
    # script); test_generator_templates has already registered that module.
    assert sys.modules["template_edits"] is EDITS
    spec = importlib.util.spec_from_file_location("vreconnect_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generate()


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """A directory holding ``files`` (relative path -> text)."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_installed_generators_are_the_pinned_ones() -> None:
    pins = GEN.pinned_versions()
    assert {"openapi-python-client", "datamodel-code-generator", "ruff"} <= pins.keys()
    assert GEN.pin_mismatches(pins) == []


def test_a_generator_version_other_than_the_pin_stops_generation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    installed = {t: GEN.installed_version(t) for t in GEN.PINNED_TOOLS}
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[project]\nname = 'x'\ndependencies = []\n[project.optional-dependencies]\ndev = [\n"
        f"  'openapi-python-client=={installed['openapi-python-client']}',\n"
        "  'Datamodel_Code.Generator==0.1.0',\n"  # a pin in another spelling of the name
        "]\n"
    )
    assert GEN.pinned_versions(pyproject)["datamodel-code-generator"] == "0.1.0"
    with pytest.raises(SystemExit) as stopped:
        GEN.check_pins(pyproject)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"datamodel-code-generator {installed['datamodel-code-generator']} is installed, "
        "but pyproject.toml pins 0.1.0" in err
    )
    assert "ruff is not pinned" in err
    assert "openapi-python-client" not in err  # the matching pin is not reported
    assert "pip install -e '.[dev]'" in err


def test_a_tool_that_is_not_installed_is_reported() -> None:
    problems = GEN.pin_mismatches({"ruff": "0.17.6"}, installed=lambda _name: None, tools=("ruff",))
    assert problems == ["ruff 0.17.6 is pinned in pyproject.toml but not installed"]


def test_generator_subprocesses_find_ruff_without_the_venv_on_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `.venv/bin/python scripts/generator/generate.py` from a shell whose PATH has no venv:
    # the client post-hooks run `ruff` by name.
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    env = GEN.tool_env()
    bin_dir = Path(sys.executable).parent
    assert env["PATH"].split(":")[0] == str(bin_dir)
    assert shutil.which("ruff", path=env["PATH"]) == str(bin_dir / "ruff")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_the_check_covers_all_of_generated(tmp_path: Path) -> None:
    package = {"vreconnect_generated/__init__.py": "# g\n", "vreconnect_generated/m.py": "x = 1\n"}
    fresh = write_tree(tmp_path / "fresh", package)
    current = write_tree(
        tmp_path / "current",
        {
            **package,
            "stray.py": "print('not generated')\n",
            "notes/todo.txt": "x\n",
            "vreconnect_generated/extra.py": "y = 2\n",
            "__pycache__/stray.cpython-311.pyc": "",
            "vreconnect_generated/__pycache__/m.cpython-311.pyc": "",
        },
    )
    assert GEN.stale_files(fresh, current) == [
        "extra     notes/todo.txt",
        "extra     stray.py",
        "extra     vreconnect_generated/extra.py",
    ]
    (current / "vreconnect_generated" / "m.py").write_text("x = 2\n")
    (current / "vreconnect_generated" / "__init__.py").unlink()
    assert GEN.stale_files(fresh, current) == [
        "missing   vreconnect_generated/__init__.py",
        "extra     notes/todo.txt",
        "extra     stray.py",
        "extra     vreconnect_generated/extra.py",
        "different vreconnect_generated/m.py",
    ]


def test_regeneration_leaves_exactly_the_generated_tree(tmp_path: Path) -> None:
    fresh = write_tree(tmp_path / "fresh", {"vreconnect_generated/m.py": "x = 1\n"})
    current = write_tree(
        tmp_path / "current",
        {
            "stray.py": "",
            "vreconnect_generated/old.py": "",
            "__pycache__/keep.pyc": "",
        },
    )
    GEN.replace_tree(fresh, current)
    assert GEN.stale_files(fresh, current) == []
    assert (current / "__pycache__" / "keep.pyc").exists()  # caches are not the generator's


def test_generated_holds_only_the_generated_package() -> None:
    assert {Path(p).parts[0] for p in GEN.tree(GEN.GENERATED)} == {GEN.PACKAGE}
