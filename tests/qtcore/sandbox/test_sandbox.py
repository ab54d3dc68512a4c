"""Sandbox clocks against analytic formulas and independent high-precision references."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import EARTH, SUN, Accelerate, Coast
from qtcore.sandbox import (
    Ground,
    Inertial,
    Moving,
    Orbit,
    Static,
    Trajectory,
    clock_interferometer,
    compare,
    damping_parameters,
    entangled_clocks,
    ramsey_comparison,
    wrap_phase,
)
from qtcore.sim import iter_steps

C = 299_792_458.0


def test_compare_heights_matches_weak_field_gh_over_c2() -> None:
    # Two static clocks 1 m apart: fractional rate difference = GM/c^2 (1/r - 1/(r+h))
    # to first order; the second-order correction is ~1e-9 relative.
    r = EARTH.radius
    times = compare(Static(1.0), Static(0.0), 1.0)
    weak = EARTH.gm / C**2 * (Fraction(1) / Fraction(r) - Fraction(1) / Fraction(r + 1.0))
    assert times.delta_tau == pytest.approx(float(weak), rel=2e-9)
    assert times.method == "gravitational_redshift"


def test_compare_moving_clock_uses_accurate_lag() -> None:
    # At 10 m/s the lag per second is v^2/(2c^2) (1 + 3/4 beta^2 ...) = 5.56e-16.
    times = compare(Inertial(10.0), Inertial(0.0), 1.0)
    beta2 = (10.0 / C) ** 2
    assert times.delta_tau == pytest.approx(-(beta2 / 2) * (1 + 0.75 * beta2), rel=1e-14)


def test_compare_trajectory_twin_paradox_exact() -> None:
    # Out and back at 0.6 c (gamma = 5/4) for 5 years each: the traveller ages 8 years.
    year = 365.25 * 86400.0
    twin = Trajectory(
        (
            Coast(coordinate_duration=5 * year, velocity=0.6 * C),
            Coast(coordinate_duration=5 * year, velocity=-0.6 * C),
        )
    )
    times = compare(twin, Inertial(0.0))
    assert times.tau_b == pytest.approx(10 * year, rel=1e-15)
    assert times.delta_tau == pytest.approx(-2 * year, rel=1e-14)


def test_compare_orbit_against_ground_is_gps_net_rate() -> None:
    # GPS: the satellite clock gains about 38.5 us per day (Ashby 2003).
    times = compare(Orbit(26_561.75e3 - EARTH.radius), Static(0.0), 86400.0)
    assert times.delta_tau * 1e6 == pytest.approx(38.5, abs=0.1)
    back = compare(Static(0.0), Orbit(26_561.75e3 - EARTH.radius), 86400.0)
    assert (1 + times.fractional) * (1 + back.fractional) == pytest.approx(1.0, abs=1e-15)


def test_compare_rejects_mixed_spacetimes_and_bodies() -> None:
    with pytest.raises(RelativityDomainError, match="flat"):
        compare(Inertial(1.0), Static(0.0), 1.0)
    with pytest.raises(RelativityDomainError, match="different bodies"):
        compare(Static(0.0, SUN), Static(0.0, EARTH), 1.0)
    with pytest.raises(RelativityDomainError, match="duration"):
        compare(Static(1.0), Static(0.0))


def test_wrap_phase_uses_true_two_pi() -> None:
    # 1e6 rad: reference computed with exact rational pi bound (50 digits of pi).
    pi50 = Fraction("3.14159265358979323846264338327950288419716939937510")
    x = Fraction(1e6)
    turns = round(x / (2 * pi50))
    assert wrap_phase(1e6) == pytest.approx(float(x - turns * 2 * pi50), abs=1e-15)
    assert wrap_phase(0.5) == 0.5


@pytest.mark.parametrize("height", [0.5, 1.0, 3.0, 10.0])
def test_interferometer_visibility_is_abs_cos_half_phase(height: float) -> None:
    f = 429e12
    exp = clock_interferometer(Static(height), Static(0.0), frequency=f, duration=1.0)
    dtau = compare(Static(height), Static(0.0), 1.0).delta_tau
    expected = abs(math.cos(math.pi * f * dtau))  # |cos(omega dtau / 2)|
    out = exp.run(backend="python")
    assert out["measured"]["visibility"] == pytest.approx(expected, abs=1e-12)
    assert out["predictions"]["visibility"] == pytest.approx(expected, abs=1e-12)
    d = out["predictions"]["distinguishability"]
    assert expected**2 + d**2 == pytest.approx(1.0, abs=1e-12)


def test_interferometer_fringe_against_formula() -> None:
    for phi0 in (0.0, 0.7, 2.0):
        exp = clock_interferometer(
            Inertial(50.0),
            Inertial(0.0),
            frequency=1e15,
            duration=1.0,
            interferometer_phase=phi0,
        )
        dphi = 2 * math.pi * 1e15 * compare(Inertial(50.0), Inertial(0.0), 1.0).delta_tau
        p0 = (1 + math.cos(dphi / 2) * math.cos(phi0 - dphi / 2)) / 2
        assert exp.run(backend="python")["measured"]["p0"] == pytest.approx(p0, abs=1e-9)


def test_ramsey_fringe_and_decoherence() -> None:
    exp = ramsey_comparison(
        Static(2.0), Static(0.0), frequency=429e12, duration=2.0, t1=3.0, t2=1.5
    )
    tau_a = exp.parameters["tau_a"]
    dphi = 2 * math.pi * 429e12 * exp.parameters["delta_tau"]
    expected = (1 - math.exp(-tau_a / 1.5) * math.cos(dphi)) / 2
    assert exp.run(backend="python")["measured"]["p1"] == pytest.approx(expected, abs=1e-12)


def test_damping_parameters_formulas_and_domain() -> None:
    g, lam = damping_parameters(1.0, 2.0, 1.0)
    assert g == pytest.approx(1 - math.exp(-0.5), rel=1e-15)
    # sqrt(1-g) sqrt(1-lam) = exp(-tau/T2)
    assert math.sqrt((1 - g) * (1 - lam)) == pytest.approx(math.exp(-1.0), rel=1e-14)
    with pytest.raises(RelativityDomainError, match="2 T1"):
        damping_parameters(1.0, 1.0, 3.0)
    with pytest.raises(RelativityDomainError, match="t1"):
        damping_parameters(1.0, -1.0, None)


def test_entangled_clocks_relative_phase_and_readout() -> None:
    exp = entangled_clocks(Inertial(300.0), Inertial(0.0), frequency=1e15, duration=1.0)
    dphi = 2 * math.pi * 1e15 * compare(Inertial(300.0), Inertial(0.0), 1.0).delta_tau
    out = exp.run(backend="python")["measured"]
    assert math.cos(out["relative_phase"] + dphi) == pytest.approx(1.0, abs=1e-12)
    assert out["p1"] == pytest.approx(math.sin(dphi / 2) ** 2, abs=1e-12)
    assert out["bell_coherence"] == pytest.approx(1.0, abs=1e-12)


def test_entangled_clocks_decohere_in_own_proper_time() -> None:
    year = 365.25 * 86400.0
    twin = Trajectory(
        (
            Accelerate(9.80665, proper_duration=year),
            Accelerate(-9.80665, proper_duration=2 * year),
            Accelerate(9.80665, proper_duration=year),
        )
    )
    exp = entangled_clocks(twin, Inertial(0.0), frequency=1.0, t2=10 * year)
    tau_a, tau_b = exp.parameters["tau_a"], exp.parameters["tau_b"]
    assert tau_a == pytest.approx(4 * year, rel=1e-12)
    # tau_b = 4 (c/g) sinh(g year / c) from hyperbolic motion.
    assert tau_b == pytest.approx(4 * C / 9.80665 * math.sinh(9.80665 * year / C), rel=1e-12)
    out = exp.run(backend="python")["measured"]
    assert out["bell_coherence"] == pytest.approx(
        math.exp(-(tau_a + tau_b) / (10 * year)), abs=1e-12
    )


def test_experiment_circuit_steps_like_any_circuit() -> None:
    exp = clock_interferometer(Static(1.0), Static(0.0), frequency=429e12, duration=1.0)
    steps = list(iter_steps(exp.circuit, seed=1, backend="python"))
    assert len(steps) == len(exp.circuit.instructions) + 1


@pytest.mark.numpy
def test_experiments_agree_across_kernels() -> None:
    exp = entangled_clocks(Static(5.0), Static(0.0), frequency=429e12, duration=3.0, t1=4.0)
    a = exp.run(backend="python", shots=200, seed=5)
    b = exp.run(backend="numpy", shots=200, seed=5)
    assert a["counts"] == b["counts"]
    for k, v in a["measured"].items():
        assert b["measured"][k] == pytest.approx(v, abs=1e-12)


def test_experiment_frames_carry_relativity_meta() -> None:
    from qtcore.frames import decode_frame, encode_frame

    exp = ramsey_comparison(Static(1.0), Static(0.0), frequency=429e12, duration=1.0)
    frames = list(exp.frames(seed=2, backend="python"))
    assert len(frames) == len(exp.circuit.instructions) + 1
    back = decode_frame(encode_frame(frames[-1]))
    meta = back.meta["sandbox"]
    assert meta["experiment"] == "ramsey"
    assert meta["parameters"]["delta_tau"] == exp.parameters["delta_tau"]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Static(-6000e3), "Static.height -6000000.0 m"),
        (lambda: Static(-7000e3), "Static.height -7000000.0 m"),  # past the centre
        (lambda: Moving(-20e3, 100.0), "Moving.height -20000.0 m"),
        (lambda: Ground(90.0, -1000.0), "Ground.height -1000.0 m"),
    ],
)
def test_a_clock_inside_the_body_is_refused(make: Any, field: str) -> None:
    # The exterior field does not hold inside the Earth, whose lowest surface point is
    # its polar radius (IAU 2015 B3 nominal: 6356.8 km); before, a static clock 371 km
    # from the centre was compared like any other, and one past it was said to be
    # "inside the Schwarzschild radius".
    with pytest.raises(RelativityDomainError) as info:
        make()
    message = str(info.value)
    assert message.startswith(f"{field} puts the clock "), message
    assert message.endswith(
        "inside it (its polar radius is 6356.8 km), where the exterior field these "
        "calculators use does not hold"
    )


def test_clocks_on_the_surface_below_the_mean_radius_are_not() -> None:
    assert Static(-14e3).radius == pytest.approx(6357.0088e3)  # the poles: -14.2 km
    assert Ground(90.0).place()[0] == pytest.approx(6356.8e3, abs=1.0)
    assert EARTH.check_outside(6356.8e3) == 6356.8e3
    with pytest.raises(RelativityDomainError, match=r"\(r = nan m\), inside it"):
        EARTH.check_outside(math.nan)
