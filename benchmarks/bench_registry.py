"""Load benchmark for registry_api (not a test): publish throughput and live fan-out.

Measures, against real uvicorn instances on this machine:

1. publish: N concurrent clients (default 50) POSTing distinct runs over keep-alive
   connections; reports throughput and p50/p99 latency.
2. fan-out: one presenter sending frames at 30 frames/s to V WebSocket viewers (default 200)
   spread over the instances; reports end-to-end latency (presenter send -> viewer receive)
   p50/p99 and checks that every viewer got every frame exactly once, in order.
3. abuse: on its own throwaway Redis, a session of 1,000 frames of 512 KiB is replayed from
   the start by 20 slow viewers (1 MiB/s each, answering pings) and 20 sockets that never
   read, all on instance 0, while 100 normal viewers watch a 30 fps session and 50 clients
   publish. Reports instance 0's peak RSS above idle and the normal load's p99 with and
   without the abuse. The abusers and the publishers each run in a child process of their
   own, so neither slows the event loop that timestamps the viewers' frames (one process
   running all three measured its own queueing as latency); the CPU row shows each
   process's share.
4. login flood: 8 guessers (a child process) spray wrong passwords at random accounts, so
   every guess costs a full Argon2 check, while one client sends ``GET /api/v1/runs`` at
   20/s to the same instance; reports that client's p50/p99 with and without the flood, with
   the default ``PASSWORD_HASH_CONCURRENCY=1`` and, as the peer, one hash per guesser.

Uses ``DATABASE_URL``/``REDIS_URL`` when set, otherwise the local Postgres (127.0.0.1:5432,
a throwaway ``qt_bench_<random>`` database, dropped afterwards) and Redis (a unique key
prefix, deleted afterwards). ``--small`` runs a CI-sized version in a few seconds.

    python benchmarks/bench_registry.py [--small] [--instances 2] [--only abuse|login]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry_api._db import apply_migrations  # noqa: E402
from registry_api._security import ISSUER, hash_password, make_jwt_auth  # noqa: E402
from tests.registry._servers import ThrowawayRedis  # noqa: E402
from tests.registry._support import (  # noqa: E402
    BELL_SCENARIO,
    UvicornServer,
    peak_rss_mib,
    rss_mib,
    scrape,
)
from tests.registry._ws import LeanViewer, StalledViewer, trickle_all  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _setup_db(admin_dsn: str, name: str) -> int:
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    conn = await asyncpg.connect(admin_dsn.rsplit("/", 1)[0] + f"/{name}")
    try:
        await apply_migrations(conn)
        uid: int = await conn.fetchval(
            "INSERT INTO users (username, password_hash, role) VALUES ('bench', $1, 'researcher')"
            " RETURNING id",
            await hash_password("bench-password"),
        )
        return uid
    finally:
        await conn.close()


async def _drop_db(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


class _RawHTTP:
    """A minimal HTTP/1.1 keep-alive client (the load generator must stay cheap)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def bench_publish(
    servers: list[UvicornServer], token: str, clients: int, total: int, first_seed: int = 0
) -> dict[str, Any]:
    """``total`` publishes from ``clients`` concurrent connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(first_seed, first_seed + total))

    def body(i: int) -> bytes:
        return json.dumps(
            {
                "scenario": BELL_SCENARIO,
                "scenarioName": f"bench-{i % 20}",
                "seed": i,
                "qtcoreVersion": "0.1.0",
                "kernel": "numpy",
                "results": {
                    "counts": {"00": 512 + i % 7, "11": 512 - i % 7},
                    "fidelity": 0.99 + (i % 5) / 1000,
                },
                "tags": ["bench"],
                "runtimeMs": 10.0 + i % 3,
                "frames": None,
            }
        ).encode()

    async def worker(k: int) -> None:
        srv = servers[k % len(servers)]
        conn = _RawHTTP("127.0.0.1", srv.port)
        try:
            for i in counter:
                payload = body(i)
                t0 = time.perf_counter()
                status = await conn.post("/api/v1/runs", payload, token)
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(clients)))
    elapsed = time.perf_counter() - t0
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": _pct(latencies, 50) * 1000,
        "p99_ms": _pct(latencies, 99) * 1000,
        "statuses": statuses,
    }


def _frame(step: int) -> bytes:
    header = json.dumps({"step": step, "op": "cx", "qubits": 4}).encode()
    data = struct.pack("<16d", *([1 / 16] * 16))  # 16 probabilities
    return b"QTFR" + struct.pack("<HHII", 1, 0, len(header), len(data)) + header + data


async def bench_fanout(
    servers: list[UvicornServer], token: str, viewers: int, fps: float, seconds: float
) -> dict[str, Any]:
    """One presenter at ``fps`` to ``viewers`` sockets; e2e latency and loss/order check."""
    async with httpx.AsyncClient(base_url=servers[0].base, timeout=60) as c:
        r = await c.post(
            "/api/v1/sessions",
            json={"title": "bench"},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        session = r.json()
    n_frames = int(fps * seconds)
    sent_at: dict[int, float] = {}
    received: list[list[int]] = [[] for _ in range(viewers)]
    latencies: list[float] = []
    connected = 0
    all_connected = asyncio.Event()

    async def viewer(k: int) -> None:
        nonlocal connected
        srv = servers[k % len(servers)]
        url = f"{srv.ws}{session['watchPath']}?token={token}"
        seq = -1
        ended = asyncio.get_running_loop().create_future()

        def on_text(msg: bytes) -> None:
            nonlocal seq
            if msg.startswith(b'{"type":"end"'):
                if not ended.done():
                    ended.set_result(None)
                return
            seq = int(msg.rsplit(b":", 1)[1].rstrip(b"}"))

        def on_binary(_: bytes) -> None:
            latencies.append(time.perf_counter() - sent_at[seq])
            received[k].append(seq)

        # a lean client: 100 websockets clients took ~1/3 of a core beside the server
        ws = await LeanViewer.open(url, on_text, on_binary)
        try:
            connected += 1
            if connected == viewers:
                all_connected.set()
            await asyncio.wait({ended, ws.closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ws.close()

    tasks = [asyncio.create_task(viewer(k)) for k in range(viewers)]
    try:
        await asyncio.wait_for(all_connected.wait(), 60)
        await asyncio.sleep(0.5)
        frames = [_frame(i) for i in range(n_frames)]
        present = f"{servers[0].ws}{session['presentPath']}?token={token}"
        async with websockets.connect(present, ping_interval=None) as ws:

            async def acks() -> None:
                for _ in range(n_frames):
                    await ws.recv()

            ack_task = asyncio.create_task(acks())
            start = time.perf_counter()
            for i, f in enumerate(frames):
                delay = start + i / fps - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent_at[i] = time.perf_counter()
                await ws.send(f)
            await ack_task
            await ws.send('{"type": "end"}')
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    expected = list(range(n_frames))
    lost = sum(len(set(expected) - set(r)) for r in received)
    misordered = sum(1 for r in received if r != sorted(r) or len(r) != len(set(r)))
    return {
        "viewers": viewers,
        "frames": n_frames,
        "delivered": sum(len(r) for r in received),
        "p50_ms": _pct(latencies, 50) * 1000,
        "p99_ms": _pct(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "lost": lost,
        "misordered_viewers": misordered,
    }


def _reset_peak_rss(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # VmHWM := VmRSS (Linux >= 4.0)


async def _populate(srv: UvicornServer, token: str, frames: int, size: int) -> dict[str, Any]:
    """A session of ``frames`` frames of ``size`` bytes, sent pipelined, then ended."""
    async with httpx.AsyncClient(base_url=srv.base, timeout=60) as c:
        r = await c.post("/api/v1/sessions", json={"title": "abuse"},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        r.raise_for_status()
        session: dict[str, Any] = r.json()
    header = json.dumps({"step": 0, "op": "h", "qubits": 15}).encode()
    noise = os.urandom(size - 16 - len(header))
    head = b"QTFR" + struct.pack("<HHII", 1, 0, len(header), len(noise)) + header
    url = f"{srv.ws}{session['presentPath']}?token={token}"
    window = asyncio.Semaphore(16)  # frames in flight: keeps the server's pings answered
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:

        async def acks() -> None:
            for _ in range(frames):
                assert json.loads(await ws.recv())["type"] == "ack"
                window.release()

        ack_task = asyncio.create_task(acks())
        for i in range(frames):
            await window.acquire()
            await ws.send(head + i.to_bytes(8, "little") + noise[8:])
        await ack_task
        await ws.send('{"type": "end"}')
        await ws.wait_closed()
    return session


async def _abusers(url: str, slow: int, stalled: int, rate: float, seconds: float) -> None:
    """Child process: open the abusive viewers, say ``ready``, trickle until SIGTERM."""
    import signal

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    idle = [await StalledViewer(url).open() for _ in range(stalled)]
    slows = [await StalledViewer(url).open() for _ in range(slow)]
    print("ready", flush=True)
    t0 = loop.time()
    halt = threading.Event()
    reads = asyncio.create_task(asyncio.to_thread(trickle_all, slows, rate, seconds, halt))
    with contextlib.suppress(TimeoutError):  # never outlive the run, even if orphaned
        await asyncio.wait_for(stop.wait(), seconds)
    elapsed = loop.time() - t0
    halt.set()
    await reads
    closed = sum(1 for v in slows + idle if v.closed_by_server)
    got = [v.read_bytes for v in slows]
    print(json.dumps({"slow_bytes": sum(got), "slow_min": min(got, default=0),
                      "closed": closed, "child_seconds": elapsed}))  # fmt: skip
    for v in slows + idle:
        v.close()


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Port:
    """Where :func:`bench_publish` sends (it needs only the port of each instance)."""

    def __init__(self, port: int) -> None:
        self.port = port


async def _publisher(ports: str, clients: int, total: int, first_seed: int) -> None:
    """Child process: say ``ready``, wait for ``go`` on stdin, publish, print a JSON summary.

    The token comes in ``BENCH_TOKEN`` (not on the command line, which ``ps`` shows)."""
    servers: Any = [_Port(int(p)) for p in ports.split(",")]
    token = os.environ["BENCH_TOKEN"]
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    cpu = time.process_time()
    result = await bench_publish(servers, token, clients, total, first_seed)
    result["client_cpu"] = time.process_time() - cpu
    print(json.dumps(result), flush=True)


async def _publish_in_child(
    servers: list[UvicornServer], token: str, clients: int, total: int, first_seed: int
) -> tuple[asyncio.subprocess.Process, Any]:
    """Start :func:`_publisher` and wait for it to be ready; returns it and its result task."""
    ports = ",".join(str(srv.port) for srv in servers)
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--publish-child", ports, str(clients), str(total),
        str(first_seed), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "BENCH_TOKEN": token},
    )  # fmt: skip
    assert child.stdout is not None and child.stdin is not None
    line = await asyncio.wait_for(child.stdout.readline(), 60)
    assert line == b"ready\n", line

    async def result() -> dict[str, Any]:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        out, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"publishing child exited with {child.returncode}")
        stats: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        stats["statuses"] = {int(k): v for k, v in stats["statuses"].items()}
        return stats

    return child, result


async def _measured_phase(
    servers: list[UvicornServer], token: str, viewers: int, fps: float, seconds: float,
    clients: int, publishes: int, first_seed: int,
) -> list[Any]:  # fmt: skip
    """Fan-out (this process) and publishing (a child process) at the same time."""
    child, result = await _publish_in_child(servers, token, clients, publishes, first_seed)
    try:
        return list(await asyncio.gather(
            bench_fanout(servers, token, viewers, fps, seconds), result(),
            return_exceptions=True,
        ))  # fmt: skip
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


async def bench_abuse(
    servers: list[UvicornServer], token: str, redis_pid: int, *, frames: int, frame_bytes: int, slow: int,
    stalled: int, rate: float, viewers: int, clients: int, publishes: int, fps: float,
    seconds: float,
) -> dict[str, Any]:  # fmt: skip
    """Abusive replays on instance 0 while normal viewers and publishers are measured."""
    pid = servers[0].proc.pid
    pids = [srv.proc.pid for srv in servers] + [redis_pid, os.getpid()]
    idle = rss_mib(pid)
    session = await _populate(servers[-1], token, frames, frame_bytes)
    populated = rss_mib(pid)
    cpu0 = [_cpu_seconds(p) for p in pids]
    quiet = await _measured_phase(
        servers, token, viewers, fps, seconds, clients, publishes, first_seed=10**6
    )
    cpu_quiet = [_cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)]
    _reset_peak_rss(pid)
    url = f"{servers[0].ws}{session['watchPath']}?token={token}&last_id=0-0"
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--abuse-child", url, str(slow), str(stalled), str(rate),
        str(seconds * 10), stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line == b"ready\n", line
        t0 = time.perf_counter()
        cpu0 = [_cpu_seconds(p) for p in pids]
        abusers0 = _cpu_seconds(child.pid)
        loaded = await _measured_phase(
            servers, token, viewers, fps, seconds, clients, publishes, first_seed=2 * 10**6
        )
        abused_for = time.perf_counter() - t0
        cpu_loaded = [_cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)]
        abusers_cpu = _cpu_seconds(child.pid) - abusers0
        peak, during = peak_rss_mib(pid), rss_mib(pid)
        drops = (await scrape(servers[0].base)).get("qt_ws_viewer_drops_total", 0.0)
    finally:
        if child.returncode is None:
            child.terminate()
    out, _ = await asyncio.wait_for(child.communicate(), 60)
    stats = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "idle_mib": idle, "populated_mib": populated, "peak_mib": peak, "during_mib": during,
        "seconds": abused_for, "drops": drops, "quiet": quiet, "loaded": loaded, **stats,
        "cpu_quiet": cpu_quiet, "cpu_loaded": cpu_loaded, "abusers_cpu": abusers_cpu,
    }  # fmt: skip


async def _guessers(base: str, guessers: int, seconds: float) -> None:
    """Child process: ``guessers`` loops of wrong passwords for random accounts (spraying, so
    every guess costs a full Argon2 check); prints a JSON summary."""
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    async def guess(c: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            body = {"username": f"victim{secrets.token_hex(4)}", "password": "hunter22"}
            try:
                r = await c.post("/api/v1/token", json=body)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code in (429, 503):  # told to wait: do, as a client would
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1

    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        await asyncio.gather(*(guess(c) for _ in range(guessers)))
    elapsed = time.monotonic() - t0
    print(json.dumps({"statuses": statuses, "seconds": elapsed}), flush=True)


async def _normal_requests(base: str, token: str, rate: float, seconds: float) -> dict[str, Any]:
    """``GET /api/v1/runs?limit=5`` (auth, a DB read) at ``rate``/s: latency percentiles."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        await c.get("/api/v1/runs?limit=5", headers=headers)  # warm the connection
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            t0 = time.perf_counter()
            r = await c.get("/api/v1/runs?limit=5", headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    return {"p50_ms": _pct(latencies, 50), "p99_ms": _pct(latencies, 99),
            "requests": len(latencies), "statuses": statuses}  # fmt: skip


async def bench_login(
    server: UvicornServer, token: str, guessers: int, rate: float, seconds: float
) -> dict[str, Any]:
    """Normal requests' latency without, then with, ``guessers`` password guessers."""
    pid = server.proc.pid
    quiet = await _normal_requests(server.base, token, rate, seconds)
    cpu0 = _cpu_seconds(pid)
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--login-child", server.base, str(guessers),
        str(seconds + 2), stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        await asyncio.sleep(1.0)  # let the flood build up
        flood = await _normal_requests(server.base, token, rate, seconds)
        cpu = _cpu_seconds(pid) - cpu0
    finally:
        out, _ = await asyncio.wait_for(child.communicate(), 120)
    stats = json.loads(out.decode().strip().splitlines()[-1])
    return {"quiet": quiet, "flood": flood, "cpu": cpu, **stats}


def _login_row(lg: dict[str, Any], a: argparse.Namespace) -> tuple[str, bool]:
    q, f = lg["quiet"], lg["flood"]
    tried = sum(n for code, n in lg["statuses"].items() if code in ("401", 401))
    row = (
        f"| login flood, {lg['hashes']} Argon2 at once | {a.login_guessers} guessers spraying"
        " wrong passwords "
        f"({tried} checked = {tried / lg['seconds']:.1f}/s, statuses {lg['statuses']}) + "
        f"GET /api/v1/runs at {a.login_rate:g}/s on one instance | {f['requests']} normal "
        f"requests (statuses {f['statuses']}); server CPU {lg['cpu']:.1f} s in the flood | "
        f"{f['p50_ms']:.1f} ms | **{f['p99_ms']:.1f} ms** (quiet {q['p99_ms']:.1f} ms) "
        f"| normal p99 <= 50 ms |"
    )
    return row, set(f["statuses"]) == {200}


def _abuse_rows(ab: dict[str, Any], a: argparse.Namespace) -> tuple[list[str], bool]:
    qf, qp = ab["quiet"]
    lf, lp = ab["loaded"]
    grown = ab["peak_mib"] - ab["idle_mib"]
    mib = a.abuse_frame_kib / 1024 * a.abuse_frames
    rows = [
        f"| abuse: server memory | {a.abuse_slow} slow viewers ({a.abuse_rate / 2**20:g} MiB/s, "
        f"answering pings) + {a.abuse_stalled} never-reading sockets replay {a.abuse_frames} x "
        f"{a.abuse_frame_kib} KiB ({mib:.0f} MiB) on instance 0 for {ab['seconds']:.0f} s | "
        f"RSS idle {ab['idle_mib']:.0f} MiB, after populating {ab['populated_mib']:.0f}, peak "
        f"during abuse {ab['peak_mib']:.0f} (**+{grown:.0f} MiB**); slow viewers read "
        f"{ab['slow_bytes'] / 2**20:.0f} MiB in {ab['child_seconds']:.0f} s (slowest "
        f"{ab['slow_min'] / 2**20:.1f}); {ab['drops']:.0f} dropped | - | - | "
        f"<= 300 MiB above idle |",
        _fan_row(lf, qf, a),
        _pub_row(lp, qp, a),
    ]
    publishers = [p["client_cpu"] if isinstance(p, dict) else float("nan") for p in (qp, lp)]
    cpu = ", ".join(
        f"{q:.1f} -> {c:.1f}"
        for q, c in zip([*ab["cpu_quiet"], publishers[0]], [*ab["cpu_loaded"], publishers[1]],
                        strict=True)
    )  # fmt: skip
    rows.append(f"| abuse: CPU | CPU seconds of each instance, Redis, the viewers' process and "
                f"the publishers' process, quiet -> abused phase; the abusers' own process "
                f"(on the same cores) | {cpu}; abusers {ab['abusers_cpu']:.1f} | - | - | - |")  # fmt: skip
    ok = (
        isinstance(lf, dict) and isinstance(lp, dict) and lf["lost"] == 0
        and lf["misordered_viewers"] == 0 and set(lp["statuses"]) == {201}
    )  # fmt: skip
    return rows, ok


def _fan_row(lf: Any, qf: Any, a: argparse.Namespace) -> str:
    head = f"| abuse: fan-out meanwhile | 1 presenter @ {a.fps:g} fps -> {a.abuse_viewers} viewers"
    if not isinstance(lf, dict):
        return f"{head} | **failed: {lf!r:.120}** | - | - | p99 <= 150 ms, no loss |"
    quiet = (f"quiet {qf['p99_ms']:.1f} ms, x{lf['p99_ms'] / qf['p99_ms']:.2f}"
             if isinstance(qf, dict) else f"quiet run failed: {qf!r:.60}")  # fmt: skip
    return (
        f"{head}, {lf['frames']} frames | {lf['delivered']} deliveries, lost {lf['lost']}, "
        f"misordered viewers {lf['misordered_viewers']} | {lf['p50_ms']:.1f} ms | "
        f"{lf['p99_ms']:.1f} ms ({quiet}) | p99 <= 150 ms, no loss |"
    )


def _pub_row(lp: Any, qp: Any, a: argparse.Namespace) -> str:
    head = f"| abuse: publish meanwhile | {a.abuse_clients} clients"
    if not isinstance(lp, dict):
        return f"{head} | **failed: {lp!r:.120}** | - | - | p99 <= 100 ms |"
    quiet = (f"quiet {qp['p99_ms']:.1f} ms, x{lp['p99_ms'] / qp['p99_ms']:.2f}"
             if isinstance(qp, dict) else f"quiet run failed: {qp!r:.60}")  # fmt: skip
    return (
        f"{head}, {lp['requests']} runs | {lp['rps']:.0f} runs/s (statuses {lp['statuses']}) | "
        f"{lp['p50_ms']:.1f} ms | {lp['p99_ms']:.1f} ms ({quiet}) | p99 <= 100 ms |"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI-sized run")
    parser.add_argument("--instances", type=int, default=2, help="uvicorn instances")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--publishes", type=int, default=None)
    parser.add_argument("--viewers", type=int, default=None)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--only", choices=["publish", "fanout", "abuse", "login"], default=None)
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_MAX per instance")
    parser.add_argument("--seconds", type=float, default=None)
    abuse = parser.add_argument_group("abuse run")
    abuse.add_argument("--abuse-frames", type=int, default=None, help="frames in the session")
    abuse.add_argument("--abuse-frame-kib", type=int, default=512)
    abuse.add_argument("--abuse-slow", type=int, default=None, help="slow replaying viewers")
    abuse.add_argument("--abuse-stalled", type=int, default=None, help="never-reading sockets")
    abuse.add_argument("--abuse-rate", type=float, default=2**20, help="slow read, bytes/s")
    abuse.add_argument("--abuse-viewers", type=int, default=None, help="normal viewers meanwhile")
    abuse.add_argument("--abuse-clients", type=int, default=None, help="publishers meanwhile")
    parser.add_argument("--abuse-child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--publish-child", nargs=4, help=argparse.SUPPRESS)
    login = parser.add_argument_group("login flood")
    login.add_argument("--login-guessers", type=int, default=8, help="parallel guessers")
    login.add_argument("--login-rate", type=float, default=20.0, help="normal requests/s")
    parser.add_argument("--login-child", nargs=3, help=argparse.SUPPRESS)
    a = parser.parse_args()
    a.clients = a.clients or (10 if a.small else 50)
    a.publishes = a.publishes or (300 if a.small else 5000)
    a.viewers = a.viewers or (20 if a.small else 200)
    a.seconds = a.seconds or (3.0 if a.small else 10.0)
    a.abuse_frames = a.abuse_frames or (100 if a.small else 1000)
    a.abuse_slow = a.abuse_slow if a.abuse_slow is not None else (4 if a.small else 20)
    a.abuse_stalled = a.abuse_stalled if a.abuse_stalled is not None else (4 if a.small else 20)
    a.abuse_viewers = a.abuse_viewers or (20 if a.small else 100)
    a.abuse_clients = a.abuse_clients or (10 if a.small else 50)
    return a


def _abuse(a: argparse.Namespace, env: dict[str, str], token: str) -> dict[str, Any]:
    store = ThrowawayRedis(persist=False)  # 500 MiB of frames stay off the shared Redis
    frame_bytes = a.abuse_frame_kib * 1024
    env = {**env, "REDIS_URL": store.url, "MAX_OPEN_SESSIONS": "100",
           "STREAM_MAX_BYTES": str(2 * a.abuse_frames * frame_bytes)}  # fmt: skip
    servers: list[UvicornServer] = []
    try:
        servers = [UvicornServer(env) for _ in range(a.instances)]
        assert store.proc is not None
        return asyncio.run(bench_abuse(
            servers, token, store.proc.pid, frames=a.abuse_frames, frame_bytes=frame_bytes, slow=a.abuse_slow,
            stalled=a.abuse_stalled, rate=a.abuse_rate, viewers=a.abuse_viewers,
            clients=a.abuse_clients, publishes=a.abuse_clients * (8 if a.small else 40),
            fps=a.fps, seconds=a.seconds,
        ))  # fmt: skip
    finally:
        for srv in servers:
            srv.stop()
        store.cleanup()


def main() -> int:
    args = _arguments()
    if args.abuse_child:
        url, slow, stalled, rate, seconds = args.abuse_child
        asyncio.run(_abusers(url, int(slow), int(stalled), float(rate), float(seconds)))
        return 0
    if args.publish_child:
        ports, n_clients, total, first = args.publish_child
        asyncio.run(_publisher(ports, int(n_clients), int(total), int(first)))
        return 0
    if args.login_child:
        base, guessers, secs = args.login_child
        asyncio.run(_guessers(base, int(guessers), float(secs)))
        return 0
    clients, publishes, viewers, seconds = args.clients, args.publishes, args.viewers, args.seconds

    admin_dsn = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    db_name = f"qt_bench_{secrets.token_hex(5)}"
    prefix = f"qt_bench_{secrets.token_hex(5)}:"
    secret = secrets.token_urlsafe(32)
    uid = asyncio.run(_setup_db(admin_dsn, db_name))
    env = {
        "DATABASE_URL": admin_dsn.rsplit("/", 1)[0] + f"/{db_name}",
        "REDIS_URL": redis_url,
        "JWT_SECRET": secret,
        "REDIS_KEY_PREFIX": prefix,
        "DB_POOL_MAX": str(args.pool),
        "QT_LOG_LEVEL": "WARNING",
        "MAX_OPEN_SESSIONS": "100",
    }
    servers: list[UvicornServer] = []
    pub = fan = ab = lg = None
    try:
        token = make_jwt_auth(secret, 3600).create_token(
            str(uid), token_issuer=ISSUER, token_audience=ISSUER
        )
        if args.only in (None, "publish", "fanout"):
            servers = [UvicornServer(env) for _ in range(args.instances)]
        if args.only in (None, "publish"):
            cpu0 = [_cpu_seconds(srv.proc.pid) for srv in servers]
            client0 = time.process_time()
            pub = asyncio.run(bench_publish(servers, token, clients, publishes))
            pub["server_cpu_ms"] = 1000 * sum(
                _cpu_seconds(srv.proc.pid) - c for srv, c in zip(servers, cpu0, strict=True)
            ) / pub["requests"]  # fmt: skip
            pub["client_cpu_ms"] = 1000 * (time.process_time() - client0) / pub["requests"]
        if args.only in (None, "fanout"):
            fan = asyncio.run(bench_fanout(servers, token, viewers, args.fps, seconds))
        for srv in servers:
            srv.stop()
        if args.only in (None, "abuse"):
            ab = _abuse(args, env, token)
        if args.only in (None, "login"):
            lg = []
            # the peer: as many hashes at once as guessers (what happened before the bound)
            for hashes in (1, args.login_guessers):
                servers = [UvicornServer({**env, "PASSWORD_HASH_CONCURRENCY": str(hashes)})]
                lg.append(asyncio.run(bench_login(
                    servers[0], token, args.login_guessers, args.login_rate, seconds
                )) | {"hashes": hashes})  # fmt: skip
                servers[0].stop()
    finally:
        for srv in servers:
            srv.stop()
        asyncio.run(_drop_db(admin_dsn, db_name))
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    cpu = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"\nregistry benchmark ({args.instances} uvicorn instance(s), {cpu} CPUs, "
        f"1-min load average at the end {load:.2f}; the abuse run's viewers, publishers and "
        f"abusers are three client processes)"
    )
    print("| workload | load | result | p50 | p99 | target |")
    print("|---|---|---|---|---|---|")
    ok = True
    if pub is not None:
        ok = ok and set(pub["statuses"]) == {201}
        print(
            f"| publish | {clients} clients, {pub['requests']} runs | {pub['rps']:.0f} runs/s "
            f"(statuses {pub['statuses']}); CPU per run: instances {pub['server_cpu_ms']:.2f} ms,"
            f" this client {pub['client_cpu_ms']:.2f} ms | {pub['p50_ms']:.1f} ms "
            f"| {pub['p99_ms']:.1f} ms | >= 500/s, p99 <= 100 ms |"
        )
    if fan is not None:
        ok = ok and fan["lost"] == 0 and fan["misordered_viewers"] == 0
        print(
            f"| fan-out | 1 presenter @ {args.fps:g} fps -> {fan['viewers']} viewers, "
            f"{fan['frames']} frames | {fan['delivered']} deliveries, lost {fan['lost']}, "
            f"misordered viewers {fan['misordered_viewers']} | {fan['p50_ms']:.1f} ms "
            f"| {fan['p99_ms']:.1f} ms | p99 <= 150 ms, no loss |"
        )
    if ab is not None:
        rows, ab_ok = _abuse_rows(ab, args)
        ok = ok and ab_ok
        print("\n".join(rows))
    for i, run in enumerate(lg or []):
        row, lg_ok = _login_row(run, args)
        ok = ok and (lg_ok or i > 0)  # the unbounded peer is there for comparison
        print(row)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
