"""Redis Streams fan-out for live sessions, with bounded memory everywhere.

Each session has one stream (``<prefix>session:<id>:frames``, fields ``f`` = frame bytes and
``n`` = sequence number; the end marker has ``end`` = 1), a small hash beside it
(``...:frames:meta``: ``next`` sequence number, ``lease``, stored ``bytes``, ``end`` flag) and
a size index (``...:frames:sizes``: a stream with the same ids, fields ``s`` = the entry's
size as a page counts it and ``b`` = its frame bytes), so that pages and trimming are measured
without copying frames. Lua scripts keep the three consistent: appending numbers the frame,
refuses once the session has ended, trims the oldest frames past ``maxlen`` entries or
``max_bytes`` bytes, and refreshes the keys' time to live. A stream written before the index
existed gets none (its pages are read the old way); a new stream always starts with one.

Sequence numbers are leased from Postgres in blocks (:data:`SEQ_LEASE`): Redis may issue a
number only below its lease, and a lease is recorded in Postgres before Redis sees it. If Redis
loses its data (a restart without persistence), numbering resumes at the recorded lease: the
jump shows viewers what was lost, and no number is ever issued twice.

Memory: every read is a page of at most ``page_bytes`` (or one entry, if a single frame is
larger), replay included, so a viewer that stops reading pins one page plus the frame being
sent. Every API instance runs at most one tail per session with local viewers (a
``XREAD BLOCK`` loop, as Litestar's ``RedisChannelsStreamBackend``), which copies entries into
its viewers' queues, so N viewers cost one Redis read. A queue holds at most ``queue_bytes``;
a viewer that falls further behind is dropped (it resumes from its last id). While a viewer
replays, its queue stores nothing: it only notes how far the tail got, and the viewer reads
on from Redis until it has caught up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry_api._metrics import STREAM_TAILS
from registry_api._wire import Entry, decode_entry

__all__ = [
    "CLOSED",
    "OVERFLOW",
    "RETRYABLE",
    "SEQ_LEASE",
    "SessionEndedError",
    "StreamHub",
    "Subscriber",
    "with_backoff",
]

_log = logging.getLogger("registry_api.streams")
RETRYABLE = (RedisConnectionError, RedisTimeoutError, OSError)
SEQ_LEASE = 1024  #: sequence numbers reserved in Postgres per lease
T = TypeVar("T")

_APPEND = """
local stream, meta, sizes = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HEXISTS', meta, 'end') == 1 then return {0} end
local nxt = tonumber(redis.call('HGET', meta, 'next') or '-1')
local lease = tonumber(redis.call('HGET', meta, 'lease') or '0')
if nxt < 0 or nxt >= lease then return {1, nxt} end
local len = redis.call('XLEN', stream)
local sized = len == 0 or redis.call('EXISTS', sizes) == 1
if len == 0 then redis.call('DEL', sizes) end  -- an index left from a stream now gone
local id = redis.call('XADD', stream, '*', 'f', ARGV[1], 'n', nxt)
local flen = string.len(ARGV[1])
if sized then
  redis.call('XADD', sizes, id, 's', flen + string.len(tostring(nxt)), 'b', flen)
end
redis.call('HSET', meta, 'next', nxt + 1)
local bytes = redis.call('HINCRBY', meta, 'bytes', flen)
len = len + 1
local maxlen, maxbytes = tonumber(ARGV[2]), tonumber(ARGV[3])
while len > 1 and (len > maxlen or bytes > maxbytes) do
  if sized then  -- the oldest entry's size from the index, not its frame
    local oldest = redis.call('XRANGE', sizes, '-', '+', 'COUNT', 1)[1]
    bytes = bytes - tonumber(oldest[2][4])
    redis.call('XDEL', stream, oldest[1])
    redis.call('XDEL', sizes, oldest[1])
  else
    local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    local f = oldest[2]
    for i = 1, #f, 2 do
      if f[i] == 'f' then bytes = bytes - string.len(f[i + 1]) end
    end
    redis.call('XDEL', stream, oldest[1])
  end
  len = len - 1
