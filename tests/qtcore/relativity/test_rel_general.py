"""Schwarzschild and weak-field formulas against mpmath and published values."""

from __future__ import annotations

import json

import mpmath as mp
import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    EARTH,
    GRAVITATIONAL_CONSTANT,
    NEUTRON_STAR,
    SIRIUS_B,
    SPEED_OF_LIGHT,
    SUN,
    Body,
    circular_orbit_speed,
    circular_orbit_time_dilation_deficit,
    circular_orbit_time_dilation_factor,
    gravitational_redshift,
    photon_sphere_radius,
    schwarzschild_radius,
    static_time_dilation_deficit,
    static_time_dilation_factor,
    weak_field_time_dilation_deficit,
)

C = SPEED_OF_LIGHT
REL = 1e-12


def rel(x: float, ref: mp.mpf) -> float:
    return float(abs((mp.mpf(x) - ref) / ref))


def mp_m(body: Body) -> mp.mpf:
    """GM/c^2 at 50 digits."""
    return mp.mpf(body.gm) / mp.mpf(C) ** 2


CASES = [
    (EARTH, EARTH.radius),
    (EARTH, 26_561.75e3),
    (EARTH, 3.844e8),
    (SUN, SUN.radius),
    (SIRIUS_B, SIRIUS_B.radius),
    (NEUTRON_STAR, NEUTRON_STAR.radius),
    (SUN, 2.0 * 2953.25 * 1.000_001),  # just outside the horizon
]


def test_schwarzschild_radius_of_the_sun() -> None:
    # 2 GM_sun / c^2 = 2953.25 m (IAU 2015 nominal GM).
    rs = schwarzschild_radius(SUN)
    assert rel(rs, 2 * mp_m(SUN)) <= REL
    assert rs == pytest.approx(2953.25, abs=0.01)
    # From a mass in kg via CODATA G: 1.98847e30 kg is the Sun to ~1e-4.
    assert schwarzschild_radius(1.988_47e30) == pytest.approx(rs, rel=1e-4)
    assert schwarzschild_radius(1.0) == pytest.approx(2 * GRAVITATIONAL_CONSTANT / C**2, rel=1e-15)
    assert photon_sphere_radius(SUN) == pytest.approx(1.5 * rs, rel=1e-15)


@pytest.mark.parametrize(("body", "r"), CASES)
def test_static_factor_and_deficit_match_mpmath(body: Body, r: float) -> None:
    factor = mp.sqrt(1 - 2 * mp_m(body) / mp.mpf(r))
    assert rel(static_time_dilation_factor(body, r), factor) <= REL
    assert rel(static_time_dilation_deficit(body, r), 1 - factor) <= REL


def test_static_deficit_on_earth_and_weak_field_limit() -> None:
    deficit = static_time_dilation_deficit(EARTH, EARTH.radius)
    assert deficit == pytest.approx(6.96e-10, rel=1e-3)
    weak = weak_field_time_dilation_deficit(EARTH, EARTH.radius)
    # 1 - sqrt(1 - 2x) = x + x^2/2 + ...: relative gap x/2 ~ 3.5e-10.
    assert deficit / weak - 1 == pytest.approx(weak / 2, rel=1e-5)


@pytest.mark.parametrize(("body", "r"), [c for c in CASES if c[1] > 1.5 * 2 * c[0].gm / C**2])
def test_circular_orbit_rate_matches_mpmath(body: Body, r: float) -> None:
    factor = mp.sqrt(1 - 3 * mp_m(body) / mp.mpf(r))
    assert rel(circular_orbit_time_dilation_factor(body, r), factor) <= REL
    assert rel(circular_orbit_time_dilation_deficit(body, r), 1 - factor) <= REL


def test_circular_orbit_rate_is_gravity_times_motion() -> None:
    # sqrt(1 - 3m/r) = sqrt(1 - 2m/r) * sqrt(1 - v_local^2/c^2), v_local^2 = (GM/r)/(1 - 2m/r).
    r = 10 * schwarzschild_radius(SUN)
    v2 = circular_orbit_speed(SUN, r) ** 2
    m = SUN.gm / C**2
    motion = (1 - v2 / (1 - 2 * m / r) / C**2) ** 0.5
    expected = static_time_dilation_factor(SUN, r) * motion
    assert circular_orbit_time_dilation_factor(SUN, r) == pytest.approx(expected, rel=1e-14)


