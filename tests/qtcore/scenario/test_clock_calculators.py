"""The ``clock`` and ``clock_offset`` calculators read their tables as scenario files do."""

from __future__ import annotations

import pytest

from qtcore.errors import ScenarioError
from qtcore.relativity import EARTH, clock_comparison, surface_clock
from qtcore.scenario import CALCULATORS, calculate


def test_registered() -> None:
    assert {"clock", "clock_offset"} <= set(CALCULATORS)


def test_clock_offset_of_a_plane_against_the_ground() -> None:
    out = calculate(
        "clock_offset",
        {
            "clock_a": {"latitude_deg": 40, "height": "9 km", "ground_speed_east": "800 km/h"},
            "clock_b": {"latitude_deg": 40},
            "proper_duration": "10 h",
        },
    )
    a = surface_clock(EARTH, 40.0, 9000.0, 800 / 3.6)
    b = surface_clock(EARTH, 40.0)
    ref = clock_comparison(EARTH, a.radius, a.speed, b.radius, b.speed, proper_duration=36000.0)
    assert out["offset"] == ref.offset
    assert out["gravitational_offset"] > 0 > out["kinematic_offset"]


def test_clock_fields_are_checked_by_name() -> None:
    with pytest.raises(ScenarioError, match=r"relativity\.radius: not with latitude_deg"):
        calculate("clock", {"latitude_deg": 10, "radius": "7000 km"}, path="relativity")
    with pytest.raises(ScenarioError, match="ground_speed_east: needs latitude_deg"):
        calculate("clock", {"ground_speed_east": 3})
    with pytest.raises(ScenarioError, match="clock_b: missing"):
        calculate("clock_offset", {"clock_a": {}, "proper_duration": 1})
    with pytest.raises(ScenarioError, match="unknown field"):
        calculate("clock_offset", {"clock_a": {"hight": 1}, "clock_b": {}, "proper_duration": 1})
    with pytest.raises(ScenarioError, match="exactly one"):
        calculate("clock_offset", {"clock_a": {}, "clock_b": {}})
    with pytest.raises(ScenarioError, match="duration: must be a duration"):
        calculate("clock", {"duration": "-1 s"})
