"""The OpenAPI documents in specs/ are complete, consistent and usable by both generators."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
DOCS = sorted(p.stem for p in SPECS.glob("*.yaml"))
VIM_DOCS = [d for d in DOCS if d in ("vim25", "sms")]
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# The vSphere fault hierarchy, from shared/knowledge/protocols.md: fault -> direct parent.
VSPHERE_FAULT_PARENTS = {
    "RuntimeFault": "MethodFault",
    "VimFault": "MethodFault",
    "NotSupported": "RuntimeFault",
    "NotEnoughLicenses": "RuntimeFault",
    "InvalidArgument": "RuntimeFault",
    "InvalidRequest": "RuntimeFault",
    "ManagedObjectNotFound": "RuntimeFault",
    "NotAuthenticated": "RuntimeFault",
    "SecurityError": "RuntimeFault",
    "NoPermission": "SecurityError",
    "InvalidLogin": "VimFault",
    "InvalidLocale": "VimFault",
    "InvalidState": "VimFault",
    "InvalidName": "VimFault",
    "DasConfigFault": "VimFault",
    "HostConnectFault": "VimFault",
    "AlreadyBeingManaged": "HostConnectFault",
    "NotSupportedHost": "HostConnectFault",
    "NoHost": "HostConnectFault",
    "SSLVerifyFault": "HostConnectFault",
    "ProviderRegistrationFault": "MethodFault",
    "InvalidCertificate": "ProviderRegistrationFault",
    "ProviderConnectionFailed": "RuntimeFault",
}


def load(doc: str) -> dict[str, Any]:
    """One document, parsed (a fresh copy: callers may change it)."""
    return copy.deepcopy(_parse(SPECS / f"{doc}.yaml"))


@functools.cache
def _parse(path: Path) -> dict[str, Any]:
    # Parsed once per run: the suite reads each document hundreds of times.
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) for every operation of a document."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def schema_name(ref: str) -> str:
    """The component name a local ``$ref`` points at."""
    return ref.rsplit("/", 1)[-1]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` to its component schema."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema_name(schema["$ref"])]
    return schema


def own_properties(schema: dict[str, Any]) -> dict[str, Any]:
    """Properties a schema declares itself or in an inline ``allOf`` part."""
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" not in part:
            props.update(part.get("properties", {}))
    return props


@pytest.mark.parametrize("doc", DOCS)
def test_document_is_valid_openapi(doc: str) -> None:
    validate(load(doc))


def test_every_surface_has_a_document() -> None:
    assert {"vim25", "sms", "vcenter", "vr", "control"} <= set(DOCS)


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_every_fault_a_page_lists_has_a_schema_and_a_mapping(doc: str) -> None:
    spec = load(doc)
    schemas = spec["components"]["schemas"]
    for _path, _method, op in operations(spec):
        error = op["responses"].get("500")
        assert error, f"{op['operationId']} documents no fault response"
        union = resolve(spec, error["content"]["application/json"]["schema"])
        mapping = union["discriminator"]["mapping"]
        assert union["discriminator"]["propertyName"] == "_typeName"
        # oneOf and mapping list the same faults, and each exists as a schema.
        assert {schema_name(r["$ref"]) for r in union["oneOf"]} == {
            schema_name(t) for t in mapping.values()
        }
        for wire_name, target in mapping.items():
            assert schema_name(target) == wire_name
            assert wire_name in schemas
        # Every "Name: text" line of the response description (the page's fault list) is mapped.
        listed = re.findall(r"^([A-Z][A-Za-z]+): ", error["description"], flags=re.M)
        for fault in listed:
            assert fault in mapping, f"{op['operationId']}: {fault} is listed but not mapped"


@pytest.mark.parametrize("doc", DOCS)
def test_every_type_name_matches_its_schema(doc: str) -> None:
    for name, schema in load(doc)["components"]["schemas"].items():
        prop = own_properties(schema).get("_typeName", {})
        if "enum" in prop:
            assert prop["enum"] == [name], name
        if "default" in prop:
            assert prop["default"] == name, name


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_every_data_object_carries_a_required_type_name(doc: str) -> None:
    for name, schema in load(doc)["components"]["schemas"].items():
        if name.endswith("RequestType") or "oneOf" in schema or schema.get("type") == "string":
            continue
        parts = [schema] + [p for p in schema.get("allOf", []) if "$ref" not in p]
        has_own = any("_typeName" in p.get("properties", {}) for p in parts)
        inherits = any("$ref" in p for p in schema.get("allOf", []))
        assert has_own or inherits, f"{name} has no _typeName"
        if has_own:
            required = {r for p in parts for r in p.get("required", [])}
            assert "_typeName" in required, f"{name}: _typeName is not required"


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_fault_hierarchy_is_vspheres(doc: str) -> None:
    schemas = load(doc)["components"]["schemas"]
    faults = {n: s for n, s in schemas.items() if "x-vim-base" in s}
    assert faults, "no fault schemas"
    for name, schema in faults.items():
        assert schema["x-vim-base"] == VSPHERE_FAULT_PARENTS[name], name
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/MethodFault"}, name
        assert f"vSphere hierarchy: {name} <- " in " ".join(schema["description"].split()), name


def walk_properties(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema below ``schema`` (inline ones included)."""
    if isinstance(schema, dict):
        for key, value in schema.get("properties", {}).items():
            yield f"{where}.{key}", value
            yield from walk_properties(value, f"{where}.{key}")
        for key in ("allOf", "oneOf", "anyOf"):
            for i, part in enumerate(schema.get(key, [])):
                yield from walk_properties(part, f"{where}.{key}[{i}]")
        if "items" in schema:
            yield from walk_properties(schema["items"], f"{where}[]")


