"""The vim25 surface's state: a compact vCenter inventory built from the scenario.

Records are slotted dataclasses (10,000 hosts build in a few tens of milliseconds and cost a
few MB); handlers look objects up by moId in dicts, never scan. Certificates are generated
lazily (see :mod:`.certs`).

Bookkeeping visible through ``/_sim/objects/vim25/<moId>`` (besides the scenario fields):

* ``last_reconnect_sync_state`` -- ``reconnectSpec.syncState`` of the last successful
  ReconnectHost_Task (false when the request had no reconnectSpec; null = never reconnected);
* ``last_state_sync_time`` -- when a reconnect with ``syncState: true`` last synchronized the
  host's VM state and configuration with vCenter;
* ``reconnect_count``, ``last_reconnect_time``, ``accepted_thumbprint`` (the thumbprint vCenter
  accepted at the last successful reconnect).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ..clock import Clock, iso8601
from ..jsonbody import validate_json_strict
from ..registry import BuildContext
from ..scenario import format_loc
from .certs import make_certificate
from .section import (
    DEFAULT_HOST_PASSWORD,
    AboutSpec,
    ConnectionState,
    DasHostState,
    DasMisconfigSpec,
    FleetSpec,
    HostSpec,
    PowerState,
    Vim25Section,
    is_valid_host_name,
    is_valid_thumbprint,
)

__all__ = [
    "ComputeResource",
    "DasMisconfig",
    "Datacenter",
    "Host",
    "Vim25State",
    "build_state",
    "get_object",
    "list_objects",
    "patch_object",
]

_MASK = "********"


@functools.lru_cache(maxsize=4096)
def host_certificate(moid: str, generation: int, common_name: str) -> tuple[str, str]:
    """(PEM, SHA-1 thumbprint) of a host's certificate; pure, so cached across resets."""
    return make_certificate(f"{moid}:{generation}", common_name)


_BOOT_AGE = 14 * 86400.0  # hosts booted two weeks before the simulator started


@dataclass(slots=True)
class Datacenter:
    """A datacenter with its host and VM folders."""

    moid: str
    name: str
    host_folder: str
    vm_folder: str


@dataclass(slots=True)
class ComputeResource:
    """A cluster or a standalone host's ComputeResource; ``hosts`` are moIds."""

    moid: str
    name: str
    datacenter: str
    kind: str  # "cluster" | "standalone"
    ha_enabled: bool
    das_master: str | None = None
    hosts: list[str] = field(default_factory=list)

    @property
    def mo_type(self) -> str:
        """``ClusterComputeResource`` or ``ComputeResource``."""
        return "ClusterComputeResource" if self.kind == "cluster" else "ComputeResource"


@dataclass(slots=True, frozen=True)
class DasMisconfig:
    """Why vSphere HA configuration fails on a host."""

    reason: str
    output: str
    events: tuple[str, ...]


