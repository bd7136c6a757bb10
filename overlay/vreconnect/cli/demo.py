"""``vreconnect recover-all``: the main job, run by ``./scripts/run``.

Without ``--url`` it starts the embedded simulator (TLS, pinned by its SHA-256 thumbprint)
with the ``recovery-demo.yaml`` scenario -- one of each failure -- makes tasks take about
1.5 s so the progress is visible, and recovers everything through the overlay, concurrently,
one progress bar per item:

* a disconnected host (ReconnectHost_Task);
* a host whose certificate changed: the SSLVerifyFault is shown decoded and its thumbprint
  accepted (the overlay's ``accept_thumbprint`` flow), then the reconnect succeeds;
* a host whose HA configuration failed: ReconfigureHostForDAS_Task ends in a DasConfigFault,
  shown decoded (reason, installer output, events); the operator then fixes the host's
  management network -- in the embedded simulator through its control API, the stand-in for
  the operator's hands -- and the reconfiguration is run again;
* a disconnected VASA provider (VasaProviderReconnect_Task, SMS);
* the degraded VCHA cluster (passive node redeploy with ``recovery-demo.vcha-redeploy.json``);
* the broken VR pairing (pairing reconnect).

It ends with a summary table (item, failure and operation, state before and after, outcome,
tasks, duration; narrower when the terminal is) and exits 0 only if every item is healthy.

With ``--url`` (given on the command line: ``VRECONNECT_URL`` is deliberately not read here)
it runs the same job against a real server: nothing is started, the items come from
``--plan FILE`` (see ``vreconnect_sim/scenarios/recovery-demo.plan.yaml``), and no control API
is touched (a failing HA reconfiguration is then a failure to fix by hand). An item already in
its healthy state is left alone and reported "already healthy", so the job can be re-run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .common import CliState, DebugOption, JsonOption, run
from .config import ConnectionSettings, secret_from_env
from .connect import HTTP_TIMEOUT, connection_warnings, tls_config
from .exitcodes import ExitCode, Interrupted, UsageProblem
from .output import (
    ErrorInfo,
    Output,
    ProgressBar,
    ProgressDisplay,
    add_context,
    describe_error,
    jsonable,
)
from .vcha import build_redeploy_spec, load_spec_file

if TYPE_CHECKING:
    import httpx

    from vreconnect import AsyncReplication, AsyncVCenter, AsyncVCenterRest
    from vreconnect.faults import SSLVerifyFault
    from vreconnect.tasks import AsyncTask
    from vreconnect.waiting import TaskStatus

__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_SCENARIO",
    "ItemResult",
    "Plan",
    "recover_all",
    "register",
]

DEFAULT_SCENARIO = "recovery-demo.yaml"
"""The embedded simulator's scenario (package data of ``vreconnect_sim``)."""

DEMO_DATA = Path(str(resources.files("vreconnect_sim").joinpath("scenarios")))
DEFAULT_PLAN = DEMO_DATA / "recovery-demo.plan.yaml"
"""The plan matching :data:`DEFAULT_SCENARIO`, shipped beside it as package data so the main
job runs from an installed wheel too; copy it as the starting point of a plan of your own."""

# The embedded scenario keeps the simulator's default administrator account.
SIM_USER = "administrator@vsphere.local"
SIM_PASSWORD = "VMware1!"  # the simulator's documented default, not a real secret

DEFAULT_TASK_SECONDS = 1.5
DEFAULT_JITTER = 0.4
DEFAULT_TIMEOUT = 300.0


# ---------------------------------------------------------------------------- the plan


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HostStep(_Strict):
    """A host to reconnect (ReconnectHost_Task); the optional fields are ``cnxSpec``'s."""

    id: str = Field(min_length=1, description="HostSystem moId.")
    host_name: str | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    user: str | None = None
    password_env: str | None = Field(default=None, description="Env variable: host password.")
    thumbprint: str | None = None
    accept_thumbprint: bool = Field(
        default=False, description="On SSLVerifyFault, accept the presented thumbprint."
    )
    force: bool = False
    sync_state: bool | None = None


class HaStep(_Strict):
    """A host to reconfigure for vSphere HA (ReconfigureHostForDAS_Task)."""

    id: str = Field(min_length=1)


class VasaStep(_Strict):
    """A VASA provider to reconnect (VasaProviderReconnect_Task)."""

    id: str = Field(min_length=1)


