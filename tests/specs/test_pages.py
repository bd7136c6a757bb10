"""The specs say everything their source page says (tests/fixtures/seeds, copies of the pages).

For each page: its prose, sentence by sentence; its faults and error statuses; its request URL;
its documented fields; every field path of its JSON samples; and the samples themselves,
recorded as named examples of the operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from . import pages
from .pages import PAGES, Page
from .test_documents import (
    error_types,
    expand,
    field_schemas,
    load,
    operations,
    resolve,
    schema_name,
)

PAGE_IDS = [page.number for page in PAGES]


def operation(page: Page) -> tuple[str, str, dict[str, Any]]:
    """(path, method, operation) of the operation a page documents."""
    for path, method, op in operations(load(page.doc)):
        if op["operationId"] == page.operation_id:
            return path, method, op
    raise AssertionError(f"{page.doc} has no operation {page.operation_id}")


def media(op: dict[str, Any], part: str) -> dict[str, Any]:
    """The application/json media of the request body ("request") or of a response status."""
    holder = op["requestBody"] if part == "request" else op["responses"][part]
    found: dict[str, Any] = holder["content"]["application/json"]
    return found


def strings(value: Any) -> Iterator[str]:
    """Every string of a document, examples left out (they are data, not what a page says)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("example", "examples"):
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def corpus(doc: str) -> str:
    """All the text of a document, normalised as the page's sentences are."""
    return " \n ".join(pages.normalise(s) for s in strings(load(doc)))


def required_of(spec: dict[str, Any], schema: dict[str, Any], name: str) -> set[bool]:
    """Whether ``name`` is required, in each (combined) schema that declares it."""
    return {
        name in option.get("required", [])
        for option in expand(spec, schema)
        if name in option.get("properties", {})
    }


def mismatches(page_value: Any, example: Any, where: str = "$") -> Iterator[str]:
    """Where an example differs from a page sample other than by filling in a placeholder."""
    if pages.placeholder(page_value):
        if page_value.endswith(" Object") and not isinstance(example, dict):
            yield f"{where}: the page's {page_value!r} stands for an object"
    elif isinstance(page_value, dict) and isinstance(example, dict):
        for key in page_value.keys() - example.keys():
            yield f"{where}.{key}: on the page, missing from the example"
        for key in example.keys() - page_value.keys():
            yield f"{where}.{key}: in the example, not on the page"
        for key in page_value.keys() & example.keys():
            yield from mismatches(page_value[key], example[key], f"{where}.{key}")
    elif isinstance(page_value, list) and isinstance(example, list):
        if len(page_value) != len(example):
            yield f"{where}: {len(page_value)} items on the page, {len(example)} in the example"
        for i, (a, b) in enumerate(zip(page_value, example, strict=False)):
            yield from mismatches(a, b, f"{where}[{i}]")
    elif page_value != example or type(page_value) is not type(example):
        yield f"{where}: the page says {page_value!r}, the example {example!r}"


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_sentence_of_the_page_is_in_the_spec(page: Page) -> None:
    text = corpus(page.doc)
    sentences = pages.sentences(page)
    assert len(sentences) > 10, "the page reader found no prose"
    missing = [s for s in sentences if s not in text]
    assert not missing, f"page {page.number} sentences missing from {page.doc}.yaml:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("page", PAGES[:3], ids=PAGE_IDS[:3])
def test_every_fault_the_page_lists_is_a_mapped_500(page: Page) -> None:
    spec = load(page.doc)
    _, _, op = operation(page)
    faults = pages.fault_lines(page)
    assert faults, "the page reader found no fault lines"
    # VI/JSON reports every fault as HTTP 500 (protocols.md).
    union = resolve(spec, media(op, "500")["schema"])
    mapping = union["discriminator"]["mapping"]
    description = pages.normalise(op["responses"]["500"]["description"])
    for fault, text in faults:
        assert fault in mapping, f"{page.operation_id}: {fault} is not in the 500 mapping"
        assert schema_name(mapping[fault]) == fault
        assert fault in spec["components"]["schemas"]
        assert pages.normalise(f"{fault}: {text}") in description, fault


def test_every_error_row_of_page_003_is_a_response_with_its_status() -> None:
    page = PAGES[3]
    spec = load(page.doc)
    _, _, op = operation(page)
    rows = pages.error_rows(page)
    assert len(rows) == 4, rows
    for status, error in rows:
        assert status in op["responses"], f"no {status} response for {error}"
        carried = error_types(spec, media(op, status)["schema"])
        assert f"com.vmware.vapi.std.errors.{error}" in carried, (status, error, carried)
    assert "200" in op["responses"]  # "HTTP Status Code: 200"


