"""Live sessions and accounts that really change: revocation, ending, outages, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from registry_api._settings import Settings

from ._support import ROOT, UvicornServer, eventually, free_port, make_frame, scrape, wait_http
from ._ws import Received, end_session, open_session, present_frames, watch_until
from .conftest import auth, server_env

pytestmark = [pytest.mark.asyncio, pytest.mark.xdist_group("live")]


async def _close_code(url: str, send: Any = None, timeout: float = 20) -> int | None:
    """Connect, optionally send one message, and return the close code the server sends."""
    async with websockets.connect(url) as ws:
        try:
            if send is not None:
                await ws.send(send)
            while True:
                await asyncio.wait_for(ws.recv(), timeout)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None


@pytest.mark.parametrize("last_id", ["18446744073709551616-0", "0-18446744073709551616",
                                     "99999999999999999999-1"])  # fmt: skip
async def test_watch_rejects_stream_ids_beyond_64_bits(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str], last_id: str
) -> None:
    a, _ = servers
    s = await open_session(a.base, tokens["alice"])
    url = f"{a.ws}{s['watchPath']}?token={tokens['vic']}&last_id={last_id}"
    assert await _close_code(url) == 4400


@pytest.mark.parametrize("text", [
    '{"type": "end", "x": ' + "[" * 5000 + "]" * 5000 + "}",
    "[" * 100_000,
    '{"type": "ack"}',
    '{"type": "end"' + " " * 5000 + "}",
])  # fmt: skip
async def test_presenter_bad_text_is_answered_not_fatal(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str], text: str
) -> None:
    a, _ = servers
    s = await open_session(a.base, tokens["alice"])
    async with websockets.connect(f"{a.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
        await ws.send(text)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "error" and reply["code"] == "bad_message", reply
        assert (await present_frames(ws, [make_frame(0)]))[0]["seq"] == 0
        assert await end_session(ws) == 1000


async def _user(base: str, admin: str, role: str, password: str = "pass-word-1") -> tuple[int, str]:
    """Create an account over the API and sign in: ``(id, token)``."""
    name = f"u{uuid.uuid4().hex[:10]}"
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/v1/users", headers=auth(admin),
                         json={"username": name, "password": password, "role": role})  # fmt: skip
        assert r.status_code == 201, r.text
        t = await c.post("/api/v1/token", json={"username": name, "password": password})
        return int(r.json()["id"]), str(t.json()["accessToken"])


async def _patch_user(base: str, admin: str, uid: int, **change: Any) -> None:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.patch(f"/api/v1/users/{uid}", json=change, headers=auth(admin))
        assert r.status_code == 200, r.text


async def _closed_with(ws: Any, timeout: float = 15) -> tuple[int | None, list[Any]]:
    """Read until the server closes ``ws``: ``(close code, messages read meanwhile)``."""
    got = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                got.append(await ws.recv())
    except websockets.ConnectionClosed as exc:
        return (exc.rcvd.code if exc.rcvd else None), got


async def test_open_sockets_honour_deactivation_role_and_password_changes(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str], settings: Settings
) -> None:
    a, b = servers
    admin = tokens["admin"]
    viewer_id, viewer = await _user(a.base, admin, "viewer")
    presenter_id, presenter = await _user(a.base, admin, "researcher")
    changer_id, changer = await _user(a.base, admin, "viewer")
    quiet_id, quiet = await _user(a.base, admin, "viewer")
    s = await open_session(a.base, presenter)
    watch = f"{b.ws}{s['watchPath']}?token="
    async with (
        websockets.connect(f"{b.ws}{s['presentPath']}?token={presenter}") as pres,
        websockets.connect(watch + viewer) as w_viewer,
        websockets.connect(watch + changer) as w_changer,
        websockets.connect(watch + quiet) as w_quiet,
    ):
        await present_frames(pres, [make_frame(0)])
        # deactivation (changed on instance a) reaches the viewer on instance b
        t0 = time.monotonic()
        await _patch_user(a.base, admin, viewer_id, active=False)
        code, _ = await _closed_with(w_viewer)
        print(f"deactivation reached the other instance in {time.monotonic() - t0:.3f} s")
        assert code == 4401
        # a researcher demoted to viewer may no longer present: closed, nothing more stored
        await _patch_user(a.base, admin, presenter_id, role="viewer")
        code, msgs = await _closed_with(pres)
        assert code == 4403 and msgs == []
        # a password change revokes the tokens issued before it, over HTTP and on sockets
        await _patch_user(a.base, admin, changer_id, password="another-pass-2")
        code, _ = await _closed_with(w_changer)
        assert code == 4401
        async with httpx.AsyncClient(base_url=b.base) as c:
            assert (await c.get("/api/v1/me", headers=auth(changer))).status_code == 401
            fresh = await c.post("/api/v1/token", json={
                "username": (await c.get(f"/api/v1/users/{changer_id}", headers=auth(admin))
                             ).json()["username"], "password": "another-pass-2"})  # fmt: skip
            assert (await c.get("/api/v1/me", headers=auth(fresh.json()["accessToken"]))
                    ).status_code == 200  # fmt: skip
        # a change written straight to the database (no notification) is caught by the
        # periodic re-check within WS_RECHECK_SECONDS
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute("UPDATE users SET active = false WHERE id = $1", quiet_id)
        finally:
            await conn.close()
        code, _ = await _closed_with(w_quiet, timeout=settings.ws_recheck_seconds + 10)
        assert code == 4401
    stored = await watch_until(f"{a.ws}{s['watchPath']}?token={tokens['vic']}", Received(),
                               stop_after=1)  # fmt: skip
    assert stored.seqs == [0]


async def test_admin_end_stops_a_connected_presenter(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    a, b = servers
    s = await open_session(a.base, tokens["alice"])
    async with websockets.connect(f"{a.ws}{s['presentPath']}?token={tokens['alice']}") as ws:
        acks = await present_frames(ws, [make_frame(i) for i in range(3)])
        async with httpx.AsyncClient(base_url=b.base) as c:
            r = await c.delete(f"/api/v1/sessions/{s['id']}", headers=auth(tokens["admin"]))
            assert r.status_code == 204
        with contextlib.suppress(websockets.ConnectionClosed):  # closed already: fine
            await ws.send(make_frame(3))
        code, msgs = await _closed_with(ws)
    assert code == 4409
    assert not any(isinstance(m, str) and '"ack"' in m for m in msgs), msgs
    watch = f"{b.ws}{s['watchPath']}?token={tokens['vic']}"
    resumed = await asyncio.wait_for(watch_until(f"{watch}&last_id={acks[-1]['id']}",
                                                 Received()), 10)  # fmt: skip
    assert resumed.ended and resumed.frames == []
    full = await asyncio.wait_for(watch_until(watch, Received()), 10)
    assert full.ended and full.seqs == [0, 1, 2]


async def test_viewers_that_leave_at_once_are_released(
    servers: tuple[UvicornServer, UvicornServer], tokens: dict[str, str]
) -> None:
    # Closing right after the handshake used to leave the handler (and the session's tail)
    # behind for good: the cancellation of its stream task was swallowed mid-subscribe.
    a, _ = servers
    s = await open_session(a.base, tokens["alice"])
    for _ in range(5):
        async with websockets.connect(f"{a.ws}{s['watchPath']}?token={tokens['vic']}"):
            pass
    released = {"qt_ws_active_viewers": 0.0, "qt_stream_tails": 0.0}
    await eventually(lambda: _metrics_are(a.base, released))


async def _metrics_are(base: str, want: dict[str, float]) -> bool:
    got = await scrape(base)
    return all(got.get(k) == v for k, v in want.items())


async def test_serve_does_not_compress_websockets(
    settings: Settings, tokens: dict[str, str]
) -> None:
    # permessage-deflate of 512 KiB frames costs a core per fast viewer that asks for it
    port = free_port()
    env = {**os.environ, **server_env(settings), "QT_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "registry_api", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, base + "/ready", 30, proc)
        s = await open_session(base, tokens["alice"])
        url = f"ws://127.0.0.1:{port}{s['watchPath']}?token={tokens['vic']}"
        async with websockets.connect(url, compression="deflate") as ws:
            assert ws.response is not None
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
    finally:
        proc.terminate()
        proc.wait(10)
