"""The documented ways to start the registry bound request heads and keep tokens out of logs.

Each test starts a throwaway server process: the README's multi-instance ``uvicorn --factory``
command (read from the README, so the documentation is what is tested) and ``serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from registry_api import Settings

from ._support import ROOT, free_port, wait_http
from .conftest import auth, server_env

pytestmark = pytest.mark.xdist_group("server-options")


def _readme_uvicorn_command() -> list[str]:
    text = (ROOT / "registry_api" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(python -m uvicorn --factory registry_api:create_app.*?)```", text,
                      re.S)  # fmt: skip
    assert block, "README.md has no uvicorn --factory command block"
    return shlex.split(block.group(1).replace("\\\n", " "))


def _start(cmd: list[str], env: dict[str, str], log: Path, port: int) -> subprocess.Popen[bytes]:
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stderr=fh, stdout=fh)
    try:
        wait_http(f"http://127.0.0.1:{port}/ready", timeout=60, proc=proc)
    except BaseException:
        proc.kill()
        raise
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def readme_server(settings: Settings, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The README's command on a free port, logging at uvicorn's trace level."""
    port = free_port()
    cmd = _readme_uvicorn_command()
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[0:1] = [sys.executable]
    cmd += ["--log-level", "trace"]  # access lines and raw ASGI messages, headers included
    log = tmp_path / "server.log"
    env = server_env(settings, QT_LOG_LEVEL="INFO", LOGIN_IP_FAILURES="3", HTTP_READ_TIMEOUT="2",
                     REDIS_KEY_PREFIX=f"qt_test_{uuid.uuid4().hex[:12]}:")  # fmt: skip
    proc = _start(cmd, env, log, port)
    try:
        yield port, log
    finally:
        _stop(proc)


def _raw_request(port: int, head: bytes) -> bytes:
    """Send ``head`` and return what the server answers before it closes (or b'')."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(head)
        try:
            return s.recv(4096)
        except ConnectionResetError:
            return b""


def _assert_forwarded_for_ignored(port: int) -> None:
    """With LOGIN_IP_FAILURES=3: failures claiming other addresses still count for the peer."""
    names = [f"nobody{uuid.uuid4().hex[:8]}" for _ in range(3)]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
        for i, name in enumerate([*names, names[0]]):
            r = c.post("/api/v1/token", json={"username": name, "password": "guess"},
                       headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})  # fmt: skip
            assert r.status_code == (429 if i == 3 else 401), r.text


def _assert_head_bounded(port: int, token: str) -> None:
    small = (f"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
             f"X-Pad: {'a' * 8000}\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
    assert _raw_request(port, small).startswith(b"HTTP/1.1 200")
    big = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (1024 * 1024) + b"\r\n\r\n"
    answer = _raw_request(port, big)
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:100]
    assert answer == b"" or answer.split(b" ", 2)[1] in (b"400", b"431"), answer[:100]
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200  # still serving


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes | None) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` while we send ``trickle`` (one
    header line) every 0.25 s, or nothing."""
    sock.settimeout(0.25)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if trickle is not None:
                sock.sendall(trickle)
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


async def _assert_slow_requests_cut(port: int, tokens: dict[str, str]) -> None:
    """Slowloris, with HTTP_READ_TIMEOUT=2: uvicorn alone kept connections that trickle a
    header line every few seconds, or send nothing, open for ever. Now they are closed; a
    request sent in two parts within the deadline, a keep-alive connection idle between
    requests and a WebSocket open past the deadline all still work."""
    addr = ("127.0.0.1", port)
    with socket.create_connection(addr) as slow, socket.create_connection(addr) as silent:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        assert _closed_within(slow, 15, b"X-Trickle: 1\r\n"), "trickling head kept open"
        assert _closed_within(silent, 5, None), "silent connection kept open"
    with socket.create_connection(addr, timeout=30) as ok:
        ok.sendall(b"GET /health HTTP/1.1\r\n")
        time.sleep(0.5)
        ok.sendall(b"Host: x\r\n\r\n")
        assert ok.recv(4096).startswith(b"HTTP/1.1 200")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        assert (await c.get("/health")).status_code == 200
        await asyncio.sleep(1.5)  # idle on the same keep-alive connection, under 5 s
        assert (await c.get("/health")).status_code == 200
        r = await c.post("/api/v1/sessions", json={"title": "t"}, headers=auth(tokens["alice"]))
        assert r.status_code == 201, r.text
        session = r.json()
    url = f"ws://127.0.0.1:{port}{session['watchPath']}?token={tokens['vic']}"
    async with websockets.connect(url) as ws:
        await asyncio.sleep(3)  # past the read deadline
        await asyncio.wait_for(await ws.ping(), 10)


async def test_readme_command_bounds_headers_ignores_xff_redacts_tokens(
    readme_server: tuple[int, Path], tokens: dict[str, str]
) -> None:
    port, log = readme_server
    token = tokens["vic"]
    _assert_head_bounded(port, token)
    _assert_forwarded_for_ignored(port)
    await _assert_slow_requests_cut(port, tokens)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
        assert (await c.get("/api/v1/me", headers=auth(token))).status_code == 200
        assert (await c.get(f"/api/v1/me?token={token}")).status_code == 200
    url = f"ws://127.0.0.1:{port}/api/v1/sessions/{uuid.uuid4()}/watch?last_id=0-0&token={token}"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "/api/v1/me?token=[redacted]" in text  # the access log is on, and redacted
    assert "watch?last_id=0-0&token=[redacted]" in text
    assert "'query_string': b'token=[redacted]'" in text  # the trace log's ASGI scope
    assert "Logging error" not in text  # uvicorn's formatters still get their arguments
    assert re.search(r'^INFO: .*"GET /api/v1/me\?token=\[redacted\] HTTP/1.1" 200', text, re.M)
    signature = token.rsplit(".", 1)[1]
    assert token not in text and signature not in text


async def test_serve_bounds_headers_and_ignores_forwarded_for(
    settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    """``serve`` (uvicorn.run with the service's options): heads bounded, XFF not believed."""
    port = free_port()
    cmd = [sys.executable, "-m", "registry_api", "serve", "--port", str(port)]
    env = server_env(settings, LOGIN_IP_FAILURES="3", HTTP_READ_TIMEOUT="2",
                     REDIS_KEY_PREFIX=f"qt_test_{uuid.uuid4().hex[:12]}:")  # fmt: skip
    proc = _start(cmd, env, tmp_path / "serve.log", port)
    try:
        _assert_head_bounded(port, tokens["vic"])
        _assert_forwarded_for_ignored(port)
        await _assert_slow_requests_cut(port, tokens)
    finally:
        _stop(proc)