class VchaStep(_Strict):
    """The VCHA passive node to redeploy, from a spec file (relative to the plan file)."""

    spec: Path
    active_password_env: str | None = None


class VrStep(_Strict):
    """A VR pairing to reconnect; PSC credentials default to the login's."""

    id: str = Field(min_length=1)
    remote_vc_id: str | None = None
    psc_url: str | None = None
    psc_port: int | None = Field(default=None, ge=0, le=65535)
    psc_thumbprint: str | None = None
    psc_user: str | None = None
    psc_password_env: str | None = None


class Plan(_Strict):
    """What to recover. YAML; every key optional; see ``vreconnect_sim/scenarios/recovery-demo.plan.yaml``."""

    hosts: list[HostStep] = Field(default_factory=list)
    ha_hosts: list[HaStep] = Field(default_factory=list)
    vasa_providers: list[VasaStep] = Field(default_factory=list)
    vcha: VchaStep | None = None
    vr_pairings: list[VrStep] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read and validate a plan file; relative spec paths are taken from its folder.

        Raises:
            UsageProblem: unreadable, not YAML, or invalid (naming every bad key).
        """
        try:
            data = yaml.safe_load(path.read_text("utf-8")) or {}
        except OSError as exc:
            raise UsageProblem(f"--plan {path}: cannot read: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise UsageProblem(f"--plan {path}: not valid YAML: {exc}") from None
        try:
            plan = cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise UsageProblem(f"--plan {path}: {problems}") from None
        if plan.vcha is not None and not plan.vcha.spec.is_absolute():
            plan.vcha.spec = path.parent / plan.vcha.spec
        if plan.empty:
            raise UsageProblem(f"--plan {path}: nothing to recover")
        return plan

    @property
    def empty(self) -> bool:
        """True if the plan names nothing."""
        return not (
            self.hosts or self.ha_hosts or self.vasa_providers or self.vcha or self.vr_pairings
        )


# ---------------------------------------------------------------------------- results


@dataclass
class ItemResult:
    """How one item went: what was broken, what ran, and what it looks like now.

    An item whose state before is already the healthy one (a re-run after a successful run,
    or an object someone fixed meanwhile) is not touched: ``already_healthy``, a success.
    """

    item: str
    failure: str
    operation: str
    recovered: bool = False
    already_healthy: bool = False
    before: str | None = None
    after: str | None = None
    tasks: list[str] = field(default_factory=list)
    expected_faults: list[ErrorInfo] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    error: ErrorInfo | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True if the item is healthy now (recovered, or it already was)."""
        return self.recovered or self.already_healthy

    @property
    def outcome(self) -> str:
        """``recovered``, ``recovered after <Fault>``, ``already healthy`` or ``FAILED: <Type>``."""
        if self.already_healthy:
            return "already healthy"
        if not self.recovered:
            return f"FAILED: {self.error.type_name}" if self.error else "FAILED"
        if self.expected_faults:
            names = ", ".join(f.type_name for f in self.expected_faults)
            return f"recovered after {names}"
        return "recovered"

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "item": self.item,
            "failure": self.failure,
            "operation": self.operation,
            "ok": self.ok,
            "recovered": self.recovered,
            "already_healthy": self.already_healthy,
            "outcome": self.outcome,
            "before": self.before,
            "after": self.after,
            "tasks": self.tasks,
            "expected_faults": [f.as_dict() for f in self.expected_faults],
            "actions": self.actions,
            "error": self.error.as_dict() if self.error else None,
            "seconds": round(self.seconds, 3),
        }


# ---------------------------------------------------------------------------- the job


def _fields_line(info: ErrorInfo) -> str:
    parts = []
    for key, value in info.fields.items():
        text = "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key}={text}")
    return ", ".join(parts)


# The state each item is recovered to: an item already there is reported "already healthy"
# and left alone (recovering it again would fail: a connected host refuses ReconnectHost_Task,
# a healthy VCHA cluster refuses a redeploy).
HEALTHY_HOST = "connected"
HEALTHY_DAS = frozenset({"master", "connectedToMaster"})
HEALTHY_PROVIDER = "online"
HEALTHY_VCHA = "HEALTHY"
HEALTHY_PAIRING = "vc OK, vrms OK"

