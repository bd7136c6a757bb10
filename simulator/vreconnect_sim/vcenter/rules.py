"""The redeploy spec's cross-field rules (page 003, ``x-cross-field-rules`` in specs/vcenter.yaml).

The generated pydantic model checks each field on its own (types, enums, bounds, required
fields); the page adds rules *between* fields, which :func:`check_redeploy_spec` enforces. Each
violation becomes one vAPI LocalizableMessage naming the field (``spec.ha_ip.ipv4.prefix``) and
quoting the page's sentence, so a client can show exactly which rule it broke; all violations of
one request are reported together (``invalid_argument``, HTTP 400).

Rules (page sentences quoted in the messages):

* ``vc_spec`` set -> ``vc_spec.active_location.username`` must be set ("This field is currently
  required. If unset, an error is returned."). An unset password is the empty password.
* ``ha_ip`` / ``failover_ip``: ``ip_family`` IPV4 needs ``ipv4``, IPV6 needs ``ipv6``; the other
  family's spec is "only relevant" for its own family and is ignored. In ``ipv4``,
  ``subnet_mask`` and ``prefix`` may not both be unset and, when both are set, must represent the
  same value. Addresses, masks, gateways and DNS servers must parse as IP addresses of the family.
* ``placement``: ``ha_network`` set -> ``ha_network_type`` must be set; likewise for
  ``management_network``. A type without its network is ignored (the page says so).

Placement *existence* (unknown folder, host...) and network type mismatches are checked against
the inventory by :func:`check_placement`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from vreconnect_generated.models import vcenter as models

from .errors import message
from .state import INVENTORY_KINDS, VcenterState

__all__ = [
    "RULE_HA_NETWORK",
    "RULE_IPV4_FAMILY",
    "RULE_IPV6_FAMILY",
    "RULE_MANAGEMENT_NETWORK",
    "RULE_MASK_AND_PREFIX_DIFFER",
    "RULE_MASK_AND_PREFIX_UNSET",
    "RULE_USERNAME",
    "check_credentials_spec",
    "check_placement",
    "check_redeploy_spec",
    "prefix_of_mask",
]

RULE_USERNAME = "This field is currently required. If unset, an error is returned."
RULE_IPV4_FAMILY = (
    "If the family of the ip is IPV4, then this will point to IPv4 address specification."
)
RULE_IPV6_FAMILY = (
    "If the family of the ip is IPV6, then this will point to IPv6 address specification."
)
RULE_MASK_AND_PREFIX_UNSET = (
    "If unset and the prefix field is unset, then an error will be reported."
)
RULE_MASK_AND_PREFIX_DIFFER = (
    "If both the subnet_mask field and the prefix field are set and they do not represent "
    "the same value, then an error will be reported."
)
RULE_HA_NETWORK = (
    "If the vcenter.vcha.placement_spec.ha_network field is set, then the "
    "vcenter.vcha.placement_spec.ha_network_type field must be set."
)
RULE_MANAGEMENT_NETWORK = (
    "If the vcenter.vcha.placement_spec.management_network field is set, then the "
    "vcenter.vcha.placement_spec.management_network_type field must be set."
)

RULE_ID = "com.vmware.vcenter.vcha.spec.cross_field_rule"
VALUE_ID = "com.vmware.vcenter.vcha.spec.invalid_value"


def _rule(field: str, rule: str, detail: str = "") -> dict[str, Any]:
    text = f"{field}: {rule}" + (f" ({detail})" if detail else "")
    return message(RULE_ID, text, field, rule)


def _value(field: str, detail: str) -> dict[str, Any]:
    return message(VALUE_ID, f"{field}: {detail}", field, detail)


def prefix_of_mask(mask: str) -> int | None:
    """The prefix length of a contiguous IPv4 netmask (``255.255.255.0`` -> 24), else None."""
    try:
        value = int(ipaddress.IPv4Address(mask.strip()))
    except ValueError:
        return None
    prefix = bin(value).count("1")
    return prefix if value == ((1 << 32) - 1) ^ ((1 << (32 - prefix)) - 1) else None


def _is_ip(text: str, version: int | None = None) -> bool:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return version is None or addr.version == version


def _check_ip_spec(field: str, ip: models.IpSpec) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    family = 4 if ip.ip_family == models.IpFamily.IPV4 else 6
    if family == 4:
        v4 = ip.ipv4
        if not isinstance(v4, models.Ipv4Spec):
            out.append(
                _rule(f"{field}.ipv4", RULE_IPV4_FAMILY, "ip_family is IPV4 but ipv4 is unset")
            )
        else:
            if not _is_ip(v4.address, 4):
                out.append(
                    _value(f"{field}.ipv4.address", f"{v4.address!r} is not an IPv4 address")
                )
            mask = v4.subnet_mask if isinstance(v4.subnet_mask, str) else None
            prefix = v4.prefix if isinstance(v4.prefix, int) else None
            if mask is None and prefix is None:
                out.append(_rule(f"{field}.ipv4.subnet_mask", RULE_MASK_AND_PREFIX_UNSET))
            elif mask is not None:
                mask_prefix = prefix_of_mask(mask)
                if mask_prefix is None:
                    out.append(
                        _value(f"{field}.ipv4.subnet_mask", f"{mask!r} is not an IPv4 subnet mask")
                    )
                elif prefix is not None and prefix != mask_prefix:
                    out.append(
                        _rule(
                            f"{field}.ipv4.prefix",
                            RULE_MASK_AND_PREFIX_DIFFER,
                            f"subnet_mask {mask} is /{mask_prefix}, prefix is {prefix}",
                        )
                    )
    else:
        v6 = ip.ipv6
        if not isinstance(v6, models.Ipv6Spec):
            out.append(
                _rule(f"{field}.ipv6", RULE_IPV6_FAMILY, "ip_family is IPV6 but ipv6 is unset")
            )
        elif not _is_ip(v6.address, 6):
            out.append(_value(f"{field}.ipv6.address", f"{v6.address!r} is not an IPv6 address"))
    if isinstance(ip.default_gateway, str) and not _is_ip(ip.default_gateway, family):
        out.append(
            _value(
                f"{field}.default_gateway",
                f"{ip.default_gateway!r} is not an IPv{family} address",
            )
        )
    if isinstance(ip.dns_servers, list):
        for i, server in enumerate(ip.dns_servers):
            if not _is_ip(server):
                out.append(_value(f"{field}.dns_servers[{i}]", f"{server!r} is not an IP address"))
    return out


def check_credentials_spec(vc_spec: object, field: str) -> list[dict[str, Any]]:
    """Messages for a ``vc_spec`` (at ``field``) without username, or with ``port: null``.

    ``port: null`` passes the generated model (the field has a default, which the generator
    turns into ``int | None``) but not the spec (integer, not nullable).
    """
    if not isinstance(vc_spec, models.CredentialsSpec):
        return []
    out: list[dict[str, Any]] = []
    location = vc_spec.active_location
    if location.port is None:
        out.append(_value(f"{field}.active_location.port", "Input should be a valid integer"))
    if not isinstance(location.username, str):
        out.append(_rule(f"{field}.active_location.username", RULE_USERNAME))
    return out


def check_redeploy_spec(spec: models.RedeploySpec) -> list[dict[str, Any]]:
    """Messages for every cross-field rule (and IP syntax) ``spec`` breaks; empty if none."""
    out = check_credentials_spec(spec.vc_spec, "spec.vc_spec")
    for name in ("ha_ip", "failover_ip"):
        ip = getattr(spec, name)
        if isinstance(ip, models.IpSpec):
            out.extend(_check_ip_spec(f"spec.{name}", ip))
    placement = spec.placement
    if isinstance(placement.ha_network, str) and not isinstance(
        placement.ha_network_type, models.NetworkType
    ):
        out.append(_rule("spec.placement.ha_network_type", RULE_HA_NETWORK))
    if isinstance(placement.management_network, str) and not isinstance(
        placement.management_network_type, models.NetworkType
    ):
        out.append(_rule("spec.placement.management_network_type", RULE_MANAGEMENT_NETWORK))
    return out


_PLACEMENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("folder", "folders"),
    ("host", "hosts"),
    ("resource_pool", "resource_pools"),
    ("ha_network", "networks"),
    ("management_network", "networks"),
)


def check_placement(placement: models.PlacementSpec, data: VcenterState) -> list[dict[str, Any]]:
    """Messages for placement identifiers the inventory lacks, or networks of another type."""
    out: list[dict[str, Any]] = []
    for field, kind in _PLACEMENT_FIELDS:
        value = getattr(placement, field)
        if not isinstance(value, str):
            continue
        obj = data.find(kind, value)
        if obj is None:
            out.append(
                _value(
                    f"spec.placement.{field}",
                    f"there is no {INVENTORY_KINDS[kind]}:VCenter with identifier {value!r}",
                )
            )
            continue
        if kind == "networks":
            wanted = getattr(placement, f"{field}_type")
            actual = getattr(obj, "type", None)
            if isinstance(wanted, models.NetworkType) and wanted.value != actual:
                out.append(
                    _value(
                        f"spec.placement.{field}_type",
                        f"{field} {value} is a {actual}, not a {wanted.value}",
                    )
                )
    storage = placement.storage
    if (
        isinstance(storage, models.DiskSpec)
        and isinstance(storage.datastore, str)
        and data.find("datastores", storage.datastore) is None
    ):
        out.append(
            _value(
                "spec.placement.storage.datastore",
                f"there is no Datastore:VCenter with identifier {storage.datastore!r}",
            )
        )
    return out
