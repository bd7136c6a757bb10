"""The ``vim25:`` section of a scenario: the vCenter inventory, validated on load.

Layout (every level rejects unknown keys; see ``scenarios/default.yaml`` for a full example)::

    vim25:
      about: {version: 8.0.3, build: '24322831', api_version: 8.0.3.0}
      datacenters:
        - {moid: datacenter-3, name: dc-east}
      compute_resources:
        - {moid: domain-c8, name: cluster-ha, datacenter: datacenter-3, kind: cluster, ha_enabled: true}
        - {moid: domain-s10, name: esx-standalone.example.com, datacenter: datacenter-3, kind: standalone}
      hosts:
        - moid: host-102
          host_name: esx-disconnected.example.com
          parent: domain-c7
          connection_state: disconnected
          ...                      # see HostSpec for every field and its default
      fleet: {...}                 # how `--hosts N` generates N extra hosts (FleetSpec)

Cross references (a compute resource's datacenter, a host's parent) and unique moIds are
checked too; the error names the offending key, e.g. ``hosts[3].parent: unknown compute
resource 'domain-c99'``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = [
    "DAS_FAULT_REASONS",
    "DAS_HOST_STATES",
    "DEFAULT_HOST_PASSWORD",
    "FLEET_PROFILES",
    "AboutSpec",
    "ComputeResourceSpec",
    "ConnectionState",
    "DasHostState",
    "DasMisconfigSpec",
    "DasReason",
    "DatacenterSpec",
    "FleetProfile",
    "FleetSpec",
    "HostSpec",
    "PowerState",
    "Vim25Section",
    "is_valid_host_name",
    "is_valid_thumbprint",
]

DEFAULT_HOST_PASSWORD = "VMware1!"

ConnectionState = Literal["connected", "notResponding", "disconnected"]
PowerState = Literal["poweredOn", "poweredOff", "standBy", "unknown"]
DasHostState = Literal[
    "uninitialized",
    "initializationError",
    "initializing",
    "master",
    "connectedToMaster",
    "networkPartitionedFromMaster",
    "networkIsolated",
    "hostDown",
    "fdmUnreachable",
    "retry",
]
DAS_HOST_STATES: tuple[str, ...] = get_args(DasHostState)
DasReason = Literal[
    "HostNetworkMisconfiguration",
    "HostMisconfiguration",
    "InsufficientPrivileges",
    "NoPrimaryAgentAvailable",
    "Other",
    "NoDatastoresConfigured",
    "CreateConfigVvolFailed",
    "VSanNotSupportedOnHost",
    "DasNetworkMisconfiguration",
    "SetDesiredImageSpecFailed",
    "ApplyHAVibsOnClusterFailed",
]
DAS_FAULT_REASONS: tuple[str, ...] = get_args(DasReason)
FleetProfile = Literal[
    "disconnected",
    "connected",
    "notResponding",
    "unreachable",
    "bad_credentials",
    "untrusted_certificate",
    "managed_elsewhere",
    "unsupported_version",
    "no_license",
]
FLEET_PROFILES: tuple[str, ...] = get_args(FleetProfile)

_MOID = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){19}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def is_valid_thumbprint(value: str) -> bool:
    """True for a SHA-1 thumbprint written as 20 colon-separated hex pairs (any case)."""
    return _THUMBPRINT.match(value) is not None


def is_valid_host_name(name: str) -> bool:
    """True for an IPv4/IPv6 literal or a syntactically valid DNS name (RFC 1123)."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return True
    if not name or len(name) > 253:
        return False
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    if all(label.isdigit() for label in labels):
        return False  # all-numeric but not an IPv4 address, e.g. 300.1.1.1
    return all(_LABEL.match(label) for label in labels)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AboutSpec(_Strict):
    """``ServiceContent.about`` of the simulated vCenter."""

    name: str = "VMware vCenter Server"
    full_name: str | None = Field(
        default=None, description="Default: '<name> <version> build-<build>'."
    )
    vendor: str = "VMware, Inc."
    version: str = "8.0.3"
    build: str = "24322831"
    os_type: str = "linux-x64"
    product_line_id: str = "vpx"
    api_version: str = "8.0.3.0"
    instance_uuid: str = "4c4c4544-0056-4a10-8052-b3c04f565331"


