"""Operations: request ids in JSON logs, 500s logged, readiness timeouts, graceful shutdown."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import pytest
import websockets
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import create_app
from registry_api._logging import JsonFormatter

from ._support import make_frame, run_body, start_in_process
from ._ws import Received, open_session, present_frames, watch_until
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Collect the ``registry_api`` JSON log lines written inside the block."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("registry_api")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


async def test_request_id_generated_returned_and_logged(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    with captured_logs() as buf:
        r = await client.get("/api/v1/runs?limit=1", headers=auth(tokens["vic"]))
    rid = r.headers["x-request-id"]
    assert len(rid) == 32 and int(rid, 16) >= 0
    access = [x for x in _lines(buf) if x["logger"] == "registry_api.access"]
    assert len(access) == 1
    assert access[0]["requestId"] == rid and access[0]["status"] == 200
    assert access[0]["path"] == "/api/v1/runs" and "token" not in json.dumps(access[0])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123.X:y_z", True), ("has space", False), ("x" * 65, False), ("a/b", False)],
)
async def test_request_id_from_client_only_when_safe(
    client: AsyncTestClient[Litestar], sent: str, kept: bool
) -> None:
    r = await client.get("/health", headers={"X-Request-ID": sent})
    assert (r.headers["x-request-id"] == sent) is kept
    if not kept:
        assert len(r.headers["x-request-id"]) == 32


async def test_unexpected_error_is_500_and_logged_with_request_id(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any) -> Any:
        raise RuntimeError("scorer exploded")

    monkeypatch.setattr("registry_api._run_store.score_run", boom)
    with captured_logs() as buf:
        r = await client.post(
            "/api/v1/runs", json=run_body("ops-500"), headers=auth(tokens["alice"])
        )
    assert r.status_code == 500 and "exploded" not in r.text  # no internals to the client
    errors = [x for x in _lines(buf) if x["level"] == "error"]
    assert len(errors) == 1
    err = errors[0]
    assert err["logger"] == "registry_api.errors" and err["path"] == "/api/v1/runs"
    assert err["requestId"] == r.headers["x-request-id"]
    assert "RuntimeError: scorer exploded" in err["exc"]


@asynccontextmanager
async def _silent_tcp_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers (a hung backend)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


async def test_ready_times_out_on_hung_redis(replace_settings: Any) -> None:
    async with _silent_tcp_server() as port:
        app = create_app(replace_settings(redis_url=f"redis://127.0.0.1:{port}/0"))
        async with AsyncTestClient(app) as c:
            r = await c.get("/ready")
            assert (await c.get("/health")).status_code == 200
    assert r.status_code == 503
    assert r.json()["checks"] == {"postgres": "ok", "redis": "unavailable: TimeoutError"}


async def test_ready_reports_refused_redis(replace_settings: Any) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        app = create_app(replace_settings(redis_url=f"redis://127.0.0.1:{port}/0"))
        async with AsyncTestClient(app) as c:
            r = await c.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"] == {"postgres": "ok", "redis": "unavailable: ConnectionError"}


async def test_graceful_shutdown_closes_sockets_and_pools(
    settings: Any, tokens: dict[str, str]
) -> None:
    app = create_app(settings)
    server, task, port = await start_in_process(app, timeout_graceful_shutdown=5)
    try:
        base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        s = await open_session(base, tokens["alice"], "shutdown")
        presenter = await websockets.connect(f"{ws_base}{s['presentPath']}?token={tokens['alice']}")
        await present_frames(presenter, [make_frame(0)])
        got = Received()
        viewer = asyncio.create_task(
            watch_until(f"{ws_base}{s['watchPath']}?token={tokens['vic']}", got)
        )
        for _ in range(100):
            if got.frames:
                break
            await asyncio.sleep(0.05)
        with captured_logs() as buf:
            server.should_exit = True
            await asyncio.wait_for(task, 20)
            await asyncio.wait_for(viewer, 10)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await presenter.recv()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)
    # 1012 "service restart" from uvicorn (or 1001 from the app): both mean "reconnect"
    assert got.seqs == [0] and got.close_code in (1001, 1012) and not got.ended
    assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012)
    assert app.state.hub.closed and app.state.db._pool is None
    messages = [x["msg"] for x in _lines(buf)]
    assert "registry shutting down" in messages
    conn = await asyncpg.connect(settings.database_url)
    try:  # a shutdown is not the presenter ending the session: it stays open for a reconnect
        status = await conn.fetchval("SELECT status FROM live_sessions WHERE id = $1",
                                     uuid.UUID(s["id"]))  # fmt: skip
    finally:
        await conn.close()
    assert status == "open"


async def test_service_info_is_public_and_names_the_service(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1")
    assert r.status_code == 200
    body = r.json()
    assert body["service"] == "quantumtime-registry"
    assert body["apiVersion"] == "v1"


async def test_startup_objects_are_frozen_out_of_the_collector(settings: Any) -> None:
    """The app's long-lived startup objects leave the collector's reach while it runs (so a
    full collection under load scans only what requests made), and come back at shutdown."""
    import gc

    app = create_app(settings)
    before = gc.get_freeze_count()
    async with AsyncTestClient(app) as c:
        assert (await c.get("/ready")).status_code == 200
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0
