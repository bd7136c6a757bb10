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
``privilege_required``, ``undeclared_method_refused``, ``task_completes`` and
``simulator_healthy``.
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
    "BodyPin",
    "ForwardedCredentials",
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
    task read's body; ``terminal`` the states after which a task never changes again, of which
    ``failed`` are the ones where it failed.
    """

    operation: str
    """operationId of the read (for the report)."""
    method: str
    path: str
    id_pointer: str
    state_pointer: str
    terminal: frozenset[str]
    failed: frozenset[str] = frozenset()
    documented_failure: str | None = None
    """Where the page documents that the task itself can fail (None: it does not say). The
    property tests require both outcomes, success and failure, of such an operation's tasks."""


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
    """Object kind (``host``, ``vasa-provider``, ``pairing``, ``datastore``, ``sim-object``).

    A ``parameter`` of the form ``a/b`` pins two parameters together, from values ``x/y``."""
    constant: tuple[str, ...] = ()


@dataclass(frozen=True)
class BodyPin:
    """A request body field that names an existing object (or an account), pinned like a path
    parameter: the operation's documented example names one object; pinning the field to the
    other objects of its kind reaches the outcomes that depend on which object it is.

    ``kind`` takes the values from the server's objects (as :class:`ObjectPin` does);
    ``credentials`` pins the field pair (user name, password) to the suite's own user instead.
    ``owned_only``: only against a server the suite owns (the embedded simulator) -- the field
    is sent on to another host that a generated request may name, and the suite's password
    must never reach a host the generator made up.
    """

    operations: tuple[str, ...]
    pointer: str
    """JSON pointer of the field (of the user name field, with ``credentials``)."""
    kind: str | None = None
    credentials: str | None = None
    """JSON pointer of the password field that goes with ``pointer``."""
    owned_only: bool = False


@dataclass(frozen=True)
class ForwardedCredentials:
    """An object in a request body with credentials the server uses to log in *elsewhere*.

    The server connects to the host the object names and logs in there with its user name and
    password (a reconnect logs into the ESXi host, a redeploy into the management vCenter, a
    pairing reconnect into the remote PSC). On a server the suite does not own, a generated
    host (``0`` is the server itself) with the documented example's account (a real one on
    most servers) could lock that account out, and the suite's own password must never go to
    a host the generator made up: every such field is sent with a value that is nobody's
    (see :func:`vreconnect.contract.checks.guard_credentials`).
    """

    operations: tuple[str, ...]
    pointer: str
    """JSON pointer of the object in the request body."""
    users: tuple[str, ...] = ()
    passwords: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    """Fields naming the host to connect to (a DNS name or an address)."""
    urls: tuple[str, ...] = ()
    """Fields naming it by URL."""


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
    login_operation: str | None = None
    """operationId of the document's own login (a session a test case opens with it is one
    the suite ends, unless the case's own flow logs it out)."""
    logout_operations: frozenset[str] = frozenset()
    safe_operations: frozenset[str] = frozenset()
    """Logins, logouts of the suite's own sessions, reads and task reads: run by default."""
    task_reads: Mapping[str, TaskRead] = field(default_factory=dict)
    """operationId of a task-starting operation -> how to read its task to the end."""
    unauthenticated: Refusal | None = None
    """The answer to a request without a (valid) session."""
    forbidden: Refusal | None = None
    """The answer to a session that lacks the operation's privilege."""
    undeclared_method: Refusal | None = None
    """The answer to an HTTP method the document does not declare for a path, where it is not
    405 (VI/JSON); the ``undeclared_method_refused`` check requires it."""
    extra_privileges: Mapping[str, str] = field(default_factory=dict)
    """Privileged operations the document does not mark with ``x-*-privilege`` (with why)."""
    pins: tuple[ObjectPin, ...] = ()
    body_pins: tuple[BodyPin, ...] = ()
    login_body_pins: bool = False
    """Pin the ``Login`` body's ``userName`` and ``password`` (together) to the suite's user."""
    stateful_examples: frozenset[str] = frozenset()
    """Task-starting operations whose stateful steps also send the documented request example."""
    implicit_objects: Mapping[str, str] = field(default_factory=dict)
    """State-changing operationId -> the kind of object it changes without naming it in its
    path (a vCenter has one VCHA cluster). On a server the suite does not own it runs only
    when that object was named (``--object KIND=NAME``), like an object in the path."""
    forwarded_credentials: tuple[ForwardedCredentials, ...] = ()
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
    # 204 and 500 (same fact). The suite's undeclared_method_refused check requires exactly
    # that fault instead (Surface.undeclared_method).
    "unsupported_method": {"enabled": False},
}

