r"""Clocks carried around a rotating body on piecewise flights (Hafele--Keating, 1971).

A flight is a list of :class:`FlightSegment`\ s -- a duration at a geodetic latitude,
height and ground velocity (ground stops are segments with zero ground speed) -- and the
flying clock is compared with a reference clock fixed on the ground. Each clock ticks at

.. math:: \frac{d\tau}{dt} = \sqrt{1 - \frac{2U}{c^2} - \frac{v^2}{c^2}},
   \qquad U = \frac{GM}{r}\Big(1 - J_2\frac{a^2}{r^2}P_2(\sin\psi)\Big),

with *v* its speed through the body's non-rotating frame (rotation plus ground velocity)
and *r*, *psi* its position on the body's reference ellipsoid. With ``include_j2=False``
(or J2 = 0) this is :func:`~qtcore.relativity.clock_rate` exactly. Keep J2 for Earth:
on the monopole alone, two clocks at sea level at the equator and at 60 degrees would
differ by ~1e-12 (as much as the whole effect of a flight), because the ellipsoid (close to
the geoid, a surface of equal rotating-frame potential) is not a sphere.

As in Hafele & Keating (Science 177 (1972) 166), each segment's offset is split against a
clock at rest at sea level directly below the aircraft into a *gravitational* part (ratio
of the static factors :math:`\sqrt{1 - 2U/c^2}`, about :math:`gh/c^2`) and a *kinematic*
part (ratio of the motion factors, about :math:`-(2\Omega\rho v + v^2)/2c^2`); that ground
clock ticks like the reference within ~1e-14 (``sea_level``), and the durations are the
reference clock's proper time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._clocks import ellipsoid_position
from qtcore.relativity._constants import EARTH, SPEED_OF_LIGHT, Body
from qtcore.relativity._validate import check_duration, check_finite

__all__ = [
    "HAFELE_KEATING_EAST",
    "HAFELE_KEATING_PUBLISHED",
    "HAFELE_KEATING_WEST",
    "FlightResult",
    "FlightSegment",
    "SegmentOffset",
    "flight_offsets",
    "hafele_keating",
]

_C = SPEED_OF_LIGHT
_C2 = _C * _C


@dataclass(frozen=True, slots=True)
class FlightSegment:
    """A stretch of a trip at constant latitude, height and ground velocity.

    Attributes:
        duration: s of the reference (ground) clock's proper time, >= 0.
        latitude_deg: geodetic latitude, -90..90.
        height: m above the reference ellipsoid.
        ground_speed_east: m/s over the ground, positive eastward (with the rotation).
        ground_speed_north: m/s over the ground, positive northward.
        label: free text (``"Tokyo - Honolulu"``, ``"ground stop"``).
    """

    duration: float
    latitude_deg: float
    height: float = 0.0
    ground_speed_east: float = 0.0
    ground_speed_north: float = 0.0
    label: str = ""

    def __post_init__(self) -> None:
        check_duration("FlightSegment.duration", self.duration)
        lat = check_finite("FlightSegment.latitude_deg", self.latitude_deg)
        if abs(lat) > 90.0:
            raise RelativityDomainError(
                f"FlightSegment.latitude_deg must be in [-90, 90], got {lat!r}"
            )
        check_finite("FlightSegment.height", self.height)
        check_finite("FlightSegment.ground_speed_east", self.ground_speed_east)
        check_finite("FlightSegment.ground_speed_north", self.ground_speed_north)


@dataclass(frozen=True, slots=True)
class SegmentOffset:
    """What one segment added to the flying clock's offset against the ground clock.

    Attributes:
        label: the segment's label.
        start: s of reference time at the segment's start.
        duration: s.
        speed: flying clock's speed through the non-rotating frame in m/s.
        fractional: rate ratio flying/ground minus 1.
        gravitational: s gained against a clock at rest on the ground (sea level) directly
            below, from the height: the static factors' ratio (~ g h / c^2).
        kinematic: s gained (> 0) or lost (< 0) against that ground clock from the speed
            difference: the motion factors' ratio (~ -(2 v_rot v_east + v_ground^2) / 2c^2).
        net: s against the reference clock: both parts and the (tiny) difference between a
            sea-level clock at this latitude and the reference, as one exact rate ratio.
        cumulative: s, the offset accumulated up to the segment's end.
    """

    label: str
    start: float
    duration: float
    speed: float
    fractional: float
    gravitational: float
    kinematic: float
    net: float
    cumulative: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FlightResult:
    """A flying clock against a ground clock: totals, segments and the accumulation curve.

    Attributes:
        body: name of the body.
        reference_latitude_deg: ground clock's latitude.
        reference_height: ground clock's height above the ellipsoid in m.
        include_j2: whether the potential includes the body's J2.
        duration: total reference time in s.
        gravitational: total gravitational offset in s (flying minus ground).
        kinematic: total kinematic offset in s.
        sea_level: total offset in s of sea-level clocks at the segments' latitudes against
            the reference (~1e-14 fractional with J2: sea level is nearly the geoid).
        net: total offset in s.
        gravitational_ns: ``gravitational`` in ns.
        kinematic_ns: ``kinematic`` in ns.
        net_ns: ``net`` in ns.
        segments: one :class:`SegmentOffset` per segment.
        curve_hours: reference time at each segment boundary in h (for plots).
        curve_ns: accumulated net offset at each boundary in ns.
    """

    body: str
    reference_latitude_deg: float
    reference_height: float
    include_j2: bool
    duration: float
    gravitational: float
    kinematic: float
    sea_level: float
    net: float
    gravitational_ns: float
    kinematic_ns: float
    net_ns: float
    segments: tuple[SegmentOffset, ...] = field(default=())
    curve_hours: tuple[float, ...] = field(default=())
    curve_ns: tuple[float, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; ``segments`` is a list of dictionaries."""
        d = asdict(self)
        d["segments"] = [s.to_dict() for s in self.segments]
        d["curve_hours"] = list(self.curve_hours)
        d["curve_ns"] = list(self.curve_ns)
        return d

    def describe(self) -> str:
        """A table of segments and the totals in ns."""
        lines = [f"{'segment':<28} {'h':>7} {'grav ns':>9} {'kin ns':>9} {'sum ns':>9}"]
        for s in self.segments:
            lines.append(
                f"{s.label[:28]:<28} {s.duration / 3600:>7.2f} {s.gravitational * 1e9:>9.2f} "
                f"{s.kinematic * 1e9:>9.2f} {s.cumulative * 1e9:>9.2f}"
            )
        lines.append(
            f"total {self.duration / 3600:.2f} h: gravitational {self.gravitational_ns:+.1f} ns, "
            f"kinematic {self.kinematic_ns:+.1f} ns, net {self.net_ns:+.1f} ns"
        )
        return "\n".join(lines)


