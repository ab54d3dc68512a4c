"""Live viewers first: publishes wait while this instance falls behind its live sessions.

A live session is watched as it happens (a class, a lab meeting); a publish is an upload
that its client retries and that is idempotent by content. When an instance's cores are
saturated -- 50 clients publishing as fast as they can take all of them on a 2-core
machine -- both slow down, but the fan-out's delay grows without bound: frames keep arriving
at the presenter's rate and queue up (in the abuse benchmark, to over a second while the
publishes lasted). :class:`FanoutPressure` watches how late this instance sends each frame
to its first live viewer, and :meth:`FanoutPressure.hold` makes a batch of publishes wait
(a few milliseconds at a time, at most ``PUBLISH_YIELD_MAX_MS`` per batch, so publishes
always progress) while frames go out late.

*Late* is measured against each frame's stream id, whose milliseconds are Redis's clock
at ``XADD``: the lag of a send is ``now - id``. Redis's clock and this instance's may
differ (another host), so the lag that counts is the excess over the least lag seen in the
last ~10 s (:attr:`FanoutPressure.floor`), the offset plus the transport. Only a frame's
*first* send on this instance counts: a viewer reading slowly (or replaying history) gets
its frames late whatever the instance does, and must not be able to slow publishes down.
"""

from __future__ import annotations

import asyncio
import time

from registry_api._metrics import PUBLISH_YIELD

__all__ = ["FanoutPressure"]

#: how long the floor of the lag is remembered: the least of the current and the previous
#: period of this many seconds
_FLOOR_PERIOD = 5.0
#: most sessions whose last first-sent frame is remembered (oldest forgotten first)
_SESSIONS = 1024


def _monotonic() -> float:
    """The clock the pressure's windows use (tests move it)."""
    return time.monotonic()


def _now() -> float:
    """Seconds since the epoch, compared with stream ids (tests move it)."""
    return time.time()


class FanoutPressure:
    """Whether this instance is behind its live viewers (see the module docstring).

    Args:
        limit: Seconds of lag beyond the floor that count as behind; ``0`` turns it off.
        most: The longest :meth:`hold` waits, in seconds.
        window: How long one late send keeps the instance behind, in seconds.
        step: How long :meth:`hold` sleeps between checks, in seconds.
    """

    def __init__(
        self, limit: float, most: float, *, window: float = 0.1, step: float = 0.005
    ) -> None:
        for name, value in (("limit", limit), ("most", most), ("window", window)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if not step > 0:
            raise ValueError(f"step must be > 0, got {step!r}")
        self.limit = limit
        self.most = most
        self.window = window
        self.step = step
        self._first: dict[str, tuple[int, int]] = {}  # stream key -> newest id sent here
        self._floors = [float("inf"), float("inf")]  # least lag: this period, the previous
        self._period = -1
        self._late_at = float("-inf")  # when a first send was last late

    @property
    def floor(self) -> float:
        """The least lag of a first send in the current and previous period (``inf``: none)."""
        return min(self._floors)

    def sent(self, stream: str, frame_id: tuple[int, int]) -> None:
        """Note that frame ``frame_id`` (``(ms, seq)``) of ``stream`` went to a live viewer."""
        if self.limit <= 0 or frame_id <= self._first.get(stream, (-1, -1)):
            return  # off, or not the frame's first send (a slower viewer, a replay)
        self._first.pop(stream, None)  # re-inserted last: the oldest session is first
        if len(self._first) >= _SESSIONS:
            del self._first[next(iter(self._first))]
        self._first[stream] = frame_id
        now = _monotonic()
        period = int(now // _FLOOR_PERIOD)
        if period != self._period:  # a new period: the current floor becomes the previous
            previous = self._floors[0] if period == self._period + 1 else float("inf")
            self._floors = [float("inf"), previous]
            self._period = period
        lag = _now() - frame_id[0] / 1000.0
        self._floors[0] = min(self._floors[0], lag)
        if lag - self.floor > self.limit:
            self._late_at = now

    def behind(self) -> bool:
        """Whether a first send was late within the last ``window`` seconds."""
        return self.limit > 0 and _monotonic() - self._late_at < self.window

    async def hold(self) -> float:
        """Wait while :meth:`behind`, at most ``most`` seconds; returns the seconds waited."""
        if not self.behind() or self.most <= 0:
            return 0.0
        start = _monotonic()
        while self.behind() and (waited := _monotonic() - start) < self.most:
            await asyncio.sleep(min(self.step, self.most - waited))
        waited = _monotonic() - start
        PUBLISH_YIELD.inc(waited)
        return waited
