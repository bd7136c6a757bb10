"""vreconnect.faults: the exception hierarchies against the specs, decoding, redaction."""

from __future__ import annotations

import copy
import json
import pickle
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vreconnect import faults
from vreconnect.errors import VReconnectError
from vreconnect.faults import (
    REDACTED,
    REGISTRY,
    AlreadyBeingManaged,
    CertificateInfo,
    DasConfigFault,
    Fault,
    HostConnectFault,
    InvalidCertificate,
    InvalidLogin,
    InvalidName,
    ManagedObjectNotFound,
    MethodFault,
    MoRef,
    NoHost,
    NoPermission,
    NotAuthenticated,
    NotSupported,
    NotSupportedHost,
    ProviderConnectionFailed,
    RequestCanceled,
    RuntimeFault,
    SSLVerifyFault,
    Unauthenticated,
    Unauthorized,
    UnverifiedPeer,
    VapiError,
    VimFault,
    VrBadRequest,
    VrError,
    VrForbidden,
    VrNotFound,
    VrServerError,
    VrUnauthorized,
    decode_vapi_error,
    decode_vim_fault,
    decode_vr_error,
    is_session_expired,
    vapi,
    vim,
)
from vreconnect_generated.clients.vim25.models import Event
from vreconnect_generated.clients.vim25.models import SSLVerifyFault as GeneratedSSLVerifyFault

