"""Proper time on elliptic orbits against mpmath quadrature and the first-order formula."""

from __future__ import annotations

import math

import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    EARTH,
    GALILEO_ECCENTRIC,
    GPS_ORBIT_RADIUS,
    NEUTRON_STAR,
    SPEED_OF_LIGHT,
    Body,
    circular_orbit_time_dilation_deficit,
    kepler_orbit_clock,
)

mp = pytest.importorskip("mpmath")
C = SPEED_OF_LIGHT


def mp_lost(a: float, e: float, upper: object) -> object:
    """Integral of the deficit dt from E = 0 to ``upper`` at 50 digits."""
    gm, c = mp.mpf(EARTH.gm), mp.mpf(C)
    a, e = mp.mpf(a), mp.mpf(e)
    n = mp.sqrt(gm / a**3)

    def f(big_e: object) -> object:
        r = a * (1 - e * mp.cos(big_e))
        v2 = gm * (2 / r - 1 / a)
        return (1 - mp.sqrt(1 - 2 * gm / (r * c**2) - v2 / c**2)) * (1 - e * mp.cos(big_e)) / n

    return mp.quad(
        f, [0, mp.pi / 2, mp.pi, 3 * mp.pi / 2, upper] if upper > mp.pi * 1.5 else [0, upper]
    )


@pytest.mark.parametrize(("a", "e"), [(GPS_ORBIT_RADIUS, 0.01), (27_977.6e3, 0.162), (3e7, 0.7)])
def test_orbit_average_and_periodic_part_match_mpmath(a: float, e: float) -> None:
    res = kepler_orbit_clock(a, e, points=5)
    period = 2 * mp.pi / mp.sqrt(mp.mpf(EARTH.gm) / mp.mpf(a) ** 3)
    lost = mp_lost(a, e, 2 * mp.pi)
    assert res.seconds_lost_per_orbit == pytest.approx(float(lost), rel=1e-12)
    mean = lost / period
    assert res.mean_deficit == pytest.approx(float(mean), rel=1e-12)
    # the curve's point at mean anomaly 90 degrees: E from Kepler's equation
    big_e = mp.findroot(lambda x: x - e * mp.sin(x) - mp.pi / 2, mp.pi / 2)
    t = (big_e - e * mp.sin(big_e)) / mp.sqrt(mp.mpf(EARTH.gm) / mp.mpf(a) ** 3)
    periodic = -(mp_lost(a, e, big_e) - mean * t)
    assert res.periodic_ns[1] == pytest.approx(float(periodic) * 1e9, rel=1e-9)


def test_gps_eccentricity_effect_is_ashbys() -> None:
    # Ashby 2003 eq. 39: 2 sqrt(GM a) e / c^2 = 4.4428e-10 s/m^(1/2) * e sqrt(a)
    res = kepler_orbit_clock(GPS_ORBIT_RADIUS, 0.01)
    assert res.eccentricity_amplitude_weak_field == pytest.approx(
        4.4428e-10 * 0.01 * math.sqrt(GPS_ORBIT_RADIUS), rel=1e-4
    )
    assert res.eccentricity_amplitude == pytest.approx(22.897e-9, abs=0.001e-9)
    assert res.eccentricity_peak_to_peak == pytest.approx(45.795e-9, abs=0.001e-9)
    # numerical and first-order amplitudes agree to O(GM/ac^2) ~ 1e-9 relative
    assert res.eccentricity_amplitude == pytest.approx(
        res.eccentricity_amplitude_weak_field, rel=1e-8
    )
    for p, w in zip(res.periodic_ns, res.weak_field_periodic_ns, strict=True):
        assert p == pytest.approx(w, abs=1e-6)


def test_circular_limit_is_exact() -> None:
    res = kepler_orbit_clock(GPS_ORBIT_RADIUS, 0.0)
    assert res.mean_deficit == pytest.approx(
        circular_orbit_time_dilation_deficit(EARTH, GPS_ORBIT_RADIUS), rel=1e-13
    )
    assert res.eccentricity_amplitude < 1e-18  # rounding of the 1e-5 s sums
    assert res.period == pytest.approx(2 * math.pi * math.sqrt(GPS_ORBIT_RADIUS**3 / EARTH.gm))


def test_galileo_amplitude() -> None:
    g = GALILEO_ECCENTRIC
    res = kepler_orbit_clock(g["semi_major_axis"], g["eccentricity"])
    amp = 2 * math.sqrt(EARTH.gm * g["semi_major_axis"]) * g["eccentricity"] / C**2
    assert res.eccentricity_amplitude == pytest.approx(amp, rel=1e-8)
    assert res.eccentricity_amplitude == pytest.approx(380.7e-9, abs=0.1e-9)
    assert g["published"]["delva_2018"]["alpha"] == 0.19e-5
    assert g["published"]["delva_2018"]["uncertainty"] == 2.48e-5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((GPS_ORBIT_RADIUS, 1.0), "0 <= e < 1"),
        ((GPS_ORBIT_RADIUS, -0.1), "0 <= e < 1"),
        ((-1.0, 0.1), "> 0"),
        ((GPS_ORBIT_RADIUS, math.nan), "finite"),
    ],
)
def test_domain_errors(args: tuple[float, float], words: str) -> None:
    with pytest.raises(RelativityDomainError, match=words):
        kepler_orbit_clock(*args)


def test_perigee_too_deep_is_rejected() -> None:
    compact = Body("compact", gm=NEUTRON_STAR.gm, radius=4_200.0)  # r_s = 4135 m
    with pytest.raises(RelativityDomainError, match=r"perigee.*local speed of light"):
        kepler_orbit_clock(1e5, 0.95, body=compact)
    with pytest.raises(RelativityDomainError, match="below the surface of Earth"):
        kepler_orbit_clock(1e4, 0.5)
    with pytest.raises(RelativityDomainError, match="below the surface of Earth"):
        kepler_orbit_clock(7e6, 0.1)  # perigee 6300 km
    with pytest.raises(RelativityDomainError, match="points"):
        kepler_orbit_clock(GPS_ORBIT_RADIUS, 0.1, points=1)
