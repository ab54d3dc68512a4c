"""WebSocket client helpers for the live-session tests and the benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

__all__ = ["Received", "end_session", "open_session", "present_frames", "watch_until"]


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
