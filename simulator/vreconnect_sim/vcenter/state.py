"""State of the vcenter (``/rest``) surface: the VCHA cluster and the placement inventory.

The scenario's ``vcenter:`` section (:class:`VcenterSection`) describes:

* ``cluster`` -- the VCHA cluster: ``config_state``, ``mode``, ``health_state``, the ``active``,
  ``passive`` and ``witness`` nodes (name, runtime state, stored HA/failover IP settings) and
  ``management_vcenter``, the vCenter Server that manages the active node's VM: its host name
  (and aliases), port, the credentials it accepts, its certificate thumbprints (SHA-1, which the
  page says a client sends, and SHA-256, which ``certificate_info`` reports), whether its
  certificate is CA-trusted, whether it is reachable, and whether the active node manages itself;
* ``inventory`` -- the objects a redeploy may be placed on (folders, hosts, resource pools,
  networks with their ``type``, datastores). An object with a ``deploy_error`` makes a redeploy
  placed on it fail *while deploying* (the task ends FAILED), the other channel of the design.

Omitting the section gives an unconfigured cluster and an empty inventory. The runtime state
(:class:`VcenterState`) is a deep copy, mutated by tasks and by ``PATCH /_sim/objects``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ..registry import BuildContext, ObjectHooks

__all__ = [
    "CLUSTER_ID",
    "ClusterSettings",
    "InventoryObject",
    "IpSettings",
    "Ipv4Settings",
    "Ipv6Settings",
    "ManagementVcenter",
    "NetworkObject",
    "NodeSettings",
    "VcenterSection",
    "VcenterState",
    "build_state",
    "object_hooks",
]

CLUSTER_ID = "vcha-cluster"
"""Object id of the (single) VCHA cluster in ``/_sim/objects`` and in fault rules."""

NetworkType = Literal["STANDARD_PORTGROUP", "DISTRIBUTED_PORTGROUP"]
NodeState = Literal["UP", "DOWN"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ipv4Settings(_Model):
    """An IPv4 interface setting (the spec's ``Ipv4Spec``)."""

    address: str = Field(min_length=1)
    subnet_mask: str | None = None
    prefix: int | None = Field(default=None, ge=0, le=32)


class Ipv6Settings(_Model):
    """An IPv6 interface setting (the spec's ``Ipv6Spec``)."""

    address: str = Field(min_length=1)
    prefix: int = Field(ge=0, le=128)


class IpSettings(_Model):
    """Network configuration of one interface (the spec's ``IpSpec``)."""

    ip_family: Literal["IPV4", "IPV6"]
    ipv4: Ipv4Settings | None = None
    ipv6: Ipv6Settings | None = None
    default_gateway: str | None = None
    dns_servers: list[str] | None = None

    def wire(self) -> dict[str, Any]:
        """The ``IpSpec`` JSON."""
        return self.model_dump(mode="json", exclude_none=True)


class NodeSettings(_Model):
    """One VCHA node (active, passive or witness)."""

    name: str = Field(min_length=1, description="VM name of the node.")
    state: NodeState = "UP"
    vm: str | None = Field(default=None, description="VM identifier; None once the VM is lost.")
    host: str | None = None
    datastore: str | None = None
    ha_ip: IpSettings | None = None
    failover_ip: IpSettings | None = None


class ManagementVcenter(_Model):
    """The vCenter Server managing the active node's VM (``vc_spec.active_location``)."""

    hostname: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list, description="Other names/IPs it answers to.")
    port: int = Field(default=443, ge=0, le=65535)
    username: str = "administrator@vsphere.local"
    password: SecretStr = SecretStr("VMware1!")
    ssl_thumbprint_sha1: str = Field(min_length=1, description="What a client sends (page 003).")
    ssl_thumbprint_sha256: str = Field(min_length=1, description="What certificate_info reports.")
    certificate_trusted: bool = Field(
        default=False, description="CA-signed: no thumbprint needed when true."
    )
    reachable: bool = True
    self_managed: bool = Field(
        default=False, description="The active node manages itself: vc_spec may be omitted."
    )

    def answers_to(self, hostname: str) -> bool:
        """True if ``hostname`` names this vCenter (case-insensitive)."""
        names = {self.hostname.lower(), *(a.lower() for a in self.aliases)}
        return hostname.strip().lower().rstrip(".") in names


class ClusterSettings(_Model):
    """The VCHA cluster."""

    config_state: Literal["CONFIGURED", "NOTCONFIGURED", "INVALID", "PREPARED"] = "NOTCONFIGURED"
    mode: Literal["ENABLED", "DISABLED", "MAINTENANCE"] = "ENABLED"
    health_state: Literal["HEALTHY", "DEGRADED", "ISOLATED"] = "HEALTHY"
    active: NodeSettings | None = None
    passive: NodeSettings | None = None
    witness: NodeSettings | None = None
    management_vcenter: ManagementVcenter | None = None
    redeploy_task: str | None = Field(
        default=None, description="Runtime: the redeploy task in progress, if any."
    )

    @model_validator(mode="after")
    def _configured_needs_nodes(self) -> ClusterSettings:
        if self.config_state == "CONFIGURED" and (self.active is None or self.witness is None):
            raise ValueError("a CONFIGURED cluster needs an active and a witness node")
        return self