@dataclass(slots=True)
class Host:
    """A HostSystem: vCenter's record of it plus the simulated host's real behaviour."""

    moid: str
    name: str
    host_name: str
    port: int
    parent: str
    connection_state: str
    power_state: str = "poweredOn"
    in_maintenance_mode: bool = False
    boot_time: float = 0.0
    user: str = "root"
    password: str = field(default=DEFAULT_HOST_PASSWORD, repr=False)
    stored_credentials_valid: bool = True
    certificate_generation: int = 1
    thumbprint_override: str | None = None
    ca_trusted: bool = True
    self_signed: bool = False
    accepted_certificate: tuple[int, str | None] | None = None
    reachable: bool = True
    actual_host_name: str | None = None
    actual_port: int | None = None
    aliases: tuple[str, ...] = ()
    managed_by: str | None = None
    product_name: str = "VMware ESXi"
    product_version: str = "8.0.3"
    supported: bool = True
    licensed: bool = True
    connect_fault: str | None = None
    das_state: str | None = None
    das_misconfig: DasMisconfig | None = None
    last_reconnect_sync_state: bool | None = None
    last_reconnect_time: float | None = None
    last_state_sync_time: float | None = None
    reconnect_count: int = 0
    cert_name: str = ""  # certificate CN: the host's name when the scenario was built
    _cert: tuple[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.cert_name:
            self.cert_name = self.name

    # -- certificate -----------------------------------------------------------------------

    def _certificate(self) -> tuple[str, str]:
        if self._cert is None:
            self._cert = host_certificate(self.moid, self.certificate_generation, self.cert_name)
        return self._cert

    @property
    def thumbprint(self) -> str:
        """SHA-1 thumbprint of the certificate the host presents now."""
        return self.thumbprint_override or self._certificate()[1]

    @property
    def certificate(self) -> str | None:
        """PEM of that certificate; None when the thumbprint is an explicit override."""
        return None if self.thumbprint_override else self._certificate()[0]

    def reset_certificate(self) -> None:
        """Forget the cached certificate (after a generation bump)."""
        self._cert = None

    def accept_certificate(self) -> None:
        """Record the certificate vCenter accepted (cheap: the thumbprint is derived on read)."""
        self.accepted_certificate = (self.certificate_generation, self.thumbprint_override)

    @property
    def accepted_thumbprint(self) -> str | None:
        """Thumbprint of the certificate accepted at the last successful reconnect."""
        if self.accepted_certificate is None:
            return None
        generation, override = self.accepted_certificate
        return override or host_certificate(self.moid, generation, self.cert_name)[1]

    # -- addressing ------------------------------------------------------------------------

    def answers_at(self, name: str, port: int) -> bool:
        """True if the real host can be contacted at ``name:port``."""
        if not self.reachable:
            return False
        actual_port = self.port if self.actual_port is None else self.actual_port
        if port != actual_port:
            return False
        actual = self.actual_host_name or self.host_name
        lowered = name.lower()
        return lowered == actual.lower() or any(lowered == a.lower() for a in self.aliases)


class Vim25State:
    """Everything the vim25 handlers read and change (rebuilt on every reset)."""

    def __init__(self, about: AboutSpec, clock: Clock) -> None:
        self.about = about
        self.clock = clock
        self.datacenters: dict[str, Datacenter] = {}
        self.compute_resources: dict[str, ComputeResource] = {}
        self.hosts: dict[str, Host] = {}
        self.folders: dict[str, str] = {}  # folder moId -> datacenter moId
        self._event_key = 4700
        self._chain_id = 9000

    def next_event_key(self) -> int:
        """A fresh event key (events and task event chains share the real product's counter)."""
        self._event_key += 1
        return self._event_key

    def next_chain_id(self) -> int:
        """A fresh ``eventChainId`` for a task."""
        self._chain_id += 1
        return self._chain_id

    def parent_of(self, host: Host) -> ComputeResource:
        """The host's cluster / ComputeResource."""
        return self.compute_resources[host.parent]

    def datacenter_of(self, cr: ComputeResource) -> Datacenter:
        """The compute resource's datacenter."""
        return self.datacenters[cr.datacenter]

    def in_ha_cluster(self, host: Host) -> bool:
        """True if the host's parent is a cluster with vSphere HA enabled."""
        cr = self.compute_resources.get(host.parent)
        return cr is not None and cr.kind == "cluster" and cr.ha_enabled

    def healthy_das_state(self, host: Host) -> str:
        """The FDM state a host reaches when HA configures cleanly (first one is master)."""
        cr = self.compute_resources[host.parent]
        if cr.das_master is None or cr.das_master == host.moid:
            cr.das_master = host.moid
            return "master"
        return "connectedToMaster"

    def clear_das(self, host: Host) -> None:
        """The host no longer takes part in HA (disconnected): forget its FDM state."""
        host.das_state = None
        cr = self.compute_resources.get(host.parent)
        if cr is not None and cr.das_master == host.moid:
            cr.das_master = None

    def fault_hint(self, moid: str) -> dict[str, Any]:
        """Object-specific defaults for injected faults (used by the error renderer)."""
        host = self.hosts.get(moid)
        if host is None:
            return {}
        return {
            "host_name": host.host_name,
            "managed_by": host.managed_by,
            "self_signed": host.self_signed,
            "thumbprint": host.thumbprint,
            "certificate": host.certificate,
        }


# -- building -----------------------------------------------------------------------------


def _host_from_spec(spec: HostSpec, boot_time: float) -> Host:
    misconfig = None
    if spec.das_misconfig is not None:
        misconfig = _misconfig(spec.das_misconfig)
    return Host(
        moid=spec.moid,
        name=spec.name or spec.host_name,
        host_name=spec.host_name,
        port=spec.port,
        parent=spec.parent,
        connection_state=spec.connection_state,
        power_state=spec.power_state,
        in_maintenance_mode=spec.in_maintenance_mode,
        boot_time=boot_time,
        user=spec.user,
        password=spec.password.get_secret_value(),
        stored_credentials_valid=spec.stored_credentials_valid,
        certificate_generation=spec.certificate_generation,
        thumbprint_override=spec.thumbprint,
        ca_trusted=spec.ca_trusted,
        self_signed=(not spec.ca_trusted) if spec.self_signed is None else spec.self_signed,
        reachable=spec.reachable,
        actual_host_name=spec.actual_host_name,
        actual_port=spec.actual_port,
        aliases=tuple(spec.aliases),
        managed_by=spec.managed_by,
        product_name=spec.product_name,
        product_version=spec.product_version,
        supported=spec.supported,
        licensed=spec.licensed,
        connect_fault=spec.connect_fault,
        das_state=spec.das_state,
        das_misconfig=misconfig,
    )


def _misconfig(spec: DasMisconfigSpec) -> DasMisconfig:
    return DasMisconfig(spec.reason, spec.output, tuple(spec.events))


def _settle_das(state: Vim25State, host: Host) -> None:
    """Derive the FDM state of a host whose scenario entry left it unset."""
    if not state.in_ha_cluster(host):
        return
    cr = state.compute_resources[host.parent]
    if host.das_state == "master":
        cr.das_master = cr.das_master or host.moid
        return
    if host.das_state is not None or host.connection_state != "connected":
        return
    if host.das_misconfig is not None:
        host.das_state = "initializationError"
    else:
        host.das_state = state.healthy_das_state(host)


def build_state(b: BuildContext) -> Vim25State:
    """Build the inventory from the scenario section, plus ``b.fleet_size`` fleet hosts."""
    section = b.section if isinstance(b.section, Vim25Section) else Vim25Section()
    state = Vim25State(section.about, b.clock)
    for dc in section.datacenters:
        state.datacenters[dc.moid] = Datacenter(dc.moid, dc.name, dc.host_folder, dc.vm_folder)
        state.folders[dc.host_folder] = dc.moid
        state.folders[dc.vm_folder] = dc.moid
    for cr in section.compute_resources:
        state.compute_resources[cr.moid] = ComputeResource(
            cr.moid, cr.name, cr.datacenter, cr.kind, cr.ha_enabled
        )
    boot = b.clock.time() - _BOOT_AGE
    for spec in section.hosts:
        host = _host_from_spec(spec, boot)
        state.hosts[host.moid] = host
        state.compute_resources[host.parent].hosts.append(host.moid)
    # Explicit masters first, so derived states do not elect a second one.
    for host in state.hosts.values():
        if host.das_state == "master":
            _settle_das(state, host)
    for host in state.hosts.values():
        _settle_das(state, host)
    if b.fleet_size:
        _add_fleet(state, section.fleet, b.fleet_size, b.rng, boot)
    return state


def _add_fleet(
    state: Vim25State, fleet: FleetSpec, count: int, rng: random.Random, boot: float
) -> None:
    """Add ``count`` generated hosts in one fleet cluster; profiles drawn from ``fleet.mix``."""
    dc_moid = fleet.datacenter or next(iter(state.datacenters), None)
    if dc_moid is None:
        dc_moid = "datacenter-fleet"
        state.datacenters[dc_moid] = Datacenter(
            dc_moid, "dc-fleet", "group-h-fleet", "group-v-fleet"
        )
        state.folders["group-h-fleet"] = dc_moid
        state.folders["group-v-fleet"] = dc_moid
    cluster = ComputeResource(
        fleet.cluster_moid, fleet.cluster_name, dc_moid, "cluster", fleet.ha_enabled
    )
    state.compute_resources[cluster.moid] = cluster
    profiles = list(fleet.mix)
    drawn = rng.choices(profiles, weights=[fleet.mix[p] for p in profiles], k=count)
    hosts = state.hosts
    members = cluster.hosts
    n = fleet.first_moid
    domain = fleet.domain
    for i, profile in enumerate(drawn):
        moid = f"host-{n}"
        while moid in hosts:  # never collide with the scenario's own hosts
            n += 1
            moid = f"host-{n}"
        n += 1
        name = f"esx-{i + 1:05d}.{domain}"
        host = Host(moid, name, name, 443, cluster.moid, "disconnected", boot_time=boot)
        if profile == "connected":
            host.connection_state = "connected"
            if cluster.ha_enabled:
                host.das_state = state.healthy_das_state(host)
        elif profile == "notResponding":
            host.connection_state = "notResponding"
        elif profile == "unreachable":
            host.reachable = False
        elif profile == "bad_credentials":
            host.stored_credentials_valid = False
            host.password = "Rotated-Pa55!"
        elif profile == "untrusted_certificate":
            host.ca_trusted = False
            host.self_signed = True
            host.certificate_generation = 2
        elif profile == "managed_elsewhere":
            host.managed_by = "198.51.100.7"
        elif profile == "unsupported_version":
            host.product_version = "5.5.0"
            host.supported = False
        elif profile == "no_license":
            host.licensed = False
        hosts[moid] = host
        members.append(moid)


# -- control API (/_sim/objects) --------------------------------------------------------------


def _iso(ts: float | None) -> str | None:
    return None if ts is None else iso8601(ts)


def host_view(state: Vim25State, host: Host) -> dict[str, Any]:
    """The control-API view of a host (every field; passwords masked)."""
    cr = state.compute_resources.get(host.parent)
    misconfig = host.das_misconfig
    return {
        "id": host.moid,
        "type": "HostSystem",
        "name": host.name,
        "host_name": host.host_name,
        "port": host.port,
        "parent": host.parent,
        "parent_type": cr.mo_type if cr else None,
        "connection_state": host.connection_state,
        "power_state": host.power_state,
        "in_maintenance_mode": host.in_maintenance_mode,
        "boot_time": _iso(host.boot_time),
        "user": host.user,
        "password": _MASK,
        "stored_credentials_valid": host.stored_credentials_valid,
        "certificate_generation": host.certificate_generation,
        "thumbprint": host.thumbprint,
        "thumbprint_override": host.thumbprint_override is not None,
        "ca_trusted": host.ca_trusted,
        "self_signed": host.self_signed,
        "accepted_thumbprint": host.accepted_thumbprint,
        "reachable": host.reachable,
        "actual_host_name": host.actual_host_name,
        "actual_port": host.actual_port,
        "aliases": list(host.aliases),
        "managed_by": host.managed_by,
        "product_name": host.product_name,
        "product_version": host.product_version,
        "supported": host.supported,
        "licensed": host.licensed,
        "connect_fault": host.connect_fault,
        "in_ha_cluster": state.in_ha_cluster(host),
        "das_state": host.das_state,
        "das_misconfig": None
        if misconfig is None
        else {
            "reason": misconfig.reason,
            "output": misconfig.output,
            "events": list(misconfig.events),
        },
        "last_reconnect_sync_state": host.last_reconnect_sync_state,
        "last_reconnect_time": _iso(host.last_reconnect_time),
        "last_state_sync_time": _iso(host.last_state_sync_time),
        "reconnect_count": host.reconnect_count,
    }


def _cr_view(cr: ComputeResource) -> dict[str, Any]:
    return {
        "id": cr.moid,
        "type": cr.mo_type,
        "name": cr.name,
        "datacenter": cr.datacenter,
        "ha_enabled": cr.ha_enabled,
        "das_master": cr.das_master,
        "host_count": len(cr.hosts),
        # A fleet cluster can hold 10,000 hosts: list only the first ones.
        "hosts": cr.hosts[:100],
    }


def _dc_view(dc: Datacenter) -> dict[str, Any]:
    return {
        "id": dc.moid,
        "type": "Datacenter",
        "name": dc.name,
        "host_folder": dc.host_folder,
        "vm_folder": dc.vm_folder,
    }


def list_objects(state: Vim25State | None) -> Iterator[dict[str, Any]]:
    """Summaries of every datacenter, compute resource and host."""
    if state is None:
        return
    for dc in state.datacenters.values():
        yield {"id": dc.moid, "type": "Datacenter", "name": dc.name}
    for cr in state.compute_resources.values():
        yield {"id": cr.moid, "type": cr.mo_type, "name": cr.name}
    for host in state.hosts.values():
        yield {
            "id": host.moid,
            "type": "HostSystem",
            "name": host.name,
            "connection_state": host.connection_state,
        }


def get_object(state: Vim25State | None, oid: str) -> dict[str, Any] | None:
    """The full view of one object, or None."""
    if state is None:
        return None
    if (host := state.hosts.get(oid)) is not None:
        return host_view(state, host)
    if (cr := state.compute_resources.get(oid)) is not None:
        return _cr_view(cr)
    if (dc := state.datacenters.get(oid)) is not None:
        return _dc_view(dc)
    return None


class HostPatch(BaseModel):
    """Changes accepted by ``PATCH /_sim/objects/vim25/<host moId>`` (all optional).

    Validated with JSON's own types, like every control API body: ``"443"`` is not a port.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1)
    host_name: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=0, le=65535)
    connection_state: ConnectionState | None = None
    power_state: PowerState | None = None
    in_maintenance_mode: bool | None = None
    user: str | None = None
    password: SecretStr | None = None
    stored_credentials_valid: bool | None = None
    certificate_generation: int | None = Field(default=None, ge=1)
    thumbprint: str | None = None
    ca_trusted: bool | None = None
    self_signed: bool | None = None
    reachable: bool | None = None
    actual_host_name: str | None = None
    actual_port: int | None = Field(default=None, ge=0, le=65535)
    aliases: list[str] | None = None
    managed_by: str | None = None
    product_name: str | None = None
    product_version: str | None = None
    supported: bool | None = None
    licensed: bool | None = None
    connect_fault: str | None = None
    das_state: DasHostState | None = None
    das_misconfig: DasMisconfigSpec | None = None


# Fields where null is a meaningful value (clear the setting) rather than "invalid".
_NULLABLE = frozenset(
    {
        "thumbprint",
        "actual_host_name",
        "actual_port",
        "managed_by",
        "connect_fault",
        "das_state",
        "das_misconfig",
    }
)
_CLUSTER_FIELDS = frozenset({"name", "ha_enabled"})


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{format_loc(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())


def patch_object(state: Vim25State | None, oid: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` to a host or cluster; ValueError names a bad field, KeyError = unknown."""
    if state is None:
        raise KeyError(oid)
    if (host := state.hosts.get(oid)) is not None:
        _patch_host(state, host, changes)
        return host_view(state, host)
    if (cr := state.compute_resources.get(oid)) is not None:
        _patch_cr(state, cr, changes)
        return _cr_view(cr)
    if oid in state.datacenters:
        raise ValueError("datacenters are read-only")
    raise KeyError(oid)


def _patch_host(state: Vim25State, host: Host, changes: dict[str, Any]) -> None:
    try:
        patch = validate_json_strict(HostPatch, changes)
    except ValidationError as exc:
        raise ValueError(_validation_message(exc)) from None
    if patch.thumbprint is not None and not is_valid_thumbprint(patch.thumbprint):
        raise ValueError("thumbprint: must be a SHA-1 thumbprint: 20 colon-separated hex pairs")
    for key in ("host_name", "actual_host_name"):
        value = getattr(patch, key)
        if value is not None and not is_valid_host_name(value):
            raise ValueError(f"{key}: {value!r} is not a valid DNS name or IP address")
    for key in patch.model_fields_set:
        value = getattr(patch, key)
        if value is None and key not in _NULLABLE:
            raise ValueError(f"{key}: may not be null")
    fields = patch.model_fields_set
    if "connection_state" in fields:
        host.connection_state = str(patch.connection_state)
        if host.connection_state != "connected":
            state.clear_das(host)
    for key in (
        "port",
        "power_state",
        "in_maintenance_mode",
        "user",
        "stored_credentials_valid",
        "ca_trusted",
        "self_signed",
        "reachable",
        "actual_host_name",
        "actual_port",
        "managed_by",
        "product_name",
        "product_version",
        "supported",
        "licensed",
        "connect_fault",
        "host_name",
    ):
        if key in fields:
            setattr(host, key, getattr(patch, key))
    if "name" in fields and patch.name is not None:
        host.name = patch.name  # an inventory rename does not re-issue the certificate
    if "password" in fields and patch.password is not None:
        host.password = patch.password.get_secret_value()
    if "aliases" in fields and patch.aliases is not None:
        bad = [a for a in patch.aliases if not is_valid_host_name(a)]
        if bad:
            raise ValueError(f"aliases: {bad[0]!r} is not a valid DNS name or IP address")
        host.aliases = tuple(patch.aliases)
    if "certificate_generation" in fields and patch.certificate_generation is not None:
        host.certificate_generation = patch.certificate_generation
        host.reset_certificate()
    if "thumbprint" in fields:
        host.thumbprint_override = patch.thumbprint.upper() if patch.thumbprint else None
    if "das_misconfig" in fields:
        host.das_misconfig = (
            None if patch.das_misconfig is None else _misconfig(patch.das_misconfig)
        )
    if "das_state" in fields:
        if patch.das_state is not None and not state.in_ha_cluster(host):
            raise ValueError("das_state: the host is not in an HA-enabled cluster")
        cr = state.compute_resources[host.parent]
        if patch.das_state == "master":
            cr.das_master = host.moid
        elif cr.das_master == host.moid:
            cr.das_master = None
        host.das_state = patch.das_state


def _patch_cr(state: Vim25State, cr: ComputeResource, changes: dict[str, Any]) -> None:
    unknown = set(changes) - _CLUSTER_FIELDS
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: unknown field (patchable: name, ha_enabled)")
    if "name" in changes:
        if not isinstance(changes["name"], str) or not changes["name"]:
            raise ValueError("name: must be a non-empty string")
        cr.name = changes["name"]
    if "ha_enabled" in changes:
        value = changes["ha_enabled"]
        if not isinstance(value, bool):
            raise ValueError("ha_enabled: must be a boolean")
        if value and cr.kind != "cluster":
            raise ValueError("ha_enabled: a standalone ComputeResource cannot have vSphere HA")
        cr.ha_enabled = value
        for moid in cr.hosts:
            host = state.hosts[moid]
            if not value:
                host.das_state = None
            elif host.connection_state == "connected" and host.das_state is None:
                _settle_das(state, host)
        if not value:
            cr.das_master = None
