"""Every code example in README.md runs, against the simulator over a real TLS socket.

* ``python`` blocks run in a fresh namespace with ``VRECONNECT_*`` pointing at the simulator,
  which is reset before each block; a block that starts with ``# test_<name>.py`` is a
  downstream test module and is run by pytest in a subprocess (the installed plugin serves it).
* ``sh`` blocks run in bash with the same environment, the virtual environment first on PATH;
  background jobs they start are killed when the block ends.
* The deep property run (``VRECONNECT_DEEP=1 ./scripts/test ... -m deep``, ~10 minutes) is
  run with pytest's ``--collect-only``: the command must be valid and select the deep tests.
* The quickstart block is the one exception: it must be exactly ``./scripts/run`` and
  ``./scripts/test``, which CI runs itself (``.ci/run``) and
  ``tests/cli/test_main_job.py::test_scripts_run_end_to_end`` runs end to end.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vreconnect_sim.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)
QUICKSTART = "./scripts/run\n./scripts/test\n"


def blocks() -> list[tuple[str, str]]:
    """(language, code) for every fenced block of README.md."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(README.read_text(encoding="utf-8"))]


def runnable() -> list[object]:
    """The blocks the suite executes, as pytest params named after their first line."""
    out = []
    for index, (lang, code) in enumerate(blocks()):
        if lang not in ("python", "sh") or code == QUICKSTART:
            continue
        first = code.strip().splitlines()[0][:50]
        out.append(pytest.param(lang, code, id=f"{index}-{lang}-{first}"))
    return out


def test_quickstart_is_exactly_the_two_commands() -> None:
    quickstart = [code for lang, code in blocks() if code == QUICKSTART]
    assert len(quickstart) == 1
    assert "## Quickstart" in README.read_text(encoding="utf-8").split(QUICKSTART)[0]


def test_every_block_is_python_sh_or_a_listing() -> None:
    languages = {lang for lang, _ in blocks()}
    assert languages <= {"python", "sh", ""}, languages
    assert len(runnable()) >= 10


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with SimulatorServer(tls=True) as server:
        yield server


@pytest.fixture
def readme_env(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    with httpx.Client(verify=simulator.ssl_context()) as control:
        control.post(f"{simulator.base_url}/_sim/reset").raise_for_status()
    env = {
        "VRECONNECT_URL": simulator.base_url,
        "VRECONNECT_VR_URL": simulator.base_url,
        "VRECONNECT_USER": "administrator@vsphere.local",
        "VRECONNECT_PASSWORD": "VMware1!",
        "VRECONNECT_CA_FILE": str(simulator.ca_file),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.mark.socket
@pytest.mark.parametrize(("lang", "code"), runnable())
def test_readme_example_runs(
    lang: str, code: str, readme_env: dict[str, str], tmp_path: Path
) -> None:
    if lang == "python" and re.match(r"# (test_\w+\.py)", code):
        name = re.match(r"# (test_\w+\.py)", code).group(1)  # type: ignore[union-attr]
        (tmp_path / name).write_text(code, encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert " passed" in run.stdout
    elif lang == "python":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
        assert out.getvalue().strip(), "the example printed nothing"
    else:
        env = dict(os.environ, **readme_env)
        if "VRECONNECT_DEEP=1 ./scripts/test" in code:
            code = code.replace("./scripts/test", f"{sys.executable} -m pytest --collect-only")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", code + "\nsleep 0.5\n"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        assert proc.returncode == 0, output
        assert "Traceback" not in output, output
        if "--collect-only" in code:
            assert re.search(
                r"\b([1-9]\d*) tests? collected|\b([1-9]\d*)/\d+ tests collected", output
            ), output