EMBEDDED_TIMEOUT_HINT = (
    "the embedded simulator stopped with the job, and its tasks with it: pass a larger "
    "--timeout (or a smaller --task-seconds)"
)


class Job:
    """Runs the plan's items concurrently on one event loop, one progress bar each.

    ``control`` is the embedded simulator's control API (None against a real server).
    ``vcha_spec`` is the plan's redeploy spec, built and checked before the job starts.
    """

    def __init__(
        self,
        display: ProgressDisplay,
        *,
        conn: ConnectionSettings,
        vc: AsyncVCenter | None,
        rest: AsyncVCenterRest | None,
        vr: AsyncReplication | None,
        control: httpx.AsyncClient | None,
        timeout: float | None,
        vcha_spec: dict[str, Any] | None = None,
    ) -> None:
        self.display = display
        self.conn = conn
        self.vc = vc
        self.rest = rest
        self.vr = vr
        self.control = control
        self.timeout = timeout
        self.vcha_spec = vcha_spec

    # -- plumbing ---------------------------------------------------------------------------

    def _print_fault(self, info: ErrorInfo, *, style: str) -> None:
        """The decoded fault's fields (reason, output, events, thumbprint ...), indented."""
        detail = _fields_line(info)
        if detail:
            self.display.print(Text(f"    {detail}", style=style))

    def _expected(self, result: ItemResult, fault: BaseException, action: str) -> None:
        """Show an expected fault decoded (type, message, fields), and what happens next."""
        info = describe_error(fault)
        result.expected_faults.append(info)
        result.actions.append(action)
        line = Text(f"{result.item}: ", style="bold")
        line.append("expected fault ", style="yellow")
        line.append(info.line(), style="bold yellow")
        self.display.print(line)
        self._print_fault(info, style="dim")
        self.display.print(Text(f"    -> {action}", style="cyan"))

    def _already_healthy(self, result: ItemResult, state: str) -> bool:
        """Mark ``result`` already healthy (nothing to do); always True, for ``return``."""
        result.already_healthy = True
        result.after = state
        line = Text(f"{result.item}: ", style="bold")
        line.append(f"already healthy ({state}): nothing to do", style="green")
        self.display.print(line)
        return True

    async def _wait(self, result: ItemResult, bar: ProgressBar, handle: AsyncTask) -> TaskStatus:
        result.tasks.append(handle.id)
        status = await handle.wait_status(self.timeout, on_progress=bar)
        if status.task_id != result.tasks[-1]:
            # A wait that continued on a replacement task (the thumbprint flow).
            result.tasks.append(status.task_id)
        return status

    @staticmethod
    async def _state(read: Callable[[], Awaitable[str | None]]) -> str | None:
        """An object's state for the summary; a failed read must not fail the item."""
        try:
            return await read()
        except Exception:
            return None

    async def run_item(
        self,
        result: ItemResult,
        label: str,
        body: Callable[[ItemResult, ProgressBar], Awaitable[None]],
    ) -> ItemResult:
        """Run one item: time it, settle its bar, turn any error into a FAILED result."""
        bar = self.display.track(label)
        start = time.monotonic()
        try:
            await body(result, bar)
        except Exception as exc:
            info = describe_error(exc)
            if self.control is not None and info.exit_code is ExitCode.TIMEOUT:
                info = dataclasses.replace(info, hint=EMBEDDED_TIMEOUT_HINT)
            result.error = info
            bar.finish(f"failed: {info.type_name}", completed=False)
            line = Text(f"{result.item}: ", style="bold")
            line.append("error ", style="red")
            line.append(info.line(), style="bold red")
            self.display.print(line)
            self._print_fault(info, style="red")
            if info.hint:
                self.display.print(Text(f"    hint: {info.hint}", style="yellow"))
        else:
            if result.already_healthy:
                bar.finish("already healthy", completed=True)
            else:
                result.recovered = True
                bar.finish("recovered", completed=True)
        finally:
            result.seconds = time.monotonic() - start
        return result

    # -- the items --------------------------------------------------------------------------

    async def host_state(self, host: str) -> str | None:
        """``connectionState`` of a host."""
        assert self.vc is not None
        return await self.vc.host_connection_state(host)

    async def das_state(self, host: str) -> str | None:
        """``runtime.dasHostState.state`` of a host (its vSphere HA agent's state)."""
        assert self.vc is not None
        runtime = await self.vc.host_runtime(host)
        das = getattr(runtime, "das_host_state", None)
        state = getattr(das, "state", None)
        return state if isinstance(state, str) else None

    async def reconnect_host(self, step: HostStep, result: ItemResult, bar: ProgressBar) -> None:
        """ReconnectHost_Task, accepting the presented thumbprint if the plan says so."""
        assert self.vc is not None
        result.before = await self._state(lambda: self.host_state(step.id))
        if result.before == HEALTHY_HOST and self._already_healthy(result, result.before):
            return

        def accept(fault: SSLVerifyFault) -> bool:
            self._expected(
                result,
                fault,
                f"accepting the presented certificate {fault.thumbprint} and reconnecting again",
            )
            # The failed task's last report is still to come: the new label is for the next.
            bar.describe_next_task(f"{bar.label} (new thumbprint)")
            return True

        password = (
            secret_from_env(step.password_env, f"plan host {step.id} password_env")
            if step.password_env
            else None
        )
        handle = await self.vc.reconnect_host(
            step.id,
            host_name=step.host_name,
            port=step.port,
            ssl_thumbprint=step.thumbprint,
            user_name=step.user,
            password=password,
            force=True if step.force else None,
            sync_state=step.sync_state,
            accept_thumbprint=accept if step.accept_thumbprint else None,
        )
        await self._wait(result, bar, handle)
        result.after = await self._state(lambda: self.host_state(step.id))

    async def reconfigure_ha(self, step: HaStep, result: ItemResult, bar: ProgressBar) -> None:
        """ReconfigureHostForDAS_Task; in the embedded simulator, fix the host and retry."""
        from vreconnect.faults import DasConfigFault

        assert self.vc is not None
        result.before = await self._state(lambda: self.das_state(step.id))
        if result.before in HEALTHY_DAS and self._already_healthy(result, result.before):
            return
        handle = await self.vc.reconfigure_host_for_das(step.id)
        try:
            await self._wait(result, bar, handle)
        except DasConfigFault as fault:
            if self.control is None:
                raise  # a real host: the operator has to fix it by hand first
            self._expected(
                result,
                fault,
                "the operator fixes the host's management network (simulator control API: "
                "PATCH /_sim/objects/vim25/" + step.id + ") and reconfigures HA again",
            )
            bar.describe(f"{bar.label} (retry)", state="fixing")
            await self._fix_host_network(step.id)
            handle = await self.vc.reconfigure_host_for_das(step.id)
            await self._wait(result, bar, handle)
        result.after = await self._state(lambda: self.das_state(step.id))

    async def _fix_host_network(self, host: str) -> None:
        """What the operator does on the host, done through the embedded simulator."""
        assert self.control is not None
        response = await self.control.patch(f"/objects/vim25/{host}", json={"das_misconfig": None})
        response.raise_for_status()

    async def reconnect_vasa(self, step: VasaStep, result: ItemResult, bar: ProgressBar) -> None:
        """VasaProviderReconnect_Task."""
        assert self.vc is not None
        vc = self.vc

        async def status() -> str | None:
            info = await vc.vasa_provider_info(step.id)
            value = jsonable(getattr(info, "status", None))
            return value if isinstance(value, str) else None

        result.before = await self._state(status)
        if result.before == HEALTHY_PROVIDER and self._already_healthy(result, result.before):
            return
        handle = await vc.reconnect_vasa_provider(step.id)
        await self._wait(result, bar, handle)
        result.after = await self._state(status)

    async def redeploy_vcha(self, result: ItemResult, bar: ProgressBar) -> None:
        """The VCHA passive node redeploy, with the plan's spec (checked before the job)."""
        assert self.rest is not None and self.vcha_spec is not None
        rest = self.rest

        async def health() -> str | None:
            info = await rest.vcha_cluster()
            value = jsonable(getattr(info, "health_state", None))
            return value if isinstance(value, str) else None

        result.before = await self._state(health)
        if result.before == HEALTHY_VCHA and self._already_healthy(result, result.before):
            return
        handle = await rest.redeploy_vcha_passive(self.vcha_spec)
        await self._wait(result, bar, handle)
        result.after = await self._state(health)

    async def reconnect_pairing(self, step: VrStep, result: ItemResult, bar: ProgressBar) -> None:
        """The VR pairing reconnect (remote vCenter id read from the pairing if not given)."""
        from vreconnect.faults import VrNotFound

        assert self.vr is not None
        vr = self.vr

        async def statuses() -> str | None:
            pairing = await vr.pairing(step.id)
            return (
                f"vc {jsonable(pairing.remote_vc_server.server_status)}, "
                f"vrms {jsonable(pairing.remote_vrms.server_status)}"
            )

        result.before = await self._state(statuses)
        if result.before == HEALTHY_PAIRING and self._already_healthy(result, result.before):
            return
        password = (
            secret_from_env(step.psc_password_env, f"plan pairing {step.id} psc_password_env")
            if step.psc_password_env
            else self.conn.with_password().password
        )
        try:
            vc_id = step.remote_vc_id or (await vr.pairing(step.id)).remote_vc_server.id
            handle = await vr.reconnect_pairing(
                step.id,
                pair_vc_id=vc_id,
                url=step.psc_url,
                port=step.psc_port,
                thumbprint=step.psc_thumbprint,
                username=step.psc_user or self.conn.require_user(),
                password=password,
            )
        except VrNotFound as exc:
            add_context(exc, f"pairing {step.id}")  # a bare 404 says only "Not Found"
            raise
        await self._wait(result, bar, handle)
        result.after = await self._state(statuses)

    def items(self, plan: Plan) -> list[Awaitable[ItemResult]]:
        """One coroutine per item of the plan, in the plan's order."""
        jobs: list[Awaitable[ItemResult]] = []
        names = [
            *(h.id for h in plan.hosts),
            *(ha.id for ha in plan.ha_hosts),
            *(p.id for p in plan.vasa_providers),
            *(["vcha"] if plan.vcha is not None else []),
            *(_pairing_item(p.id) for p in plan.vr_pairings),
        ]
        # Labels line up on the longest item name, and stay short for 80-column terminals.
        pad = max((len(n) for n in names), default=0)

        def add(
            item: str,
            failure: str,
            operation: str,
            action: str,
            body: Callable[[ItemResult, ProgressBar], Awaitable[None]],
        ) -> None:
            label = f"{item:<{pad}} {action}"
            jobs.append(self.run_item(ItemResult(item, failure, operation), label, body))

        for h in plan.hosts:
            changed_cert = h.accept_thumbprint or h.thumbprint is not None
            add(
                h.id,
                "host certificate changed" if changed_cert else "disconnected host",
                "ReconnectHost_Task",
                "reconnect",
                lambda r, b, h=h: self.reconnect_host(h, r, b),  # type: ignore[misc]
            )
        for ha in plan.ha_hosts:
            add(
                ha.id,
                "HA configuration failed",
                "ReconfigureHostForDAS_Task",
                "reconfigure HA",
                lambda r, b, ha=ha: self.reconfigure_ha(ha, r, b),  # type: ignore[misc]
            )
        for p in plan.vasa_providers:
            add(
                p.id,
                "disconnected VASA provider",
                "VasaProviderReconnect_Task",
                "reconnect provider",
                lambda r, b, p=p: self.reconnect_vasa(p, r, b),  # type: ignore[misc]
            )
        if plan.vcha is not None:
            add(
                "vcha",
                "degraded VCHA cluster",
                "vcha redeploy-task",
                "redeploy passive node",
                self.redeploy_vcha,
            )
        for pairing in plan.vr_pairings:
            add(
                _pairing_item(pairing.id),
                "broken VR pairing",
                "reconnect_pairing",
                "reconnect pairing",
                lambda r, b, pairing=pairing: self.reconnect_pairing(pairing, r, b),  # type: ignore[misc]
            )
        return jobs


