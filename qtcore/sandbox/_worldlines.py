r"""Worldlines of clocks and the accurate proper-time difference between two of them.

A worldline is where a clock is and how it moves. Two worldlines live in one spacetime:
either flat (:class:`Inertial`, :class:`Trajectory`) or the Schwarzschild field of one
body (:class:`Static`, :class:`Orbit`, :class:`Moving` -- any height and speed --,
:class:`Ground` -- a spot on the rotating body, at rest or moving over it -- and
:class:`Flight` -- piecewise legs and stops, as Hafele and Keating flew). Any two clocks
around the same body can be compared. A :class:`Ground` reference at rest on the ground
against a :class:`Ground` or :class:`Flight` clock is computed with the body's J2 (so sea
level is the geoid, as :func:`~qtcore.relativity.flight_offsets` does); every other pair
with the exact Schwarzschild rates of :func:`~qtcore.relativity.clock_comparison`. :func:`compare` returns the two proper times
and, computed *directly* from the relativity module's cancellation-free difference
formulas (never by subtracting two large proper times), their difference
:math:`\Delta\tau = \tau_a - \tau_b` and the fractional rate difference
:math:`\delta = (d\tau_a/d\tau_b) - 1`.

The duration is the proper time of the *reference* clock ``b`` (for an inertial
reference at rest, the lab's coordinate time). A :class:`Trajectory` fixes its own
coordinate duration and a :class:`Flight` its reference duration (the sum of its
segments), so no duration is given when one is involved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    EARTH,
    Accelerate,
    Body,
    Coast,
    FlightSegment,
    circular_orbit_speed,
    circular_orbit_time_dilation_factor,
    clock_comparison,
    clock_rate,
    dilated_duration,
    flight_offsets,
    gps_clock_offsets,
    gravitational_redshift,
    proper_time_along,
    surface_clock,
    time_dilation_difference,
)
from qtcore.relativity._validate import check_duration, check_finite, check_speed

__all__ = [
    "Flight",
    "Ground",
    "Inertial",
    "Moving",
    "Orbit",
    "ProperTimes",
    "Static",
    "Trajectory",
    "Worldline",
    "compare",
    "segments_from_specs",
]


@dataclass(frozen=True, slots=True)
class Inertial:
    """A clock moving at constant ``speed`` (m/s) in flat spacetime (0 = at rest in the lab)."""

    speed: float = 0.0

    def __post_init__(self) -> None:
        check_speed("Inertial.speed", self.speed)

    def describe(self) -> str:
        """Short text for tables and frames."""
        return "at rest" if self.speed == 0 else f"moving at {self.speed:.9g} m/s"


@dataclass(frozen=True, slots=True)
class Trajectory:
    """A clock on a piecewise worldline in flat spacetime (coast / hyperbolic segments).

    The clock starts and ends with the lab clock (the twin paradox): its coordinate
    duration is the lab clock's proper time.
    """

    segments: tuple[Coast | Accelerate, ...]
    initial_velocity: float = 0.0

    def __post_init__(self) -> None:
        if not self.segments:
            raise RelativityDomainError("a Trajectory needs at least one segment, got none")

    def describe(self) -> str:
        """Short text for tables and frames."""
        return f"trajectory of {len(self.segments)} segment(s)"


@dataclass(frozen=True, slots=True)
class Static:
    """A clock held at ``height`` (m) above the mean radius of ``body``."""

    height: float = 0.0
    body: Body = field(default=EARTH)

    def __post_init__(self) -> None:
        h = check_finite("Static.height", self.height)
        # a body's surface is outside its Schwarzschild radius
        self.body.check_outside(self.body.radius + h, f"Static.height {h!r} m")

    @property
    def radius(self) -> float:
        """Distance from the body's centre in m."""
        return self.body.radius + self.height

    def describe(self) -> str:
        """Short text for tables and frames."""
        return f"static at {self.height:.9g} m above {self.body.name}"


@dataclass(frozen=True, slots=True)
class Orbit:
    """A clock on a circular geodesic orbit ``altitude`` (m) above ``body``'s mean radius."""

    altitude: float
    body: Body = field(default=EARTH)

    def __post_init__(self) -> None:
        h = check_finite("Orbit.altitude", self.altitude)
        if h <= 0.0:
            raise RelativityDomainError(f"Orbit.altitude must be > 0 m, got {h!r} m")
        circular_orbit_time_dilation_factor(self.body, self.radius)  # domain check

    @property
    def radius(self) -> float:
        """Orbit radius in m."""
        return self.body.radius + self.altitude

    def describe(self) -> str:
        """Short text for tables and frames."""
        return f"circular orbit {self.altitude:.9g} m above {self.body.name}"


