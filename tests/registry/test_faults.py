"""Fault tests: Redis restarts mid-session, Postgres goes away mid-publishing.

They start their own throwaway servers; the machine's shared services are never touched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._security import ISSUER, hash_password, make_jwt_auth

from ._servers import ThrowawayPostgres, ThrowawayRedis
from ._support import (
    UvicornServer,
    eventually,
    make_frame,
    run_body,
    scrape,
    start_in_process,
)
from ._ws import Received, end_session, open_session, present_frames, watch_until
from .conftest import auth, server_env

pytestmark = [pytest.mark.asyncio, pytest.mark.xdist_group("faults")]


async def _scrape_is(base: str, name: str, value: float) -> bool:
    return (await scrape(base)).get(name) == value


@pytest.fixture
def own_redis() -> Iterator[ThrowawayRedis]:
    """A private redis-server with an AOF, restartable."""
    server = ThrowawayRedis()
    yield server
    server.cleanup()


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A private Postgres cluster, stoppable."""
    server = ThrowawayPostgres()
    yield server
    server.cleanup()


async def test_redis_restart_viewers_recover_without_loss(
    own_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    srv = UvicornServer(server_env(settings, REDIS_URL=own_redis.url))
    try:
        s = await open_session(srv.base, tokens["alice"])
        watch = f"{srv.ws}{s['watchPath']}?token={tokens['vic']}"
        frames = [make_frame(i) for i in range(20)]
        stayed = Received()
        viewer = asyncio.create_task(watch_until(watch, stayed))
        await eventually(lambda: _scrape_is(srv.base, "qt_ws_active_viewers", 1.0))
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            acks = await present_frames(ws, frames[:10])
            await asyncio.to_thread(own_redis.stop)
            # frames sent while Redis is down are held by the presenter socket and retried
            during = asyncio.create_task(present_frames(ws, frames[10:15]))
            held, _ = await asyncio.wait({during}, timeout=1.0)
            assert not held  # still waiting for Redis a second later, not failed
            await asyncio.to_thread(own_redis.start)
            acks += await asyncio.wait_for(during, 30)
            acks += await present_frames(ws, frames[15:])
            assert await end_session(ws) == 1000
        await asyncio.wait_for(viewer, 30)
        # a viewer that stayed connected through the restart saw everything, in order
        print("viewer through restart:", "stayed" if stayed.ended else stayed.close_code)
        if stayed.ended:
            assert stayed.seqs == list(range(20))
        else:  # it was told to reconnect: resume from its last id
            assert stayed.close_code in (1013, 4503)
            rest = await watch_until(f"{watch}&last_id={stayed.frames[-1][0]}", Received())
            stayed.frames += rest.frames
            assert rest.ended and stayed.seqs == list(range(20))
        assert [f for _, _, f in stayed.frames] == frames
        # the frames written before the restart are still in the stream: resume mid-way
        resumed = await asyncio.wait_for(
            watch_until(f"{watch}&last_id={acks[4]['id']}", Received()), 10
        )
        assert resumed.ended and resumed.seqs == list(range(5, 20))
    finally:
        srv.stop()


async def test_postgres_outage_gives_503_then_recovers(own_postgres: ThrowawayPostgres,
                                                       settings: Settings) -> None:  # fmt: skip
    conf = dataclasses.replace(settings, database_url=own_postgres.url, pool_min=1, pool_max=3,
                               redis_prefix=f"qt_test_{secrets.token_hex(4)}:")  # fmt: skip
    app = create_app(conf)
    async with AsyncTestClient(app=app) as client:
        conn = await asyncpg.connect(own_postgres.url)
        uid = await conn.fetchval(
            "INSERT INTO users (username, password_hash, role) VALUES ('rita', $1, 'researcher')"
            " RETURNING id",
            await hash_password("irrelevant-pw"),
        )
        await conn.close()
        jwt = make_jwt_auth(conf.jwt_secret, 900)
        h = auth(jwt.create_token(str(uid), token_issuer=ISSUER, token_audience=ISSUER))
        first = await client.post("/api/v1/runs", json=run_body("outage", seed=1), headers=h)
        assert first.status_code == 201, first.text

        await asyncio.to_thread(own_postgres.stop)
        during = await client.post("/api/v1/runs", json=run_body("outage", seed=2), headers=h)
        assert during.status_code == 503, during.text
        assert "unavailable" in during.json()["detail"]
        assert during.headers.get("retry-after") == "2"
        ready = await client.get("/ready")
        assert ready.status_code == 503 and "unavailable" in ready.json()["checks"]["postgres"]
        assert (await client.get("/health")).status_code == 200

        await asyncio.to_thread(own_postgres.start)
        after = await client.post("/api/v1/runs", json=run_body("outage", seed=2), headers=h)
        assert after.status_code == 201, after.text
        assert (await client.get("/ready")).status_code == 200

    conn = await asyncpg.connect(own_postgres.url)
    try:
        runs = await conn.fetch("SELECT seed FROM runs ORDER BY created_at")
        audits = await conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE action = 'run.publish'"
        )
    finally:
        await conn.close()
    assert [r["seed"] for r in runs] == [1, 2]
    assert audits == 2  # one per stored run: the failed attempt left nothing behind


