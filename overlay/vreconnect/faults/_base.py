"""The common base of every server fault, the wire-name registry, and secret redaction.

Every class here and in the family modules (:mod:`~vreconnect.faults.vim`,
:mod:`~vreconnect.faults.vapi`, :mod:`~vreconnect.faults.vr`) is a keyword-only dataclass
deriving from :class:`Fault`. Secrets given at construction are redacted from the messages
and from every rendering (``str``, ``repr``, :attr:`Fault.safe_raw`) and are *not* kept on
the exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import InitVar, dataclass, fields
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote, quote_plus

from vreconnect.errors import VReconnectError

__all__ = [
    "REDACTED",
    "REGISTRY",
    "Fault",
    "is_sensitive_key",
    "redact",
    "register",
    "scrub",
]

#: What a redacted secret is replaced with.
REDACTED = "********"

_REGISTRY: dict[str, type[Fault]] = {}

#: Every known wire name -> its exception class, for all three families: vim names as-is
#: (``"InvalidLogin"``), vAPI names fully qualified
#: (``"com.vmware.vapi.std.errors.invalid_argument"``), VR by status (``"vr:400"``).
REGISTRY: Mapping[str, type[Fault]] = MappingProxyType(_REGISTRY)

_FaultT = TypeVar("_FaultT", bound="Fault")

# Longest rendering of one field value in str()/repr(), and of an unparsable body snippet.
_MAX_VALUE = 160
_MAX_SNIPPET = 200
_MAX_MESSAGES_IN_STR = 3


def register(cls: type[_FaultT]) -> type[_FaultT]:
    """Class decorator: add ``cls`` to :data:`REGISTRY` under its ``wire_name`` (and aliases).

    A class must set ``wire_name`` itself; registering a name twice for different classes is
    a programming error and raises ``ValueError`` at import time.
    """
    name = cls.__dict__.get("wire_name")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} must define its own non-empty wire_name to be registered")
    for key in (name, *cls.__dict__.get("wire_aliases", ())):
        existing = _REGISTRY.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(f"wire name {key!r} already registered for {existing.__name__}")
        _REGISTRY[key] = cls
    return cls


# ---------------------------------------------------------------------------- redaction

_SENSITIVE_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "sessionid",
    "authorization",
    "apikey",
    "privatekey",
    "credential",
)
_KEY_CHARS = re.compile(r"[^a-z0-9]")

# An echoed key/value pair inside free text: "password": "x", 'pwd': 'x', password=x. Found by
# a keyword search, then checked around each hit with bounded patterns, so that hostile text
# (long runs, unclosed quotes) costs linear time.
_ECHO_KEYWORD_RE = re.compile(r"passw(?:or)?d|passphrase|secret|pwd|token", re.IGNORECASE)
_KEY_RUN_RE = re.compile(r"[\w.-]*")
_QUOTED_VALUE_RE = re.compile(
    r"""\s{0,8}[:=]\s{0,8}("(?:[^"\\\n]|\\.){0,256}"|'(?:[^'\\\n]|\\.){0,256}'|[^\s,;&}\])"']{1,256})"""
)
_BARE_VALUE_RE = re.compile(
    r"""=("(?:[^"\\\n]|\\.){0,256}"|'(?:[^'\\\n]|\\.){0,256}'|[^\s,;&}\])"']{1,256})"""
)
_AUTH_HEADER_RE = re.compile(r"(?i)\b(authorization\s*[:=]\s*(?:basic|bearer)\s+)[\w+/=.~-]+")


def is_sensitive_key(key: str) -> bool:
    """True for a JSON key whose value must never be shown (``password``, ``vimAccountPassword``...)."""
    norm = _KEY_CHARS.sub("", key.lower())
    return norm == "pwd" or any(part in norm for part in _SENSITIVE_PARTS)


def _normalize_secrets(secrets: Iterable[str] | str | None) -> tuple[str, ...]:
    """Non-empty secret strings plus their JSON/URL-escaped forms, longest first."""
    if secrets is None:
        return ()
    if isinstance(secrets, str):
        secrets = (secrets,)
    variants: set[str] = set()
    try:
        for secret in secrets:
            if not isinstance(secret, str) or not secret:
                continue
            variants.add(secret)
            variants.add(json.dumps(secret)[1:-1])
            variants.add(json.dumps(secret, ensure_ascii=False)[1:-1])
            variants.add(quote(secret, safe=""))
            variants.add(quote_plus(secret, safe=""))
    except TypeError:  # not iterable: nothing to redact
        return ()
    return tuple(sorted((v for v in variants if v), key=len, reverse=True))