def _state(
    body: Body, lat: float, height: float, ve: float, vn: float, j2: bool
) -> tuple[float, float, float]:
    """(r, 2U/c^2 excess over the monopole factor, v^2/c^2) of a clock."""
    r, rho = ellipsoid_position(body, lat, height)
    if r <= 2.0 * body.gm / _C2:
        raise RelativityDomainError(
            f"height {height!r} m at latitude {lat!r} puts the clock inside {body.name}'s "
            "Schwarzschild radius"
        )
    j2_term = 0.0
    if j2 and body.j2:
        phi = math.radians(lat)
        a, b = body.equatorial_radius, body.polar_radius
        e2 = (a - b) * (a + b) / (a * a)
        s = math.sin(phi)
        n = a / math.sqrt(1.0 - e2 * s * s)
        z = (n * (1.0 - e2) + height) * s
        sin_psi = z / r
        j2_term = body.j2 * (a / r) ** 2 * 0.5 * (3.0 * sin_psi * sin_psi - 1.0)
    v = math.hypot(body.angular_velocity * rho + ve, vn)
    return r, j2_term, (v / _C) ** 2


def _log_ratio(
    body: Body, a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float]:
    """(ln gravitational ratio, ln kinematic ratio) of clock a against clock b."""
    m2 = 2.0 * body.gm / _C2
    ra, ja, ya = a
    rb, jb, yb = b
    ga = m2 / ra * (1.0 - ja)  # 2U/c^2
    gb = m2 / rb * (1.0 - jb)
    # gb - ga without cancellation of the monopole parts
    dg = m2 * ((ra - rb) / (ra * rb) - jb / rb + ja / ra)
    grav = 0.5 * math.log1p(dg / (1.0 - gb))
    la = ya / (1.0 - ga)
    lb = yb / (1.0 - gb)
    kin = 0.5 * (math.log1p(-la) - math.log1p(-lb))
    return grav, kin


