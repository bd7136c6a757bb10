"""Benchmark the simulator: ReconnectHost_Task + task-info pairs per second, and state memory.

Run it through ``scripts/bench-sim`` (which sets up ``.venv``)::

    ./scripts/bench-sim                      # 10,000 hosts, 16 clients, 10 s
    ./scripts/bench-sim --hosts 10000 --seconds 20 --clients 32

What it does, in order (every step is bounded in time; nothing but 127.0.0.1 is contacted):

1. **State memory.** In this process, with every module already imported and one small app
   built (so import-time and one-off caches are not counted), :mod:`tracemalloc` measures the
   memory still allocated after ``create_app(hosts=N)``: the :class:`SimulatorState` with N
   hosts (plus the app's routes, a few KiB). That figure is compared with the goal (< 200 MB).
   The server's RSS at the end of the run is printed as well, for information only: it also
   holds the interpreter, every library and the tasks the run created, and includes memory
   the allocator has not returned to the OS, so it says little about the state itself.
2. **Server.** ``python -m vreconnect_sim serve --host 127.0.0.1 --port 0 --hosts N`` in a
   subprocess: a real uvicorn server over loopback, plain HTTP (TLS would mostly measure the
   ssl module, and vreconnect's clients reuse connections anyway), response validation off.
   Own process, so the load generator does not compete with it for the GIL.
3. **Pool.** The disconnected and connected hosts are listed through the control API
   (``GET /_sim/objects``) and dealt round-robin to the clients, so no two clients ever
   touch the same host.
4. **Load.** N clients, each with its own keep-alive connection and vim25 session (Login),
   repeat for ``--seconds`` (or until ``--pairs``): pick the client's next host; ``POST
   /HostSystem/{moId}/ReconnectHost_Task``; ``GET /Task/{task}/info``. A disconnected host is
   reconnected with an empty request (stored credentials); a connected one, as the page allows,
   with only ``cnxSpec.sslThumbprint`` (so a host that reconnected successfully can be used
   again without a DisconnectHost_Task). Every pair (call answered with a task, task info
   read) counts, whatever the task's outcome: the fleet mix makes some end in NoHost,
   InvalidLogin, SSLVerifyFault... on purpose. A host whose call is refused (NotSupported on
   a standalone host, InvalidState) leaves the pool. The client speaks minimal HTTP/1.1 over
   asyncio streams: a general-purpose client (httpx) would cost more CPU than the server.
5. **Report.** Pairs/s over the measured window, outcomes, pair latency (p50/p99), then one
   summary line; exit status 0 if both goals are met, 1 if one is missed, 2 if the benchmark
   could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

GOAL_PAIRS_PER_SECOND = 1_000.0
GOAL_STATE_MB = 200.0
HOST = "127.0.0.1"  # the benchmark never talks to anything else
RELEASE = "8.0.3.0"
VIM = f"/sdk/vim25/{RELEASE}"
USER = "administrator@vsphere.local"
PASSWORD = "VMware1!"
# Any thumbprint will do for the thumbprint-only reconnect of a connected host: a CA-trusted
# host ignores it, an untrusted one ends in SSLVerifyFault (a pair all the same).
THUMBPRINT = ":".join(["5A"] * 20)
STARTUP_TIMEOUT = 180.0  # building 10,000 hosts takes a few seconds; a slow CI box more
REQUEST_TIMEOUT = 30.0


class BenchError(Exception):
    """The benchmark could not run (exit status 2)."""


# -- a minimal HTTP/1.1 keep-alive client ------------------------------------------------


@dataclass
class HttpResponse:
    """Status, lower-cased headers and body of one response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Connection:
    """One keep-alive HTTP/1.1 connection to the simulator (requests strictly in sequence).

    Only what the simulator's answers need: ``Content-Length`` bodies (Starlette always sets
    it for these responses); anything else is an error.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._host_header = f"{HOST}:{port}".encode()

    async def open(self) -> None:
        """Connect (TCP_NODELAY is asyncio's default for TCP)."""
        self._reader, self._writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request and read its response."""
        if self._writer is None or self._reader is None:
            await self.open()
        assert self._writer is not None and self._reader is not None
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host_header]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}".encode())
        if body is not None:
            lines.append(b"Content-Type: application/json")
            lines.append(b"Content-Length: " + str(len(body)).encode())
        self._writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))
        head = await asyncio.wait_for(self._reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        parsed: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed[name.strip().lower()] = value.strip()
        if "content-length" not in parsed:
            raise BenchError(f"{method} {path}: response without Content-Length: {parsed}")
        payload = await self._reader.readexactly(int(parsed["content-length"]))
        if parsed.get("connection", "").lower() == "close":
            await self.close()
        return HttpResponse(status, parsed, payload)


# -- state memory ------------------------------------------------------------------------------


def measure_state_memory(hosts: int, seed: int) -> tuple[float, float, float]:
    """(retained MB, peak MB, seconds) of ``create_app(hosts=N)``, measured with tracemalloc."""
    from vreconnect_sim.app import create_app

    create_app(hosts=1, seed=seed, validate_responses=False)  # imports, one-off caches
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    app = create_app(hosts=hosts, seed=seed, validate_responses=False)
    elapsed = time.perf_counter() - started
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del app
    return current / 1e6, peak / 1e6, elapsed


# -- the server subprocess ------------------------------------------------------------------


class ServerProcess:
    """``python -m vreconnect_sim serve`` on 127.0.0.1, a free port, plain HTTP."""

    def __init__(self, hosts: int, seed: int) -> None:
        self.hosts = hosts
        self.seed = seed
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.banner: list[str] = []

    def start(self) -> None:
        """Start the server and wait for its banner (bounded by STARTUP_TIMEOUT)."""
        env = dict(os.environ, VRECONNECT_SIM_VALIDATE="0", PYTHONUNBUFFERED="1")
        cmd = [
            sys.executable,
            "-m",
            "vreconnect_sim",
            "serve",
            "--host",
            HOST,
            "--port",
            "0",
            "--hosts",
            str(self.hosts),
            "--seed",
            str(self.seed),
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        ready = threading.Event()

        def pump(stream: IO[str]) -> None:
            # Keeps draining the server's output for the whole run, so the pipe never fills.
            for line in stream:
                self.banner.append(line.rstrip("\n"))
                if line.startswith("Press Ctrl-C"):
                    ready.set()
            ready.set()  # EOF: the server exited

        assert self.proc.stdout is not None
        threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True).start()
        if not ready.wait(STARTUP_TIMEOUT):
            raise BenchError(f"the simulator did not start within {STARTUP_TIMEOUT:.0f} s")
        text = "\n".join(self.banner)
        m = re.search(rf"http://{re.escape(HOST)}:(\d+)/_sim", text)
        if self.proc.poll() is not None or m is None:
            raise BenchError(f"the simulator did not start:\n{text}")
        self.port = int(m.group(1))

    def rss_mb(self) -> float | None:
        """The server's resident set size (Linux /proc), or None."""
        if self.proc is None:
            return None
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.M)
        return int(m.group(1)) * 1024 / 1e6 if m else None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (Linux /proc), or None."""
        if self.proc is None:
            return None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        # Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the ")".
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL after 10 s; only our own child is signalled."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- load --------------------------------------------------------------------------------------


@dataclass
class ClientStats:
    """What one client did."""

    pairs: int = 0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


async def login(conn: Connection) -> str:
    """A vim25 session token."""
    body = json.dumps({"userName": USER, "password": PASSWORD}).encode()
    r = await conn.request("POST", f"{VIM}/SessionManager/SessionManager/Login", body)
    token = r.headers.get("vmware-api-session-id")
    if r.status != 200 or not token:
        raise BenchError(f"Login failed: {r.status} {r.body[:200]!r}")
    return token


async def host_pool(conn: Connection) -> dict[str, str]:
    """moId -> connection state of every connected or disconnected HostSystem."""
    pool: dict[str, str] = {}
    offset = 0
    while True:
        r = await conn.request(
            "GET", f"/_sim/objects?surface=vim25&type=HostSystem&limit=10000&offset={offset}"
        )
        if r.status != 200:
            raise BenchError(f"GET /_sim/objects: {r.status} {r.body[:200]!r}")
        page = r.json()
        for item in page["items"]:
            state = item.get("connection_state")
            if state in ("connected", "disconnected"):
                pool[item["id"]] = state
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return pool


async def run_client(
    port: int,
    hosts: list[tuple[str, str]],
    stop_at: float,
    budget: list[int],
    stats: ClientStats,
) -> None:
    """One client: pairs on its own hosts until ``stop_at`` or the shared budget runs out."""
    conn = Connection(port)
    await conn.open()
    try:
        session = {"vmware-api-session-id": await login(conn)}
        states = dict(hosts)
        order = [moid for moid, _ in hosts]
        empty = b"{}"
        thumb_only = json.dumps(
            {"cnxSpec": {"_typeName": "HostConnectSpec", "sslThumbprint": THUMBPRINT}}
        ).encode()
        i = 0
        clock = time.perf_counter
        while order and clock() < stop_at and budget[0] > 0:
            moid = order[i % len(order)]
            body = thumb_only if states[moid] == "connected" else empty
            t0 = clock()
            r = await conn.request(
                "POST", f"{VIM}/HostSystem/{moid}/ReconnectHost_Task", body, session
            )
            if r.status != 200:
                # Refused at the call (no task): NotSupported, InvalidState... drop the host.
                try:
                    reason = str(r.json().get("_typeName", r.status))
                except ValueError:
                    reason = str(r.status)
                stats.refused[reason] += 1
                order.remove(moid)
                continue
            task = r.json()["value"]
            info = await conn.request("GET", f"{VIM}/Task/{task}/info", None, session)
            if info.status != 200:
                raise BenchError(f"GET Task/{task}/info: {info.status} {info.body[:200]!r}")
            stats.latencies.append(clock() - t0)
            budget[0] -= 1
            stats.pairs += 1
            data = info.json()
            if data["state"] == "success":
                states[moid] = "connected"
                stats.outcomes["success"] += 1
            else:
                stats.outcomes[str((data.get("error") or {}).get("_typeName", data["state"]))] += 1
            i += 1
    finally:
        await conn.close()


async def drive(port: int, clients: int, seconds: float, max_pairs: int | None) -> dict[str, Any]:
    """Run the load and return the measurements."""
    setup = Connection(port)
    pool = await host_pool(setup)
    await setup.close()
    if not pool:
        raise BenchError("no connected or disconnected HostSystem in the simulator")
    # Disconnected hosts first: the main path (a full reconnect) gets most of the pairs.
    ordered = sorted(pool.items(), key=lambda kv: (kv[1] != "disconnected", kv[0]))
    shares: list[list[tuple[str, str]]] = [ordered[c::clients] for c in range(clients)]
    stats = [ClientStats() for _ in range(clients)]
    budget = [max_pairs if max_pairs is not None else 1 << 62]
    started = time.perf_counter()
    stop_at = started + seconds
    tasks = [
        asyncio.create_task(run_client(port, shares[c], stop_at, budget, stats[c]))
        for c in range(clients)
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    finally:
        for t in tasks:
            t.cancel()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for s in stats for x in s.latencies)
    outcomes: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for s in stats:
        outcomes.update(s.outcomes)
        refused.update(s.refused)
    pairs = sum(s.pairs for s in stats)
    return {
        "pairs": pairs,
        "seconds": elapsed,
        "pairs_per_second": pairs / elapsed if elapsed > 0 else 0.0,
        "pool": len(pool),
        "pool_disconnected": sum(1 for v in pool.values() if v == "disconnected"),
        "outcomes": dict(outcomes.most_common()),
        "refused": dict(refused.most_common()),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
    }


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(
        prog="bench-sim",
        description="ReconnectHost_Task + task-info pairs/s and state memory of the simulator "
        f"(goals: >= {GOAL_PAIRS_PER_SECOND:,.0f} pairs/s, state < {GOAL_STATE_MB:.0f} MB).",
    )
    p.add_argument("--hosts", type=int, default=10_000, help="fleet size (default 10000)")
    p.add_argument("--seconds", type=float, default=10.0, help="load duration (default 10)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--pairs", type=int, default=None, help="stop after this many pairs")
    p.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = p.parse_args(argv)
    if not 1 <= args.hosts <= 1_000_000:
        p.error("--hosts must be in 1..1000000")
    if not 0 < args.seconds <= 3600:
        p.error("--seconds must be in (0, 3600]")
    if not 1 <= args.clients <= 1024:
        p.error("--clients must be in 1..1024")
    if args.pairs is not None and args.pairs < 1:
        p.error("--pairs must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 = goals met, 1 = a goal missed, 2 = could not run."""
    args = parse_args(argv)
    out = sys.stderr
    try:
        state_mb, peak_mb, build_s = measure_state_memory(args.hosts, args.seed)
        print(
            f"state: {state_mb:.1f} MB retained (peak {peak_mb:.1f} MB) after "
            f"create_app(hosts={args.hosts}) in {build_s:.2f} s [tracemalloc]",
            file=out,
        )
        server = ServerProcess(args.hosts, args.seed)
        try:
            server.start()
            from vreconnect_sim.server import http_implementation

            print(
                f"server: pid {server.proc.pid if server.proc else '?'}, "
                f"http://{HOST}:{server.port}, uvicorn http={http_implementation()}, "
                f"RSS {server.rss_mb() or 0:.0f} MB after start",
                file=out,
            )
            cpu_before, own_before = server.cpu_seconds(), time.process_time()
            result = asyncio.run(drive(server.port, args.clients, args.seconds, args.pairs))
            cpu_after, own_after = server.cpu_seconds(), time.process_time()
            rss = server.rss_mb()
        finally:
            server.stop()
    except BenchError as err:
        print(f"bench-sim: error: {err}", file=sys.stderr)
        return 2
    except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError) as err:
        print(f"bench-sim: error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    rate = float(result["pairs_per_second"])
    print(
        f"load: {result['pairs']} pairs in {result['seconds']:.2f} s with {args.clients} "
        f"clients over {result['pool']} hosts ({result['pool_disconnected']} disconnected); "
        f"pair latency p50 {result['p50_ms'] or 0:.1f} ms, p99 {result['p99_ms'] or 0:.1f} ms",
        file=out,
    )
    print(f"task outcomes: {result['outcomes']}; refused calls: {result['refused']}", file=out)
    if cpu_before is not None and cpu_after is not None:
        # A server well below 100% of one core means the load generator, not the simulator,
        # limited the rate (uvicorn serves on one event loop, i.e. one core at most).
        server_cpu = (cpu_after - cpu_before) / result["seconds"]
        client_cpu = (own_after - own_before) / result["seconds"]
        result["server_cpu"] = server_cpu
        result["client_cpu"] = client_cpu
        # Pairs per CPU-second of the server: what one dedicated core would sustain. Less
        # sensitive than the rate to other processes competing for the CPUs.
        per_cpu = rate / server_cpu if server_cpu > 0 else 0.0
        result["pairs_per_server_cpu_second"] = per_cpu
        print(
            f"cpu: server {100 * server_cpu:.0f}% of a core ({per_cpu:,.0f} pairs per server "
            f"CPU-second), load generator {100 * client_cpu:.0f}% ({os.cpu_count()} CPUs)",
            file=out,
        )
    if rss is not None:
        print(f"server RSS after the run: {rss:.0f} MB (informational)", file=out)
    rate_ok = rate >= GOAL_PAIRS_PER_SECOND
    mem_ok = state_mb < GOAL_STATE_MB
    if args.json:
        figures = {
            **result,
            "hosts": args.hosts,
            "clients": args.clients,
            "state_mb": state_mb,
            "state_peak_mb": peak_mb,
            "server_rss_mb": rss,
            "goals_met": rate_ok and mem_ok,
        }
        print(json.dumps(figures, sort_keys=True))
    print(
        f"bench-sim: {rate:,.0f} pairs/s (goal >= {GOAL_PAIRS_PER_SECOND:,.0f}: "
        f"{'ok' if rate_ok else 'MISSED'}), state {state_mb:.1f} MB for {args.hosts} hosts "
        f"(goal < {GOAL_STATE_MB:.0f} MB: {'ok' if mem_ok else 'MISSED'})"
    )
    return 0 if rate_ok and mem_ok else 1


if __name__ == "__main__":
    sys.exit(main())
