r"""GPS-style clock comparison: a clock on a circular orbit against a clock on the ground.

Model (Schwarzschild, or its weak-field form when the body's J2 is included): a clock at
radius *r* moving with speed *v* (relative to the body's non-rotating frame) ticks at

.. math:: \frac{d\tau}{dt} = \sqrt{1 - \frac{2\,U}{c^2} - \frac{v^2}{c^2}},
   \qquad U = \frac{GM}{r}\Big(1 - J_2 \frac{a^2}{r^2} P_2(\sin\psi)\Big),

which for J2 = 0 is the exact Schwarzschild rate of a clock moving on a circle. The
satellite is on a circular geodesic (v^2 = GM/r, so its rate is sqrt(1 - 3GM/rc^2)); the
monopole is used for it even when J2 is included for the ground clock (the J2 terms at
GPS altitude are periodic and ~1e-14). The comparison is the ratio of the two rates:

* ``gr`` -- ratio of *static* clocks at the two positions, minus 1 (gravitational blueshift
  of the satellite clock, about +45.7 us/day for GPS);
* ``sr`` -- ratio of each clock's motion factor, minus 1 (about -7.2 us/day);
* ``net`` -- ratio of the full rates minus 1, so 1 + net = (1 + sr)(1 + gr) exactly.

"Per day" means per 86 400 s of the ground clock. Published values this reproduces:
-7.2, +45.7 and +38.5 us/day for a = 26 561.75 km against a non-rotating clock at Earth's
mean radius; with rotation and J2 on the geoid, the net fractional rate is 4.465e-10
(38.6 us/day) as in Ashby, Living Rev. Relativ. 6 (2003) 1, eq. 35.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import EARTH, SECONDS_PER_DAY, SPEED_OF_LIGHT, Body
from qtcore.relativity._validate import check_finite, check_positive

__all__ = ["GPS_ORBIT_RADIUS", "GpsClockOffsets", "gps_clock_offsets"]

GPS_ORBIT_RADIUS = 26_561.75e3
"""Nominal GPS semi-major axis in m (Ashby 2003, Living Rev. Relativ. 6, 1)."""

_C = SPEED_OF_LIGHT
_C2 = _C * _C
_US_PER_DAY = SECONDS_PER_DAY * 1e6


@dataclass(frozen=True, slots=True)
class GpsClockOffsets:
    """Rate of an orbiting clock relative to a ground clock.

    Attributes:
        body: name of the central body.
        orbit_radius: satellite orbit radius in m.
        orbital_speed: satellite speed sqrt(GM/r) in m/s.
        ground_radius: distance of the ground clock from the body's centre in m.
        ground_speed: ground clock's speed from the body's rotation in m/s (0 if none).
        latitude_deg: geodetic latitude of the ground clock, or None (non-rotating).
        include_j2: whether the ground potential includes the body's J2.
        sr_fractional: motion (special-relativistic) part of the rate ratio, minus 1.
        gr_fractional: gravitational part of the rate ratio, minus 1.
        net_fractional: full rate ratio satellite/ground minus 1.
        sr_us_per_day: ``sr_fractional`` in microseconds per day.
        gr_us_per_day: ``gr_fractional`` in microseconds per day.
        net_us_per_day: ``net_fractional`` in microseconds per day (>0: satellite gains).
        weak_field_sr_us_per_day: first-order estimate -(v_sat^2 - v_ground^2)/(2c^2).
        weak_field_gr_us_per_day: first-order estimate (U_ground - U_sat)/c^2 (U < 0).
    """

    body: str
    orbit_radius: float
    orbital_speed: float
    ground_radius: float
    ground_speed: float
    latitude_deg: float | None
    include_j2: bool
    sr_fractional: float
    gr_fractional: float
    net_fractional: float
    sr_us_per_day: float
    gr_us_per_day: float
    net_us_per_day: float
    weak_field_sr_us_per_day: float
    weak_field_gr_us_per_day: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)

    def describe(self) -> str:
        """A short human-readable summary."""
        where = (
            "non-rotating"
            if self.latitude_deg is None
            else f"latitude {self.latitude_deg:g} deg, rotating"
            + (", with J2" if self.include_j2 else "")
        )
        return "\n".join(
            [
                f"{self.body}: orbit r = {self.orbit_radius / 1e3:.6f} km "
                f"(v = {self.orbital_speed:.3f} m/s) vs ground clock at "
                f"r = {self.ground_radius / 1e3:.6f} km ({where}, v = {self.ground_speed:.3f} m/s)",
                f"special relativity  {self.sr_us_per_day:+.6f} us/day ({self.sr_fractional:+.6e})",
                f"general relativity  {self.gr_us_per_day:+.6f} us/day ({self.gr_fractional:+.6e})",
                f"net                 {self.net_us_per_day:+.6f} us/day "
                f"({self.net_fractional:+.6e})",
            ]
        )


def _ground_position(body: Body, latitude_deg: float, height: float) -> tuple[float, float, float]:
    """(r, rho, sin psi): radius, distance from the spin axis, sine of geocentric latitude."""
    phi = math.radians(latitude_deg)
    a = body.equatorial_radius
    b = body.polar_radius
    e2 = (a - b) * (a + b) / (a * a)
    s = math.sin(phi)
    n = a / math.sqrt(1.0 - e2 * s * s)
    rho = (n + height) * math.cos(phi)
    z = (n * (1.0 - e2) + height) * s
    r = math.hypot(rho, z)
    return r, rho, z / r


def gps_clock_offsets(
    orbit_radius: float | None = None,
    *,
    altitude: float | None = None,
    body: Body = EARTH,
    ground_radius: float | None = None,
    latitude_deg: float | None = None,
    ground_height: float = 0.0,
    include_j2: bool = False,
) -> GpsClockOffsets:
    """SR, GR and net rate offsets of a clock on a circular orbit against a ground clock.

    Args:
        orbit_radius: orbit radius in m; default GPS's 26 561.75 km when ``altitude`` is
            not given either.
        altitude: orbit height above the body's mean radius in m (instead of
            ``orbit_radius``).
        body: central body (default :data:`EARTH`).
        ground_radius: radius of a non-rotating ground clock in m; default the body's
            mean radius. Not allowed together with ``latitude_deg``.
        latitude_deg: geodetic latitude in degrees, -90..90: puts the ground clock on the
            body's reference ellipsoid, co-rotating with the body.
        ground_height: height of the ground clock above that surface in m.
        include_j2: add the body's J2 to the ground clock's potential (needs a latitude).

    Returns:
        a :class:`GpsClockOffsets`; positive offsets mean the satellite clock runs fast.

    Raises:
        RelativityDomainError: for non-physical or conflicting inputs (orbit inside the
            photon sphere or below the surface, |latitude| > 90, both radius and altitude).
    """
    if not isinstance(body, Body):
        raise RelativityDomainError(f"body must be a Body, got {body!r}")
    m = body.gm / _C2
    if orbit_radius is not None and altitude is not None:
        raise RelativityDomainError(
            "give either orbit_radius or altitude, not both "
            f"(got {orbit_radius!r} m and {altitude!r} m)"
        )
    if altitude is not None:
        h_sat = check_finite("altitude", altitude)
        if h_sat <= 0.0:
            raise RelativityDomainError(f"altitude must be > 0 m, got {h_sat!r} m")
        r_sat = body.radius + h_sat
    elif orbit_radius is not None:
        r_sat = check_positive("orbit_radius", orbit_radius, " m")
    else:
        r_sat = GPS_ORBIT_RADIUS
    if r_sat <= body.polar_radius:
        raise RelativityDomainError(
            f"orbit_radius = {r_sat!r} m is below the surface of {body.name} "
            f"(polar radius {body.polar_radius!r} m); an orbit needs r > that"
        )
    if r_sat <= 3.0 * m:
        raise RelativityDomainError(
            f"orbit_radius = {r_sat!r} m is inside the photon sphere 3GM/c^2 = {3 * m!r} m"
        )
    h_g = check_finite("ground_height", ground_height)
    if include_j2 and latitude_deg is None:
        raise RelativityDomainError("include_j2=True needs latitude_deg (J2 depends on it)")

    j2_term = 0.0  # J2 (a/r)^2 P2(sin psi)
    if latitude_deg is None:
        r_g = (
            body.radius
            if ground_radius is None
            else check_positive("ground_radius", ground_radius, " m")
        ) + h_g
        v2_g = 0.0
        lat: float | None = None
    else:
        if ground_radius is not None:
            raise RelativityDomainError(
                "ground_radius and latitude_deg are exclusive: the latitude places the "
                f"clock on {body.name}'s ellipsoid (got ground_radius={ground_radius!r})"
            )
        lat = check_finite("latitude_deg", latitude_deg)
        if abs(lat) > 90.0:
            raise RelativityDomainError(f"latitude_deg must be in [-90, 90], got {lat!r}")
        r_g, rho, sin_psi = _ground_position(body, lat, h_g)
        v_g = body.angular_velocity * rho
        v2_g = v_g * v_g
        if include_j2:
            a = body.equatorial_radius
            j2_term = body.j2 * (a / r_g) ** 2 * 0.5 * (3.0 * sin_psi * sin_psi - 1.0)
    if r_g <= 2.0 * m:
        raise RelativityDomainError(
            f"ground radius {r_g!r} m is inside the Schwarzschild radius {2 * m!r} m"
        )

    # Squared static rates: 1 - x, with x_sat = 2m/r_sat and x_g = 2m/r_g (1 - j2_term).
    x_sat = 2.0 * m / r_sat
    x_g = 2.0 * m / r_g * (1.0 - j2_term)
    # x_g - x_sat without cancellation.
    dx = 2.0 * m * ((r_sat - r_g) / (r_sat * r_g) - j2_term / r_g)
    gr_log = 0.5 * math.log1p(dx / (1.0 - x_g))
    # Motion factors sqrt(1 - y/(1 - x)), y = v^2/c^2; satellite v^2 = GM/r.
    y_sat = m / r_sat
    y_g = v2_g / _C2
    sr_log = 0.5 * (math.log1p(-y_sat / (1.0 - x_sat)) - math.log1p(-y_g / (1.0 - x_g)))

    sr = math.expm1(sr_log)
    gr = math.expm1(gr_log)
    net = math.expm1(sr_log + gr_log)
    return GpsClockOffsets(
        body=body.name,
        orbit_radius=r_sat,
        orbital_speed=math.sqrt(body.gm / r_sat),
        ground_radius=r_g,
        ground_speed=math.sqrt(v2_g),
        latitude_deg=lat,
        include_j2=include_j2,
        sr_fractional=sr,
        gr_fractional=gr,
        net_fractional=net,
        sr_us_per_day=sr * _US_PER_DAY,
        gr_us_per_day=gr * _US_PER_DAY,
        net_us_per_day=net * _US_PER_DAY,
        weak_field_sr_us_per_day=-(y_sat - y_g) / 2.0 * _US_PER_DAY,
        weak_field_gr_us_per_day=0.5 * dx * _US_PER_DAY,
    )
