"""A child process on a pseudo-terminal: what the CLI shows a person at a real terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import termios
import time

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def has_pty() -> bool:
    """True if this machine can open a pseudo-terminal."""
    try:
        primary, secondary = os.openpty()
    except OSError:
        return False
    os.close(primary)
    os.close(secondary)
    return True


class Terminal:
    """A child process on a pseudo-terminal (``columns`` wide), read until a text appears."""

    def __init__(self, argv: list[str], env: dict[str, str], *, columns: int = 80) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the CLI, its controlling tty is the pty
            try:
                # The size is set on the child's side before exec: no race with its first read.
                fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
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
        """Type ``line`` and Enter."""
        os.write(self.fd, line.encode() + b"\r")

    def press(self, key: bytes) -> None:
        """Press one key, e.g. Ctrl-D (``b"\\x04"``)."""
        os.write(self.fd, key)

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

    def text(self) -> str:
        """What was printed, decoded."""
        return self.seen.decode("utf-8", errors="replace")

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


def screen_lines(text: str) -> list[str]:
    """``text`` split into lines as a terminal shows them: escape codes dropped, and a
    carriage return starting the line over (the last frame of a redrawn line wins)."""
    lines = []
    for raw in ANSI.sub("", text).split("\n"):
        parts = [p for p in raw.split("\r") if p]
        lines.append(parts[-1] if parts else "")
    return lines
