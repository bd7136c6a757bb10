"""JSON request bodies as every surface and the control API read them.

* :func:`is_blank` -- whether a body counts as absent. Only JSON's own whitespace (RFC 8259:
  space, tab, LF, CR) does: ``bytes.strip()`` would also drop ``\\x0b`` and ``\\x0c``, so a
  body of one vertical tab would be taken for "no body" instead of the malformed JSON it is.
* :func:`may_have_body` -- whether a request announces a body at all (so that the common
  body-less request is not read).
* :func:`parse_json` -- a body parsed as RFC 8259 JSON: UTF-8 only (``json.loads`` would guess
  UTF-16/32 from bytes), no ``NaN``/``Infinity``, optionally no number a double cannot hold;
  raises :class:`NotJson` saying why.
* :func:`ignored_body_problem` -- for an operation that takes no body: why the body sent
  cannot be read (None if it is blank or any JSON value, which the operation ignores).
* :func:`validate_json_strict` -- validate an already-parsed JSON value with a pydantic model
  as JSON's own types: ``"443"`` is not an integer and an ISO 8601 string is a datetime.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.types import Scope

__all__ = [
    "JSON_WHITESPACE",
    "NotJson",
    "ignored_body_problem",
    "is_blank",
    "may_have_body",
    "parse_json",
    "validate_json_strict",
]

JSON_WHITESPACE = b" \t\r\n"
"""The whitespace RFC 8259 allows around JSON values."""

_M = TypeVar("_M", bound=BaseModel)


class NotJson(ValueError):
    """A body that is not JSON; the message says why (it never echoes the body)."""


def is_blank(raw: bytes) -> bool:
    """True if ``raw`` is empty or holds nothing but JSON whitespace."""
    return not raw.strip(JSON_WHITESPACE)


def may_have_body(scope: Scope) -> bool:
    """Whether the request announces a body (a non-zero ``Content-Length`` or chunked)."""
    for key, value in scope.get("headers", ()):
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


def _no_constant(name: str) -> Any:
    raise NotJson(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJson(f"the number {text[:40]} is out of range")
    return value


def parse_json(raw: bytes, *, finite: bool = False) -> Any:
    """``raw`` parsed as JSON (see the module docstring); raises :class:`NotJson`.

    ``finite``: also refuse numbers a double cannot hold (``1e400``), for bodies that are
    echoed back as JSON.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotJson(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        if finite:
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        return json.loads(text, parse_constant=_no_constant)
    except NotJson:
        raise
    except RecursionError:
        raise NotJson("nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError; an integer too long to convert
        raise NotJson(str(exc)) from None


def ignored_body_problem(raw: bytes) -> str | None:
    """For an operation that takes no body: None if ``raw`` is blank or JSON (ignored), else
    why it is refused, as ``request body is not valid JSON: <reason>``."""
    if is_blank(raw):
        return None
    try:
        parse_json(raw)
    except NotJson as exc:
        return f"request body is not valid JSON: {exc}"
    return None


def validate_json_strict(model: type[_M], value: Any) -> _M:
    """``value`` (parsed from a JSON body) validated by ``model`` in strict JSON mode.

    Raises :class:`pydantic.ValidationError`. ``value`` must be JSON-serialisable (it came
    from :func:`json.loads`); a non-finite float is re-encoded as ``Infinity``/``NaN``, which
    a model with ``allow_inf_nan=False`` rejects.
    """
    return model.model_validate_json(json.dumps(value), strict=True)
