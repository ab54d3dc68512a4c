r"""Proper time along a one-dimensional worldline made of segments (the twin paradox).

A trajectory is a list of segments in an inertial frame S, each starting where the previous
one ended (velocity is continuous unless a :class:`Coast` sets a new velocity, the
textbook idealisation of an instantaneous turnaround):

* :class:`Coast` -- constant velocity for a coordinate or a proper duration;
* :class:`Accelerate` -- constant proper acceleration *a* (hyperbolic motion) for a proper
  or coordinate duration. With rapidity :math:`\phi(\tau) = \phi_0 + a\tau/c`:

  .. math:: t = \tfrac{c}{a}(\sinh\phi - \sinh\phi_0), \qquad
            x = \tfrac{c^2}{a}(\cosh\phi - \cosh\phi_0).

Numerics: with :math:`\delta = a\tau/c`, the differences are evaluated as
:math:`t = \tau \cosh(\phi_0 + \delta/2)\,\mathrm{sinhc}(\delta/2)` and
:math:`x = c\tau\,\sinh(\phi_0 + \delta/2)\,\mathrm{sinhc}(\delta/2)`, and the lag
:math:`t - \tau` from :math:`2\sinh^2(m/2)\,S + (S - 1)` with a series for ``S - 1``, so a
1 g push lasting a second or a walk lasting a day keep full relative precision; *a* = 0 is
the coasting limit, not a special case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import SPEED_OF_LIGHT
from qtcore.relativity._special import rapidity
from qtcore.relativity._validate import check_duration, check_finite, check_velocity

__all__ = [
    "Accelerate",
    "Coast",
    "SegmentResult",
    "TrajectoryResult",
    "proper_time_along",
]

_C = SPEED_OF_LIGHT


def _sinhc(h: float) -> float:
    """sinh(h)/h, 1 at h = 0."""
    return 1.0 + _sinhc_minus_one(h)


def _sinhc_minus_one(h: float) -> float:
    """sinh(h)/h - 1 without cancellation."""
    if abs(h) < 0.5:
        h2 = h * h
        # sum_{k>=1} h^(2k) / (2k+1)!, truncated where the next term is < 1e-17 relative.
        term = h2 / 6.0
        total = term
        k = 1
        while abs(term) > 1e-18 * abs(total) and k < 12:
            term *= h2 / ((2 * k + 2) * (2 * k + 3))
            total += term
            k += 1
        return total
    return (math.sinh(h) - h) / h


def _check_one_duration(
    coordinate_duration: float | None, proper_duration: float | None, kind: str
) -> None:
    if (coordinate_duration is None) == (proper_duration is None):
        raise RelativityDomainError(
            f"{kind}: give exactly one of coordinate_duration or proper_duration "
            f"(got coordinate_duration={coordinate_duration!r}, "
            f"proper_duration={proper_duration!r})"
        )


@dataclass(frozen=True, slots=True)
class Coast:
    """Constant velocity.

    Attributes:
        coordinate_duration: duration in S in s (>= 0), or None.
        proper_duration: duration on the travelling clock in s (>= 0), or None.
        velocity: signed velocity in m/s (|v| < c) to coast at; None keeps the velocity
            reached by the previous segment. Setting it is an instantaneous kick.
    """

    coordinate_duration: float | None = None
    proper_duration: float | None = None
    velocity: float | None = None

    def __post_init__(self) -> None:
        _check_one_duration(self.coordinate_duration, self.proper_duration, "Coast")
        if self.coordinate_duration is not None:
            check_duration("Coast.coordinate_duration", self.coordinate_duration)
        if self.proper_duration is not None:
            check_duration("Coast.proper_duration", self.proper_duration)
        if self.velocity is not None:
            check_velocity("Coast.velocity", self.velocity)


@dataclass(frozen=True, slots=True)
class Accelerate:
    """Constant proper acceleration (hyperbolic motion) along the axis.

    Attributes:
        proper_acceleration: signed proper acceleration in m/s^2 (finite; 0 means coast).
        proper_duration: duration on the travelling clock in s (>= 0), or None.
        coordinate_duration: duration in S in s (>= 0), or None.
        initial_rapidity: start from this rapidity (0 = rest); None continues from the
            previous segment.
    """

    proper_acceleration: float
    proper_duration: float | None = None
    coordinate_duration: float | None = None
    initial_rapidity: float | None = None

    def __post_init__(self) -> None:
        check_finite("Accelerate.proper_acceleration", self.proper_acceleration)
        _check_one_duration(self.coordinate_duration, self.proper_duration, "Accelerate")
        if self.coordinate_duration is not None:
            check_duration("Accelerate.coordinate_duration", self.coordinate_duration)
        if self.proper_duration is not None:
            check_duration("Accelerate.proper_duration", self.proper_duration)
        if self.initial_rapidity is not None:
            check_finite("Accelerate.initial_rapidity", self.initial_rapidity)


Segment = Coast | Accelerate


@dataclass(frozen=True, slots=True)
class SegmentResult:
    """What one segment did.

    Attributes:
        kind: ``"coast"`` or ``"accelerate"``.
        proper_time: elapsed proper time in s.
        coordinate_time: elapsed time in S in s.
        time_lag: coordinate_time - proper_time in s, computed without cancellation.
        displacement: signed change of position in S in m.
        distance: path length in S in m (counts both legs if the segment turns around).
        initial_velocity: m/s at the start.
        final_velocity: m/s at the end.
        initial_rapidity: at the start.
        final_rapidity: at the end.
    """

    kind: str
    proper_time: float
    coordinate_time: float
    time_lag: float
    displacement: float
    distance: float
    initial_velocity: float
    final_velocity: float
    initial_rapidity: float
    final_rapidity: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of all fields."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrajectoryResult:
    """Totals along a trajectory plus the per-segment breakdown.

    Attributes:
        segments: one :class:`SegmentResult` per segment, in order.
        proper_time: total proper time in s.
        coordinate_time: total time in S in s.
        time_lag: coordinate_time - proper_time in s (the stay-at-home twin's extra age
            when the trajectory returns home).
        displacement: net signed displacement in m.
        distance: total path length in m.
        final_velocity: m/s at the end.
    """

    segments: tuple[SegmentResult, ...]
    proper_time: float
    coordinate_time: float
    time_lag: float
    displacement: float
    distance: float
    final_velocity: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; ``segments`` is a list of dictionaries."""
        d = asdict(self)
        d["segments"] = [s.to_dict() for s in self.segments]
        return d

    def describe(self) -> str:
        """A table of segments and the totals."""
        lines = [
            f"{'#':>2} {'kind':<10} {'proper s':>16} {'coordinate s':>16} "
            f"{'lag s':>14} {'displacement m':>16} {'v_end m/s':>14}"
        ]
        for i, s in enumerate(self.segments):
            lines.append(
                f"{i:>2} {s.kind:<10} {s.proper_time:>16.9g} {s.coordinate_time:>16.9g} "
                f"{s.time_lag:>14.6e} {s.displacement:>16.9g} {s.final_velocity:>14.9g}"
            )
        lines.append(
            f"total: proper {self.proper_time:.12g} s, coordinate {self.coordinate_time:.12g} s, "
            f"lag {self.time_lag:.9e} s, displacement {self.displacement:.9g} m, "
            f"distance {self.distance:.9g} m"
        )
        return "\n".join(lines)


