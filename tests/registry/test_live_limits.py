"""Resource limits of live sessions: replay memory, slow viewers, Redis quotas.

Each test that floods something runs its own server on its own throwaway Redis, never the
machine's shared one.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import websockets
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app

from ._servers import ThrowawayRedis
from ._support import (
    UvicornServer,
    eventually,
    make_frame,
    peak_rss_mib,
    rss_mib,
    scrape,
)
from ._ws import Received, StalledViewer, end_session, open_session, present_frames, watch_until
from .conftest import auth, server_env

pytestmark = [pytest.mark.asyncio, pytest.mark.xdist_group("limits")]


@pytest.fixture
def volatile_redis() -> Iterator[ThrowawayRedis]:
    """A private redis-server without persistence (fast to fill)."""
    server = ThrowawayRedis(persist=False)
    yield server
    server.cleanup()


def _reset_peak_rss(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


async def test_replay_memory_is_bounded_whatever_the_viewers(
    volatile_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    # 8 viewers replay a 60 MiB session (120 frames of 512 KiB) and stop reading at once.
    # Reading whole batches of frames per viewer used to hold 8 x 60 MiB; paged replay holds
    # about one page (REPLAY_PAGE_BYTES) plus one frame in flight per viewer.
    env = server_env(settings, REDIS_URL=volatile_redis.url, MAX_FRAME_BYTES=str(1 << 20),
                     REPLAY_PAGE_BYTES=str(1 << 20))  # fmt: skip
    srv = UvicornServer(env)
    stalled: list[StalledViewer] = []
    try:
        s = await open_session(srv.base, tokens["alice"])
        frames = [make_frame(i, payload=os.urandom(512 * 1024)) for i in range(120)]
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}",
                                      max_size=None) as ws:  # fmt: skip
            await present_frames(ws, frames)
            assert await end_session(ws) == 1000
        del frames[1:]
        pid = srv.proc.pid
        base = rss_mib(pid)
        _reset_peak_rss(pid)
        watch = f"{srv.ws}{s['watchPath']}?token={tokens['vic']}&last_id=0-0"
        stalled = [await StalledViewer(watch).open() for _ in range(8)]
        # every viewer has had its replay started (and, before the fix, read every frame)
        await eventually(lambda: _sent_at_least(srv.base, 8))
        growth = peak_rss_mib(pid) - base
        print(f"server RSS {base:.0f} MiB idle; peak +{growth:.0f} MiB with 8 stalled viewers")
        assert growth < 120, f"replay of 8 stalled viewers grew the server by {growth:.0f} MiB"
        # a slow viewer is not dropped by replay: it gets everything once it reads again
        got = await stalled[0].read_all(timeout=60)
        assert got.ended and got.seqs == list(range(120))
        assert got.frames[0][2] == frames[0]
    finally:
        for v in stalled:
            v.close()
        srv.stop()


async def _sent_at_least(base: str, n: int) -> bool:
    return (await scrape(base)).get("qt_frames_out_total", 0) >= n


async def test_slow_live_viewer_is_dropped_and_resumes(
    volatile_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    # A viewer whose socket stops draining must not pin frames without bound: past
    # VIEWER_QUEUE_BYTES it is closed with 1013 (counted in qt_ws_viewer_drops_total) and
    # resumes from its last id with nothing lost; a normal viewer is unaffected.
    env = server_env(settings, REDIS_URL=volatile_redis.url, MAX_FRAME_BYTES=str(64 * 1024),
                     VIEWER_QUEUE_BYTES=str(256 * 1024))  # fmt: skip
    srv = UvicornServer(env)
    slow: StalledViewer | None = None
    try:
        s = await open_session(srv.base, tokens["alice"])
        watch = f"{srv.ws}{s['watchPath']}?token={tokens['vic']}"
        normal = asyncio.create_task(watch_until(watch, Received()))
        slow = await StalledViewer(watch).open()
        await eventually(lambda: _metric_is(srv.base, "qt_ws_active_viewers", lambda v: v == 2))
        frames = [make_frame(i, payload=os.urandom(32 * 1024)) for i in range(100)]
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, frames)
            await eventually(
                lambda: _metric_is(srv.base, "qt_ws_viewer_drops_total", lambda v: v >= 1)
            )
            got = await slow.read_all()
            assert got.close_code == 1013 and not got.ended
            assert got.seqs == list(range(len(got.frames))) and len(got.frames) < 100
            resume = asyncio.create_task(
                watch_until(f"{watch}&last_id={got.frames[-1][0]}", Received())
            )
            await eventually(lambda: _metric_is(srv.base, "qt_ws_active_viewers", lambda v: v == 2))
            assert await end_session(ws) == 1000
        rest = await asyncio.wait_for(resume, 30)
        assert rest.ended
        assert [f for _, _, f in got.frames + rest.frames] == frames
        seen = await asyncio.wait_for(normal, 30)
        assert seen.ended and seen.seqs == list(range(100))
    finally:
        if slow is not None:
            slow.close()
        srv.stop()


async def test_viewer_that_stops_reading_is_closed_after_a_stall(
    volatile_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    # A replaying viewer has no queue to overflow: one that stops reading altogether used to
    # keep its handler, its page and its socket forever. After VIEWER_STALL_SECONDS without
    # accepting data it is closed with 1013 and can resume.
    env = server_env(settings, REDIS_URL=volatile_redis.url, MAX_FRAME_BYTES=str(128 * 1024),
                     VIEWER_STALL_SECONDS="2")  # fmt: skip
    srv = UvicornServer(env)
    stalled: StalledViewer | None = None
    try:
        s = await open_session(srv.base, tokens["alice"])
        frames = [make_frame(i, payload=os.urandom(64 * 1024)) for i in range(100)]
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, frames)
            assert await end_session(ws) == 1000
        watch = f"{srv.ws}{s['watchPath']}?token={tokens['vic']}"
        stalled = await StalledViewer(watch).open()
        await eventually(lambda: _metric_is(srv.base, "qt_ws_viewer_drops_total", lambda v: v >= 1))
        await eventually(lambda: _metric_is(srv.base, "qt_ws_active_viewers", lambda v: v == 0))
        got = await stalled.read_all()
        assert got.close_code == 1013 and not got.ended
        assert got.seqs == list(range(len(got.frames))) and len(got.frames) < 100
        rest = await watch_until(f"{watch}&last_id={got.frames[-1][0]}", Received())
        assert rest.ended and [f for _, _, f in got.frames + rest.frames] == frames
    finally:
        if stalled is not None:
            stalled.close()
        srv.stop()


async def _metric_is(base: str, name: str, ok: Any) -> bool:
    return bool(ok((await scrape(base)).get(name, 0.0)))


async def test_stream_bytes_are_capped_and_keys_expire(
    volatile_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    env = server_env(settings, REDIS_URL=volatile_redis.url, MAX_FRAME_BYTES=str(16 * 1024),
                     STREAM_MAX_BYTES=str(64 * 1024), SESSION_IDLE_SECONDS="3600")  # fmt: skip
    srv = UvicornServer(env)
    r = aioredis.Redis.from_url(volatile_redis.url)
    try:
        s = await open_session(srv.base, tokens["alice"])
        frames = [make_frame(i, payload=os.urandom(8 * 1024)) for i in range(40)]
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, frames)
            key = f"{settings.redis_prefix}session:{s['id']}:frames"
            entries = await r.xrange(key)
            stored = sum(len(f[b"f"]) for _, f in entries)
            assert stored <= 64 * 1024, f"{stored} bytes kept; the cap is 65536"
            seqs = [int(f[b"n"]) for _, f in entries]
            assert seqs == list(range(40 - len(seqs), 40))  # the newest, without gaps
            assert 0 < await r.ttl(key) <= 3600 + 24 * 3600
            late = await watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}",
                                     Received(), stop_after=len(seqs))  # fmt: skip
            assert late.seqs == seqs and [f for _, _, f in late.frames] == frames[seqs[0] :]
            assert await end_session(ws) == 1000
        assert 0 < await r.ttl(key) <= 24 * 3600
    finally:
        await r.aclose()
        srv.stop()


async def test_idle_session_is_ended(
    volatile_redis: ThrowawayRedis, settings: Settings, tokens: dict[str, str]
) -> None:
    env = server_env(settings, REDIS_URL=volatile_redis.url, SESSION_IDLE_SECONDS="2")
    srv = UvicornServer(env)
    try:
        s = await open_session(srv.base, tokens["alice"])
        viewer = asyncio.create_task(
            watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}", Received())
        )
        async with websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, [make_frame(0)])
            # the presenter stays connected but sends nothing: the session ends anyway
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 20)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409
        got = await asyncio.wait_for(viewer, 20)
        assert got.ended and got.seqs == [0]
        async with httpx.AsyncClient(base_url=srv.base) as c:
            info = (await c.get(f"/api/v1/sessions/{s['id']}", headers=auth(tokens["vic"]))).json()
        assert info["status"] == "ended"
    finally:
        srv.stop()


async def test_open_sessions_per_researcher_are_limited(
    settings: Settings, tokens: dict[str, str]
) -> None:
    import dataclasses

    app = create_app(dataclasses.replace(settings, max_open_sessions=2))
    async with AsyncTestClient(app=app) as client:
        name = f"lim-{uuid.uuid4().hex[:8]}"
        made = await client.post("/api/v1/users", headers=auth(tokens["admin"]),
                                 json={"username": name, "password": "pass-word-1",
                                       "role": "researcher"})  # fmt: skip
        assert made.status_code == 201
        tok = (await client.post("/api/v1/token",
                                 json={"username": name, "password": "pass-word-1"})
               ).json()["accessToken"]  # fmt: skip
        h = auth(tok)
        tries = await asyncio.gather(
            *(client.post("/api/v1/sessions", json={"title": f"t{i}"}, headers=h)
              for i in range(5))
        )  # fmt: skip
        codes = sorted(t.status_code for t in tries)
        assert codes == [201, 201, 409, 409, 409], codes
        refused = next(t for t in tries if t.status_code == 409)
        assert "2 open sessions" in refused.json()["detail"]
        first = next(t for t in tries if t.status_code == 201).json()
        assert (
            await client.delete(f"/api/v1/sessions/{first['id']}", headers=h)
        ).status_code == 204
        again = await client.post("/api/v1/sessions", json={"title": "again"}, headers=h)
        assert again.status_code == 201