class DatacenterSpec(_Strict):
    """A datacenter and its folders (``vm_folder`` is what ``cnxSpec.vmFolder`` may name)."""

    moid: str = Field(pattern=_MOID)
    name: str = Field(min_length=1)
    host_folder: str = Field(default="group-h4", pattern=_MOID)
    vm_folder: str = Field(default="group-v4", pattern=_MOID)


class ComputeResourceSpec(_Strict):
    """A cluster (``ClusterComputeResource``) or a standalone host's ``ComputeResource``."""

    moid: str = Field(pattern=_MOID)
    name: str = Field(min_length=1)
    datacenter: str = Field(pattern=_MOID)
    kind: Literal["cluster", "standalone"] = "cluster"
    ha_enabled: bool = Field(default=False, description="vSphere HA enabled (clusters only).")

    @model_validator(mode="after")
    def _standalone_has_no_ha(self) -> Self:
        if self.kind == "standalone" and self.ha_enabled:
            raise ValueError("ha_enabled: a standalone ComputeResource cannot have vSphere HA")
        return self


class DasMisconfigSpec(_Strict):
    """Why configuring vSphere HA on a host fails (becomes a ``DasConfigFault``)."""

    reason: DasReason = "HostMisconfiguration"
    output: str = Field(default="", description="stdout/stderr of the failed configuration.")
    events: list[str] = Field(
        default_factory=list,
        description="Messages of the events (HostDasErrorEvent) reported with the fault; "
        "empty = one event derived from the reason.",
    )


