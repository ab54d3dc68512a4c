"""Live viewers first: how late frames go out, and publishes that wait for them."""

from __future__ import annotations

import asyncio
import time

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from registry_api import _pressure, _sockets
from registry_api._metrics import PUBLISH_YIELD
from registry_api._pressure import FanoutPressure
from registry_api._wire import FrameEntry

from ._support import eventually


@pytest.fixture
def clocks(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The pressure's clocks, stopped: ``mono`` (windows) and ``wall`` (against stream ids)."""
    now = {"mono": 1000.0, "wall": 1_800_000_000.0}
    monkeypatch.setattr(_pressure, "_monotonic", lambda: now["mono"])
    monkeypatch.setattr(_pressure, "_now", lambda: now["wall"])
    return now


def _frame(clocks: dict[str, float], sent_ago: float, seq: int = 0) -> tuple[int, int]:
    """A stream id whose XADD was ``sent_ago`` seconds ago by the wall clock."""
    return int((clocks["wall"] - sent_ago) * 1000), seq


def _tick(clocks: dict[str, float], seconds: float) -> None:
    clocks["mono"] += seconds
    clocks["wall"] += seconds


def _synced(limit: float = 0.03, offset: float = 0.0) -> FanoutPressure:
    p = FanoutPressure(limit, 0.2, window=0.1)
    p.offset = offset
    return p


def test_a_late_first_send_puts_the_instance_behind_for_a_window(clocks: dict[str, float]) -> None:
    p = _synced()
    for _ in range(5):  # on time: 5 ms from XADD to the first viewer
        p.sent("s", _frame(clocks, 0.005))
        _tick(clocks, 1 / 30)
    assert not p.behind()
    p.sent("s", _frame(clocks, 0.028))  # 28 ms: within the limit
    assert not p.behind()
    _tick(clocks, 1 / 30)
    p.sent("s", _frame(clocks, 0.050))  # 50 ms: behind
    assert p.behind()
    _tick(clocks, 0.099)
    assert p.behind()
    _tick(clocks, 0.002)  # no late send for a window: caught up
    assert not p.behind()


def test_late_from_the_first_frame_of_a_session(clocks: dict[str, float]) -> None:
    """An instance already saturated when a session starts: its first frame is late."""
    p = _synced()
    p.sent("new", _frame(clocks, 0.250))
    assert p.behind()


def test_nothing_is_late_before_redis_clock_is_read(clocks: dict[str, float]) -> None:
    p = FanoutPressure(0.03, 0.2)
    p.sent("s", _frame(clocks, 9.0))
    assert not p.behind()


def test_lag_is_read_on_redis_clock(clocks: dict[str, float]) -> None:
    """Redis on another host, its clock 4 s behind this one: ids read 4 s old when sent."""
    p = _synced(offset=-4.0)
    p.sent("s", _frame(clocks, 4.010))  # 10 ms on Redis's clock
    assert not p.behind()
    _tick(clocks, 0.1)
    p.sent("s", _frame(clocks, 4.080))  # 80 ms
    assert p.behind()


def test_only_a_frames_first_send_counts(clocks: dict[str, float]) -> None:
    """A slow viewer (or one replaying history) gets frames late whatever the instance does:
    it must not make publishes wait."""
    p = _synced()
    first = _frame(clocks, 0.005)
    p.sent("s", first)
    _tick(clocks, 5.0)  # the slow viewer gets the same frame 5 s later ...
    p.sent("s", first)
    p.sent("s", (first[0] - 60_000, 0))  # ... and a replayed frame a minute old
    assert not p.behind()
    p.sent("other", _frame(clocks, 0.004))  # another session has its own first sends
    p.sent("s", (first[0], 1))  # the next frame of "s", sent late: behind
    assert p.behind()


def test_off_when_the_limit_is_zero(clocks: dict[str, float]) -> None:
    p = _synced(limit=0)
    p.sent("s", _frame(clocks, 9.0))
    assert not p.behind()
    with pytest.raises(ValueError, match="limit"):
        FanoutPressure(-1, 0.2)
    with pytest.raises(ValueError, match="step"):
        FanoutPressure(0.03, 0.2, step=0)


@pytest.mark.asyncio
async def test_sync_reads_redis_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offset is Redis's ``TIME`` minus ours, taken from the quickest of the reads."""

    class SkewedRedis:  # its clock 2.5 s ahead; the second read is the quickest
        def __init__(self) -> None:
            self.delays = iter([0.02, 0.001, 0.03])

        async def time(self) -> tuple[int, int]:
            delay = next(self.delays)
            await asyncio.sleep(delay / 2)
            now = time.time() + 2.5
            await asyncio.sleep(delay / 2)
            return int(now), int(now % 1 * 1e6)

    p = FanoutPressure(0.03, 0.2)
    assert await p.sync(SkewedRedis()) == pytest.approx(2.5, abs=0.004)  # type: ignore[arg-type]
    assert p.offset == pytest.approx(2.5, abs=0.004)


@pytest.mark.asyncio
async def test_sync_against_the_real_redis() -> None:
    """Redis on this machine: the same clock, give or take the round trip."""
    from redis.asyncio import Redis

    from .conftest import REDIS_URL

    client = Redis.from_url(REDIS_URL)
    try:
        offset = await FanoutPressure(0.03, 0.2).sync(client)
    finally:
        await client.aclose()
    assert abs(offset) < 0.005


@pytest.mark.asyncio
async def test_hold_waits_while_behind_and_never_longer_than_most() -> None:
    before = PUBLISH_YIELD._value.get()
    p = FanoutPressure(0.03, 0.15, window=0.05, step=0.005)
    assert await p.hold() == 0.0  # not behind: no wait at all
    p._late_at = _pressure._monotonic()  # a late send just now, none after it
    waited = await p.hold()
    assert 0.045 <= waited < 0.1  # until the window passed
    stop = asyncio.Event()

    async def late_frames() -> None:  # frames keep going out late
        while not stop.is_set():
            p._late_at = _pressure._monotonic()
            await asyncio.sleep(0.002)

    feeder = asyncio.ensure_future(late_frames())
    try:
        await asyncio.sleep(0)
        waited_more = await p.hold()
    finally:
        stop.set()
        await feeder
    assert 0.15 <= waited_more < 0.25  # bounded: publishes always progress
    assert PUBLISH_YIELD._value.get() - before == pytest.approx(waited + waited_more)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_app_reads_redis_clock_when_it_starts(client: AsyncTestClient[Litestar]) -> None:
    fanout: FanoutPressure = client.app.state.fanout
    await eventually(lambda: fanout.offset is not None)
    assert fanout.offset is not None and abs(fanout.offset) < 0.05  # Redis on this machine


def test_lag_is_on_redis_clock_once_read(clocks: dict[str, float]) -> None:
    """A frame added 1 s ago by Redis's clock, which runs 4 s behind this host's."""
    p = FanoutPressure(0.03, 0.2)
    added = int((clocks["wall"] - 4.0 - 1.0) * 1000)
    assert p.lag(added) == pytest.approx(5.0)  # not read yet: this host's clock
    p.offset = -4.0
    assert p.lag(added) == pytest.approx(1.0)


async def test_the_lag_metric_is_on_redis_clock(clocks: dict[str, float]) -> None:
    """Redis an hour behind this host: a frame sent as it is added is observed ~0 s late,
    not an hour."""

    class Socket:
        async def send_text(self, text: str) -> None:
            pass

        async def send_bytes(self, data: bytes) -> None:
            pass

    p = FanoutPressure(0.03, 0.2)
    p.offset = -3600.0
    added = int((clocks["wall"] - 3600.0 - 0.25) * 1000)  # 250 ms ago, on Redis's clock
    entry = FrameEntry(id=f"{added}-0", key=(added, 0), seq=0, data=b"x")
    before = REGISTRY.get_sample_value("qt_stream_lag_seconds_sum") or 0.0
    await _sockets._send_entry(Socket(), entry, 1.0, p)  # type: ignore[arg-type]
    after = REGISTRY.get_sample_value("qt_stream_lag_seconds_sum") or 0.0
    assert after - before == pytest.approx(0.25, abs=0.002)
