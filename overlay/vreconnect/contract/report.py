"""Reports of a suite run: a readable summary (rich) and JUnit XML for CI systems.

The summary has one table per surface (split into several, each with the operation column,
when the checks do not fit the console's width): a row per operation, a column per check, each
cell the number of times the check passed (``42``) or, in red, failed (``✗3``), ``n/a`` where
it ran but had nothing to look at, ``·`` where it did not run; then every distinct failure
with a curl command to reproduce it, the links the stateful runs followed (``n/m``), the tasks
read to their end per operation and how they ended, the sessions test cases opened and who
ended them, checks skipped (and the option that would run them) or that cannot apply to the
document (and why), and the operations that did not run (and the flag that would run them).

The JUnit file has a ``<testsuite>`` per surface (with ``timestamp`` and ``hostname``) and a
``<testcase>`` per operation and check (``classname`` = ``<surface>.<operationId>``, ``name`` =
the check), failures as ``<failure>`` with the reproduction in the text, operations left out and
checks skipped as ``<skipped>``, and a testcase per declared link (a ``<failure>`` when it was
never followed under ``--require-links``). It validates against the common JUnit schema
(Jenkins' ``junit-10.xsd``: a testcase's ``<skipped>``, ``<error>`` and ``<failure>`` before its
``<system-out>``), and every text and attribute is XML 1.0: a character XML cannot carry (a
control character or lone surrogate echoed back from a fuzzed request) is written as its
``\\xNN`` / ``\\uNNNN`` escape. A server that could not be reached at all is one suite with one
error testcase (:func:`write_junit_unreachable`).
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .results import SuiteResult, SurfaceResult

__all__ = [
    "CHECK_LABELS",
    "render_summary",
    "summary_lines",
    "write_junit",
    "write_junit_unreachable",
    "xml_text",
]

CHECK_LABELS: dict[str, str] = {
    "not_a_server_error": "5xx",
    "status_code_conformance": "status",
    "content_type_conformance": "ctype",
    "response_headers_conformance": "hdrs",
    "response_schema_conformance": "schema",
    "positive_data_acceptance": "valid",
    "negative_data_rejection": "invalid",
    "missing_required_header": "reqhdr",
    "unsupported_method": "method",
    "allow_header_conformance": "allow",
    "ignored_auth": "auth",
    "session_required": "sess",
    "privilege_required": "priv",
    "task_completes": "task",
    "simulator_healthy": "sim",
    "undeclared_method_refused": "umeth",
    "use_after_free": "uaf",
    "ensure_resource_availability": "avail",
    "object_level_authorization": "bola",
}
"""Short column headers for the summary table (the legend prints the full names)."""

_STATUS_STYLE = {
    "passed": ("PASSED", "bold green"),
    "failed": ("FAILED", "bold red"),
    "error": ("ERROR", "bold red"),
    "not-answering": ("NOT ANSWERING", "bold yellow"),
}


def _check_order(checks: Iterable[str]) -> list[str]:
    """Checks in :data:`CHECK_LABELS` order, unknown ones (custom checks) after them."""
    present = set(checks)
    known = [c for c in CHECK_LABELS if c in present]
    return known + sorted(present - set(known))


def _cell(result: SurfaceResult, op: str, check: str) -> Text:
    tally = result.tallies.get((op, check))
    if tally is None:
        return Text("·", style="dim")
    if tally.failed or tally.errors:
        return Text(f"✗{tally.failed + tally.errors}", style="bold red")
    if tally.total == 0:
        return Text("n/a", style="dim")
    return Text(str(tally.passed), style="green")


def _surface_tables(result: SurfaceResult, width: int) -> list[Table]:
    """The operation x check table, split into column groups that fit ``width``."""
    checks = _check_order(result.checks())
    # Column widths as rich lays them out (no box, one space of padding each side).
    op_width = max([len("operation"), *(len(op) for op in result.operations)]) + 2
    reqs_width = max([4, *(len(str(n)) for n in result.cases.values())]) + 2
    groups: list[list[str]] = [[]]
    used = op_width + reqs_width
    for check in checks:
        column = max(len(CHECK_LABELS.get(check, check)), 3) + 2
        if groups[-1] and used + column > width:
            groups.append([])
            used = op_width + reqs_width
        groups[-1].append(check)
        used += column
    tables = []
    for group in groups:
        table = Table(show_edge=False, pad_edge=False, header_style="bold", box=None)
        table.add_column("operation", no_wrap=True)
        table.add_column("reqs", justify="right", no_wrap=True)
        for check in group:
            label = CHECK_LABELS.get(check, check)
            table.add_column(label, justify="right", no_wrap=True, min_width=max(len(label), 3))
        for op in result.operations:
            row: list[Text | str] = [op, str(result.cases.get(op, 0))]
            row.extend(_cell(result, op, check) for check in group)
            table.add_row(*row)
        tables.append(table)
    return tables


def _surface_block(result: SurfaceResult, width: int = 160) -> list[Text | Table]:
    label, style = _STATUS_STYLE[result.status]
    head = Text()
    head.append(f"{result.surface} ", style="bold")
    head.append(f"{result.base_url}  ")
    head.append(label, style=style)
    if result.status != "not-answering":
        head.append(f"  {sum(result.cases.values())} requests, {result.seconds:.1f}s")
    parts: list[Text | Table] = [head]
    if result.note:
        parts.append(Text(f"  {result.note}", style="yellow"))
    if result.operations and result.tallies:
        parts.extend(_surface_tables(result, width))
    for error in result.errors:
        parts.append(Text(f"  error: {error}", style="red"))
    for failure in result.failures:
        line = Text("  ✗ ", style="bold red")
        line.append(f"{failure.operation} · {failure.check}: {failure.title}", style="bold")
        extra = [failure.phase]
        if failure.status is not None:
            extra.append(f"HTTP {failure.status}")
        if failure.count > 1:
            extra.append(f"{failure.count} times")
        line.append(f"  ({', '.join(extra)})", style="dim")
        parts.append(line)
        for message_line in failure.message.strip().splitlines()[:8]:
            parts.append(Text(f"      {message_line}"))
        if failure.reproduce:
            parts.append(Text(f"      reproduce: {failure.reproduce}", style="dim"))
    if result.links_declared:
        followed = len(result.links_declared) - len(result.links_missed)
        links = Text(
            f"  links followed: {followed} of {len(result.links_declared)} "
            f"in {result.stateful_scenarios} stateful scenarios"
        )
        if result.links_missed and result.links_required:
            links.append(
                "  not followed (a failure with --require-links): "
                + "; ".join(result.links_missed),
                style="bold red",
            )
        elif result.links_missed:
            links.append(
                "  not followed (fails the run only with --require-links): "
                + "; ".join(result.links_missed),
                style="yellow",
            )
        parts.append(links)
    outcomes = result.task_outcomes()
    if outcomes:
        described = "; ".join(
            f"{op} " + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
            for op, states in sorted(outcomes.items())
        )
        by_probes = sum(1 for task in result.tasks if task.by_probe)
        if by_probes:
            described += f"; {by_probes} started by refusal probes the server accepted"
        parts.append(Text(f"  tasks read to the end: {len(result.tasks)} ({described})"))
    if result.sessions_opened or result.sessions_ended_after:
        parts.append(
            Text(
                f"  sessions: {result.sessions_opened} opened by test cases' logins "
                f"({result.sessions_ended_by_flows} logged out by their flow, "
                f"{result.sessions_ended_early} by the suite after their case or scenario); "
                f"{result.sessions_ended_after} logged out at the end; at most "
                f"{result.sessions_peak} open at once"
            )
        )
    for op, count in sorted(result.redirected.items()):
        parts.append(
            Text(
                f"  {op}: {count} request(s) aimed at objects not named with --object were "
                "sent to an id no server has",
                style="dim",
            )
        )
    for op, count in sorted(result.credentials_replaced.items()):
        parts.append(
            Text(
                f"  {op}: {count} request(s) carrying credentials for another host were sent "
                "with an account and host that are nobody's",
                style="dim",
            )
        )
    for check, why in sorted(result.skipped_checks.items()):
        parts.append(Text(f"  skipped: {check} ({why})", style="yellow"))
    inapplicable = sorted(
        (check, why)
        for check, why in result.inapplicable.items()
        if check in result.checks() and check not in result.applied_checks()
    )
    for check, why in inapplicable:
        parts.append(Text(f"  n/a: {check} ({why})", style="dim"))
    for op, why in result.skipped_operations.items():
        parts.append(Text(f"  not run: {op}: {why}", style="dim"))
    return parts


def render_summary(result: SuiteResult, console: Console) -> None:
    """Print the summary of ``result`` on ``console``."""
    blocks: list[Text | Table] = []
    for surface in result.surfaces:
        blocks.extend(_surface_block(surface, console.width))
        blocks.append(Text(""))
    checks = sorted({c for s in result.surfaces for c in s.checks()})
    if checks:
        legend = ", ".join(f"{CHECK_LABELS.get(c, c)} = {c}" for c in _check_order(checks))
        blocks.append(Text(f"checks: {legend}", style="dim"))
    verdict = Text()
    if result.ok:
        verdict.append("PASSED", style="bold green")
    else:
        verdict.append("FAILED", style="bold red")
    verdict.append(
        f"  {len(result.surfaces)} surface(s), {result.failure_count} distinct failure(s), "
        f"{result.seconds:.1f}s"
    )
    blocks.append(verdict)
    console.print(Group(*blocks))


def summary_lines(result: SuiteResult, width: int = 160) -> str:
    """The summary as plain text (for logs and test failure messages)."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render_summary(result, console)
    return console.export_text()