@dataclass(frozen=True, slots=True)
class Moving:
    """A clock ``height`` (m) above ``body``'s mean radius moving at ``speed`` (m/s).

    The speed is through the body's non-rotating frame, in any direction (see
    :func:`~qtcore.relativity.clock_rate`); ``Moving(h, 0)`` ticks like ``Static(h)``.
    """

    height: float = 0.0
    speed: float = 0.0
    body: Body = field(default=EARTH)

    def __post_init__(self) -> None:
        h = check_finite("Moving.height", self.height)
        self.body.check_outside(self.body.radius + h, f"Moving.height {h!r} m")
        clock_rate(self.body, self.radius, self.speed)  # domain check

    @property
    def radius(self) -> float:
        """Distance from the body's centre in m."""
        return self.body.radius + self.height

    def describe(self) -> str:
        """Short text for tables and frames."""
        return f"moving at {self.speed:.9g} m/s, {self.height:.9g} m above {self.body.name}"


@dataclass(frozen=True, slots=True)
class Ground:
    """A clock at a latitude on the rotating ``body``, at ``height`` above its ellipsoid.

    ``ground_speed_east`` / ``ground_speed_north`` (m/s) move it over the ground (a car, an
    aircraft holding a course); 0 keeps it at rest on the ground, co-rotating.
    """

    latitude_deg: float
    height: float = 0.0
    ground_speed_east: float = 0.0
    ground_speed_north: float = 0.0
    body: Body = field(default=EARTH)

    def __post_init__(self) -> None:
        s = surface_clock(  # domain check
            self.body,
            self.latitude_deg,
            self.height,
            self.ground_speed_east,
            self.ground_speed_north,
        )
        self.body.check_outside(s.radius, f"Ground.height {self.height!r} m")

    def place(self) -> tuple[float, float]:
        """(radius, speed through the non-rotating frame)."""
        s = surface_clock(
            self.body,
            self.latitude_deg,
            self.height,
            self.ground_speed_east,
            self.ground_speed_north,
        )
        return s.radius, s.speed

    @property
    def at_rest(self) -> bool:
        """True when the clock does not move over the ground."""
        return self.ground_speed_east == 0.0 and self.ground_speed_north == 0.0

    def describe(self) -> str:
        """Short text for tables and frames."""
        where = f"{self.latitude_deg:g} deg latitude, {self.height:.9g} m up on {self.body.name}"
        if self.at_rest:
            return f"on the ground at {where}"
        return (
            f"moving {self.ground_speed_east:.9g} m/s east, {self.ground_speed_north:.9g} m/s "
            f"north over the ground at {where}"
        )


@dataclass(frozen=True, slots=True)
class Flight:
    """A clock carried along flight legs and ground stops over the rotating ``body``.

    Its duration is the sum of the segments' durations (proper time of the reference).
    """

    segments: tuple[FlightSegment, ...]
    body: Body = field(default=EARTH)

    def __post_init__(self) -> None:
        if not self.segments:
            raise RelativityDomainError("a Flight needs at least one segment, got none")
        for i, seg in enumerate(self.segments):
            if not isinstance(seg, FlightSegment):
                raise RelativityDomainError(
                    f"Flight segment {i} must be a FlightSegment, got {seg!r}"
                )

    @property
    def duration(self) -> float:
        """Total duration in s."""
        return math.fsum(s.duration for s in self.segments)

    def describe(self) -> str:
        """Short text for tables and frames."""
        return f"flight of {len(self.segments)} segment(s), {self.duration / 3600:.6g} h"


Worldline = Inertial | Trajectory | Static | Orbit | Moving | Ground | Flight


@dataclass(frozen=True, slots=True)
class ProperTimes:
    """Two clocks' proper times over one experiment.

    Attributes:
        tau_a: proper time of clock a in s.
        tau_b: proper time of the reference clock b in s.
        delta_tau: tau_a - tau_b in s, from the cancellation-free formulas.
        fractional: rate of a relative to b, minus 1 (delta_tau / tau_b).
        method: which relativity formula gave the difference.
    """

    tau_a: float
    tau_b: float
    delta_tau: float
    fractional: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "tau_a": self.tau_a,
            "tau_b": self.tau_b,
            "delta_tau": self.delta_tau,
            "fractional": self.fractional,
            "method": self.method,
        }


def _log_rate_gravity(w: Static | Orbit) -> float:
    """ln(d tau / d t_infinity), cancellation-free (log1p of a small number)."""
    m = w.body.gm / 299_792_458.0**2
    if isinstance(w, Static):
        return 0.5 * math.log1p(-2.0 * m / w.radius)
    return 0.5 * math.log1p(-3.0 * m / w.radius)