@pytest.mark.parametrize("page", [PAGES[2], PAGES[4]], ids=["002", "004"])
def test_every_status_of_the_page_is_documented_with_its_body(page: Page) -> None:
    spec = load(page.doc)
    _, _, op = operation(page)
    blocks = pages.response_blocks(page)
    assert blocks, "the page reader found no statuses"
    for block in blocks:
        response = op["responses"].get(block.status)
        assert response is not None, f"{page.operation_id}: no {block.status} response"
        if block.body is None:
            assert "content" not in response, f"{block.status}: the page documents no body"
            continue
        assert block.media_type in response["content"], block
        schema = response["content"][block.media_type]["schema"]
        name = schema_name(schema["$ref"])
        # The schema is the page's, or a union of faults built on it (VI/JSON), or the response
        # says which page schema it stands for (sms: the page's MoRefTask is MoRefSmsTask).
        members = [resolve(spec, m) for m in resolve(spec, schema).get("oneOf", [])]
        built_on = members and all(
            m.get("allOf", [{}])[0].get("$ref", "").endswith(f"/{block.body}") for m in members
        )
        assert name == block.body or built_on or block.body in response["description"], block


@pytest.mark.parametrize(
    "page", [p for p in PAGES if pages.request_url(p)], ids=["002", "003", "004"]
)
def test_the_request_url_is_the_operations(page: Page) -> None:
    spec = load(page.doc)
    path, method, op = operation(page)
    found = pages.request_url(page)
    assert found is not None
    page_method, url = found
    assert page_method is not None and page_method.lower() == method
    parts = urlsplit(url.replace("{", "%7B").replace("}", "%7D"))
    page_path = parts.path.replace("%7B", "{").replace("%7D", "}")
    server_path = urlsplit(spec["servers"][0]["url"].replace("{", "%7B").replace("}", "%7D")).path
    server_path = server_path.replace("%7B", "{").replace("%7D", "}")
    # Page 004 writes URIs without the real base path (/api/rest/vr/v2, protocols.md); the
    # others include the server's path.
    assert page_path in (server_path + path, path), (page_path, server_path, path)
    for name, value in parse_qsl(parts.query):
        found = [p for p in op.get("parameters", []) if p.get("name") == name]
        assert len(found) == 1, f"the page's query parameter {name} is not declared"
        param = found[0]
        assert param["in"] == "query" and param["required"], name
        assert resolve(spec, param["schema"])["enum"] == [value], name


@pytest.mark.parametrize("page", [PAGES[2], PAGES[4]], ids=["002", "004"])
def test_every_documented_field_is_in_the_spec_with_its_requiredness(page: Page) -> None:
    spec = load(page.doc)
    path, _, op = operation(page)
    params = {
        p["name"]: p
        for p in spec["paths"][path].get("parameters", []) + op.get("parameters", [])
        if "$ref" not in p
    }
    params.update(
        {
            (p := spec["components"]["parameters"][schema_name(ref["$ref"])])["name"]: p
            for ref in spec["paths"][path].get("parameters", []) + op.get("parameters", [])
            if "$ref" in ref
        }
    )
    variables = spec["servers"][0].get("variables", {})
    bodies = [m["schema"] for m in op.get("requestBody", {}).get("content", {}).values()]
    bodies += [m["schema"] for r in op["responses"].values() for m in r.get("content", {}).values()]
    blocks = list(pages.field_blocks(page))
    assert blocks, "the page reader found no field blocks"
    for block in blocks:
        if block.name in params:
            assert params[block.name]["required"] is block.required, block
            continue
        if block.name in variables:  # the page's `release` path parameter is a server variable
            assert block.required
            continue
        owners = [b for b in bodies if field_schemas(spec, b, block.name)]
        assert owners, f"{block.name} is in no body of {page.operation_id}"
        for owner in owners:
            assert required_of(spec, owner, block.name) == {block.required}, block
            if block.type and "uuid" in block.type:
                (field,) = {id(f): f for f in field_schemas(spec, owner, block.name)}.values()
                assert resolve(spec, field).get("format") == "uuid", block


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_field_of_the_page_samples_is_in_the_schema(page: Page) -> None:
    spec = load(page.doc)
    _, _, op = operation(page)
    samples = pages.samples(page)
    assert len(samples) == len(page.samples), "the page reader found another number of samples"
    for sample, (part, _) in zip(samples, page.samples, strict=True):
        schema = media(op, part)["schema"]
        for path, _value in pages.leaf_paths(sample):
            assert field_schemas(spec, schema, path), f"{part}: {path} is not in the schema"


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_every_page_sample_is_a_named_example(page: Page) -> None:
    _, _, op = operation(page)
    for sample, (part, name) in zip(pages.samples(page), page.samples, strict=True):
        examples = media(op, part).get("examples", {})
        assert name in examples, f"{part}: no example named {name}"
        problems = list(mismatches(sample, examples[name]["value"]))
        assert not problems, f"{part} {name}:\n" + "\n".join(problems)