def _is_key_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def _mask_echoes(text: str) -> str:
    """Mask the values of password-like keys echoed in ``text`` (JSON, repr or query style)."""
    out: list[str] = []
    pos = search = 0
    while match := _ECHO_KEYWORD_RE.search(text, search):
        start = match.start()
        while start > pos and _is_key_char(text[start - 1]):
            start -= 1
        run = _KEY_RUN_RE.match(text, match.end())
        end = run.end() if run else match.end()
        search = end
        quote = text[start - 1] if start > pos and text[start - 1] in "'\"" else ""
        if quote:
            if text[end : end + 1] != quote:
                continue
            value = _QUOTED_VALUE_RE.match(text, end + 1)
        else:
            value = _BARE_VALUE_RE.match(text, end)
        if value is None:
            continue
        raw = value.group(1)
        mark = raw[0] if raw[0] in "'\"" else ""
        out.append(text[pos : value.start(1)])
        out.append(f"{mark}{REDACTED}{mark}")
        pos = search = value.end(1)
    out.append(text[pos:])
    return "".join(out)


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _mask_echoes(text)
    return _AUTH_HEADER_RE.sub(lambda m: m.group(1) + REDACTED, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret (and echoed ``"password": "..."`` values) replaced by ``********``."""
    return _redact(text, _normalize_secrets(secrets))


def _scrub(value: object, secrets: tuple[str, ...], depth: int = 0) -> object:
    if depth > 64:
        return "..."
    if isinstance(value, str):
        return _redact(value, secrets)
    if isinstance(value, Mapping):
        out: dict[object, object] = {}
        for key, item in value.items():
            if isinstance(key, str) and is_sensitive_key(key) and item is not None:
                out[key] = REDACTED
            else:
                out[key] = _scrub(item, secrets, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets, depth + 1) for item in value]
    if isinstance(value, bytes | bytearray):
        return _redact(bytes(value).decode("utf-8", "replace"), secrets)
    return value


def scrub(value: object, secrets: Iterable[str] = ()) -> object:
    """A copy of a JSON-like value safe to show: sensitive keys masked, secrets redacted.

    Dicts and lists are copied (lists and tuples become lists, bytes become text); other
    values are returned as they are.
    """
    return _scrub(value, _normalize_secrets(secrets))


# ---------------------------------------------------------------------------- rendering


def _truncate(text: str, limit: int = _MAX_VALUE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _display(value: object) -> str:
    """How a field value reads in ``str(exc)``: strings bare, references as ``Type:id``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_display(item) for item in value) + "]"
    return str(value)


_PLAIN = (str, int, float, bool, type(None), Mapping, list, tuple)


def _repr_value(value: object, secrets: tuple[str, ...]) -> str:
    """A field's value for ``repr(exc)``: scrubbed, redacted, short; lists of models counted."""
    if isinstance(value, list | tuple) and any(not isinstance(i, _PLAIN) for i in value):
        kinds = "/".join(sorted({type(i).__name__ for i in value}))
        return f"<{len(value)} {kinds}>"
    if isinstance(value, Mapping | list | tuple):
        value = _scrub(value, secrets)
    return _truncate(_redact(repr(value), secrets))


def status_phrase(status: int | None) -> str | None:
    """The reason phrase of an HTTP status (``404`` -> ``"Not Found"``), or None."""
    if status is None:
        return None
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def snippet(text: str, secrets: Iterable[str] = ()) -> str:
    """A short one-line excerpt of an unparsable body for a message, redacted then truncated."""
    return _truncate(_redact(" ".join(text.split()), _normalize_secrets(secrets)), _MAX_SNIPPET)


# ---------------------------------------------------------------------------- the base


def _restore(cls: type[Fault]) -> Fault:
    """Unpickling helper: an empty instance whose state ``__setstate__`` then fills in."""
    return cls.__new__(cls)


