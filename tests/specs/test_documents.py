"""The OpenAPI documents in specs/ are complete, consistent and usable by both generators."""

from __future__ import annotations

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
    """One document, parsed."""
    with (SPECS / f"{doc}.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
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


@pytest.mark.parametrize("doc", [d for d in DOCS if d != "control"])
def test_every_task_operation_links_to_its_task_read(doc: str) -> None:
    spec = load(doc)
    for _path, _method, op in operations(spec):
        opid = op["operationId"]
        if opid.endswith("_Task") or "redeploy" in opid or "reconnect" in opid.lower():
            links = [link for r in op["responses"].values() for link in r.get("links", {}).values()]
            targets = {link["operationId"] for link in links}
            assert targets & {"GetTaskInfo", "QuerySmsTaskInfo", "cis_tasks_get", "get_task"}, opid
