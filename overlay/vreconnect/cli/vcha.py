"""``vreconnect vcha redeploy``: redeploy the passive node of a degraded VCHA cluster."""

from __future__ import annotations

import enum
import ipaddress
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from .common import CliState, DebugOption, JsonOption, TimeoutOption, WaitOption, run
from .config import ConnectionSettings, secret_from_env
from .connect import open_rest, report_task
from .exitcodes import ExitCode, UsageProblem
from .output import Output, jsonable

if TYPE_CHECKING:
    from vreconnect import VCenterRest

__all__ = [
    "NetworkTypeChoice",
    "app",
    "build_redeploy_spec",
    "cluster_health",
    "load_spec_file",
    "validate_redeploy_spec",
]

app = typer.Typer(help="Recover the vCenter HA (VCHA) cluster.", no_args_is_help=True)


class NetworkTypeChoice(enum.StrEnum):
    """``vcenter.vcha.network_type``."""

    STANDARD_PORTGROUP = "STANDARD_PORTGROUP"
    DISTRIBUTED_PORTGROUP = "DISTRIBUTED_PORTGROUP"


def load_spec_file(path: Path, *, origin: str = "--spec") -> dict[str, Any]:
    """Read a redeploy spec (JSON or YAML): the RedeploySpec itself or ``{"spec": {...}}``.
    ``origin`` is what named the file, for errors (``--spec``, ``plan vcha.spec``).

    Raises:
        UsageProblem: unreadable file, bad syntax, or not a mapping.
    """
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise UsageProblem(f"{origin} {path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageProblem(f"{origin} {path}: not valid JSON/YAML: {exc}") from None
    if isinstance(data, dict) and set(data) == {"spec"}:
        data = data["spec"]
    if not isinstance(data, dict):
        raise UsageProblem(f"{origin} {path}: expected a mapping (a RedeploySpec)")
    return data


def _ip_spec(value: str, flag: str) -> dict[str, Any]:
    """``192.168.100.2/24`` or ``fd00::30/64`` as a vcha IpSpec dict."""
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        raise UsageProblem(
            f"{flag} {value!r}: expected ADDRESS/PREFIX, e.g. 192.168.100.2/24"
        ) from None
    if "/" not in value:
        raise UsageProblem(f"{flag} {value!r}: give the prefix too, e.g. {value}/24")
    if iface.version == 4:
        return {
            "ip_family": "IPV4",
            "ipv4": {"address": str(iface.ip), "prefix": iface.network.prefixlen},
        }
    return {
        "ip_family": "IPV6",
        "ipv6": {"address": str(iface.ip), "prefix": iface.network.prefixlen},
    }


def build_redeploy_spec(
    base: dict[str, Any] | None,
    *,
    conn: ConnectionSettings,
    placement: dict[str, Any],
    active: dict[str, Any],
    active_password: str | None,
    ha_ip: str | None = None,
    failover_ip: str | None = None,
    failover_gateway: str | None = None,
    failover_dns: list[str] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The RedeploySpec (dict form) from a spec file's content and the flags (flags win),
    checked against the generated ``RedeploySpec`` model before anything is sent.

    The active node's management vCenter credentials (when ``vc_spec`` is present or an
    ``active`` flag is given): the user name from ``active``, else the file, else the login
    user; the password from ``active_password``, else the file, else the login password --
    never required in the file, so a shipped spec can stay free of secrets. ``source``
    names the spec file in errors (e.g. ``--spec vcha.json``).

    Raises:
        UsageProblem: placement.name/folder missing, a malformed address flag, or a spec
            the model rejects (naming each bad key's path; unknown keys are rejected).
    """
    spec: dict[str, Any] = json.loads(json.dumps(base or {}))  # deep copy, JSON types only
    for path in (("placement",), ("vc_spec",), ("vc_spec", "active_location"), ("failover_ip",)):
        # The flags are merged into these: each must be a mapping before the model check.
        node: Any = spec
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, dict):
            where = f" ({source})" if source else ""
            raise UsageProblem(
                f"invalid redeploy spec{where}: {'.'.join(path)}: expected a mapping"
            )
    place = spec.setdefault("placement", {})
    for key, value in placement.items():
        if value is not None:
            place[key] = value.value if isinstance(value, enum.Enum) else value
    if "storage" in place and isinstance(place["storage"], str):
        place["storage"] = {"datastore": place["storage"]}
    given_active = {k: v for k, v in active.items() if v is not None}
    if given_active or "vc_spec" in spec:
        location = spec.setdefault("vc_spec", {}).setdefault("active_location", {})
        location.update(given_active)
        if "username" not in location:
            location["username"] = conn.require_user()
        if active_password is not None:
            location["password"] = active_password
        elif "password" not in location:
            location["password"] = conn.with_password().password
    if ha_ip:
        spec["ha_ip"] = _ip_spec(ha_ip, "--ha-ip")
    if failover_ip or failover_gateway or failover_dns:
        failover = spec.get("failover_ip") or {}
        if failover_ip:
            failover.update(_ip_spec(failover_ip, "--failover-ip"))
        if failover_gateway:
            failover["default_gateway"] = failover_gateway
        if failover_dns:
            failover["dns_servers"] = list(failover_dns)
        spec["failover_ip"] = failover
    if not place.get("name") or not place.get("folder"):
        raise UsageProblem(
            "the redeploy spec needs placement.name and placement.folder",
            hint="pass --spec FILE (see vreconnect_sim/scenarios/recovery-demo.vcha-redeploy.json) "
            "or --name and --folder",
        )
    validate_redeploy_spec(spec, source)
    return spec


def validate_redeploy_spec(spec: dict[str, Any], source: str | None = None) -> None:
    """Check ``spec`` against the generated ``RedeploySpec`` model, unknown keys included
    (a typo in a spec file must not be dropped silently and the redeploy run without it).

    Raises:
        UsageProblem: naming every bad key by its path (never a value: one may be a password).
    """
    from pydantic import ValidationError

    from vreconnect_generated.models.vcenter import RedeploySpec

    try:
        RedeploySpec.model_validate(spec, extra="forbid")
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"]) or "(the spec)"
            reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(f"{path}: {reason}")
        where = f" ({source} and the flags)" if source else ""
        raise UsageProblem(
            f"invalid redeploy spec{where}: " + "; ".join(problems),
            hint="the keys are RedeploySpec's: vc_spec.active_location, placement, ha_ip, "
            "failover_ip (see vreconnect_sim/scenarios/recovery-demo.vcha-redeploy.json)",
        ) from None


def cluster_health(rest: VCenterRest) -> tuple[str, dict[str, Any]]:
    """The VCHA cluster's health after the redeploy, as (human suffix, JSON fields)."""
    info = rest.vcha_cluster()
    health = jsonable(getattr(info, "health_state", None))
    if not isinstance(health, str):
        return "", {}
    return f"; cluster health {health}", {"health_state": health}


# Help panels, named after the RedeploySpec parts their flags set.
_PLACEMENT = "Placement (placement.*)"
_ACTIVE = "Active node's vCenter (vc_spec.active_location.*)"
_ADDRESSES = "Addresses"


@app.command("redeploy")
def redeploy(
    ctx: typer.Context,
    spec_file: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            dir_okay=False,
            metavar="FILE",
            help="RedeploySpec as JSON or YAML; the flags override its fields. Example: "
            "recovery-demo.vcha-redeploy.json in vreconnect_sim/scenarios/.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", metavar="NAME", help="The passive VM's name.", rich_help_panel=_PLACEMENT
        ),
    ] = None,
    folder: Annotated[
        str | None,
        typer.Option("--folder", metavar="ID", help="Folder id.", rich_help_panel=_PLACEMENT),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", metavar="ID", help="HostSystem id.", rich_help_panel=_PLACEMENT),
    ] = None,
    resource_pool: Annotated[
        str | None,
        typer.Option(
            "--resource-pool", metavar="ID", help="Resource pool id.", rich_help_panel=_PLACEMENT
        ),
    ] = None,
    datastore: Annotated[
        str | None,
        typer.Option(
            "--datastore",
            metavar="ID",
            help="Datastore id (storage.datastore).",
            rich_help_panel=_PLACEMENT,
        ),
    ] = None,
    ha_network: Annotated[
        str | None,
        typer.Option(
            "--ha-network", metavar="ID", help="HA network id.", rich_help_panel=_PLACEMENT
        ),
    ] = None,
    ha_network_type: Annotated[
        NetworkTypeChoice | None,
        typer.Option(
            "--ha-network-type",
            metavar="TYPE",
            help="STANDARD_PORTGROUP or DISTRIBUTED_PORTGROUP.",
            rich_help_panel=_PLACEMENT,
        ),
    ] = None,
    management_network: Annotated[
        str | None,
        typer.Option(
            "--management-network",
            metavar="ID",
            help="Management network id.",
            rich_help_panel=_PLACEMENT,
        ),
    ] = None,
    management_network_type: Annotated[
        NetworkTypeChoice | None,
        typer.Option(
            "--management-network-type",
            metavar="TYPE",
            help="STANDARD_PORTGROUP or DISTRIBUTED_PORTGROUP.",
            rich_help_panel=_PLACEMENT,
        ),
    ] = None,
    active_hostname: Annotated[
        str | None,
        typer.Option(
            "--active-hostname",
            metavar="NAME",
            help="hostname: the vCenter managing the active node.",
            rich_help_panel=_ACTIVE,
        ),
    ] = None,
    active_port: Annotated[
        int | None,
        typer.Option(
            "--active-port",
            min=0,
            max=65535,
            metavar="PORT",
            help="port of that vCenter.",
            rich_help_panel=_ACTIVE,
        ),
    ] = None,
    active_thumbprint: Annotated[
        str | None,
        typer.Option(
            "--active-thumbprint",
            metavar="SHA1",
            help="ssl_thumbprint of that vCenter's certificate.",
            rich_help_panel=_ACTIVE,
        ),
    ] = None,
    active_user: Annotated[
        str | None,
        typer.Option(
            "--active-user",
            metavar="USER",
            help="username (default: the spec file's, else the login user).",
            rich_help_panel=_ACTIVE,
        ),
    ] = None,
    active_password_env: Annotated[
        str | None,
        typer.Option(
            "--active-password-env",
            metavar="NAME",
            help="Environment variable holding the password (default: the spec file's "
            "password, else the login password).",
            rich_help_panel=_ACTIVE,
        ),
    ] = None,
    ha_ip: Annotated[
        str | None,
        typer.Option(
            "--ha-ip",
            metavar="ADDR/PREFIX",
            help="ha_ip of the passive node.",
            rich_help_panel=_ADDRESSES,
        ),
    ] = None,
    failover_ip: Annotated[
        str | None,
        typer.Option(
            "--failover-ip",
            metavar="ADDR/PREFIX",
            help="failover_ip of the passive node.",
            rich_help_panel=_ADDRESSES,
        ),
    ] = None,
    failover_gateway: Annotated[
        str | None,
        typer.Option(
            "--failover-gateway",
            metavar="ADDR",
            help="failover_ip.default_gateway.",
            rich_help_panel=_ADDRESSES,
        ),
    ] = None,
    failover_dns: Annotated[
        list[str] | None,
        typer.Option(
            "--failover-dns",
            metavar="ADDR",
            help="failover_ip.dns_servers (repeat).",
            rich_help_panel=_ADDRESSES,
        ),
    ] = None,
    wait: WaitOption = True,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Redeploy the passive node of a degraded VCHA cluster (redeploy-task, a cis task)."""

    def body(out: Output, state: CliState) -> ExitCode:
        base = load_spec_file(spec_file) if spec_file is not None else None
        password = (
            secret_from_env(active_password_env, "--active-password-env")
            if active_password_env
            else None
        )
        spec = build_redeploy_spec(
            base,
            conn=state.conn,
            placement={
                "name": name,
                "folder": folder,
                "host": host,
                "resource_pool": resource_pool,
                "storage": datastore,
                "ha_network": ha_network,
                "ha_network_type": ha_network_type,
                "management_network": management_network,
                "management_network_type": management_network_type,
            },
            active={
                "hostname": active_hostname,
                "port": active_port,
                "ssl_thumbprint": active_thumbprint,
                "username": active_user,
            },
            active_password=password,
            ha_ip=ha_ip,
            failover_ip=failover_ip,
            failover_gateway=failover_gateway,
            failover_dns=failover_dns,
            source=f"--spec {spec_file}" if spec_file is not None else None,
        )
        with open_rest(state.conn, out) as rest:
            try:
                handle = rest.redeploy_vcha_passive(spec)
            except (TypeError, ValueError) as exc:
                raise UsageProblem(f"invalid redeploy spec: {exc}") from None
            return report_task(
                out,
                handle,
                target="vcha",
                wait=wait,
                timeout=timeout,
                label="redeploy VCHA passive node",
                after=lambda: cluster_health(rest),
            )

    run(ctx, body, json_mode=json_mode, debug=debug)
