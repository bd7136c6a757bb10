"""State of the vr (vSphere Replication REST) surface: the local site and its pairings.

The scenario's ``vr:`` section (:class:`VrSection`) gives the local vCenter Server and VRMS
(``local_vc_server``, ``local_vrms``) and the ``pairings``. Each pairing has its remote vCenter
Server and VRMS (``ServerInfo`` as the API shows them, with their ``server_status``), the remote
Platform Services Controller the reconnect logs into (``remote_psc``: URL, port, accepted
credentials, certificate thumbprints) and whether the remote site is ``reachable``. A pairing may
override the local servers (e.g. to show a local status other than OK).

What a reconnect task does with a pairing (see ``handlers``): unreachable remote -> task ERROR;
PSC URL/port/thumbprint that do not match, or credentials the PSC rejects -> task ERROR;
otherwise every server status of the pairing becomes OK.
"""

from __future__ import annotations

import copy
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ..registry import BuildContext, ObjectHooks

__all__ = [
    "PairingSettings",
    "PscSettings",
    "ServerSettings",
    "VrSection",
    "VrState",
    "build_state",
    "object_hooks",
]

ServerStatus = Literal["OK", "WARNING", "ERROR"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSettings(_Model):
    """A vCenter Server or VRMS of a pairing (the API's ``ServerInfo``)."""

    id: str = Field(min_length=1)
    url: str = Field(min_length=1)
    name: str = Field(min_length=1)
    server_status: ServerStatus = "OK"
    version: str | None = None
    build: str | None = None

    def wire(self) -> dict[str, Any]:
        """The ``ServerInfo`` JSON."""
        return self.model_dump(mode="json", exclude_none=True)


class PscSettings(_Model):
    """The remote Platform Services Controller a reconnect authenticates against."""

    url: str = Field(min_length=1)
    port: int = Field(default=443, ge=0, le=65535)
    username: str = "administrator@vsphere.local"
    password: SecretStr = SecretStr("VMware1!")
    thumbprint_sha1: str | None = None
    thumbprint_sha256: str | None = None

    @property
    def host(self) -> str:
        """Host name of ``url`` (lower case)."""
        return host_of(self.url)


def host_of(url: str) -> str:
    """Host part of a URL, or of a bare ``host[:port]`` string, lower case."""
    text = url.strip()
    parts = urlsplit(text if "//" in text else f"//{text}")
    return (parts.hostname or text).lower().rstrip(".")


def _default_local_vc() -> ServerSettings:
    return ServerSettings(
        id="bf193899-581f-4fbe-8b83-91f5d1cf9de5",
        url="https://vc-a.example.com:443",
        name="vc-a.example.com",
        version="8.0.3",
        build="24322831",
    )


def _default_local_vrms() -> ServerSettings:
    return ServerSettings(
        id="e1158658-3baf-490a-b298-8e2057b70742",
        url="https://vrms-a.example.com:8043",
        name="vrms-a.example.com",
        version="9.0.2",
        build="24371532",
    )


class PairingSettings(_Model):
    """One pairing between the local VRMS and a remote one."""

    pairing_id: str = Field(min_length=1)
    remote_vc_server: ServerSettings
    remote_vrms: ServerSettings
    remote_psc: PscSettings
    local_vc_server: ServerSettings | None = Field(
        default=None, description="Defaults to the section's local_vc_server."
    )
    local_vrms: ServerSettings | None = Field(
        default=None, description="Defaults to the section's local_vrms."
    )
    reachable: bool = Field(default=True, description="False: the remote site does not answer.")


class VrSection(_Model):
    """The scenario's ``vr:`` section."""

    local_vc_server: ServerSettings = Field(default_factory=_default_local_vc)
    local_vrms: ServerSettings = Field(default_factory=_default_local_vrms)
    pairings: list[PairingSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> VrSection:
        ids = [p.pairing_id for p in self.pairings]
        for i, pid in enumerate(ids):
            if pid in ids[:i]:
                raise ValueError(f"duplicate pairing_id {pid!r}")
        return self


class VrState:
    """Runtime state: pairings by id, local servers filled in."""

    def __init__(self, section: VrSection) -> None:
        self.pairings: dict[str, PairingSettings] = {}
        for pairing in section.pairings:
            copied = pairing.model_copy(deep=True)
            if copied.local_vc_server is None:
                copied.local_vc_server = section.local_vc_server.model_copy()
            if copied.local_vrms is None:
                copied.local_vrms = section.local_vrms.model_copy()
            self.pairings[copied.pairing_id] = copied


def build_state(b: BuildContext) -> VrState:
    """``build_state`` hook: a fresh runtime copy of the scenario's section."""
    section = b.section if isinstance(b.section, VrSection) else VrSection()
    return VrState(section)


def pairing_wire(pairing: PairingSettings) -> dict[str, Any]:
    """The API's ``Pairing`` JSON."""
    assert pairing.local_vc_server is not None and pairing.local_vrms is not None  # VrState
    return {
        "pairing_id": pairing.pairing_id,
        "local_vc_server": pairing.local_vc_server.wire(),
        "remote_vc_server": pairing.remote_vc_server.wire(),
        "local_vrms": pairing.local_vrms.wire(),
        "remote_vrms": pairing.remote_vrms.wire(),
    }


# -- /_sim/objects ------------------------------------------------------------------------


def _view(pairing: PairingSettings) -> dict[str, Any]:
    view = pairing.model_dump(mode="json")
    view["remote_psc"].pop("password", None)  # secrets never leave the simulator
    return view


def _list(data: VrState | None) -> list[dict[str, Any]]:
    if data is None:
        return []
    return [
        {"id": p.pairing_id, "type": "Pairing", "name": p.remote_vc_server.name}
        for p in data.pairings.values()
    ]


def _get(data: VrState | None, object_id: str) -> dict[str, Any] | None:
    if data is None or object_id not in data.pairings:
        return None
    return _view(data.pairings[object_id])


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.copy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _patch(data: VrState, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` (shape of the view: ``{"remote_vrms": {"server_status": "OK"}}``,
    ``{"reachable": false}``, ``{"remote_psc": {"password": "..."}}``) and re-validate,
    strictly: JSON's own types (``"443"`` is not a port)."""
    pairing = data.pairings[object_id]
    if changes.get("pairing_id", object_id) != object_id:
        raise ValueError("pairing_id cannot be changed")
    try:
        new = PairingSettings.model_validate(_merge(pairing.model_dump(), changes), strict=True)
    except ValidationError as exc:
        raise ValueError(
            "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
        ) from None
    # The local servers are always filled in at runtime; a null in the patch keeps them.
    new.local_vc_server = new.local_vc_server or pairing.local_vc_server
    new.local_vrms = new.local_vrms or pairing.local_vrms
    data.pairings[object_id] = new
    return _view(new)


def object_hooks() -> ObjectHooks:
    """The ``/_sim/objects`` hooks: one object per pairing (id = pairing_id)."""
    return ObjectHooks(list=_list, get=_get, patch=_patch)