class InventoryObject(_Model):
    """A placement target (folder, host, resource pool, datastore)."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    deploy_error: str | None = Field(
        default=None, description="A redeploy placed here ends its task FAILED with this message."
    )


class NetworkObject(InventoryObject):
    """A network (port group) with its type."""

    type: NetworkType


class Inventory(_Model):
    """Objects a redeploy's ``placement`` may name, by resource type."""

    folders: list[InventoryObject] = Field(default_factory=list)
    hosts: list[InventoryObject] = Field(default_factory=list)
    resource_pools: list[InventoryObject] = Field(default_factory=list)
    networks: list[NetworkObject] = Field(default_factory=list)
    datastores: list[InventoryObject] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Inventory:
        seen: set[str] = set()
        for kind in INVENTORY_KINDS:
            for obj in getattr(self, kind):
                if obj.id in seen:
                    raise ValueError(f"duplicate inventory id {obj.id!r}")
                seen.add(obj.id)
        return self


INVENTORY_KINDS: dict[str, str] = {
    "folders": "Folder",
    "hosts": "HostSystem",
    "resource_pools": "ResourcePool",
    "networks": "Network",
    "datastores": "Datastore",
}
"""Inventory list name -> vAPI resource type (``Folder:VCenter`` ...)."""


class VcenterSection(_Model):
    """The scenario's ``vcenter:`` section."""

    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    inventory: Inventory = Field(default_factory=Inventory)


class VcenterState:
    """Runtime state: the cluster and the inventory."""

    def __init__(self, section: VcenterSection) -> None:
        self.cluster: ClusterSettings = section.cluster.model_copy(deep=True)
        self.inventory: Inventory = section.inventory.model_copy(deep=True)
        self.vm_counter = 500  # ids of redeployed passive VMs: vm-501, vm-502...

    def find(self, kind: str, object_id: str) -> InventoryObject | None:
        """The ``kind`` (``hosts``, ``networks``...) object with ``object_id``, or None."""
        for obj in getattr(self.inventory, kind):
            if obj.id == object_id:
                found: InventoryObject = obj
                return found
        return None

    def find_any(self, object_id: str) -> tuple[str, InventoryObject] | None:
        """(kind, object) for ``object_id`` in any inventory list."""
        for kind in INVENTORY_KINDS:
            obj = self.find(kind, object_id)
            if obj is not None:
                return kind, obj
        return None


def build_state(b: BuildContext) -> VcenterState:
    """``build_state`` hook: a fresh runtime copy of the scenario's section."""
    section = b.section if isinstance(b.section, VcenterSection) else VcenterSection()
    return VcenterState(section)


# -- /_sim/objects ------------------------------------------------------------------------


def _cluster_view(data: VcenterState) -> dict[str, Any]:
    view = data.cluster.model_dump(mode="json")
    if view.get("management_vcenter"):
        view["management_vcenter"].pop("password", None)  # secrets never leave the simulator
    return view


def _list(data: VcenterState | None) -> list[dict[str, Any]]:
    if data is None:
        return []
    out: list[dict[str, Any]] = [
        {
            "id": CLUSTER_ID,
            "type": "VchaCluster",
            "name": "VCHA cluster",
            "health_state": data.cluster.health_state,
        }
    ]
    for kind, vapi_type in INVENTORY_KINDS.items():
        out.extend(
            {"id": obj.id, "type": vapi_type, "name": obj.name}
            for obj in getattr(data.inventory, kind)
        )
    return out


def _get(data: VcenterState | None, object_id: str) -> dict[str, Any] | None:
    if data is None:
        return None
    if object_id == CLUSTER_ID:
        return _cluster_view(data)
    found = data.find_any(object_id)
    if found is None:
        return None
    kind, obj = found
    return {"kind": INVENTORY_KINDS[kind], **obj.model_dump(mode="json")}


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in (nested mappings merged, everything else replaced)."""
    out = copy.copy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
        for e in exc.errors(include_url=False, include_input=False)
    )


def _patch(data: VcenterState, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` (same shape as the object's view) and re-validate the whole object,
    strictly: JSON's own types (``"443"`` is not a port)."""
    if object_id == CLUSTER_ID:
        merged = deep_merge(data.cluster.model_dump(), changes)
        try:
            data.cluster = ClusterSettings.model_validate(merged, strict=True)
        except ValidationError as exc:
            raise ValueError(_errors(exc)) from None
        return _cluster_view(data)
    found = data.find_any(object_id)
    if found is None:
        raise KeyError(object_id)
    kind, obj = found
    if changes.get("id", object_id) != object_id:
        raise ValueError("id cannot be changed")
    changes = {k: v for k, v in changes.items() if k != "kind"}
    model = NetworkObject if kind == "networks" else InventoryObject
    try:
        new = model.model_validate(deep_merge(obj.model_dump(), changes), strict=True)
    except ValidationError as exc:
        raise ValueError(_errors(exc)) from None
    items = getattr(data.inventory, kind)
    items[items.index(obj)] = new
    return {"kind": INVENTORY_KINDS[kind], **new.model_dump(mode="json")}


def object_hooks() -> ObjectHooks:
    """The ``/_sim/objects`` hooks: the cluster (``vcha-cluster``) and the inventory objects.

    The cluster can be patched with any field of its view (``health_state``, ``mode``,
    ``passive: {state}``, ``management_vcenter: {reachable, password, ...}``...); inventory
    objects with ``name``, ``deploy_error`` and (networks) ``type``.
    """
    return ObjectHooks(list=_list, get=_get, patch=_patch)
