"""Response validation against the OpenAPI documents in ``specs/`` (the simulator's test mode).

With ``create_app(validate_responses=True)`` (or ``VRECONNECT_SIM_VALIDATE=1`` in the
environment of a server started without an explicit choice), :class:`SimulatorMiddleware
<vreconnect_sim.app.SimulatorMiddleware>` buffers every response and hands it to
:class:`ResponseValidator` before a single byte leaves. One implementation serves every surface:

===========================  ======================  =============================
path prefix (mount)          document                surface
===========================  ======================  =============================
``/sdk/vim25/{release}/sms`` ``specs/sms.yaml``      sms
``/sdk/vim25/{release}``     ``specs/vim25.yaml``    vim25
``/rest``                    ``specs/vcenter.yaml``  vcenter
``/api/rest/vr/v2``          ``specs/vr.yaml``       vr
``/_sim``                    ``specs/control.yaml``  the control API
===========================  ======================  =============================

(a surface may name another document with ``SurfaceSpec.openapi``; by default it is
``specs/<surface name>.yaml``). For one response:

1. the operation is found by matching the path below the mount against the document's path
   templates (``{param}`` = one segment; literal templates win) and the method. A request that
   matches no documented operation (an unrouted path, a wrong method) is not checked: there is
   nothing to check it against. A mount parameter outside the enum of the document's server
   variable (``/sdk/vim25/9.9.9.9/...``, an unknown ``{release}``) does not matter: the
   answer is still the operation's (VI/JSON: a 500 ``InvalidRequest`` from its fault union).
   Nor is one answered by a fault rule's ``status`` (marked
   :data:`~vreconnect_sim.registry.INJECTED_STATUS` in the ASGI scope by the middleware's
   caller): it is out of contract on purpose.
2. the response object is the one for the exact status, else its ``4XX``-style range, else
   ``default``; none is a violation ("status 418 is not documented").
3. every header the response object marks ``required: true`` must be present.
4. a response documented without ``content`` must have an empty body; one with ``content`` must
   have a body whose ``Content-Type`` is one of the documented media types, and a JSON body is
   validated against the media type's schema with :mod:`jsonschema` (Draft 2020-12, the
   document's ``#/components/schemas`` in a :class:`referencing.Registry`);
5. in a VI/JSON document, every fault inside the body (an object whose ``_typeName`` names a
   concrete fault schema, ``allOf: [MethodFault, ...]``) must also match that schema: a place
   typed ``MethodFault`` (``TaskInfo.error``) admits any fault by its base schema alone, so a
   task error ``SSLVerifyFault`` without its ``thumbprint`` would otherwise pass.

OpenAPI 3.0 schemas are translated to JSON Schema once per document: ``nullable: true`` admits
``null``; the boolean ``exclusiveMinimum``/``exclusiveMaximum`` become numeric; annotations
(``discriminator``, ``example``, ``xml``, ``externalDocs``, ``x-*``) are dropped; formats
``date-time`` and ``uuid`` are checked (``int32``/``int64`` are covered by the documents'
explicit bounds; ``password`` and any other format are not checked). ``additionalProperties:
false`` is not applied: ``specs/CONVENTIONS.md`` puts it on request-body schemas only (the
property tests in ``tests/property`` check responses with it applied, through schemathesis).

Parsed documents are cached per file for the process and compiled validators per (operation,
status, media type), so only the first response of a kind pays for compilation.

A violation is a :class:`SpecViolation`; the middleware logs it, appends it to
``SimulatorState.spec_violations`` and answers ``500 {"error": "response_violates_spec", ...}``
instead of the offending response (see :func:`violation_body`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from .registry import SurfaceSpec

__all__ = [
    "VALIDATE_ENV",
    "OpenApiDocument",
    "ResponseValidator",
    "SpecViolation",
    "document_path",
    "load_document",
    "spec_dirs",
    "surface_document",
    "to_json_schema",
    "validation_from_env",
    "violation_body",
]

log = logging.getLogger("vreconnect_sim.validation")

VALIDATE_ENV = "VRECONNECT_SIM_VALIDATE"
"""Environment variable that turns validation on when ``create_app`` is not told either way."""

SPECS_ENV = "VRECONNECT_SIM_SPECS"
"""Optional directory searched first for the OpenAPI documents."""

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

# Schema keywords that are OpenAPI annotations, not JSON Schema assertions.
_DROPPED_KEYWORDS = frozenset(
    {"discriminator", "example", "examples", "xml", "externalDocs", "deprecated", "nullable"}
)
# Keywords whose value is data (not a schema): copied verbatim, never walked.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "required", "type", "pattern"})
# Keywords whose value maps names to schemas: the names are data, the values schemas.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs"})
_CHECKED_FORMATS = frozenset({"date-time", "uuid"})

_RFC3339 = re.compile(
    r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$", re.ASCII
)


def validation_from_env() -> bool:
    """True if ``VRECONNECT_SIM_VALIDATE`` is set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    return os.environ.get(VALIDATE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


# -- locating and loading documents ---------------------------------------------------------


def spec_dirs() -> list[Path]:
    """Directories searched for ``<name>.yaml``, in order.

    ``$VRECONNECT_SIM_SPECS``; ``vreconnect_sim/specs`` inside an installed wheel (pyproject
    force-includes ``specs`` there); ``specs/`` of a repository checkout (editable installs).
    """
    here = Path(__file__).resolve().parent
    dirs = [here / "specs", here.parents[1] / "specs"]
    env = os.environ.get(SPECS_ENV)
    if env:
        dirs.insert(0, Path(env))
    return dirs


def document_path(name: str) -> Path | None:
    """Where ``specs/<name>.yaml`` is, or None if no searched directory has it."""
    for directory in spec_dirs():
        candidate = directory / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=32)
