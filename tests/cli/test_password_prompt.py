"""The password prompt, on a real terminal (a pseudo-terminal): asked for, never echoed.

``vreconnect`` reads the password from ``VRECONNECT_PASSWORD`` or ``--password-env``; with
neither and a terminal on stdin it prompts (getpass, which reads ``/dev/tty`` with echo off).
"""

from __future__ import annotations

import pytest

from .conftest import ADMIN, DISCONNECTED_HOST, PASSWORD, PROVIDER, VRECONNECT, ServedSimulator
from .terminal import Terminal, has_pty, screen_lines

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(not has_pty(), reason="this machine cannot open a pseudo-terminal"),
]


def _env_without_password(sim: ServedSimulator) -> dict[str, str]:
    env = sim.env()
    del env["VRECONNECT_PASSWORD"]
    env["TERM"] = "dumb"
    return env


def test_prompts_on_a_terminal_and_never_echoes_the_password(sim: ServedSimulator) -> None:
    term = Terminal(
        [str(VRECONNECT), "--json", "vasa", "reconnect", PROVIDER], _env_without_password(sim)
    )
    term.read_until(f"Password for {ADMIN}: ".encode())
    term.type(PASSWORD)
    status = term.exit_status()
    assert status == 0, term.seen.decode(errors="replace")
    assert b'"ok": true' in term.seen
    assert PASSWORD.encode() not in term.seen  # echo was off


def test_a_wrong_password_typed_at_the_prompt_is_invalid_login(sim: ServedSimulator) -> None:
    typed = "Typed-Wr0ng-Secret"
    term = Terminal([str(VRECONNECT), "vasa", "reconnect", PROVIDER], _env_without_password(sim))
    term.read_until(b"Password")
    term.type(typed)
    status = term.exit_status()
    assert status == 1, term.seen.decode(errors="replace")
    assert b"error: InvalidLogin: Cannot complete login" in term.seen
    assert typed.encode() not in term.seen
    assert b"Traceback" not in term.seen


def test_end_of_input_at_the_prompt_is_a_usage_error(sim: ServedSimulator) -> None:
    term = Terminal([str(VRECONNECT), "vasa", "reconnect", PROVIDER], _env_without_password(sim))
    term.read_until(b"Password")
    term.press(b"\x04")  # Ctrl-D on an empty line: end of input, no password
    status = term.exit_status()
    assert status == 2, term.text()
    # The error starts a line of its own, not the prompt's.
    assert "error: UsageError: no password entered (end of input at the password prompt)" in (
        screen_lines(term.text())
    )
    assert f"Password for {ADMIN}: " in screen_lines(term.text())
    assert "Traceback" not in term.text() and "unexpected" not in term.text()


def test_end_of_input_at_the_host_password_prompt_too(sim: ServedSimulator) -> None:
    term = Terminal(
        [str(VRECONNECT), "host", "reconnect", DISCONNECTED_HOST, "--user", "root"], sim.env()
    )
    term.read_until(b"Password for root on the host")
    term.press(b"\x04")
    assert term.exit_status() == 2, term.text()
    assert "no password entered" in term.text()