class HostSpec(_Strict):
    """A HostSystem. Every field is also shown and (mostly) patchable via ``/_sim/objects``."""

    moid: str = Field(pattern=_MOID)
    name: str | None = Field(default=None, description="Inventory name; default host_name.")
    host_name: str = Field(min_length=1, description="Address vCenter uses for the host.")
    port: int = Field(default=443, ge=0, le=65535)
    parent: str = Field(pattern=_MOID, description="moId of the cluster / ComputeResource.")
    connection_state: ConnectionState = "connected"
    power_state: PowerState = "poweredOn"
    in_maintenance_mode: bool = False
    user: str = Field(default="root", description="Administration account the host accepts.")
    password: SecretStr = Field(
        default_factory=lambda: SecretStr(DEFAULT_HOST_PASSWORD),
        description="Password the host accepts for `user`.",
    )
    stored_credentials_valid: bool = Field(
        default=True,
        description="vCenter's stored credentials still work: a reconnect without "
        "cnxSpec.userName/password succeeds (false: it fails with InvalidLogin).",
    )
    certificate_generation: int = Field(
        default=1, ge=1, description="Bump to give the host a new certificate (new thumbprint)."
    )
    thumbprint: str | None = Field(
        default=None,
        description="Explicit SHA-1 thumbprint; default derived from the host's generated "
        "certificate (then SSLVerifyFault also carries the matching PEM).",
    )
    ca_trusted: bool = Field(
        default=True,
        description="The certificate is signed by a CA vCenter trusts; false: sslThumbprint "
        "must match or the reconnect fails with SSLVerifyFault.",
    )
    self_signed: bool | None = Field(
        default=None, description="SSLVerifyFault.selfSigned; default: not ca_trusted."
    )
    reachable: bool = Field(default=True, description="false: every reconnect fails with NoHost.")
    actual_host_name: str | None = Field(
        default=None,
        description="Where the host really answers, if it moved (default host_name); a "
        "reconnect must name it (or an alias) in cnxSpec.hostName.",
    )
    actual_port: int | None = Field(default=None, ge=0, le=65535)
    aliases: list[str] = Field(
        default_factory=list, description="Other names/addresses the host also answers at."
    )
    managed_by: str | None = Field(
        default=None,
        description="IP of another vCenter managing the host (AlreadyBeingManaged unless force).",
    )
    product_name: str = "VMware ESXi"
    product_version: str = "8.0.3"
    supported: bool = Field(default=True, description="false: NotSupportedHost.")
    licensed: bool = Field(default=True, description="false: NotEnoughLicenses.")
    connect_fault: str | None = Field(
        default=None, description="A generic HostConnectFault message the reconnect ends with."
    )
    das_state: DasHostState | None = Field(
        default=None,
        description="ClusterDasFdmHostState.state; default derived (HA clusters only).",
    )
    das_misconfig: DasMisconfigSpec | None = None

    @field_validator("thumbprint")
    @classmethod
    def _thumbprint_format(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_thumbprint(value):
            raise ValueError("must be a SHA-1 thumbprint: 20 colon-separated hex pairs")
        return value.upper() if value else value

    @field_validator("host_name", "actual_host_name")
    @classmethod
    def _host_name_syntax(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_host_name(value):
            raise ValueError(f"{value!r} is not a valid DNS name or IP address")
        return value


DEFAULT_FLEET_MIX: dict[FleetProfile, float] = {
    "disconnected": 70,
    "connected": 15,
    "notResponding": 3,
    "unreachable": 3,
    "bad_credentials": 2,
    "untrusted_certificate": 3,
    "managed_elsewhere": 2,
    "unsupported_version": 1,
    "no_license": 1,
}
"""Default fleet mix: mostly disconnected hosts that reconnect cleanly, some of every failure."""


class FleetSpec(_Strict):
    """How ``--hosts N`` (``settings.hosts``) generates N extra hosts, deterministic by seed."""

    datacenter: str | None = Field(
        default=None,
        pattern=_MOID,
        description="Datacenter of the fleet cluster; default the first (or a new 'datacenter-fleet').",
    )
    cluster_moid: str = Field(default="domain-c100", pattern=_MOID)
    cluster_name: str = "cluster-fleet"
    ha_enabled: bool = True
    first_moid: int = Field(default=10001, ge=1, description="Fleet hosts are host-<n> from here.")
    domain: str = "fleet.example.com"
    mix: dict[FleetProfile, float] = Field(
        default_factory=lambda: dict(DEFAULT_FLEET_MIX),
        description="Relative weight of each host profile.",
    )

    @field_validator("mix")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in value.values()) or not any(w > 0 for w in value.values()):
            raise ValueError("weights must be >= 0 and at least one > 0")
        return value


class Vim25Section(_Strict):
    """The whole ``vim25:`` section."""

    about: AboutSpec = Field(default_factory=AboutSpec)
    datacenters: list[DatacenterSpec] = Field(default_factory=list)
    compute_resources: list[ComputeResourceSpec] = Field(default_factory=list)
    hosts: list[HostSpec] = Field(default_factory=list)
    fleet: FleetSpec = Field(default_factory=FleetSpec)

    @model_validator(mode="after")
    def _references(self) -> Self:
        problems: list[str] = []
        seen: dict[str, str] = {}

        def claim(moid: str, where: str) -> None:
            if moid in seen:
                problems.append(f"{where}.moid: duplicate moId {moid!r} (also {seen[moid]})")
            else:
                seen[moid] = where

        for i, dc in enumerate(self.datacenters):
            claim(dc.moid, f"datacenters[{i}]")
            for attr in ("host_folder", "vm_folder"):
                folder = getattr(dc, attr)
                if folder in seen and not seen[folder].startswith("datacenters"):
                    problems.append(f"datacenters[{i}].{attr}: moId {folder!r} already used")
        dcs = {dc.moid for dc in self.datacenters}
        kinds: dict[str, str] = {}
        for i, cr in enumerate(self.compute_resources):
            claim(cr.moid, f"compute_resources[{i}]")
            kinds[cr.moid] = cr.kind
            if cr.datacenter not in dcs:
                problems.append(
                    f"compute_resources[{i}].datacenter: unknown datacenter {cr.datacenter!r}"
                )
        standalone_used: dict[str, int] = {}
        for i, host in enumerate(self.hosts):
            claim(host.moid, f"hosts[{i}]")
            kind = kinds.get(host.parent)
            if kind is None:
                problems.append(f"hosts[{i}].parent: unknown compute resource {host.parent!r}")
            elif kind == "standalone":
                if host.parent in standalone_used:
                    problems.append(
                        f"hosts[{i}].parent: standalone ComputeResource {host.parent!r} already "
                        f"holds hosts[{standalone_used[host.parent]}]"
                    )
                standalone_used[host.parent] = i
        if self.fleet.datacenter is not None and self.fleet.datacenter not in dcs:
            problems.append(f"fleet.datacenter: unknown datacenter {self.fleet.datacenter!r}")
        if self.fleet.cluster_moid in seen:
            problems.append(f"fleet.cluster_moid: moId {self.fleet.cluster_moid!r} already used")
        if problems:
            # A custom error keeps pydantic's "Value error, " prefix out of the message.
            raise PydanticCustomError("scenario_reference", "; ".join(problems))
        return self
