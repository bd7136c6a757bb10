"""What the suite knows about each OpenAPI document: where it lives, how to log in, what is safe.

One :class:`Surface` per document in ``specs/``. Everything here is a fact about the API (with
the page or the ``shared/knowledge`` fact it comes from in a comment); nothing here is a
property of a particular server. The schemathesis configuration of a surface is the smallest
that lets every check run: a setting exists only where the API really behaves that way.

Checks are named as schemathesis names them (``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``,
``positive_data_acceptance``, ``negative_data_rejection``, ``missing_required_header``,
``unsupported_method``, ``ignored_auth``, ``use_after_free``, ``ensure_resource_availability``)
plus the suite's own (:mod:`vreconnect.contract.checks`): ``session_required``,
``privilege_required``, ``task_completes`` and ``simulator_healthy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CONTROL",
    "SMS",
    "SURFACES",
    "SURFACE_NAMES",
    "VCENTER",
    "VIM25",
    "VR",
    "AuthKind",
    "ObjectPin",
    "Refusal",
    "Surface",
    "TaskRead",
]

AuthKind = Literal["vim_login", "vapi_basic", "vr_basic", "none"]
"""How a surface logs in.

* ``vim_login``: ``POST /sdk/vim25/{release}/SessionManager/{moId}/Login`` with a JSON body
  ``{userName, password}``; the token is the ``vmware-api-session-id`` response header
  (protocols.md, "VI/JSON"). SMS uses the same login (protocols.md, "SMS": "same session header").
* ``vapi_basic``: ``POST /rest/com/vmware/cis/session`` with HTTP Basic returns
  ``{"value": token}``, sent back as ``vmware-api-session-id`` (protocols.md, "/rest").
* ``vr_basic``: ``POST /api/rest/vr/v2/session`` with HTTP Basic returns ``{"session_id"}``, sent
  back as ``x-dr-session`` (protocols.md, "vSphere Replication REST").
