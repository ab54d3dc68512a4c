r"""The classic tests of general relativity as calculators, each with its published value.

* :func:`perihelion_advance` -- :math:`\Delta\varpi = 6\pi GM / (c^2 a (1 - e^2))` per orbit
  (Mercury: 42.98 arcsec per century).
* :func:`light_deflection` -- :math:`\alpha = \tfrac{1+\gamma}{2}\,4GM/(c^2 b)` (1.7512 arcsec
  at the solar limb).
* :func:`shapiro_delay` -- :math:`\Delta t = (1+\gamma)\,\frac{GM}{c^3}
  \ln\frac{r_e + r_r + R}{r_e + r_r - R}` one way (Cassini: gamma - 1 = (2.1 +- 2.3)e-5).
* :func:`gravity_probe_a` -- a maser at a rocket's apex against one on the ground
  (Vessot et al. 1980).
* :func:`gravity_probe_b` -- geodetic (de Sitter) precession
  :math:`\tfrac32 (GM)^{3/2} / (c^2 a^{5/2} (1-e^2))` and frame dragging (Lense--Thirring)
  :math:`GJ\cos\delta / (2c^2a^3(1-e^2)^{3/2})` for a polar orbit and a guide star at
  declination delta (Everitt et al. 2011: 6606.1 and 39.2 mas/yr predicted).

These are the leading post-Newtonian forms the experiments themselves compare with (the
PPN parameter ``gamma`` is 1 in general relativity). Angles are returned in radians and in
arcseconds or milliarcseconds; "per century" is per 36 525 days, "per year" per Julian year.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity._clocks import clock_comparison, surface_clock
from qtcore.relativity._constants import (
    EARTH,
    JULIAN_YEAR,
    SECONDS_PER_DAY,
    SPEED_OF_LIGHT,
    SUN,
    Body,
)
from qtcore.relativity._validate import check_finite, check_positive

__all__ = [
    "CLASSIC_TESTS",
    "ClassicTest",
    "gravity_probe_a",
    "gravity_probe_b",
    "light_deflection",
    "perihelion_advance",
    "shapiro_delay",
]

_C = SPEED_OF_LIGHT
_C2 = _C * _C
_ARCSEC = 180.0 * 3600.0 / math.pi  # arcseconds per radian
_CENTURY = 36_525.0 * SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class ClassicTest:
    """A computed prediction next to its published counterpart.

    Attributes:
        name: which test.
        quantity: what ``value`` is, with its unit.
        value: the computed prediction in that unit.
        details: intermediate values (radians, seconds, inputs).
        published: published values, each ``{value, uncertainty, kind, reference}``.
    """

    name: str
    quantity: str
    value: float
    details: dict[str, Any]
    published: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)


def _gamma(gamma: object) -> float:
    g = check_finite("gamma", gamma)
    if g <= -1.0:
        raise RelativityDomainError(
            f"gamma (PPN) must be > -1 (1 in general relativity), got {g!r}"
        )
    return g


def _body(body: object) -> Body:
    if not isinstance(body, Body):
        raise RelativityDomainError(f"body must be a Body, got {body!r}")
    return body


_MERCURY_A = 0.387_098_93 * 149_597_870_700.0
_MERCURY_E = 0.205_630_69
_MERCURY_P = 87.969_1 * SECONDS_PER_DAY

MERCURY_ORBIT: dict[str, Any] = {
    "semi_major_axis": _MERCURY_A,
    "eccentricity": _MERCURY_E,
    "period": _MERCURY_P,
    "source": "J2000 mean elements (Standish, JPL), period 87.9691 d",
}


def perihelion_advance(
    semi_major_axis: float = _MERCURY_A,
    eccentricity: float = _MERCURY_E,
    period: float | None = None,
    *,
    body: Body = SUN,
) -> ClassicTest:
    """Relativistic perihelion advance 6 pi GM / (c^2 a (1 - e^2)) per orbit.

    Args:
        semi_major_axis: a in m (default Mercury's).
        eccentricity: 0 <= e < 1 (default Mercury's).
        period: orbital period in s; default Kepler's 2 pi sqrt(a^3/GM) (Mercury's 87.9691 d
            when all defaults are used).
        body: the central body (default the Sun).

    Returns:
        a :class:`ClassicTest` whose value is in arcseconds per century.
    """
    body = _body(body)
    a = check_positive("semi_major_axis", semi_major_axis, " m")
    e = check_finite("eccentricity", eccentricity)
    if not 0.0 <= e < 1.0:
        raise RelativityDomainError(f"eccentricity must satisfy 0 <= e < 1, got {e!r}")
    if period is None:
        is_mercury = a == _MERCURY_A and e == _MERCURY_E and body is SUN
        p = _MERCURY_P if is_mercury else 2 * math.pi * math.sqrt(a**3 / body.gm)
    else:
        p = check_positive("period", period, " s")
    semi_latus = a * (1.0 - e) * (1.0 + e)
    if semi_latus <= 6.0 * body.gm / _C2:
        raise RelativityDomainError(
            f"a (1 - e^2) = {semi_latus!r} m is inside 6GM/c^2: the weak-field perihelion "
            "formula needs a(1 - e^2) >> GM/c^2"
        )
    per_orbit = 6.0 * math.pi * body.gm / (_C2 * semi_latus)
    per_century = per_orbit * _CENTURY / p * _ARCSEC
    return ClassicTest(
        name="perihelion_advance",
        quantity="arcsec per century",
        value=per_century,
        details={
            "per_orbit_rad": per_orbit,
            "per_orbit_arcsec": per_orbit * _ARCSEC,
            "orbits_per_century": _CENTURY / p,
            "semi_major_axis": a,
            "eccentricity": e,
            "period": p,
            "body": body.name,
        },
        published={
            "mercury_prediction": {
                "value": 42.98,
                "uncertainty": None,
                "kind": "GR prediction for Mercury",
                "reference": "C. M. Will, Living Rev. Relativ. 17 (2014) 4",
            },
        },
    )


def light_deflection(
    impact_parameter: float | None = None, *, body: Body = SUN, gamma: float = 1.0
) -> ClassicTest:
    """Deflection (1 + gamma)/2 * 4GM/(c^2 b) of light passing a mass at impact parameter b.

    Args:
        impact_parameter: b in m (default the body's radius: a ray grazing the limb).
        body: the deflecting body (default the Sun).
        gamma: PPN gamma (1 in general relativity; 0 gives the "Newtonian" half).

    Returns:
        a :class:`ClassicTest` whose value is in arcseconds.

    Raises:
        RelativityDomainError: for b at or below the capture radius (3 sqrt(3)/2) r_s,
            where light does not come back out.
    """
    body = _body(body)
    g = _gamma(gamma)
    b = (
        body.radius
        if impact_parameter is None
        else check_positive("impact_parameter", impact_parameter, " m")
    )
    rs = 2.0 * body.gm / _C2
    capture = 1.5 * math.sqrt(3.0) * rs
    if b <= capture:
        raise RelativityDomainError(
            f"impact_parameter = {b!r} m is at or inside the capture radius "
            f"(3 sqrt(3)/2) r_s = {capture!r} m: light is captured, not deflected; "
            "the weak-field formula needs b >> r_s"
        )
    alpha = 0.5 * (1.0 + g) * 4.0 * body.gm / (_C2 * b)
    return ClassicTest(
        name="light_deflection",
        quantity="arcsec",
        value=alpha * _ARCSEC,
        details={
            "deflection_rad": alpha,
            "impact_parameter": b,
            "gamma": g,
            "body": body.name,
            "weak_field_parameter": body.gm / (_C2 * b),
        },
        published={
            "solar_limb_prediction": {
                "value": 1.7512,
                "uncertainty": None,
                "kind": "GR prediction at the solar limb",
                "reference": "C. M. Will, Living Rev. Relativ. 17 (2014) 4",
            },
            "vlbi_gamma": {
                "value": 0.99983,
                "uncertainty": 0.00045,
                "kind": "PPN gamma from VLBI deflection of quasar radio waves by the Sun",
                "reference": "S. S. Shapiro et al., Phys. Rev. Lett. 92 (2004) 121101",
            },
        },
    )


def shapiro_delay(
    emitter_distance: float = 8.43 * 149_597_870_700.0,
    receiver_distance: float = 1.0 * 149_597_870_700.0,
    impact_parameter: float | None = None,
    *,
    body: Body = SUN,
    gamma: float = 1.0,
) -> ClassicTest:
    """Shapiro delay of a radio signal passing a mass near superior conjunction.

    The ray runs straight from the emitter to the receiver on opposite sides of the mass,
    passing it at impact parameter b, so R = sqrt(r_e^2 - b^2) + sqrt(r_r^2 - b^2). One-way
    delay (1 + gamma) GM/c^3 ln((r_e + r_r + R)/(r_e + r_r - R)) (the log's argument is
    evaluated as (r_e + r_r + R)^2 / ((r_e + r_r)^2 - R^2) without cancellation); the
    echo's round trip is twice that.

    Args:
        emitter_distance: r_e from the mass in m (default 8.43 AU, Cassini in June 2002,
            approximate).
        receiver_distance: r_r in m (default 1 AU, Earth).
        impact_parameter: b in m (default 1.6 solar radii, Cassini's closest ray).
        body: the mass (default the Sun).
        gamma: PPN gamma (1 in general relativity).

    Returns:
        a :class:`ClassicTest` whose value is the round-trip delay in microseconds.
    """
    body = _body(body)
    g = _gamma(gamma)
    re = check_positive("emitter_distance", emitter_distance, " m")
    rr = check_positive("receiver_distance", receiver_distance, " m")
    b = (
        1.6 * body.radius
        if impact_parameter is None
        else check_positive("impact_parameter", impact_parameter, " m")
    )
    if b > min(re, rr):
        raise RelativityDomainError(
            f"impact_parameter = {b!r} m exceeds a distance ({min(re, rr)!r} m): the ray's "
            "closest approach must lie between emitter and receiver (b <= r_e, r_r)"
        )
    if b <= 2.0 * body.gm / _C2 * 1.5 * math.sqrt(3.0):
        raise RelativityDomainError(f"impact_parameter = {b!r} m is inside the capture radius")
    se = math.sqrt((re - b) * (re + b))
    sr = math.sqrt((rr - b) * (rr + b))
    big_r = se + sr
    s = re + rr
    # (s + R)/(s - R) = (s + R)^2 / (s^2 - R^2); s^2 - R^2 = 2 (re rr - se sr) + ... exactly:
    # s^2 - R^2 = re^2 + rr^2 + 2 re rr - (se^2 + sr^2 + 2 se sr) = 2 b^2 + 2 (re rr - se sr)
    # and re rr - se sr = b^2 (re^2 + rr^2 - b^2) / (re rr + se sr).
    diff = 2.0 * b * b + 2.0 * b * b * ((re * re + rr * rr - b * b) / (re * rr + se * sr))
    log_arg = (s + big_r) ** 2 / diff
    one_way = (1.0 + g) * body.gm / (_C2 * _C) * math.log(log_arg)
    return ClassicTest(
        name="shapiro_delay",
        quantity="round-trip delay in microseconds",
        value=2.0 * one_way * 1e6,
        details={
            "one_way_delay": one_way,
            "round_trip_delay": 2.0 * one_way,
            "approximate_round_trip": 2.0
            * (1.0 + g)
            * body.gm
            / (_C2 * _C)
            * math.log(4.0 * re * rr / (b * b)),
            "emitter_distance": re,
            "receiver_distance": rr,
            "impact_parameter": b,
            "gamma": g,
            "body": body.name,
        },
        published={
            "cassini_gamma_minus_one": {
                "value": 2.1e-5,
                "uncertainty": 2.3e-5,
                "kind": "gamma - 1 from the Doppler signature of the delay near conjunction",
                "reference": "B. Bertotti, L. Iess, P. Tortora, Nature 425 (2003) 374",
            },
        },
    )


def gravity_probe_a(
    apex_altitude: float = 10_000e3,
    *,
    apex_speed: float = 0.0,
    launch_latitude_deg: float = 37.94,
    duration: float = 1.0,
) -> ClassicTest:
    """Fractional frequency of a hydrogen maser at a rocket's apex against one on the ground.

    Gravity Probe A (1976) flew a maser to about 10 000 km and compared it with a ground
    maser at Wallops Island (37.94 N). The prediction here is the clocks' rate ratio minus 1
    (exact Schwarzschild rates; the ground maser rotates with Earth, the apex one moves at
    ``apex_speed`` through Earth's non-rotating frame).

    Returns:
        a :class:`ClassicTest` whose value is the fractional shift (apex faster: > 0).
    """
    h = check_positive("apex_altitude", apex_altitude, " m")
    ground = surface_clock(EARTH, launch_latitude_deg)
    res = clock_comparison(
        EARTH, EARTH.radius + h, apex_speed, ground.radius, ground.speed, proper_duration=duration
    )
    return ClassicTest(
        name="gravity_probe_a",
        quantity="fractional frequency shift apex/ground - 1",
        value=res.fractional,
        details={
            "apex_altitude": h,
            "gravitational_fractional": res.gravitational_fractional,
            "kinematic_fractional": res.kinematic_fractional,
            "apex_radius": res.radius_a,
            "ground_radius": res.radius_b,
            "ground_speed": res.speed_b,
            "offset_over_duration": res.offset,
            "duration": res.tau_b,
        },
        published={
            "vessot_1980_alpha": {
                "value": 0.0,
                "uncertainty": 1.4e-4,
                "kind": "fractional deviation from the GR redshift (Vessot: agreement at "
                "the 7e-5 level; 1.4e-4 as compared by Delva et al. 2018)",
                "reference": "R. F. C. Vessot et al., Phys. Rev. Lett. 45 (1980) 2081",
            },
        },
    )


_GPB_A = 7_027.4e3
_GPB_E = 0.0014
_GPB_DEC = 16.84

GRAVITY_PROBE_B: dict[str, Any] = {
    "semi_major_axis": _GPB_A,
    "eccentricity": _GPB_E,
    "guide_star_declination_deg": _GPB_DEC,
    "source": "642 km polar orbit, a = 7027.4 km, e = 0.0014; guide star IM Pegasi "
    "(declination +16.84 deg)",
}

EARTH_MOMENT_OF_INERTIA_FACTOR = 0.3307
"""C / (M a^2) of Earth (polar moment over mass times equatorial radius squared; Yoder 1995)."""


def gravity_probe_b(
    semi_major_axis: float = _GPB_A,
    eccentricity: float = _GPB_E,
    guide_star_declination_deg: float = _GPB_DEC,
    *,
    body: Body = EARTH,
    moment_of_inertia_factor: float = EARTH_MOMENT_OF_INERTIA_FACTOR,
) -> ClassicTest:
    """Geodetic and frame-dragging drift of a gyroscope on a polar orbit (Gravity Probe B).

    Geodetic: (3/2) (GM)^(3/2) / (c^2 a^(5/2) (1 - e^2)), in the orbit plane. Frame
    dragging, orbit-averaged for a polar orbit: G J / (2 c^2 a^3 (1 - e^2)^(3/2)) along the
    spin axis, seen as G J cos(delta) / (...) by a gyroscope pointing at a guide star at
    declination delta; J = k M a_eq^2 omega (k = ``moment_of_inertia_factor``). Monopole
    field: the J2 corrections (a few mas/yr to the geodetic term) are left out.

    Returns:
        a :class:`ClassicTest` whose value is the geodetic drift in mas/yr; the frame-dragging
        drift is ``details["frame_dragging_mas_per_year"]``.
    """
    body = _body(body)
    a = check_positive("semi_major_axis", semi_major_axis, " m")
    e = check_finite("eccentricity", eccentricity)
    if not 0.0 <= e < 1.0:
        raise RelativityDomainError(f"eccentricity must satisfy 0 <= e < 1, got {e!r}")
    dec = check_finite("guide_star_declination_deg", guide_star_declination_deg)
    if abs(dec) > 90.0:
        raise RelativityDomainError(f"guide_star_declination_deg must be in [-90, 90], got {dec!r}")
    k = check_positive("moment_of_inertia_factor", moment_of_inertia_factor)
    if a * (1.0 - e) <= body.polar_radius:
        raise RelativityDomainError(
            f"perigee a(1 - e) = {a * (1 - e)!r} m is below {body.name}'s surface"
        )
    one_minus_e2 = (1.0 - e) * (1.0 + e)
    geo = 1.5 * body.gm**1.5 / (_C2 * a**2.5 * one_minus_e2)
    gj = k * body.gm * body.equatorial_radius**2 * body.angular_velocity
    lt_axis = gj / (2.0 * _C2 * a**3 * one_minus_e2**1.5)
    lt = lt_axis * math.cos(math.radians(dec))
    mas = _ARCSEC * 1e3 * JULIAN_YEAR
    return ClassicTest(
        name="gravity_probe_b",
        quantity="geodetic drift in mas/yr",
        value=geo * mas,
        details={
            "geodetic_rad_per_s": geo,
            "frame_dragging_rad_per_s": lt,
            "frame_dragging_mas_per_year": lt * mas,
            "frame_dragging_along_axis_mas_per_year": lt_axis * mas,
            "angular_momentum_gj": gj,
            "semi_major_axis": a,
            "eccentricity": e,
            "guide_star_declination_deg": dec,
        },
        published={
            "geodetic_prediction": {
                "value": 6606.1,
                "uncertainty": None,
                "kind": "GR prediction (mas/yr)",
                "reference": "C. W. F. Everitt et al., Phys. Rev. Lett. 106 (2011) 221101",
            },
            "geodetic_measured": {
                "value": 6601.8,
                "uncertainty": 18.3,
                "kind": "measured (mas/yr)",
                "reference": "C. W. F. Everitt et al., Phys. Rev. Lett. 106 (2011) 221101",
            },
            "frame_dragging_prediction": {
                "value": 39.2,
                "uncertainty": None,
                "kind": "GR prediction (mas/yr)",
                "reference": "C. W. F. Everitt et al., Phys. Rev. Lett. 106 (2011) 221101",
            },
            "frame_dragging_measured": {
                "value": 37.2,
                "uncertainty": 7.2,
                "kind": "measured (mas/yr)",
                "reference": "C. W. F. Everitt et al., Phys. Rev. Lett. 106 (2011) 221101",
            },
        },
    )


CLASSIC_TESTS = (
    "gravity_probe_a",
    "gravity_probe_b",
    "light_deflection",
    "perihelion_advance",
    "shapiro_delay",
)
"""Names of the classic-test calculators."""
