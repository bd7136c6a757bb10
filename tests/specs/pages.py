"""The five source pages (``tests/fixtures/seeds``, copies of ``shared/seeds``), read for tests.

The pages are captured documentation pages: prose, UI labels ("Request", "COPY", "Required"),
field blocks, status codes and JSON samples. This module splits them into what the specs must
carry: prose sentences, fault lines, error rows, statuses, field blocks and JSON samples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


@dataclass(frozen=True)
class Page:
    """One source page and the operation that transcribes it."""

    number: str
    doc: str
    operation_id: str
    samples: tuple[tuple[str, str], ...]
    """(part, example name) of each JSON sample in page order; part is "request" or a status."""


PAGES = (
    Page(
        "000",
        "vim25",
        "ReconnectHost_Task",
        (("request", "page000"), ("200", "page000"), ("500", "page000")),
    ),
    Page("001", "vim25", "ReconfigureHostForDAS_Task", (("200", "page001"), ("500", "page001"))),
    Page("002", "sms", "VasaProviderReconnect_Task", (("200", "page002"), ("500", "page002"))),
    Page(
        "003",
        "vcenter",
        "vcha_cluster_passive_redeploy_task",
        (("request", "page003"), ("200", "page003")),
    ),
    Page(
        "004",
        "vr",
        "reconnect_pairing",
        (
            ("request", "page004-minimal"),
            ("request", "page004-full"),
            ("202", "page004"),
            ("400", "page004"),
            ("403", "page004"),
        ),
    ),
)

# Lines that are page furniture, not something the API says: the page's UI labels and the
# authentication box, which is empty on every captured page.
FURNITURE = frozenset(
    {
        "Name Type Description",
        "bold = required",
        "HTTP Status Code Type Description",
        "HTTP request",
        "Path Parameters",
        "Request Body",
        "Show optional properties",
        "Code Samples",
        "This operation uses the following authentication methods.",
    }
)

# Lines checked structurally rather than as prose (see the tests of test_pages.py).
STRUCTURAL = (
    re.compile(r"^(POST |GET )?https://"),  # the request URL
    re.compile(r"^Returns \w+ of type\(s\) \S+$"),  # a response body's schema
    re.compile(r"^\w+ of type\(s\) \S+$"),  # the request body's schema
    re.compile(r"^Operation doesn't return any data structure$"),
    re.compile(r"^HTTP Status Code: \d{3}$"),
    re.compile(r"^string As \w+ As \w+$"),  # a field's type and format
    re.compile(r'^"[^"]*"$'),  # a placeholder body ("ResponseError Object")
)
LABEL = re.compile(r"^[\w.-]+$")  # one word: a field name, a status, "Required", "COPY"...
HEADING = re.compile(r"^[A-Z][\w ]{0,30}:$")  # "Request:", "Request Body Parameters:"...
# Page 003's parameter and response tables start each row with "<name> <type> ".
TABLE_ROW = re.compile(r"^(?:spec(?:\.\w+)*|value) [a-z_0-9]+(?:\[\])?(?: |$)")
# Page 003's error table starts each row with "<status> <type> ".
ERROR_ROW = re.compile(r"^(\d{3}) ([a-z_]+) (.*)$")
FAULT_LINE = re.compile(r"^([A-Z][A-Za-z]+): (.+)$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def normalise(text: str) -> str:
    """Text with non-breaking spaces, Markdown backticks and runs of whitespace folded."""
    return " ".join(text.replace("\u00a0", " ").replace("`", "").split())


@cache
def lines(page: Page) -> tuple[str, ...]:
    """The page's lines, non-breaking spaces as spaces, trailing blanks stripped."""
    (path,) = SEEDS.glob(f"{page.number}_*.txt")
    text = path.read_text(encoding="utf-8").replace("\u00a0", " ")
    return tuple(line.rstrip() for line in text.splitlines())


def _blocks(page: Page) -> list[tuple[int, int]]:
    """(first, last) line index of every JSON sample: a block opened by a lone ``{``."""
    found = []
    all_lines = lines(page)
    i = 0
    while i < len(all_lines):
        if all_lines[i].strip() == "{":
            depth, j = 0, i
            while True:
                # Braces inside strings would miscount; the samples have none.
                depth += all_lines[j].count("{") + all_lines[j].count("[")
                depth -= all_lines[j].count("}") + all_lines[j].count("]")
                if depth == 0:
                    break
                j += 1
            found.append((i, j))
            i = j + 1
        else:
            i += 1
    return found


def _repair(text: str) -> str:
    """Page 003's sample with the colons it lacks restored (``"port"1`` -> ``"port":1``)."""
    out = []
    for line in text.splitlines():
        match = re.match(r'^(\s*"[^"]+")(.+)$', line)
        if match and not match.group(2).lstrip().startswith((":", ",")):
            line = f"{match.group(1)}:{match.group(2)}"
        out.append(line)
    return "\n".join(out)