@pytest.mark.parametrize("doc", DOCS)
def test_every_integer_is_bounded(doc: str) -> None:
    spec = load(doc)
    for name, schema in spec["components"]["schemas"].items():
        for where, prop in walk_properties(schema, name):
            if prop.get("type") == "integer":
                assert "minimum" in prop and "maximum" in prop, f"{doc}: {where} has no bounds"


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_targets_an_operation(doc: str) -> None:
    spec = load(doc)
    ids = {op["operationId"] for _, _, op in operations(spec)}
    linked = 0
    for _path, _method, op in operations(spec):
        for response in op["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids
                linked += 1
    if doc != "control":
        assert linked, f"{doc} has no links for stateful tests"


def expand(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A schema and every schema it combines (``allOf``, ``oneOf``, ``anyOf``), resolved."""
    schema = resolve(spec, schema)
    yield schema
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            yield from expand(spec, part)


def field_schemas(spec: dict[str, Any], schema: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The schemas a field path (``a.b[].c``) of a body can have; empty if it has none."""
    current = [schema]
    for part in path.replace("[]", ".[]").split("."):
        if not part:
            continue
        found = []
        for candidate in current:
            for option in expand(spec, candidate):
                if part == "[]" and "items" in option:
                    found.append(option["items"])
                elif part in option.get("properties", {}):
                    found.append(option["properties"][part])
        current = found
    return current


# -- REST errors ---------------------------------------------------------------------------------

# protocols.md: "invalid_argument 400, unauthenticated 401, unauthorized 403, not_found 404,
# service_unavailable 503, others 500 (page 003 documents its own)"; page 003 adds
# unverified_peer 400 and error 500.
VAPI_STATUS = {
    "invalid_argument": "400",
    "unverified_peer": "400",
    "unauthenticated": "401",
    "unauthorized": "403",
    "not_found": "404",
    "service_unavailable": "503",
    "error": "500",
}
VAPI_PREFIX = "com.vmware.vapi.std.errors."


def test_every_vapi_error_has_its_schema_its_mapping_and_its_status() -> None:
    spec = load("vcenter")
    schemas = spec["components"]["schemas"]
    checked = 0
    for _path, _method, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            union = resolve(spec, schema)
            members = [schema_name(m["$ref"]) for m in union.get("oneOf", [])] or [
                schema_name(schema["$ref"])
            ]
            if "oneOf" in union:
                # A status shared by several errors: a oneOf whose discriminator on `type`
                # maps each error's wire name to its schema, and lists each member once.
                assert union["discriminator"]["propertyName"] == "type"
                mapping = union["discriminator"]["mapping"]
                assert sorted(schema_name(t) for t in mapping.values()) == sorted(members)
            for member in members:
                type_schema = schemas[schema_name(schemas[member]["properties"]["type"]["$ref"])]
                (wire,) = type_schema["enum"]
                assert schema_name(schemas[member]["properties"]["type"]["$ref"]) == f"{member}Type"
                assert wire.startswith(VAPI_PREFIX), wire
                snake = wire.removeprefix(VAPI_PREFIX)
                assert VAPI_STATUS[snake] == status, f"{op['operationId']}: {wire} as {status}"
                if "oneOf" in union:
                    assert schema_name(mapping[wire]) == member
                value = schemas[schema_name(schemas[member]["properties"]["value"]["$ref"])]
                error_type = schemas[schema_name(value["properties"]["error_type"]["$ref"])]
                assert error_type["enum"] == [snake.upper()], member
                checked += 1
    assert checked > 10


def test_vr_errors_carry_response_error_or_nothing() -> None:
    # protocols.md: "401 and 404 carry no body; 400, 403 and 500 carry ResponseError".
    spec = load("vr")
    for _path, _method, op in operations(spec):
        for status, response in op["responses"].items():
            if status in ("401", "404"):
                assert "content" not in response, (op["operationId"], status)
            elif int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ResponseError"}, (
                    op["operationId"],
                    status,
                )


# -- VI/JSON schema rules ------------------------------------------------------------------------


def strip_descriptions(value: Any) -> Any:
    """A schema without its prose (each document cites its own page)."""
    if isinstance(value, dict):
        return {
            k: strip_descriptions(v)
            for k, v in value.items()
            if k not in ("description", "example", "examples")
        }
    if isinstance(value, list):
        return [strip_descriptions(v) for v in value]
    return value


def test_a_schema_in_both_vi_json_documents_is_the_same_schema() -> None:
    """vim25 and sms are one wire protocol: a shared name (KeyAnyValue, a fault) is one type."""
    vim, sms = load("vim25")["components"]["schemas"], load("sms")["components"]["schemas"]
    shared = sorted(vim.keys() & sms.keys())
    assert {"KeyAnyValue", "LocalizableMessage", "MethodFault", "DataObject"} <= set(shared)
    for name in shared:
        assert strip_descriptions(vim[name]) == strip_descriptions(sms[name]), name


def test_vi_json_messages_require_what_the_real_api_requires() -> None:
    # The real VI/JSON API: LocalizableMessage.key and KeyAnyValue.key/value are required.
    for doc in VIM_DOCS:
        schemas = load(doc)["components"]["schemas"]
        assert set(schemas["LocalizableMessage"]["required"]) == {"_typeName", "key"}, doc
        assert set(schemas["KeyAnyValue"]["required"]) == {"_typeName", "key", "value"}, doc


def referenced(spec: dict[str, Any], roots: list[Any]) -> set[str]:
    """Names of the component schemas reachable from ``roots`` through ``$ref``."""
    found: set[str] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if "$ref" in node and node["$ref"].startswith("#/components/schemas/"):
                name = schema_name(node["$ref"])
                if name not in found:
                    found.add(name)
                    todo.append(spec["components"]["schemas"][name])
            todo.extend(v for k, v in node.items() if k not in ("example", "examples"))
        elif isinstance(node, list):
            todo.extend(node)
    return found


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_request_only_objects_are_closed_and_response_objects_open(doc: str) -> None:
    """VI/JSON rejects unknown properties in a request; servers add fields to responses."""
    spec = load(doc)
    schemas = spec["components"]["schemas"]
    requests, responses = [], []
    for _path, _method, op in operations(spec):
        requests += [m["schema"] for m in op.get("requestBody", {}).get("content", {}).values()]
        for response in op["responses"].values():
            responses += [m["schema"] for m in response.get("content", {}).values()]
    in_responses = referenced(spec, responses)
    request_only = referenced(spec, requests) - in_responses
    if doc == "vim25":
        expected = {"HostConnectSpec", "HostGatewaySpec", "HostSystemReconnectSpec", "KeyValue"}
        assert expected <= request_only
    for name in request_only:
        if "properties" in schemas[name]:
            assert schemas[name].get("additionalProperties") is False, f"{name} is request-only"
    for name in in_responses:
        assert schemas[name].get("additionalProperties") is not False, f"{name} is in a response"


# Schemas whose `_typeName` is deliberately not pinned, and why.
OPEN_TYPE_NAMES = {
    "MethodFault": "the abstract base: any fault",
    "DataObject": "any data object (`Any` on the pages), primitives boxed",
    "Event": "an event's concrete type (DasHostFailedEvent, ...)",
}


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_every_type_name_is_pinned_unless_deliberately_open(doc: str) -> None:
    for name, schema in load(doc)["components"]["schemas"].items():
        prop = own_properties(schema).get("_typeName")
        if prop is not None and name not in OPEN_TYPE_NAMES:
            assert prop.get("enum") == [name], f"{name}: _typeName is not pinned"


def annotated(value: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema (at any depth) that lists ``x-known-values``."""
    if isinstance(value, dict):
        if "x-known-values" in value:
            yield where, value
        for key, item in value.items():
            yield from annotated(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from annotated(item, f"{where}[{i}]")


@pytest.mark.parametrize("doc", DOCS)
def test_known_values_are_open_strings_that_say_them(doc: str) -> None:
    """A string the pages leave open stays open; its known values are listed, not enforced."""
    for where, schema in annotated(load(doc)):
        assert schema.get("type") == "string" and "enum" not in schema, where
        description = " ".join(schema["description"].split())
        for value in schema["x-known-values"]:
            assert value in description, f"{where}: {value} is not in the description"


def test_lockdown_mode_and_das_reason_are_open() -> None:
    schemas = load("vim25")["components"]["schemas"]
    lockdown = schemas["HostConnectSpec"]["properties"]["lockdownMode"]
    reason = own_properties(schemas["DasConfigFault"])["reason"]
    for prop in (lockdown, reason):
        assert prop["type"] == "string" and "enum" not in prop and prop["x-known-values"]
    assert reason["x-known-values"] == schemas["DasConfigFaultDasConfigFaultReason"]["enum"]


@pytest.mark.parametrize("doc", VIM_DOCS)
def test_release_is_a_free_string_with_the_releases_seen_in_use(doc: str) -> None:
    spec = load(doc)
    release = spec["servers"][0]["variables"]["release"]
    assert release["default"] in release["enum"]
    assert "seen in use" in " ".join(release["description"].split()), (
        "the release list must say it is only the releases seen in use (pages: a free string)"
    )
    for path, _method, op in operations(spec):
        for param in spec["paths"][path].get("parameters", []) + op.get("parameters", []):
            if param.get("name") == "release":
                schema = param["schema"]
                assert "enum" not in schema and schema.get("pattern") == r"^\d+\.\d+\.\d+\.\d+$"


# -- links ---------------------------------------------------------------------------------------

SESSION_DOCS = ["vim25", "sms", "vcenter", "vr"]
# The login of each surface and where its response carries the new session (protocols.md).
LOGINS = {
    "vim25": ("Login", "$response.header.vmware-api-session-id"),
    "vcenter": ("cis_session_create", "$response.body#/value"),
    "vr": ("login", "$response.body#/session_id"),
}
LOGOUTS = {"vim25": "Logout", "vcenter": "cis_session_delete", "vr": "logout"}
TASK_READS = {
    "vim25": "GetTaskInfo",
    "sms": "QuerySmsTaskInfo",
    "vcenter": "cis_tasks_get",
    "vr": "get_task",
}


def starts_task(operation_id: str) -> bool:
    """Whether an operation starts a task (``*_Task``, the redeploy, the pairing reconnect)."""
    return operation_id.endswith("_Task") or operation_id in (
        "vcha_cluster_passive_redeploy_task",
        "reconnect_pairing",
    )


def links(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(source operationId, link name, link) for every link of a document."""
    for _path, _method, op in operations(spec):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                yield op["operationId"], name, link


def by_id(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation)."""
    return {op["operationId"]: (path, method, op) for path, method, op in operations(spec)}


def session_header(spec: dict[str, Any]) -> str | None:
    """The header the document's session travels in."""
    scheme = spec.get("components", {}).get("securitySchemes", {}).get("sessionHeader")
    return None if scheme is None else str(scheme["name"])


def needs_session(spec: dict[str, Any], op: dict[str, Any]) -> bool:
    """Whether an operation is called with the session header."""
    requirements = op.get("security", spec.get("security", []))
    return any("sessionHeader" in requirement for requirement in requirements)


@pytest.mark.parametrize("doc", SESSION_DOCS)
def test_every_link_carries_the_session(doc: str) -> None:
    """A stateful run stays on ONE session: the login's, passed along every link."""
    spec = load(doc)
    ops = by_id(spec)
    header = session_header(spec)
    login, from_login = LOGINS.get(doc, (None, None))
    carried = 0
    for source, name, link in links(spec):
        _, _, target = ops[link["operationId"]]
        if not needs_session(spec, target):
            continue
        if source == login:
            expected = from_login
        else:
            # A response other than the login's does not carry the token: pass the request's.
            assert needs_session(spec, ops[source][2]), f"{source} has no session to pass"
            expected = f"$request.header.{header}"
        assert link.get("parameters", {}).get(f"header.{header}") == expected, (source, name)
        carried += 1
    assert carried


@pytest.mark.parametrize("doc", SESSION_DOCS)
def test_login_task_and_logout_are_linked_in_one_flow(doc: str) -> None:
    """log in -> start each task -> read it -> log out, as issue 5's stateful runs need."""
    spec = load(doc)
    targets: dict[str, set[str]] = {}
    for source, _name, link in links(spec):
        targets.setdefault(source, set()).add(link["operationId"])
    tasks = [op_id for op_id in by_id(spec) if starts_task(op_id)]
    assert tasks
    if doc in LOGINS:
        login = LOGINS[doc][0]
        assert set(tasks) | {LOGOUTS[doc]} <= targets[login], doc
    if doc == "vr":
        assert "get_pairings" in targets["login"], "login does not lead to the pairing list"
    for task in tasks:
        assert TASK_READS[doc] in targets[task], task
        if doc == "vim25":
            assert "CancelTask" in targets[task], task
    if doc in LOGOUTS:
        assert LOGOUTS[doc] in targets[TASK_READS[doc]]


def declared_parameters(spec: dict[str, Any], path: str, op: dict[str, Any]) -> set[str]:
    """``in.name`` of every parameter an operation takes, its session header included."""
    params = set()
    for param in spec["paths"][path].get("parameters", []) + op.get("parameters", []):
        if "$ref" in param:
            param = spec["components"]["parameters"][schema_name(param["$ref"])]
        params.add(f"{param['in']}.{param['name']}")
    if needs_session(spec, op):
        params.add(f"header.{session_header(spec)}")
    return params


def check_expression(
    spec: dict[str, Any], path: str, op: dict[str, Any], response: dict[str, Any], expr: str
) -> str | None:
    """Why a link's runtime expression cannot be evaluated on its source (None if it can)."""
    if match := re.fullmatch(r"\$request\.(path|query|header)\.(.+)", expr):
        where = f"{match.group(1)}.{match.group(2)}"
        return None if where in declared_parameters(spec, path, op) else f"no {where}"
    if match := re.fullmatch(r"\$response\.header\.(.+)", expr):
        return None if match.group(1) in response.get("headers", {}) else "no such header"
    if match := re.fullmatch(r"\$response\.body#/(.+)", expr):
        schema = response["content"]["application/json"]["schema"]
        field = ".".join("[]" if p.isdigit() else p for p in match.group(1).split("/"))
        return None if field_schemas(spec, schema, field.replace(".[]", "[]")) else "no field"
    return "not a runtime expression this suite uses"


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_parameter_is_declared_and_its_expression_resolves(doc: str) -> None:
    spec = load(doc)
    ops = by_id(spec)
    for path, _method, op in operations(spec):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                target_path, _, target = ops[link["operationId"]]
                accepted = declared_parameters(spec, target_path, target)
                for param, value in link.get("parameters", {}).items():
                    qualified = param if "." in param else None
                    if qualified is None:
                        options = [p for p in accepted if p.split(".", 1)[1] == param]
                        assert len(options) == 1, f"{name}: {param} is not a target parameter"
                        qualified = options[0]
                    assert qualified in accepted, f"{op['operationId']} {name}: {param}"
                    if isinstance(value, str) and value.startswith("$"):
                        why = check_expression(spec, path, op, response, value)
                        assert why is None, f"{op['operationId']} {name}: {value}: {why}"
                if "requestBody" in link:
                    # The whole response body as the target's request body: both have one.
                    assert link["requestBody"] == "$response.body", name
                    assert "content" in response and "requestBody" in target, name


@pytest.mark.parametrize("doc", DOCS)
def test_schemathesis_accepts_every_link(doc: str) -> None:
    """The stateful runs' engine builds its state machine (it raises on a link it cannot use)."""
    import schemathesis

    schemathesis.openapi.from_dict(load(doc)).as_state_machine()


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS)
def test_every_operation_documents_its_answer_to_an_oversize_or_malformed_body(doc: str) -> None:
    """Any request may carry a body too large (or malformed); the answer is documented.

    VI/JSON: the InvalidRequest fault (HTTP 500); vcenter: 400 invalid_argument; vr: 400
    ResponseError; the control API: 413.
    """
    spec = load(doc)
    status = {"vcenter": "400", "vr": "400", "control": "413"}.get(doc, "500")
    for _path, _method, op in operations(spec):
        responses = op["responses"]
        assert status in responses, f"{op['operationId']} documents no {status}"
        if doc in VIM_DOCS:
            union = resolve(spec, responses["500"]["content"]["application/json"]["schema"])
            assert "InvalidRequest" in union["discriminator"]["mapping"], op["operationId"]
        elif doc == "vcenter":
            schema = responses["400"]["content"]["application/json"]["schema"]
            assert VAPI_PREFIX + "invalid_argument" in error_types(spec, schema), op["operationId"]
        elif doc == "vr":
            schema = responses["400"]["content"]["application/json"]["schema"]
            assert schema_name(schema["$ref"]) == "ResponseError", op["operationId"]
        else:
            assert responses["413"] == {"$ref": "#/components/responses/TooLarge"}, op[
                "operationId"
            ]


def error_types(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The vAPI error types (``type``) a REST error body may carry."""
    union = resolve(spec, schema)
    if "discriminator" in union:
        return set(union["discriminator"]["mapping"])
    return set(resolve(spec, union["properties"]["type"])["enum"])


@pytest.mark.parametrize(
    ("doc", "schema"), [("vcenter", "Error"), ("vr", "ResponseError"), ("control", "Error")]
)
def test_the_405_of_an_undeclared_method_is_documented_once(doc: str, schema: str) -> None:
    # No operation lists 405 (specs/CONVENTIONS.md): info.description documents it, naming
    # the error schema of its body (tests/sim_rest and tests/sim_core check the answers).
    spec = load(doc)
    text = " ".join(spec["info"]["description"].split())
    assert "405" in text and "`Allow` header" in text and f"`{schema}` body" in text
    assert schema in spec["components"]["schemas"]
    assert all("405" not in op["responses"] for _, _, op in operations(spec))
