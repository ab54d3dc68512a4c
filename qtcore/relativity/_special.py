r"""Special relativity: Lorentz factor, time dilation, Doppler, energy and momentum.

Conventions: SI units; a *speed* is a magnitude ``0 <= v < c``; a *velocity* is signed
along one axis, ``-c < v < c``. :math:`\beta = v/c`,
:math:`\gamma = 1/\sqrt{1-\beta^2}`, rapidity :math:`\phi = \operatorname{artanh}\beta`.

Numerics: every quantity that is a small difference of numbers near 1 is evaluated in a
form without cancellation, so results keep ~1e-15 relative accuracy from walking speed to
within a few ulp of c:

* :math:`1-\beta^2 = (c-v)(c+v)/c^2` (``c - v`` is exact near c),
* :math:`\gamma - 1 = \beta^2 / (s(1+s))` and :math:`1 - 1/\gamma = \beta^2/(1+s)` with
  :math:`s = \sqrt{1-\beta^2}`,
* :math:`\phi = \tfrac12\,\mathrm{log1p}(2|v|/(c-|v|))`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import SECONDS_PER_DAY, SPEED_OF_LIGHT
from qtcore.relativity._validate import (
    check_duration,
    check_finite,
    check_positive,
    check_speed,
    check_velocity,
)

__all__ = [
    "Kinematics",
    "dilated_duration",
    "doppler_factor",
    "gamma_minus_one",
    "kinematics",
    "kinetic_energy",
    "length_contraction",
    "longitudinal_doppler_factor",
    "lorentz_factor",
    "momentum",
    "rapidity",
    "speed_from_lorentz_factor",
    "time_dilation",
    "time_dilation_difference",
    "total_energy",
    "transverse_doppler_factor",
    "velocity_addition",
    "velocity_from_rapidity",
]

_C = SPEED_OF_LIGHT


def _inverse_gamma(v: float) -> float:
    """sqrt(1 - v^2/c^2) for a checked speed or velocity, without cancellation."""
    a = abs(v)
    return math.sqrt((_C - a) * (_C + a)) / _C


def _one_minus_inverse_gamma(v: float) -> float:
    """1 - sqrt(1 - beta^2) = beta^2 / (1 + sqrt(1 - beta^2))."""
    beta = v / _C
    return beta * beta / (1.0 + _inverse_gamma(v))


def _below_c(name: str, w: float, detail: str) -> float:
    if abs(w) >= _C:
        raise RelativityDomainError(
            f"{name}: the exact result is below c but rounds to {w!r} m/s = c in double "
            f"precision ({detail}); work with rapidities instead"
        )
    return w


def lorentz_factor(speed: float) -> float:
    """Lorentz factor gamma = 1 / sqrt(1 - v^2/c^2).

    Args:
        speed: speed in m/s, 0 <= v < c.

    Returns:
        gamma >= 1.

    Raises:
        RelativityDomainError: if the speed is negative, >= c, NaN or infinite.
    """
    return 1.0 / _inverse_gamma(check_speed("speed", speed))


def gamma_minus_one(speed: float) -> float:
    """gamma - 1, accurate to ~1e-15 relative even at 1 m/s (where it is ~5.6e-18).

    Args:
        speed: speed in m/s, 0 <= v < c.
    """
    v = check_speed("speed", speed)
    beta = v / _C
    s = _inverse_gamma(v)
    return beta * beta / (s * (1.0 + s))


def speed_from_lorentz_factor(gamma: float) -> float:
    """The speed in m/s whose Lorentz factor is ``gamma`` (>= 1).

    Uses v = c sqrt((gamma - 1)(gamma + 1)) / gamma, accurate for gamma close to 1.
    """
    g = check_finite("gamma", gamma)
    if g < 1.0:
        raise RelativityDomainError(f"gamma must be >= 1, got {g!r}")
    v = _C * math.sqrt((g - 1.0) * (g + 1.0)) / g
    return _below_c("speed_from_lorentz_factor", v, f"gamma = {g!r}")


def rapidity(velocity: float) -> float:
    """Rapidity phi = artanh(v/c) (signed), the quantity that adds under collinear boosts.

    Args:
        velocity: signed velocity in m/s, -c < v < c.
    """
    v = check_velocity("velocity", velocity)
    a = abs(v)
    phi = 0.5 * math.log1p(2.0 * a / (_C - a))
    return math.copysign(phi, v)


def velocity_from_rapidity(phi: float) -> float:
    """Signed velocity c tanh(phi) in m/s for a finite rapidity.

    Raises:
        RelativityDomainError: if |phi| is so large (about 19) that c tanh(phi) rounds to c.
    """
    p = check_finite("rapidity", phi)
    return _below_c("velocity_from_rapidity", _C * math.tanh(p), f"rapidity = {p!r}")


def time_dilation(coordinate_duration: float, speed: float) -> float:
    """Proper time elapsed on a clock moving at ``speed`` during a coordinate duration.

    tau = t sqrt(1 - v^2/c^2).

    Args:
        coordinate_duration: duration in s in the frame where the clock moves, >= 0.
        speed: the clock's speed in m/s, 0 <= v < c.
    """
    t = check_duration("coordinate_duration", coordinate_duration)
    return t * _inverse_gamma(check_speed("speed", speed))


def dilated_duration(proper_duration: float, speed: float) -> float:
    """Coordinate duration gamma * tau for a proper duration of a clock moving at ``speed``.

    Example: a muon's mean lifetime in the lab frame.
    """
    tau = check_duration("proper_duration", proper_duration)
    return tau * lorentz_factor(speed)


def time_dilation_difference(coordinate_duration: float, speed: float) -> float:
    """Time a moving clock loses against the frame's clocks: t - tau = t (1 - 1/gamma).

    Accurate at walking speed: 1.4 m/s over a day gives about 9.4e-13 s.

    Args:
        coordinate_duration: duration in s in the frame where the clock moves, >= 0.
        speed: the clock's speed in m/s, 0 <= v < c.
    """
    t = check_duration("coordinate_duration", coordinate_duration)
    return t * _one_minus_inverse_gamma(check_speed("speed", speed))


def length_contraction(proper_length: float, speed: float) -> float:
    """Length L0 / gamma of a rod of proper length ``proper_length`` moving along itself."""
    length = check_finite("proper_length", proper_length)
    if length < 0.0:
        raise RelativityDomainError(f"proper_length must be >= 0 m, got {length!r} m")
    return length * _inverse_gamma(check_speed("speed", speed))


def velocity_addition(u: float, v: float) -> float:
    """Relativistic composition of collinear velocities: (u + v) / (1 + u v / c^2).

    Args:
        u: velocity of a body in frame S' (m/s, signed, |u| < c).
        v: velocity of S' in S (m/s, signed, |v| < c).

    Returns:
        the body's velocity in S, strictly inside (-c, c).

    Raises:
        RelativityDomainError: for |u| >= c, |v| >= c, or when the exact result lies closer
            to c than one double can resolve (about 6e-8 m/s).
    """
    a = check_velocity("u", u)
    b = check_velocity("v", v)
    if a * b < 0.0:
        # 1 - |a||b|/c^2 = ((c - |a|) + |a| (c - |b|)/c) / c: no cancellation when both
        # are near c in opposite directions (the naive form loses ~1e-11 there).
        pa, pb = abs(a), abs(b)
        den = ((_C - pa) + pa * ((_C - pb) / _C)) / _C
    else:
        den = 1.0 + (a / _C) * (b / _C)
    w = (a + b) / den
    return _below_c("velocity_addition", w, f"u = {a!r} m/s, v = {b!r} m/s")


def longitudinal_doppler_factor(speed: float, *, approaching: bool) -> float:
    """Frequency ratio f_received / f_emitted for motion along the line of sight.

    sqrt((1 + beta)/(1 - beta)) = e^phi when source and receiver approach each other,
    its inverse when they recede.

    Args:
        speed: relative speed in m/s, 0 <= v < c.
        approaching: True if the separation is shrinking (blueshift), False if growing.
    """
    phi = rapidity(check_speed("speed", speed))
    return math.exp(phi if approaching else -phi)


def transverse_doppler_factor(
    speed: float, *, closest_approach_seen_by: Literal["receiver", "source"] = "receiver"
) -> float:
    """Frequency ratio f_received / f_emitted for transverse motion.

    Args:
        speed: relative speed in m/s, 0 <= v < c.
        closest_approach_seen_by: ``"receiver"``: the light arrives at right angles to the
            source's motion in the receiver's frame (the source *appears* at closest
            approach): f_r/f_s = 1/gamma, a redshift (Ives-Stilwell, rotor experiments).
            ``"source"``: the light leaves at right angles in the source's frame:
            f_r/f_s = gamma, a blueshift.
    """
    if closest_approach_seen_by == "receiver":
        return _inverse_gamma(check_speed("speed", speed))
    if closest_approach_seen_by == "source":
        return lorentz_factor(speed)
    raise RelativityDomainError(
        f"closest_approach_seen_by must be 'receiver' or 'source', got {closest_approach_seen_by!r}"
    )


def doppler_factor(speed: float, angle: float) -> float:
    """General relativistic Doppler ratio f_received / f_emitted.

    f_r / f_s = 1 / (gamma (1 - beta cos(theta))), where theta is the angle, measured in
    the receiver's frame, between the source's velocity and the direction from the source
    to the receiver (theta = 0: head-on approach; pi: recession; pi/2: 1/gamma).

    Args:
        speed: source speed in m/s relative to the receiver, 0 <= v < c.
        angle: theta in radians (finite).
    """
    v = check_speed("speed", speed)
    theta = check_finite("angle", angle)
    beta = v / _C
    # 1 - beta cos(theta) = (1 - beta) + beta (1 - cos(theta)), no cancellation near 0.
    half = math.sin(0.5 * theta)
    denominator = (_C - v) / _C + beta * 2.0 * half * half
    return _inverse_gamma(v) / denominator


def kinetic_energy(mass: float, speed: float) -> float:
    """Relativistic kinetic energy m c^2 (gamma - 1) in J, accurate at low speed.

    Args:
        mass: rest mass in kg, > 0.
        speed: speed in m/s, 0 <= v < c.
    """
    m = check_positive("mass", mass, " kg")
    return m * _C * _C * gamma_minus_one(speed)


def total_energy(mass: float, speed: float) -> float:
    """Total energy gamma m c^2 in J for rest mass ``mass`` (kg, > 0) at ``speed``."""
    m = check_positive("mass", mass, " kg")
    return m * _C * _C * lorentz_factor(speed)


def momentum(mass: float, velocity: float) -> float:
    """Relativistic momentum gamma m v in kg m/s (signed like ``velocity``).

    Args:
        mass: rest mass in kg, > 0.
        velocity: signed velocity in m/s, -c < v < c.
    """
    m = check_positive("mass", mass, " kg")
    v = check_velocity("velocity", velocity)
    return m * v / _inverse_gamma(v)


@dataclass(frozen=True, slots=True)
class Kinematics:
    """Everything special relativity says about one speed (and optionally a rest mass).

    Attributes:
        speed: m/s.
        beta: v / c.
        gamma: Lorentz factor.
        gamma_minus_one: gamma - 1, computed without cancellation.
        rapidity: artanh(beta).
        seconds_lost_per_day: a moving clock's lag behind the frame's clocks per 86 400 s.
        doppler_approaching: f_r/f_s head-on approach.
        doppler_receding: f_r/f_s recession.
        mass: rest mass in kg, or None.
        kinetic_energy: J, or None without a mass.
        momentum: kg m/s, or None without a mass.
    """

    speed: float
    beta: float
    gamma: float
    gamma_minus_one: float
    rapidity: float
    seconds_lost_per_day: float
    doppler_approaching: float
    doppler_receding: float
    mass: float | None = None
    kinetic_energy: float | None = None
    momentum: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)

    def describe(self) -> str:
        """A short human-readable summary, one quantity per line."""
        lines = [
            f"speed               {self.speed:.9g} m/s (beta = {self.beta:.9g})",
            f"gamma               {self.gamma:.15g}",
            f"gamma - 1           {self.gamma_minus_one:.9e}",
            f"rapidity            {self.rapidity:.9g}",
            f"clock lag per day   {self.seconds_lost_per_day:.9e} s",
            f"Doppler f_r/f_s     approaching {self.doppler_approaching:.9g}, "
            f"receding {self.doppler_receding:.9g}",
        ]
        if self.mass is not None:
            lines.append(f"rest mass           {self.mass:.9g} kg")
            lines.append(f"kinetic energy      {self.kinetic_energy:.9e} J")
            lines.append(f"momentum            {self.momentum:.9e} kg m/s")
        return "\n".join(lines)


def kinematics(speed: float, mass: float | None = None) -> Kinematics:
    """Collects gamma, rapidity, clock lag, Doppler factors (and energy) for one speed.

    Args:
        speed: m/s, 0 <= v < c.
        mass: optional rest mass in kg (> 0) for kinetic energy and momentum.
    """
    v = check_speed("speed", speed)
    phi = rapidity(v)
    return Kinematics(
        speed=v,
        beta=v / _C,
        gamma=lorentz_factor(v),
        gamma_minus_one=gamma_minus_one(v),
        rapidity=phi,
        seconds_lost_per_day=time_dilation_difference(SECONDS_PER_DAY, v),
        doppler_approaching=math.exp(phi),
        doppler_receding=math.exp(-phi),
        mass=None if mass is None else check_positive("mass", mass, " kg"),
        kinetic_energy=None if mass is None else kinetic_energy(mass, v),
        momentum=None if mass is None else momentum(mass, v),
    )
