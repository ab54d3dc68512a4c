"""StreamHub against the real Redis (keys under this run's prefix), and its queues."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from registry_api._streams import (
    OVERFLOW,
    SEQ_LEASE,
    SessionEndedError,
    StreamHub,
    Subscriber,
    with_backoff,
)
from registry_api._wire import EndEntry, FrameEntry

from .conftest import REDIS_URL


@pytest_asyncio.fixture
async def redis(redis_prefix: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


class Leases:
    """Postgres's part of sequence leasing, in memory: the recorded upper bound."""

    def __init__(self) -> None:
        self.upper = 0
        self.calls = 0
        self.ended = False

    async def __call__(self, next_seq: int) -> int | None:
        self.calls += 1
        if self.ended:
            return None
        self.upper = max(self.upper, next_seq) + SEQ_LEASE
        return self.upper


def _hub(redis: Redis, prefix: str, **kw: int) -> tuple[StreamHub, str]:
    hub = StreamHub(redis, prefix=f"{prefix}{secrets.token_hex(4)}:", **kw)
    return hub, hub.key("s1")


def _frame(i: int, size: int) -> bytes:
    return i.to_bytes(4, "little") * (size // 4)


async def test_read_page_keeps_to_its_byte_budget(redis: Redis, redis_prefix: str) -> None:
    hub, key = _hub(redis, redis_prefix, page_bytes=10_000)
    lease = Leases()
    for i in range(20):
        await hub.append_frame(key, _frame(i, 3000), lease)
    await hub.append_frame(key, _frame(99, 25_000), lease)  # larger than a page on its own
    pages: list[list[int]] = []
    after = "0-0"
    while page := await hub.read_page(key, after):
        pages.append([e.seq for e in page if isinstance(e, FrameEntry)])
        assert sum(len(e.data) for e in page if isinstance(e, FrameEntry)) <= 10_000 or (
            len(page) == 1
        )
        after = page[-1].id
    assert [len(p) for p in pages] == [3] * 6 + [2, 1]
    assert [s for p in pages for s in p] == list(range(21))
    assert lease.calls == 1


async def test_pages_are_measured_in_the_size_index(redis: Redis, redis_prefix: str) -> None:
    """Pages come from the size index (same ids and sizes as the stream, trimmed with it); a
    stream without one (written before it existed) pages the same through the old script,
    and an index left behind by a stream that is gone is replaced, never read."""
    hub, key = _hub(redis, redis_prefix, page_bytes=10_000, maxlen=12)
    lease = Leases()
    for i in range(15):
        await hub.append_frame(key, _frame(i, 3000 + i), lease)
    await hub.end(key)
    index = await redis.xrange(key + ":sizes")
    stream = await redis.xrange(key)
    assert [i for i, _ in index] == [i for i, _ in stream] and len(stream) == 12 + 1  # + end
    assert [int(f[b"b"]) for _, f in index] == [len(f.get(b"f", b"")) for _, f in stream]
    assert 0 < await redis.pttl(key + ":sizes") <= hub.end_ttl_ms

    async def pages() -> list[list[int]]:
        out, after = [], "0-0"
        while page := await hub.read_page(key, after):
            out.append([e.seq if isinstance(e, FrameEntry) else -1 for e in page])
            after = page[-1].id
        return out

    indexed = await pages()
    assert indexed == [[3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14, -1]]
    assert await hub.read_page(key, "0-0", most=2) == (await hub.read_page(key, "0-0"))[:2]
    await redis.delete(key + ":sizes")
    assert await pages() == indexed  # the old way, same pages
    await redis.delete(key, key + ":meta")  # Redis lost the stream; the index is stale
    await redis.xadd(key + ":sizes", {"s": 5, "b": 4}, id="1-1")
    lease.ended = False
    fresh = [(await hub.append_frame(key, _frame(i, 400), lease))[1] for i in range(2)]
    assert [[e.seq for e in p if isinstance(e, FrameEntry)] for p in [
        await hub.read_page(key, "0-0")]] == [fresh]  # fmt: skip
    assert [i for i, _ in await redis.xrange(key + ":sizes")] == [
        i for i, _ in await redis.xrange(key)
    ]


async def test_append_trims_oldest_by_bytes_and_by_count(redis: Redis, redis_prefix: str) -> None:
    hub, key = _hub(redis, redis_prefix, max_bytes=10_000, maxlen=5)
    lease = Leases()
    for i in range(8):
        await hub.append_frame(key, _frame(i, 3000), lease)
    entries = await redis.xrange(key)
    assert [int(f[b"n"]) for _, f in entries] == [5, 6, 7]  # 3 x 3000 <= 10000 < 4 x 3000
    assert int(await redis.hget(key + ":meta", "bytes") or 0) == 9000
    for i in range(8, 20):
        await hub.append_frame(key, _frame(i, 100), lease)
    entries = await redis.xrange(key)
    assert [int(f[b"n"]) for _, f in entries] == [15, 16, 17, 18, 19]  # maxlen 5
    assert int(await redis.hget(key + ":meta", "bytes") or 0) == 500
    assert 0 < await redis.pttl(key) <= hub.open_ttl_ms


async def test_sequence_survives_lost_redis_state(redis: Redis, redis_prefix: str) -> None:
    hub, key = _hub(redis, redis_prefix)
    lease = Leases()
    first = [(await hub.append_frame(key, b"x", lease))[1] for _ in range(3)]
    assert first == [0, 1, 2] and lease.calls == 1
    await redis.delete(key, key + ":meta")  # what a restart without persistence does
    after = [(await hub.append_frame(key, b"x", lease))[1] for _ in range(2)]
    assert after == [SEQ_LEASE, SEQ_LEASE + 1] and lease.calls == 2
    await redis.hset(key + ":meta", "next", str(2 * SEQ_LEASE - 1))  # end of the lease
    assert (await hub.append_frame(key, b"x", lease))[1] == 2 * SEQ_LEASE - 1
    assert (await hub.append_frame(key, b"x", lease))[1] == 2 * SEQ_LEASE
    assert lease.calls == 3 and lease.upper == 3 * SEQ_LEASE


async def test_end_is_idempotent_and_final(redis: Redis, redis_prefix: str) -> None:
    hub, key = _hub(redis, redis_prefix)
    lease = Leases()
    await hub.append_frame(key, b"one", lease)
    await hub.end(key)
    await hub.end(key)
    with pytest.raises(SessionEndedError):
        await hub.append_frame(key, b"late", lease)
    page = await hub.read_page(key, "0-0")
    assert [type(e) for e in page] == [FrameEntry, EndEntry]
    assert await hub.is_ended(key)
    assert 0 < await redis.pttl(key) <= hub.end_ttl_ms
    await redis.delete(key + ":meta")  # lost state: Postgres says ended, the lease refuses
    lease.ended = True
    with pytest.raises(SessionEndedError):
        await hub.append_frame(key, b"late", lease)


def _entry(i: int, size: int = 100) -> FrameEntry:
    return FrameEntry(id=f"1-{i}", key=(1, i), seq=i, data=b"x" * size)


def test_subscriber_queue_is_bounded_in_bytes() -> None:
    drops: list[int] = []
    sub = Subscriber(key="k", limit_bytes=3 * _entry(0).size, on_overflow=lambda: drops.append(1))
    assert sub.go_live((0, 0))
    for i in range(6):
        sub.offer(_entry(i))
    assert sub.overflowed and drops == [1]
    assert [sub.queue.get_nowait() for _ in range(sub.queue.qsize())] == [OVERFLOW]
    assert sub.queued_bytes == 0  # the queued frames were released at once


def test_subscriber_admits_one_entry_larger_than_its_limit() -> None:
    sub = Subscriber(key="k", limit_bytes=10)
    sub.go_live((0, 0))
    sub.offer(_entry(0, 1000))
    assert not sub.overflowed and sub.queue.qsize() == 1


def test_subscriber_replaying_queues_nothing_and_notes_the_tail() -> None:
    sub = Subscriber(key="k", limit_bytes=1)
    for i in range(1, 4):
        sub.offer(_entry(i, 10_000))
    assert sub.queue.empty() and sub.seen == (1, 3)
    assert not sub.go_live((1, 2))  # the tail is ahead: read another page
    assert sub.go_live((1, 3)) and sub.live


async def test_with_backoff_retries_then_gives_up() -> None:
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise RedisConnectionError("down")
        return "ok"

    assert await with_backoff(flaky, retry_for=5) == "ok" and len(attempts) == 3

    async def down() -> str:
        raise RedisConnectionError("down")

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(RedisConnectionError):
        await with_backoff(down, retry_for=0.3)
    assert loop.time() - t0 < 2
    with pytest.raises(RedisConnectionError):
        await with_backoff(down, retry_for=None, give_up=lambda: True)
