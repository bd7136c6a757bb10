"""Every code example in README.md runs, against the simulator over a real TLS socket.

* ``python`` blocks run in a fresh namespace with ``VRECONNECT_*`` pointing at the simulator,
  which is reset before each block; a block that starts with ``# test_<name>.py`` is a
  downstream test module and is run by pytest in a subprocess (the installed plugin serves it).
* ``sh`` blocks run in bash with the same environment, the virtual environment first on PATH.
  A block that starts ``vreconnect sim serve ... &`` must print its banner, answer over TLS
  with the certificate it printed (on a free port in place of the README's) and stop cleanly
  on SIGTERM; background jobs are killed when the block ends.
* The deep property run (``VRECONNECT_DEEP=1 ./scripts/test ... -m deep``, ~10 minutes) is
  run with pytest's ``--collect-only``: the command must be valid and select the deep tests.
* The quickstart block is the one exception: it must be exactly ``./scripts/run`` and
  ``./scripts/test``, which CI runs itself (``.ci/run``) and
  ``tests/cli/test_main_job.py::test_scripts_run_end_to_end`` runs end to end.
* ``text`` blocks are listings (not run). Every fence must name one of ``python``, ``sh``,
  ``text``: an untagged block would otherwise be skipped without anyone noticing.
* A python line ``print(...)  # VALUE`` promises VALUE as output: each VALUE must appear in
  the block's stdout, in order (a trailing `` ...`` elides the rest of the printed line).
* The simulator's tasks end at once, except in the sections of :data:`TASK_SECONDS`: there
  they take that long (set through the control API), so that, e.g., the waiting example's
  ``TaskTimeout`` branch really runs and prints what it promises.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vreconnect_sim.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Any opening fence: ``` with or without an info string (``` python counts as python).
FENCE = re.compile(r"^```[ \t]*([^\n`]*?)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
LANGUAGES = {"python", "sh", "text"}
QUICKSTART = "./scripts/run\n./scripts/test\n"
# A print whose trailing comment shows what it prints.
PRINT_WITH_OUTPUT = re.compile(r"^\s*print\(.*\)\s+#\s(?P<value>.+?)\s*$")
HEADING = re.compile(r"^#{1,6} +(?P<title>.+?) *$", re.M)
# README section -> seconds every simulated task runs while that section's blocks run.
TASK_SECONDS = {
    # wait(timeout=0.01) must time out on a running task, which is then resumed.
    "Waiting: deadlines, progress, resuming, many tasks": 0.5,
}


def blocks(text: str | None = None) -> list[tuple[str, str]]:
    """(language, code) for every fenced block of README.md (or of ``text``)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    return [(m.group(1).split()[0] if m.group(1) else "", m.group(2)) for m in FENCE.finditer(text)]


def sections(text: str | None = None) -> list[str]:
    """The title of the section each fenced block is in, in the order of :func:`blocks`."""
    text = README.read_text(encoding="utf-8") if text is None else text
    titles = []
    for match in FENCE.finditer(text):
        # Headings only outside the blocks: a python comment line also starts with "#".
        prose = FENCE.sub("", text[: match.start()])
        headings = HEADING.findall(prose)
        titles.append(headings[-1] if headings else "")
    return titles


def promised_outputs(code: str) -> list[str]:
    """The VALUEs of ``print(...)  # VALUE`` lines, in order (`` ...`` suffix dropped)."""
    values = []
    for line in code.splitlines():
        match = PRINT_WITH_OUTPUT.match(line)
        if match:
            values.append(match.group("value").removesuffix(" ...").removesuffix("..."))
    return values


def missing_outputs(code: str, stdout: str) -> list[str]:
    """The promised outputs of ``code`` that ``stdout`` does not show (in order)."""
    missing, position = [], 0
    for value in promised_outputs(code):
        found = stdout.find(value, position)
        if found < 0:
            missing.append(value)
        else:
            position = found + len(value)
    return missing


def runnable() -> list[object]:
    """The blocks the suite executes, as pytest params named after their first line."""
    out: list[object] = []
    for index, ((lang, code), section) in enumerate(zip(blocks(), sections(), strict=True)):
        if lang not in ("python", "sh") or code == QUICKSTART:
            continue
        first = code.strip().splitlines()[0][:50]
        seconds = TASK_SECONDS.get(section)
        slow = f"-tasks {seconds}s" if seconds is not None else ""
        out.append(pytest.param(lang, code, seconds, id=f"{index}-{lang}-{first}{slow}"))
    return out


def test_quickstart_is_exactly_the_two_commands() -> None:
    quickstart = [code for lang, code in blocks() if code == QUICKSTART]
    assert len(quickstart) == 1
    assert "## Quickstart" in README.read_text(encoding="utf-8").split(QUICKSTART)[0]


