"""The sms surface's state: VASA providers registered with the storage monitoring service.

Scenario section (every level rejects unknown keys)::

    sms:
      providers:
        - moid: vasa-3
          name: vasa-array-c
          url: https://vasa-c.example.com:8443/vasa/version.xml
          status: disconnected            # VasaProviderStatus
          reachable: true                 # false: reconnect -> ProviderConnectionFailed
          certificate_expires_in_days: -30  # relative to simulator start; <= 0: expired
          certificate_corrupted: false    # true: InvalidCertificate even if not expired

A provider's certificate is a real (deterministic) X.509 certificate whose ``notAfter`` is the
expiry date, so ``InvalidCertificate.certificate`` and ``VasaProviderInfo.certificate`` carry a
PEM a client can inspect. Expiry is judged against the simulator clock at reconnect time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Self, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..clock import Clock, iso8601
from ..jsonbody import validate_json_strict
from ..registry import BuildContext
from ..scenario import format_loc
from ..vim25.certs import make_certificate

__all__ = [
    "PROVIDER_STATUSES",
    "Provider",
    "ProviderSpec",
    "SmsSection",
    "SmsState",
    "build_state",
    "get_object",
    "list_objects",
    "patch_object",
]

ProviderStatus = Literal["online", "offline", "syncError", "unknown", "connected", "disconnected"]
PROVIDER_STATUSES: tuple[str, ...] = get_args(ProviderStatus)
_DAY = 86400.0


class ProviderSpec(BaseModel):
    """A VASA provider as written in the scenario."""

    model_config = ConfigDict(extra="forbid")

    moid: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    name: str = Field(min_length=1)
    url: str = Field(min_length=1, description="The provider's VASA URL (version.xml).")
    uid: str | None = Field(default=None, description="Default: a UUID derived from the moId.")
    description: str | None = None
    version: str = "5.0"
    status: ProviderStatus = "online"
    reachable: bool = True
    certificate_expires_in_days: float = Field(
        default=365.0, description="Days from simulator start; <= 0 means already expired."
    )
    certificate_corrupted: bool = False


class SmsSection(BaseModel):
    """The whole ``sms:`` section."""

    model_config = ConfigDict(extra="forbid")

    providers: list[ProviderSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        """Reject duplicate moIds (naming the offending entry)."""
        seen: dict[str, int] = {}
        for i, p in enumerate(self.providers):
            if p.moid in seen:
                raise PydanticCustomError(
                    "scenario_reference",
                    f"providers[{i}].moid: duplicate moId {p.moid!r} (also providers[{seen[p.moid]}])",
                )
            seen[p.moid] = i
        return self


@dataclass(slots=True)
class Provider:
    """A registered VASA provider."""

    moid: str
    uid: str
    name: str
    url: str
    description: str | None
    version: str
    status: str
    reachable: bool
    certificate_expiry: float  # epoch seconds
    certificate_corrupted: bool = False
    status_fault: dict[str, Any] | None = None
    reconnect_count: int = 0
    last_reconnect_time: float | None = None
    _cert: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def certificate(self) -> str:
        """PEM of the provider's certificate (valid until ``certificate_expiry``)."""
        if self._cert is None:
            end = dt.datetime.fromtimestamp(self.certificate_expiry, tz=dt.UTC).replace(
                microsecond=0
            )
            self._cert = make_certificate(
                f"sms:{self.moid}:{self.certificate_expiry}",
                self.url.split("/")[2].split(":")[0] if "//" in self.url else self.name,
                not_before=end - dt.timedelta(days=730),
                not_after=end,
                organization="VASA provider",
            )
        return self._cert[0]

    def certificate_valid(self, now: float) -> bool:
        """Not corrupted and not expired at ``now``."""
        return not self.certificate_corrupted and self.certificate_expiry > now

    def set_expiry(self, expiry: float) -> None:
        """Change the expiry date (re-issues the certificate)."""
        self.certificate_expiry = expiry
        self._cert = None


