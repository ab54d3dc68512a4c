"""uvicorn's httptools HTTP/1.1 protocol with a deadline for reading each request (slowloris), and a
bound on the request head for httptools.

uvicorn times out idle keep-alive connections but not a request that is still arriving: a
client that opens a connection and sends one header line every few seconds holds it (and a
file descriptor) for ever, and a few thousand such clients exhaust the process. Here each
request must arrive whole, head and body, within ``HTTP_READ_TIMEOUT`` seconds (default 30)
of its first byte, or of the connection opening; otherwise the connection is closed. The
deadline ends once the request is read, so a slow handler, a long download or a WebSocket
(which leaves this protocol at its upgrade) is never cut by it.

:class:`BoundedHttpToolsProtocol` (what ``serve`` and the README's multi-instance command
use) is uvicorn's ``httptools`` protocol (llhttp, in C), which on its own buffers a request's
headers whatever their size (8 × 50 MiB headers held 492 MiB). It answers ``431`` and closes
the connection when a request head (request line and headers) is larger than
``MAX_HEADER_BYTES`` (64 KiB by default): a head that arrives in one read is measured when it
is parsed, one still arriving after each read, so a connection holds at most the limit plus
one read (256 KiB) of head. Start uvicorn with ``--http registry_api:BoundedHttpToolsProtocol``
(httptools comes with ``litestar[standard]``, the registry's own dependency).
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from registry_api._settings import _int_env

__all__ = [
    "BoundedHttpToolsProtocol",
    "bounded_httptools",
    "max_header_bytes",
    "read_timeout",
]

_log = logging.getLogger("registry_api.http")


@cache
def read_timeout() -> int:
    """``HTTP_READ_TIMEOUT``: seconds a request may take to arrive (head and body)."""
    return _int_env("HTTP_READ_TIMEOUT", 30)


@cache
def max_header_bytes() -> int:
    """``MAX_HEADER_BYTES``: the largest request head (request line + headers) accepted."""
    return _int_env("MAX_HEADER_BYTES", 64 * 1024, minimum=4096)


_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


class _HeadTooLargeError(Exception):
    """Raised from a parser callback; uvicorn turns it into its 400 path, which answers 431."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that refuses request heads larger than
    :attr:`max_head_bytes` (``431``) and closes a connection whose request does not arrive
    within :func:`read_timeout` seconds of its first byte (or of the connection opening).

    The deadline costs one timer per connection, not per request: a request only records when
    it started, and the timer, when it fires, closes the connection if a request is still
    arriving past its deadline, or re-arms itself for the one that is.
    """

    #: the largest request head accepted (``None``: :func:`max_header_bytes`)
    max_head_bytes: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit = self.max_head_bytes or max_header_bytes()
        self._head_open = True  # (the rest of) a request head is awaited
        self._head_bytes = 0
        self._too_large = False
        self._reading = True  # a request is arriving (or awaited on a new connection)
        self._read_since = 0.0
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._read_since = self.loop.time()
        self._arm(read_timeout())  # a connection that never sends a byte is cut too

    def data_received(self, data: bytes) -> None:
        if not self._reading:  # the first bytes of the next request on this connection
            self._reading = True
            self._read_since = self.loop.time()
            if self._read_timer is None:
                self._arm(read_timeout())
        if self._head_open:
            self._head_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self._disarm()  # closed, or upgraded to a WebSocket
        elif self._head_open and self._head_bytes > self._head_limit:  # still arriving
            self._too_large = True
            self.send_400_response("")

    def on_headers_complete(self) -> None:
        # the head as parsed: request line, then "name: value\r\n" per header
        size = len(self.parser.get_method()) + len(self.url) + 11
        size += sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self._head_limit:
            self._too_large = True
            raise _HeadTooLargeError  # httptools stops; uvicorn calls send_400_response
        self._head_open = False
        self._head_bytes = 0
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse; ``431`` for a head too large."""
        if not self._too_large:
            super().send_400_response(msg)
            return
        if self.transport.is_closing():
            return
        text = f"request head larger than {self._head_limit} bytes".encode()
        _log.info("request head too large: connection closed", extra={
            "client": f"{self.client[0]}:{self.client[1]}" if self.client else "?",
            "max_bytes": self._head_limit,
        })  # fmt: skip
        self._disarm()
        self.transport.write(_TOO_LARGE % (len(text), text))
        self.transport.close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True  # the next bytes start a new head
        self._reading = False  # read whole: the deadline no longer applies

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, delay: float) -> None:
        self._read_timer = self.loop.call_later(delay, self._expired)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _expired(self) -> None:
        self._read_timer = None
        if not self._reading or self.transport.is_closing():
            return  # the next request arms the timer again
        if self.transport.get_protocol() is not self:
            return
        left = self._read_since + read_timeout() - self.loop.time()
        if left > 0:  # a later request, still within its own deadline
            self._arm(left)
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        _log.info(
            "request not received within the read timeout: connection closed",
            extra={"client": client, "timeout_s": read_timeout()},
        )
        self.transport.close()


def bounded_httptools(max_head_bytes: int) -> type[BoundedHttpToolsProtocol]:
    """:class:`BoundedHttpToolsProtocol` with its own head limit (``uvicorn.run(http=...)``)."""
    return type(
        "BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), {"max_head_bytes": max_head_bytes}
    )
