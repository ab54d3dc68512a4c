"""Live viewers first: how late frames go out, and publishes that wait for them."""

from __future__ import annotations

import asyncio

import pytest

from registry_api import _pressure
from registry_api._metrics import PUBLISH_YIELD
from registry_api._pressure import FanoutPressure


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


def test_a_late_first_send_puts_the_instance_behind_for_a_window(clocks: dict[str, float]) -> None:
    p = FanoutPressure(0.03, 0.2, window=0.1)
    assert not p.behind()
    for _ in range(5):  # on time: 5 ms from XADD to the first viewer
        p.sent("s", _frame(clocks, 0.005))
        _tick(clocks, 1 / 30)
    assert not p.behind() and p.floor == pytest.approx(0.005, abs=1e-3)
    p.sent("s", _frame(clocks, 0.030))  # 25 ms over the floor: within the limit
    assert not p.behind()
    _tick(clocks, 1 / 30)
    p.sent("s", _frame(clocks, 0.050))  # 45 ms over it: behind
    assert p.behind()
    _tick(clocks, 0.099)
    assert p.behind()
    _tick(clocks, 0.002)  # no late send for a window: caught up
    assert not p.behind()


def test_the_clock_offset_of_redis_is_not_lateness(clocks: dict[str, float]) -> None:
    """Redis on another host, its clock 4 s behind this one: every lag reads 4 s and more."""
    p = FanoutPressure(0.03, 0.2)
    for _ in range(10):
        p.sent("s", _frame(clocks, 4.002))
        _tick(clocks, 1 / 30)
    assert not p.behind()
    _tick(clocks, 0.1)
    p.sent("s", _frame(clocks, 4.080))  # 78 ms later than usual
    assert p.behind()


def test_only_a_frames_first_send_counts(clocks: dict[str, float]) -> None:
    """A slow viewer (or one replaying history) gets frames late whatever the instance does:
    it must not make publishes wait."""
    p = FanoutPressure(0.03, 0.2)
    first = _frame(clocks, 0.005)
    p.sent("s", first)
    _tick(clocks, 5.0)  # the slow viewer gets the same frame 5 s later ...
    p.sent("s", first)
    p.sent("s", (first[0] - 60_000, 0))  # ... and a replayed frame a minute old
    assert not p.behind()
    p.sent("other", _frame(clocks, 0.004))  # another session has its own first sends
    p.sent("s", (first[0], 1))  # the next frame of "s", sent late: behind
    assert p.behind()


def test_the_floor_forgets_after_two_periods(clocks: dict[str, float]) -> None:
    """A floor from long ago (a quiet moment, a clock since corrected) does not stay."""
    p = FanoutPressure(0.03, 0.2)
    p.sent("s", _frame(clocks, 0.001))
    for _ in range(3):  # every frame since is 100 ms late: behind while the floor remains
        _tick(clocks, _pressure._FLOOR_PERIOD)
        p.sent("s", _frame(clocks, 0.101))
    assert p.floor == pytest.approx(0.101, abs=1e-3)
    _tick(clocks, 0.2)
    p.sent("s", _frame(clocks, 0.101))
    assert not p.behind()  # 100 ms is this instance's usual now


def test_off_when_the_limit_is_zero(clocks: dict[str, float]) -> None:
    p = FanoutPressure(0, 0.2)
    p.sent("s", _frame(clocks, 0.001))
    p.sent("s", _frame(clocks, 9.0, seq=1))
    assert not p.behind()
    with pytest.raises(ValueError, match="limit"):
        FanoutPressure(-1, 0.2)
    with pytest.raises(ValueError, match="step"):
        FanoutPressure(0.03, 0.2, step=0)


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
