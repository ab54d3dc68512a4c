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
at ``XADD``: the lag of a send is ``now - id`` on Redis's clock, ``now`` being this
instance's clock plus :attr:`FanoutPressure.offset`, which :meth:`FanoutPressure.sync` reads
with Redis's ``TIME`` (the live supervisor does, at start and every 10 s). Until it has,
nothing is late. Only a frame's *first* send on this instance counts: a viewer reading
slowly (or replaying history) gets its frames late whatever the instance does, and must not
be able to slow publishes down.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from registry_api._metrics import PUBLISH_YIELD

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["FanoutPressure"]

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
        self._late_at = float("-inf")  # when a first send was last late
        #: Redis's clock minus this instance's, in seconds (``None``: not read yet)
        self.offset: float | None = None

    async def sync(self, redis: Redis, samples: int = 3) -> float:
        """Read Redis's clock (``TIME``) and set :attr:`offset`; returns it.

        Of ``samples`` reads, the one with the shortest round trip counts, its reply taken
        as read half-way through it.
        """
        best: tuple[float, float] | None = None
        for _ in range(samples):
            before = _now()
            seconds, micros = await redis.time()
            after = _now()
            offset = seconds + micros / 1e6 - (before + after) / 2
            if best is None or after - before < best[0]:
                best = (after - before, offset)
        assert best is not None
        self.offset = best[1]
        return self.offset

    def lag(self, ms: int) -> float:
        """Seconds since a frame's ``XADD`` (``ms``: its stream id's milliseconds).

        On Redis's clock once :meth:`sync` has read it; on this instance's until then (right
        when both run on one host, off by the hosts' clock difference otherwise).
        """
        return _now() + (self.offset or 0.0) - ms / 1000.0

    def sent(self, stream: str, frame_id: tuple[int, int]) -> None:
        """Note that frame ``frame_id`` (``(ms, seq)``) of ``stream`` went to a live viewer."""
        if self.limit <= 0 or frame_id <= self._first.get(stream, (-1, -1)):
            return  # off, or not the frame's first send (a slower viewer, a replay)
        self._first.pop(stream, None)  # re-inserted last: the oldest session is first
        if len(self._first) >= _SESSIONS:
            del self._first[next(iter(self._first))]
        self._first[stream] = frame_id
        if self.offset is not None and self.lag(frame_id[0]) > self.limit:
            self._late_at = _monotonic()

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