def flight_offsets(
    segments: Iterable[FlightSegment],
    *,
    body: Body = EARTH,
    reference_latitude_deg: float = 38.92,
    reference_height: float = 0.0,
    include_j2: bool = True,
) -> FlightResult:
    """Time gained by a clock flown along ``segments`` against a clock fixed on the ground.

    Args:
        segments: the trip, in order (flights and ground stops).
        body: the rotating body (default :data:`EARTH`).
        reference_latitude_deg: latitude of the ground clock (default 38.92, the U.S. Naval
            Observatory in Washington, Hafele and Keating's reference).
        reference_height: height of the ground clock above the ellipsoid in m.
        include_j2: include the body's J2 in both clocks' potential (keep it for Earth).

    Returns:
        a :class:`FlightResult`; positive offsets mean the flying clock gained.

    Raises:
        RelativityDomainError: for no segments, a non-segment item or a bad reference.
    """
    if not isinstance(body, Body):
        raise RelativityDomainError(f"body must be a Body, got {body!r}")
    lat0 = check_finite("reference_latitude_deg", reference_latitude_deg)
    if abs(lat0) > 90.0:
        raise RelativityDomainError(f"reference_latitude_deg must be in [-90, 90], got {lat0!r}")
    h0 = check_finite("reference_height", reference_height)
    ref = _state(body, lat0, h0, 0.0, 0.0, include_j2)
    out: list[SegmentOffset] = []
    start = 0.0
    cumulative = 0.0
    parts_g: list[float] = []
    parts_k: list[float] = []
    parts_s: list[float] = []
    parts_n: list[float] = []
    hours = [0.0]
    curve = [0.0]
    for i, seg in enumerate(segments):
        if not isinstance(seg, FlightSegment):
            raise RelativityDomainError(f"segment {i} must be a FlightSegment, got {seg!r}")
        st = _state(
            body,
            seg.latitude_deg,
            seg.height,
            seg.ground_speed_east,
            seg.ground_speed_north,
            include_j2,
        )
        below = _state(body, seg.latitude_deg, 0.0, 0.0, 0.0, include_j2)
        grav, kin = _log_ratio(body, st, below)
        lg, lk = _log_ratio(body, below, ref)
        t = float(seg.duration)
        frac = math.expm1(grav + kin + lg + lk)
        g, k, n = t * math.expm1(grav), t * math.expm1(kin), t * frac
        parts_g.append(g)
        parts_k.append(k)
        parts_s.append(t * math.expm1(lg + lk))
        parts_n.append(n)
        cumulative = math.fsum(parts_n)
        out.append(
            SegmentOffset(
                label=seg.label or f"segment {i}",
                start=start,
                duration=t,
                speed=_C * math.sqrt(st[2]),
                fractional=frac,
                gravitational=g,
                kinematic=k,
                net=n,
                cumulative=cumulative,
            )
        )
        start += t
        hours.append(start / 3600.0)
        curve.append(cumulative * 1e9)
    if not out:
        raise RelativityDomainError("a flight needs at least one segment, got none")
    gt, kt, nt = math.fsum(parts_g), math.fsum(parts_k), math.fsum(parts_n)
    return FlightResult(
        body=body.name,
        reference_latitude_deg=lat0,
        reference_height=h0,
        include_j2=include_j2,
        duration=start,
        gravitational=gt,
        kinematic=kt,
        sea_level=math.fsum(parts_s),
        net=nt,
        gravitational_ns=gt * 1e9,
        kinematic_ns=kt * 1e9,
        net_ns=nt * 1e9,
        segments=tuple(out),
        curve_hours=tuple(hours),
        curve_ns=tuple(curve),
    )


def _trip(legs: list[tuple[str, float, float, float, float]]) -> tuple[FlightSegment, ...]:
    """(label, hours, latitude, height m, eastward ground speed km/h) rows."""
    return tuple(
        FlightSegment(h * 3600.0, lat, alt, v / 3.6, label=label) for label, h, lat, alt, v in legs
    )