VIM25 = Surface(
    name="vim25",
    document="vim25.yaml",
    base_path="/sdk/vim25/{release}",
    auth="vim_login",
    session_header="vmware-api-session-id",
    login_path="/sdk/vim25/{release}/SessionManager/{session_manager}/Login",
    login_operation="Login",
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
            frozenset({"error"}),
            documented,
        )
        for op, documented in (
            # Page 000: "This method returns a Task object with which to monitor the
            # operation", and its faults include those of the reconnect itself (NoHost: "if
            # the method is unable to contact the server", InvalidLogin "with the host").
            ("ReconnectHost_Task", "page 000: NoHost, InvalidLogin, HostConnectFault"),
            # Page 001: DasConfigFault "reason: The reason why the HA configuration failed".
            ("ReconfigureHostForDAS_Task", "page 001: DasConfigFault"),
            # Not on the pages: no failure of its task is documented.
            ("DisconnectHost_Task", None),
        )
    },
    # protocols.md: "Login ... callable without a session"; every other call needs one and is
    # refused with the NotAuthenticated fault (MethodFault <- RuntimeFault <- NotAuthenticated).
    unauthenticated=Refusal(500, "NotAuthenticated"),
    # protocols.md: "Only 200, 204 and 500 are used"; a method the server does not serve on a
    # path is the InvalidRequest fault (RuntimeFault <- InvalidRequest).
    undeclared_method=Refusal(500, "InvalidRequest"),
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
    # Page 000: the reconnect connects to cnxSpec.hostName and logs in as cnxSpec.userName
    # ("The administration account on the host"); vimAccountName is an account it sets up.
    forwarded_credentials=(
        ForwardedCredentials(
            ("ReconnectHost_Task",),
            "/cnxSpec",
            users=("userName", "vimAccountName"),
            passwords=("password", "vimAccountPassword"),
            hosts=("hostName",),
        ),
    ),
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
            frozenset({"error"}),
            # Page 002: "If reconnecting fails due to InvalidCertificate exception, that means
            # the current provider certificate is expired or corrupted".
            "page 002: InvalidCertificate, ProviderConnectionFailed",
        )
    },
    unauthenticated=Refusal(500, "NotAuthenticated"),
    undeclared_method=Refusal(500, "InvalidRequest"),
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

_REDEPLOY_CHECKS: dict[str, Any] = {
    # Page 003 documents 400 invalid_argument for a body that is well formed but breaks a rule
    # the schema cannot express: vc_spec.active_location.username is "Optional. This field is
    # currently required. If unset, an error is returned.", the placement ids must name existing
    # objects, ip_family selects ipv4 or ipv6 (x-cross-field-rules of RedeploySpec in
    # specs/vcenter.yaml), and a wrong thumbprint is 400 unverified_peer.
    **_accepting("400"),
    # Page 003: "500 error: If any other error occurs." A redeploy of a cluster that is not
    # degraded is such an error (docs/design.md, "VCHA redeploy"); its body must still be the
    # documented Error.
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "500"]},
}

_CLUSTER_GET_CHECKS: dict[str, Any] = {
    # specs/vcenter.yaml, vcha_cluster_get 400 (not on the source page, protocols.md): the
    # optional vc_spec names the management vCenter Server, and credentials it refuses are
    # invalid_argument, a certificate it cannot validate unverified_peer -- "Same errors as
    # redeploy-task gives for the same vc_spec" -- which a schema cannot express.
    **_accepting("400"),
    # protocols.md (vcha_cluster_get): "error, any other error" is 500 with the Error body.
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "500"]},
}

