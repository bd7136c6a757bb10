"""The template edits of ``scripts/generator/template_edits.py`` and what they give users."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from types import ModuleType

import pytest

from .test_documents import DOCS, ROOT


def _template_edits() -> ModuleType:
    path = ROOT / "scripts" / "generator" / "template_edits.py"
    spec = importlib.util.spec_from_file_location("template_edits", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("template_edits", module)
    spec.loader.exec_module(module)
    return module


EDITS = _template_edits()


def endpoint_modules(doc: str) -> list[ModuleType]:
    """Every generated operation module of one document's client."""
    api = importlib.import_module(f"vreconnect_generated.clients.{doc}.api")
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(api.__path__, prefix=f"{api.__name__}.")
        if not info.ispkg
    ]


@pytest.mark.parametrize("doc", DOCS)
def test_every_operation_has_a_public_documented_request_builder(doc: str) -> None:
    modules = endpoint_modules(doc)
    assert modules
    for module in modules:
        builder = module.request_kwargs
        assert inspect.getdoc(builder), module.__name__
        assert not hasattr(module, "_get_kwargs"), module.__name__
        # The stock functions still work: they call the renamed builder.
        assert "request_kwargs(" in inspect.getsource(module.sync_detailed)


def test_request_builder_describes_the_request() -> None:
    from vreconnect_generated.clients.vr.api.pairings import reconnect_pairing
    from vreconnect_generated.clients.vr.models import PairingSpec

    spec = PairingSpec.from_dict(
        {"pair_vc_id": "vc-2", "pair_psc_info": {"url": "psc.example", "port": 443}}
    )
    built = reconnect_pairing.request_kwargs("p 1/x", body=spec)
    assert built["method"] == "post"
    assert built["url"] == "/pairings/p%201%2Fx/actions/reconnect"  # path values are quoted
    assert built["json"] == spec.to_dict()
    assert built["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("doc", DOCS)
def test_generated_client_repr_hides_the_session(doc: str) -> None:
    package = importlib.import_module(f"vreconnect_generated.clients.{doc}")
    token = "session-4f1d9c-secret"
    client = package.AuthenticatedClient(
        base_url="https://vc.example", token=token, cookies={"vmware_soap_session": token}
    )
    client.get_httpx_client()  # the stock client copies the token into its headers here
    assert token not in repr(client)
    assert "vc.example" in repr(client)  # the repr still says which server it is for


def test_every_edit_applies_to_the_pinned_generator() -> None:
    for name in {edit.template for edit in EDITS.EDITS}:
        edited = EDITS.apply_edits(name, EDITS.stock_template(name))
        for edit in (e for e in EDITS.EDITS if e.template == name):
            assert edit.new in edited


def test_a_drifted_template_stops_generation_naming_the_edit() -> None:
    edit = EDITS.TemplateEdit("client.py.jinja", "no such text", "x", 1, "Because reasons.")
    with pytest.raises(EDITS.TemplateDrift, match=r"client\.py\.jinja: expected 1 .*Because"):
        EDITS.apply_edits("client.py.jinja", "token: str", (edit,))
