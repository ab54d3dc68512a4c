r"""Proper time of a clock on an elliptic (Keplerian) orbit: the eccentricity effect.

The orbit is Newtonian (semi-major axis *a*, eccentricity *e*, mean motion
:math:`n = \sqrt{GM/a^3}`): with the eccentric anomaly *E*,
:math:`r = a(1 - e\cos E)`, :math:`n t = E - e \sin E` (Kepler's equation) and
:math:`v^2 = GM(2/r - 1/a)` (vis-viva). The clock's rate is the exact Schwarzschild form
:func:`~qtcore.relativity.clock_rate`, :math:`\sqrt{1 - r_s/r - v^2/c^2}`, and its proper
time is integrated over *E* (:math:`dt = (r/a)\,dE/n`) with composite Gauss--Legendre
quadrature on the 1 - rate deficit, never on the rate itself, so nanoseconds in a day
keep their digits.

The proper time splits into a mean rate and a periodic part. To first order in
:math:`GM/(ac^2)` the periodic part is

.. math:: \tau - \bar{\tau} = -\frac{2\sqrt{GMa}}{c^2}\, e \sin E,

the term a GPS receiver adds back (Ashby, Living Rev. Relativ. 6 (2003) 1, eq. 39):
22.9 ns amplitude for a = 26 561.75 km and e = 0.01, i.e. 45.8 ns peak to peak.
Validity: the orbit's shape is Keplerian (the relativistic perigee advance, a relative
:math:`3GM/(a(1-e^2)c^2)` per radian, is left out), the body is a point mass (no J2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._clocks import clock_rate_deficit
from qtcore.relativity._constants import EARTH, SPEED_OF_LIGHT, Body
from qtcore.relativity._validate import check_finite, check_positive

__all__ = [
    "GALILEO_ECCENTRIC",
    "KeplerOrbitClock",
    "kepler_orbit_clock",
]

_C = SPEED_OF_LIGHT
_C2 = _C * _C

# 8-point Gauss-Legendre nodes and weights on [-1, 1].
_GL_X = (
    -0.9602898564975363,
    -0.7966664774136267,
    -0.5255324099163290,
    -0.1834346424956498,
    0.1834346424956498,
    0.5255324099163290,
    0.7966664774136267,
    0.9602898564975363,
)
_GL_W = (
    0.1012285362903763,
    0.2223810344533745,
    0.3137066458778873,
    0.3626837833783620,
    0.3626837833783620,
    0.3137066458778873,
    0.2223810344533745,
    0.1012285362903763,
)


@dataclass(frozen=True, slots=True)
class KeplerOrbitClock:
    """A clock on an elliptic orbit, over one revolution.

    Attributes:
        body: central body's name.
        semi_major_axis: a in m.
        eccentricity: e.
        period: orbital period 2 pi / n in s.
        perigee_radius: a (1 - e) in m.
        apogee_radius: a (1 + e) in m.
        mean_deficit: 1 - (proper time per orbit) / period.
        seconds_lost_per_orbit: period * mean_deficit.
        eccentricity_amplitude: max |tau - mean-rate tau| over the orbit in s (numerical).
        eccentricity_amplitude_weak_field: 2 sqrt(GM a) e / c^2 in s.
        eccentricity_peak_to_peak: max - min of the periodic part in s.
        mean_anomaly_deg: grid of mean anomalies (degrees, 0..360) for the curve.
        periodic_ns: tau - mean-rate tau at those points, in ns.
        weak_field_periodic_ns: -2 sqrt(GM a) e sin E / c^2 at those points, in ns.
    """

    body: str
    semi_major_axis: float
    eccentricity: float
    period: float
    perigee_radius: float
    apogee_radius: float
    mean_deficit: float
    seconds_lost_per_orbit: float
    eccentricity_amplitude: float
    eccentricity_amplitude_weak_field: float
    eccentricity_peak_to_peak: float
    mean_anomaly_deg: tuple[float, ...] = field(default=())
    periodic_ns: tuple[float, ...] = field(default=())
    weak_field_periodic_ns: tuple[float, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (tuples as lists)."""
        d = asdict(self)
        for k in ("mean_anomaly_deg", "periodic_ns", "weak_field_periodic_ns"):
            d[k] = list(d[k])
        return d


def _eccentric_anomaly(mean_anomaly: float, e: float) -> float:
    """Solves Kepler's equation M = E - e sin E by Newton's method (e < 1)."""
    big_e = mean_anomaly if e < 0.8 else math.pi
    for _ in range(60):
        f = big_e - e * math.sin(big_e) - mean_anomaly
        step = f / (1.0 - e * math.cos(big_e))
        big_e -= step
        if abs(step) < 1e-16 * max(1.0, abs(big_e)):
            break
    return big_e


