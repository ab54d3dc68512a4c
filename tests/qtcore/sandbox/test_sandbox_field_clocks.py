"""Sandbox clocks that move in a field: Moving, Ground and Flight worldlines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qtcore.errors import RelativityDomainError, ScenarioError
from qtcore.relativity import (
    EARTH,
    HAFELE_KEATING_EAST,
    HAFELE_KEATING_WEST,
    SUN,
    FlightSegment,
    flight_offsets,
    surface_clock,
)
from qtcore.sandbox import (
    Flight,
    Ground,
    Inertial,
    Moving,
    Orbit,
    Static,
    clock_interferometer,
    compare,
)
from qtcore.scenario import loads_scenario, run_scenario

mp = pytest.importorskip("mpmath")
C = 299_792_458.0


@pytest.fixture(autouse=True)
def _fifty_digits() -> Iterator[None]:
    with mp.workdps(50):
        yield


def mp_rate(r: float, v: float) -> object:
    return mp.sqrt(1 - 2 * mp.mpf(EARTH.gm) / (mp.mpf(C) ** 2 * r) - (mp.mpf(v) / C) ** 2)


def test_moving_against_static_matches_mpmath() -> None:
    a, b = Moving(10_000.0, 250.0), Static(0.0)
    t = compare(a, b, 3600.0)
    ref = mp_rate(a.radius, 250.0) / mp_rate(b.radius, 0.0) - 1
    assert t.fractional == pytest.approx(float(ref), rel=1e-12)
    assert t.method == "clock_comparison"
    # at rest, a Moving clock is a Static one
    assert compare(Moving(5.0, 0.0), Static(0.0), 1.0).delta_tau == pytest.approx(
        compare(Static(5.0), Static(0.0), 1.0).delta_tau, rel=1e-12
    )


def test_moving_at_orbital_speed_is_the_orbit() -> None:
    orbit = Orbit(20_200e3)
    v = (EARTH.gm / orbit.radius) ** 0.5
    via_gps = compare(orbit, Static(0.0), 86_400.0)  # gps_clock_offsets
    via_rate = compare(Moving(20_200e3, v), Static(0.0), 86_400.0)  # clock_comparison
    assert via_rate.delta_tau == pytest.approx(via_gps.delta_tau, rel=1e-12)


def test_ground_clocks_at_sea_level_agree_with_j2() -> None:
    t = compare(Ground(0.0), Ground(60.0), 86_400.0)
    assert t.method == "flight_offsets"
    assert abs(t.fractional) < 3e-14
    # a car driving east at 30 m/s at 45 N, against a parked one
    car = compare(Ground(45.0, 0.0, 30.0), Ground(45.0), 3600.0)
    v_rot = surface_clock(EARTH, 45.0).rotation_speed
    assert car.fractional == pytest.approx(-(2 * v_rot * 30.0 + 900.0) / (2 * C**2), rel=1e-8)


def test_flight_against_a_static_clock_sums_its_segments() -> None:
    segs = (FlightSegment(3600.0, 40.0, 9000.0, 250.0), FlightSegment(1800.0, 45.0))
    t = compare(Flight(segs), Static(0.0))
    ref = mp.mpf(0)
    for s in segs:
        sc = surface_clock(EARTH, s.latitude_deg, s.height, s.ground_speed_east)
        ref += s.duration * (mp_rate(sc.radius, sc.speed) / mp_rate(EARTH.radius, 0) - 1)
    assert t.delta_tau == pytest.approx(float(ref), rel=1e-11)
    assert t.tau_b == 5400.0


def test_flight_against_ground_and_the_other_way_round() -> None:
    f, g = Flight(HAFELE_KEATING_EAST), Ground(38.92)
    ab, ba = compare(f, g), compare(g, f)
    assert ab.delta_tau == pytest.approx(-27.8e-9, abs=0.1e-9)
    assert ba.delta_tau == -ab.delta_tau
    assert ba.tau_a == ab.tau_b and ba.tau_b == ab.tau_a
    exp = clock_interferometer(f, g, frequency=1e7)
    assert exp.predictions["visibility"] == pytest.approx(
        abs(__import__("math").cos(__import__("math").pi * 1e7 * ab.delta_tau)), rel=1e-12
    )


@pytest.mark.parametrize(
    ("a", "b", "duration", "words"),
    [
        (Flight(HAFELE_KEATING_EAST), Ground(38.92), 10.0, "do not give a duration"),
        (Flight(HAFELE_KEATING_EAST), Flight(HAFELE_KEATING_WEST), None, "add a ground stop"),
        (Inertial(3.0), Ground(3.0), 1.0, "flat spacetime has no place"),
        (Moving(0.0, 1.0, SUN), Ground(3.0), 1.0, "different bodies"),
        (Moving(0.0, 1.0), Static(0.0), None, "duration"),
    ],
)
def test_refusals_say_why(a: object, b: object, duration: float | None, words: str) -> None:
    with pytest.raises(RelativityDomainError, match=words):
        compare(a, b, duration)  # type: ignore[arg-type]


def test_bad_worldlines() -> None:
    with pytest.raises(RelativityDomainError, match="local speed of light"):
        Moving(0.0, C)
    with pytest.raises(RelativityDomainError, match=r"\[-90, 90\]"):
        Ground(100.0)
    with pytest.raises(RelativityDomainError, match="at least one segment"):
        Flight(())


SCENARIO = """
name = "plane"
title = "plane"
kind = "sandbox"
[sandbox]
experiment = "ramsey"
frequency = "429 THz"
clock_a = {{ kind = "flight", {flight} }}
clock_b = {{ kind = "ground", latitude_deg = 38.92 }}
[[expected]]
check = "value"
path = "parameters.delta_tau"
value = 0
atol = 1
"""


def test_scenario_flight_and_ground_kinds() -> None:
    sc = loads_scenario(SCENARIO.format(flight='trip = "hafele_keating_west"'), "toml", "p.toml")
    res = run_scenario(sc, backend="python")
    assert res.outputs["parameters"]["delta_tau"] == pytest.approx(282.5e-9, abs=0.1e-9)
    seg = 'segments = [{ duration = "1 h", latitude_deg = 40, height = "9 km" }]'
    sc = loads_scenario(SCENARIO.format(flight=seg), "toml", "p.toml")
    assert run_scenario(sc, backend="python").outputs["parameters"]["delta_tau"] > 0
    with pytest.raises(ScenarioError, match="exactly one of trip or segments"):
        loads_scenario(SCENARIO.format(flight='trip = "x", segments = []'), "toml", "p.toml")
    with pytest.raises(ScenarioError, match="hafele_keating_east"):
        loads_scenario(SCENARIO.format(flight='trip = "x"'), "toml", "p.toml")


def test_two_flights_of_equal_duration_compare_directly() -> None:
    """Two aircraft that leave and land together: the difference of their ground offsets.

    The reference is independent: each flight's offset from :func:`flight_offsets` against a
    ground clock at a different place (the choice must cancel).
    """
    fast = (FlightSegment(7200.0, 40.0, 10_000.0, 250.0), FlightSegment(3600.0, 45.0, 0.0))
    slow = (FlightSegment(3600.0, 40.0, 3_000.0, -120.0), FlightSegment(7200.0, 30.0, 500.0))
    ref = (
        flight_offsets(fast, reference_latitude_deg=60.0).net
        - flight_offsets(slow, reference_latitude_deg=60.0).net
    )
    t = compare(Flight(fast), Flight(slow))
    assert t.delta_tau == pytest.approx(ref, rel=1e-9, abs=1e-18)
    assert t.tau_a - t.tau_b == pytest.approx(t.delta_tau, abs=1e-9)
    assert t.fractional == pytest.approx(t.delta_tau / t.tau_b, rel=1e-12)
    back = compare(Flight(slow), Flight(fast))
    assert back.delta_tau == pytest.approx(-t.delta_tau, rel=1e-12)
    assert compare(Flight(fast), Flight(fast)).delta_tau == 0.0
