"""Edits to openapi-python-client's stock templates, applied on every generation.

The generator renders from its own templates unless a ``--custom-template-path`` directory
holds one of the same name. Rather than commit full copies of the stock templates (which would
silently go stale when the pinned generator is upgraded), each change is one exact text edit of
the stock template of the installed, pinned version. An edit whose text is no longer found the
expected number of times stops generation and names the edit, so an upgrade cannot drop one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path


class TemplateDrift(Exception):
    """A stock template no longer reads as an edit expects (the generator was upgraded)."""


@dataclass(frozen=True)
class TemplateEdit:
    """Replace ``old`` by ``new`` in one stock template; ``old`` must occur ``count`` times."""

    template: str
    old: str
    new: str
    count: int
    why: str


REQUEST_KWARGS_DOC = (
    '    """The arguments of ``httpx.Client.request`` for this operation.\n\n'
    "    Method, url and, where the operation has them, params, headers and body: for callers\n"
    '    that send the request with their own client (the overlay).\n    """\n'
)

EDITS: tuple[TemplateEdit, ...] = (
    TemplateEdit(
        "endpoint_module.py.jinja",
        "def _get_kwargs(",
        "def request_kwargs(",
        1,
        "The overlay sends every request itself (retries, session renewal, fault decoding) and "
        "needs each operation's request without calling a private function.",
    ),
    TemplateEdit(
        "endpoint_module.py.jinja",
        ") -> dict[str, Any]:\n",
        ") -> dict[str, Any]:\n" + REQUEST_KWARGS_DOC,
        1,
        "A public function has a docstring.",
    ),
    TemplateEdit(
        "endpoint_module.py.jinja",
        "kwargs = _get_kwargs(",
        "kwargs = request_kwargs(",
        2,
        "The stock sync and asyncio functions call the renamed builder.",
    ),
    TemplateEdit(
        "client.py.jinja",
        '"token": namespace(type="str", default="",',
        '"token": namespace(type="str", default="field(repr=False)",',
        1,
        "The session token is a credential: it must not appear in a repr (or a log of one).",
    ),
    TemplateEdit(
        "client.py.jinja",
        '_cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")',
        '_cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies", repr=False)',
        1,
        "Cookies can carry a session (vmware_soap_session): kept out of the repr.",
    ),
    TemplateEdit(
        "client.py.jinja",
        '_headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")',
        '_headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)',
        1,
        "The stock client copies the token into its headers on first use: kept out of the repr.",
    ),
)


def stock_template(name: str) -> str:
    """The text of one template of the installed openapi-python-client."""
    return (files("openapi_python_client") / "templates" / name).read_text(encoding="utf-8")


def apply_edits(name: str, text: str, edits: tuple[TemplateEdit, ...] = EDITS) -> str:
    """``text`` (the stock template ``name``) with every edit for it applied, in order."""
    for edit in (e for e in edits if e.template == name):
        found = text.count(edit.old)
        if found != edit.count:
            raise TemplateDrift(
                f"{name}: expected {edit.count} occurrence(s) of {edit.old!r}, found {found}; "
                f"the edit exists because: {edit.why} Re-check scripts/generator/template_edits.py "
                "against the new generator's template."
            )
        text = text.replace(edit.old, edit.new)
    return text


def write_templates(out: Path, edits: tuple[TemplateEdit, ...] = EDITS) -> Path:
    """Write the edited templates into ``out`` (for ``--custom-template-path``); returns it."""
    out.mkdir(parents=True, exist_ok=True)
    for name in sorted({e.template for e in edits}):
        (out / name).write_text(apply_edits(name, stock_template(name), edits), encoding="utf-8")
    return out
