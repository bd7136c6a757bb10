"""The generated clients and models import and carry every sample body through without loss."""

from __future__ import annotations

import importlib
import pkgutil
import re
import typing
from datetime import datetime
from enum import Enum
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr

from .pages import PAGES
from .test_documents import DOCS, ROOT, load, operations, resolve, schema_name

GENERATED = ROOT / "generated" / "vreconnect_generated"
MOREF = {"_typeName": "ManagedObjectReference", "type": "Folder", "value": "group-v4"}
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def squash(name: str) -> str:
    """A name with case and underscores folded, to match generator naming."""
    return name.replace("_", "").lower()


def normalise(value: Any) -> Any:
    """Compare date-times by instant, not spelling (``Z`` and ``+00:00`` are the same)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and DATE_TIME.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def reveal(value: Any) -> Any:
    """A pydantic dump with secrets shown and enums as their values, for comparison."""
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def api_module(doc: str, operation_id: str) -> ModuleType:
    """The generated module of one operation."""
    api = importlib.import_module(f"vreconnect_generated.clients.{doc}.api")
    for info in pkgutil.walk_packages(api.__path__, api.__name__ + "."):
        if not info.ispkg and squash(info.name.rsplit(".", 1)[-1]) == squash(operation_id):
            return importlib.import_module(info.name)
    raise AssertionError(f"no generated module for {doc} {operation_id}")


def pydantic_class(doc: str, name: str) -> Any:
    """The datamodel-code-generator class of a component schema."""
    module = importlib.import_module(f"vreconnect_generated.models.{doc}")
    for attr in dir(module):
        if squash(attr) == squash(name):
            return getattr(module, attr)
    raise AssertionError(f"no pydantic model for {doc} {name}")


def media_examples(media: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, value) of every example of a media type: its ``example`` or each named one."""
    if "example" in media:
        return [("example", media["example"])]
    return [(name, example["value"]) for name, example in media.get("examples", {}).items()]


def samples() -> list[Any]:
    """(doc, operationId, part, schema, sample) for every example body in every document.

    A body without any example gets one ``None`` sample, which the round-trip tests reject.
    """
    out = []
    for doc in DOCS:
        spec = load(doc)
        for _path, _method, op in operations(spec):
            parts = []
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                parts.append(("request", body))
            for status, response in op["responses"].items():
                media = response.get("content", {}).get("application/json")
                if media:
                    parts.append((status, media))
            for part, media in parts:
                for name, value in media_examples(media) or [("none", None)]:
                    out.append(
                        pytest.param(
                            doc,
                            op["operationId"],
                            part,
                            media["schema"],
                            value,
                            id=f"{doc}-{op['operationId']}-{part}-{name}",
                        )
                    )
    return out


def test_every_page_example_is_round_tripped() -> None:
    """The pages' own samples (named ``page...``) are among the round-tripped samples."""
    ids = {param.id for param in samples()}
    for page in PAGES:
        for part, name in page.samples:
            assert f"{page.doc}-{page.operation_id}-{part}-{name}" in ids, (page.number, part)


@pytest.mark.parametrize("doc", DOCS)
def test_generated_packages_import(doc: str) -> None:
    client = importlib.import_module(f"vreconnect_generated.clients.{doc}")
    assert hasattr(client, "AuthenticatedClient") and hasattr(client, "Client")
    importlib.import_module(f"vreconnect_generated.models.{doc}")


def test_every_generated_file_says_it_is_generated() -> None:
    files = list(GENERATED.rglob("*.py"))
    assert len(files) > 100
    for path in files:
        head = path.read_text(encoding="utf-8").splitlines()[:2]
        assert head and head[0].startswith("# Generated by "), path
        assert "from specs/" in head[0] and "Do not edit" in head[0], path
        assert "run scripts/generate" in head[1], path


