"""Piecewise worldlines: hyperbolic motion closed forms, twin paradox, domain checks."""

from __future__ import annotations

import json
import math

import mpmath as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    JULIAN_YEAR,
    SPEED_OF_LIGHT,
    STANDARD_GRAVITY,
    Accelerate,
    Coast,
    proper_time_along,
)

C = SPEED_OF_LIGHT
G = STANDARD_GRAVITY
REL = 1e-12


def rel(x: float, ref: mp.mpf) -> float:
    return float(abs((mp.mpf(x) - ref) / ref))


@pytest.mark.parametrize("a", [1.0, G, 100 * G])
@pytest.mark.parametrize("t", [1e-3, 1.0, 86_400.0, JULIAN_YEAR, 10 * JULIAN_YEAR])
def test_hyperbolic_motion_from_rest_coordinate_duration(a: float, t: float) -> None:
    # tau = (c/a) asinh(a t / c), x = (c^2/a)(sqrt(1 + (a t/c)^2) - 1).
    res = proper_time_along([Accelerate(a, coordinate_duration=t)])
    ma, mt, mc = mp.mpf(a), mp.mpf(t), mp.mpf(C)
    tau = mc / ma * mp.asinh(ma * mt / mc)
    x = mc**2 / ma * (mp.sqrt(1 + (ma * mt / mc) ** 2) - 1)
    seg = res.segments[0]
    assert rel(seg.proper_time, tau) <= REL
    assert rel(seg.coordinate_time, mt) <= REL
    assert rel(seg.time_lag, mt - tau) <= REL
    assert rel(seg.displacement, x) <= REL
    assert rel(seg.final_velocity, ma * mt / mp.sqrt(1 + (ma * mt / mc) ** 2)) <= REL


@pytest.mark.parametrize("a", [-G, 1e-6, G])
@pytest.mark.parametrize("tau", [1e-3, 1.0, JULIAN_YEAR, 5 * JULIAN_YEAR])
@pytest.mark.parametrize("phi0", [0.0, 0.3, -1.2])
def test_hyperbolic_motion_with_initial_rapidity(a: float, tau: float, phi0: float) -> None:
    res = proper_time_along([Accelerate(a, proper_duration=tau, initial_rapidity=phi0)])
    ma, mtau, mc, p0 = mp.mpf(a), mp.mpf(tau), mp.mpf(C), mp.mpf(phi0)
    p1 = p0 + ma * mtau / mc
    t = mc / ma * (mp.sinh(p1) - mp.sinh(p0))
    x = mc**2 / ma * (mp.cosh(p1) - mp.cosh(p0))
    seg = res.segments[0]
    assert rel(seg.coordinate_time, t) <= REL
    assert rel(seg.time_lag, t - mtau) <= REL
    assert rel(seg.displacement, x) <= REL
    assert rel(seg.final_rapidity, p1) <= REL
    # Same segment given by its coordinate duration returns the same proper time.
    back = proper_time_along(
        [Accelerate(a, coordinate_duration=seg.coordinate_time, initial_rapidity=phi0)]
    )
    assert back.proper_time == pytest.approx(tau, rel=1e-12)


def test_gentle_push_keeps_precision() -> None:
    # 1 m/s^2 for 1 s: lag = a^2 tau^3 / (6 c^2) (1 + O(a tau / c)^2) ~ 1.85e-18 s.
    res = proper_time_along([Accelerate(1.0, proper_duration=1.0)])
    assert res.time_lag == pytest.approx(1.0 / (6 * C * C), rel=1e-12)
    assert res.displacement == pytest.approx(0.5, rel=1e-12)


def test_zero_acceleration_is_coasting() -> None:
    v = 0.6 * C
    res = proper_time_along([Accelerate(0.0, coordinate_duration=10.0)], initial_velocity=v)
    assert res.proper_time == pytest.approx(8.0, rel=1e-15)
    assert res.time_lag == pytest.approx(2.0, rel=1e-15)
    res = proper_time_along([Accelerate(0.0, proper_duration=8.0)], initial_velocity=v)
    assert res.coordinate_time == pytest.approx(10.0, rel=1e-15)
    assert res.displacement == pytest.approx(v * 10.0, rel=1e-15)


def test_textbook_twin_paradox_with_instant_turnaround() -> None:
    # 0.6 c out for 5 yr and back for 5 yr: the traveller ages 8 yr, the twin 10 yr.
    res = proper_time_along(
        [
            Coast(coordinate_duration=5 * JULIAN_YEAR, velocity=0.6 * C),
            Coast(coordinate_duration=5 * JULIAN_YEAR, velocity=-0.6 * C),
        ]
    )
    assert res.proper_time == pytest.approx(8 * JULIAN_YEAR, rel=1e-15)
    assert res.coordinate_time == pytest.approx(10 * JULIAN_YEAR, rel=1e-15)
    assert res.time_lag == pytest.approx(2 * JULIAN_YEAR, rel=1e-15)
    assert res.displacement == pytest.approx(0.0, abs=1e-3)
    assert res.distance == pytest.approx(2 * 0.6 * C * 5 * JULIAN_YEAR, rel=1e-15)


