"""Tolerant readers for error bodies: parse whatever arrived, never raise."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._base import snippet, status_phrase

__all__ = ["Body", "get_bool", "get_str", "load_body", "malformed_message", "no_body_message"]


@dataclass(frozen=True)
class Body:
    """An error body after parsing.

    ``data`` is the parsed JSON (or the object given), ``raw`` what to keep as ``Fault.raw``,
    ``text`` the undecodable text when the body was not JSON (else None).
    """

    data: object
    raw: object
    text: str | None = None

    @property
    def mapping(self) -> Mapping[str, Any] | None:
        """The body as a JSON object, or None when it is anything else."""
        return self.data if isinstance(self.data, Mapping) else None


def load_body(body: object) -> Body:
    """Parse a body given as a dict, bytes/str JSON, a generated model, None or garbage."""
    if body is None:
        return Body(None, None)
    if not isinstance(body, Mapping | list | str | bytes | bytearray | memoryview):
        to_dict = getattr(body, "to_dict", None)  # a generated attrs model
        if callable(to_dict):
            try:
                data = to_dict()
            except Exception:
                return Body(body, body)
            return Body(data, data)
        return Body(body, body)
    if isinstance(body, bytes | bytearray | memoryview):
        text = bytes(body).decode("utf-8", "replace")
    elif isinstance(body, str):
        text = body
    else:
        return Body(body, body)
    if not text.strip():
        return Body(None, body)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return Body(None, body, text)
    return Body(data, data)


def malformed_message(body: Body, secrets: Iterable[str] = ()) -> str | None:
    """A message describing a body that is not a JSON object, or None if there is no body."""
    if body.text is not None:
        return f"malformed error body: {snippet(body.text, secrets)}"
    if body.data is None:
        return None
    return f"unexpected error body ({type(body.data).__name__})"


def no_body_message(body: Body, status: int | None, secrets: Iterable[str] = ()) -> str | None:
    """The message for a body that is not a JSON object: what it was, or that there was none."""
    message = malformed_message(body, secrets)
    if message is None and status is not None:
        phrase = status_phrase(status)
        message = f"no error body (HTTP {status}{' ' + phrase if phrase else ''})"
    return message


def get_str(data: Mapping[str, Any], key: str) -> str | None:
    """``data[key]`` if it is a string (a boxed ``{"_value": "..."}`` too), else None."""
    value = data.get(key)
    if isinstance(value, Mapping):
        value = value.get("_value")
    return value if isinstance(value, str) else None


def get_bool(data: Mapping[str, Any], key: str) -> bool | None:
    """``data[key]`` if it is a boolean (a boxed one too), else None."""
    value = data.get(key)
    if isinstance(value, Mapping):
        value = value.get("_value")
    return value if isinstance(value, bool) else None
