"""WebSocket client helpers for the live-session tests and the benchmark."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import json
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

__all__ = [
    "FrameSkipper",
    "Received",
    "StalledViewer",
    "end_session",
    "open_session",
    "present_frames",
    "trickle_all",
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


class LeanViewer(asyncio.Protocol):
    """A viewer socket for load benchmarks: whole server messages to two callbacks, little else.

    The load benchmark runs 100 viewers in one process beside the server, on the same cores;
    with ``websockets``' client they took about a third of a core to receive 30 frames/s
    each, CPU taken from the server they measure (and, when the cores were busy, a wait for
    a core that the latency then counted). This one parses the server's unmasked, unfragmented
    frames from one buffer and calls ``on_text``/``on_binary`` with each payload, in the
    ``data_received`` call that completed it; pings are answered, a close frame ends it.
    """

    def __init__(
        self, on_text: Callable[[bytes], None], on_binary: Callable[[bytes], None]
    ) -> None:
        self.on_text, self.on_binary = on_text, on_binary
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        loop = asyncio.get_running_loop()
        self.handshake: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()

    @classmethod
    async def open(
        cls, url: str, on_text: Callable[[bytes], None], on_binary: Callable[[bytes], None]
    ) -> LeanViewer:
        """Connect to ``url`` (``ws://``) and finish the opening handshake."""
        uri = parse_uri(url)
        _, viewer = await asyncio.get_running_loop().create_connection(
            lambda: cls(on_text, on_binary), uri.host, uri.port
        )
        key = base64.b64encode(os.urandom(16)).decode()
        assert viewer.transport is not None
        viewer.transport.write(
            f"GET {uri.resource_name} HTTP/1.1\r\nHost: {uri.host}:{uri.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await asyncio.wait_for(viewer.handshake, 30)
        return viewer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.handshake.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buf[: self.buf.find(b"\r\n")])
            del self.buf[: end + 4]
            if not status.startswith(b"HTTP/1.1 101"):
                self.handshake.set_exception(ConnectionError(f"handshake refused: {status!r}"))
                return
            self.handshake.set_result(None)
        buf, pos, n = self.buf, 0, len(self.buf)
        while n - pos >= 2:
            first, size = buf[pos], buf[pos + 1] & 0x7F
            head = 2
            if size >= 126:
                head = 4 if size == 126 else 10
                if n - pos < head:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + head], "big")
            if n - pos < head + size:
                break
            if not first & 0x80 or buf[pos + 1] & 0x80:
                raise ValueError("a fragmented or masked server frame")
            payload = bytes(buf[pos + head : pos + head + size])
            pos += head + size
            opcode = first & 0x0F
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 2:
                self.on_binary(payload)
            elif opcode == 9:
                self._send(0xA, payload)
            elif opcode == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                if not self.closed.done():
                    self.closed.set_result(code)
                self.close()
                break
        del buf[:pos]

    def _send(self, opcode: int, payload: bytes) -> None:
        """A client frame (masked, at most 125 bytes: pongs and the close)."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def close(self, code: int = 1000) -> None:
        """Send a close frame and drop the connection."""
        self._send(0x8, code.to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()


class FrameSkipper:
    """Follows a server's WebSocket frames (unmasked) without keeping their payloads.

    :meth:`feed` takes bytes as they arrive, in pieces of any size, counts the frames and
    returns the payloads of the pings that completed (to be answered); a close frame sets
    :attr:`close_code`. Only control frames (at most 125 bytes) are buffered.
    """

    def __init__(self) -> None:
        self.frames = 0  #: frames completed (control frames included)
        self.close_code: int | None = None
        self._head = bytearray()  # a frame header being read
        self._skip = 0  # payload bytes of a data frame still to skip
        self._control: tuple[int, int] | None = None  # opcode, length of a control frame
        self._payload = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        pings: list[bytes] = []
        view = memoryview(data)
        while view:
            if self._skip:
                step = min(self._skip, len(view))
                self._skip -= step
                view = view[step:]
                if not self._skip:
                    self.frames += 1
                continue
            if self._control is not None:
                opcode, length = self._control
                step = min(length - len(self._payload), len(view))
                self._payload += view[:step]
                view = view[step:]
                if len(self._payload) == length:
                    self._finish_control(opcode, bytes(self._payload), pings)
                continue
            self._head += view[:1]
            view = view[1:]
            if len(self._head) < 2:
                continue
            size = self._head[1] & 0x7F
            need = 2 + (2 if size == 126 else 8 if size == 127 else 0)
            if len(self._head) < need:
                continue
            if self._head[1] & 0x80:
                raise ValueError("a server frame is masked")
            length = size if need == 2 else int.from_bytes(self._head[2:need], "big")
            opcode = self._head[0] & 0x0F
            self._head.clear()
            if opcode >= 0x8:  # control frame: keep its payload
                self._control, self._payload = (opcode, length), bytearray()
                if length == 0:
                    self._finish_control(opcode, b"", pings)
            elif length:
                self._skip = length
            else:
                self.frames += 1
        return pings

    def _finish_control(self, opcode: int, payload: bytes, pings: list[bytes]) -> None:
        self._control = None
        self.frames += 1
        if opcode == Opcode.PING.value:
            pings.append(payload)
        elif opcode == Opcode.CLOSE.value:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005


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
        self.read_bytes = 0  #: bytes read by :func:`trickle_all`
        self._skipper: FrameSkipper | None = None  # set by trickle_all

    async def open(self) -> StalledViewer:
        """Connect and finish the opening handshake.

        Only the handshake's bytes are taken from the socket (found with ``MSG_PEEK``):
        frames the server sends right after it stay there for :meth:`read_all` or
        :func:`trickle_all`, which then start at a frame boundary.
        """
        loop = asyncio.get_running_loop()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.setblocking(False)
        uri = parse_uri(self.url)
        await loop.sock_connect(self.sock, (uri.host, uri.port))
        self.proto.send_request(self.proto.connect())
        await loop.sock_sendall(self.sock, b"".join(self.proto.data_to_send()))
        async with asyncio.timeout(10):
            while True:
                readable = loop.create_future()
                loop.add_reader(self.sock, readable.set_result, None)
                try:
                    await readable
                finally:
                    loop.remove_reader(self.sock)
                head = self.sock.recv(1 << 16, socket.MSG_PEEK)
                if not head:
                    raise ConnectionError("closed during the handshake")
                end = head.find(b"\r\n\r\n")
                if end >= 0:
                    self._feed(self.sock.recv(end + 4))
                    break
                await asyncio.sleep(0.005)  # the rest of the headers is on its way
            while self.status is None:  # not 101: a response body may follow
                data = await loop.sock_recv(self.sock, 4096)
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

    @property
    def closed_by_server(self) -> bool:
        """Whether the server's close frame has arrived (read by :func:`trickle_all` or not)."""
        skipper = self._skipper
        return self.proto.close_rcvd is not None or (
            skipper is not None and skipper.close_code is not None
        )

    async def read_all(self, timeout: float = 30.0) -> Received:
        """Read until the server closes; returns the frames and the close code."""
        if self._skipper is not None:
            raise RuntimeError("read_all after trickle_all: the frames were skipped, not kept")
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


