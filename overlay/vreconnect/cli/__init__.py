"""The ``vreconnect`` command line (entry point ``vreconnect = "vreconnect.cli:main"``).

Layout:

* :mod:`.app` - the root typer app, global options, and the list of command groups (see its
  docstring for how to add one);
* :mod:`.config` - connection settings (flags, ``VRECONNECT_*`` variables, password prompt);
* :mod:`.output` - results, progress bars/lines, ``--json``, the one error renderer;
* :mod:`.exitcodes` - the documented exit codes;
* :mod:`.host`, :mod:`.vasa`, :mod:`.vcha`, :mod:`.vr`, :mod:`.task`, :mod:`.sim` - commands;
* :mod:`.demo` - ``vreconnect recover-all``, the main job run by ``./scripts/run``;
* :mod:`.contract` - ``vreconnect contract``, the property suite against a server.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns (and, as a console script, exits with) the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("VRECONNECT_DEBUG", "") not in ("", "0", "false")
    try:
        from .app import app

        # standalone_mode: click renders usage errors itself (exit 2) and turns Ctrl-C into
        # "Aborted!" (exit 1); SystemExit carries every command's own exit code.
        app(args=args, prog_name="vreconnect", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug outside any command body: still one line by default
        if debug:
            traceback.print_exc()
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if not debug:
            print("hint: run with --debug for the traceback", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - python -m vreconnect.cli
    sys.exit(main())