def _load_cached(path: Path, mtime_ns: int) -> OpenApiDocument:
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster
    with path.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=loader)
    return OpenApiDocument(path.stem, spec)


def load_document(source: str | os.PathLike[str] | Mapping[str, Any]) -> OpenApiDocument:
    """An :class:`OpenApiDocument` from a path or an already-parsed mapping.

    Files are cached for the process (keyed by path and modification time), so the many apps a
    test session builds share one parsed document and its compiled validators.
    """
    if isinstance(source, Mapping):
        title = str(source.get("info", {}).get("title", "inline document"))
        return OpenApiDocument(title, source)
    path = Path(source).resolve()
    return _load_cached(path, path.stat().st_mtime_ns)


# -- OpenAPI 3.0 schema -> JSON Schema -----------------------------------------------------


def to_json_schema(schema: Any, base_uri: str = "") -> Any:
    """Translate one OpenAPI 3.0 schema object to JSON Schema 2020-12 (see module docstring).

    Local references (``#/components/...``) are made absolute against ``base_uri`` so they
    resolve through the document's :class:`referencing.Registry` from anywhere.
    """
    if isinstance(schema, list):
        return [to_json_schema(item, base_uri) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS or key.startswith("x-"):
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = base_uri + value if value.startswith("#") else value
        elif key in _DATA_KEYWORDS:
            out[key] = value
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: to_json_schema(sub, base_uri) for name, sub in value.items()}
        elif key == "format":
            if value in _CHECKED_FORMATS:
                out[key] = value
        elif key == "additionalProperties" and value is False:
            continue  # see the module docstring: request-only strictness
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                out[key] = schema[bound]
        else:
            out[key] = to_json_schema(value, base_uri)
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        # OpenAPI 3.0's boolean form moved the bound into the exclusive keyword.
        if isinstance(schema.get(key), bool) and schema[key]:
            out.pop("minimum" if key == "exclusiveMinimum" else "maximum", None)
    if schema.get("nullable") is True:
        return _nullable(out)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` admitting ``null`` as well."""
    kind = schema.get("type")
    simple = not any(k in schema for k in ("enum", "const", "$ref", "allOf", "anyOf", "oneOf"))
    if isinstance(kind, str) and simple:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [{"type": "null"}, schema]}


def _check_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1)
def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(_check_date_time)
    checker.checks("uuid")(_check_uuid)
    return checker


# -- documents and operations ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecViolation:
    """One response that does not match its document."""

    document: str
    operation: str | None
    method: str
    path: str
    status: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (control API, logs)."""
        return asdict(self)

    def __str__(self) -> str:
        op = self.operation or "?"
        return f"{self.method} {self.path} -> {self.status} ({self.document} {op}): {self.detail}"


@dataclass(frozen=True, slots=True)
class _Template:
    """One path template of a document, compiled."""

    template: str
    regex: re.Pattern[str]
    literal_segments: int
    item: Mapping[str, Any]


class OpenApiDocument:
    """One OpenAPI document: operation lookup and cached per-response validators.

    Thread-safe: the compile cache is guarded by a lock (the middleware may run on several
    loops in tests).
    """

    def __init__(self, name: str, spec: Mapping[str, Any]) -> None:
        self.name = name
        self.spec = spec
        self.uri = f"urn:vreconnect-sim:spec:{re.sub(r'[^A-Za-z0-9._-]', '-', name)}"
        templates = []
        for template, item in (spec.get("paths") or {}).items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            literal = sum(1 for seg in template.split("/") if seg and "{" not in seg)
            templates.append(_Template(template, re.compile(f"^{pattern}$"), literal, item))
        # Literal segments win over parameters: /pairings/tasks before /pairings/{id}.
        self._templates = sorted(templates, key=lambda t: -t.literal_segments)
        self._registry: Any = None
        self._validators: dict[tuple[str, str, str], Validator] = {}
        self._faults: frozenset[str] | None = None
        self._lock = threading.Lock()

    # -- lookup ------------------------------------------------------------------------------

    def find_operation(self, method: str, path: str) -> tuple[str, Mapping[str, Any]] | None:
        """``(template, operation)`` for ``method`` on ``path`` (relative to the server URL)."""
        method = method.lower()
        for t in self._templates:
            if method in t.item and t.regex.match(path):
                return t.template, t.item[method]
        return None

    def operations(self) -> list[tuple[str, str, Mapping[str, Any]]]:
        """Every operation as ``(METHOD, template, operation)``, in document order."""
        return [
            (method.upper(), template, op)
            for template, item in (self.spec.get("paths") or {}).items()
            for method, op in item.items()
            if method in HTTP_METHODS
        ]

    def methods_at(self, path: str) -> list[str]:
        """The methods (upper case, sorted) documented on ``path`` (relative to the server URL)."""
        for t in self._templates:
            if t.regex.match(path):
                return sorted(m.upper() for m in t.item if m in HTTP_METHODS)
        return []

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow local ``$ref``s (responses, headers, parameters) to their target."""
        seen = 0
        while "$ref" in node and seen < 32:
            ref = str(node["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported reference {ref!r}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
        return node

    def response_object(
        self, operation: Mapping[str, Any], status: int
    ) -> Mapping[str, Any] | None:
        """The response object documented for ``status`` (exact, ``5XX`` range, ``default``)."""
        responses: Mapping[Any, Any] = operation.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            found = responses.get(key)
            if found is None and key.isdigit():
                found = responses.get(int(key))  # YAML may have parsed an unquoted 200
            if found is not None:
                return self.resolve(found)
        return None

    # -- validation --------------------------------------------------------------------------

    def check(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[str | None, str | None] | None:
        """Check one response. None: no documented operation (not checked).

        Otherwise ``(operationId, problem)``, ``problem`` None when the response conforms.
        ``headers`` must have lower-case names.
        """
        found = self.find_operation(method, path)
        if found is None:
            return None
        template, op = found
        return op.get("operationId"), self.response_problem(
            op, template, method, status, headers, body
        )

    def response_problem(
        self,
        op: Mapping[str, Any],
        template: str,
        method: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> str | None:
        """What is wrong with one response of ``op`` (at ``template``), None if it conforms.

        ``headers`` must have lower-case names.
        """
        key = op.get("operationId") or f"{method.upper()} {template}"  # bounded cache key
        response = self.response_object(op, status)
        if response is None:
            documented = ", ".join(str(s) for s in (op.get("responses") or {}))
            return f"status {status} is not documented (documented: {documented})"
        for name, header in (response.get("headers") or {}).items():
            header = self.resolve(header)
            if header.get("required") and name.lower() not in headers:
                return f"required header {name} is missing"
        content: Mapping[str, Any] = response.get("content") or {}
        if method.upper() == "HEAD":
            return None
        if not content:
            if body:
                return f"status {status} is documented without a body, got {len(body)} bytes"
            return None
        if not body:
            return f"status {status} documents a body ({', '.join(content)}), got none"
        ctype = headers.get("content-type", "")
        media_key = _match_media(ctype, content)
        if media_key is None:
            return f"Content-Type {ctype or '(none)'} is not documented ({', '.join(content)})"
        if not _is_json(media_key):
            return None  # non-JSON bodies: the media type is all we check
        schema = (content[media_key] or {}).get("schema")
        if schema is None:
            return None
        try:
            instance = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            return f"body is not valid JSON: {exc}"
        validator = self.validator(key, str(status), media_key, schema)
        return self._most_specific(_first_error(validator, instance), instance)

    def schema_problem(self, name: str, instance: Any) -> str | None:
        """What is wrong with ``instance`` as a ``#/components/schemas/<name>`` (and as the
        concrete fault schema of every VI/JSON fault inside it), None if it conforms."""
        schema = {"$ref": f"#/components/schemas/{name}"}
        validator = self.validator(f"#/components/schemas/{name}", "", "", schema)
        return self._most_specific(_first_error(validator, instance), instance)

    def _most_specific(self, problem: str | None, instance: Any) -> str | None:
        # A fault that breaks its own schema also fails a `oneOf` of faults, which reports
        # only "not valid under any of the given schemas": its own schema names the field.
        return self.concrete_fault_problem(instance) or problem

    def concrete_fault_problem(self, instance: Any) -> str | None:
        """What is wrong with the VI/JSON faults inside ``instance`` as their own schemas.

        A place typed ``MethodFault`` (``TaskInfo.error``, ``faultCause``) admits any fault, so
        its schema checks only what every fault has; each object whose ``_typeName`` names a
        concrete fault schema of this document (``allOf: [MethodFault, ...]``, see
        specs/CONVENTIONS.md) must also match that schema. None if all do (or there are none).
        """
        faults = self.fault_schemas()
        if not faults:
            return None
        for where, node in _typed_objects(instance, "$"):
            name = node["_typeName"]
            if name not in faults:
                continue
            ref = f"#/components/schemas/{name}"
            problem = _first_error(self.validator(ref, "", "", {"$ref": ref}), node)
            if problem is not None:
                return f"{where}{problem[1:]} (as {name})"
        return None

    def fault_schemas(self) -> frozenset[str]:
        """Names of the concrete fault schemas (``allOf`` starting from ``MethodFault``)."""
        if self._faults is None:
            base = "#/components/schemas/MethodFault"
            schemas = (self.spec.get("components") or {}).get("schemas") or {}
            self._faults = frozenset(
                name
                for name, schema in schemas.items()
                if isinstance(schema, Mapping)
                and any(
                    isinstance(part, Mapping) and part.get("$ref") == base
                    for part in schema.get("allOf") or ()
                )
            )
        return self._faults

    def validator(self, op_key: str, status: str, media: str, schema: Any) -> Validator:
        """The compiled validator of one response schema (cached)."""
        cache_key = (op_key, status, media)
        found = self._validators.get(cache_key)
        if found is not None:
            return found
        from jsonschema import Draft202012Validator

        with self._lock:
            found = self._validators.get(cache_key)
            if found is None:
                found = Draft202012Validator(
                    to_json_schema(schema, self.uri),
                    registry=self._schema_registry(),
                    format_checker=_format_checker(),
                )
                self._validators[cache_key] = found
        return found

    def _schema_registry(self) -> Any:
        """A :class:`referencing.Registry` holding the translated ``#/components/schemas``."""
        if self._registry is None:
            from referencing import Registry
            from referencing.jsonschema import DRAFT202012

            schemas = (self.spec.get("components") or {}).get("schemas") or {}
            contents = {
                "components": {
                    "schemas": {name: to_json_schema(s, self.uri) for name, s in schemas.items()}
                }
            }
            resource = DRAFT202012.create_resource(contents)
            self._registry = Registry().with_resource(self.uri, resource)
        return self._registry


def _match_media(ctype: str, content: Mapping[str, Any]) -> str | None:
    """The documented media type key matching a ``Content-Type`` header value."""
    actual = ctype.split(";", 1)[0].strip().lower()
    if not actual:
        return None
    lowered = {k.lower(): k for k in content}
    if actual in lowered:
        return lowered[actual]
    major = actual.split("/", 1)[0]
    for candidate in (f"{major}/*", "*/*"):
        if candidate in lowered:
            return lowered[candidate]
    return None


def _is_json(media: str) -> bool:
    media = media.lower()
    return media == "application/json" or media.endswith("+json") or media == "*/*"


def _typed_objects(node: Any, where: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every JSON object in ``node`` with a string ``_typeName``, with its ``$.path``."""
    if isinstance(node, Mapping):
        if isinstance(node.get("_typeName"), str):
            yield where, node
        for key, value in node.items():
            if isinstance(value, Mapping | list):
                yield from _typed_objects(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, Mapping | list):
                yield from _typed_objects(value, f"{where}[{index}]")


def _first_error(validator: Validator, instance: Any) -> str | None:
    """The most relevant schema error, as ``$.path: message``; None if valid."""
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message = error.message
    if len(message) > 400:
        message = message[:400] + "..."
    return f"{where}: {message}"


# -- the app-level validator ------------------------------------------------------------------


def surface_document(
    name: str, source: str | os.PathLike[str] | Mapping[str, Any] | None = None
) -> OpenApiDocument | None:
    """The document of surface ``name``: ``source`` (``SurfaceSpec.openapi``) if given, else
    ``specs/<name>.yaml``; None (logged) if there is none or it cannot be read."""
    try:
        if source is not None:
            return load_document(source)
        path = document_path(name)
        if path is None:
            log.warning(
                "no OpenAPI document for surface %r (searched %s): its responses are not validated",
                name,
                ", ".join(str(d) for d in spec_dirs()),
            )
            return None
        return load_document(path)
    except (OSError, yaml.YAMLError) as exc:
        log.error("cannot load the OpenAPI document of %r: %s", name, exc)
        return None


@dataclass(frozen=True, slots=True)
class _Mounted:
    """A mount prefix (as a regex capturing the rest of the path) and its document source."""

    regex: re.Pattern[str]
    name: str
    source: str | os.PathLike[str] | Mapping[str, Any] | None


class ResponseValidator:
    """Finds the document owning a request path and checks responses against it.

    ``surfaces``: the app's surfaces (their ``mount`` and ``openapi``); ``control_mount``: where
    the control API (``specs/control.yaml``) is. Documents load on first use. A surface whose
    document cannot be found is logged once and not checked.
    """

    def __init__(self, surfaces: Iterable[SurfaceSpec], control_mount: str = "/_sim") -> None:
        mounts: list[tuple[str, str, Any]] = [
            (spec.mount, spec.name, spec.openapi) for spec in surfaces
        ]
        mounts.append((control_mount, "control", None))
        mounts.sort(key=lambda m: -len(m[0]))  # longest first: .../sms before /sdk/vim25/{r}
        self._mounts: Sequence[_Mounted] = [
            _Mounted(_mount_regex(mount), name, source) for mount, name, source in mounts
        ]
        self._documents: dict[str, OpenApiDocument | None] = {}
        self._lock = threading.Lock()

    def document_for(self, name: str, source: Any) -> OpenApiDocument | None:
        """The loaded document of surface ``name`` (None if there is none)."""
        if name in self._documents:
            return self._documents[name]
        with self._lock:
            if name not in self._documents:
                self._documents[name] = surface_document(name, source)
        return self._documents[name]

    def check(
        self,
        method: str,
        path: str,
        status: int,
        raw_headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
    ) -> SpecViolation | None:
        """The violation in one response, or None (conforms, or not a documented operation)."""
        for mounted in self._mounts:
            m = mounted.regex.match(path)
            if m is None:
                continue
            document = self.document_for(mounted.name, mounted.source)
            if document is None:
                return None
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
            rest = m.group("rest") or "/"
            try:
                result = document.check(method, rest, status, headers, body)
            except Exception as exc:  # a broken document must not take the server down
                log.exception("validating %s %s failed", method, path)
                return SpecViolation(
                    mounted.name, None, method, path, status, f"validator error: {exc!r}"
                )
            if result is None or result[1] is None:
                return None
            return SpecViolation(document.name, result[0], method, path, status, result[1])
        return None


def _mount_regex(mount: str) -> re.Pattern[str]:
    """Paths under ``mount`` (``{param}`` = one segment), capturing the rest as ``rest``."""
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(mount.rstrip("/")))
    return re.compile(f"^{pattern}(?P<rest>/.*)?$")


def violation_body(violation: SpecViolation) -> dict[str, Any]:
    """The JSON body of the 500 that replaces a violating response."""
    return {
        "error": "response_violates_spec",
        "message": f"the simulator's response violates the {violation.document} OpenAPI document",
        "document": violation.document,
        "operation": violation.operation,
        "method": violation.method,
        "path": violation.path,
        "status": violation.status,
        "detail": violation.detail,
    }