def test_circular_orbit_rejects_photon_sphere() -> None:
    r_ph = photon_sphere_radius(SUN)
    with pytest.raises(RelativityDomainError, match="photon sphere"):
        circular_orbit_time_dilation_factor(SUN, r_ph)
    with pytest.raises(RelativityDomainError, match="photon sphere"):
        circular_orbit_time_dilation_deficit(SUN, 0.9 * r_ph)
    assert circular_orbit_time_dilation_factor(SUN, r_ph * (1 + 1e-9)) > 0


def test_pound_rebka_22_5_m_tower() -> None:
    # Pound & Rebka (1960): gamma rays falling 22.5 m gain g h / c^2 = 2.46e-15.
    r0 = EARTH.radius
    down = gravitational_redshift(EARTH, emitter_radius=r0 + 22.5, receiver_radius=r0)
    assert down.fractional_frequency_shift == pytest.approx(2.46e-15, abs=0.01e-15)
    assert down.z < 0  # blueshift
    g = EARTH.gm / r0**2
    assert down.fractional_frequency_shift == pytest.approx(g * 22.5 / C**2, rel=1e-5)
    m, re, rr = mp_m(EARTH), mp.mpf(r0 + 22.5), mp.mpf(r0)
    ratio = mp.sqrt((1 - 2 * m / re) / (1 - 2 * m / rr))
    assert rel(down.fractional_frequency_shift, ratio - 1) <= REL
    assert rel(down.z, 1 / ratio - 1) <= REL
    up = gravitational_redshift(EARTH, emitter_radius=r0, receiver_radius=r0 + 22.5)
    assert rel(up.fractional_frequency_shift, 1 / ratio - 1) <= REL
    assert up.frequency_ratio * down.frequency_ratio == pytest.approx(1.0, abs=1e-16)


def test_solar_and_white_dwarf_redshifts() -> None:
    # Light from the solar surface seen far away: c z = 636 m/s (GM/(R c)).
    sun = gravitational_redshift(SUN, SUN.radius, 1e30)
    assert sun.velocity_equivalent == pytest.approx(636.3, abs=0.2)
    # Sirius B: measured 80.65 +- 0.77 km/s (Joyce et al. 2018, MNRAS 481, 2361); 2 sigma.
    sirius = gravitational_redshift(SIRIUS_B, SIRIUS_B.radius, 1e30)
    assert sirius.velocity_equivalent == pytest.approx(80.65e3, abs=2 * 0.77e3)
    data = json.loads(json.dumps(sirius.to_dict()))
    assert data["z"] > 0
    assert "z" in sirius.describe()


NAN = float("nan")


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: schwarzschild_radius(0.0), "mass must be > 0"),
        (lambda: schwarzschild_radius(-1.0), "mass must be > 0"),
        (lambda: schwarzschild_radius(NAN), "finite"),
        (lambda: static_time_dilation_factor(SUN, 2000.0), "Schwarzschild radius"),
        (lambda: static_time_dilation_deficit(SUN, schwarzschild_radius(SUN)), "r > r_s"),
        (lambda: static_time_dilation_factor(EARTH, -1.0), "> 0"),
        (lambda: gravitational_redshift(SUN, 1000.0, 1e9), "emitter_radius"),
        (lambda: gravitational_redshift(SUN, 1e9, float("-inf")), "finite"),
        (lambda: circular_orbit_speed(EARTH, 0.0), "> 0"),
    ],
)
def test_domain_errors(call: object, fragment: str) -> None:
    with pytest.raises(RelativityDomainError, match=fragment):
        call()  # type: ignore[operator]


def test_body_presets_and_custom_bodies() -> None:
    assert EARTH.mass == pytest.approx(5.972e24, rel=1e-3)
    assert SUN.mass == pytest.approx(1.9885e30, rel=1e-3)
    custom = Body.from_mass("rock", 1e20, 1e5)
    assert custom.gm == pytest.approx(GRAVITATIONAL_CONSTANT * 1e20, rel=1e-15)
    assert custom.equatorial_radius == custom.polar_radius == 1e5
    assert json.loads(json.dumps(EARTH.to_dict()))["name"] == "Earth"
    with pytest.raises(RelativityDomainError, match="Schwarzschild"):
        Body(name="too small", gm=SUN.gm, radius=1000.0)
    with pytest.raises(RelativityDomainError, match="mass"):
        Body.from_mass("void", 0.0, 1.0)