def samples(page: Page) -> list[Any]:
    """The page's JSON samples, parsed, in page order (page 003's repaired first)."""
    all_lines = lines(page)
    parsed = []
    for first, last in _blocks(page):
        text = "\n".join(all_lines[first : last + 1])
        parsed.append(json.loads(_repair(text) if page.number == "003" else text))
    return parsed


def outside_samples(page: Page) -> list[str]:
    """The page's non-blank lines outside its JSON samples, stripped."""
    inside = {i for first, last in _blocks(page) for i in range(first, last + 1)}
    return [line.strip() for i, line in enumerate(lines(page)) if i not in inside and line.strip()]


def prose(page: Page) -> list[str]:
    """Every prose line of the page, as the spec should carry it.

    Broken lines are joined (pages 000/001 split "moType/moId" / ", in this case ..." / "."),
    page 003's stray ". When" lines and run-on ".When" are mended, and its table rows lose
    their "<name> <type>" or "<status> <type>" prefix.
    """
    merged: list[str] = []
    for line in outside_samples(page):
        if merged and line.startswith(". ") and merged[-1].endswith("."):
            merged[-1] += " " + line[2:]
        elif merged and line.startswith((",", ".")):
            merged[-1] += line
        else:
            merged.append(line)
    out = []
    for line in merged:
        if line in FURNITURE or LABEL.match(line) or HEADING.match(line):
            continue
        if any(pattern.match(line) for pattern in STRUCTURAL):
            continue
        line = TABLE_ROW.sub("", line)
        if row := ERROR_ROW.match(line):
            line = row.group(3)
        line = re.sub(r"(?<=[a-z])\.(?=When )", ". ", line)  # page 003: "host.When" -> "host. When"
        if line:
            out.append(line)
    return out


def sentences(page: Page) -> list[str]:
    """The page's prose, normalised and cut into sentences."""
    return [s for line in prose(page) for s in SENTENCE_END.split(normalise(line)) if s]


def fault_lines(page: Page) -> list[tuple[str, str]]:
    """(fault, text) of every ``Name: text`` line (pages 000-002 list their faults so)."""
    return [
        (m.group(1), m.group(2))
        for line in outside_samples(page)
        if (m := FAULT_LINE.match(line)) and m.group(1) not in ("IPV4", "IPV6")
    ]


def error_rows(page: Page) -> list[tuple[str, str]]:
    """(status, error type) of every row of page 003's error table."""
    rows = outside_samples(page)
    start = rows.index("HTTP Status Code Type Description")
    return [(m.group(1), m.group(2)) for line in rows[start:] if (m := ERROR_ROW.match(line))]


@dataclass(frozen=True)
class ResponseBlock:
    """A status of a structured page (002, 004) with what it says about the body."""

    status: str
    body: str | None
    """The schema name of "Returns <name> of type(s) ...", None for "doesn't return any data"."""
    media_type: str | None


def response_blocks(page: Page) -> list[ResponseBlock]:
    """Every status listed under the page's "Responses" heading."""
    rows = outside_samples(page)
    if "Responses" not in rows:
        return []
    blocks: list[ResponseBlock] = []
    status: str | None = None
    for line in rows[rows.index("Responses") + 1 :]:
        if re.fullmatch(r"\d{3}", line):
            status = line
        elif status and (m := re.match(r"^Returns (\w+) of type\(s\) (\S+)$", line)):
            blocks.append(ResponseBlock(status, m.group(1), m.group(2)))
            status = None
        elif status and line == "Operation doesn't return any data structure":
            blocks.append(ResponseBlock(status, None, None))
            status = None
    return blocks


def request_url(page: Page) -> tuple[str | None, str] | None:
    """(method, URL) of the page's request line, if it shows one."""
    rows = outside_samples(page)
    for i, line in enumerate(rows):
        if m := re.match(r"^(?:(POST|GET) )?(https://\S+)$", line):
            method = m.group(1) or (rows[i - 1] if i and rows[i - 1] in ("POST", "GET") else None)
            return method, m.group(2)
    return None


@dataclass(frozen=True)
class FieldBlock:
    """A documented field of a structured page: ``[type] / name / Required|Optional``."""

    name: str
    required: bool
    type: str | None


def field_blocks(page: Page) -> Iterator[FieldBlock]:
    """Every field block of the page (path parameters, body and error fields)."""
    rows = outside_samples(page)
    for i, line in enumerate(rows):
        if line in ("Required", "Optional") and i and LABEL.match(rows[i - 1]):
            kind = rows[i - 2] if i > 1 and re.match(r"^(string|object)\b", rows[i - 2]) else None
            yield FieldBlock(rows[i - 1], line == "Required", kind)


def leaf_paths(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf value) of every leaf of a JSON value; list items share ``[]``."""
    if isinstance(value, dict):
        if not value:
            yield where, value
        for key, item in value.items():
            yield from leaf_paths(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for item in value:
            yield from leaf_paths(item, f"{where}[]")
    else:
        yield where, value


def placeholder(value: Any) -> bool:
    """A page value that stands for "some value" (``"string"``, ``"MethodFault Object"``)."""
    return isinstance(value, str) and (value == "string" or value.endswith(" Object"))