def test_every_block_is_python_sh_or_a_listing() -> None:
    found = blocks()
    untagged = [code.splitlines()[0] for lang, code in found if lang not in LANGUAGES]
    assert not untagged, f"blocks without python/sh/text: {untagged}"
    # Every fence line belongs to a block the pattern found (none hides in an odd form).
    fences = [line for line in README.read_text(encoding="utf-8").splitlines() if "```" in line]
    assert len(fences) == 2 * len(found), fences
    assert len(runnable()) >= 10


def test_fence_and_output_checks_can_fail() -> None:
    """The checks above and below catch what they are for (on a small sample)."""
    sample = "```\nuntagged\n```\n``` python\nprint(1)  # 2\nprint('a b')  # a ...\n```\n"
    assert blocks(sample) == [
        ("", "untagged\n"),
        ("python", "print(1)  # 2\nprint('a b')  # a ...\n"),
    ]
    code = blocks(sample)[1][1]
    assert promised_outputs(code) == ["2", "a"]
    assert missing_outputs(code, "1\na b\n") == ["2"]
    assert missing_outputs(code, "2\na b\n") == []
    assert missing_outputs(code, "a b\n2\n") == ["a"]  # in order


def test_sections_with_slow_tasks_exist_and_promise_outputs() -> None:
    """A renamed heading must not silently turn the slow tasks off (see TASK_SECONDS)."""
    found = sections()
    assert sections("# A\n```sh\nx\n```\n## B c\n```python\n# not a heading\n```\n") == [
        "A",
        "B c",
    ]
    for title in TASK_SECONDS:
        codes = [
            code
            for (lang, code), section in zip(blocks(), found, strict=True)
            if section == title and lang == "python"
        ]
        assert codes, f"no python block under the README heading {title!r}"
        assert all(promised_outputs(code) for code in codes), title


def test_readme_promises_outputs() -> None:
    promised = [v for lang, code in blocks() if lang == "python" for v in promised_outputs(code)]
    assert len(promised) >= 12, promised


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
@pytest.mark.parametrize(("lang", "code", "task_seconds"), runnable())
def test_readme_example_runs(
    lang: str,
    code: str,
    task_seconds: float | None,
    simulator: SimulatorServer,
    readme_env: dict[str, str],
    tmp_path: Path,
) -> None:
    if task_seconds is not None:  # until the next block's reset (readme_env)
        with httpx.Client(verify=simulator.ssl_context()) as control:
            control.put(
                f"{simulator.base_url}/_sim/settings/tasks",
                json={"default": task_seconds, "jitter": 0},
            ).raise_for_status()
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
        missing = missing_outputs(code, out.getvalue())
        assert not missing, f"promised in comments, not printed: {missing}\n{out.getvalue()}"
    else:
        run_shell_block(code, readme_env, tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(path: Path, text: str, timeout: float) -> str:
    """The file's content once it contains ``text``; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        content = path.read_text(encoding="utf-8", errors="replace")
        if text in content:
            return content
        if time.monotonic() > deadline:
            pytest.fail(f"no {text!r} within {timeout:.0f}s; output so far:\n{content}")
        time.sleep(0.1)


def run_shell_block(code: str, readme_env: dict[str, str], tmp_path: Path) -> None:
    """Run one ``sh`` block in bash; a ``vreconnect sim serve ... &`` line is a server to check.

    Output goes to a file, not a pipe: a background job inherits the block's stdout, and a
    pipe held open by it would never reach end-of-file. The README's fixed port is swapped
    for a free one so the check cannot collide with anything else on the machine.
    """
    env = dict(os.environ, **readme_env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    if "VRECONNECT_DEEP=1 ./scripts/test" in code:
        code = code.replace("./scripts/test", f"{sys.executable} -m pytest --collect-only")
    serves = re.search(r"^vreconnect sim serve\b.*&\s*$", code, re.M) is not None
    port = _free_port()
    if serves:
        code = re.sub(r"--port \d+", f"--port {port}", code)
    log = tmp_path / "output.txt"
    with log.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", code],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        status = proc.wait(timeout=600)
        if serves:
            banner = _wait_for(log, "Press Ctrl-C to stop.", timeout=120)
            assert f"https://127.0.0.1:{port}/sdk/vim25/" in banner, banner
            assert re.search(r"SHA-256 thumbprint  ([0-9A-F]{2}:){31}[0-9A-F]{2}", banner), banner
            # The server is checked with the certificate it printed, as a user would.
            certificate = re.search(r"certificate  (\S+)", banner)
            assert certificate is not None, banner
            trust = ssl.create_default_context(cafile=certificate.group(1))
            reply = httpx.get(f"https://127.0.0.1:{port}/_sim/health", verify=trust, timeout=30)
            assert reply.status_code == 200, reply.text
            hosts = re.search(r"--hosts (\d+)", code)
            if hosts:
                assert reply.json()["fleet_size"] == int(hosts.group(1)), reply.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    if serves:
        _wait_for(log, "vreconnect simulator stopped.", timeout=30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert status == 0, output
    assert "Traceback" not in output, output
    if "--collect-only" in code:
        assert re.search(
            r"\b([1-9]\d*) tests? collected|\b([1-9]\d*)/\d+ tests collected", output
        ), output
