"""What a person at an 80-column terminal sees: progress bars, the summary, the cursor back.

Each command runs on a pseudo-terminal (``tests/cli/terminal.py``), so rich draws live bars
exactly as it would for a user; the tests read the final frame back as screen lines.
"""

from __future__ import annotations

import re

import pytest

from .conftest import DISCONNECTED_HOST, VRECONNECT, ServedSimulator
from .terminal import Terminal, has_pty, screen_lines

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(not has_pty(), reason="this machine cannot open a pseudo-terminal"),
]

HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
ELAPSED = re.compile(r"\d:\d\d:\d\d$")


def _terminal_env(env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in env.items() if k != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="40")
    return env


def test_a_command_draws_a_bar_and_gives_the_cursor_back(sim: ServedSimulator) -> None:
    with sim.control() as control:
        control.put("/settings/tasks", json={"default": 0.3}).raise_for_status()
    term = Terminal(
        [str(VRECONNECT), "host", "reconnect", DISCONNECTED_HOST], _terminal_env(sim.env())
    )
    assert term.exit_status() == 0, term.text()
    text = term.text()
    assert HIDE_CURSOR in text and text.rindex(SHOW_CURSOR) > text.rindex(HIDE_CURSOR)
    lines = screen_lines(text)
    bars = [line for line in lines if f"reconnect {DISCONNECTED_HOST}" in line and "━" in line]
    assert bars, lines
    final = bars[-1]
    assert "100%" in final and ELAPSED.search(final.rstrip()), final
    assert any("ReconnectHost_Task succeeded" in line for line in lines)
    assert all(len(line) <= 80 for line in lines), lines


def test_recover_all_at_80_columns(sim: ServedSimulator) -> None:
    env = _terminal_env({k: v for k, v in sim.env().items() if not k.startswith("VRECONNECT_")})
    term = Terminal([str(VRECONNECT), "recover-all", "--task-seconds", "0.1"], env)
    assert term.exit_status() == 0, term.text()
    text = term.text()
    assert text.rindex(SHOW_CURSOR) > text.rindex(HIDE_CURSOR)
    # The last frame of the bars: one per item, nothing cut that matters.
    frame = screen_lines(text[: text.rindex(SHOW_CURSOR)])
    items = ("host-102", "host-106", "host-201", "vasa-2", "vcha", "e30d7438")
    finals = {}
    for line in frame:
        words = line.split()  # a spinner (while running) or nothing, then the item
        item = next((w for w in words[:2] if w in items), None)
        if item is not None and "recovered" in line:
            finals[item] = line
    assert set(finals) == set(items), frame
    for line in finals.values():
        assert "100%" in line and ELAPSED.search(line.rstrip()), line
    # The summary: every item and state whole, within 80 columns.
    after = screen_lines(text[text.rindex(SHOW_CURSOR) :])
    table = "\n".join(after)
    assert "Recovery summary" in table
    for word in (*items, "disconnected", "-> connected", "initializationError", "DEGRADED"):
        assert word in table
    assert "All recovered: 6 of 6 recovered." in table
    assert all(len(line) <= 80 for line in after), after