# -- JUnit XML --------------------------------------------------------------------------------


def _failure_text(result: SurfaceResult, op: str, check: str) -> tuple[str, str]:
    records = [f for f in result.failures if f.operation == op and f.check == check]
    if not records:
        return "failed", ""
    message = records[0].title if len(records) == 1 else f"{len(records)} distinct failures"
    chunks = []
    for f in records:
        chunk = [f"{f.title} ({f.phase}, HTTP {f.status}, {f.count}x)", f.message.strip()]
        if f.response:
            chunk.append(f"response: {f.response}")
        if f.reproduce:
            chunk.append(f"reproduce: {f.reproduce}")
        chunks.append("\n".join(chunk))
    return message, "\n\n".join(chunks)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry written as its escape."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _NOT_XML.sub(escape, text)


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name)


def _testsuite(
    name: str, seconds: float, started_at: str, url: str, **properties: str
) -> ET.Element:
    """A ``<testsuite>`` (its counts still to set) with ``base_url`` and ``properties``."""
    suite = ET.Element("testsuite", name=name, time=f"{seconds:.3f}")
    # timestamp: when the run started; hostname: the server tested.
    if started_at:
        suite.set("timestamp", started_at.removesuffix("+00:00"))
    hostname = urlsplit(url).hostname
    if hostname:
        suite.set("hostname", hostname)
    props = ET.SubElement(suite, "properties")
    for key, value in {"base_url": url, **properties}.items():
        ET.SubElement(props, "property", name=key, value=value)
    return suite