def _pairing_item(pairing_id: str) -> str:
    # Pairing ids are uuids: the first 8 characters name the item in the bars and the table.
    return pairing_id[:8]


async def run_plan(
    out: Output,
    plan: Plan,
    conn: ConnectionSettings,
    *,
    control: tuple[str, Any] | None,
    timeout: float | None,
) -> list[ItemResult]:
    """Check what can be checked, open the connections the plan needs, log in once, and run
    every item concurrently."""
    import httpx

    from vreconnect import AsyncReplication, AsyncVCenter, AsyncVCenterRest

    tls = tls_config(conn)
    url = conn.require_url()
    vr_url = conn.require_url(vr=True)
    user = conn.require_user()
    used = [url, *([vr_url] if plan.vr_pairings and vr_url != url else [])]
    for warning in connection_warnings(conn, used):
        out.warn(warning)
    conn = conn.with_password()
    password = conn.password
    assert password is not None  # with_password raises rather than return None
    vcha_spec = None
    if plan.vcha is not None:
        # A bad spec file is a usage error before anything starts, not a failed item.
        origin = "plan vcha.spec"
        vcha_spec = build_redeploy_spec(
            load_spec_file(plan.vcha.spec, origin=origin),
            conn=conn,
            placement={},
            active={},
            active_password=secret_from_env(
                plan.vcha.active_password_env, "plan vcha.active_password_env"
            )
            if plan.vcha.active_password_env
            else None,
            source=f"{origin} {plan.vcha.spec}",
        )
    async with AsyncExitStack() as stack:
        vc = rest = vr = None
        if plan.hosts or plan.ha_hosts or plan.vasa_providers:
            vc = AsyncVCenter(url, user, password, tls=tls, timeout=HTTP_TIMEOUT)
            stack.push_async_callback(vc.close)
        if plan.vcha is not None:
            rest = AsyncVCenterRest(url, user, password, tls=tls, timeout=HTTP_TIMEOUT)
            stack.push_async_callback(rest.close)
        if plan.vr_pairings:
            vr = AsyncReplication(vr_url, user, password, tls=tls, timeout=HTTP_TIMEOUT)
            stack.push_async_callback(vr.close)
        # Log in up front: a wrong password or an untrusted certificate is then one clear
        # error (and exit code), not the same failure once per item.
        logins = await asyncio.gather(
            *(c.login() for c in (vc, rest, vr) if c is not None), return_exceptions=True
        )
        for outcome in logins:
            if isinstance(outcome, BaseException):
                raise outcome
        client: httpx.AsyncClient | None = None
        if control is not None:
            client = httpx.AsyncClient(base_url=control[0], verify=control[1], timeout=30)
            stack.push_async_callback(client.aclose)
        with out.progress() as display:
            job = Job(
                display,
                conn=conn,
                vc=vc,
                rest=rest,
                vr=vr,
                control=client,
                timeout=timeout,
                vcha_spec=vcha_spec,
            )
            return list(await asyncio.gather(*job.items(plan)))


