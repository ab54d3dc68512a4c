"""Redis Streams fan-out for live sessions.

Each session has one stream (``<prefix>session:<id>:frames``). Presenters ``XADD`` frames
(``f`` = frame bytes, ``n`` = sequence number) with an approximate ``MAXLEN``; the end of a
session is an entry with ``end`` = 1. Every API instance runs at most one tail task per session
with local viewers (an ``XREAD BLOCK`` loop that remembers the last id, as Litestar's
``RedisChannelsStreamBackend`` does) and copies each entry into its viewers' queues, so N viewers
cost one Redis read, not N. A viewer that (re)connects first replays ``XRANGE (last_id +``
and then follows the live queue, skipping ids it already sent, so nothing still in the stream
is missed. Redis failures are retried with back-off; ids keep increasing across a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry_api._metrics import STREAM_TAILS

__all__ = [
    "CLOSED",
    "OVERFLOW",
    "Entry",
    "StreamHub",
    "Subscriber",
    "parse_stream_id",
]

_log = logging.getLogger("registry_api.streams")
_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
RETRYABLE = (RedisConnectionError, RedisTimeoutError, OSError)

# Number the frame and append it in one atomic step, so seq order == stream order even if a
# presenter reconnects (or two sockets race); the counter lives next to the stream.
_APPEND_FRAME = """
local n = redis.call('INCR', KEYS[2]) - 1
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'f', ARGV[1], 'n', n)
return {id, n}
"""


def parse_stream_id(value: str) -> tuple[int, int]:
    """Parse a Redis stream id ``"<ms>-<seq>"``.

    Raises:
        ValueError: If ``value`` is not of that form.
    """
    if not _ID_RE.match(value):
        raise ValueError(f"stream id {value!r} is not of the form '<ms>-<seq>'")
    ms, _, seq = value.partition("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class Entry:
    """One stream entry: a frame (``data``) or the end marker (``end``)."""

    id: str
    key: tuple[int, int]
    seq: int
    data: bytes | None
    end: bool

    @classmethod
    def from_redis(cls, raw_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
        """Decode an entry as returned by redis-py (bytes keys and values)."""
        sid = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
        return cls(
            id=sid,
            key=parse_stream_id(sid),
            seq=int(fields.get(b"n", b"-1")),
            data=fields.get(b"f"),
            end=fields.get(b"end") == b"1",
        )


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OVERFLOW = _Sentinel("OVERFLOW")  #: the viewer fell too far behind; it should reconnect
CLOSED = _Sentinel("CLOSED")  #: the instance is shutting down


@dataclass(eq=False)
class Subscriber:
    """A local viewer's queue of entries from one session's tail."""

    key: str
    limit: int
    queue: asyncio.Queue[Entry | _Sentinel] = field(default_factory=asyncio.Queue)
    overflowed: bool = False

    def offer(self, item: Entry | _Sentinel) -> None:
        """Enqueue ``item``; past ``limit`` queued entries, enqueue :data:`OVERFLOW` once."""
        if self.overflowed:
            return
        if isinstance(item, Entry) and self.queue.qsize() >= self.limit:
            self.overflowed = True
            self.queue.put_nowait(OVERFLOW)
            return
        self.queue.put_nowait(item)


class _Tail:
    def __init__(self, hub: StreamHub, key: str) -> None:
        self.hub = hub
        self.key = key
        self.subs: set[Subscriber] = set()
        self.last_id = "0-0"
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            last: Any = await self.hub.redis.xrevrange(self.key, "+", "-", count=1)
            self.last_id = last[0][0].decode() if last else "0-0"
        except BaseException as exc:
            self.ready.set_exception(exc)
            self.ready.exception()  # mark retrieved
            raise
        self.ready.set_result(None)
        self.task = asyncio.create_task(self._run(), name=f"tail:{self.key}")

    async def _run(self) -> None:
        STREAM_TAILS.inc()
        try:
            await self._loop()
        finally:
            STREAM_TAILS.dec()

    async def _loop(self) -> None:
        delay = 0.05
        while self.subs and not self.hub.closed:
            try:
                resp: Any = await self.hub.redis.xread(
                    {self.key: self.last_id}, count=500, block=self.hub.block_ms
                )
                delay = 0.05
            except asyncio.CancelledError:
                raise
            except (*RETRYABLE, RedisError) as exc:
                if self.hub.closed or not self.subs:
                    return
                _log.warning(
                    "stream tail retrying",
                    extra={"key": self.key, "error": repr(exc), "viewers": len(self.subs)},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            for _key, entries in resp or []:
                for raw_id, fields in entries:
                    entry = Entry.from_redis(raw_id, fields)
                    self.last_id = entry.id
                    for sub in list(self.subs):
                        sub.offer(entry)


class StreamHub:
    """Per-instance fan-out of session streams to local viewers.

    Args:
        redis: A redis-py asyncio client with ``decode_responses=False``.
        prefix: Key prefix.
        maxlen: Approximate ``MAXLEN`` for ``XADD``.
        block_ms: ``XREAD BLOCK`` timeout.
        queue_limit: Entries a viewer may lag before it is told to reconnect.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "qt:",
        maxlen: int = 10_000,
        block_ms: int = 2000,
        queue_limit: int = 1024,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.maxlen = maxlen
        self.block_ms = block_ms
        self.queue_limit = queue_limit
        self._tails: dict[str, _Tail] = {}
        self.closed = False
        self._append_frame = redis.register_script(_APPEND_FRAME)

    def key(self, session_id: Any) -> str:
        """Redis key of a session's frame stream."""
        return f"{self.prefix}session:{session_id}:frames"

    async def subscribe(self, key: str) -> Subscriber:
        """Register a local viewer of ``key``; every entry after this call reaches its queue."""
        if self.closed:
            raise RuntimeError("stream hub is closed")
        sub = Subscriber(key=key, limit=self.queue_limit)
        tail = self._tails.get(key)
        if tail is None:
            tail = _Tail(self, key)
            self._tails[key] = tail
            tail.subs.add(sub)
            try:
                await tail.start()
            except BaseException:
                self._tails.pop(key, None)
                raise
        else:
            tail.subs.add(sub)
            try:
                await asyncio.shield(tail.ready)
            except BaseException:
                tail.subs.discard(sub)
                raise
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Remove a viewer; the tail stops when its last viewer leaves."""
        tail = self._tails.get(sub.key)
        if tail is None:
            return
        tail.subs.discard(sub)
        if not tail.subs:
            self._tails.pop(sub.key, None)
            if tail.task is not None:
                tail.task.cancel()

    async def read_after(self, key: str, after_id: str, count: int = 500) -> list[Entry]:
        """``XRANGE key (after_id + COUNT count`` decoded to entries."""
        raw: Any = await self.redis.xrange(key, f"({after_id}", "+", count=count)
        return [Entry.from_redis(i, f) for i, f in raw]

    async def last_entry(self, key: str) -> Entry | None:
        """The newest entry of ``key`` (``None`` when the stream is empty or missing)."""
        raw: Any = await self.redis.xrevrange(key, "+", "-", count=1)
        return Entry.from_redis(*raw[0]) if raw else None

    async def append_frame(
        self, key: str, frame: bytes, *, retry_for: float = 30.0
    ) -> tuple[str, int]:
        """Append ``frame`` with the session's next sequence number (atomic, retried).

        Returns:
            ``(stream id, seq)``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_for
        delay = 0.05
        while True:
            try:
                raw: Any = await self._append_frame(
                    keys=[key, key + ":seq"], args=[frame, self.maxlen]
                )
                sid = raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])
                return sid, int(raw[1])
            except RETRYABLE:
                if loop.time() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def append(self, key: str, fields: dict[Any, Any], *, retry_for: float = 30.0) -> str:
        """``XADD`` with approximate ``MAXLEN``, retrying connection errors for ``retry_for`` s.

        Returns:
            The new entry's id.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_for
        delay = 0.05
        while True:
            try:
                raw = await self.redis.xadd(
                    key,
                    fields,
                    maxlen=self.maxlen,
                    approximate=True,
                )
                return raw.decode() if isinstance(raw, bytes) else str(raw)
            except RETRYABLE:
                if loop.time() + delay > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def close(self) -> None:
        """Stop every tail and tell every local viewer the instance is going away."""
        self.closed = True
        tasks = []
        for tail in list(self._tails.values()):
            if tail.task is not None:
                tail.task.cancel()
                tasks.append(tail.task)
            for sub in tail.subs:
                sub.queue.put_nowait(CLOSED)
        self._tails.clear()
        await asyncio.gather(*tasks, return_exceptions=True)