* ``none``: the simulator's control API has no authentication (specs/control.yaml).
"""


@dataclass(frozen=True)
class Refusal:
    """What a refusal looks like on a surface: the status, and for VI/JSON the fault type.

    VI/JSON refuses with HTTP 500 and a MethodFault body (protocols.md: "Only 200, 204 and 500
    are used. A fault is HTTP 500 with a JSON MethodFault body"), so the fault's ``_typeName``
    tells a refusal from any other fault. The REST surfaces refuse with a status alone.
    """

    status: int
    fault: str | None = None
    """VI/JSON: the required ``_typeName`` of the 500 body (None on REST surfaces)."""

    def matches(self, status: int, body: Any) -> bool:
        """True if a response with ``status`` and parsed JSON ``body`` is this refusal."""
        if status != self.status:
            return False
        if self.fault is None:
            return True
        return isinstance(body, Mapping) and body.get("_typeName") == self.fault

    def describe(self) -> str:
        """``500 NotAuthenticated`` / ``401``."""
        return f"{self.status} {self.fault}" if self.fault else str(self.status)


@dataclass(frozen=True)
class TaskRead:
    """How to read the task an operation starts, until it ends.

    ``path`` is relative to the surface's base URL with ``{id}`` for the task id; ``id_pointer``
    is a JSON pointer into the starting response's body; ``state_pointer`` a JSON pointer into the
    task read's body; ``terminal`` the states after which a task never changes again.
    """

    operation: str
    """operationId of the read (for the report)."""
    method: str
    path: str
    id_pointer: str
    state_pointer: str
    terminal: frozenset[str]


@dataclass(frozen=True)
class ObjectPin:
    """A path parameter that must name an existing object for the operation to get anywhere.

    toolchain.md: "Links are only exercised when the source operation succeeds: pin path
    parameters that must name existing objects". The values come from the server (the
    simulator's ``/_sim/objects``, the VR pairing list, or ``vreconnect contract --object``);
    ``constant`` values are fixed by the API itself (``ServiceInstance``, ``SessionManager``).
    """

    parameter: str
    operations: tuple[str, ...]
    kind: str | None = None
    """Object kind (``host``, ``vasa-provider``, ``pairing``, ``surface``, ``sim-object``)."""
    constant: tuple[str, ...] = ()


@dataclass(frozen=True)
class Surface:
    """One OpenAPI document and what the suite needs to test a server against it."""

    name: str
    document: str
    """File name in ``specs/``."""
    base_path: str
    """Path of the document's server URL below the server root; ``{release}`` is substituted."""
    auth: AuthKind
    session_header: str | None
    login_path: str | None
    """Path of the login call below the server root; ``{release}``/``{session_manager}`` substituted."""
    logout_operations: frozenset[str] = frozenset()
    safe_operations: frozenset[str] = frozenset()
    """Logins, logouts of the suite's own sessions, reads and task reads: run by default."""
    task_reads: Mapping[str, TaskRead] = field(default_factory=dict)
    """operationId of a task-starting operation -> how to read its task to the end."""
    unauthenticated: Refusal | None = None
    """The answer to a request without a (valid) session."""
    forbidden: Refusal | None = None
    """The answer to a session that lacks the operation's privilege."""
    extra_privileges: Mapping[str, str] = field(default_factory=dict)
    """Privileged operations the document does not mark with ``x-*-privilege`` (with why)."""
    pins: tuple[ObjectPin, ...] = ()
    login_body_pins: bool = False
    """Pin the ``Login`` body's ``userName`` and ``password`` (together) to the suite's user."""
    stateful_examples: frozenset[str] = frozenset()
    """Task-starting operations whose stateful steps also send the documented request example."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """The surface's schemathesis configuration (keys as in ``schemathesis.toml``)."""
    operation_config: tuple[Mapping[str, Any], ...] = ()
    """``[[operations]]`` entries (each with ``include-operation-id``)."""
    cli: bool = True
    """Offered by ``vreconnect contract --surface`` (the control API is the simulator's own)."""


def _accepting(*statuses: str) -> dict[str, Any]:
    """``positive_data_acceptance`` accepting ``statuses`` besides schemathesis' defaults."""
    defaults = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
    return {"positive_data_acceptance": {"expected-statuses": [*defaults, *statuses]}}


# -- VI/JSON (vim25, sms) -----------------------------------------------------------------------

_VIM_CHECKS: dict[str, Any] = {
    # VI/JSON reports every fault as HTTP 500 (protocols.md: "Only 200, 204 and 500 are used. A
    # fault is HTTP 500 with a JSON MethodFault body"). The 500 body is still checked: it must be
    # one of the operation's documented faults (response_schema_conformance against the
    # <operationId>Fault union).
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "500"]},
    # A call without the session header is refused with the NotAuthenticated fault, i.e. HTTP 500
    # (same fact); session_required checks that it is NotAuthenticated and not any 500.
    "missing_required_header": {"expected-statuses": ["500"]},
    # schemathesis accepts only 401/403 as "refused"; VI/JSON refuses with 500 NotAuthenticated
    # (same fact). session_required sends the same two probes (no session, an invalid session)
    # and requires that fault instead.
    "ignored_auth": {"enabled": False},
    # An undeclared HTTP method answers 500 InvalidRequest, never 405: VI/JSON uses only 200,
    # 204 and 500 (same fact).
    "unsupported_method": {"enabled": False},
}