# ---------------------------------------------------------------------------- rendering


def summary_table(results: list[ItemResult], *, width: int | None = None) -> Table:
    """The closing table: item, failure and operation, state before -> after, outcome,
    tasks, time.

    Cells hold two short lines (``disconnected`` / ``-> connected``) rather than one long
    one; when even that is wider than ``width`` (an 80-column terminal), the failure and
    operation column is left out -- the bars and the lines above the table named them --
    so that item names, states and outcomes are never cut.
    """
    full = _table(results, detailed=True)
    if width is None or _natural_width(full) <= width:
        return full
    return _table(results, detailed=False)


def _natural_width(table: Table) -> int:
    console = Console(width=10_000)
    return Measurement.get(console, console.options, table).maximum


def _table(results: list[ItemResult], *, detailed: bool) -> Table:
    table = Table(title="Recovery summary", title_justify="left")
    table.add_column("item", style="bold", no_wrap=True)
    if detailed:
        table.add_column("failure / operation", no_wrap=True)
    table.add_column("before -> after", no_wrap=True)
    table.add_column("outcome", min_width=9)
    table.add_column("tasks", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    for r in results:
        style = "green" if r.ok else "bold red"
        outcome = Text(r.outcome, style=style)
        if r.error is not None and not r.ok:
            outcome = Text.assemble(("FAILED", style), "\n", (r.error.type_name, style))
        row: list[Text | str] = [r.item]
        if detailed:
            row.append(Text.assemble(r.failure, "\n", (r.operation, "dim")))
        if r.already_healthy or (not r.ok and r.after is None):
            state = r.after or r.before or "?"  # unchanged (or unknown)
        else:
            state = f"{r.before or '?'}\n-> {r.after or '?'}"
        row += [
            state,
            outcome,
            "\n".join(_short_id(t) for t in r.tasks) or "-",
            f"{r.seconds:.1f}s",
        ]
        table.add_row(*row)
    return table


def _short_id(task_id: str) -> str:
    # cis and VR ids are uuids (plus a service suffix); 8 characters identify them in a table.
    return task_id if len(task_id) <= 16 else task_id[:8] + "…"


def _exit_code(results: list[ItemResult]) -> ExitCode:
    codes = {r.error.exit_code for r in results if r.error is not None}
    for worst in (ExitCode.CONNECTION, ExitCode.TIMEOUT, ExitCode.FAULT):
        if worst in codes:
            return worst
    return ExitCode.SUCCESS if all(r.ok for r in results) else ExitCode.FAULT


def _default_scenario() -> Path:
    resource = resources.files("vreconnect_sim").joinpath("scenarios", DEFAULT_SCENARIO)
    return Path(str(resource))


# ---------------------------------------------------------------------------- the command


def recover_all(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            help="Recover on this server instead of the embedded simulator (needs --plan). "
            "Only this flag (or the global --url) selects a server: VRECONNECT_URL is not "
            "read here, so an exported URL never turns the demo into changes on a real vCenter.",
            rich_help_panel="Real server",
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            dir_okay=False,
            metavar="FILE",
            help="YAML plan of what to recover (default with the simulator: "
            "recovery-demo.plan.yaml, shipped in vreconnect_sim/scenarios/).",
            rich_help_panel="Real server",
        ),
    ] = None,
    vr_url: Annotated[
        str | None,
        typer.Option(
            help="VR appliance URL (default: VRECONNECT_VR_URL, else --url).",
            rich_help_panel="Real server",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(help="User name (default: VRECONNECT_USER).", rich_help_panel="Real server"),
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Env variable holding the password (default VRECONNECT_PASSWORD).",
            rich_help_panel="Real server",
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            help="PEM CA bundle (default: VRECONNECT_CA_FILE; a TLS flag replaces the TLS "
            "variables).",
            rich_help_panel="Real server",
        ),
    ] = None,
    thumbprint: Annotated[
        str | None,
        typer.Option(
            help="Pin the server certificate, SHA-1/SHA-256 (default: VRECONNECT_THUMBPRINT).",
            rich_help_panel="Real server",
        ),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Do not verify the server certificate.",
            rich_help_panel="Real server",
        ),
    ] = False,
    scenario: Annotated[
        Path | None,
        typer.Option(
            help=f"Embedded simulator scenario (default: {DEFAULT_SCENARIO}).",
            rich_help_panel="Embedded simulator",
        ),
    ] = None,
    task_seconds: Annotated[
        float,
        typer.Option(
            "--task-seconds",
            min=0,
            max=3600,  # the simulator's own limit (vreconnect_sim.tasks.MAX_TASK_SECONDS)
            metavar="SECONDS",
            help="How long each simulated task runs.",
            rich_help_panel="Embedded simulator",
        ),
    ] = DEFAULT_TASK_SECONDS,
    jitter: Annotated[
        float,
        typer.Option(
            "--jitter",
            min=0,
            max=1,
            metavar="FRACTION",
            help="Random spread of task durations.",
            rich_help_panel="Embedded simulator",
        ),
    ] = DEFAULT_JITTER,
    seed: Annotated[
        int | None, typer.Option(help="Simulator RNG seed.", rich_help_panel="Embedded simulator")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            metavar="SECONDS",
            help="Per-task wait limit in seconds (exit 3 when hit).",
        ),
    ] = DEFAULT_TIMEOUT,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """The main job: recover every failure, with live progress and a summary table.

    The failures: a disconnected host, a changed host certificate, a failed HA
    configuration, a disconnected VASA provider, the degraded VCHA cluster, a broken VR
    pairing. Without --url it runs the embedded simulator seeded with one of each failure.
    Items already healthy are left alone (so a run can be repeated). Exits 0 only if every
    item is healthy at the end.
    """

    def body(out: Output, state: CliState) -> ExitCode:
        conn = state.conn.overridden(
            url=url,
            vr_url=vr_url,
            user=user,
            password_env=password_env,
            ca_file=ca_file,
            thumbprint=thumbprint,
            insecure=insecure,
        )
        if url is None and "url" in state.conn.from_env:
            # VRECONNECT_URL alone never points the main job at a server (see --url's help).
            conn = dataclasses.replace(conn, url=None)
        if conn.url is None:
            return _embedded(out, conn)
        if plan_file is None:
            raise UsageProblem(
                f"--url {conn.url} needs --plan FILE naming what to recover",
                hint=f"start from {DEFAULT_PLAN}; without --url the embedded simulator's "
                "seeded failures are recovered",
            )
        plan = Plan.load(plan_file)
        out.line(Text(f"Recovering on {conn.url} (plan {plan_file})", style="bold"))
        try:
            results = asyncio.run(run_plan(out, plan, conn, control=None, timeout=timeout))
        except KeyboardInterrupt:
            raise Interrupted(
                None,
                message="recover-all stopped waiting (Ctrl-C)",
                hint="the tasks it started keep running on the server; run recover-all again "
                "later: items that are healthy by then are left alone",
            ) from None
        return _report(out, results, simulator=None)

    def _embedded(out: Output, conn: ConnectionSettings) -> ExitCode:
        from vreconnect_sim.scenario import ScenarioError
        from vreconnect_sim.server import SimulatorServer

        plan_path = plan_file or DEFAULT_PLAN
        if not plan_path.is_file():
            raise UsageProblem(
                f"no plan file {plan_path}",
                hint=f"pass --plan FILE (start from {DEFAULT_PLAN})",
            )
        plan = Plan.load(plan_path)
        scenario_path = scenario or _default_scenario()
        try:
            server = SimulatorServer(scenario_path, seed=seed, tls=True)
        except ScenarioError as exc:
            raise UsageProblem(f"--scenario: {exc}") from None
        try:
            with server as sim:
                assert sim.thumbprints is not None  # started with TLS
                sha256 = sim.thumbprints[1]
                # Task timing goes through the control API, as any client of the simulator's.
                _put_task_settings(sim.url("control"), sim.ssl_context(), task_seconds, jitter)
                sim_conn = ConnectionSettings(
                    url=sim.base_url,
                    user=SIM_USER,
                    password=SIM_PASSWORD,
                    # Trust the simulator's fresh self-signed certificate by pinning it.
                    thumbprint=sha256,
                )
                info = {
                    "url": sim.base_url,
                    "scenario": scenario_path.name,
                    "sha256_thumbprint": sha256,
                    "task_seconds": task_seconds,
                }
                out.line(Text("vreconnect recover-all", style="bold"))
                out.line(
                    f"embedded simulator at {sim.base_url} (TLS, pinned SHA-256 {sha256}); "
                    f"scenario {scenario_path.name}; tasks take ~{task_seconds:g}s"
                )
                results = asyncio.run(
                    run_plan(
                        out,
                        plan,
                        sim_conn,
                        control=(sim.url("control"), sim.ssl_context()),
                        timeout=timeout,
                    )
                )
        except KeyboardInterrupt:
            raise Interrupted(
                None,
                message="recover-all stopped (Ctrl-C)",
                hint="the embedded simulator stopped with it; nothing keeps running",
            ) from None
        return _report(out, results, simulator=info)

    run(ctx, body, json_mode=json_mode, debug=debug)