SPECS = Path(__file__).resolve().parents[2] / "specs"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def load(doc: str) -> dict[str, Any]:
    """One spec document, parsed."""
    with (SPECS / f"{doc}.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


VIM25 = load("vim25")
SMS = load("sms")
VCENTER = load("vcenter")


def fault_schemas() -> Iterator[tuple[str, str, str]]:
    """(document, schema name, x-vim-base) for every fault schema of vim25.yaml and sms.yaml."""
    for doc, spec in (("vim25", VIM25), ("sms", SMS)):
        for name, schema in spec["components"]["schemas"].items():
            if "x-vim-base" in schema:
                yield doc, name, schema["x-vim-base"]


def fault_examples() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(document, operationId, example body) for every 500 example of vim25.yaml and sms.yaml."""
    for doc, spec in (("vim25", VIM25), ("sms", SMS)):
        for item in spec["paths"].values():
            for method in HTTP_METHODS:
                op = item.get(method)
                if not op or "500" not in op["responses"]:
                    continue
                content = op["responses"]["500"].get("content", {}).get("application/json", {})
                for body in examples_of(content):
                    yield doc, op["operationId"], body


def examples_of(media: dict[str, Any]) -> list[dict[str, Any]]:
    """Every example body of a media type object: ``example``, or each of ``examples``."""
    if "example" in media:
        return [media["example"]]
    return [item["value"] for item in media.get("examples", {}).values() if "value" in item]


def first_example(media: dict[str, Any]) -> dict[str, Any]:
    """The main example body of a media type object (``example``, else the ``realistic`` one
    of ``examples``, else the first)."""
    named = media.get("examples", {})
    if "example" not in media and "realistic" in named:
        return copy.deepcopy(named["realistic"]["value"])
    bodies = examples_of(media)
    if not bodies:
        raise KeyError("example")
    return copy.deepcopy(bodies[0])


def example(spec: dict[str, Any], operation_id: str, status: str = "500") -> dict[str, Any]:
    """The example body of one response of one operation."""
    for item in spec["paths"].values():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op and op["operationId"] == operation_id:
                return first_example(op["responses"][status]["content"]["application/json"])
    raise KeyError(operation_id)


def vapi_body(name: str, message: str = "It failed.", data: object = None) -> dict[str, Any]:
    """A /rest vAPI error body of standard error ``name`` (snake_case)."""
    value: dict[str, Any] = {
        "messages": [{"id": f"com.vmware.test.{name}", "default_message": message, "args": []}],
        "error_type": name.upper(),
    }
    if data is not None:
        value["data"] = data
    return {"type": f"com.vmware.vapi.std.errors.{name}", "value": value}


# ---------------------------------------------------------------------------- hierarchy


FAULT_SCHEMAS = sorted(set(fault_schemas()))


def test_the_specs_have_fault_schemas() -> None:
    names = {name for _, name, _ in FAULT_SCHEMAS}
    assert {"SSLVerifyFault", "AlreadyBeingManaged", "InvalidCertificate"} <= names
    assert len(names) >= 23


@pytest.mark.parametrize(("doc", "name", "base"), FAULT_SCHEMAS)
def test_class_hierarchy_matches_x_vim_base(doc: str, name: str, base: str) -> None:
    cls = REGISTRY[name]
    assert cls.__name__ == name
    assert cls.wire_name == name
    assert cls.__bases__[0].__name__ == base
    assert issubclass(cls, MethodFault)
    # And the same class is exported at top level under its vSphere name.
    assert getattr(faults, name) is cls
    assert getattr(vim, name) is cls


def test_vim_roots() -> None:
    assert MethodFault.__bases__ == (Fault,)
    assert issubclass(Fault, VReconnectError)
    assert issubclass(RequestCanceled, RuntimeFault)
    assert REGISTRY["RequestCanceled"] is RequestCanceled


def vapi_error_types() -> list[str]:
    """Every vAPI std error type named by an enum of vcenter.yaml."""
    found: set[str] = set()
    for schema in VCENTER["components"]["schemas"].values():
        for value in schema.get("enum", []):
            if isinstance(value, str) and value.startswith("com.vmware.vapi.std.errors."):
                found.add(value)
    return sorted(found)


def test_vcenter_yaml_names_vapi_errors() -> None:
    assert "com.vmware.vapi.std.errors.unverified_peer" in vapi_error_types()


@pytest.mark.parametrize("wire", vapi_error_types())
def test_every_vapi_error_type_of_the_spec_is_registered(wire: str) -> None:
    cls = REGISTRY[wire]
    assert issubclass(cls, vapi.Error)
    assert cls.wire_name == wire
    assert decode_vapi_error({"type": wire, "value": {"messages": []}}).__class__ is cls


def test_vapi_error_type_discriminators_match_the_spec() -> None:
    schemas = VCENTER["components"]["schemas"]
    checked = 0
    for schema in schemas.values():
        props = schema.get("properties", {})
        if set(props) != {"type", "value"} or "$ref" not in props["type"]:
            continue
        wire = schemas[props["type"]["$ref"].rsplit("/", 1)[1]]["enum"][0]
        value = schemas[props["value"]["$ref"].rsplit("/", 1)[1]]
        error_type = schemas[value["properties"]["error_type"]["$ref"].rsplit("/", 1)[1]]
        body = {"error_type": error_type["enum"][0], "messages": []}  # the unwrapped /api shape
        assert type(decode_vapi_error(body)) is REGISTRY[wire]
        checked += 1
    assert checked >= 7


def test_vapi_hierarchy_and_exports() -> None:
    assert vapi.Error.__bases__ == (VapiError,)
    assert VapiError.__bases__ == (Fault,)
    for cls in set(REGISTRY.values()):
        if issubclass(cls, VapiError):
            assert issubclass(cls, vapi.Error)
    # Non-clashing names are exported at top level; clashing or generic ones are not.
    assert faults.UnverifiedPeer is vapi.UnverifiedPeer
    assert faults.Unauthenticated is vapi.Unauthenticated
    assert faults.InvalidArgument is vim.InvalidArgument
    assert not issubclass(faults.InvalidArgument, VapiError)
    assert faults.InvalidRequest is vim.InvalidRequest
    assert not hasattr(faults, "NotFound")
    assert not hasattr(faults, "Error")


def test_one_registry_for_all_families() -> None:
    assert REGISTRY["InvalidLogin"] is InvalidLogin
    assert REGISTRY["com.vmware.vapi.std.errors.invalid_argument"] is vapi.InvalidArgument
    assert REGISTRY["vr:400"] is VrBadRequest
    assert REGISTRY["vr:401"] is VrUnauthorized
    assert REGISTRY["vr:403"] is VrForbidden
    assert REGISTRY["vr:404"] is VrNotFound
    assert REGISTRY["vr:500"] is VrServerError
    assert all(issubclass(cls, Fault) for cls in REGISTRY.values())
    with pytest.raises(TypeError):
        REGISTRY["x"] = Fault  # type: ignore[index]


def test_register_rejects_clashes_and_nameless_classes() -> None:
    class Unnamed(MethodFault):
        """No wire name of its own."""

    with pytest.raises(TypeError):
        faults.register(Unnamed)

    class Impostor(MethodFault):
        """Claims a name that is taken."""

        wire_name = "InvalidLogin"

    with pytest.raises(ValueError):
        faults.register(Impostor)
    assert REGISTRY["InvalidLogin"] is InvalidLogin


# ---------------------------------------------------------------------------- vim decoding


@pytest.mark.parametrize(
    ("doc", "operation", "body"),
    list(fault_examples()),
    ids=[f"{doc}-{op}" for doc, op, _ in fault_examples()],
)
def test_spec_examples_decode_to_their_class(
    doc: str, operation: str, body: dict[str, Any]
) -> None:
    exc = decode_vim_fault(body, status=500, operation=operation)
    assert type(exc) is REGISTRY[body["_typeName"]]
    assert exc.type_name == body["_typeName"]
    assert exc.raw == body
    assert exc.status == 500
    assert exc.operation == operation
    assert exc.task_id is None
    expected = tuple(m["message"] for m in body.get("faultMessage", []))
    assert exc.messages == expected
    assert str(exc).startswith(f"{body['_typeName']}: {expected[0]}")
    assert operation in str(exc)


def test_except_host_connect_fault_catches_already_being_managed() -> None:
    body = {
        "_typeName": "AlreadyBeingManaged",
        "faultMessage": [
            {
                "_typeName": "LocalizableMessage",
                "key": "vim.fault.AlreadyBeingManaged",
                "message": "The host is already managed by 10.0.0.5.",
            }
        ],
        "ipAddress": "10.0.0.5",
    }
    with pytest.raises(HostConnectFault) as caught:
        raise decode_vim_fault(body, status=500, operation="ReconnectHost_Task")
    exc = caught.value
    assert isinstance(exc, AlreadyBeingManaged)
    assert isinstance(exc, VimFault | MethodFault | Fault | VReconnectError)
    assert exc.ip_address == "10.0.0.5"
    assert str(exc) == (
        "AlreadyBeingManaged: The host is already managed by 10.0.0.5. "
        "(ip_address=10.0.0.5) [operation ReconnectHost_Task]"
    )


def test_ssl_verify_fault_fields_and_str() -> None:
    body = example(VIM25, "ReconnectHost_Task")
    exc = decode_vim_fault(body, status=500, operation="ReconnectHost_Task")
    assert isinstance(exc, SSLVerifyFault)
    assert exc.thumbprint == "3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A"
    assert exc.self_signed is True
    assert exc.certificate is None
    assert str(exc).startswith(
        "SSLVerifyFault: Authenticity of the host's SSL certificate is not verified. "
        "(thumbprint=3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A"
    )
    assert "thumbprint='3A:9F" in repr(exc)


def test_das_config_fault_fields_events_and_cause() -> None:
    body = example(VIM25, "ReconfigureHostForDAS_Task")
    exc = decode_vim_fault(body, status=500, operation="ReconfigureHostForDAS_Task")
    assert isinstance(exc, DasConfigFault)
    assert exc.reason == "HostNetworkMisconfiguration"
    assert exc.reason_enum == "HostNetworkMisconfiguration"
    assert exc.output == "fdm-installer: no management network with a default gateway"
    assert len(exc.events) == 1
    event = exc.events[0]
    assert isinstance(event, Event)
    assert event.field_type_name == "DasHostFailedEvent"
    assert event.key == 4711
    assert event.host and event.host.name == "esx-ha-bad.example.com"
    assert event.full_formatted_message == "vSphere HA agent on esx-ha-bad.example.com has an error"
    assert isinstance(exc.__cause__, NotSupported)
    assert exc.__cause__.raw == {"_typeName": "NotSupported"}
    assert "reason=HostNetworkMisconfiguration" in str(exc)
    assert "events=1" in str(exc)
    assert "<1 Event>" in repr(exc)


def test_das_config_fault_unknown_reason_and_bad_events() -> None:
    body = {
        "_typeName": "DasConfigFault",
        "reason": "SomethingNew",
        "event": [{"_typeName": "DasHostFailedEvent"}, "not an event", 7],
    }
    exc = decode_vim_fault(body)
    assert isinstance(exc, DasConfigFault)
    assert exc.reason == "SomethingNew"
    assert exc.reason_enum is None
    assert exc.events == []  # unreadable events stay in raw only
    assert exc.raw == body


def test_task_error_decodes_to_the_same_class_with_task_id() -> None:
    info = example(VIM25, "GetTaskInfo", "200")
    exc = decode_vim_fault(info["error"], operation="ReconnectHost_Task")
    assert exc.with_task(info["key"]) is exc
    assert isinstance(exc, NoHost)
    assert exc.name == "esx-01.example.com"
    assert exc.task_id == "task-101"
    assert exc.status is None
    assert str(exc) == (
        "NoHost: Cannot contact the specified host (esx-01.example.com). "
        "(name=esx-01.example.com) [operation ReconnectHost_Task, task task-101]"
    )
    # The same fault answering the call directly gives the same class.
    assert type(decode_vim_fault(info["error"], status=500)) is NoHost


def test_sms_faults() -> None:
    exc = decode_vim_fault(example(SMS, "VasaProviderReconnect_Task"), status=500)
    assert isinstance(exc, InvalidCertificate)
    assert exc.certificate and exc.certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert "expired on" in exc.messages[0]
    assert "BEGIN CERTIFICATE" not in str(exc)  # the PEM is not a field worth a str()
    info = example(SMS, "QuerySmsTaskInfo", "200")
    task_exc = decode_vim_fault(info["error"]).with_task(info["key"])
    assert isinstance(task_exc, ProviderConnectionFailed)
    assert isinstance(task_exc, RuntimeFault)
    assert task_exc.task_id == "SmsTask-12"


def test_typed_fields_of_other_faults() -> None:
    moref = {"_typeName": "ManagedObjectReference", "type": "HostSystem", "value": "host-101"}
    host = decode_vim_fault(
        {"_typeName": "NotSupportedHost", "productName": "VMware ESXi", "productVersion": "6.0.0"}
    )
    assert isinstance(host, NotSupportedHost)
    assert (host.product_name, host.product_version) == ("VMware ESXi", "6.0.0")
    perm = decode_vim_fault(
        {"_typeName": "NoPermission", "object": moref, "privilegeId": "Host.Config.Connection"}
    )
    assert isinstance(perm, NoPermission)
    assert perm.privilege_id == "Host.Config.Connection"
    assert perm.object == MoRef("HostSystem", "host-101")
    assert "privilege_id=Host.Config.Connection, object=HostSystem:host-101" in str(perm)
    name = decode_vim_fault({"_typeName": "InvalidName", "name": "bad host!", "entity": moref})
    assert isinstance(name, InvalidName)
    assert (name.name, name.entity) == ("bad host!", MoRef("HostSystem", "host-101"))
    missing = decode_vim_fault({"_typeName": "ManagedObjectNotFound", "obj": moref})
    assert isinstance(missing, ManagedObjectNotFound)
    assert missing.obj == MoRef("HostSystem", "host-101")
    arg = decode_vim_fault({"_typeName": "InvalidArgument", "invalidProperty": "cnxSpec"})
    assert isinstance(arg, vim.InvalidArgument)
    assert arg.invalid_property == "cnxSpec"


def test_wrongly_typed_fields_are_ignored() -> None:
    body = {"_typeName": "SSLVerifyFault", "thumbprint": 42, "selfSigned": "yes", "obj": []}
    exc = decode_vim_fault(body)
    assert isinstance(exc, SSLVerifyFault)
    assert exc.thumbprint is None
    assert exc.self_signed is None
    assert exc.raw == body


def test_unknown_type_name_gives_method_fault_with_type_and_raw() -> None:
    body = {
        "_typeName": "HostConfigFailed",
        "faultMessage": [{"_typeName": "LocalizableMessage", "key": "k", "message": "Nope."}],
        "failure": [{"_typeName": "SystemError"}],
    }
    exc = decode_vim_fault(body, status=500)
    assert type(exc) is MethodFault
    assert exc.type_name == "HostConfigFailed"
    assert exc.raw == body
    assert exc.messages == ("Nope.",)
    assert str(exc) == "HostConfigFailed (as MethodFault): Nope."


def test_other_families_names_do_not_leak_into_vim() -> None:
    for name in ("vr:400", "com.vmware.vapi.std.errors.not_found"):
        exc = decode_vim_fault({"_typeName": name})
        assert type(exc) is MethodFault
        assert exc.type_name == name
    assert type(decode_vapi_error({"type": "InvalidLogin", "value": {}})) is VapiError


def test_message_falls_back_to_the_key() -> None:
    exc = decode_vim_fault({"_typeName": "InvalidState", "faultMessage": [{"key": "vim.k"}]})
    assert exc.messages == ("vim.k",)


def test_json_bytes_and_str_decode_like_dicts() -> None:
    body = example(VIM25, "ReconnectHost_Task")
    for given in (json.dumps(body), json.dumps(body).encode()):
        exc = decode_vim_fault(given, status=500)
        assert isinstance(exc, SSLVerifyFault)
        assert exc.raw == body
        assert exc.thumbprint


def test_generated_model_input() -> None:
    model = GeneratedSSLVerifyFault.from_dict(example(VIM25, "ReconnectHost_Task"))
    exc = decode_vim_fault(model)
    assert isinstance(exc, SSLVerifyFault)
    assert exc.thumbprint == "3A:9F:1C:7B:22:08:E4:5D:90:6A:11:C2:3E:7F:48:B1:05:D9:6C:2A"


def test_fault_cause_becomes_cause_two_deep() -> None:
    body = {
        "_typeName": "HostConnectFault",
        "faultMessage": [{"key": "a", "message": "Cannot connect."}],
        "faultCause": {
            "_typeName": "NoHost",
            "name": "esx-9",
            "faultCause": {"_typeName": "SomethingUnknown", "faultMessage": [{"key": "c"}]},
        },
    }
    exc = decode_vim_fault(body, status=500, operation="ReconnectHost_Task")
    assert type(exc) is HostConnectFault
    first = exc.__cause__
    assert isinstance(first, NoHost)
    assert first.name == "esx-9"
    assert first.operation == "ReconnectHost_Task"
    assert first.status is None
    second = first.__cause__
    assert type(second) is MethodFault
    assert second.type_name == "SomethingUnknown"
    assert second.messages == ("c",)
    assert second.__cause__ is None
    try:
        raise exc
    except HostConnectFault as caught:
        text = "".join(traceback.format_exception(caught))
    assert "The above exception was the direct cause" in text
    assert "NoHost (name=esx-9) [operation ReconnectHost_Task]" in text
    assert "SomethingUnknown (as MethodFault): c" in text


def test_deep_fault_cause_chains_are_cut() -> None:
    body: dict[str, Any] = {"_typeName": "NotSupported"}
    for _ in range(200):
        body = {"_typeName": "RuntimeFault", "faultCause": body}
    exc = decode_vim_fault(body)
    depth = 0
    cause: BaseException | None = exc
    while cause is not None:
        depth += 1
        cause = cause.__cause__
    assert 1 < depth <= vim.MAX_CAUSE_DEPTH + 1


GARBAGE: list[object] = [
    None,
    b"",
    b"not json",
    b"\xff\xfe\x00garbage",
    "a string",
    "   ",
    '"a JSON string"',
    "[1, 2]",
    [1, 2, 3],
    42,
    3.5,
    object(),
    {"_typeName": 5},
    {"faultCause": "x", "faultMessage": "y"},
    {"type": 7, "value": "z"},
    {"faultMessage": [None, 5, {"message": 3}]},
    "[" * 100_000,
]


@pytest.mark.parametrize("body", GARBAGE, ids=lambda b: type(b).__name__)
@pytest.mark.parametrize(
    ("decode", "base"),
    [
        (lambda b: decode_vim_fault(b, status=500), MethodFault),
        (lambda b: decode_vapi_error(b, status=500), VapiError),
        (lambda b: decode_vr_error(b, status=500), VrServerError),
        (lambda b: decode_vr_error(b, status=None), VrError),
    ],
    ids=["vim", "vapi", "vr500", "vr-task"],
)
def test_garbage_bodies_never_raise(decode: Any, body: object, base: type[Fault]) -> None:
    exc = decode(body)
    assert type(exc) is base
    assert isinstance(str(exc), str)
    assert isinstance(repr(exc), str)
    if isinstance(body, dict | list) or body is None:
        assert exc.raw == body or exc.raw is body


def test_garbage_keeps_raw_and_says_what_it_was() -> None:
    exc = decode_vim_fault(b"<html>502 Bad Gateway</html>", status=500)
    assert exc.raw == b"<html>502 Bad Gateway</html>"
    assert exc.messages == ("malformed error body: <html>502 Bad Gateway</html>",)
    assert decode_vim_fault([1]).messages == ("unexpected error body (list)",)
    assert decode_vim_fault(None, status=500).messages == (
        "no error body (HTTP 500 Internal Server Error)",
    )
    assert decode_vim_fault(None).messages == ()


# ---------------------------------------------------------------------------- vAPI


def test_unverified_peer_certificate_info() -> None:
    body = vapi_body(
        "unverified_peer", "Cannot verify the peer certificate.", {"ssl_thumbprint": "AB:CD:EF"}
    )
    exc = decode_vapi_error(body, status=400, operation="vcha_cluster_passive_redeploy_task")
    assert isinstance(exc, UnverifiedPeer)
    assert isinstance(exc, vapi.Error)
    assert exc.certificate_info == CertificateInfo(ssl_thumbprint="AB:CD:EF")
    assert exc.certificate_info.ssl_thumbprint == "AB:CD:EF"
    assert exc.ssl_thumbprint == "AB:CD:EF"
    assert exc.error_type == "UNVERIFIED_PEER"
    assert exc.data == {"ssl_thumbprint": "AB:CD:EF"}
    assert exc.status == 400
    assert exc.raw == body
    assert str(exc) == (
        "unverified_peer: Cannot verify the peer certificate. (ssl_thumbprint=AB:CD:EF) "
        "[operation vcha_cluster_passive_redeploy_task]"
    )


def test_unverified_peer_without_data() -> None:
    exc = decode_vapi_error(vapi_body("unverified_peer"), status=400)
    assert isinstance(exc, UnverifiedPeer)
    assert exc.certificate_info is None


@pytest.mark.parametrize(
    ("name", "cls", "status"),
    [
        ("invalid_argument", vapi.InvalidArgument, 400),
        ("unauthenticated", Unauthenticated, 401),
        ("unauthorized", Unauthorized, 403),
        ("not_found", vapi.NotFound, 404),
        ("error", vapi.Error, 500),
        ("service_unavailable", vapi.ServiceUnavailable, 503),
        ("not_allowed_in_current_state", vapi.NotAllowedInCurrentState, 400),
        ("already_exists", vapi.AlreadyExists, 400),
        ("canceled", vapi.Canceled, 500),
        ("cancelled", vapi.Canceled, 500),
        ("timed_out", vapi.TimedOut, 500),
        ("resource_busy", vapi.ResourceBusy, 500),
        ("unsupported", vapi.Unsupported, 400),
        ("internal_server_error", vapi.InternalServerError, 500),
    ],
)
def test_vapi_errors_decode_by_type(name: str, cls: type[VapiError], status: int) -> None:
    exc = decode_vapi_error(vapi_body(name, "Went wrong."), status=status, operation="op")
    assert type(exc) is cls
    assert exc.messages == ("Went wrong.",)
    assert exc.status == status
    assert str(exc).startswith(f"{name}: Went wrong.")


def test_vapi_unknown_type_keeps_type_name_and_raw() -> None:
    body = vapi_body("brand_new_error", "New.")
    exc = decode_vapi_error(body, status=500)
    assert type(exc) is VapiError
    assert exc.type_name == "com.vmware.vapi.std.errors.brand_new_error"
    assert exc.raw == body
    assert exc.error_type == "BRAND_NEW_ERROR"
    assert str(exc).startswith("brand_new_error (as VapiError): New.")


def test_vapi_api_shape_and_messages_fallbacks() -> None:
    body = {
        "error_type": "NOT_FOUND",
        "messages": [{"id": "only.an.id"}, {"id": "x", "localized": "Localized text"}],
    }
    exc = decode_vapi_error(body, status=404)
    assert type(exc) is vapi.NotFound
    assert exc.type_name == "com.vmware.vapi.std.errors.not_found"
    assert exc.messages == ("only.an.id", "Localized text")


def test_vapi_task_error_is_the_same_class_with_task_id() -> None:
    task_info = {
        "status": "FAILED",
        "error": vapi_body("unverified_peer", "Peer changed.", {"ssl_thumbprint": "11:22"}),
    }
    exc = decode_vapi_error(task_info["error"], operation="redeploy").with_task("obj-103")
    assert isinstance(exc, UnverifiedPeer)
    assert exc.task_id == "obj-103"
    assert exc.status is None
    assert str(exc).endswith("[operation redeploy, task obj-103]")


# ---------------------------------------------------------------------------- VR


def test_vr_errors_by_status() -> None:
    body = {"error_code": "VR_INVALID_SPEC", "message": "Bad spec.", "op_id": "0f5c-42"}
    exc = decode_vr_error(body, status=400, operation="reconnect_pairing")
    assert type(exc) is VrBadRequest
    assert (exc.error_code, exc.op_id, exc.messages) == (
        "VR_INVALID_SPEC",
        "0f5c-42",
        ("Bad spec.",),
    )
    assert str(exc) == (
        "VrBadRequest (HTTP 400): Bad spec. (error_code=VR_INVALID_SPEC, op_id=0f5c-42) "
        "[operation reconnect_pairing]"
    )
    assert type(decode_vr_error(body, status=403)) is VrForbidden
    assert type(decode_vr_error(body, status=500)) is VrServerError
    other = decode_vr_error(body, status=502)
    assert type(other) is VrError
    assert other.type_name == "vr:502"
    assert other.status == 502


@pytest.mark.parametrize(
    ("status", "cls", "phrase"),
    [(401, VrUnauthorized, "Unauthorized"), (404, VrNotFound, "Not Found")],
)
def test_vr_bodyless_statuses(status: int, cls: type[VrError], phrase: str) -> None:
    for body in (None, b""):
        exc = decode_vr_error(body, status=status)
        assert type(exc) is cls
        assert exc.messages == (phrase,)
        assert isinstance(exc, VrError)


def test_vr_task_error() -> None:
    error = {"message": "Cannot reach the remote site.", "details": "connect timed out"}
    exc = decode_vr_error(error, status=None, operation="reconnect_pairing").with_task("t-1")
    assert type(exc) is VrError
    assert exc.details == "connect timed out"
    assert exc.task_id == "t-1"
    assert str(exc).startswith("VrError: Cannot reach the remote site.")


# ---------------------------------------------------------------------------- session


def test_is_session_expired() -> None:
    assert is_session_expired(decode_vim_fault({"_typeName": "NotAuthenticated"}))
    assert is_session_expired(decode_vapi_error(vapi_body("unauthenticated"), status=401))
    assert is_session_expired(decode_vr_error(None, status=401))
    assert not is_session_expired(decode_vim_fault({"_typeName": "NoPermission"}))
    assert not is_session_expired(decode_vim_fault({"_typeName": "InvalidLogin"}))
    assert not is_session_expired(decode_vapi_error(vapi_body("unauthorized"), status=403))
    assert not is_session_expired(decode_vr_error(None, status=404))
    assert not is_session_expired(ValueError("x"))
    assert isinstance(decode_vim_fault({"_typeName": "NotAuthenticated"}), NotAuthenticated)


# ---------------------------------------------------------------------------- secrets


PASSWORD = 'VMware1!"secret'


def all_renderings(exc: Fault) -> str:
    """Everything a log line or traceback could show of an exception."""
    return "\n".join(
        [
            str(exc),
            repr(exc),
            *exc.messages,
            *map(str, exc.args),
            json.dumps(exc.safe_raw, default=str),
            "".join(traceback.format_exception(exc)),
        ]
    )


def test_secrets_are_redacted_everywhere_even_when_echoed() -> None:
    body = {
        "_typeName": "InvalidLogin",
        "faultMessage": [
            {"key": "k", "message": f"Login failed for root with password {PASSWORD}."},
        ],
        "faultCause": {
            "_typeName": "NoHost",
            "name": f"host-{PASSWORD}",
            "faultMessage": [{"key": "k2", "message": f"echo: {json.dumps(PASSWORD)}"}],
        },
    }
    exc = decode_vim_fault(body, status=500, operation="Login", secrets=[PASSWORD, ""])
    cause = exc.__cause__
    assert isinstance(cause, NoHost)
    for rendered in (all_renderings(exc), all_renderings(cause)):
        assert "VMware1!" not in rendered
        assert REDACTED in rendered
    assert exc.messages == (f"Login failed for root with password {REDACTED}.",)
    # The typed field and raw keep the data as received; only renderings are redacted.
    assert cause.name == f"host-{PASSWORD}"
    assert exc.raw == body
    # The secrets themselves are not stored on the exception.
    clean = decode_vim_fault({"_typeName": "InvalidLogin"}, secrets=[PASSWORD])
    assert "VMware1!" not in repr(vars(clean)) + repr(pickle.dumps(clean))


def request_example(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The request body example of one operation."""
    for item in spec["paths"].values():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op and op["operationId"] == operation_id:
                return first_example(op["requestBody"]["content"]["application/json"])
    raise KeyError(operation_id)


def test_echoed_password_keys_are_redacted_without_being_told() -> None:
    # A server that echoes the redeploy request (with its credentials) back in an error.
    spec = request_example(VCENTER, "vcha_cluster_passive_redeploy_task")
    passwords = {str(v) for k, v in walk(spec) if k == "password"}
    assert passwords, "the spec example carries credentials"
    body = vapi_body("invalid_argument", f"Bad spec: {json.dumps(spec)}", data=spec)
    exc = decode_vapi_error(body, status=400)
    rendered = all_renderings(exc)
    for password in passwords:
        assert password not in rendered
    assert "Bad spec: {" in exc.messages[0]
    assert exc.raw == body  # raw is as received; safe_raw is the copy to show
    assert REDACTED in json.dumps(exc.safe_raw)
    hidden = {"vimAccountPassword": "v1m-p4ss", "userName": "root"}
    vim_exc = decode_vim_fault(
        {"_typeName": "InvalidArgument", "faultMessage": [{"message": repr(hidden)}]}
    )
    assert "v1m-p4ss" not in all_renderings(vim_exc)
    assert "root" in vim_exc.messages[0]
    vr_exc = decode_vr_error(
        b'{"message": "rejected password=hunter2&user=x", "error_code": "E"}', status=400
    )
    assert "hunter2" not in all_renderings(vr_exc)
    assert vr_exc.messages == (f"rejected password={REDACTED}&user=x",)


def walk(value: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_secrets_in_malformed_bodies_and_fields_are_redacted() -> None:
    exc = decode_vim_fault(f"<html>login {PASSWORD} failed</html>".encode(), secrets=[PASSWORD])
    assert "VMware1!" not in all_renderings(exc)
    das = decode_vim_fault(
        {"_typeName": "DasConfigFault", "output": f"ran with -p {PASSWORD}"}, secrets=[PASSWORD]
    )
    assert isinstance(das, DasConfigFault)
    assert "VMware1!" not in str(das) + repr(das)
    peer = decode_vapi_error(
        vapi_body("error", "x", {"token": "abc", "note": f"pw {PASSWORD}"}), secrets=[PASSWORD]
    )
    assert "VMware1!" not in repr(peer)
    assert "'abc'" not in repr(peer)


def test_a_single_string_secret_is_one_secret() -> None:
    exc = decode_vim_fault(
        {"_typeName": "InvalidLogin", "faultMessage": [{"message": "a b"}]}, secrets="b"
    )
    assert exc.messages == (f"a {REDACTED}",)


# ---------------------------------------------------------------------------- the objects


def test_direct_construction_and_pickling() -> None:
    exc = SSLVerifyFault(
        messages=("Not verified.",),
        thumbprint="AA:BB",
        self_signed=False,
        status=500,
        operation="ReconnectHost_Task",
    )
    assert exc.type_name == "SSLVerifyFault"
    assert str(exc) == (
        "SSLVerifyFault: Not verified. (thumbprint=AA:BB, self_signed=False) "
        "[operation ReconnectHost_Task]"
    )
    clone = pickle.loads(pickle.dumps(exc.with_task("task-7")))
    assert type(clone) is SSLVerifyFault
    assert (clone.thumbprint, clone.task_id, clone.messages) == ("AA:BB", "task-7", exc.messages)
    assert str(clone) == str(exc)
    assert exc != SSLVerifyFault(messages=("Not verified.",), thumbprint="AA:BB")  # identity
    assert len({exc, clone}) == 2  # hashable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"password": "abc", "user": "x"}', f'{{"password": "{REDACTED}", "user": "x"}}'),
        ("{'vimAccountPassword': 'a\\'b'}", f"{{'vimAccountPassword': '{REDACTED}'}}"),
        ("login?user=x&password=abc&y=1", f"login?user=x&password={REDACTED}&y=1"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {REDACTED}"),
        # Prose that merely mentions a password is left alone.
        ("Wrong password: try again", "Wrong password: try again"),
        (
            "Cannot complete login due to an incorrect user name or password.",
            "Cannot complete login due to an incorrect user name or password.",
        ),
    ],
)
def test_redact_masks_echoed_credentials(text: str, expected: str) -> None:
    assert faults.redact(text) == expected


def test_long_bodies_are_redacted_before_truncation() -> None:
    secret = "S3cr3t-P4ss"
    text = "x" * 195 + " " + secret + " and more"
    exc = decode_vim_fault(text.encode(), secrets=[secret])
    assert "S3cr" not in all_renderings(exc)
    long_output = "y" * 150 + secret
    das = decode_vim_fault({"_typeName": "DasConfigFault", "output": long_output}, secrets=[secret])
    assert "S3cr" not in str(das) + repr(das)


@pytest.mark.parametrize(
    "text",
    ["a." * 100_000, "'password':'" * 20_000, "password=" * 20_000, '"a' * 100_000],
    ids=["dotted-run", "unclosed-quotes", "repeated-keys", "quotes"],
)
def test_redaction_of_hostile_bodies_stays_fast(text: str) -> None:
    started = time.perf_counter()
    decode_vim_fault(text.encode(), secrets=["pw"])
    assert time.perf_counter() - started < 3.0