def _gravity_fraction(a: Static | Orbit, b: Static | Orbit) -> tuple[float, str]:
    """(rate_a / rate_b - 1, method) for two clocks around one body."""
    if a.body != b.body:
        raise RelativityDomainError(
            f"clocks around different bodies ({a.body.name}, {b.body.name}) cannot be "
            "compared by the sandbox; put both around the same body"
        )
    if isinstance(a, Static) and isinstance(b, Static):
        # A signal emitted by b is received by a with f_a/f_b = rate_b / rate_a.
        # lambda_a / lambda_b - 1 = rate_a / rate_b - 1 (the redshift z).
        z = gravitational_redshift(a.body, b.radius, a.radius).z + 0.0  # no -0.0
        return z, "gravitational_redshift"
    if isinstance(a, Orbit) and isinstance(b, Static):
        off = gps_clock_offsets(orbit_radius=a.radius, body=a.body, ground_radius=b.radius)
        return off.net_fractional, "gps_clock_offsets"
    if isinstance(a, Static) and isinstance(b, Orbit):
        off = gps_clock_offsets(orbit_radius=b.radius, body=b.body, ground_radius=a.radius)
        return -off.net_fractional / (1.0 + off.net_fractional), "gps_clock_offsets"
    return math.expm1(_log_rate_gravity(a) - _log_rate_gravity(b)), "log_rates"


def _flat_lag(w: Inertial | Trajectory, t: float) -> float:
    """Coordinate time minus proper time over coordinate duration ``t``."""
    if isinstance(w, Trajectory):
        return proper_time_along(w.segments, w.initial_velocity).time_lag
    return time_dilation_difference(t, w.speed)


def compare(a: Worldline, b: Worldline, duration: float | None = None) -> ProperTimes:
    """Proper times of clock ``a`` and reference clock ``b`` and their accurate difference.

    Args:
        a: the clock under test.
        b: the reference clock.
        duration: proper time of ``b`` in s (>= 0). Must be omitted when either worldline
            is a :class:`Trajectory` or a :class:`Flight` (which fix the duration).

    Returns:
        a :class:`ProperTimes`.

    Raises:
        RelativityDomainError: a flat worldline with one around a body, different bodies,
            two trajectories or two flights of different durations, or a missing/extra
            duration.
    """
    flat = (Inertial, Trajectory)
    curved = (Static, Orbit, Moving, Ground, Flight)
    if isinstance(a, flat) and isinstance(b, flat):
        trajs = [w for w in (a, b) if isinstance(w, Trajectory)]
        if trajs:
            if duration is not None:
                raise RelativityDomainError(
                    "a Trajectory fixes the experiment's duration; do not give a duration "
                    f"(got {duration!r} s)"
                )
            times = {
                proper_time_along(w.segments, w.initial_velocity).coordinate_time for w in trajs
            }
            if len(times) > 1:
                raise RelativityDomainError(
                    f"two trajectories of different coordinate durations {sorted(times)} s "
                    "never meet again; give them equal durations"
                )
            t = times.pop()
        else:
            if duration is None:
                raise RelativityDomainError("duration (proper time of clock b, s) is required")
            tau_b0 = check_duration("duration", duration)
            assert isinstance(b, Inertial)
            t = dilated_duration(tau_b0, b.speed)
        lag_a, lag_b = _flat_lag(a, t), _flat_lag(b, t)
        tau_b = t - lag_b
        delta = lag_b - lag_a
        frac = delta / tau_b if tau_b > 0 else 0.0
        return ProperTimes(t - lag_a, tau_b, delta, frac, "time_lag")
    if isinstance(a, curved) and isinstance(b, curved):
        if a.body != b.body:
            raise RelativityDomainError(
                f"clocks around different bodies ({a.body.name}, {b.body.name}) cannot be "
                "compared by the sandbox; put both around the same body"
            )
        if isinstance(a, Flight) or isinstance(b, Flight):
            return _compare_flight(a, b, duration)
        if duration is None:
            raise RelativityDomainError("duration (proper time of clock b, s) is required")
        tau_b = check_duration("duration", duration)
        if isinstance(a, Static | Orbit) and isinstance(b, Static | Orbit):
            frac, method = _gravity_fraction(a, b)
        elif isinstance(a, Ground) and isinstance(b, Ground) and b.at_rest:
            seg = FlightSegment(
                tau_b, a.latitude_deg, a.height, a.ground_speed_east, a.ground_speed_north
            )
            res = flight_offsets(
                [seg],
                body=b.body,
                reference_latitude_deg=b.latitude_deg,
                reference_height=b.height,
            )
            frac, method = res.segments[0].fractional, "flight_offsets"
        else:
            (ra, va), (rb, vb) = _place(a), _place(b)
            cmp = clock_comparison(a.body, ra, va, rb, vb, proper_duration=1.0)
            frac, method = cmp.fractional, "clock_comparison"
        delta = tau_b * frac
        return ProperTimes(tau_b + delta, tau_b, delta, frac, method)
    raise RelativityDomainError(
        f"cannot compare {a.describe()} with {b.describe()}: both clocks must be in flat "
        "spacetime (Inertial, Trajectory) or around the same body (Static, Orbit, Moving, "
        "Ground, Flight); a clock in flat spacetime has no place in a body's field"
    )


