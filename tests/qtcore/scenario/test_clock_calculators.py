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


# IAU 2015 B3: Earth's nominal polar radius is 6356.8 km (IUGG mean radius 6371.0088 km). Below
# the polar radius a clock is inside the Earth, where the exterior (Schwarzschild) field
# the calculators use does not hold; they gave numbers there (an "orbit" 371 km from the
# centre at 32.8 km/s, a static clock 8.8 m from it).
@pytest.mark.parametrize(
    ("calculator", "fields", "field"),
    [
        ("static_clock", {"height": "-6371 km"}, "height"),
        ("static_clock", {"radius": "6300 km"}, "radius"),
        ("orbit", {"altitude": "-6000 km"}, "altitude"),
        ("orbit", {"radius": "1 m"}, "radius"),
        ("redshift", {"emitter_height": "-100 km"}, "emitter_height"),
        ("redshift", {"receiver_radius": "5000 km"}, "receiver_radius"),
        ("clock", {"height": "-6370 km"}, "height"),
        ("clock", {"latitude_deg": 90, "height": "-1 km"}, "height"),
        ("static_clock", {"body": "moon", "height": "-10 km"}, "height"),
    ],
)
def test_a_clock_inside_the_body_is_refused(
    calculator: str, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        calculate(calculator, fields, path="relativity")
    message = str(info.value)
    assert message.startswith(f"<input>: relativity.{field}: puts the clock "), message
    assert "inside it" in message and "exterior field" in message


def test_a_clock_on_the_surface_below_the_mean_radius_is_not() -> None:
    # the poles are 14.2 km below the mean radius: a clock there is on the surface
    polar = 6356.8e3
    static = calculate("static_clock", {"height": "-14 km"})
    assert static["radius"] == pytest.approx(6357.0088e3)
    assert calculate("static_clock", {"radius": f"{polar} m"})["radius"] == polar
    pole = calculate("clock", {"latitude_deg": 90})
    assert pole["radius"] == pytest.approx(polar, abs=1.0)
    assert calculate("orbit", {"altitude": "400 km"})["radius"] == pytest.approx(6771.0088e3)
