"""docs/cli.md's Commands block names every command the CLI has (and nothing it lacks)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from vreconnect.cli.app import app

CLI_MD = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _command_paths() -> set[str]:
    """``host reconnect``, ``recover-all``, ...: every visible command of the CLI."""
    root = typer.main.get_command(app)
    paths: set[str] = set()

    def walk(command: object, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if getattr(sub, "hidden", False):
                continue
            if getattr(sub, "commands", None):
                walk(sub, f"{prefix}{name} ")
            else:
                paths.add(f"{prefix}{name}")

    walk(root, "")
    return paths


def _documented() -> set[str]:
    text = CLI_MD.read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1]
    block = re.search(r"^```\w*\n(.*?)^```", section, re.M | re.S)
    assert block is not None, "no Commands block"
    paths = set()
    for line in block.group(1).splitlines():
        # "host reconnect HOST [...]", "recover-all [...]"; continuation lines start blank.
        words = re.match(r"^([a-z][a-z-]*)(?: ([a-z][a-z-]*))?\b", line)
        if words and not line.startswith("vreconnect"):
            paths.add(" ".join(w for w in words.groups() if w))
    return paths


def test_commands_block_lists_every_command() -> None:
    commands = _command_paths()
    assert {"host reconnect", "contract", "recover-all", "sim serve"} <= commands
    documented = _documented()
    assert not commands - documented, f"docs/cli.md lacks: {sorted(commands - documented)}"
    assert not documented - commands, f"no such commands: {sorted(documented - commands)}"