def _put_task_settings(control_url: str, verify: Any, seconds: float, jitter: float) -> None:
    import httpx

    response = httpx.put(
        control_url + "/settings/tasks",
        json={"default": seconds, "jitter": jitter},
        verify=verify,
        timeout=30,
    )
    response.raise_for_status()


def _report(
    out: Output, results: list[ItemResult], *, simulator: dict[str, Any] | None
) -> ExitCode:
    code = _exit_code(results)
    recovered = sum(r.recovered for r in results)
    healthy = sum(r.already_healthy for r in results)
    if out.json_mode:
        out.emit_json(
            {
                "ok": code is ExitCode.SUCCESS,
                "recovered": recovered,
                "already_healthy": healthy,
                "total": len(results),
                "simulator": simulator,
                "items": [r.as_dict() for r in results],
            }
        )
        return code
    out.console.print()
    out.console.print(summary_table(results, width=out.console.width))
    verdict = f"{recovered} of {len(results)} recovered"
    if healthy:
        verdict += f", {healthy} already healthy"
    if code is ExitCode.SUCCESS:
        title = "All recovered" if not healthy else "All healthy"
        out.line(Text(f"{title}: {verdict}.", style="bold green"))
    else:
        out.line(
            Text(f"Not everything was recovered: {verdict} (exit {int(code)}).", style="bold red")
        )
    return code


def register(root: typer.Typer) -> None:
    """Add ``recover-all`` (and its alias ``demo``) to the root app."""
    root.command("recover-all")(recover_all)
    root.command("demo", hidden=True)(recover_all)
