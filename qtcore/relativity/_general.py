r"""General relativity outside a spherical mass (Schwarzschild) and its weak-field forms.

Conventions: SI units; ``mass`` is a mass in kg (converted with CODATA 2018 *G*) or a
:class:`~qtcore.relativity.Body`, whose *GM* is used directly (more precise). Radii are
Schwarzschild areal radii *r* (circumference / 2 pi). Rates are ``d tau / d t`` where *t* is
the time of a static clock far away.

Numerics: factors such as :math:`1-\sqrt{1-r_s/r}` (about 7e-10 on Earth) are evaluated
as ``-expm1(0.5 * log1p(-r_s / r))``; ratios of two nearby clocks (Pound-Rebka's 22.5 m)
from the exact difference of the two radii, so relative accuracy stays ~1e-15.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import GRAVITATIONAL_CONSTANT, SPEED_OF_LIGHT, Body
from qtcore.relativity._validate import check_positive

__all__ = [
    "GravitationalRedshift",
    "circular_orbit_speed",
    "circular_orbit_time_dilation_deficit",
    "circular_orbit_time_dilation_factor",
    "gravitational_redshift",
    "photon_sphere_radius",
    "schwarzschild_radius",
    "static_time_dilation_deficit",
    "static_time_dilation_factor",
    "weak_field_time_dilation_deficit",
]

_C = SPEED_OF_LIGHT
_C2 = _C * _C


def gm_of(mass: float | Body) -> float:
    """G*M in m^3/s^2 for a mass in kg (> 0) or a :class:`Body`."""
    if isinstance(mass, Body):
        return mass.gm
    return GRAVITATIONAL_CONSTANT * check_positive("mass", mass, " kg")


def _half_rs(mass: float | Body) -> float:
    """GM / c^2 in m (half the Schwarzschild radius)."""
    return gm_of(mass) / _C2


def _outside_horizon(name: str, r: object, rs: float) -> float:
    x = check_positive(name, r, " m")
    if x <= rs:
        raise RelativityDomainError(
            f"{name} = {x!r} m is at or inside the Schwarzschild radius r_s = {rs!r} m; "
            "static clocks exist only for r > r_s"
        )
    return x


def schwarzschild_radius(mass: float | Body) -> float:
    """Schwarzschild radius r_s = 2GM/c^2 in m.

    Args:
        mass: kg (> 0) or a :class:`Body`.
    """
    return 2.0 * _half_rs(mass)


def photon_sphere_radius(mass: float | Body) -> float:
    """Photon-sphere radius 3GM/c^2 in m, the innermost circular orbit (of light)."""
    return 3.0 * _half_rs(mass)


def static_time_dilation_factor(mass: float | Body, radius: float) -> float:
    """Rate sqrt(1 - r_s/r) of a static clock at ``radius`` against a clock at infinity.

    Raises:
        RelativityDomainError: for r <= r_s, mass <= 0 or non-finite input.
    """
    rs = schwarzschild_radius(mass)
    r = _outside_horizon("radius", radius, rs)
    return math.sqrt((r - rs) / r)


def static_time_dilation_deficit(mass: float | Body, radius: float) -> float:
    """1 - sqrt(1 - r_s/r) without cancellation (about 6.96e-10 at Earth's surface)."""
    rs = schwarzschild_radius(mass)
    r = _outside_horizon("radius", radius, rs)
    return -math.expm1(0.5 * math.log1p(-rs / r))


def weak_field_time_dilation_deficit(mass: float | Body, radius: float) -> float:
    """First-order weak-field deficit GM/(r c^2) = -Phi/c^2 (Newtonian potential Phi).

    Agrees with :func:`static_time_dilation_deficit` to a relative (GM/rc^2)/2.
    """
    return _half_rs(mass) / check_positive("radius", radius, " m")


def circular_orbit_speed(mass: float | Body, radius: float) -> float:
    """Orbital speed sqrt(GM/r) in m/s of a circular geodesic (r d phi / dt, Kepler's law).

    In Schwarzschild coordinates Kepler's third law is exact: Omega^2 = GM/r^3.
    """
    gm = gm_of(mass)
    return math.sqrt(gm / check_positive("radius", radius, " m"))


def _orbit_radius(mass: float | Body, radius: float) -> tuple[float, float]:
    m = _half_rs(mass)
    r = check_positive("radius", radius, " m")
    if r <= 3.0 * m:
        raise RelativityDomainError(
            f"radius = {r!r} m is at or inside the photon sphere 3GM/c^2 = {3.0 * m!r} m; "
            "no circular geodesic for a massive body exists there (need r > 3GM/c^2; "
            "orbits below 6GM/c^2 are unstable)"
        )
    return m, r


def circular_orbit_time_dilation_factor(mass: float | Body, radius: float) -> float:
    """Rate d tau/dt = sqrt(1 - 3GM/(r c^2)) of a clock on a circular geodesic orbit.

    Combines the gravitational (1 - 2GM/rc^2) and the orbital-motion (GM/rc^2) terms.

    Raises:
        RelativityDomainError: for r <= 3GM/c^2 (the photon sphere), where no circular
            geodesic exists for a massive clock.
    """
    m, r = _orbit_radius(mass, radius)
    return math.sqrt((r - 3.0 * m) / r)


def circular_orbit_time_dilation_deficit(mass: float | Body, radius: float) -> float:
    """1 - sqrt(1 - 3GM/(r c^2)) without cancellation."""
    m, r = _orbit_radius(mass, radius)
    return -math.expm1(0.5 * math.log1p(-3.0 * m / r))


@dataclass(frozen=True, slots=True)
class GravitationalRedshift:
    """Light sent between two static observers in a Schwarzschild field.

    Attributes:
        emitter_radius: m.
        receiver_radius: m.
        frequency_ratio: f_received / f_emitted.
        fractional_frequency_shift: f_received / f_emitted - 1 (> 0: blueshift, light fell).
        z: redshift, lambda_received / lambda_emitted - 1 (> 0: redshift, light climbed).
        velocity_equivalent: c z in m/s (how astronomers quote white-dwarf redshifts).
        weak_field_fractional_frequency_shift: GM/c^2 (1/r_receiver - 1/r_emitter).
        weak_field_relative_error: weak-field estimate / exact shift - 1 (0 when both are 0).

    ``receiver_radius`` is ``math.inf`` for a receiver far away; :meth:`to_dict` (JSON has
    no infinity) gives ``None`` there and ``receiver_at_infinity: True``.
    """

    emitter_radius: float
    receiver_radius: float
    frequency_ratio: float
    fractional_frequency_shift: float
    z: float
    velocity_equivalent: float
    weak_field_fractional_frequency_shift: float
    weak_field_relative_error: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields (plus ``receiver_at_infinity``)."""
        d = asdict(self)
        far = math.isinf(self.receiver_radius)
        d["receiver_at_infinity"] = far
        if far:
            d["receiver_radius"] = None
        return d

    def describe(self) -> str:
        """A short human-readable summary."""
        return "\n".join(
            [
                f"emitter at r = {self.emitter_radius:.9g} m, "
                f"receiver at r = {self.receiver_radius:.9g} m",
                f"f_received/f_emitted - 1  {self.fractional_frequency_shift:.9e}",
                f"z                         {self.z:.9e}",
                f"c z                       {self.velocity_equivalent:.9g} m/s",
                f"weak-field estimate       {self.weak_field_fractional_frequency_shift:.9e}",
            ]
        )


def _relative_error(estimate: float, exact: float) -> float:
    # exact == 0 only for equal radii, where the estimate is 0 too.
    return 0.0 if exact == 0.0 else (estimate - exact) / exact


def gravitational_redshift(
    mass: float | Body, emitter_radius: float, receiver_radius: float
) -> GravitationalRedshift:
    """Gravitational frequency shift between static emitter and receiver.

    f_r / f_e = sqrt((1 - r_s/r_e) / (1 - r_s/r_r)). Evaluated as
    ``log1p(r_s (r_e - r_r) / (r_e r_r (1 - r_s/r_r)))`` so the 2.46e-15 shift over
    Pound and Rebka's 22.5 m tower keeps full precision.

    Args:
        mass: kg (> 0) or a :class:`Body`.
        emitter_radius: radius of the source in m, > r_s.
        receiver_radius: radius of the receiver in m, > r_s, or ``math.inf`` for a
            receiver far away (the redshift to infinity, z = 1/sqrt(1 - r_s/r_e) - 1).

    Raises:
        RelativityDomainError: for a radius <= r_s, a non-finite emitter radius, a NaN or
            -inf receiver radius, or mass <= 0.
    """
    rs = schwarzschild_radius(mass)
    re = _outside_horizon("emitter_radius", emitter_radius, rs)
    if isinstance(receiver_radius, int | float) and receiver_radius == math.inf:
        # Receiver far away: ln(f_r/f_e) = 0.5 log1p(-rs/re), weak field -GM/(re c^2).
        rr = math.inf
        log_ratio = 0.5 * math.log1p(-rs / re)
        weak = -0.5 * rs / re
    else:
        rr = _outside_horizon("receiver_radius", receiver_radius, rs)
        # ln(f_r/f_e) = 0.5 ln((1 - rs/re)/(1 - rs/rr)) = 0.5 log1p(rs (re - rr)/(re (rr - rs)))
        log_ratio = 0.5 * math.log1p(rs * (re - rr) / (re * (rr - rs)))
        weak = 0.5 * rs * (re - rr) / (re * rr)
    z = math.expm1(-log_ratio)
    return GravitationalRedshift(
        emitter_radius=re,
        receiver_radius=rr,
        frequency_ratio=math.exp(log_ratio),
        fractional_frequency_shift=math.expm1(log_ratio),
        z=z,
        velocity_equivalent=_C * z,
        weak_field_fractional_frequency_shift=weak,
        weak_field_relative_error=_relative_error(weak, math.expm1(log_ratio)),
    )
