r"""Any clock in a Schwarzschild field: at rest, moving, on a rotating body's surface.

A clock at areal radius *r* moving with speed *v* through the body's static
(non-rotating) frame ticks, against coordinate time *t* (a static clock far away), at

.. math:: \frac{d\tau}{dt} = \sqrt{1 - \frac{r_s}{r} - \frac{v^2}{c^2}}.

This is exact in Schwarzschild spacetime with
:math:`v^2 = r^2\dot\Omega^2 + \dot r^2/(1 - r_s/r)`: for horizontal motion *v* is the
coordinate speed :math:`r\,d\phi/dt` (a circular orbit has :math:`v^2 = GM/r`); a radial
coordinate speed :math:`dr/dt` enters divided by :math:`\sqrt{1 - r_s/r}`. Equivalently
:math:`v = \sqrt{1 - r_s/r}\;v_\mathrm{local}`, with :math:`v_\mathrm{local}` the speed a
static observer at *r* measures, so :math:`d\tau/dt = \sqrt{1-r_s/r}\,\sqrt{1 -
v_\mathrm{local}^2/c^2}` splits into a *gravitational* and a *kinematic* factor; the
comparisons below report the two parts separately, with ``1 + net = (1 + grav)(1 + kin)``
exactly.

Allowed: ``r > r_s`` and ``v^2 < c^2 (1 - r_s/r)`` (the clock moves slower than light as
the local static observer measures it).

Numerics: with :math:`x = r_s/r + v^2/c^2` (a sum of two non-negative terms, so no
cancellation), the deficit :math:`1 - d\tau/dt = -\mathrm{expm1}(\tfrac12\mathrm{log1p}(-x))`
keeps ~1e-16 relative accuracy at walking speed on Earth (x ~ 1e-9). The ratio of two
clocks comes from :math:`x_b - x_a = r_s (r_a - r_b)/(r_a r_b) + (v_b - v_a)(v_b + v_a)/c^2`,
so two clocks a metre apart or at nearly equal speeds lose no digits either.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import SPEED_OF_LIGHT, Body
from qtcore.relativity._general import schwarzschild_radius
from qtcore.relativity._validate import check_duration, check_finite, check_positive

__all__ = [
    "ClockComparison",
    "SurfaceClock",
    "clock_comparison",
    "clock_rate",
    "clock_rate_deficit",
    "surface_clock",
]

_C = SPEED_OF_LIGHT
_C2 = _C * _C


def _state(mass: float | Body, radius: object, speed: object, name: str) -> tuple[float, float]:
    """(r, v) after the domain checks; ``name`` prefixes the messages ("" or "clock_a ")."""
    rs = schwarzschild_radius(mass)
    r = check_positive(f"{name}radius", radius, " m")
    if r <= rs:
        raise RelativityDomainError(
            f"{name}radius = {r!r} m is at or inside the Schwarzschild radius r_s = {rs!r} m; "
            "a clock needs r > r_s"
        )
    v = check_finite(f"{name}speed", speed)
    if v < 0.0:
        raise RelativityDomainError(
            f"{name}speed is a magnitude and must be >= 0 m/s, got {v!r} m/s"
        )
    # v^2 < c^2 (1 - r_s/r)  <=>  v < c sqrt((r - r_s)/r)
    v_max = _C * math.sqrt((r - rs) / r)
    if v >= v_max:
        raise RelativityDomainError(
            f"{name}speed = {v!r} m/s at r = {r!r} m is not below the local speed of light: "
            f"need v^2 < c^2 (1 - r_s/r), i.e. v < {v_max!r} m/s there"
        )
    return r, v


def _x(mass: float | Body, r: float, v: float) -> float:
    """r_s/r + v^2/c^2 (r_s as :func:`schwarzschild_radius` gives it, so v = 0 is static)."""
    return schwarzschild_radius(mass) / r + (v / _C) ** 2


def _rate_squared(mass: float | Body, r: float, v: float) -> float:
    """1 - r_s/r - v^2/c^2, with each term formed where it does not cancel.

    Fast clocks use (c - v)(c + v)/c^2 - r_s/r; slow ones (r - r_s)/r - v^2/c^2 (exact near
    the horizon). Only a clock near the horizon *and* near the local light speed is left
    ill-conditioned, as the problem itself is there.
    """
    rs = schwarzschild_radius(mass)
    if v > 0.5 * _C:
        return (_C - v) * (_C + v) / _C2 - rs / r
    return (r - rs) / r - (v / _C) ** 2


def clock_rate(mass: float | Body, radius: float, speed: float = 0.0) -> float:
    """Rate d tau/dt = sqrt(1 - r_s/r - v^2/c^2) of a clock against a static clock at infinity.

    Args:
        mass: kg (> 0) or a :class:`Body`.
        radius: areal radius r in m, > r_s.
        speed: speed v in m/s through the static frame (see the module docstring for radial
            motion), ``0 <= v`` and ``v^2 < c^2 (1 - r_s/r)``.

    Reduces exactly to :func:`static_time_dilation_factor` for v = 0, to
    :func:`circular_orbit_time_dilation_factor` for v^2 = GM/r and, far from the mass, to
    1/gamma.

    Raises:
        RelativityDomainError: for r <= r_s, v < 0, v^2 >= c^2 (1 - r_s/r), mass <= 0 or
            non-finite input.
    """
    r, v = _state(mass, radius, speed, "")
    return math.sqrt(_rate_squared(mass, r, v))


def clock_rate_deficit(mass: float | Body, radius: float, speed: float = 0.0) -> float:
    """1 - d tau/dt without cancellation (about 6.96e-10 for a clock at rest on Earth)."""
    r, v = _state(mass, radius, speed, "")
    x = _x(mass, r, v)
    if x < 0.5:  # the deficit is small: no 1 - sqrt(...) cancellation
        return -math.expm1(0.5 * math.log1p(-x))
    return 1.0 - math.sqrt(_rate_squared(mass, r, v))


@dataclass(frozen=True, slots=True)
class ClockComparison:
    """Clock a against reference clock b, both at fixed radius and speed in one field.

    Attributes:
        radius_a: m.
        speed_a: m/s through the static frame.
        radius_b: m.
        speed_b: m/s.
        rate_a: d tau_a / dt.
        rate_b: d tau_b / dt.
        fractional: rate_a / rate_b - 1 (> 0: clock a runs fast).
        gravitational_fractional: ratio of the static factors sqrt(1 - r_s/r), minus 1.
        kinematic_fractional: ratio of the motion factors sqrt(1 - v_local^2/c^2), minus 1.
        coordinate_duration: t elapsed in s (far-away static clock).
        tau_a: proper time of clock a in s.
        tau_b: proper time of clock b in s.
        offset: tau_a - tau_b in s, from ``fractional`` (not a difference of large numbers).
        gravitational_offset: tau_b * gravitational_fractional in s.
        kinematic_offset: tau_b * kinematic_fractional in s.
        weak_field_fractional: first-order estimate GM(1/r_b - 1/r_a)/c^2 + (v_b^2 - v_a^2)/2c^2.
    """

    radius_a: float
    speed_a: float
    radius_b: float
    speed_b: float
    rate_a: float
    rate_b: float
    fractional: float
    gravitational_fractional: float
    kinematic_fractional: float
    coordinate_duration: float
    tau_a: float
    tau_b: float
    offset: float
    gravitational_offset: float
    kinematic_offset: float
    weak_field_fractional: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)

    def describe(self) -> str:
        """A short human-readable summary."""
        return "\n".join(
            [
                f"clock a: r = {self.radius_a:.9g} m, v = {self.speed_a:.9g} m/s, "
                f"rate {self.rate_a:.15g}",
                f"clock b: r = {self.radius_b:.9g} m, v = {self.speed_b:.9g} m/s, "
                f"rate {self.rate_b:.15g}",
                f"rate a/b - 1    {self.fractional:+.9e} "
                f"(gravitational {self.gravitational_fractional:+.6e}, "
                f"kinematic {self.kinematic_fractional:+.6e})",
                f"tau_a - tau_b   {self.offset:+.9e} s over tau_b = {self.tau_b:.9g} s",
            ]
        )


def _log_parts(m2: float, ra: float, va: float, rb: float, vb: float) -> tuple[float, float]:
    """(ln of the gravitational ratio, ln of the kinematic ratio), a against b.

    ``m2`` is r_s. Each factor's ratio is evaluated as log1p of a small, exactly formed
    difference so nearby clocks keep full relative precision.
    """
    ga = m2 / ra  # r_s / r_a
    gb = m2 / rb
    # ln sqrt((1 - ga)/(1 - gb)) = 0.5 log1p((gb - ga)/(1 - gb)); gb - ga = r_s (ra - rb)/(ra rb)
    grav = 0.5 * math.log1p(m2 * (ra - rb) / (ra * rb) / (1.0 - gb))
    # kinematic factors sqrt(1 - y/(1 - g)) with y = v^2/c^2; ratio a/b:
    # (1 - ya/(1-ga)) / (1 - yb/(1-gb)) = 1 + (yb/(1-gb) - ya/(1-ga)) / (1 - yb/(1-gb))
    ya = (va / _C) ** 2
    yb = (vb / _C) ** 2
    lb = yb / (1.0 - gb)  # v_local^2 / c^2 of clock b
    # lb - la = [(vb - va)(vb + va)/c^2 (1 - ga) + ya (gb - ga)] / ((1 - ga)(1 - gb))
    dl = ((vb - va) * (vb + va) / _C2 * (1.0 - ga) + ya * m2 * (ra - rb) / (ra * rb)) / (
        (1.0 - ga) * (1.0 - gb)
    )
    kin = 0.5 * math.log1p(dl / (1.0 - lb))
    return grav, kin


def clock_comparison(
    mass: float | Body,
    radius_a: float,
    speed_a: float,
    radius_b: float,
    speed_b: float = 0.0,
    *,
    coordinate_duration: float | None = None,
    proper_duration: float | None = None,
) -> ClockComparison:
    """Accumulated offset of clock a against clock b over a coordinate or proper duration.

    Args:
        mass: kg (> 0) or a :class:`Body`.
        radius_a: radius of clock a in m.
        speed_a: speed of clock a through the static frame in m/s.
        radius_b: radius of the reference clock b in m.
        speed_b: speed of clock b in m/s.
        coordinate_duration: t in s (time of a static clock far away), or
        proper_duration: tau_b in s, the reference clock's own duration (exactly one).

    Returns:
        a :class:`ClockComparison`.

    Raises:
        RelativityDomainError: for either clock outside its domain (see :func:`clock_rate`),
            or not exactly one duration.
    """
    ra, va = _state(mass, radius_a, speed_a, "clock_a ")
    rb, vb = _state(mass, radius_b, speed_b, "clock_b ")
    if (coordinate_duration is None) == (proper_duration is None):
        raise RelativityDomainError(
            "give exactly one of coordinate_duration or proper_duration (of clock b), got "
            f"coordinate_duration={coordinate_duration!r}, proper_duration={proper_duration!r}"
        )
    m2 = schwarzschild_radius(mass)
    rate_a = math.sqrt(_rate_squared(mass, ra, va))
    rate_b = math.sqrt(_rate_squared(mass, rb, vb))
    if coordinate_duration is not None:
        t = check_duration("coordinate_duration", coordinate_duration)
        tau_b = t * rate_b
    else:
        tau_b = check_duration("proper_duration", proper_duration)
        t = tau_b / rate_b
    grav, kin = _log_parts(m2, ra, va, rb, vb)
    frac = math.expm1(grav + kin)
    g_frac = math.expm1(grav)
    k_frac = math.expm1(kin)
    half_m = 0.5 * m2
    weak = half_m * (ra - rb) / (ra * rb) + 0.5 * (vb - va) * (vb + va) / _C2
    return ClockComparison(
        radius_a=ra,
        speed_a=va,
        radius_b=rb,
        speed_b=vb,
        rate_a=rate_a,
        rate_b=rate_b,
        fractional=frac,
        gravitational_fractional=g_frac,
        kinematic_fractional=k_frac,
        coordinate_duration=t,
        tau_a=tau_b * (1.0 + frac),
        tau_b=tau_b,
        offset=tau_b * frac,
        gravitational_offset=tau_b * g_frac,
        kinematic_offset=tau_b * k_frac,
        weak_field_fractional=weak,
    )


@dataclass(frozen=True, slots=True)
class SurfaceClock:
    """A clock near a rotating body's surface, in the body's static (non-rotating) frame.

    Attributes:
        body: name of the body.
        latitude_deg: geodetic latitude in degrees.
        height: height above the reference ellipsoid in m.
        ground_speed_east: ground speed towards the east in m/s (negative: west).
        ground_speed_north: ground speed towards the north in m/s.
        radius: distance from the body's centre in m.
        axis_distance: distance from the spin axis in m.
        rotation_speed: speed of the ground below, omega * axis_distance, in m/s.
        speed: total speed through the static frame in m/s.
        rate: d tau/dt against a static clock at infinity.
        deficit: 1 - rate.
    """

    body: str
    latitude_deg: float
    height: float
    ground_speed_east: float
    ground_speed_north: float
    radius: float
    axis_distance: float
    rotation_speed: float
    speed: float
    rate: float
    deficit: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)


def ellipsoid_position(body: Body, latitude_deg: float, height: float) -> tuple[float, float]:
    """(r, rho): distance from the centre and from the spin axis on ``body``'s ellipsoid."""
    phi = math.radians(latitude_deg)
    a = body.equatorial_radius
    b = body.polar_radius
    e2 = (a - b) * (a + b) / (a * a)
    s = math.sin(phi)
    n = a / math.sqrt(1.0 - e2 * s * s)
    rho = (n + height) * math.cos(phi)
    z = (n * (1.0 - e2) + height) * s
    return math.hypot(rho, z), abs(rho)


