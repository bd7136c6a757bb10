"""The password prompt, on a real terminal (a pseudo-terminal): asked for, never echoed.

``vreconnect`` reads the password from ``VRECONNECT_PASSWORD`` or ``--password-env``; with
neither and a terminal on stdin it prompts (getpass, which reads ``/dev/tty`` with echo off).
"""

from __future__ import annotations

import os
import pty
import select
import time

import pytest

from .conftest import ADMIN, PASSWORD, PROVIDER, VRECONNECT, ServedSimulator


def _has_pty() -> bool:
    try:
        primary, secondary = os.openpty()
    except OSError:
        return False
    os.close(primary)
    os.close(secondary)
    return True


pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(not _has_pty(), reason="this machine cannot open a pseudo-terminal"),
]


class Terminal:
    """A child process on a pseudo-terminal, read until a text appears."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the CLI, its controlling tty is the pty
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.seen = b""

    def read_until(self, text: bytes, timeout: float = 60) -> bytes:
        """Everything printed so far, once ``text`` is in it; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {text!r} on the terminal; it shows {self.seen!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    pytest.fail(f"the terminal closed without {text!r}; it shows {self.seen!r}")
                self.seen += chunk
        return self.seen

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def exit_status(self, timeout: float = 60) -> int:
        """Wait for the child, draining its output; its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._drain()
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            self._drain(0.1)
        os.kill(self.pid, 9)
        pytest.fail(f"the CLI did not exit; the terminal shows {self.seen!r}")

    def _drain(self, wait: float = 0) -> None:
        while select.select([self.fd], [], [], wait)[0]:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk
            wait = 0


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