VIM25 = Surface(
    name="vim25",
    document="vim25.yaml",
    base_path="/sdk/vim25/{release}",
    auth="vim_login",
    session_header="vmware-api-session-id",
    login_path="/sdk/vim25/{release}/SessionManager/{session_manager}/Login",
    logout_operations=frozenset({"Logout"}),
    safe_operations=frozenset(
        {"GetServiceInstanceContent", "Login", "Logout", "GetHostSystemRuntime", "GetTaskInfo"}
    ),
    task_reads={
        op: TaskRead(
            "GetTaskInfo",
            "GET",
            "/Task/{id}/info",
            "/value",
            "/state",
            frozenset({"success", "error"}),
        )
        for op in ("ReconnectHost_Task", "ReconfigureHostForDAS_Task", "DisconnectHost_Task")
    },
    # protocols.md: "Login ... callable without a session"; every other call needs one and is
    # refused with the NotAuthenticated fault (MethodFault <- RuntimeFault <- NotAuthenticated).
    unauthenticated=Refusal(500, "NotAuthenticated"),
    # Pages 000/001: "Required privileges: Host.Config.Connection"; a missing privilege is the
    # NoPermission fault (protocols.md: SecurityError <- NoPermission).
    forbidden=Refusal(500, "NoPermission"),
    pins=(
        # protocols.md: "A client starts with GET /ServiceInstance/ServiceInstance/content".
        ObjectPin("moId", ("GetServiceInstanceContent",), constant=("ServiceInstance",)),
        # specs/vim25.yaml SessionManagerMoId: "`SessionManager` on vCenter".
        ObjectPin("moId", ("Login", "Logout"), constant=("SessionManager",)),
        ObjectPin(
            "moId",
            (
                "ReconnectHost_Task",
                "ReconfigureHostForDAS_Task",
                "DisconnectHost_Task",
                "GetHostSystemRuntime",
            ),
            kind="host",
        ),
    ),
    # The Login -> Logout link is followed only after a successful Login, and a generated
    # user name and password never log in: the Login body is pinned, with a probability, to the
    # suite's own credentials (generated ones still exercise InvalidLogin).
    login_body_pins=True,
    # A generated cnxSpec.hostName is almost never a valid host name (InvalidName answers the
    # call), so without the documented example a stateful reconnect would rarely start a task.
    stateful_examples=frozenset({"ReconnectHost_Task"}),
    config={"checks": _VIM_CHECKS},
)

SMS = Surface(
    name="sms",
    document="sms.yaml",
    base_path="/sdk/vim25/{release}/sms",
    auth="vim_login",
    session_header="vmware-api-session-id",
    # specs/sms.yaml: "there is no login in this document. The session comes from the vim25
    # Login".
    login_path="/sdk/vim25/{release}/SessionManager/{session_manager}/Login",
    safe_operations=frozenset({"QuerySmsTaskInfo", "QueryProviderInfo"}),
    task_reads={
        "VasaProviderReconnect_Task": TaskRead(
            "QuerySmsTaskInfo",
            "POST",
            "/SmsTask/{id}/QuerySmsTaskInfo",
            "/value",
            "/state",
            frozenset({"success", "error"}),
        )
    },
    unauthenticated=Refusal(500, "NotAuthenticated"),
    # Page 002: "Required privileges: StorageViews.ConfigureService"; NoPermission as on vim25.
    forbidden=Refusal(500, "NoPermission"),
    pins=(
        ObjectPin(
            "moId", ("VasaProviderReconnect_Task", "QueryProviderInfo"), kind="vasa-provider"
        ),
    ),
    config={"checks": _VIM_CHECKS},
)

# -- vSphere Automation REST (vcenter) ------------------------------------------------------------

_VAPI_CHECKS: dict[str, Any] = {
    # Page 003 documents 400 invalid_argument for a body that is well formed but breaks a rule
    # the schema cannot express: vc_spec.active_location.username is "Optional. This field is
    # currently required. If unset, an error is returned.", the placement ids must name existing
    # objects, ip_family selects ipv4 or ipv6 (x-cross-field-rules of RedeploySpec in
    # specs/vcenter.yaml), and a wrong thumbprint is 400 unverified_peer.
    **_accepting("400"),
    # Page 003: "500 error: If any other error occurs." (vcha_cluster_get: "error, any other
    # error", protocols.md). A redeploy of a cluster that is not degraded is such an error
    # (docs/design.md, "VCHA redeploy"); its body must still be the documented Error.
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "500"]},
}

