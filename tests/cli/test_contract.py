"""``vreconnect contract``'s command line, in process: help, environment, usage errors, exit 4.

The suite itself, and ``contract`` against ``vreconnect sim serve``, are tested in
``tests/property`` (test_engine.py, test_socket.py).
"""

from __future__ import annotations

import itertools
import os
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner, Result

from vreconnect.cli.app import app


def _contract(*args: str, **env: str) -> Result:
    """``vreconnect contract ARGS`` with none of the caller's VRECONNECT_* variables."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VRECONNECT_")}
    clean.update(COLUMNS="80", NO_COLOR="1", **env)
    return CliRunner().invoke(app, ["contract", *args], env=clean)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_reflows_and_names_no_unread_variable() -> None:
    """The description fills the lines of an 80-column terminal (no hard line breaks left
    over from the source), and no option claims an environment variable it does not read
    (without --url the environment names no server)."""
    result = _contract("--help")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("╭"))
    description = [line.strip() for line in lines[:end]]
    width = 78  # 80 columns less rich's one-column margin on each side
    for line, after in itertools.pairwise(description):
        if line and after and not line.startswith("Usage:"):
            # A line ends early only where the next word would not have fitted on it.
            assert len(line) + 1 + len(after.split()[0]) > width, (line, after)
    for variable in ("VRECONNECT_URL", "VRECONNECT_USER", "VRECONNECT_READONLY_USER"):
        assert f"[env var: {variable}]" not in result.stdout, variable
    assert "--reset-simulator" in result.stdout and "vcha-cluster" in result.stdout


def test_with_url_the_user_comes_from_the_environment(tmp_path: Path) -> None:
    """With --url, VRECONNECT_USER and VRECONNECT_PASSWORD are read as documented (before,
    "no user given"); a server that cannot be reached is exit 4 with a JUnit file saying so;
    --insecure is warned about in the command's own flags, not the Python API's."""
    junit = tmp_path / "out" / "junit.xml"
    url = f"https://127.0.0.1:{_closed_port()}"
    result = _contract(
        "--url",
        url,
        "--insecure",
        "--junit",
        str(junit),
        VRECONNECT_USER="administrator@vsphere.local",
        VRECONNECT_PASSWORD="not-sent",
    )
    assert result.exit_code == 4, result.output
    assert "no user given" not in result.stderr
    # The socket's own words, not requests' nested reprs of them.
    line = next(x for x in result.stderr.splitlines() if x.startswith("error:"))
    assert line.startswith(f"error: ConnectionError: cannot reach {url}: [Errno "), line
    assert line.endswith("Connection refused") and "HTTPSConnection" not in line, line
    assert "--insecure" in result.stderr and "TLSConfig" not in result.stderr
    root = ET.parse(junit).getroot()
    errors = list(root.iter("error"))
    assert len(errors) == 1 and url in (errors[0].get("message") or "")
    assert root.get("errors") == "1" and root.get("tests") == "1"


def test_usage_errors() -> None:
    """2 and one error line for a command line that cannot work."""
    no_url = _contract("--reset-simulator")
    assert no_url.exit_code == 2 and "--reset-simulator needs --url" in no_url.stderr
    bad_kind = _contract("--url", "https://vc.example.com", "--object", "cluster=x")
    assert bad_kind.exit_code == 2 and "vcha-cluster" in bad_kind.stderr
    no_user = _contract("--url", "https://vc.example.com")
    assert no_user.exit_code == 2 and "no user given" in no_user.stderr