VCENTER = Surface(
    name="vcenter",
    document="vcenter.yaml",
    base_path="/rest",
    auth="vapi_basic",
    session_header="vmware-api-session-id",
    login_path="/rest/com/vmware/cis/session",
    login_operation="cis_session_create",
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
            frozenset({"FAILED"}),
            # Page 003 is the -task form of redeploy: the call answers with the task, whose
            # status ends FAILED when the redeploy fails (protocols.md, cis tasks).
            "page 003: redeploy-task",
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
    # Page 003: the redeploy changes the vCenter's one VCHA cluster, which its path does not
    # name: on a server not owned it runs only with --object vcha-cluster=NAME.
    implicit_objects={"vcha_cluster_passive_redeploy_task": "vcha-cluster"},
    # Page 003, vc_spec.active_location: "Connection information for the management vCenter
    # Server of the Active Node", with the user name and password to log in there; the read
    # (vcha_cluster_get) takes the same vc_spec (protocols.md).
    forwarded_credentials=(
        ForwardedCredentials(
            ("vcha_cluster_get",),
            "/vc_spec/active_location",
            users=("username",),
            passwords=("password",),
            hosts=("hostname",),
        ),
        ForwardedCredentials(
            ("vcha_cluster_passive_redeploy_task",),
            "/spec/vc_spec/active_location",
            users=("username",),
            passwords=("password",),
            hosts=("hostname",),
        ),
    ),
    # Whether the redeploy task succeeds depends on where it deploys: the example's datastore
    # is one of the server's datastores, pinned to each of them in turn (a full one makes the
    # task fail).
    body_pins=(
        BodyPin(
            ("vcha_cluster_passive_redeploy_task",),
            "/spec/placement/storage/datastore",
            kind="datastore",
        ),
    ),
    operation_config=(
        {"include-operation-id": "vcha_cluster_passive_redeploy_task", "checks": _REDEPLOY_CHECKS},
        {"include-operation-id": "vcha_cluster_get", "checks": _CLUSTER_GET_CHECKS},
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
    login_operation="login",
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
            frozenset({"ERROR", "CANCELLED"}),
            # Page 004: the reconnect answers with a Task whose "error" says why it failed.
            "page 004: Task.error",
        )
    },
    unauthenticated=Refusal(401),
    forbidden=Refusal(403),
    # Page 004 names no privilege but documents 403 "Forbidden - not sufficient access rights to
    # fulfill the request" for the reconnect; the simulator requires VRMRemote.Manage
    # (docs/design.md: "403 no permission (VRMRemote.Manage)").
    extra_privileges={"reconnect_pairing": "VRMRemote.Manage"},
    pins=(ObjectPin("pairing_id", ("get_pairing", "reconnect_pairing"), kind="pairing"),),
    # The reconnect logs into the remote site's PSC with pair_psc_info's credentials (page 004,
    # PscInfo): a generated user name, and the example's "example-password", never log in, so
    # the reconnect could only fail. The pair is pinned, part of the time, to the suite's user.
    body_pins=(
        BodyPin(
            ("reconnect_pairing",),
            "/pair_psc_info/username",
            credentials="/pair_psc_info/password",
            owned_only=True,
        ),
    ),
    # Page 004, PscInfo: the reconnect logs into the remote site's PSC at pair_psc_info.url.
    forwarded_credentials=(
        ForwardedCredentials(
            ("reconnect_pairing",),
            "/pair_psc_info",
            users=("username",),
            passwords=("password",),
            urls=("url",),
        ),
    ),
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
        # An object id names an object of one surface only: the two are pinned together
        # (``surface/object_id`` from the listing), else most pairs would name nothing.
        ObjectPin("surface/object_id", ("getObject", "patchObject"), kind="sim-object"),
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
            "include-operation-id": "deleteFaultRule",
            # ensure_resource_availability fails a 404 for a rule that a POST /faults earlier
            # in the scenario created, but a reset in between removes every rule: POST /reset
            # "removes every fault rule", POST /scenario "resets to it" and DELETE /faults
            # removes them all (specs/control.yaml) -- a 404 the document promises.
            "checks": {"ensure_resource_availability": {"enabled": False}},
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