def trickle_all(
    viewers: list[StalledViewer],
    rate: float,
    seconds: float,
    stop: threading.Event | None = None,
) -> None:
    """Read each viewer at most ``rate`` bytes per second for ``seconds`` (or until ``stop``),
    answering pings: slow readers that are still alive. Blocking; run it in a thread.

    One thread polls every socket with one selector and skips the frames
    (:class:`FrameSkipper`): the benchmark runs these beside the server on the same cores,
    and an asyncio task per viewer parsing each 8 KiB read into 512 KiB messages cost the
    reading process more CPU than the abuse cost the server. What the server sees is the
    same: small reads from a tiny receive window, ``rate`` bytes per second each. After this
    a viewer is only good for :meth:`StalledViewer.close` and
    :attr:`StalledViewer.closed_by_server`.
    """
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    deadline = start + seconds
    for v in viewers:
        v.read_bytes, v._skipper = 0, FrameSkipper()
        v.sock.setblocking(False)
        sel.register(v.sock, selectors.EVENT_READ, v)
    resting: list[tuple[float, int, StalledViewer]] = []  # (when to read again, tiebreak, v)
    try:
        while (now := time.monotonic()) < deadline and not (stop is not None and stop.is_set()):
            while resting and resting[0][0] <= now:
                v = heapq.heappop(resting)[2]
                sel.register(v.sock, selectors.EVENT_READ, v)
            wake = min(deadline, resting[0][0] if resting else deadline, now + 0.1)
            if not sel.get_map():
                time.sleep(max(0.0, wake - now))
                continue
            for key, _ in sel.select(max(0.0, wake - now)):
                v = key.data
                try:
                    data = v.sock.recv(1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                skipper = v._skipper
                assert skipper is not None
                if data:
                    v.read_bytes += len(data)
                    for ping in skipper.feed(data):
                        v.proto.send_pong(ping)
                    out = b"".join(v.proto.data_to_send())
                    if out:
                        v.sock.setblocking(True)  # a pong of a few bytes: never blocks long
                        v.sock.sendall(out)
                        v.sock.setblocking(False)
                if not data or skipper.close_code is not None:
                    sel.unregister(v.sock)
                    continue
                ahead = start + v.read_bytes / rate - time.monotonic()
                if ahead > 0:
                    sel.unregister(v.sock)
                    heapq.heappush(resting, (time.monotonic() + ahead, id(v), v))
    finally:
        sel.close()
