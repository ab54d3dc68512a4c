"""Piecewise flights on the rotating Earth (Hafele-Keating) against mpmath and analytic forms."""

from __future__ import annotations

import math

import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    EARTH,
    HAFELE_KEATING_PUBLISHED,
    SPEED_OF_LIGHT,
    FlightSegment,
    flight_offsets,
    hafele_keating,
    surface_clock,
)

mp = pytest.importorskip("mpmath")
C = SPEED_OF_LIGHT


def mp_rate(r: float, v: float) -> object:
    return mp.sqrt(1 - 2 * mp.mpf(EARTH.gm) / (mp.mpf(C) ** 2 * r) - (mp.mpf(v) / C) ** 2)


def test_monopole_flight_matches_mpmath() -> None:
    seg = FlightSegment(36_000.0, 25.0, 10_000.0, ground_speed_east=230.0, ground_speed_north=40.0)
    res = flight_offsets([seg], reference_latitude_deg=38.92, include_j2=False)
    plane = surface_clock(EARTH, 25.0, 10_000.0, 230.0, 40.0)
    below = surface_clock(EARTH, 25.0)
    ref = surface_clock(EARTH, 38.92)
    net = mp_rate(plane.radius, plane.speed) / mp_rate(ref.radius, ref.speed) - 1
    assert float(abs((mp.mpf(res.net) - 36_000 * net) / (36_000 * net))) <= 1e-12
    grav = mp_rate(plane.radius, 0) / mp_rate(below.radius, 0) - 1
    assert res.gravitational == pytest.approx(float(36_000 * grav), rel=1e-12)
    # the sea-level part on the monopole alone is not small (see the next test)
    sea = mp_rate(below.radius, below.speed) / mp_rate(ref.radius, ref.speed) - 1
    assert res.sea_level == pytest.approx(float(36_000 * sea), rel=1e-10)


def test_weak_field_forms_of_the_two_parts() -> None:
    # Hafele & Keating's first-order forms: g h / c^2 and -(2 v_rot v + v^2) / (2 c^2)
    lat, h, v, t = 40.0, 9_000.0, 250.0, 3600.0
    res = flight_offsets([FlightSegment(t, lat, h, v)], include_j2=False)
    below = surface_clock(EARTH, lat)
    g = EARTH.gm / below.radius**2
    assert res.gravitational / t == pytest.approx(g * h / C**2, rel=3e-3)  # g falls with h
    v_rot = below.rotation_speed
    assert res.kinematic / t == pytest.approx(-(2 * v_rot * v + v * v) / (2 * C**2), rel=1e-8)


def test_sea_level_is_nearly_the_geoid_with_j2() -> None:
    stops = [FlightSegment(86_400.0, lat, label="stop") for lat in (0.0, 20.0, 60.0, 89.0)]
    with_j2 = flight_offsets(stops)
    mono = flight_offsets(stops, include_j2=False)
    assert max(abs(s.fractional) for s in with_j2.segments) < 3e-14
    assert max(abs(s.fractional) for s in mono.segments) > 3e-13
    assert with_j2.gravitational == 0.0 and with_j2.kinematic == 0.0


def test_west_at_rotation_speed_is_at_rest() -> None:
    v_rot = surface_clock(EARTH, 0.0).rotation_speed
    res = flight_offsets([FlightSegment(1000.0, 0.0, 0.0, -v_rot)], reference_latitude_deg=0.0)
    assert res.segments[0].speed == 0.0
    # the ground clock moves at v_rot; the "flying" one is at rest: gains v_rot^2 / 2c^2
    assert res.kinematic / 1000.0 == pytest.approx(v_rot**2 / (2 * C**2), rel=1e-9)


def test_curve_accumulates_to_the_total() -> None:
    res = hafele_keating("west")
    assert len(res.curve_hours) == len(res.segments) + 1
    assert res.curve_hours[-1] == pytest.approx(res.duration / 3600.0)
    assert res.curve_ns[-1] == pytest.approx(res.net_ns, rel=1e-15)
    assert res.net == pytest.approx(res.gravitational + res.kinematic + res.sea_level, rel=1e-6)


@pytest.mark.parametrize("direction", ["east", "west"])
def test_illustrative_trips_within_published_predictions(direction: str) -> None:
    res = hafele_keating(direction)
    pub = HAFELE_KEATING_PUBLISHED[direction]
    for ours, key in (
        (res.gravitational_ns, "predicted_gravitational_ns"),
        (res.kinematic_ns, "predicted_kinematic_ns"),
        (res.net_ns, "predicted_net_ns"),
    ):
        value, sigma = pub[key]
        assert abs(ours - value) <= sigma, (direction, key, ours)
    # the direction dependence that made the experiment famous: east loses, west gains
    assert (res.net_ns < 0) == (direction == "east")


def test_published_values_as_cited() -> None:
    assert HAFELE_KEATING_PUBLISHED["east"]["predicted_net_ns"] == (-40.0, 23.0)
    assert HAFELE_KEATING_PUBLISHED["west"]["predicted_net_ns"] == (275.0, 21.0)
    assert HAFELE_KEATING_PUBLISHED["east"]["measured_net_ns"] == (-59.0, 10.0)
    assert HAFELE_KEATING_PUBLISHED["west"]["measured_net_ns"] == (273.0, 7.0)


def test_errors() -> None:
    with pytest.raises(RelativityDomainError, match="at least one segment"):
        flight_offsets([])
    with pytest.raises(RelativityDomainError, match=r"\[-90, 90\]"):
        FlightSegment(10.0, 95.0)
    with pytest.raises(RelativityDomainError, match="duration >= 0"):
        FlightSegment(-1.0, 0.0)
    with pytest.raises(RelativityDomainError, match="'east' or 'west'"):
        hafele_keating("north")
    with pytest.raises(RelativityDomainError, match="must be a FlightSegment"):
        flight_offsets([(1.0, 2.0)])  # type: ignore[list-item]
    with pytest.raises(RelativityDomainError, match="finite"):
        FlightSegment(10.0, 0.0, math.nan)