HAFELE_KEATING_EAST = _trip(
    [
        ("Washington - London", 6.5, 48.0, 9_000.0, 800.0),
        ("ground stop", 3.0, 51.5, 0.0, 0.0),
        ("London - Middle East", 5.5, 42.0, 9_000.0, 760.0),
        ("ground stop", 4.0, 33.0, 0.0, 0.0),
        ("Middle East - India - Bangkok", 8.0, 25.0, 8_500.0, 740.0),
        ("ground stop", 4.0, 14.0, 0.0, 0.0),
        ("Bangkok - Hong Kong - Tokyo", 6.5, 27.0, 8_500.0, 720.0),
        ("ground stop", 5.0, 35.5, 0.0, 0.0),
        ("Tokyo - Honolulu - Los Angeles", 9.5, 30.0, 9_000.0, 780.0),
        ("ground stop", 5.0, 34.0, 0.0, 0.0),
        ("Los Angeles - Dallas - Washington", 5.0, 35.0, 8_500.0, 720.0),
    ]
)
"""An illustrative eastward round-the-world trip (41 h aloft in 67 h).

Round numbers resembling the October 1971 trip (route, mid-northern latitudes, 8.5-9.5 km,
560-800 km/h averaged over the ground); Hafele and Keating's leg-by-leg flight log is not
reproduced here, so the totals are compared with their published values only to within the
published uncertainties."""

HAFELE_KEATING_WEST = _trip(
    [
        ("Washington - Los Angeles", 5.5, 37.0, 9_000.0, -600.0),
        ("ground stop", 5.0, 34.0, 0.0, 0.0),
        ("Los Angeles - Honolulu - Guam", 13.0, 20.0, 9_500.0, -620.0),
        ("ground stop", 6.0, 13.5, 0.0, 0.0),
        ("Guam - Okinawa - Taipei - Hong Kong", 6.5, 20.0, 9_000.0, -560.0),
        ("ground stop", 6.0, 22.3, 0.0, 0.0),
        ("Hong Kong - Bangkok - India", 7.0, 20.0, 9_500.0, -600.0),
        ("ground stop", 6.0, 28.6, 0.0, 0.0),
        ("India - Middle East - Europe", 9.0, 35.0, 9_500.0, -580.0),
        ("ground stop", 8.0, 50.0, 0.0, 0.0),
        ("Europe - Washington", 8.0, 48.0, 9_500.0, -580.0),
    ]
)
"""An illustrative westward round-the-world trip (49 h aloft in 80 h), as above."""

HAFELE_KEATING_PUBLISHED: dict[str, dict[str, Any]] = {
    "east": {
        "predicted_gravitational_ns": (144.0, 14.0),
        "predicted_kinematic_ns": (-184.0, 18.0),
        "predicted_net_ns": (-40.0, 23.0),
        "measured_net_ns": (-59.0, 10.0),
    },
    "west": {
        "predicted_gravitational_ns": (179.0, 18.0),
        "predicted_kinematic_ns": (96.0, 10.0),
        "predicted_net_ns": (275.0, 21.0),
        "measured_net_ns": (273.0, 7.0),
    },
}
"""(value, uncertainty) in ns. Predictions: J. C. Hafele and R. E. Keating, Science 177
(1972) 166-168; measurements: Science 177 (1972) 168-170 (eastward -59 +- 10 ns, westward
+273 +- 7 ns, standard deviations)."""


def hafele_keating(direction: str, segments: Iterable[FlightSegment] | None = None) -> FlightResult:
    """The Hafele-Keating comparison for ``"east"`` or ``"west"``.

    Args:
        direction: ``"east"`` or ``"west"``.
        segments: a trip to use instead of the illustrative one
            (:data:`HAFELE_KEATING_EAST` / :data:`HAFELE_KEATING_WEST`).

    Returns:
        the :class:`FlightResult` against a ground clock at the U.S. Naval Observatory
        (38.92 N), Earth with J2. Published numbers are in :data:`HAFELE_KEATING_PUBLISHED`.
    """
    if direction not in ("east", "west"):
        raise RelativityDomainError(f"direction must be 'east' or 'west', got {direction!r}")
    if segments is None:
        segments = HAFELE_KEATING_EAST if direction == "east" else HAFELE_KEATING_WEST
    return flight_offsets(segments)
