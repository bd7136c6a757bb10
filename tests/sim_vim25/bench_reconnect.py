"""Manual benchmark: ReconnectHost_Task + task-read pairs per second over loopback HTTP.

Not collected by pytest. Run from the repository root::

    .venv/bin/python -m tests.sim_vim25.bench_reconnect --hosts 10000 --seconds 5

It starts ``python -m vreconnect_sim serve --hosts N`` in its own process (so client and
server do not share a GIL), logs in, then drives keep-alive connections with a minimal
asyncio HTTP/1.1 client (a full HTTP client library would be the bottleneck): each iteration
is one ``ReconnectHost_Task`` on the next fleet host and one ``GET /Task/{id}/info``. It
prints pairs per second and the server's CPU time per pair, then stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time

BASE = "/sdk/vim25/8.0.3.0"


async def _request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    path: str,
    body: bytes = b"",
    headers: str = "",
) -> tuple[int, bytes, bytes]:
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{headers}\r\n".encode()
        + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    i = lowered.find(b"content-length:")
    length = int(head[i + 15 : head.find(b"\r\n", i)]) if i >= 0 else 0
    data = await reader.readexactly(length) if length else b""
    return status, head, data


async def _drive(port: int, connections: int, hosts: int, seconds: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    login = json.dumps({"userName": "administrator@vsphere.local", "password": "VMware1!"})
    _, head, _ = await _request(
        reader, writer, "POST", f"{BASE}/SessionManager/SessionManager/Login", login.encode()
    )
    i = head.lower().find(b"vmware-api-session-id:")
    token = head[i + 22 : head.find(b"\r\n", i)].strip().decode()
    auth = f"vmware-api-session-id: {token}\r\n"
    body = json.dumps({"cnxSpec": {"_typeName": "HostConnectSpec", "force": False}}).encode()
    stop = time.perf_counter() + seconds
    pairs = [0] * connections
    created = [0] * connections

    async def worker(k: int) -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        j = k
        while time.perf_counter() < stop:
            moid = f"host-{10001 + j % hosts}"
            j += connections
            status, _, data = await _request(
                r, w, "POST", f"{BASE}/HostSystem/{moid}/ReconnectHost_Task", body, auth
            )
            task = json.loads(data)["value"] if status == 200 else "task-1"
            created[k] += status == 200
            status, _, _ = await _request(r, w, "GET", f"{BASE}/Task/{task}/info", b"", auth)
            pairs[k] += 1
        w.close()

    await asyncio.gather(*(worker(k) for k in range(connections)))
    writer.close()
    return sum(pairs), sum(created)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    """Parse arguments, run the benchmark, print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vreconnect_sim",
            "serve",
            *("--port", str(port), "--hosts", str(args.hosts), "--seed", "1"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the simulator did not start", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        cpu_before = _cpu_seconds(server.pid)
        pairs, created = asyncio.run(_drive(port, args.connections, args.hosts, args.seconds))
        cpu = _cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        f"{pairs / args.seconds:.0f} ReconnectHost_Task + task-read pairs/s "
        f"({created} tasks created; server CPU {cpu * 1e6 / max(pairs, 1):.0f} us/pair)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