def _coast(seg: Coast, phi: float, v: float) -> SegmentResult:
    if seg.velocity is not None:
        v = float(seg.velocity)
        phi = rapidity(v)
    # 1/gamma = 1/cosh(phi); lag fraction 1 - 1/gamma = 2 sinh^2(phi/2) / cosh(phi).
    cosh_phi = math.cosh(phi)
    sh = math.sinh(0.5 * phi)
    if seg.coordinate_duration is not None:
        t = float(seg.coordinate_duration)
        tau = t / cosh_phi
        lag = t * 2.0 * sh * sh / cosh_phi
    else:
        tau = float(seg.proper_duration)  # type: ignore[arg-type]
        t = tau * cosh_phi
        lag = tau * 2.0 * sh * sh
    x = v * t
    return SegmentResult("coast", tau, t, lag, x, abs(x), v, v, phi, phi)


def _asinh_step(q: float, k: float) -> float:
    """asinh(q + k) - asinh(q) without cancellation, even when |k| << |q|."""
    p = q + k
    if p * q <= 0.0:
        return math.asinh(p) - math.asinh(q)
    # asinh(p) - asinh(q) = asinh(p sqrt(1+q^2) - q sqrt(1+p^2)) = asinh(k (p+q) / den).
    den = p * math.sqrt(1.0 + q * q) + q * math.sqrt(1.0 + p * p)
    return math.asinh(k * (p + q) / den)