def surface_clock(
    body: Body,
    latitude_deg: float,
    height: float = 0.0,
    ground_speed_east: float = 0.0,
    ground_speed_north: float = 0.0,
) -> SurfaceClock:
    """A clock at ``height`` above a rotating body's ellipsoid, moving over the ground.

    The clock's speed through the static frame is the vector sum of the ground's rotation
    (omega * distance from the axis, eastward) and its ground velocity; the potential is
    the monopole GM/r (use the GPS calculator's ``include_j2`` for the oblateness term).

    Args:
        body: a :class:`Body` (its ``angular_velocity`` and ellipsoid radii are used).
        latitude_deg: geodetic latitude in degrees, -90..90.
        height: height above the ellipsoid in m (> -polar radius).
        ground_speed_east: m/s, positive eastward (with the rotation), negative westward.
        ground_speed_north: m/s, positive northward.

    Raises:
        RelativityDomainError: for |latitude| > 90, a clock inside r_s or moving at or above
            the local speed of light, or non-finite input.
    """
    if not isinstance(body, Body):
        raise RelativityDomainError(f"body must be a Body, got {body!r}")
    lat = check_finite("latitude_deg", latitude_deg)
    if abs(lat) > 90.0:
        raise RelativityDomainError(f"latitude_deg must be in [-90, 90], got {lat!r}")
    h = check_finite("height", height)
    ve = check_finite("ground_speed_east", ground_speed_east)
    vn = check_finite("ground_speed_north", ground_speed_north)
    r, rho = ellipsoid_position(body, lat, h)
    if r <= 0.0:
        raise RelativityDomainError(
            f"height {h!r} m puts the clock at or below {body.name}'s centre"
        )
    v_rot = body.angular_velocity * rho
    speed = math.hypot(v_rot + ve, vn)
    deficit = clock_rate_deficit(body, r, speed)
    return SurfaceClock(
        body=body.name,
        latitude_deg=lat,
        height=h,
        ground_speed_east=ve,
        ground_speed_north=vn,
        radius=r,
        axis_distance=rho,
        rotation_speed=v_rot,
        speed=speed,
        rate=1.0 - deficit,
        deficit=deficit,
    )