def test_walking_coast_time_lag_over_a_day() -> None:
    res = proper_time_along([Coast(coordinate_duration=86_400.0, velocity=1.4)])
    b2 = (mp.mpf(1.4) / mp.mpf(C)) ** 2
    assert rel(res.time_lag, 86_400 * (1 - mp.sqrt(1 - b2))) <= REL


def test_twin_paradox_with_acceleration_phases() -> None:
    # Accelerate at 1 g for 1 yr (proper), coast 2 yr (proper), turn around at 1 g over
    # 2 yr, coast 2 yr back, brake 1 yr. Closed forms per phase, evaluated at 50 digits.
    yr = JULIAN_YEAR
    trip = [
        Accelerate(G, proper_duration=yr),
        Coast(proper_duration=2 * yr),
        Accelerate(-G, proper_duration=2 * yr),
        Coast(proper_duration=2 * yr),
        Accelerate(G, proper_duration=yr),
    ]
    res = proper_time_along(trip)
    mg, mc, myr = mp.mpf(G), mp.mpf(C), mp.mpf(yr)
    phi = mg * myr / mc
    t_acc = mc / mg * mp.sinh(phi)  # per 1-yr phase
    x_acc = mc**2 / mg * (mp.cosh(phi) - 1)
    t_coast = 2 * myr * mp.cosh(phi)
    x_coast = mc * mp.tanh(phi) * t_coast
    total_t = 4 * t_acc + 2 * t_coast
    assert rel(res.proper_time, 8 * myr) <= REL
    assert rel(res.coordinate_time, total_t) <= REL
    assert rel(res.time_lag, total_t - 8 * myr) <= REL
    assert rel(res.distance, 4 * x_acc + 2 * x_coast) <= REL
    assert res.displacement == pytest.approx(0.0, abs=1e-6 * float(x_coast))
    assert res.final_velocity == pytest.approx(0.0, abs=1e-6)
    turn = res.segments[2]
    assert turn.initial_velocity > 0 > turn.final_velocity
    assert rel(turn.distance, 2 * x_acc) <= REL
    data = json.loads(json.dumps(res.to_dict()))
    assert len(data["segments"]) == 5
    assert "total" in res.describe()


durations = st.floats(min_value=1e-3, max_value=1e7)  # |rapidity| <= 3 + 33
accelerations = st.floats(min_value=-1e3, max_value=1e3).filter(lambda a: abs(a) > 1e-9)


@given(accelerations, durations, st.floats(min_value=-3.0, max_value=3.0))
def test_coordinate_time_never_less_than_proper_time(a: float, tau: float, phi0: float) -> None:
    res = proper_time_along([Accelerate(a, proper_duration=tau, initial_rapidity=phi0)])
    seg = res.segments[0]
    assert seg.coordinate_time >= seg.proper_time * (1 - 1e-15)
    assert seg.time_lag >= 0.0
    assert seg.time_lag == pytest.approx(
        seg.coordinate_time - seg.proper_time, rel=1e-9, abs=1e-12 * seg.coordinate_time
    )
    assert seg.distance >= abs(seg.displacement) * (1 - 1e-12)
    assert math.isclose(seg.final_rapidity, phi0 + a * tau / C, rel_tol=1e-14, abs_tol=1e-300)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Coast(), "exactly one"),
        (lambda: Coast(coordinate_duration=1.0, proper_duration=1.0), "exactly one"),
        (lambda: Coast(coordinate_duration=-1.0), "duration >= 0"),
        (lambda: Coast(proper_duration=float("nan")), "finite"),
        (lambda: Coast(coordinate_duration=1.0, velocity=C), "-c < v < c"),
        (lambda: Accelerate(float("inf"), proper_duration=1.0), "finite"),
        (lambda: Accelerate(G), "exactly one"),
        (lambda: Accelerate(G, coordinate_duration=-2.0), "duration >= 0"),
        (lambda: Accelerate(G, proper_duration=1.0, initial_rapidity=float("nan")), "finite"),
        (lambda: proper_time_along([]), "at least one segment"),
        (lambda: proper_time_along([1.0]), "Coast or an Accelerate"),  # type: ignore[list-item]
        (lambda: proper_time_along([Coast(proper_duration=1.0)], initial_velocity=-C), "c"),
        (lambda: proper_time_along([Accelerate(G, proper_duration=1e12)]), "exceeds"),
    ],
)
def test_trajectory_domain_errors(make: object, fragment: str) -> None:
    with pytest.raises(RelativityDomainError, match=fragment):
        make()  # type: ignore[operator]
