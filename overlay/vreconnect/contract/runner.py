"""Run the suite: schemathesis' engine, configured per surface, against one target.

:func:`run_suite` is what both the property tests (``tests/property``) and ``vreconnect
contract`` call. For each surface it:

1. checks that the surface answers, and logs in (a real login, as the configured user);
2. loads the surface's OpenAPI document with a schemathesis configuration built from the
   surface's facts (:mod:`vreconnect.contract.surfaces`) and the run's options (seed, examples,
   stateful steps, which state-changing operations are allowed, object ids to pin);
3. runs every phase of schemathesis' engine (examples, coverage, fuzzing, stateful) with every
   built-in check plus the suite's own (:mod:`vreconnect.contract.checks`);
4. folds the engine's events into a :class:`~vreconnect.contract.results.SurfaceResult`: per
   operation and check how often it passed, failed or had nothing to look at, each distinct
   failure with a redacted curl command to reproduce it, which of the document's links the
   stateful runs followed, how the tasks ended and what became of the sessions;
5. logs out every session still open (its own; those test cases' logins opened are logged out
   as soon as their case or stateful scenario is over).

Everything is sequential (one schemathesis worker; every task a call -- or a check's probe --
starts is read to its end before anything else is sent), so no two changes ever run against
the same object at once. A run depends on the seed, the documents and the server's answers
alone: two runs with one seed against the same server send the same requests. A server
refusing the user's password stops the whole run
(:class:`~vreconnect.contract.sessions.CredentialsRejected`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import requests
import yaml

from .applicability import check_applied, inapplicable_checks
from .checks import READ_PRIVILEGES, STARTED_TASK, RunContext, follow_sent, json_pointer
from .results import FailureRecord, Redactor, SuiteResult, SurfaceResult
from .sessions import (
    Credentials,
    CredentialsRejected,
    LoginFailed,
    SessionBroker,
    basic_auth_header,
    make_auth_provider,
    operation_security,
)
from .surfaces import SURFACES, Surface
from .target import Target, discover_objects

__all__ = [
    "DEFAULT_RELEASE",
    "PHASES",
    "SuiteOptions",
    "declared_links",
    "document_operations",
    "load_document",
    "object_parameters",
    "privileged_operations",
    "required_objects",
    "run_suite",
    "run_surface",
    "surface_answers",
]

log = logging.getLogger("vreconnect.contract")

DEFAULT_RELEASE = "8.0.3.0"
"""The VI/JSON release the suite speaks (the servers' default in specs/vim25.yaml and sms.yaml)."""

PHASES = ("examples", "coverage", "fuzzing", "stateful")
"""schemathesis' test phases, all on by default."""

PIN_PROBABILITY = 0.8
"""How often a pinned parameter (or the Login body) takes a pinned value; the rest are generated."""

MAX_EXCERPT = 600
"""Bytes of a failing response's body kept in the report."""

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class SuiteOptions:
    """How to run the suite (the same options for the property tests and the CLI).

    ``allow``: state-changing operations to run (operationIds); None runs every operation.
    Logins, reads and task reads always run. ``objects``: ids to pin path parameters to, by
    kind (``host``, ``vasa-provider``, ``pairing``), in addition to any the server lists; on a
    server the suite does not own (not the embedded simulator) they are also the only objects
    a state-changing operation may change, and one whose kind has none does not run.
    """

    admin: Credentials
    readonly: Credentials | None = None
    allow: frozenset[str] | None = frozenset()
    max_examples: int = 25
    max_steps: int = 12
    """Stateful steps per scenario (``phases.stateful.max-steps``)."""
    max_scenarios: int = 80
    """Stateful scenarios (the stateful phase's ``max-examples``)."""
    seed: int = 0
    release: str = DEFAULT_RELEASE
    phases: tuple[str, ...] = PHASES
    objects: Mapping[str, Sequence[str]] = field(default_factory=dict)
    task_timeout: float = 900.0
    task_poll_interval: float = 2.0
    request_timeout: float = 60.0
    discover: bool = True
    """Ask the server for object ids (a simulator's ``/_sim/objects``, the VR pairings)."""
    require_links: bool = False
    """A declared link no stateful scenario followed fails the surface (``--require-links``)."""


def _now() -> str:
    """The current time, ISO 8601 in UTC (a surface's ``started_at``)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_document(surface: Surface) -> tuple[Path, dict[str, Any]]:
    """The path and the parsed content of a surface's OpenAPI document."""
    from vreconnect_sim.validation import document_path

    path = document_path(surface.document.removesuffix(".yaml"))
    if path is None:
        raise FileNotFoundError(f"specs/{surface.document} not found")
    with path.open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    return path, loaded


def document_operations(spec: Mapping[str, Any]) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    """(operationId, METHOD, path, operation) in document order."""
    found = []
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                found.append((str(op["operationId"]), method.upper(), path, op))
    return found


def declared_links(spec: Mapping[str, Any], selected: Iterable[str] | None = None) -> list[str]:
    """Every link of the document as ``source -> [status] name -> target`` (operationIds).

    With ``selected``, only links whose source and target are both in it.
    """
    chosen = set(selected) if selected is not None else None
    links = []
    for op_id, _, _, op in document_operations(spec):
        for status, response in (op.get("responses") or {}).items():
            for name, link in ((response or {}).get("links") or {}).items():
                target = str(link.get("operationId"))
                if chosen is None or (op_id in chosen and target in chosen):
                    links.append(f"{op_id} -> [{status}] {name} -> {target}")
    return links


def privileged_operations(surface: Surface, spec: Mapping[str, Any]) -> dict[str, str]:
    """operationId -> privilege it requires beyond reading (x-vim-privilege, x-required-privilege)."""
    found: dict[str, str] = {}
    for op_id, _, _, op in document_operations(spec):
        privilege = op.get("x-vim-privilege") or op.get("x-required-privilege")
        if isinstance(privilege, str) and privilege not in READ_PRIVILEGES:
            found[op_id] = privilege
    found.update(surface.extra_privileges)
    return found


def _example_accounts(spec: Mapping[str, Any]) -> list[Credentials]:
    """User names in the document's Login examples (real on most vCenters), with no password.

    ``administrator@vsphere.local`` is every vCenter's built-in administrator: a login as it
    with the example's password must not be sent to a real server (see guard_accounts).
    """
    found = []
    for op_id, _, _, op in document_operations(spec):
        example = _request_example(op) if op_id == "Login" else None
        if isinstance(example, Mapping) and isinstance(example.get("userName"), str):
            found.append(Credentials(str(example["userName"]), "\0never"))
    return found


def _request_example(op: Mapping[str, Any]) -> Any:
    """The documented request body example of an operation (None if it has none).

    ``example``, else the first of ``examples`` (the documents list the correct, complete
    request first, as ``realistic``).
    """
    content = ((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
    if "example" in content:
        return content["example"]
    for example in (content.get("examples") or {}).values():
        if isinstance(example, Mapping) and "value" in example:
            return example["value"]
    return None


# -- does the surface answer? -----------------------------------------------------------------


def surface_answers(surface: Surface, target: Target, release: str) -> str | None:
    """None if ``surface`` answers at ``target``, else why not.

    Each probe is a call every server of that kind answers without credentials (a VI/JSON
    ServiceContent read, a REST login without credentials that must be refused).

    Raises:
        requests.ConnectionError: the server cannot be reached at all.
    """
    vim = f"/sdk/vim25/{release}"
    probes: dict[str, tuple[str, str]] = {
        "vim25": ("GET", f"{vim}/ServiceInstance/ServiceInstance/content"),
        "sms": ("POST", f"{vim}/sms/VasaProvider/vreconnect-probe/QueryProviderInfo"),
        "vcenter": ("POST", "/rest/com/vmware/cis/session"),
        "vr": ("POST", "/api/rest/vr/v2/session"),
        "control": ("GET", "/_sim/health"),
    }
    method, path = probes[surface.name]
    r = target.request(method, path, timeout=30)
    try:
        body = r.json()
    except ValueError:
        body = None
    if surface.name == "vim25":
        ok = (
            r.status_code == 200
            and isinstance(body, dict)
            and body.get("_typeName") == "ServiceContent"
        )
    elif surface.name == "sms":
        # No session: a VI/JSON fault (500, NotAuthenticated) is the answer of a live SMS.
        ok = r.status_code == 500 and isinstance(body, dict) and "_typeName" in body
    elif surface.name == "vcenter":
        ok = r.status_code == 401 and isinstance(body, dict) and "type" in body
    elif surface.name == "vr":
        ok = r.status_code == 401
    else:
        ok = r.status_code == 200
    if ok:
        return None
    return f"{method} {path} answered HTTP {r.status_code}, not like {surface.name}"


# -- schemathesis configuration ---------------------------------------------------------------


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def build_config(surface: Surface, target: Target, options: SuiteOptions) -> dict[str, Any]:
    """The schemathesis configuration (``schemathesis.toml`` keys) of one surface run."""
    # One [[operations]] entry per operation: schemathesis merges matching entries field by
    # field, so two entries both setting the same section would keep only one of them.
    per_operation: dict[str, dict[str, Any]] = {}
    for entry in surface.operation_config:
        op_id = str(entry["include-operation-id"])
        per_operation[op_id] = _deep_merge(per_operation.get(op_id, {}), entry)
    operations = list(per_operation.values())

    phases: dict[str, Any] = {name: {"enabled": name in options.phases} for name in PHASES}
    phases["stateful"]["max-steps"] = options.max_steps
    phases["stateful"]["generation"] = {"max-examples": options.max_scenarios}
    if target.on_reset is None:
        # A server the suite does not own gets only safe methods (RFC 9110: GET, OPTIONS, TRACE)
        # where the document declares none: by default schemathesis also tries DELETE, PUT,
        # POST and PATCH on every path, and a real VR appliance, say, deletes a pairing on
        # DELETE /pairings/{id}, which its document here does not declare.
        phases["coverage"]["unexpected-methods"] = ["GET", "OPTIONS", "TRACE"]
    config: dict[str, Any] = {
        "seed": options.seed,
        "base-url": target.url(surface.base_path.format(release=options.release)),
        "tls-verify": target.schemathesis_tls_verify(),
        "request-timeout": options.request_timeout,
        # One worker: requests run one at a time, so no two ever touch an object at once.
        "workers": 1,
        "generation": {
            "deterministic": True,
            "max-examples": options.max_examples,
            # No example database: a run depends on the seed alone (and writes no files).
            "database": "none",
        },
        "phases": phases,
        "operations": operations,
    }
    return _deep_merge(config, surface.config)


# -- the schema subclass the run lives on ------------------------------------------------------


def _suite_schema_class(base: type, run: RunContext, target: Target) -> type:
    """A subclass of schemathesis' schema class carrying this run.

    The run context is what the suite's checks look up; the transport override gives remote
    targets the CLI's TLS and reads every task a request started to its end; the state
    machine override resets an owned simulator before every stateful scenario, so every flow
    (log in, start a task, read it, log out) starts from the scenario and a replayed scenario
    sees the same server, and logs out what the scenario's flows left open when it ends.
    """
    # Every request schemathesis sends for this run -- probes included, and cases too on a
    # remote target -- goes through it: a task one starts is read to its end at once.
    suite_transport = target.transport(after_send=follow_sent)
    reset = target.on_reset

    class SuiteSchema(base):  # type: ignore[misc]
        vreconnect_run: ClassVar[RunContext] = run

        @property
        def transport(self) -> Any:
            return suite_transport

        def build_state_machine(self, *args: Any, **kwargs: Any) -> type:
            # Stateful steps take their values from links, never from schemathesis' pool of
            # values seen in earlier responses: with the pool, hypothesis stops the stateful
            # phase early ("FlakyStrategyDefinition: Inconsistent data generation", which the
            # engine reports as a pass) -- seen here with 100 examples per operation.
            feedback = kwargs.get("feedback")
            if feedback is not None:
                kwargs["feedback"] = dataclasses.replace(feedback, extra_data_source=None)
            machine: type = super().build_state_machine(*args, **kwargs)

            class SuiteMachine(machine):  # type: ignore[misc]
                def __init__(self) -> None:
                    if reset is not None:
                        run.reset_server()
                    super().__init__()

                def teardown(self) -> None:
                    # The scenario is over: no link carries its sessions any further.
                    try:
                        run.broker.end_flows()
                    finally:
                        super().teardown()

            return SuiteMachine

    SuiteSchema.__name__ = SuiteSchema.__qualname__ = f"SuiteSchema_{run.surface.name}"
    return SuiteSchema


def pinned_parameters(
    surface: Surface, pins: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, list[str]]]:
    """operationId -> path parameter -> the object ids to pin it to."""
    found: dict[str, dict[str, list[str]]] = {}
    for pin in surface.pins:
        values = list(dict.fromkeys(pin.constant or pins.get(pin.kind or "", ())))
        if values:
            for op_id in pin.operations:
                found.setdefault(op_id, {})[pin.parameter] = values
    return found


def _set_pointer(document: Any, pointer: str, value: Any) -> bool:
    """Set the field at JSON ``pointer`` in ``document`` if its parent exists; True if set."""
    parent_at, _, last = pointer.rpartition("/")
    parent = json_pointer(document, parent_at)
    if not isinstance(parent, dict):
        return False
    parent[last] = value
    return True


@dataclass(frozen=True)
class _Steering:
    """What the case hook steers, per operationId (see :func:`_add_case_hooks`)."""

    pinned: Mapping[str, Mapping[str, Sequence[str]]]
    always_pinned: frozenset[str]
    """Operations whose positive path parameters always take a pinned value (a server the
    suite does not own: a state-changing call only ever aims at objects the user named)."""
    body_values: Mapping[str, Sequence[tuple[str, Sequence[str]]]]
    """operationId -> (pointer, values) of body fields naming objects."""
    body_credentials: Mapping[str, Sequence[tuple[str, str]]]
    """operationId -> (user name pointer, password pointer) to pin to the suite's user."""
    account: Credentials | None
    """The suite's user (for ``body_credentials``)."""
    login: Credentials | None
    """The suite's user, for the ``Login`` body (``surface.login_body_pins``)."""
    examples: Mapping[str, Any]
    answered: Callable[[str, str], Sequence[str]] | None = None
    """(operationId, path parameter) -> the pinned values it succeeded with so far."""


def _steering(
    surface: Surface,
    spec: Mapping[str, Any],
    pins: Mapping[str, Sequence[str]],
    login: Credentials | None,
    *,
    owned: bool,
    named: Mapping[str, Sequence[str]],
    state_changing: frozenset[str],
) -> _Steering:
    """Everything :func:`_add_case_hooks` steers, from the surface's facts and the run's ids.

    On a server the suite does not own, a state-changing operation's path parameters are
    pinned to the ids the user named (``named``), never to ones the server lists.
    """
    pinned = pinned_parameters(surface, pins)
    if not owned:
        only_named = pinned_parameters(surface, named)
        for op_id in state_changing & set(pinned):
            pinned[op_id] = {
                name: values
                for name, values in only_named.get(op_id, {}).items()
                if name in pinned[op_id]
            }
    body_values: dict[str, list[tuple[str, Sequence[str]]]] = {}
    body_credentials: dict[str, list[tuple[str, str]]] = {}
    for pin in surface.body_pins:
        if pin.owned_only and not owned:
            continue
        for op_id in pin.operations:
            if pin.credentials is not None:
                if login is not None:
                    body_credentials.setdefault(op_id, []).append((pin.pointer, pin.credentials))
            elif pins.get(pin.kind or ""):
                values = list(dict.fromkeys(pins[pin.kind or ""]))
                body_values.setdefault(op_id, []).append((pin.pointer, values))
    examples = {
        op_id: _request_example(op)
        for op_id, _, _, op in document_operations(spec)
        if op_id in surface.stateful_examples and _request_example(op) is not None
    }
    return _Steering(
        pinned=pinned,
        always_pinned=state_changing if not owned else frozenset(),
        body_values=body_values,
        body_credentials=body_credentials,
        account=login,
        login=login if surface.login_body_pins else None,
        examples=examples,
    )


def _add_case_hooks(schema: Any, surface: Surface, steering: _Steering) -> None:
    """Steer generated cases towards objects that exist (a ``before_generate_case`` hook).

    Every choice comes from a random drawn through hypothesis (seeded), uniformly:
    schemathesis' own dictionaries draw entries with ``sampled_from``, which settles on the
    first entry for most cases, and the first host is rarely the one an operation can work on.

    * Pins: a positive path parameter takes one of its pinned values with probability
      :data:`PIN_PROBABILITY` (always, for ``steering.always_pinned``); the rest stay generated,
      so unknown ids are still tested. In stateful steps the pinned values are, where there are
      any, those the operation succeeded with in the phases before (most objects of a kind
      refuse most operations -- of 16 hosts, four can be reconfigured for HA -- and a chain
      stops at the first refusal). They are taken once, when the stateful phase starts, so
      every scenario sees the same choice.
    * Login: with ``surface.login_body_pins``, a positive ``Login`` body takes the suite's user
      name *and* password, together, with the same probability (never the user name alone: a
      wrong password for a real account counts towards its lockout).
    * Stateful examples: in stateful steps of ``surface.stateful_examples``, half of the positive
      cases send the documented request example instead of a generated body. A generated body
      rarely names objects that exist, so without it a task-starting operation would seldom
      start a task in a stateful run and its links would not be followed.
    * Body pins (``surface.body_pins``): in a positive body that has the field, an object id
      takes each of the server's objects of its kind, and a credentials pair the suite's user,
      with probability :data:`PIN_PROBABILITY`.

    Negative parts of a case are never touched (the case must stay as invalid as it claims).

    Why ``before_generate_case`` and ``.map``, not ``flatmap_case``: schemathesis applies a
    ``flatmap_case`` hook as ``flatmap(functools.partial(...))``, and hypothesis labels such a
    strategy by the partial object's ``id()``. Labels steer hypothesis' mutations, so with a
    memory address in them two runs with one seed generated different requests.
    """
    from hypothesis import strategies as st
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import TestPhase

    def negative_at(case: Any, location: ParameterLocation) -> bool:
        return case.meta is not None and bool(case.meta.is_negative_at(location))

    stateful_pins: dict[tuple[str, str], list[str]] = {}

    def pins_for(op_id: str, name: str, values: Sequence[str], stateful: bool) -> list[str]:
        if not stateful or steering.answered is None:
            return list(values)
        key = (op_id, name)
        if key not in stateful_pins:
            succeeded = [v for v in steering.answered(op_id, name) if v in values]
            # Half of the choices among the objects that succeeded, half among all of them:
            # an object that refused in the phases before may accept now (and fewer phases
            # saw it than there are objects). Four of sixteen hosts accept an HA
            # reconfiguration: with each listed once, a stateful step picked one of them too
            # rarely to start a chain (its links went unfollowed at the CLI's default budget).
            repeat = -(-len(values) // len(succeeded)) if succeeded else 0
            stateful_pins[key] = succeeded * repeat + list(values)
        return stateful_pins[key]

    def steer(op_id: str, case: Any, rnd: Any) -> Any:
        meta = case.meta
        if (
            op_id in steering.examples
            and meta is not None
            and meta.phase.name == TestPhase.STATEFUL
            and meta.generation.mode.is_positive
            and rnd.random() < 0.5
        ):
            case.body = json.loads(json.dumps(steering.examples[op_id]))
        params = steering.pinned.get(op_id, {})
        if params and not negative_at(case, ParameterLocation.PATH):
            chosen = dict(case.path_parameters or {})
            always = op_id in steering.always_pinned
            stateful = meta is not None and meta.phase.name == TestPhase.STATEFUL
            for name, values in params.items():
                if always or rnd.random() < PIN_PROBABILITY:
                    value = rnd.choice(pins_for(op_id, name, values, stateful))
                    # "a/b" pins two parameters together (ObjectPin.parameter).
                    names = name.split("/")
                    parts = value.split("/", len(names) - 1)
                    if len(parts) == len(names):
                        chosen.update(zip(names, parts, strict=True))
            case.path_parameters = chosen
        if isinstance(case.body, dict) and not negative_at(case, ParameterLocation.BODY):
            login = steering.login
            if login is not None and op_id == "Login" and rnd.random() < PIN_PROBABILITY:
                case.body = {**case.body, "userName": login.user, "password": login.password}
            for pointer, values in steering.body_values.get(op_id, ()):
                if json_pointer(case.body, pointer) is not None and rnd.random() < PIN_PROBABILITY:
                    _set_pointer(case.body, pointer, rnd.choice(list(values)))
            account = steering.account
            for user_at, password_at in steering.body_credentials.get(op_id, ()):
                if (
                    account is not None
                    and rnd.random() < PIN_PROBABILITY
                    and _set_pointer(case.body, user_at, account.user)
                ):
                    _set_pointer(case.body, password_at, account.password)
        return case

    steered = (
        set(steering.pinned)
        | set(steering.examples)
        | set(steering.body_values)
        | set(steering.body_credentials)
        | ({"Login"} if steering.login is not None else set())
    )

    def before_generate_case(context: Any, strategy: Any) -> Any:
        op_id = str(context.operation.definition.raw.get("operationId"))
        if op_id not in steered:
            return strategy

        def steer_drawn(drawn: tuple[Any, Any]) -> Any:
            return steer(op_id, *drawn)

        # Each choice is a draw of hypothesis' own (not a seeded random.Random): a seed drawn
        # by hypothesis is often its simplest value, and the same seed makes the same choice.
        return st.tuples(strategy, st.randoms(use_true_random=False)).map(steer_drawn)

    schema.hooks.register_hook_with_name(before_generate_case, "before_generate_case")


@contextmanager
def _generation_from_seed_alone() -> Iterator[None]:
    """Keep hypothesis from drawing constants out of this process's own source code.

    hypothesis (6.1xx) mixes into generated values the literals of every "local" module
    loaded -- here the suite's, the simulator's and the CLI's own source -- and rescans
    whenever ``sys.modules`` grows. Modules imported lazily while a run goes on (on a thread
    of its own for the stateful phase) changed the pool mid-run, so two runs with one seed
    sent different requests; the pool would also change with every edit of the project's
    source. With it empty, generation depends on the seed, the documents and the answers.
    This swaps a private function of hypothesis for the run: if hypothesis moves it, nothing
    is swapped, and the suite's same-seed test says so.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a hypothesis without the constants pool
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    constants_type = getattr(providers, "Constants", None)
    if original is None or constants_type is None:
        yield
        return
    empty = constants_type()

    def no_local_constants() -> Any:
        return empty

    if isinstance(cache, dict):
        cache.clear()  # values computed with the local constants in them
    providers._get_local_constants = no_local_constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        if isinstance(cache, dict):
            cache.clear()


# -- running one surface -------------------------------------------------------------------------


def object_parameters(
    surface: Surface, spec: Mapping[str, Any]
) -> dict[str, dict[str, str | None]]:
    """State-changing operationId -> path parameter -> the kind of object it names.

    The kind is that of the surface's :class:`~vreconnect.contract.surfaces.ObjectPin` for the
    parameter (``host``, ``pairing``, ...); :data:`~vreconnect.contract.checks.STARTED_TASK`
    (None) for a parameter no pin names, which is a task (``CancelTask``'s ``moId``).
    """
    if surface.auth == "none":
        return {}
    kinds = {(op, pin.parameter): pin.kind for pin in surface.pins for op in pin.operations}
    found: dict[str, dict[str, str | None]] = {}
    for op_id, _, path, _ in document_operations(spec):
        if op_id in surface.safe_operations:
            continue
        found[op_id] = {
            name: kinds.get((op_id, name), STARTED_TASK) for name in re.findall(r"{([^}]+)}", path)
        }
    return found


def required_objects(surface: Surface, spec: Mapping[str, Any]) -> dict[str, set[str]]:
    """State-changing operationId -> the kinds of object that must be named for it to run on a
    server the suite does not own: those its path names (tasks aside: a task this run started
    counts as named) and the one it changes without naming it (``Surface.implicit_objects``)."""
    found: dict[str, set[str]] = {}
    for op_id, params in object_parameters(surface, spec).items():
        kinds = {kind for kind in params.values() if kind is not STARTED_TASK}
        implicit = surface.implicit_objects.get(op_id)
        if implicit is not None:
            kinds.add(implicit)
        found[op_id] = kinds
    return found


def run_surface(
    surface: Surface,
    target: Target,
    options: SuiteOptions,
    *,
    redact: Redactor | None = None,
    progress: ProgressCallback | None = None,
    discovered: Mapping[str, Sequence[str]] | None = None,
) -> SurfaceResult:
    """Run every phase and check against one surface and fold the outcome into a result.

    Raises:
        CredentialsRejected: the server refused the user name or password of the suite's user
            (or of the read-only user); nothing but that login was sent.
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    started = time.monotonic()
    redact = redact or Redactor()
    for creds in (options.admin, options.readonly):
        if creds is not None:
            header = basic_auth_header(creds)
            # Never in a report: the password, and its Basic form (also base64 only).
            redact.add(creds.password, json.dumps(creds.password)[1:-1], header, header[6:])
    spec_path, spec = load_document(surface)
    base_url = target.url(surface.base_path.format(release=options.release))
    result = SurfaceResult(
        surface=surface.name,
        base_url=base_url,
        started_at=_now(),
    )
    # The embedded simulator is the suite's own; any other server is somebody's real one.
    owned = target.on_reset is not None
    named = {kind: list(dict.fromkeys(ids)) for kind, ids in options.objects.items() if ids}

    all_ops = document_operations(spec)
    objects_of = object_parameters(surface, spec)
    kinds_of = required_objects(surface, spec)
    allowed: list[str] = []
    for op_id, _, _, _ in all_ops:
        if surface.auth == "none" or op_id in surface.safe_operations:
            allowed.append(op_id)
            continue
        if options.allow is not None and op_id not in options.allow:
            result.skipped_operations[op_id] = f"changes state (run it with --allow {op_id})"
            continue
        missing = sorted(kind for kind in kinds_of.get(op_id, ()) if not named.get(kind))
        if not owned and missing:
            result.skipped_operations[op_id] = (
                "changes state: on a server the suite does not own it runs only on objects "
                f"named with --object {missing[0]}=ID"
            )
            continue
        allowed.append(op_id)
    result.operations = allowed
    result.links_declared = declared_links(spec, allowed)
    if declared_links(spec) and not result.links_declared and "stateful" in options.phases:
        # Every link starts or ends at an operation left out (safe mode): nothing to chain.
        options = dataclasses.replace(
            options, phases=tuple(p for p in options.phases if p != "stateful")
        )
        result.note = "no stateful phase: every link involves an operation that was not run"

    broker = SessionBroker(surface, target, options.release)
    broker.on_token = redact.add
    security = operation_security(spec)
    if discovered is None:
        discovered = discover_objects(target) if options.discover else {}
    pins: dict[str, list[str]] = {k: list(v) for k, v in discovered.items()}
    for kind, values in options.objects.items():
        # After the ones the server listed: naming an object it lists changes no choice, so
        # a run against a served simulator draws as the embedded run does.
        pins[kind] = list(dict.fromkeys([*pins.get(kind, []), *values]))
    state_changing = frozenset(op for op in allowed if op in objects_of)

    run = RunContext(
        surface=surface,
        broker=broker,
        security=security,
        privileges={k: v for k, v in privileged_operations(surface, spec).items() if k in allowed},
        admin=options.admin if surface.auth != "none" else None,
        readonly=options.readonly if surface.auth != "none" else None,
        task_timeout=options.task_timeout,
        # In process a read costs next to nothing: tasks of the simulator's default scenario
        # end at once, and one that takes a while is read often enough to end on time.
        task_poll_interval=(
            min(options.task_poll_interval, 0.05)
            if target.is_in_process
            else options.task_poll_interval
        ),
        error_log=target.error_log,
        # The embedded simulator has no lockout; a real server's accounts need protecting.
        protected=(
            {}
            if owned
            else {
                c.user: c.password
                # The suite's own accounts last: their real password wins over the examples'.
                for c in (*_example_accounts(spec), options.readonly, options.admin)
                if c is not None
            }
        ),
        reset=target.on_reset,
        forwarded=(
            {}
            if owned
            else {
                op_id: [f for f in surface.forwarded_credentials if op_id in f.operations]
                for op_id in allowed
                if any(op_id in f.operations for f in surface.forwarded_credentials)
            }
        ),
        object_guard=(
            None
            if owned
            else {
                op_id: {
                    name: STARTED_TASK if kind is STARTED_TASK else frozenset(named.get(kind, ()))
                    for name, kind in objects_of[op_id].items()
                }
                for op_id in state_changing
            }
        ),
    )
    if target.error_log is not None:
        run.errors_seen = len(target.error_log())
    if surface.auth != "none" and privileged_operations(surface, spec) and not run.privileges:
        # Every operation that needs a privilege changes state, and none was allowed.
        result.skipped_checks["privilege_required"] = "no state-changing operation allowed"
    elif run.privileges and run.readonly is None:
        result.skipped_checks["privilege_required"] = "needs --readonly-user"

    # A login that fails here (wrong password, the surface is down) ends the surface: every
    # check would only report the same thing again. A refused password ends the whole run.
    # The read-only user logs in too whenever one is given (even with nothing to refuse it):
    # a wrong password for it is found now, not silently never.
    if surface.auth != "none":
        try:
            broker.token(options.admin)
            if run.readonly is not None:
                broker.token(run.readonly)
        except CredentialsRejected:
            broker.logout_all()
            raise
        except LoginFailed as exc:
            broker.logout_all()
            result.status = "error"
            result.errors.append(str(exc))
            result.seconds = time.monotonic() - started
            return result
        if surface.name == "vr" and not pins.get("pairing"):
            pins["pairing"] = _vr_pairings(broker, options.admin)
    if progress is not None:
        progress(f"{surface.name}: starting")

    raw_config = build_config(surface, target, options)
    config = SchemathesisConfig.from_dict(raw_config)
    result.inapplicable = inapplicable_checks(
        surface,
        spec,
        raw_config.get("checks") or {},
        operations=set(allowed),
        readonly=run.readonly is not None,
        privileged=bool(run.privileges),
        operation_checks={
            str(entry["include-operation-id"]): entry.get("checks") or {}
            for entry in raw_config.get("operations") or []
        },
    )
    schema: Any = schemathesis.openapi.from_path(spec_path, config=config)
    schema.__class__ = _suite_schema_class(type(schema), run, target)
    if target.app is not None:
        schema.app = target.app
    if surface.auth != "none":
        provider = make_auth_provider(broker, security, options.admin, allowed=frozenset(allowed))
        # refresh_interval=None: the broker caches sessions itself (and never reuses a logout's).
        schema.auth(refresh_interval=None)(provider)
    steering = _steering(
        surface,
        spec,
        pins,
        options.admin if surface.auth != "none" else None,
        owned=owned,
        named=named,
        state_changing=state_changing,
    )

    def answered(op_id: str, name: str) -> list[str]:
        with run.lock:
            return sorted(run.answered.get((op_id, name), ()))

    steering = dataclasses.replace(steering, answered=answered)
    _add_case_hooks(schema, surface, steering)
    if result.skipped_operations:
        # exclude(), not include(): schemathesis ORs include filters, and the configuration's
        # [[operations]] entries already add one that matches every operation.
        schema = schema.exclude(operation_id=list(result.skipped_operations))

    labels = {f"{method} {path}": op_id for op_id, method, path, _ in all_ops}
    label_of = {op_id: label for label, op_id in labels.items()}
    # schemathesis names a transition "<source label> -> [<status>] <link> -> <target label>".
    transitions = {}
    for link in declared_links(spec):
        source, rest = link.split(" -> ", 1)
        middle, target_op = rest.rsplit(" -> ", 1)
        key = f"{label_of[source]} -> {middle} -> {label_of.get(target_op, target_op)}"
        transitions[key] = link

    phase_started: dict[str, float] = {}
    try:
        with _generation_from_seed_alone():
            for event in from_schema(schema).execute():
                if isinstance(event, events.PhaseStarted):
                    # An owned simulator is reset for each phase on the engine's own thread
                    # (checks.reset_between_phases), not here: this event may arrive later.
                    name = str(event.phase.name.value)
                    phase_started[name] = time.monotonic()
                    if progress is not None and name in PHASES:
                        progress(f"{surface.name}: {name}")
                elif isinstance(event, events.PhaseFinished):
                    name = str(event.phase.name.value)
                    if name in phase_started:
                        result.phases[name] = time.monotonic() - phase_started[name]
                elif isinstance(event, events.ScenarioFinished):
                    _fold_scenario(result, event, labels, transitions, redact)
                    if event.phase.value == "stateful":
                        result.stateful_scenarios += 1
                elif isinstance(event, events.NonFatalError):
                    result.errors.append(redact(f"{event.label}: {event.info.title}: {event.info}"))
                elif isinstance(event, events.FatalError):
                    result.errors.append(redact(f"fatal: {event.exception}"))
                elif isinstance(event, events.EngineFinished):
                    for failure in event.failures:
                        result.add_failure(
                            FailureRecord(
                                "(run)", "after_run", failure.title, redact(failure.message), "run"
                            )
                        )
    finally:
        result.tasks = list(run.tasks)
        result.redirected = dict(run.redirected)
        result.credentials_replaced = dict(run.credentials_replaced)
        try:
            broker.logout_all()
        except Exception:  # never mask the run's own outcome
            log.debug("logout after the run failed", exc_info=True)
        result.sessions_opened = broker.flow_sessions_opened
        result.sessions_ended_by_flows = broker.flow_sessions_ended
        result.sessions_ended_early = broker.sessions_ended_early
        result.sessions_ended_after = broker.sessions_ended_after
        result.sessions_peak = broker.sessions_peak

    result.links_required = options.require_links
    if result.errors:
        result.status = "error"
    elif result.failures or (result.links_required and result.links_missed):
        result.status = "failed"
    result.seconds = time.monotonic() - started
    return result


def _vr_pairings(broker: SessionBroker, creds: Credentials) -> list[str]:
    """The VR appliance's pairing ids (GET /pairings), to pin ``pairing_id`` to."""
    assert broker.surface.session_header is not None
    try:
        r = broker.target.request(
            "GET",
            "/api/rest/vr/v2/pairings",
            headers={broker.surface.session_header: broker.token(creds)},
        )
        items = r.json().get("list", []) if r.status_code == 200 else []
    except (requests.RequestException, ValueError, AttributeError, LoginFailed):
        return []
    return [str(p["pairing_id"]) for p in items if isinstance(p, dict) and "pairing_id" in p]


def _fold_scenario(
    result: SurfaceResult,
    event: Any,
    labels: Mapping[str, str],
    transitions: Mapping[str, str],
    redact: Redactor,
) -> None:
    """Add one finished scenario's cases, check outcomes, failures and links to ``result``."""
    from schemathesis.engine import Status

    recorder = event.recorder
    phase = str(event.phase.value)

    def response_of(case_id: str) -> Any:
        interaction = recorder.interactions.get(case_id)
        return interaction.response if interaction is not None else None

    def status_of(case_id: str) -> int | None:
        response = response_of(case_id)
        return response.status_code if response is not None else None

    for case_id, node in recorder.cases.items():
        op_id = labels.get(node.value.operation.label, node.value.operation.label)
        if node.parent_id is None or node.transition is not None:
            result.cases[op_id] += 1
        transition = node.transition
        if transition is not None and node.is_transition_applied:
            link = transitions.get(transition.id)
            if link is not None:
                result.links_followed[link] += 1
        answer = response_of(case_id)
        chain: list[tuple[Any, int | None]] = []
        parent_id = node.parent_id
        while parent_id is not None and parent_id in recorder.cases and len(chain) < 100:
            chain.append((recorder.cases[parent_id].value, status_of(parent_id)))
            parent_id = recorder.cases[parent_id].parent_id
        for check in recorder.checks.get(case_id, []):
            tally = result.tally(op_id, check.name)
            if check.status == Status.SUCCESS and (
                answer is None
                or not check_applied(
                    check.name,
                    node.value,
                    answer.status_code,
                    str(answer.request.method or ""),
                    answer.headers,
                    chain,
                )
            ):
                tally.not_applicable += 1
            elif check.status == Status.SUCCESS:
                tally.passed += 1
            elif check.status == Status.FAILURE:
                tally.failed += 1
                info = check.failure_info
                if info is None:
                    continue
                failure = info.failure
                excerpt = None
                if answer is not None and answer.content:
                    excerpt = redact(answer.content[:MAX_EXCERPT].decode("utf-8", "replace"))
                result.add_failure(
                    FailureRecord(
                        operation=op_id,
                        check=check.name,
                        title=failure.title,
                        message=redact(failure.message),
                        phase=phase,
                        status=answer.status_code if answer is not None else None,
                        reproduce=redact(info.code_sample) if info.code_sample else None,
                        response=excerpt,
                    )
                )
            else:
                tally.errors += 1


# -- the whole suite --------------------------------------------------------------------------


def run_suite(
    target: Target,
    options: SuiteOptions,
    surfaces: Sequence[str] | None = None,
    *,
    require: bool = False,
    progress: ProgressCallback | None = None,
) -> SuiteResult:
    """Run the suite against ``target``.

    ``surfaces``: names (default: every CLI surface). Surfaces that do not answer are reported
    as ``not-answering``; with ``require`` (the user named them) that is an error, otherwise
    they are left out of the result.

    Raises:
        requests.ConnectionError: the server cannot be reached at all (nothing answered).
    """
    started = time.monotonic()
    names = list(surfaces) if surfaces else [n for n, s in SURFACES.items() if s.cli]
    suite = SuiteResult()
    redact = Redactor()
    discovered = discover_objects(target) if options.discover else {}
    reachable = False
    last_error: requests.ConnectionError | None = None
    for name in names:
        surface = SURFACES[name]
        try:
            why = surface_answers(surface, target, options.release)
            reachable = True
        except requests.ConnectionError as exc:
            last_error = exc
            why = f"cannot connect: {exc}"
        if why is not None:
            if require:
                suite.surfaces.append(
                    SurfaceResult(
                        surface=name,
                        base_url=target.url(surface.base_path.format(release=options.release)),
                        status="not-answering",
                        note=why,
                        started_at=_now(),
                    )
                )
            continue
        try:
            suite.surfaces.append(
                run_surface(
                    surface,
                    target,
                    options,
                    redact=redact,
                    progress=progress,
                    discovered=discovered,
                )
            )
        except CredentialsRejected as exc:
            # The other surfaces share the account store: do not send the password again.
            suite.credentials_rejected = redact(str(exc))
            suite.surfaces.append(
                SurfaceResult(
                    surface=name,
                    base_url=target.url(surface.base_path.format(release=options.release)),
                    status="error",
                    errors=[suite.credentials_rejected],
                    started_at=_now(),
                )
            )
            break
    if not reachable and last_error is not None:
        raise last_error
    suite.seconds = time.monotonic() - started
    return suite
