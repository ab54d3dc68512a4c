"""Clocks moving in a Schwarzschild field, and the redshift to infinity, against mpmath."""

from __future__ import annotations

import math

import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    EARTH,
    NEUTRON_STAR,
    SPEED_OF_LIGHT,
    SUN,
    Body,
    circular_orbit_speed,
    circular_orbit_time_dilation_deficit,
    circular_orbit_time_dilation_factor,
    clock_comparison,
    clock_rate,
    clock_rate_deficit,
    gamma_minus_one,
    gravitational_redshift,
    lorentz_factor,
    static_time_dilation_deficit,
    static_time_dilation_factor,
    surface_clock,
)

mp = pytest.importorskip("mpmath")

C = SPEED_OF_LIGHT


def rel(x: float, ref: object) -> float:
    return float(abs((mp.mpf(x) - ref) / ref))


def mp_rs(body: Body) -> object:
    return 2 * mp.mpf(body.gm) / mp.mpf(C) ** 2


def mp_rate(body: Body, r: float, v: float) -> object:
    return mp.sqrt(1 - mp_rs(body) / mp.mpf(r) - (mp.mpf(v) / C) ** 2)


CASES = [
    (EARTH, EARTH.radius, 1.4),  # walking
    (EARTH, EARTH.radius, 465.1),  # the equator's rotation
    (EARTH, EARTH.radius + 10e3, 250.0),  # an airliner
    (EARTH, EARTH.radius + 400e3, 7_660.0),  # ISS-like
    (EARTH, 26_561.75e3, 3_873.8),  # GPS
    (SUN, SUN.radius, 2_000.0),
    (SUN, 1.0e12, 0.99 * C),  # nearly flat, nearly c
    (NEUTRON_STAR, NEUTRON_STAR.radius, 0.3 * C),
    (SUN, 2953.25 * 1.000_01, 0.0),  # just outside the horizon
]


@pytest.mark.parametrize(("body", "r", "v"), CASES)
def test_rate_and_deficit_match_mpmath(body: Body, r: float, v: float) -> None:
    ref = mp_rate(body, r, v)
    # Near the horizon the rate is ill-conditioned in r_s itself (one rounding of GM/c^2
    # is amplified by r/(r - r_s)); elsewhere the tolerance is a few ulp.
    cond = max(1.0, r / (r - float(mp_rs(body))))
    assert rel(clock_rate(body, r, v), ref) <= 1e-15 * cond
    # the deficit is the small quantity: it keeps ~1e-15 relative even at 1e-9 (Earth)
    assert rel(clock_rate_deficit(body, r, v), 1 - ref) <= 2e-15 * cond


def test_static_case_is_exact() -> None:
    for r in (EARTH.radius, 1e7, 4e8):
        assert clock_rate(EARTH, r) == static_time_dilation_factor(EARTH, r)
        assert clock_rate_deficit(EARTH, r, 0.0) == static_time_dilation_deficit(EARTH, r)


@pytest.mark.parametrize("r", [EARTH.radius + 400e3, 26_561.75e3, 3.844e8])
def test_circular_orbit_case(r: float) -> None:
    v = circular_orbit_speed(EARTH, r)
    assert clock_rate(EARTH, r, v) == pytest.approx(
        circular_orbit_time_dilation_factor(EARTH, r), rel=1e-15
    )
    assert clock_rate_deficit(EARTH, r, v) == pytest.approx(
        circular_orbit_time_dilation_deficit(EARTH, r), rel=1e-14
    )


@pytest.mark.parametrize("v", [1.0, 3e4, 0.6 * C, 0.999 * C])
def test_flat_space_limit_is_special_relativity(v: float) -> None:
    light = Body("feather", gm=1e-20, radius=1.0)  # r_s ~ 2e-37 m: flat to 1e-37
    assert clock_rate(light, 1.0, v) == pytest.approx(1 / lorentz_factor(v), rel=1e-15)
    g = lorentz_factor(v)
    assert clock_rate_deficit(light, 1.0, v) == pytest.approx(gamma_minus_one(v) / g, rel=1e-14)


def test_pound_rebka_tower_and_parts_multiply() -> None:
    r0 = EARTH.radius
    res = clock_comparison(EARTH, r0 + 22.5, 0.0, r0, 0.0, proper_duration=1.0)
    ref = mp_rate(EARTH, r0 + 22.5, 0) / mp_rate(EARTH, r0, 0) - 1
    assert rel(res.fractional, ref) <= 1e-14
    assert res.kinematic_fractional == 0.0
    assert res.offset == pytest.approx(float(ref), rel=1e-14)


def test_aircraft_against_ground_matches_mpmath_and_splits() -> None:
    ground = surface_clock(EARTH, 38.9, 0.0)
    plane = surface_clock(EARTH, 38.9, 9_000.0, ground_speed_east=-220.0)
    res = clock_comparison(
        EARTH, plane.radius, plane.speed, ground.radius, ground.speed, coordinate_duration=3600.0
    )
    ref = mp_rate(EARTH, plane.radius, plane.speed) / mp_rate(EARTH, ground.radius, ground.speed)
    assert rel(res.fractional, ref - 1) <= 1e-13
    # 1 + net = (1 + grav)(1 + kin)
    prod = (1 + mp.mpf(res.gravitational_fractional)) * (1 + mp.mpf(res.kinematic_fractional))
    assert rel(res.fractional, prod - 1) <= 1e-13
    # gravitational part: static factors only
    grav = mp_rate(EARTH, plane.radius, 0) / mp_rate(EARTH, ground.radius, 0) - 1
    assert rel(res.gravitational_fractional, grav) <= 1e-13
    kin = (ref / (grav + 1)) - 1  # the motion factors' ratio
    assert rel(res.kinematic_fractional, kin) <= 1e-13
    # weak field: g h / c^2 - (v_a^2 - v_b^2)/2c^2 to first order
    assert res.weak_field_fractional == pytest.approx(res.fractional, rel=1e-8)
    assert res.tau_b == pytest.approx(3600.0 * float(mp_rate(EARTH, ground.radius, ground.speed)))
    # westward at 220 m/s slows the plane through the static frame: it gains on the ground
    assert res.kinematic_fractional > 0


