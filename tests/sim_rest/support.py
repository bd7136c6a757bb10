"""Constants and request builders shared by the vcenter and vr surface tests."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import httpx

from vreconnect_sim.validation import load_document

BASE = "http://sim"
VCENTER = f"{BASE}/rest"
VR = f"{BASE}/api/rest/vr/v2"
ADMIN = "administrator@vsphere.local"
PASSWORD = "VMware1!"

# Management vCenter of the default scenario (see scenarios/default.yaml, vcenter section).
MGMT_SHA1 = "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4"
MGMT_SHA256 = (
    "79:44:15:CF:AB:9E:62:82:D7:0F:2E:16:19:2E:05:C4:37:66:89:F9:"
    "E4:A0:56:7A:55:57:E5:19:84:65:27:2D"
)

# The request example of specs/vcenter.yaml; valid against the default scenario.
REDEPLOY_EXAMPLE: dict[str, Any] = {
    "spec": {
        "vc_spec": {
            "active_location": {
                "hostname": "mgmt-vc.example.com",
                "port": 443,
                "ssl_thumbprint": MGMT_SHA1,
                "username": ADMIN,
                "password": PASSWORD,
            }
        },
        "placement": {
            "name": "vcsa-passive",
            "folder": "group-v4",
            "host": "host-21",
            "resource_pool": "resgroup-8",
            "ha_network_type": "DISTRIBUTED_PORTGROUP",
            "ha_network": "dvportgroup-31",
            "management_network_type": "STANDARD_PORTGROUP",
            "management_network": "network-12",
            "storage": {"datastore": "datastore-15"},
        },
        "ha_ip": {
            "ip_family": "IPV4",
            "ipv4": {"address": "192.168.100.2", "subnet_mask": "255.255.255.0", "prefix": 24},
        },
        "failover_ip": {
            "ip_family": "IPV6",
            "ipv6": {"address": "fd00:10:20::30", "prefix": 64},
            "default_gateway": "fd00:10:20::1",
            "dns_servers": ["fd00:10:20::53"],
        },
    }
}

# Pairings of the default scenario (see scenarios/default.yaml, vr section).
PAIRING_CONNECTED = "b8a1abcd-1a69-46c7-8da4-f9fc3c6da5d7"
PAIRING_BROKEN = "e30d7438-0a92-449a-a4d6-7c9a623e01db"
PAIRING_ROTATED = "fd724452-ccea-41ff-8a14-876aeaff1a09"
PAIRING_UNREACHABLE = "43000de0-1b2e-440e-93ad-dccb2c33be0a"
REMOTE_VC = {
    PAIRING_CONNECTED: "1710cf53-27ac-435a-ba97-c643656412a9",
    PAIRING_BROKEN: "19098a21-74b3-4106-8870-1a50d1876eb9",
    PAIRING_ROTATED: "8534f457-38d0-48ec-8f10-99c6c3e1b258",
    PAIRING_UNREACHABLE: "06905269-ed6f-4b09-b165-c8ce36e2f24b",
}


def redeploy_body(**changes: Any) -> dict[str, Any]:
    """The example body with ``changes`` applied: ``path__to__key=value`` (None deletes)."""
    body = copy.deepcopy(REDEPLOY_EXAMPLE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = body
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return body


def pairing_body(pairing_id: str, **psc: Any) -> dict[str, Any]:
    """A reconnect body for ``pairing_id`` with the default PSC credentials (``psc`` overrides)."""
    info = {"username": ADMIN, "password": PASSWORD, **psc}
    return {"pair_psc_info": info, "pair_vc_id": REMOTE_VC[pairing_id]}


def basic(user: str, password: str) -> str:
    """The token part of an HTTP Basic ``Authorization`` header."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


ROOT = Path(__file__).resolve().parents[2]
"""The repository root (``specs/`` lives there)."""


def check_documented(document: str, mount: str, response: httpx.Response) -> None:
    """Fail unless ``response`` is one ``specs/<document>.yaml`` allows for its request
    (its status listed for the operation, its body and headers matching)."""
    doc = load_document(ROOT / "specs" / f"{document}.yaml")
    request = response.request
    path = request.url.path.removeprefix(mount) or "/"
    headers = {k.lower(): v for k, v in response.headers.items()}
    result = doc.check(request.method, path, response.status_code, headers, response.content)
    assert result is not None, f"{request.method} {path} is not an operation of {document}"
    operation, problem = result
    assert problem is None, f"specs/{document}.yaml, {operation}: {problem}"