end
redis.call('HSET', meta, 'bytes', bytes)
redis.call('PEXPIRE', stream, ARGV[4])
redis.call('PEXPIRE', meta, ARGV[4])
if sized then redis.call('PEXPIRE', sizes, ARGV[4]) end
return {id, nxt}
"""

_GRANT = """
if redis.call('HEXISTS', KEYS[1], 'end') == 1 then return 0 end
redis.call('HSETNX', KEYS[1], 'next', ARGV[1])
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'lease') or '0') then
  redis.call('HSET', KEYS[1], 'lease', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

_END = """
if redis.call('HEXISTS', KEYS[2], 'end') == 0 then
  local len = redis.call('XLEN', KEYS[1])
  local sized = len == 0 or redis.call('EXISTS', KEYS[3]) == 1
  if len == 0 then redis.call('DEL', KEYS[3]) end
  local id = redis.call('XADD', KEYS[1], '*', 'end', '1', 'n', '-1')
  if sized then redis.call('XADD', KEYS[3], id, 's', 3, 'b', 0) end
  redis.call('HSET', KEYS[2], 'end', '1')
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
return 1
"""

# How many entries after ARGV[1] fit in ARGV[2] bytes (at least one) or ARGV[3] entries, and
# the last of them: {n, id}, read from the size index alone; {0} past the end; {-1} for a
# stream without an index (written before the index existed): read it with _PAGE.
_SIZES = """
local sizes, stream = KEYS[1], KEYS[2]
if redis.call('EXISTS', sizes) == 0 then
  if redis.call('EXISTS', stream) == 1 then return {-1} end
  return {0}
end
local used, n, last, start = 0, 0, nil, '(' .. ARGV[1]
local budget, most = tonumber(ARGV[2]), tonumber(ARGV[3])
while n < most do
  local r = redis.call('XRANGE', sizes, start, '+', 'COUNT', math.min(64, most - n))
  if #r == 0 then break end
  for _, e in ipairs(r) do
    local size = tonumber(e[2][2])
    if n > 0 and used + size > budget then return {n, last} end
    used = used + size
    n = n + 1
    last = e[1]
    if n >= most then break end
  end
  start = '(' .. last
end
if n == 0 then return {0} end
return {n, last}
"""

# Entries after ARGV[1] until ARGV[2] bytes (at least one entry) or ARGV[3] entries. Every
# entry it looks at is copied into Lua (and one more than it returns): ~10x the Redis CPU of
# an XRANGE of the same entries, so it serves only streams without a size index.
_PAGE = """
local out, used, start = {}, 0, '(' .. ARGV[1]
local budget, most = tonumber(ARGV[2]), tonumber(ARGV[3])
while #out < most do
  local r = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1)
  if #r == 0 then break end
  local size = 0
  for i = 2, #r[1][2], 2 do size = size + string.len(r[1][2][i]) end
  if #out > 0 and used + size > budget then break end
  out[#out + 1] = r[1]
  used = used + size
  start = '(' .. r[1][1]
end
return out
"""


class SessionEndedError(Exception):
    """The session has ended: no frame may be appended any more."""


async def with_backoff(
    op: Callable[[], Awaitable[T]],
    *,
    retry_for: float | None,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
    give_up: Callable[[], bool] = lambda: False,
    what: str = "redis",
) -> T:
    """Run ``op`` until it succeeds, retrying ``retry_on`` errors with exponential back-off.

    The one retry loop of the live-session code: 50 ms doubling to 1 s between attempts.

    Args:
        op: The operation (called again for every attempt).
        retry_for: Give up (re-raise) once this many seconds have passed; ``None``: never.
        retry_on: Errors worth retrying.
        give_up: Re-raise at once when this returns true (shutdown, nobody listening).
        what: Named in the warning logged per failed attempt when ``retry_for`` is ``None``.
    """
    loop = asyncio.get_running_loop()
    deadline = None if retry_for is None else loop.time() + retry_for
    delay = 0.05
    while True:
        try:
            return await op()
        except retry_on as exc:
            if give_up() or (deadline is not None and loop.time() + delay > deadline):
                raise
            if deadline is None:
                _log.warning("retrying", extra={"what": what, "error": repr(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OVERFLOW = _Sentinel("OVERFLOW")  #: the viewer fell too far behind; it should reconnect
CLOSED = _Sentinel("CLOSED")  #: the instance is shutting down


@dataclass(eq=False)
class Subscriber:
    """A local viewer of one session's tail.

    It starts in *replay* mode: the tail only records the newest key it has seen
    (:attr:`seen`), since the viewer reads those entries from Redis itself. :meth:`go_live`
    switches to *live* mode, where entries are queued, at most ``limit_bytes`` of them;
    beyond that the queue is emptied, :data:`OVERFLOW` is queued and ``on_overflow`` runs.
    """

    key: str
    limit_bytes: int
    on_overflow: Callable[[], None] = lambda: None
    queue: asyncio.Queue[Entry | _Sentinel] = field(default_factory=asyncio.Queue)
    queued_bytes: int = 0
    live: bool = False
    seen: tuple[int, int] = (0, 0)
    overflowed: bool = False

    def offer(self, item: Entry | _Sentinel) -> None:
        """Called by the tail for every new entry (and by the hub for :data:`CLOSED`)."""
        if self.overflowed:
            return
        if isinstance(item, _Sentinel):
            self.queue.put_nowait(item)
            return
        if not self.live:
            self.seen = max(self.seen, item.key)
            return
        if self.queued_bytes + item.size > self.limit_bytes and not self.queue.empty():
            self.overflowed = True
            while not self.queue.empty():  # release the frames now, not when the socket dies
                self.queue.get_nowait()
            self.queued_bytes = 0
            self.queue.put_nowait(OVERFLOW)
            self.on_overflow()
            return
        self.queued_bytes += item.size
        self.queue.put_nowait(item)

    def go_live(self, replayed_to: tuple[int, int]) -> bool:
        """Switch to live mode if replay reached everything the tail has seen.

        Returns:
            ``False`` if the tail saw newer entries: read another page first.
        """
        if self.seen > replayed_to:
            return False
        self.live = True
        return True

    async def get(self) -> Entry | _Sentinel:
        """The next queued entry or sentinel."""
        item = await self.queue.get()
        if not isinstance(item, _Sentinel):
            self.queued_bytes -= item.size
        return item


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
            last: Any = await with_backoff(
                lambda: self.hub.redis.xrevrange(self.key, "+", "-", count=1), retry_for=5.0
            )
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
        except Exception:
            _log.exception("stream tail failed", extra={"key": self.key})
        finally:
            STREAM_TAILS.dec()
            if self.hub._tails.get(self.key) is self:
                del self.hub._tails[self.key]  # the next viewer starts a new tail
            for sub in list(self.subs):  # its viewers reconnect (1001) rather than wait forever
                sub.offer(CLOSED)

    async def _loop(self) -> None:
        while self.subs and not self.hub.closed:
            try:
                page = await with_backoff(
                    self._next,
                    retry_for=None,
                    retry_on=(*RETRYABLE, RedisError),
                    give_up=lambda: self.hub.closed or not self.subs,
                    what=f"tail {self.key}",
                )
            except (*RETRYABLE, RedisError):
                return
            for entry in page:
                self.last_id = entry.id
                for sub in list(self.subs):
                    sub.offer(entry)

    async def _next(self) -> list[Entry]:
        page = await self.hub.read_page(self.key, self.last_id)
        if page:
            return page
        resp: Any = await self.hub.redis.xread(
            {self.key: self.last_id}, count=1, block=self.hub.block_ms
        )
        return [decode_entry(i, f) for _key, entries in resp or [] for i, f in entries]


class StreamHub:
    """Per-instance access to session streams: append, end, paged reads, local fan-out.

    Args:
        redis: A redis-py asyncio client with ``decode_responses=False``.
        prefix: Key prefix.
        maxlen: Entries kept per stream (the oldest frames are trimmed).
        max_bytes: Frame bytes kept per stream (the oldest frames are trimmed).
        page_bytes: Byte budget of one read (replay page, tail read).
        queue_bytes: Bytes a live viewer may lag before it is dropped.
        open_ttl: Seconds an open session's keys live after its last frame.
        end_ttl: Seconds an ended session's keys live.
        block_ms: ``XREAD BLOCK`` timeout.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "qt:",
        maxlen: int = 10_000,
        max_bytes: int = 64 << 20,
        page_bytes: int = 1 << 20,
        queue_bytes: int = 8 << 20,
        open_ttl: int = 7200,
        end_ttl: int = 24 * 3600,
        block_ms: int = 2000,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.maxlen = maxlen
        self.max_bytes = max_bytes
        self.page_bytes = page_bytes
        self.queue_bytes = queue_bytes
        self.open_ttl_ms = open_ttl * 1000
        self.end_ttl_ms = end_ttl * 1000
        self.block_ms = block_ms
        self._tails: dict[str, _Tail] = {}
        self.closed = False
        self._append = redis.register_script(_APPEND)
        self._grant = redis.register_script(_GRANT)
        self._end = redis.register_script(_END)
        self._page = redis.register_script(_PAGE)
        self._sizes = redis.register_script(_SIZES)

    def key(self, session_id: Any) -> str:
        """Redis key of a session's frame stream."""
        return f"{self.prefix}session:{session_id}:frames"

    async def append_frame(
        self,
        key: str,
        frame: bytes,
        lease: Callable[[int], Awaitable[int | None]],
        *,
        retry_for: float = 30.0,
    ) -> tuple[str, int]:
        """Append ``frame`` with the session's next sequence number (atomic, retried).

        Args:
            key: The session's stream key.
            frame: The frame bytes.
            lease: Called with the next unissued number (-1 if Redis has none) when a new
                block is needed; records it durably and returns the new exclusive upper
                bound, or ``None`` if the session has ended.
            retry_for: Seconds to keep retrying while Redis is unreachable.

        Returns:
            ``(stream id, seq)``.

        Raises:
            SessionEndedError: The session has ended; nothing was stored.
        """
        meta = key + ":meta"
        keys = [key, meta, key + ":sizes"]
        args: list[bytes | int] = [frame, self.maxlen, self.max_bytes, self.open_ttl_ms]
        for _ in range(5):
            raw: Any = await with_backoff(
                lambda: self._append(keys=keys, args=args), retry_for=retry_for
            )
            if not isinstance(raw[0], int):
                return raw[0].decode(), int(raw[1])
            if raw[0] == 0:
                raise SessionEndedError(key)
            upper = await lease(int(raw[1]))
            if upper is None:
                raise SessionEndedError(key)
            grant: list[bytes | int] = [upper - SEQ_LEASE, upper, self.open_ttl_ms]

            async def granting(grant: list[bytes | int] = grant) -> Any:
                return await self._grant(keys=[meta], args=grant)

            granted = await with_backoff(granting, retry_for=retry_for)
            if not granted:
                raise SessionEndedError(key)
        raise RuntimeError(f"no sequence lease for {key} after 5 attempts")

    async def end(self, key: str, *, retry_for: float = 3.0) -> None:
        """Append the end marker unless the session already has one (idempotent)."""
        await with_backoff(
            lambda: self._end(keys=[key, key + ":meta", key + ":sizes"], args=[self.end_ttl_ms]),
            retry_for=retry_for,
        )

    async def is_ended(self, key: str) -> bool:
        """Whether the stream carries its end marker."""
        return bool(await self.redis.hexists(key + ":meta", "end"))

    async def read_page(
        self, key: str, after_id: str, *, most: int = 1000, retry_for: float | None = 0.0
    ) -> list[Entry]:
        """Entries after ``after_id`` (exclusive): ``page_bytes`` of frames, at least one.

        The page is measured in the stream's size index (``<key>:sizes``, the same ids with
        each entry's size), then read with one ``XRANGE`` up to its last id: Redis copies no
        frame it does not send. Entries trimmed between the two reads are simply not there.
        Connection errors are retried for ``retry_for`` seconds (a read is idempotent; after a
        Redis restart the pool's first connections are stale).
        """
        args: list[bytes | int | str] = [after_id, self.page_bytes, most]
        keys = [key + ":sizes", key]
        fit: Any = await with_backoff(
            lambda: self._sizes(keys=keys, args=args), retry_for=retry_for
        )
        if fit[0] == -1:  # no size index: the stream predates it
            raw: Any = await with_backoff(
                lambda: self._page(keys=[key], args=args), retry_for=retry_for
            )
            return [decode_entry(i, f) for i, f in raw]
        if fit[0] == 0:
            return []
        count, last = int(fit[0]), fit[1]
        entries: Any = await with_backoff(
            lambda: self.redis.xrange(key, "(" + after_id, last, count=count),
            retry_for=retry_for,
        )
        return [decode_entry(i, f) for i, f in entries]

    async def last_entry(self, key: str) -> Entry | None:
        """The newest entry of ``key`` (``None`` when the stream is empty or missing)."""
        raw: Any = await self.redis.xrevrange(key, "+", "-", count=1)
        return decode_entry(*raw[0]) if raw else None

    async def subscribe(
        self, key: str, on_overflow: Callable[[], None] = lambda: None
    ) -> Subscriber:
        """Register a local viewer of ``key`` (in replay mode); see :class:`Subscriber`."""
        if self.closed:
            raise RuntimeError("stream hub is closed")
        sub = Subscriber(key=key, limit_bytes=self.queue_bytes, on_overflow=on_overflow)
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