class SmsState:
    """The providers, by moId (rebuilt on every reset)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.providers: dict[str, Provider] = {}


def build_state(b: BuildContext) -> SmsState:
    """Build the providers from the scenario's ``sms:`` section."""
    section = b.section if isinstance(b.section, SmsSection) else SmsSection()
    state = SmsState(b.clock)
    now = b.clock.time()
    for spec in section.providers:
        state.providers[spec.moid] = Provider(
            moid=spec.moid,
            uid=spec.uid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"vreconnect-sim:sms:{spec.moid}")),
            name=spec.name,
            url=spec.url,
            description=spec.description,
            version=spec.version,
            status=spec.status,
            reachable=spec.reachable,
            # Whole seconds, so the ISO date shown equals the certificate's notAfter.
            certificate_expiry=float(int(now + spec.certificate_expires_in_days * _DAY)),
            certificate_corrupted=spec.certificate_corrupted,
        )
    return state


# -- control API (/_sim/objects) --------------------------------------------------------------


def provider_view(p: Provider, now: float) -> dict[str, Any]:
    """The control-API view of a provider."""
    return {
        "id": p.moid,
        "type": "VasaProvider",
        "name": p.name,
        "uid": p.uid,
        "url": p.url,
        "description": p.description,
        "version": p.version,
        "status": p.status,
        "reachable": p.reachable,
        "certificate_expiry": iso8601(p.certificate_expiry),
        "certificate_expired": p.certificate_expiry <= now,
        "certificate_corrupted": p.certificate_corrupted,
        "status_fault": p.status_fault,
        "reconnect_count": p.reconnect_count,
        "last_reconnect_time": None
        if p.last_reconnect_time is None
        else iso8601(p.last_reconnect_time),
    }


def list_objects(state: SmsState | None) -> Iterator[dict[str, Any]]:
    """Summaries of every provider."""
    if state is None:
        return
    for p in state.providers.values():
        yield {"id": p.moid, "type": "VasaProvider", "name": p.name, "status": p.status}


def get_object(state: SmsState | None, oid: str) -> dict[str, Any] | None:
    """One provider's view, or None."""
    if state is None or (p := state.providers.get(oid)) is None:
        return None
    return provider_view(p, state.clock.time())


class ProviderPatch(BaseModel):
    """Changes accepted by ``PATCH /_sim/objects/sms/<moId>``.

    Validated with JSON's own types, like every control API body: ``"443"`` is not a port.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    version: str | None = None
    status: ProviderStatus | None = None
    reachable: bool | None = None
    certificate_corrupted: bool | None = None
    certificate_expires_in_days: float | None = Field(
        default=None,
        ge=-36_500,
        le=36_500,
        description="Relative to now (the simulator clock); within a hundred years.",
    )
    certificate_expiry: AwareDatetime | None = None


def patch_object(state: SmsState | None, oid: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` to a provider; ValueError names a bad field, KeyError = unknown."""
    if state is None or (p := state.providers.get(oid)) is None:
        raise KeyError(oid)
    try:
        patch = validate_json_strict(ProviderPatch, changes)
    except ValidationError as exc:
        raise ValueError(
            "; ".join(f"{format_loc(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    fields = patch.model_fields_set
    for key in ("name", "version", "status", "reachable", "certificate_corrupted"):
        if key in fields:
            value = getattr(patch, key)
            if value is None:
                raise ValueError(f"{key}: may not be null")
            setattr(p, key, value)
    if "description" in fields:
        p.description = patch.description
    if "status" in fields and patch.status != "disconnected":
        p.status_fault = None
    now = state.clock.time()
    if patch.certificate_expires_in_days is not None:
        p.set_expiry(float(int(now + patch.certificate_expires_in_days * _DAY)))
    if patch.certificate_expiry is not None:
        p.set_expiry(float(int(patch.certificate_expiry.timestamp())))
    return provider_view(p, now)