def test_coordinate_and_proper_durations_agree() -> None:
    a = clock_comparison(EARTH, 7e6, 7000.0, EARTH.radius, 0.0, coordinate_duration=86400.0)
    b = clock_comparison(EARTH, 7e6, 7000.0, EARTH.radius, 0.0, proper_duration=a.tau_b)
    assert b.coordinate_duration == pytest.approx(86400.0, rel=1e-15)
    assert b.offset == pytest.approx(a.offset, rel=1e-15)


def test_surface_clock_rotation() -> None:
    eq = surface_clock(EARTH, 0.0)
    assert eq.rotation_speed == pytest.approx(EARTH.angular_velocity * 6_378_100.0, rel=1e-15)
    assert eq.rotation_speed == pytest.approx(465.1, abs=0.1)
    pole = surface_clock(EARTH, 90.0)
    assert pole.speed == pytest.approx(0.0, abs=1e-9)
    assert pole.radius == pytest.approx(EARTH.polar_radius, rel=1e-15)
    # flying west at exactly the rotation speed: at rest in the static frame
    still = surface_clock(EARTH, 0.0, 0.0, ground_speed_east=-eq.rotation_speed)
    assert still.speed == 0.0
    assert still.deficit == static_time_dilation_deficit(EARTH, still.radius)
    north = surface_clock(EARTH, 0.0, ground_speed_north=300.0)
    assert north.speed == pytest.approx(math.hypot(eq.rotation_speed, 300.0), rel=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"radius": 1000.0, "speed": 0.0}, "Schwarzschild radius"),
        ({"radius": 7e6, "speed": C}, "v^2 < c^2 (1 - r_s/r)"),
        ({"radius": 7e6, "speed": -1.0}, "magnitude"),
        ({"radius": math.nan, "speed": 0.0}, "finite"),
        ({"radius": 7e6, "speed": math.inf}, "finite"),
    ],
)
def test_domain_errors_say_what_is_allowed(kwargs: dict[str, float], words: str) -> None:
    body = NEUTRON_STAR if kwargs["radius"] == 1000.0 else EARTH  # r_s 4.1 km / 8.9 mm
    with pytest.raises(RelativityDomainError) as info:
        clock_rate(body, kwargs["radius"], kwargs["speed"])
    assert words in str(info.value)


def test_speed_just_below_local_light_speed() -> None:
    # near the horizon light is slow in coordinates: 0.5 c is too fast at r = 1.2 r_s
    rs = 2 * NEUTRON_STAR.gm / C**2
    with pytest.raises(RelativityDomainError, match="not below the local speed of light"):
        clock_rate(NEUTRON_STAR, 1.2 * rs, 0.5 * C)
    assert clock_rate(NEUTRON_STAR, 1.2 * rs, 0.4 * C) > 0


def test_surface_clock_rejects_bad_latitude() -> None:
    with pytest.raises(RelativityDomainError, match=r"\[-90, 90\]"):
        surface_clock(EARTH, 91.0)


def test_comparison_needs_exactly_one_duration() -> None:
    with pytest.raises(RelativityDomainError, match="exactly one"):
        clock_comparison(EARTH, 7e6, 0.0, 7e6, 0.0)
    with pytest.raises(RelativityDomainError, match="clock_b speed"):
        clock_comparison(EARTH, 7e6, 0.0, 7e6, C, proper_duration=1.0)


@pytest.mark.parametrize(("body", "r"), [(SUN, SUN.radius), (EARTH, EARTH.radius)])
def test_redshift_to_infinity_matches_mpmath(body: Body, r: float) -> None:
    res = gravitational_redshift(body, r, math.inf)
    factor = mp.sqrt(1 - mp_rs(body) / r)
    assert rel(res.z, 1 / factor - 1) <= 1e-14
    assert rel(res.fractional_frequency_shift, factor - 1) <= 1e-14
    weak = -mp.mpf(body.gm) / (r * mp.mpf(C) ** 2)
    assert rel(res.weak_field_fractional_frequency_shift, weak) <= 1e-15
    # weak/exact - 1 = -r_s/(4r) to leading order
    assert res.weak_field_relative_error == pytest.approx(float(weak / (factor - 1) - 1), rel=1e-6)
    assert res.weak_field_relative_error == pytest.approx(-float(mp_rs(body)) / (4 * r), rel=1e-5)
    d = res.to_dict()
    assert d["receiver_radius"] is None and d["receiver_at_infinity"] is True
    # the Sun's surface redshift is the famous 636 m/s
    if body is SUN:
        assert res.velocity_equivalent == pytest.approx(636.3, abs=0.05)


def test_redshift_to_infinity_is_the_far_receiver_limit() -> None:
    far = gravitational_redshift(SUN, SUN.radius, 1e30).z
    assert gravitational_redshift(SUN, SUN.radius, math.inf).z == pytest.approx(far, rel=1e-12)
    with pytest.raises(RelativityDomainError):
        gravitational_redshift(SUN, SUN.radius, -math.inf)
    with pytest.raises(RelativityDomainError):
        gravitational_redshift(SUN, math.inf, SUN.radius)
