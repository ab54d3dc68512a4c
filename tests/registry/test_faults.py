"""Fault tests: Redis restarts mid-session, Postgres goes away mid-publishing.

They start their own throwaway servers; the machine's shared services are never touched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Iterator

import asyncpg
import pytest
import websockets
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._security import ISSUER, hash_password, make_jwt_auth

from ._servers import ThrowawayPostgres, ThrowawayRedis
from ._support import UvicornServer, make_frame, run_body
from ._ws import Received, end_session, open_session, present_frames, watch_until
from .conftest import auth, server_env

pytestmark = [pytest.mark.asyncio, pytest.mark.xdist_group("faults")]


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
        await asyncio.sleep(0.3)
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            acks = await present_frames(ws, frames[:10])
            await asyncio.to_thread(own_redis.stop)
            # frames sent while Redis is down are held by the presenter socket and retried
            during = asyncio.create_task(present_frames(ws, frames[10:15]))
            await asyncio.sleep(1.0)
            assert not during.done()
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
