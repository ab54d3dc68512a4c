"""Load benchmark for registry_api (not a test): publish throughput and live fan-out.

Measures, against real uvicorn instances on this machine:

1. publish: N concurrent clients (default 50) POSTing distinct runs over keep-alive
   connections; reports throughput and p50/p99 latency.
2. fan-out: one presenter sending frames at 30 frames/s to V WebSocket viewers (default 200)
   spread over the instances; reports end-to-end latency (presenter send -> viewer receive)
   p50/p99 and checks that every viewer got every frame exactly once, in order.

Uses ``DATABASE_URL``/``REDIS_URL`` when set, otherwise the local Postgres (127.0.0.1:5432,
a throwaway ``qt_bench_<random>`` database, dropped afterwards) and Redis (a unique key
prefix, deleted afterwards). ``--small`` runs a CI-sized version in a few seconds.

    python benchmarks/bench_registry.py [--small] [--instances 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import struct
import sys
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
from tests.registry._support import UvicornServer  # noqa: E402


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
    servers: list[UvicornServer], token: str, clients: int, total: int
) -> dict[str, Any]:
    """``total`` publishes from ``clients`` concurrent connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))

    def body(i: int) -> bytes:
        return json.dumps(
            {
                "scenario": {"qubits": 2, "circuit": ["h 0", "cx 0 1"], "shots": 1024},
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
    async with httpx.AsyncClient(base_url=servers[0].base) as c:
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
        async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
            connected += 1
            if connected == viewers:
                all_connected.set()
            seq = -1
            while True:
                msg = await ws.recv()
                if isinstance(msg, str):
                    if msg.startswith('{"type":"end"'):
                        return
                    seq = int(msg.rsplit(":", 1)[1].rstrip("}"))
                    continue
                latencies.append(time.perf_counter() - sent_at[seq])
                received[k].append(seq)

    tasks = [asyncio.create_task(viewer(k)) for k in range(viewers)]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI-sized run")
    parser.add_argument("--instances", type=int, default=2, help="uvicorn instances")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--publishes", type=int, default=None)
    parser.add_argument("--viewers", type=int, default=None)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--only", choices=["publish", "fanout"], default=None)
    parser.add_argument("--pool", type=int, default=10, help="DB_POOL_MAX per instance")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    clients = args.clients or (10 if args.small else 50)
    publishes = args.publishes or (300 if args.small else 5000)
    viewers = args.viewers or (20 if args.small else 200)
    seconds = args.seconds or (3.0 if args.small else 10.0)

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
    }
    servers: list[UvicornServer] = []
    try:
        servers = [UvicornServer(env) for _ in range(args.instances)]
        token = make_jwt_auth(secret, 3600).create_token(
            str(uid), token_issuer=ISSUER, token_audience=ISSUER
        )
        pub = fan = None
        if args.only != "fanout":
            pub = asyncio.run(bench_publish(servers, token, clients, publishes))
        if args.only != "publish":
            fan = asyncio.run(bench_fanout(servers, token, viewers, args.fps, seconds))
    finally:
        for s in servers:
            s.stop()
        asyncio.run(_drop_db(admin_dsn, db_name))
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    cpu = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"\nregistry benchmark ({args.instances} uvicorn instance(s), {cpu} CPUs, "
        f"client in one process, 1-min load average at the end {load:.2f})"
    )
    print("| workload | load | result | p50 | p99 | target |")
    print("|---|---|---|---|---|---|")
    ok = True
    if pub is not None:
        ok = ok and set(pub["statuses"]) == {201}
        print(
            f"| publish | {clients} clients, {pub['requests']} runs | {pub['rps']:.0f} runs/s "
            f"(statuses {pub['statuses']}) | {pub['p50_ms']:.1f} ms | {pub['p99_ms']:.1f} ms "
            f"| >= 500/s, p99 <= 100 ms |"
        )
    if fan is not None:
        ok = ok and fan["lost"] == 0 and fan["misordered_viewers"] == 0
        print(
            f"| fan-out | 1 presenter @ {args.fps:g} fps -> {fan['viewers']} viewers, "
            f"{fan['frames']} frames | {fan['delivered']} deliveries, lost {fan['lost']}, "
            f"misordered viewers {fan['misordered_viewers']} | {fan['p50_ms']:.1f} ms "
            f"| {fan['p99_ms']:.1f} ms | p99 <= 150 ms, no loss |"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