@pytest.fixture
def volatile_redis() -> Iterator[ThrowawayRedis]:
    """A private redis-server without persistence: a restart loses everything."""
    server = ThrowawayRedis(persist=False)
    yield server
    server.cleanup()


async def test_end_while_redis_is_down_is_503_not_a_lie(
    own_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    srv = UvicornServer(server_env(settings, REDIS_URL=own_redis.url))
    try:
        s = await open_session(srv.base, tokens["alice"])
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, [make_frame(0), make_frame(1)])
            await ws.close(1001)  # going away: the session stays open
        url = f"/api/v1/sessions/{s['id']}"
        async with httpx.AsyncClient(base_url=srv.base, timeout=30) as c:
            await asyncio.to_thread(own_redis.stop)
            r = await c.delete(url, headers=auth(tokens["alice"]))
            assert r.status_code == 503, r.text
            assert r.headers.get("retry-after") and "not ended" in r.json()["detail"]
            assert (await c.get(url, headers=auth(tokens["vic"]))).json()["status"] == "open"
            await asyncio.to_thread(own_redis.start)
            assert (await c.delete(url, headers=auth(tokens["alice"]))).status_code == 204
            assert (await c.get(url, headers=auth(tokens["vic"]))).json()["status"] == "ended"
        got = await asyncio.wait_for(
            watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}", Received()), 10
        )
        assert got.ended and got.seqs == [0, 1]
    finally:
        srv.stop()


@pytest.mark.parametrize("persist", [False, True], ids=["no-persistence", "aof"])
async def test_seq_is_never_reissued_after_a_redis_restart(
    persist: bool, settings: Settings, tokens: dict[str, str]
) -> None:
    store = ThrowawayRedis(persist=persist)
    srv = UvicornServer(server_env(settings, REDIS_URL=store.url))
    try:
        s = await open_session(srv.base, tokens["alice"])
        present = f"{srv.ws}{s['presentPath']}?token={tokens['alice']}"
        async with websockets.connect(present) as ws:
            before = await present_frames(ws, [make_frame(i) for i in range(5)])
            await ws.close(1001)
        await asyncio.to_thread(store.stop)
        await asyncio.to_thread(store.start)
        async with websockets.connect(present) as ws:
            after = await present_frames(ws, [make_frame(i) for i in range(5, 8)])
            assert await end_session(ws) == 1000
        seqs = [a["seq"] for a in before + after]
        assert seqs == sorted(set(seqs)), f"sequence numbers issued twice: {seqs}"
        if persist:  # nothing was lost, so nothing is skipped either
            assert seqs == list(range(8))
        got = await watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}", Received())
        assert got.ended and got.seqs == [a["seq"] for a in (after if not persist else before
                                                             + after)]  # fmt: skip
    finally:
        srv.stop()
        store.cleanup()


async def test_embedded_redis_runs_with_aof(tmp_path: Path) -> None:
    import os
    import signal

    import redis as sync_redis

    from registry_api._embedded import EmbeddedServices

    emb = EmbeddedServices(tmp_path)
    url = await asyncio.to_thread(emb.redis_url)
    client = sync_redis.Redis.from_url(url)
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.xadd("qt:probe", {"f": b"kept"})
        pid = int(client.info("server")["process_id"])
    finally:
        client.close()
    os.kill(pid, signal.SIGKILL)  # no shutdown save: only the AOF can bring it back
    # Restart as soon as the main thread is a zombie: its socket may still accept for a while.
    await eventually(lambda: not _alive(pid))
    emb2 = EmbeddedServices(tmp_path)
    url = await asyncio.to_thread(emb2.redis_url)
    client = sync_redis.Redis.from_url(url)
    try:
        assert [f for _, f in client.xrange("qt:probe")] == [{b"f": b"kept"}]
    finally:
        client.close()
        await asyncio.to_thread(emb2.stop)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        return fh.read().split(") ", 1)[1][0] != "Z"


async def test_presenter_end_during_postgres_outage_closes_4503(
    own_postgres: ThrowawayPostgres, settings: Settings
) -> None:
    conf = dataclasses.replace(settings, database_url=own_postgres.url, pool_min=1, pool_max=3,
                               redis_prefix=f"qt_test_{secrets.token_hex(4)}:")  # fmt: skip
    server, task, port = await start_in_process(create_app(conf))
    try:
        conn = await asyncpg.connect(own_postgres.url)
        uid = await conn.fetchval(
            "INSERT INTO users (username, password_hash, role) VALUES ('pia', $1, 'researcher')"
            " RETURNING id",
            await hash_password("irrelevant-pw"),
        )
        await conn.close()
        jwt = make_jwt_auth(conf.jwt_secret, 900)
        token = jwt.create_token(str(uid), token_issuer=ISSUER, token_audience=ISSUER)
        s = await open_session(f"http://127.0.0.1:{port}", token)
        present = f"ws://127.0.0.1:{port}{s['presentPath']}?token={token}"
        async with websockets.connect(present) as ws:
            await present_frames(ws, [make_frame(0)])
            await asyncio.to_thread(own_postgres.stop)
            assert await end_session(ws) == 4503
        await asyncio.to_thread(own_postgres.start)
        async with websockets.connect(present) as ws:  # the session is still open: end it now
            assert await end_session(ws) == 1000
    finally:
        server.should_exit = True
        await task