def _surface_suite(result: SurfaceResult) -> ET.Element:
    suite = _testsuite(
        result.surface,
        result.seconds,
        result.started_at,
        result.base_url,
        requests=str(sum(result.cases.values())),
    )
    tests = failures = errors = skipped = 0
    # Children of a testcase in the order junit-10.xsd wants: skipped, error, failure, and
    # system-out last.
    for op in result.operations:
        for check in _check_order(c for o, c in result.tallies if o == op):
            tally = result.tallies[(op, check)]
            case = _case(suite, f"{result.surface}.{op}", check)
            tests += 1
            if tally.total == 0:
                reason = result.inapplicable.get(check, "nothing to check in the responses")
                ET.SubElement(case, "skipped", message=f"not applicable: {reason}")
                skipped += 1
            elif tally.failed or tally.errors:
                message, text = _failure_text(result, op, check)
                element = ET.SubElement(case, "failure", message=message, type=check)
                element.text = text
                failures += 1
            ET.SubElement(case, "system-out").text = (
                f"passed {tally.passed}, failed {tally.failed}, errors {tally.errors}, "
                f"not applicable {tally.not_applicable}"
            )
    extra = [f for f in result.failures if f.operation not in result.operations]
    for f in extra:
        case = _case(suite, f"{result.surface}.run", f.check)
        ET.SubElement(case, "failure", message=f.title, type=f.check).text = f.message
        tests += 1
        failures += 1
    for check, why in result.skipped_checks.items():
        case = _case(suite, f"{result.surface}.run", check)
        ET.SubElement(case, "skipped", message=why)
        tests += 1
        skipped += 1
    for op, why in result.skipped_operations.items():
        case = _case(suite, f"{result.surface}.{op}", "(all checks)")
        ET.SubElement(case, "skipped", message=why)
        tests += 1
        skipped += 1
    for link in result.links_declared:
        case = _case(suite, f"{result.surface}.links", link)
        count = result.links_followed[link]
        if count:
            ET.SubElement(case, "system-out").text = f"followed {count} time(s)"
        elif result.links_required:
            ET.SubElement(
                case,
                "failure",
                message="link never followed (--require-links)",
                type="links_followed",
            ).text = f"No stateful scenario followed {link}."
            failures += 1
        else:
            ET.SubElement(case, "skipped", message="link not followed in this run")
            skipped += 1
        tests += 1
    for error in result.errors:
        case = _case(suite, f"{result.surface}.run", "error")
        ET.SubElement(case, "error", message=error.splitlines()[0][:200]).text = error
        tests += 1
        errors += 1
    if result.status == "not-answering":
        case = _case(suite, f"{result.surface}.run", "answers")
        ET.SubElement(case, "error", message=result.note or "does not answer")
        tests += 1
        errors += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    return suite