def _accelerate(seg: Accelerate, phi0: float) -> SegmentResult:
    if seg.initial_rapidity is not None:
        phi0 = float(seg.initial_rapidity)
    a = float(seg.proper_acceleration)
    if seg.proper_duration is not None:
        tau = float(seg.proper_duration)
        delta = a * tau / _C
    else:
        t_given = float(seg.coordinate_duration)  # type: ignore[arg-type]
        if a == 0.0:
            delta = 0.0
            tau = t_given / math.cosh(phi0)
        else:
            # sinh(phi1) = sinh(phi0) + a t / c
            sinh0 = math.sinh(phi0)
            delta = _asinh_step(sinh0, a * t_given / _C)
            tau = _C * delta / a
    phi1 = phi0 + delta
    _velocity(phi1)  # rejects overflowing rapidities before cosh/sinh raise
    h = 0.5 * delta
    mid = phi0 + h
    s_minus_one = _sinhc_minus_one(h)
    s = 1.0 + s_minus_one
    t = tau * math.cosh(mid) * s
    sh_mid = math.sinh(0.5 * mid)
    lag = tau * (2.0 * sh_mid * sh_mid * s + s_minus_one)
    x = _C * tau * math.sinh(mid) * s
    if phi0 * phi1 < 0.0:
        # Turns around at phi = 0: x(0) - x(phi0) = (c^2/a)(1 - cosh phi0).
        sh0 = math.sinh(0.5 * phi0)
        sh1 = math.sinh(0.5 * phi1)
        distance = 2.0 * _C * _C / abs(a) * (sh0 * sh0 + sh1 * sh1)
    else:
        distance = abs(x)
    return SegmentResult(
        "accelerate",
        tau,
        t,
        lag,
        x,
        distance,
        _velocity(phi0),
        _velocity(phi1),
        phi0,
        phi1,
    )


_MAX_RAPIDITY = 700.0  # cosh overflows a double near 710


def _velocity(phi: float) -> float:
    """c tanh(phi); may round to +-c for |phi| > ~19 (the rapidity stays exact)."""
    if abs(phi) > _MAX_RAPIDITY:
        raise RelativityDomainError(
            f"rapidity {phi!r} exceeds {_MAX_RAPIDITY} (cosh overflows a double); "
            "shorten the acceleration phase"
        )
    return _C * math.tanh(phi)


def proper_time_along(
    segments: Iterable[Coast | Accelerate], initial_velocity: float = 0.0
) -> TrajectoryResult:
    """Proper time, coordinate time and distance along a piecewise worldline.

    Args:
        segments: :class:`Coast` and :class:`Accelerate` segments, in order.
        initial_velocity: signed velocity in m/s at the start (|v| < c).

    Returns:
        a :class:`TrajectoryResult` with per-segment and total values.

    Raises:
        RelativityDomainError: for an empty trajectory, non-segment items, or a rapidity
            beyond 700 (where cosh overflows). Velocities are c tanh(rapidity) and may
            round to c for |rapidity| > ~19; the rapidities stay exact.
    """
    v = check_velocity("initial_velocity", initial_velocity)
    phi = rapidity(v)
    results: list[SegmentResult] = []
    for i, seg in enumerate(segments):
        if isinstance(seg, Coast):
            r = _coast(seg, phi, v)
        elif isinstance(seg, Accelerate):
            r = _accelerate(seg, phi)
        else:
            raise RelativityDomainError(
                f"segment {i} must be a Coast or an Accelerate, got {seg!r}"
            )
        results.append(r)
        phi, v = r.final_rapidity, r.final_velocity
    if not results:
        raise RelativityDomainError("a trajectory needs at least one segment, got none")
    return TrajectoryResult(
        segments=tuple(results),
        proper_time=math.fsum(r.proper_time for r in results),
        coordinate_time=math.fsum(r.coordinate_time for r in results),
        time_lag=math.fsum(r.time_lag for r in results),
        displacement=math.fsum(r.displacement for r in results),
        distance=math.fsum(r.distance for r in results),
        final_velocity=v,
    )
