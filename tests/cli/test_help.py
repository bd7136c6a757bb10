"""Every command's --help reads well on an 80-column terminal (in-process, no server).

rich wraps greedily: in a reflowed paragraph the first word of a line never fits at the end
of the line before. A source line break kept in a help text breaks that rule (a ragged
line); a column too narrow for a word cuts it with "…".
"""

from __future__ import annotations

import itertools
import re

import pytest
import typer
from typer.testing import CliRunner

from vreconnect.cli.app import app

WIDTH = 80


def _command_paths() -> list[list[str]]:
    """Every command and group, visible or not (``[]`` is the root)."""
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


def ragged_lines(text: str, width: int = WIDTH) -> list[str]:
    """Lines whose successor's first word would have fitted on them (see the module doc).

    A successor is checked only where it continues the same cell: its text starts in a
    column that the line before also has text in, and (inside a panel) not in the first
    column. Typer's own ``[default: ...]`` / ``[env var: ...]`` lines are left out.
    """
    found = []
    lines = text.splitlines()
    for before, line in itertools.pairwise(lines):
        boxed = line.startswith("│") and before.startswith("│")
        if boxed:
            right = line.rstrip().rfind("│")
            inner, inner_before = line[:right], before[:right]
            start = len(inner) - len(inner[1:].lstrip()) if inner[1:].strip() else -1
            if start <= 2:  # an empty line, or a new row (its first column)
                continue
        else:
            if "│" in line or "│" in before or "─" in before:
                continue
            right = width
            inner, inner_before = line, before
            start = len(inner) - len(inner.lstrip())
            if not inner.strip():
                continue
        if start >= len(inner_before.rstrip()) or inner_before[start] == " ":
            continue  # the line before has no text in this cell
        word = inner[start:].split()[0]
        if word.startswith("["):
            continue
        used = len(inner_before[start:].rstrip())
        room = (right - 1) - start  # one column of padding before the border or the edge
        if used + 1 + len(word) <= room - 1:
            found.append(f"{before.rstrip()}\n{line.rstrip()}")
    return found


def test_the_ragged_line_check_can_fail() -> None:
    reflowed = " one two three four five six\n seven eight nine\n"
    assert ragged_lines(reflowed, width=30) == []
    source_breaks = " one two three\n four five six seven eight\n"
    assert ragged_lines(source_breaks, width=30)
    boxed = "│ --opt  NAME  one two three          │\n│              four five six         │\n"
    assert ragged_lines(boxed)
    boxed_ok = "│ --opt  NAME  one two three four    │\n│              five six              │\n"
    assert ragged_lines(boxed_ok) == []


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "root")
def test_help_fits_80_columns_without_ragged_or_cut_lines(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert max(len(line) for line in text.splitlines()) <= WIDTH, text
    cut = [line for line in text.splitlines() if "…" in line]
    assert not cut, "cut off at 80 columns:\n" + "\n".join(cut)
    ragged = ragged_lines(text)
    assert not ragged, "ragged (a source line break?):\n" + "\n\n".join(ragged)
    # rich markup must not eat what the help shows in square brackets.
    assert not re.search(r"\[/?(bold|red|green|dim)\]", text)
