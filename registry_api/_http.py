"""uvicorn's h11 protocol with a deadline for reading each request (slowloris).

uvicorn times out idle keep-alive connections but not a request that is still arriving: a
client that opens a connection and sends one header line every few seconds holds it (and a
file descriptor) for ever, and a few thousand such clients exhaust the process. Here each
request must arrive whole, head and body, within ``HTTP_READ_TIMEOUT`` seconds (default 30)
of its first byte, or of the connection opening; otherwise the connection is closed. The
deadline ends once the request is read, so a slow handler, a long download or a WebSocket
(which leaves this protocol at its upgrade) is never cut by it.

Start uvicorn with ``--http registry_api:TimedH11Protocol`` (``serve`` does this itself); it
keeps every h11 option, such as ``--h11-max-incomplete-event-size``.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from registry_api._settings import _int_env

__all__ = ["TimedH11Protocol", "read_timeout"]

_log = logging.getLogger("registry_api.http")

#: h11 states of the peer while its request is still arriving
_READING = (h11.IDLE, h11.SEND_BODY)


@cache
def read_timeout() -> int:
    """``HTTP_READ_TIMEOUT``: seconds a request may take to arrive (head and body)."""
    return _int_env("HTTP_READ_TIMEOUT", 30)


class TimedH11Protocol(H11Protocol):
    """:class:`H11Protocol` that closes a connection whose request does not arrive in time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is cut too

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self._disarm()  # closed, or upgraded to a WebSocket
        elif self.conn.their_state in _READING:
            if self._read_deadline is None:  # from the first byte of this request
                self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._read_deadline = self.loop.call_later(read_timeout(), self._expired)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _expired(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return
        if self.conn.their_state in _READING:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
            _log.info(
                "request not received within the read timeout: connection closed",
                extra={"client": client, "timeout_s": read_timeout()},
            )
            self.transport.close()
