"""``vreconnect task wait ID``: wait for any task, e.g. to resume after a timeout."""

from __future__ import annotations

import enum
import re
from typing import TYPE_CHECKING, Annotated

import typer

from .common import CliState, DebugOption, JsonOption, TimeoutOption, run
from .connect import open_replication, open_rest, open_vcenter, report_task
from .exitcodes import ExitCode, UsageProblem
from .output import Output

if TYPE_CHECKING:
    from vreconnect.tasks import SyncTask

__all__ = ["TaskKindChoice", "app", "infer_kind"]

app = typer.Typer(help="Follow tasks started earlier (e.g. with --no-wait).", no_args_is_help=True)


class TaskKindChoice(enum.StrEnum):
    """Which API a task belongs to."""

    VIM25 = "vim25"
    SMS = "sms"
    CIS = "cis"
    VR = "vr"


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PATTERNS: tuple[tuple[re.Pattern[str], TaskKindChoice], ...] = (
    (re.compile(r"^task-\d+$"), TaskKindChoice.VIM25),
    (re.compile(r"^SmsTask-\d+$"), TaskKindChoice.SMS),
    (re.compile(r"^[^:\s]+:com\.vmware\.[\w.]+$"), TaskKindChoice.CIS),
    (re.compile(rf"^{_UUID}$"), TaskKindChoice.VR),
)


def infer_kind(task_id: str) -> TaskKindChoice | None:
    """The kind of task an id names, from its format, or None if it is not recognisable.

    vim25 ``task-123``, SMS ``SmsTask-7``, vAPI ``<uuid>:com.vmware.vcenter...``, VR a bare uuid.
    """
    for pattern, kind in _PATTERNS:
        if pattern.match(task_id):
            return kind
    return None


@app.command("wait")
def wait(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="ID", help="The task id.")],
    kind: Annotated[
        TaskKindChoice | None,
        typer.Option(help="The task's API (default: inferred from the id's format)."),
    ] = None,
    timeout: TimeoutOption = None,
    json_mode: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Wait for a task to finish, with progress; exits like the command that started it."""

    def body(out: Output, state: CliState) -> ExitCode:
        chosen = kind or infer_kind(task_id)
        if chosen is None:
            raise UsageProblem(
                f"cannot tell which API task {task_id!r} belongs to",
                hint="pass --kind vim25|sms|cis|vr",
            )
        handle: SyncTask
        if chosen is TaskKindChoice.VIM25:
            with open_vcenter(state.conn, out) as vc:
                handle = vc.task(task_id)
                return _follow(out, handle, timeout)
        if chosen is TaskKindChoice.SMS:
            with open_vcenter(state.conn, out) as vc:
                handle = vc.sms_task(task_id)
                return _follow(out, handle, timeout)
        if chosen is TaskKindChoice.CIS:
            with open_rest(state.conn, out) as rest:
                handle = rest.task(task_id)
                return _follow(out, handle, timeout)
        with open_replication(state.conn, out) as vr:
            handle = vr.task(task_id)
            return _follow(out, handle, timeout)

    run(ctx, body, json_mode=json_mode, debug=debug)


def _follow(out: Output, handle: SyncTask, timeout: float | None) -> ExitCode:
    return report_task(
        out,
        handle,
        target=handle.id,
        wait=True,
        timeout=timeout,
        label=f"wait {handle.kind}",
        extra={"kind": handle.kind},
    )
