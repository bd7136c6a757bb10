"""The root ``vreconnect`` typer app: global options and the command groups.

Adding a command group
----------------------
Write ``cli/<name>.py`` exposing ``app = typer.Typer(...)`` and add ONE line to
:data:`_GROUPS` below (``("<name>", <name>.app)``); a module that adds plain commands instead
exposes ``register(root: typer.Typer) -> None`` and is called below (``demo``, ``contract``).
Commands get the connection settings with :func:`vreconnect.cli.common.cli_state` and should
run their body through :func:`vreconnect.cli.common.run` for uniform errors and exit codes.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import contract, demo, host, sim, task, vasa, vcha, vr
from .common import (
    CliState,
    GlobalCaFileOption,
    GlobalInsecureOption,
    GlobalThumbprintOption,
    PasswordEnvOption,
    UserOption,
    url_option,
)
from .config import ENV_VR_URL, SETTING_NAMES, ConnectionSettings
from .exitcodes import ExitCode
from .exitcodes import __doc__ as _EXIT_CODES_DOC

__all__ = ["RootGroup", "app", "report_usage_error"]

_EPILOG = (
    "Exit codes: 0 success, 1 fault (the server said no, or the task failed), 2 usage error, "
    "3 timeout (the task keeps running: resume with 'vreconnect task wait ID'), "
    "4 connection or TLS error, 130 interrupted."
)


def _wants_json(args: Sequence[str]) -> bool:
    """True if ``--json`` is among the options (before a ``--`` that ends them)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


def _finite(option: Any) -> Callable[[Any, Any, Any], Any]:
    """A click callback for ``option``: reject nan and inf, then run its own callback.

    click's float types take ``nan`` and ``inf`` (and a range check passes nan); a deadline
    or a duration of nan would only fail later, after work started.
    """
    own = option.callback

    def check(ctx: Any, param: Any, value: Any) -> Any:
        values = value if isinstance(value, tuple | list) else (value,)
        for number in values:
            if isinstance(number, float) and not math.isfinite(number):
                raise typer.BadParameter(f"{number} is not a finite number.", ctx, param)
        return own(ctx, param, value) if own is not None else value

    return check