def kepler_orbit_clock(
    semi_major_axis: float,
    eccentricity: float,
    *,
    body: Body = EARTH,
    points: int = 73,
) -> KeplerOrbitClock:
    """Proper time along an elliptic orbit: mean rate and the periodic eccentricity effect.

    Args:
        semi_major_axis: a in m.
        eccentricity: e, 0 <= e < 1.
        body: the central body (default :data:`EARTH`).
        points: number of curve points over one orbit (2..2000, both ends included).

    Returns:
        a :class:`KeplerOrbitClock`.

    Raises:
        RelativityDomainError: for e outside [0, 1), a <= 0, a perigee below the body's
            surface (or at or inside r_s, or where the orbital speed reaches the local speed
            of light), or a bad ``points``.
    """
    if not isinstance(body, Body):
        raise RelativityDomainError(f"body must be a Body, got {body!r}")
    a = check_positive("semi_major_axis", semi_major_axis, " m")
    e = check_finite("eccentricity", eccentricity)
    if not 0.0 <= e < 1.0:
        raise RelativityDomainError(
            f"eccentricity must satisfy 0 <= e < 1 for an elliptic orbit, got {e!r}"
        )
    if isinstance(points, bool) or not isinstance(points, int) or not 2 <= points <= 2000:
        raise RelativityDomainError(f"points must be an integer in 2..2000, got {points!r}")
    gm = body.gm
    n = math.sqrt(gm / a**3)
    rp = a * (1.0 - e)
    if rp <= body.polar_radius:
        raise RelativityDomainError(
            f"perigee a(1 - e) = {rp!r} m is below the surface of {body.name} (polar radius "
            f"{body.polar_radius!r} m); an orbit needs a(1 - e) above it"
        )

    def deficit(big_e: float) -> float:
        r = a * (1.0 - e * math.cos(big_e))
        v2 = gm * (2.0 / r - 1.0 / a)
        return clock_rate_deficit(body, r, math.sqrt(v2))

    try:
        deficit(0.0)  # perigee: the deepest and fastest point
    except RelativityDomainError as exc:
        raise RelativityDomainError(
            f"perigee a(1 - e) = {rp!r} m: {exc}; choose a larger a or a smaller e"
        ) from None

    # The deficit integrand d(E) (1 - e cos E)/n is periodic and smooth: integrate it over
    # panels in E with Gauss-Legendre, accumulating at the curve's points.
    panels = max(64, 4 * (points - 1))
    grid_e = [2.0 * math.pi * k / panels for k in range(panels + 1)]
    cum = [0.0]  # lost proper time (integral of deficit dt) at each grid_e
    for k in range(panels):
        lo, hi = grid_e[k], grid_e[k + 1]
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        s = 0.0
        for x, w in zip(_GL_X, _GL_W, strict=True):
            big_e = mid + half * x
            s += w * deficit(big_e) * (1.0 - e * math.cos(big_e))
        cum.append(cum[-1] + s * half / n)
    period = 2.0 * math.pi / n
    lost = cum[-1]
    mean = lost / period
    # periodic part at each grid point: -(lost(t) - mean * t)
    periodic = []
    for big_e, c in zip(grid_e, cum, strict=True):
        t = (big_e - e * math.sin(big_e)) / n
        periodic.append(-(c - mean * t))
    amp_weak = 2.0 * math.sqrt(gm * a) * e / _C2
    # the curve at evenly spaced mean anomalies (interpolated in E by exact re-integration)
    m_deg: list[float] = []
    p_ns: list[float] = []
    w_ns: list[float] = []
    for j in range(points):
        mean_anom = 2.0 * math.pi * j / (points - 1)
        big_e = _eccentric_anomaly(mean_anom, e) if 0 < j < points - 1 else mean_anom
        k = min(int(big_e / (2.0 * math.pi) * panels), panels - 1)
        lo, hi = grid_e[k], big_e
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        s = 0.0
        for x, w in zip(_GL_X, _GL_W, strict=True):
            ee = mid + half * x
            s += w * deficit(ee) * (1.0 - e * math.cos(ee))
        c = cum[k] + s * half / n
        t = (big_e - e * math.sin(big_e)) / n
        m_deg.append(math.degrees(mean_anom))
        p_ns.append(-(c - mean * t) * 1e9)
        w_ns.append(-amp_weak * math.sin(big_e) * 1e9)
    return KeplerOrbitClock(
        body=body.name,
        semi_major_axis=a,
        eccentricity=e,
        period=period,
        perigee_radius=rp,
        apogee_radius=a * (1.0 + e),
        mean_deficit=mean,
        seconds_lost_per_orbit=lost,
        eccentricity_amplitude=max(abs(p) for p in periodic),
        eccentricity_amplitude_weak_field=amp_weak,
        eccentricity_peak_to_peak=max(periodic) - min(periodic),
        mean_anomaly_deg=tuple(m_deg),
        periodic_ns=tuple(p_ns),
        weak_field_periodic_ns=tuple(w_ns),
    )


GALILEO_ECCENTRIC: dict[str, Any] = {
    "semi_major_axis": 27_977.6e3,
    "eccentricity": 0.162,
    "source": (
        "GSAT0201/0202 after the 2014-2015 orbit-raising manoeuvres: approximate elements "
        "a = 27 977.6 km, e = 0.162 (as in the GREAT proposal, Delva et al., "
        "arXiv:1508.06159); the real orbits are perturbed and were fitted day by day"
    ),
    "published": {
        "delva_2018": {
            "alpha": 0.19e-5,
            "uncertainty": 2.48e-5,
            "reference": "P. Delva et al., Phys. Rev. Lett. 121 (2018) 231101",
        },
        "herrmann_2018": {
            "reference": "S. Herrmann et al., Phys. Rev. Lett. 121 (2018) 231102",
            "note": "uncertainty more than 4 times below Gravity Probe A's",
        },
    },
}
"""The Galileo 5 and 6 eccentric-orbit redshift test: orbit and published results.

``alpha`` is the measured fractional deviation of the redshift from general relativity
(1 sigma)."""
