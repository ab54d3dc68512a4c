"""Live sessions over real uvicorn instances sharing one Redis and one Postgres."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from registry_api._settings import Settings

from ._support import UvicornServer, eventually, make_frame, scrape
from ._ws import Received, end_session, open_session, present_frames, watch_until
from .conftest import server_env

pytestmark = [pytest.mark.asyncio, pytest.mark.xdist_group("live")]


async def _viewers_at_least(base: str, n: int) -> bool:
    return (await scrape(base)).get("qt_ws_active_viewers", 0.0) >= n


async def _metric(base: str, name: str, value: float) -> bool:
    return (await scrape(base)).get(name) == value


async def _status_is(base: str, session_id: str, token: str, status: str) -> bool:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get(
            f"/api/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"}
        )
    return bool(r.json()["status"] == status)


async def _close_code(url: str, send: bytes | None = None) -> int | None:
    async with websockets.connect(url) as ws:
        try:
            if send is not None:
                await ws.send(send)
            await asyncio.wait_for(ws.recv(), 20)
            await asyncio.wait_for(ws.recv(), 20)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
    return None


async def test_live_fanout_across_two_instances(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, b = servers
    s = await open_session(a.base, tokens["alice"])
    viewers = [Received() for _ in range(4)]
    tasks = [
        asyncio.create_task(watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}", r))
        for srv, r in zip((a, a, b, b), viewers, strict=True)
    ]
    for srv in (a, b):  # the viewers are following live (they would replay anyway)
        await eventually(lambda srv=srv: _viewers_at_least(srv.base, 2))
    frames = [make_frame(i) for i in range(30)]
    async with websockets.connect(f"{b.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
        acks = await present_frames(ws, frames)
        assert await end_session(ws) == 1000
    assert [x["seq"] for x in acks] == list(range(30))
    await asyncio.wait_for(asyncio.gather(*tasks), 15)
    for r in viewers:
        assert r.ended
        assert r.seqs == list(range(30))
        assert [f for _, _, f in r.frames] == frames
        assert [i for i, _, _ in r.frames] == [x["id"] for x in acks]


async def test_live_resume_from_last_id_without_loss(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, b = servers
    s = await open_session(a.base, tokens["alice"])
    watch = f"{s['watchPath']}?token={tokens['vic']}"
    frames = [make_frame(i) for i in range(20)]
    async with websockets.connect(f"{a.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
        first = Received()
        task = asyncio.create_task(watch_until(f"{a.ws}{watch}", first, stop_after=4))
        await present_frames(ws, frames[:10])
        await asyncio.wait_for(task, 30)
        assert first.seqs == [0, 1, 2, 3]
        await present_frames(ws, frames[10:])  # sent while the viewer is away
        resumed = Received()
        last_id = first.frames[-1][0]
        task = asyncio.create_task(watch_until(f"{b.ws}{watch}&last_id={last_id}", resumed))
        await eventually(lambda: _viewers_at_least(b.base, 1))
        assert await end_session(ws) == 1000
    await asyncio.wait_for(task, 30)
    assert resumed.ended
    assert first.seqs + resumed.seqs == list(range(20))
    assert [f for _, _, f in first.frames + resumed.frames] == frames


async def test_live_join_after_end_replays_then_ends(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, b = servers
    s = await open_session(a.base, tokens["bob"])
    async with websockets.connect(f"{a.ws}{s['presentPath']}?token={tokens['bob']}") as ws:
        await present_frames(ws, [make_frame(i) for i in range(3)])
        await ws.close(1001)  # "going away": the session stays open for a reconnect
    async with httpx.AsyncClient(base_url=b.base) as c:  # presenter left without "end"
        got = await c.get(s["watchPath"].rsplit("/", 1)[0],
                          headers={"Authorization": f"Bearer {tokens['vic']}"})  # fmt: skip
        assert got.json()["status"] == "open"
        r = await c.delete(s["watchPath"].rsplit("/", 1)[0],
                           headers={"Authorization": f"Bearer {tokens['bob']}"})  # fmt: skip
        assert r.status_code == 204
    late = await asyncio.wait_for(
        watch_until(f"{b.ws}{s['watchPath']}?token={tokens['vic']}", Received()), 10
    )
    assert late.ended and late.seqs == [0, 1, 2]


async def test_live_socket_permissions_and_errors(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, _ = servers
    s = await open_session(a.base, tokens["alice"])
    present, watch = a.ws + s["presentPath"], a.ws + s["watchPath"]
    assert await _close_code(f"{watch}") == 4401
    assert await _close_code(f"{watch}?token=garbage") == 4401
    assert await _close_code(f"{present}?token={tokens['ghost']}") == 4401
    assert await _close_code(f"{present}?token={tokens['vic']}") == 4403
    assert await _close_code(f"{present}?token={tokens['bob']}") == 4403
    assert await _close_code(f"{watch}?token={tokens['vic']}&last_id=nope") == 4400
    missing = s["watchPath"].replace(s["id"], "00000000-0000-4000-8000-000000000000")
    assert await _close_code(f"{a.ws}{missing}?token={tokens['vic']}") == 4404
    async with websockets.connect(present, additional_headers={
            "Authorization": f"Bearer {tokens['alice']}"}) as ws:  # fmt: skip
        await ws.send(b"QTFR-not-a-frame")
        err = json.loads(await ws.recv())
        assert err["type"] == "error" and err["code"] == "bad_frame"
        await ws.send(make_frame(0, payload=b"x" * 5000))  # over MAX_FRAME_BYTES (4096)
        err = json.loads(await ws.recv())
        assert err["code"] == "bad_frame" and "limit" in err["message"]
        await ws.send("hello")
        assert json.loads(await ws.recv())["code"] == "bad_message"
        assert await end_session(ws) == 1000
    assert await _close_code(f"{present}?token={tokens['alice']}") == 4409


async def test_live_metrics_count_frames(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, _ = servers
    s = await open_session(a.base, tokens["alice"])
    viewer = asyncio.create_task(
        watch_until(f"{a.ws}{s['watchPath']}?token={tokens['vic']}", Received())
    )
    await eventually(lambda: _viewers_at_least(a.base, 1))
    async with httpx.AsyncClient(base_url=a.base) as c:
        text = (await c.get("/metrics")).text
        assert "qt_ws_active_viewers 1.0" in text
        async with websockets.connect(f"{a.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
            await present_frames(ws, [make_frame(0), make_frame(1)])
            assert await end_session(ws) == 1000
        await asyncio.wait_for(viewer, 30)
        text = (await c.get("/metrics")).text
    values = {ln.split()[0]: float(ln.split()[1]) for ln in text.splitlines()
              if ln and not ln.startswith("#")}  # fmt: skip
    assert values["qt_frames_in_total"] >= 2 and values["qt_frames_out_total"] >= 2
    assert values["qt_stream_lag_seconds_count"] >= 2
    assert any(k.startswith("qt_http_requests_total") for k in values)
    assert values["qt_ws_active_viewers"] == 0
    # the tail stops with its last viewer (within one XREAD BLOCK)
    await eventually(lambda: _metric(a.base, "qt_stream_tails", 0.0))


async def test_live_graceful_shutdown_closes_viewers(
    settings: object, tokens: dict[str, str], servers: tuple[UvicornServer, UvicornServer]
) -> None:
    srv = UvicornServer(server_env(settings))  # type: ignore[arg-type]
    try:
        s = await open_session(srv.base, tokens["alice"])
        got = Received()
        task = asyncio.create_task(
            watch_until(f"{srv.ws}{s['watchPath']}?token={tokens['vic']}", got)
        )
        await eventually(lambda: _viewers_at_least(srv.base, 1))
        srv.proc.terminate()
        await asyncio.wait_for(task, 30)
        assert got.close_code in (1001, 1012)
        # uvicorn re-raises SIGTERM after a clean shutdown, so -15 is a clean exit too
        assert await asyncio.to_thread(srv.proc.wait, 10) in (0, -15)
    finally:
        srv.stop()


async def test_live_presenter_hanging_up_after_end_is_not_an_error(
    settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    # A presenter that sends "end" and drops the connection at once used to make the
    # server's closing handshake raise ClientDisconnected, logged as an unhandled error.
    log = tmp_path / "server.log"
    srv = UvicornServer(server_env(settings), log_path=log)
    try:
        for _ in range(3):
            s = await open_session(srv.base, tokens["alice"])
            ws = await websockets.connect(f"{srv.ws}{s['presentPath']}?token={tokens['alice']}")
            await present_frames(ws, [make_frame(0)])
            await ws.send(json.dumps({"type": "end"}))
            await ws.close()  # the client closes first, as the benchmark's presenter does
            await eventually(lambda s=s: _status_is(srv.base, s["id"], tokens["vic"], "ended"))
        await eventually(lambda: _metric(srv.base, "qt_ws_active_presenters", 0.0))
    finally:
        srv.stop()
    text = log.read_text(errors="replace")
    assert "unhandled error" not in text, text[-2000:]