def _reflow(text: str) -> str:
    """``text`` with each paragraph on one line, so rich wraps it to the terminal's width.

    typer's rich help keeps a docstring's source line breaks, which leaves ragged lines on
    an 80-column terminal. Paragraphs are separated by blank lines; one starting with click's
    ``\\b`` marker keeps its lines.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


# click's names of range types, as error messages and help should say them.
_TYPE_WORDS = {"float range": "number", "int range": "integer"}


def _harden(command: Any) -> None:
    """Apply the CLI-wide rules to ``command`` and everything under it (see RootGroup)."""
    for attribute in ("help", "short_help"):
        text = getattr(command, attribute, None)
        if isinstance(text, str) and text:
            setattr(command, attribute, _reflow(text))
    for param in getattr(command, "params", ()):
        kind = getattr(param.type, "name", None)
        if kind in ("float", "float range"):
            param.callback = _finite(param)
        if kind in _TYPE_WORDS:
            # "'abc' is not a valid number", not "... a valid float range" (each option has
            # its own range type instance).
            param.type.name = _TYPE_WORDS[kind]
    for sub in getattr(command, "commands", {}).values():
        _harden(sub)


def report_usage_error(exc: typer.TyperException, *, json_mode: bool) -> int:
    """Render an error click found while parsing (usage errors exit 2); its exit code.

    The same form as every other error: ``error: UsageError: <message>`` and a ``hint:``
    line on stderr, and under ``--json`` also ``{"ok": false, "error": {...}}`` on stdout.
    """
    from .output import ErrorInfo, Output

    where = getattr(getattr(exc, "ctx", None), "command_path", None)
    usage = exc.exit_code == ExitCode.USAGE
    info = ErrorInfo(
        "UsageError" if usage else type(exc).__name__,
        exc.format_message(),
        hint=f"see '{where} --help'" if where else None,
        exit_code=ExitCode.USAGE if usage else ExitCode.FAULT,
    )
    Output(json_mode=json_mode).fail(info)
    return exc.exit_code


class RootGroup(TyperGroup):
    """The root command, which enforces a few rules for every command under it.

    * Errors click finds while parsing (unknown option, missing argument, bad value) are
      rendered like every other error (:func:`report_usage_error`): one plain line and a hint,
      never typer's boxed panel, and under ``--json`` one JSON document on stdout too.
    * Every float option (``--timeout``, ``--task-seconds``, ...) rejects nan and inf as a
      usage error, before anything connects.
    * Help texts are reflowed (a paragraph per line), so rich wraps them to the terminal.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _harden(self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """click's entry point; see the class docstring for how errors are rendered."""
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(
                argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            code = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:  # click's errors: usage errors exit 2
            if type(exc).__name__ == "NoArgsIsHelpError":
                sys.exit(exc.exit_code)  # a group without its command: the help was printed
            sys.exit(report_usage_error(exc, json_mode=_wants_json(argv)))
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(ExitCode.FAULT)
        sys.exit(code if isinstance(code, int) else ExitCode.SUCCESS)


app = typer.Typer(
    name="vreconnect",
    cls=RootGroup,
    help="Recover vSphere objects: reconnect hosts, reconfigure HA, reconnect VASA providers, "
    "redeploy the VCHA passive node, reconnect VR pairings, and wait for their tasks.",
    epilog=_EPILOG,
    no_args_is_help=True,
    add_completion=False,
    # Errors are rendered by cli.common.run as one line; a rich traceback box is never wanted.
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        url_option(
            "vCenter base URL, e.g. https://vc.example.com (the simulator's base URL works)."
        ),
    ] = None,
    vr_url: Annotated[
        str | None,
        typer.Option(
            envvar=ENV_VR_URL,
            help="vSphere Replication appliance base URL (default: --url).",
            rich_help_panel="Connection",
        ),
    ] = None,
    user: UserOption = None,
    password_env: PasswordEnvOption = None,
    ca_file: GlobalCaFileOption = None,
    thumbprint: GlobalThumbprintOption = None,
    insecure: GlobalInsecureOption = False,
    json_mode: Annotated[
        bool, typer.Option("--json", help="JSON output for scripts (every command).")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="VRECONNECT_DEBUG", help="Show tracebacks for errors."),
    ] = False,
) -> None:
    """Connection and output options go before the command: vreconnect --url URL host ..."""
    from_env = {
        name
        for name in SETTING_NAMES
        if getattr(ctx.get_parameter_source(name), "name", None) == "ENVIRONMENT"
    }
    conn = ConnectionSettings(
        url=url,
        vr_url=vr_url,
        user=user,
        password_env=password_env,
        ca_file=ca_file,
        thumbprint=thumbprint,
        insecure=insecure,
        from_env=frozenset(from_env),
    )
    # A TLS flag on the command line replaces every TLS variable of the environment, the
    # same way a command's own TLS flag does.
    tls = {"ca_file": ca_file, "thumbprint": thumbprint, "insecure": insecure}
    ctx.obj = CliState(
        conn=conn.overridden(**{name: v for name, v in tls.items() if name not in from_env}),
        json_mode=json_mode,
        debug=debug,
    )


_GROUPS: tuple[tuple[str, typer.Typer], ...] = (
    ("host", host.app),
    ("vasa", vasa.app),
    ("vcha", vcha.app),
    ("vr", vr.app),
    ("task", task.app),
    ("sim", sim.app),
)
for _name, _group in _GROUPS:
    app.add_typer(_group, name=_name)

demo.register(app)
contract.register(app)

# Keep the detailed table reachable from Python (docs, tests) without re-stating it.
EXIT_CODES_DOC = _EXIT_CODES_DOC