def _place(w: Static | Orbit | Moving | Ground) -> tuple[float, float]:
    """(radius, speed through the body's non-rotating frame) of a single-place clock."""
    if isinstance(w, Ground):
        return w.place()
    if isinstance(w, Orbit):
        return w.radius, circular_orbit_speed(w.body, w.radius)
    if isinstance(w, Moving):
        return w.radius, w.speed
    return w.radius, 0.0


def _compare_flight(
    a: Static | Orbit | Moving | Ground | Flight,
    b: Static | Orbit | Moving | Ground | Flight,
    duration: float | None,
) -> ProperTimes:
    """A :class:`Flight` against a clock in one place (or the other way round)."""
    if duration is not None:
        raise RelativityDomainError(
            "a Flight fixes the experiment's duration (the sum of its segments); do not give "
            f"a duration (got {duration!r} s)"
        )
    if isinstance(a, Flight) and isinstance(b, Flight):
        return _compare_flights(a, b)
    if isinstance(b, Flight):
        flipped = _compare_flight(b, a, None)
        # a's offset against b is minus b's against a; tau_a is the reference duration
        tau_b = flipped.tau_a
        delta = -flipped.delta_tau
        return ProperTimes(tau_b + delta, tau_b, delta, delta / tau_b, flipped.method)
    assert isinstance(a, Flight) and not isinstance(b, Flight)
    t = a.duration
    if isinstance(b, Ground) and b.at_rest:
        res = flight_offsets(
            a.segments,
            body=b.body,
            reference_latitude_deg=b.latitude_deg,
            reference_height=b.height,
        )
        delta, method = res.net, "flight_offsets"
    else:
        rb, vb = _place(b)
        parts = []
        for seg in a.segments:
            s = surface_clock(
                a.body, seg.latitude_deg, seg.height, seg.ground_speed_east, seg.ground_speed_north
            )
            cmp = clock_comparison(a.body, s.radius, s.speed, rb, vb, proper_duration=seg.duration)
            parts.append(cmp.offset)
        delta, method = math.fsum(parts), "clock_comparison"
    frac = delta / t if t > 0 else 0.0
    return ProperTimes(t + delta, t, delta, frac, method)


def _compare_flights(a: Flight, b: Flight) -> ProperTimes:
    """Two flights that leave and land together, each read against one ground clock.

    Both are compared with the same clock at rest on the ground (on the equator at sea
    level: the choice cancels, since both offsets are taken against it over the same
    reference duration), so ``tau_a - tau_b`` is the difference of their offsets.
    """
    if a.duration != b.duration:
        raise RelativityDomainError(
            f"two Flights of different durations ({a.duration!r} s, {b.duration!r} s) are "
            "not together at the end; add a ground stop to the shorter one so both last "
            "the same time"
        )
    ref = Ground(0.0, 0.0, body=a.body)
    fa, fb = _compare_flight(a, ref, None), _compare_flight(b, ref, None)
    tau_a, tau_b = fa.tau_a, fb.tau_a
    delta = fa.delta_tau - fb.delta_tau
    return ProperTimes(tau_a, tau_b, delta, delta / tau_b if tau_b > 0 else 0.0, fa.method)


def segments_from_specs(specs: Sequence[dict[str, Any]]) -> tuple[Coast | Accelerate, ...]:
    """Builds segments from dictionaries of SI numbers (used by scenario files)."""
    out: list[Coast | Accelerate] = []
    for spec in specs:
        kind = spec.get("kind")
        args = {k: v for k, v in spec.items() if k != "kind"}
        if kind == "coast":
            out.append(Coast(**args))
        elif kind == "accelerate":
            out.append(Accelerate(**args))
        else:
            raise RelativityDomainError(
                f"segment kind must be 'coast' or 'accelerate', got {kind!r}"
            )
    return tuple(out)
