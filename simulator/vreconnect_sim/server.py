"""Running the simulator over a real socket: :func:`serve` (foreground) and
:class:`SimulatorServer` (background thread, "embedded simulator").

:func:`serve` is what ``vreconnect sim serve [--host] [--port] [--tls] [--scenario] [--hosts]``
calls (also ``python -m vreconnect_sim serve ...``): it builds the app, binds the socket,
prints the base URL of every surface (and, with TLS, the certificate path and its SHA-1 and
SHA-256 thumbprints), then runs uvicorn in the main thread until SIGINT/SIGTERM, which uvicorn
turns into a graceful shutdown. A request still waiting on a fault rule's latency is cut
short at once (its connection closed without an answer), so a stop takes about a second, not
the latency; the generated certificate and key are deleted when the server stops.

:class:`SimulatorServer` runs the same thing on a daemon thread, by default on a free port
(``port=0``) with TLS::

    with SimulatorServer(seed=1) as sim:
        httpx.get(sim.url("control") + "/health", verify=sim.ssl_context())
        sim.state.tasks.settings  # the live SimulatorState
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import uvicorn
from starlette.applications import Starlette

from .app import CONTROL_MOUNT, create_app, get_state
from .clock import Clock
from .registry import registered_surfaces
from .scenario import Scenario
from .state import SimulatorState
from .tls import TlsMaterial, generate_self_signed

__all__ = [
    "CANONICAL_MOUNTS",
    "DEFAULT_PORT",
    "DEFAULT_RELEASE",
    "SimulatorServer",
    "base_urls",
    "main",
    "serve",
]

DEFAULT_PORT = 8989  # vcsim's default port
DEFAULT_RELEASE = "8.0.3.0"
CANONICAL_MOUNTS: dict[str, str] = {
    "vim25": "/sdk/vim25/{release}",
    "sms": "/sdk/vim25/{release}/sms",
    "vcenter": "/rest",
    "vr": "/api/rest/vr/v2",
}


def base_urls(scheme: str, host: str, port: int, release: str = DEFAULT_RELEASE) -> dict[str, str]:
    """Base URL of each surface (the four canonical ones plus any other registered) and control."""
    netloc = f"[{host}]" if ":" in host else host
    root = f"{scheme}://{netloc}:{port}"
    mounts = dict(CANONICAL_MOUNTS)
    for spec in registered_surfaces():
        mounts.setdefault(spec.name, spec.mount)
    urls = {name: root + mount.replace("{release}", release) for name, mount in mounts.items()}
    urls["control"] = root + CONTROL_MOUNT
    return urls


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it Nagle + delayed ACKs cap throughput at ~25 req/s/connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def http_implementation() -> str:
    """uvicorn's HTTP/1.1 parser: ``httptools`` when installed, else the pure-Python ``h11``.

    httptools (the llhttp C parser) roughly doubles the request rate the simulator can serve
    over loopback (scripts/bench-sim); h11 works everywhere and is kept as the fallback.
    ``VRECONNECT_SIM_HTTP=h11|httptools`` forces one (e.g. to compare them).
    """
    forced = os.environ.get("VRECONNECT_SIM_HTTP", "").strip().lower()
    if forced in ("h11", "httptools"):
        return forced
    return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"


class _Server(uvicorn.Server):
    """uvicorn's server, telling the simulator when it starts and stops serving.

    ``SimulatorState.stopping`` is set as shutdown begins, before uvicorn waits for the
    requests in flight: a fault rule's latency then ends at once instead of holding the
    shutdown for ``timeout_graceful_shutdown``.
    """

    def __init__(self, config: uvicorn.Config, sim: SimulatorState) -> None:
        super().__init__(config)
        self.sim = sim

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve: clear a ``stopping`` left by an earlier server of the same app."""
        self.sim.stopping.clear()
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop: set ``stopping`` first, then uvicorn's graceful shutdown."""
        self.sim.stopping.set()
        await super().shutdown(sockets)


def _config(app: Starlette, tls: TlsMaterial | None, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="off",
        http=http_implementation(),
        loop="asyncio",
        ws="none",
        access_log=False,
        # Nothing sits in front of the simulator: skip uvicorn's X-Forwarded-* middleware, a
        # per-request cost for nothing.
        proxy_headers=False,
        backlog=2048,
        timeout_graceful_shutdown=5,
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )


def _banner(urls: dict[str, str], tls: TlsMaterial | None, out: TextIO) -> None:
    print("vreconnect simulator listening:", file=out)
    width = max(len(n) for n in urls)
    for name, url in urls.items():
        print(f"  {name:<{width}}  {url}", file=out)
    if tls is not None:
        print(f"  certificate  {tls.cert_file}", file=out)
        print(f"  SHA-1 thumbprint    {tls.sha1}", file=out)
        print(f"  SHA-256 thumbprint  {tls.sha256}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    tls: bool = False,
    scenario: Scenario | str | os.PathLike[str] | None = None,
    hosts: int | None = None,
    *,
    seed: int | None = None,
    log_level: str = "warning",
    out: TextIO | None = None,
    validate_responses: bool | None = None,
) -> int:
    """Run the simulator in the foreground until SIGINT/SIGTERM; returns an exit status.

    Must be called from the main thread (uvicorn installs the signal handlers there).
    ``validate_responses=None`` follows ``VRECONNECT_SIM_VALIDATE`` (see ``create_app``).
    """
    out = out or sys.stdout
    app = create_app(scenario, hosts=hosts, seed=seed, validate_responses=validate_responses)
    material = generate_self_signed([host]) if tls else None
    try:
        sock = _bind(host, port)
    except OSError:
        if material is not None:
            material.discard()
        raise
    actual_port = sock.getsockname()[1]
    _banner(base_urls("https" if tls else "http", host, actual_port), material, out)
    server = _Server(_config(app, material, log_level), get_state(app))
    # uvicorn handles SIGINT/SIGTERM itself (graceful shutdown) and then re-raises the signal
    # into the handlers it found installed; these no-op ones make that a clean exit (status 0)
    # instead of death by signal or a KeyboardInterrupt traceback.
    received: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: received.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if material is not None:
            material.discard()
    print("vreconnect simulator stopped.", file=out, flush=True)
    return 0


class SimulatorServer:
    """The simulator on a background thread; a context manager. See the module docstring.

    ``app`` lets a caller serve an app it built itself (then ``scenario``/``hosts``/``seed``/
    ``clock``/``validate_responses`` are ignored). ``validate_responses=None`` follows
    ``VRECONNECT_SIM_VALIDATE`` (see ``create_app``).
    """

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        hosts: int | None = None,
        seed: int | None = None,
        clock: Clock | None = None,
        app: Starlette | None = None,
        log_level: str = "warning",
        startup_timeout: float = 15.0,
        validate_responses: bool | None = None,
    ) -> None:
        self.host = host
        self.app = app or create_app(
            scenario, hosts=hosts, seed=seed, clock=clock, validate_responses=validate_responses
        )
        self.tls: TlsMaterial | None = generate_self_signed([host]) if tls else None
        self._requested_port = port
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None
        self.port = 0

    # -- properties ----------------------------------------------------------------------

    @property
    def state(self) -> SimulatorState:
        """The live :class:`SimulatorState`."""
        return get_state(self.app)

    @property
    def scheme(self) -> str:
        """``https`` with TLS, else ``http``."""
        return "https" if self.tls else "http"

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` (no path)."""
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{netloc}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        """Base URL per surface and ``control``."""
        return base_urls(self.scheme, self.host, self.port)

    def url(self, surface: str) -> str:
        """Base URL of one surface (``vim25``, ``sms``, ``vcenter``, ``vr``, ``control``)."""
        return self.urls[surface]

    @property
    def thumbprints(self) -> tuple[str, str] | None:
        """(SHA-1, SHA-256) of the certificate, or None without TLS."""
        return (self.tls.sha1, self.tls.sha256) if self.tls else None

    @property
    def cert_file(self) -> Path | None:
        """The PEM certificate (None without TLS)."""
        return self.tls.cert_file if self.tls else None

    @property
    def ca_file(self) -> Path | None:
        """Same as :attr:`cert_file`: the self-signed cert is its own CA (``verify=`` this)."""
        return self.cert_file

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSLContext trusting the simulator's certificate (for ``httpx`` ``verify=``)."""
        if self.tls is None:
            raise RuntimeError("the simulator runs without TLS")
        return ssl.create_default_context(cafile=str(self.tls.cert_file))

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Bind, start the thread and wait until uvicorn accepts connections."""
        if self._thread is not None:
            raise RuntimeError("already started")
        if self.tls is not None and not self.tls.cert_file.exists():
            # Restarted after stop(), which deleted the files: a new certificate.
            self.tls = generate_self_signed([self.host])
        self._sock = _bind(self.host, self._requested_port)
        self.port = self._sock.getsockname()[1]
        self._server = _Server(_config(self.app, self.tls, self._log_level), self.state)
        server, sock = self._server, self._sock

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # surfaced to start()/stop()
                self._error = exc

        self._thread = threading.Thread(target=run, name=f"vreconnect-sim-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator failed to start: {self._error!r}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown; forces it after ``timeout`` seconds; deletes the generated
        certificate and key (a restart makes new ones). Idempotent."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        if self.tls is not None:
            self.tls.discard()
        self._thread = None
        self._server = None
        self._sock = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatorServer({self.base_url!r}, running={self.running})"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vreconnect_sim serve [--host H] [--port N] [--tls] [--scenario F] [--hosts N]``."""
    parser = argparse.ArgumentParser(prog="python -m vreconnect_sim")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the simulator until Ctrl-C / SIGTERM")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed cert")
    p.add_argument("--scenario", type=Path, default=None, help="scenario YAML file")
    p.add_argument("--hosts", type=int, default=None, help="fleet size (up to at least 10,000)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--log-level", default="warning")
    p.add_argument(
        "--validate-responses",
        action="store_true",
        default=None,
        help="check every response against specs/ (test mode; also VRECONNECT_SIM_VALIDATE=1)",
    )
    args: Any = parser.parse_args(argv)
    from .scenario import ScenarioError

    try:
        return serve(
            args.host,
            args.port,
            args.tls,
            args.scenario,
            args.hosts,
            seed=args.seed,
            log_level=args.log_level,
            validate_responses=args.validate_responses,
        )
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 1
