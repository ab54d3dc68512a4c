"""WebSocket client helpers for the live-session tests and the benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

__all__ = [
    "Received",
    "StalledViewer",
    "end_session",
    "open_session",
    "present_frames",
    "watch_until",
]


@dataclass
class Received:
    """What a viewer got: ``(stream id, seq, frame bytes)`` in order, and how it ended."""

    frames: list[tuple[str, int, bytes]] = field(default_factory=list)
    ended: bool = False
    close_code: int | None = None

    @property
    def seqs(self) -> list[int]:
        """Sequence numbers in arrival order."""
        return [s for _, s, _ in self.frames]


async def open_session(base: str, token: str, title: str = "live") -> dict[str, Any]:
    """Create a session over HTTP and return its JSON."""
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/v1/sessions", json={"title": title},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        r.raise_for_status()
        return dict(r.json())


async def watch_until(ws_url: str, out: Received, *, stop_after: int | None = None) -> Received:
    """Consume a watch socket into ``out`` until ``end``, close, or ``stop_after`` frames."""
    async with websockets.connect(ws_url, max_size=None) as ws:
        try:
            while True:
                msg = await ws.recv()
                assert isinstance(msg, str), f"expected a JSON text message, got {msg!r:.60}"
                meta = json.loads(msg)
                if meta["type"] == "end":
                    out.ended = True
                    return out
                assert meta["type"] == "frame", meta
                data = await ws.recv()
                assert isinstance(data, bytes)
                out.frames.append((meta["id"], meta["seq"], data))
                if stop_after is not None and len(out.frames) >= stop_after:
                    return out
        except websockets.ConnectionClosed as exc:
            out.close_code = exc.rcvd.code if exc.rcvd else None
            return out


async def present_frames(ws: Any, frames: list[bytes]) -> list[dict[str, Any]]:
    """Send frames on an open presenter socket and return the acks."""
    acks = []
    for f in frames:
        await ws.send(f)
        ack = json.loads(await ws.recv())
        assert ack["type"] == "ack", ack
        acks.append(ack)
    return acks


async def end_session(ws: Any) -> int | None:
    """Send ``{"type": "end"}`` and wait until the server has closed the socket (so the end
    is committed); returns the close code."""
    await ws.send(json.dumps({"type": "end"}))
    try:
        while True:
            await ws.recv()
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


class StalledViewer:
    """A WebSocket client that completes the handshake and then stops reading.

    Its receive buffer is tiny, so the server's sends block (TCP back-pressure) as they would
    for a client that never reads, or reads slower than frames arrive. :meth:`read_all` later
    reads what the server sent (frames in order, then the close code).
    """

    def __init__(self, url: str, *, rcvbuf: int = 4096) -> None:
        self.url = url
        self.rcvbuf = rcvbuf
        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.sock = socket.socket()
        self.status: int | None = None
        self._text: dict[str, Any] | None = None
        self.got = Received()
        self.read_bytes = 0  #: bytes read by :meth:`trickle`

    async def open(self) -> StalledViewer:
        """Connect and finish the opening handshake (frames already received are kept)."""
        loop = asyncio.get_running_loop()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.setblocking(False)
        uri = parse_uri(self.url)
        await loop.sock_connect(self.sock, (uri.host, uri.port))
        self.proto.send_request(self.proto.connect())
        await loop.sock_sendall(self.sock, b"".join(self.proto.data_to_send()))
        while self.status is None:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 4096), 10)
            if not data:
                raise ConnectionError("closed during the handshake")
            self._feed(data)
        return self

    def _feed(self, data: bytes) -> None:
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if isinstance(event, Response):
                self.status = event.status_code
            elif event.opcode is Opcode.TEXT:
                meta = json.loads(bytes(event.data))
                if meta["type"] == "end":
                    self.got.ended = True
                else:
                    self._text = meta
            elif event.opcode is Opcode.BINARY and self._text is not None:
                self.got.frames.append((self._text["id"], self._text["seq"], bytes(event.data)))
                self._text = None
        self.proto.data_to_send()  # pongs and the close reply: a stalled client sends nothing

    async def trickle(self, rate: float, seconds: float) -> int:
        """Read at most ``rate`` bytes per second for ``seconds``, answering pings (a slow
        reader that is still alive); returns the bytes read."""
        loop = asyncio.get_running_loop()
        total, start = 0, loop.time()
        chunk = max(1, int(rate / 20))
        self.read_bytes = 0
        while (now := loop.time()) < start + seconds and self.proto.close_rcvd is None:
            ahead = start + total / rate - now
            if ahead > 0:
                await asyncio.sleep(min(ahead, start + seconds - now))
                continue
            try:  # asyncio.timeout, not wait_for, which can swallow a cancellation (< 3.12)
                async with asyncio.timeout(start + seconds - now):
                    data = await loop.sock_recv(self.sock, chunk)
            except TimeoutError:
                break
            if not data:
                break
            total += len(data)
            self.read_bytes = total
            self.proto.receive_data(data)
            for _ in self.proto.events_received():  # frames are counted, not kept
                pass
            out = b"".join(self.proto.data_to_send())  # pongs
            if out:
                await loop.sock_sendall(self.sock, out)
        return total

    async def read_all(self, timeout: float = 30.0) -> Received:
        """Read until the server closes; returns the frames and the close code."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while self.proto.close_rcvd is None:
                data = await loop.sock_recv(self.sock, 1 << 20)
                if not data:
                    self.proto.receive_eof()
                    break
                self._feed(data)
        rcvd = self.proto.close_rcvd
        self.got.close_code = rcvd.code if rcvd is not None else None
        return self.got

    def close(self) -> None:
        """Drop the TCP connection."""
        with contextlib.suppress(OSError):
            self.sock.close()
