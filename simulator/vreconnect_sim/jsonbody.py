"""JSON request bodies as every surface and the control API read them.

* :func:`is_blank` -- whether a body counts as absent. Only JSON's own whitespace (RFC 8259:
  space, tab, LF, CR) does: ``bytes.strip()`` would also drop ``\\x0b`` and ``\\x0c``, so a
  body of one vertical tab would be taken for "no body" instead of the malformed JSON it is.
* :func:`validate_json_strict` -- validate an already-parsed JSON value with a pydantic model
  as JSON's own types: ``"443"`` is not an integer and an ISO 8601 string is a datetime.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["JSON_WHITESPACE", "is_blank", "validate_json_strict"]

JSON_WHITESPACE = b" \t\r\n"
"""The whitespace RFC 8259 allows around JSON values."""

_M = TypeVar("_M", bound=BaseModel)


def is_blank(raw: bytes) -> bool:
    """True if ``raw`` is empty or holds nothing but JSON whitespace."""
    return not raw.strip(JSON_WHITESPACE)


def validate_json_strict(model: type[_M], value: Any) -> _M:
    """``value`` (parsed from a JSON body) validated by ``model`` in strict JSON mode.

    Raises :class:`pydantic.ValidationError`. ``value`` must be JSON-serialisable (it came
    from :func:`json.loads`); a non-finite float is re-encoded as ``Infinity``/``NaN``, which
    a model with ``allow_inf_nan=False`` rejects.
    """
    return model.model_validate_json(json.dumps(value), strict=True)