@pytest.mark.parametrize(("doc", "operation_id", "part", "schema", "sample"), samples())
def test_sample_round_trips_through_the_generated_client(
    doc: str, operation_id: str, part: str, schema: dict[str, Any], sample: Any
) -> None:
    assert sample is not None, f"{doc} {operation_id} {part}: the spec has no example"
    module = api_module(doc, operation_id)
    if part == "request":
        hints = typing.get_type_hints(module.request_kwargs)
        # An optional body is typed `Model | Unset`: the model is the member that parses.
        members = typing.get_args(hints["body"]) or (hints["body"],)
        model = next(m for m in members if hasattr(m, "from_dict"))
        parsed = model.from_dict(sample)
    else:
        response = httpx.Response(int(part), json=sample)
        from_client = importlib.import_module(f"vreconnect_generated.clients.{doc}.client")
        parsed = module._parse_response(
            client=from_client.Client(base_url="http://x"), response=response
        )
    dumped = parsed.to_dict() if hasattr(parsed, "to_dict") else parsed
    assert normalise(dumped) == normalise(sample)
    # A fault union must decode to the class its discriminator names, not the first that fits.
    spec = load(doc)
    union = resolve(spec, schema)
    if "discriminator" in union:
        key = union["discriminator"]["propertyName"]
        assert squash(type(parsed).__name__) == squash(
            schema_name(union["discriminator"]["mapping"][sample[key]])
        )


@pytest.mark.parametrize(("doc", "operation_id", "part", "schema", "sample"), samples())
def test_sample_round_trips_through_the_pydantic_models(
    doc: str, operation_id: str, part: str, schema: dict[str, Any], sample: Any
) -> None:
    assert "$ref" in schema, "bodies use named schemas, so both generators name their models"
    model = pydantic_class(doc, schema_name(schema["$ref"]))
    parsed = model.model_validate(sample)
    dumped = reveal(parsed.model_dump(by_alias=True))
    assert normalise(dumped) == normalise(sample)
    spec = load(doc)
    union = resolve(spec, schema)
    if "discriminator" in union:
        key = union["discriminator"]["propertyName"]
        inner = parsed.root
        assert type(inner).__name__ == schema_name(
            union["discriminator"]["mapping"][sample[key]]
        ).replace("_", "")


def test_fields_with_defaults_reject_null() -> None:
    """scripts/generator passes --strict-nullable: a documented default does not admit null.

    datamodel-code-generator otherwise types `port` (default 443) as `int | None`, and the
    simulator would accept `"port": null`, which OpenAPI 3.0 forbids without `nullable`.
    """
    from pydantic import ValidationError

    models = importlib.import_module("vreconnect_generated.models.vcenter")
    with pytest.raises(ValidationError):
        models.ConnectionSpec.model_validate({"hostname": "vc.example.com", "port": None})
    assert models.ConnectionSpec.model_validate({"hostname": "vc.example.com"}).port == 443


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (
            "ReconnectHostRequestType",
            {"cnxSpec": {"_typeName": "HostConnectSpec", "sslThumbPrint": "AA"}},
        ),
        ("HostGatewaySpec", {"_typeName": "HostGatewaySpec", "gatewayType": "x", "gatewayID": "g"}),
        ("HostSystemReconnectSpec", {"_typeName": "HostSystemReconnectSpec", "syncstate": True}),
        ("KeyValue", {"_typeName": "KeyValue", "key": "k", "value": "v", "vaule": "v"}),
    ],
)
def test_request_objects_reject_unknown_fields(model: str, body: dict[str, Any]) -> None:
    """A typo in a nested VI/JSON request object is refused, not silently dropped.

    The simulator validates request bodies with these models, so it answers such a request
    with a fault naming the property instead of ignoring what the client meant to send.
    """
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        pydantic_class("vim25", model).model_validate(body)


@pytest.mark.parametrize(
    ("doc", "model", "body"),
    [
        (
            "vim25",
            "HostRuntimeInfo",
            {
                "_typeName": "HostRuntimeInfo",
                "connectionState": "connected",
                "powerState": "poweredOn",
                "inMaintenanceMode": False,
                "cryptoState": "safe",
            },
        ),
        ("vim25", "ManagedObjectReference", {**MOREF, "serverGuid": "7d3e"}),
        ("sms", "ManagedObjectReference", {**MOREF, "serverGuid": "7d3e"}),
    ],
)
def test_response_objects_keep_fields_a_server_adds(
    doc: str, model: str, body: dict[str, Any]
) -> None:
    """Response objects stay open: the client keeps an added field, the models accept it."""
    models = importlib.import_module(f"vreconnect_generated.clients.{doc}.models")
    assert getattr(models, model).from_dict(body).to_dict() == body
    pydantic_class(doc, model).model_validate(body)