@dataclass(eq=False, repr=False, kw_only=True)
class Fault(VReconnectError):
    """Common base of every fault a server answered with (vim25/SMS, vAPI, VR).

    Attributes:
        messages: the fault's messages, secrets and echoed passwords redacted.
        status: the HTTP status the fault arrived with (None when it came in a task).
        operation: the operationId of the call that raised it.
        task_id: set (see :meth:`with_task`) when the fault ended a task (``status`` is then
            None), and also on a fault a task wait raised while reading the task's status
            or logging in again (``status`` set, ``operation`` the read or the login).
        raw: the body as received (the parsed JSON when it parsed; the original bytes/str
            when it did not). Use :attr:`safe_raw` to show it.
        type_name: the wire name actually received; it differs from the class's
            ``wire_name`` when an unknown type was decoded to a base class.

    Construct with keywords; ``secrets`` (strings to redact) is used at construction only
    and is not stored. Treat instances as immutable apart from :meth:`with_task`: the
    redacted renderings are computed once, at construction.
    """

    #: The name this class has on the wire ("" for bases that are no wire type).
    wire_name: ClassVar[str] = ""
    #: Other wire names decoded to this class.
    wire_aliases: ClassVar[tuple[str, ...]] = ()
    #: The fields worth showing in ``str(exc)``, in order.
    str_fields: ClassVar[tuple[str, ...]] = ()

    messages: tuple[str, ...] = ()
    status: int | None = None
    operation: str | None = None
    task_id: str | None = None
    raw: object = None
    type_name: str = ""
    secrets: InitVar[Iterable[str]] = ()

    def __post_init__(self, secrets: Iterable[str]) -> None:
        sec = _normalize_secrets(secrets)
        if isinstance(self.messages, str):
            self.messages = (self.messages,)
        self.messages = tuple(_redact(str(m), sec) for m in self.messages if m is not None)
        if not self.type_name:
            self.type_name = self.wire_name or type(self).__name__
        self._summary: str = self._render_summary(sec)
        self._field_reprs: tuple[tuple[str, str], ...] = tuple(
            (name, _repr_value(getattr(self, name), sec)) for name in self._own_field_names()
        )
        self._safe_raw: object = _scrub(self.raw, sec)
        self.args = (self._summary,)

    # -- hooks for the families

    def _title(self) -> str:
        """The leading name in ``str(exc)``: the wire name, and the class when they differ."""
        name = self.type_name
        if self.wire_name and name != self.wire_name:
            return f"{name} (as {type(self).__name__})"
        return name

    def _details(self) -> list[tuple[str, object]]:
        """(name, value) pairs shown after the messages; None values are skipped."""
        return [(name, getattr(self, name, None)) for name in self.str_fields]

    # -- rendering

    @classmethod
    def _own_field_names(cls) -> tuple[str, ...]:
        base = {f.name for f in fields(Fault)}
        return tuple(f.name for f in fields(cls) if f.name not in base)

    def _render_summary(self, sec: tuple[str, ...]) -> str:
        text = self._title()
        shown = [m for m in self.messages if m][:_MAX_MESSAGES_IN_STR]
        if shown:
            text += ": " + "; ".join(shown)
            hidden = len([m for m in self.messages if m]) - len(shown)
            if hidden > 0:
                text += f" (+{hidden} more)"
        details = [  # redact before truncating, so that no part of a secret survives
            f"{name}={_truncate(_redact(_display(value), sec))}"
            for name, value in self._details()
            if value is not None
        ]
        if details:
            text += " (" + ", ".join(details) + ")"
        return _redact(text, sec)

    def _context(self) -> str:
        parts = []
        if self.operation:
            parts.append(f"operation {self.operation}")
        if self.task_id:
            parts.append(f"task {self.task_id}")
        return f" [{', '.join(parts)}]" if parts else ""

    def __str__(self) -> str:
        return self._summary + self._context()

    def __repr__(self) -> str:
        parts = [
            f"type_name={self.type_name!r}",
            f"messages={self.messages!r}",
            f"status={self.status!r}",
            f"operation={self.operation!r}",
            f"task_id={self.task_id!r}",
        ]
        parts.extend(f"{name}={text}" for name, text in self._field_reprs)
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- API

    @property
    def safe_raw(self) -> object:
        """A copy of :attr:`raw` safe to log: sensitive keys masked, secrets redacted."""
        return self._safe_raw

    def with_task(self, task_id: str) -> Self:
        """Mark this fault as the error that ended task ``task_id``; returns ``self``."""
        self.task_id = task_id
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        state = dict(self.__dict__)
        state["args"] = self.args
        return (_restore, (type(self),), state)