VCENTER = Surface(
    name="vcenter",
    document="vcenter.yaml",
    base_path="/rest",
    auth="vapi_basic",
    session_header="vmware-api-session-id",
    login_path="/rest/com/vmware/cis/session",
    logout_operations=frozenset({"cis_session_delete"}),
    # vcha_cluster_get is a POST (?action=get) but only reads the cluster (protocols.md).
    safe_operations=frozenset(
        {"cis_session_create", "cis_session_delete", "cis_tasks_get", "vcha_cluster_get"}
    ),
    task_reads={
        "vcha_cluster_passive_redeploy_task": TaskRead(
            "cis_tasks_get",
            "GET",
            "/cis/tasks/{id}",
            "/value",
            "/value/status",
            frozenset({"SUCCEEDED", "FAILED"}),
        )
    },
    # protocols.md: "unauthenticated 401, unauthorized 403".
    unauthenticated=Refusal(401),
    # Page 003: "unauthorized: If the user has insufficient privilege to perform the operation.
    # Operation execution requires the Global.VCServer privilege." (403).
    forbidden=Refusal(403),
    # The VCHA cluster is degraded once: a redeploy heals it, so later stateful steps start from
    # the documented request example too (a generated placement names no existing object).
    stateful_examples=frozenset({"vcha_cluster_passive_redeploy_task"}),
    operation_config=tuple(
        {"include-operation-id": op, "checks": _VAPI_CHECKS}
        for op in ("vcha_cluster_passive_redeploy_task", "vcha_cluster_get")
    ),
)

# -- vSphere Replication REST (vr) ----------------------------------------------------------------

VR = Surface(
    name="vr",
    document="vr.yaml",
    base_path="/api/rest/vr/v2",
    auth="vr_basic",
    session_header="x-dr-session",
    login_path="/api/rest/vr/v2/session",
    logout_operations=frozenset({"logout"}),
    safe_operations=frozenset({"login", "logout", "get_pairings", "get_pairing", "get_task"}),
    task_reads={
        "reconnect_pairing": TaskRead(
            "get_task",
            "GET",
            "/tasks/{id}",
            "/id",
            "/status",
            frozenset({"SUCCESS", "ERROR", "CANCELLED"}),
        )
    },
    unauthenticated=Refusal(401),
    forbidden=Refusal(403),
    # Page 004 names no privilege but documents 403 "Forbidden - not sufficient access rights to
    # fulfill the request" for the reconnect; the simulator requires VRMRemote.Manage
    # (docs/design.md: "403 no permission (VRMRemote.Manage)").
    extra_privileges={"reconnect_pairing": "VRMRemote.Manage"},
    pins=(ObjectPin("pairing_id", ("get_pairing", "reconnect_pairing"), kind="pairing"),),
    # pair_vc_id must name the pairing's remote vCenter Server (400 otherwise): the documented
    # example does, for the example's pairing.
    stateful_examples=frozenset({"reconnect_pairing"}),
    operation_config=(
        {
            "include-operation-id": "reconnect_pairing",
            # Page 004: 400 "Bad request - ... invalid request body content"; pair_vc_id must
            # name the pairing's remote vCenter Server, which the schema cannot express.
            "checks": _accepting("400"),
        },
    ),
)

# -- the simulator's control API ------------------------------------------------------------------

CONTROL = Surface(
    name="control",
    document="control.yaml",
    base_path="/_sim",
    auth="none",
    session_header=None,
    login_path=None,
    pins=(
        ObjectPin("surface", ("getObject", "patchObject"), kind="surface"),
        ObjectPin("object_id", ("getObject", "patchObject"), kind="sim-object"),
    ),
    operation_config=(
        {
            "include-operation-id": "addFaultRule",
            # specs/control.yaml, addFaultRule: "Exactly one of fault, status, drop may be set
            # ... A rule that breaks these rules (including one with no action at all) answers
            # 422" -- cross-field rules a JSON schema cannot state.
            "checks": _accepting("422"),
        },
        {
            "include-operation-id": "patchObject",
            # specs/control.yaml, patchObject: "Which keys are accepted is up to the surface; a
            # change it rejects answers 422, a surface whose objects are read-only 409."
            "checks": _accepting("422"),
        },
        {
            "include-operation-id": "loadScenario",
            # specs/control.yaml, loadScenario: the body is "validated as a scenario" by each
            # surface's section model, which the document does not restate; "A bad scenario
            # answers 400 and changes nothing".
            "checks": _accepting("400"),
        },
    ),
    cli=False,
)

SURFACES: dict[str, Surface] = {s.name: s for s in (VIM25, SMS, VCENTER, VR, CONTROL)}
SURFACE_NAMES: tuple[str, ...] = tuple(name for name, s in SURFACES.items() if s.cli)
"""The surfaces ``vreconnect contract --surface`` offers (the control API is not one)."""