def _xml_safe(root: ET.Element) -> None:
    """Make every text, tail and attribute of the tree XML 1.0 (see :func:`xml_text`)."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))


def _write_suites(
    suites: Iterable[ET.Element], seconds: float, path: str | os.PathLike[str]
) -> Path:
    """Write ``suites`` under one ``<testsuites>`` (with their totals) to ``path``."""
    root = ET.Element("testsuites", name="vreconnect contract", time=f"{seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    _xml_safe(root)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out


def write_junit_unreachable(
    path: str | os.PathLike[str], url: str, message: str, *, started_at: str = ""
) -> Path:
    """Write the JUnit XML of a run that could not reach the server at ``url`` at all: one
    suite (``connection``) with one error testcase, so CI shows why nothing was tested."""
    suite = _testsuite("connection", 0.0, started_at, url)
    case = _case(suite, "connection", "server answers")
    ET.SubElement(
        case, "error", message=message.splitlines()[0][:200], type="connection"
    ).text = message
    for key, value in (("tests", "1"), ("failures", "0"), ("errors", "1"), ("skipped", "0")):
        suite.set(key, value)
    return _write_suites([suite], 0.0, path)


def write_junit(result: SuiteResult, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` as JUnit XML to ``path`` (parent directories are created)."""
    return _write_suites((_surface_suite(s) for s in result.surfaces), result.seconds, path)
