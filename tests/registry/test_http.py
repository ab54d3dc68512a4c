"""BoundedHttpToolsProtocol: a head limit counted per request, a read deadline per request.

The README's command and ``serve`` are tested end to end in ``test_server_options``; these
tests serve the app in-process to reach what those cannot: many requests on one keep-alive
connection, and a deadline short enough to outlive.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from registry_api import Settings, _http, create_app
from registry_api._http import bounded_httptools

from ._support import run_body, start_in_process

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, split: int = 0
) -> tuple[int, bytes]:
    """Send one request (the first ``split`` bytes, a pause, the rest: two reads for the
    server); return the status and body of its response (``0`` if closed)."""
    if split:
        writer.write(request[:split])
        await writer.drain()
        await asyncio.sleep(0.05)
    writer.write(request[split:])
    status_line = await asyncio.wait_for(reader.readline(), 30)
    if not status_line:
        return 0, b""
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return int(status_line.split()[1]), await reader.readexactly(length)


async def test_head_limit_counts_each_request_on_a_keep_alive_connection(
    settings: Settings, tokens: dict[str, str]
) -> None:
    """12 heads of 8 KB on one connection, each arriving in two reads, pass a 16 KiB limit
    (96 KB in all); a 40 KB body arriving in the same write as its head does not count as
    head; a 20 KB head gets 431, whether it arrives in one read or in two."""
    app = create_app(settings)
    server, task, port = await start_in_process(app, http=bounded_httptools(16 * 1024))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        pad = b"a" * 8000
        for _ in range(12):
            request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + pad + b"\r\n\r\n"
            status, _ = await _exchange(reader, writer, request, split=4000)
            assert status == 200
        results = {"counts": {"00": 510, "11": 514}, "blob": ["x" * 1000] * 40}
        body = json.dumps(run_body("http-big", results=results)).encode()
        assert len(body) > 40_000
        head = (
            f"POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['alice']}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        status, answer = await _exchange(reader, writer, head + body)
        assert status == 201, answer[:200]
        big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"
        status, answer = await _exchange(reader, writer, big)
        assert status == 431 and b"16384" in answer
        assert await asyncio.wait_for(reader.read(), 10) == b""  # and the connection closed
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        status, answer = await _exchange(reader, writer, big, split=12_000)
        assert status == 431
        writer.close()
    finally:
        server.should_exit = True
        await task


async def test_read_deadline_is_per_request_not_per_connection(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 1 s deadline, a connection that sends a quick request every 0.3 s for 2.5 s
    stays open (each request has its own deadline), and one that stops half-way through a
    head is closed."""
    monkeypatch.setattr(_http, "read_timeout", lambda: 1)
    app = create_app(settings)
    server, task, port = await start_in_process(app, http=bounded_httptools(64 * 1024))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        start = loop.time()
        served = 0
        while loop.time() - start < 2.5:
            status, _ = await _exchange(reader, writer, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status == 200, f"request {served} after {loop.time() - start:.1f} s"
            served += 1
            await asyncio.sleep(0.3)
        assert served >= 6
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, with no answer
        assert loop.time() - start < 2.5 + 10
        writer.close()
    finally:
        server.should_exit = True
        await task
