"""Relativity calculators: special relativity, Schwarzschild fields, GPS clocks, twins.

All functions take SI floats, are pure Python (``math`` only, so they run in Pyodide) and
reject inputs outside the physical domain with
:class:`~qtcore.errors.RelativityDomainError` instead of clamping. Quantities that are tiny
differences of numbers near 1 (gamma - 1 at walking speed, 1 - sqrt(1 - r_s/r) on Earth)
are computed without cancellation to ~1e-15 relative.

Example:
    >>> from qtcore.relativity import gps_clock_offsets
    >>> round(gps_clock_offsets().net_us_per_day, 1)
    38.5
"""

from __future__ import annotations

from qtcore.relativity._classic import (
    CLASSIC_TESTS,
    ClassicTest,
    gravity_probe_a,
    gravity_probe_b,
    light_deflection,
    perihelion_advance,
    shapiro_delay,
)
from qtcore.relativity._clocks import (
    ClockComparison,
    SurfaceClock,
    clock_comparison,
    clock_rate,
    clock_rate_deficit,
    surface_clock,
)
from qtcore.relativity._constants import (
    ASTRONOMICAL_UNIT,
    BODIES,
    EARTH,
    GRAVITATIONAL_CONSTANT,
    JULIAN_YEAR,
    JUPITER,
    MOON,
    NEUTRON_STAR,
    SECONDS_PER_DAY,
    SIRIUS_B,
    SPEED_OF_LIGHT,
    STANDARD_GRAVITY,
    SUN,
    Body,
)
from qtcore.relativity._flights import (
    HAFELE_KEATING_EAST,
    HAFELE_KEATING_PUBLISHED,
    HAFELE_KEATING_WEST,
    FlightResult,
    FlightSegment,
    SegmentOffset,
    flight_offsets,
    hafele_keating,
)
from qtcore.relativity._general import (
    GravitationalRedshift,
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
from qtcore.relativity._gps import GPS_ORBIT_RADIUS, GpsClockOffsets, gps_clock_offsets
from qtcore.relativity._kepler import GALILEO_ECCENTRIC, KeplerOrbitClock, kepler_orbit_clock
from qtcore.relativity._special import (
    Kinematics,
    dilated_duration,
    doppler_factor,
    gamma_minus_one,
    kinematics,
    kinetic_energy,
    length_contraction,
    longitudinal_doppler_factor,
    lorentz_factor,
    momentum,
    rapidity,
    speed_from_lorentz_factor,
    time_dilation,
    time_dilation_difference,
    total_energy,
    transverse_doppler_factor,
    velocity_addition,
    velocity_from_rapidity,
)
from qtcore.relativity._trajectory import (
    Accelerate,
    Coast,
    SegmentResult,
    TrajectoryResult,
    proper_time_along,
)

__all__ = [
    "ASTRONOMICAL_UNIT",
    "BODIES",
    "CLASSIC_TESTS",
    "EARTH",
    "GALILEO_ECCENTRIC",
    "GPS_ORBIT_RADIUS",
    "GRAVITATIONAL_CONSTANT",
    "HAFELE_KEATING_EAST",
    "HAFELE_KEATING_PUBLISHED",
    "HAFELE_KEATING_WEST",
    "JULIAN_YEAR",
    "JUPITER",
    "MOON",
    "NEUTRON_STAR",
    "SECONDS_PER_DAY",
    "SIRIUS_B",
    "SPEED_OF_LIGHT",
    "STANDARD_GRAVITY",
    "SUN",
    "Accelerate",
    "Body",
    "ClassicTest",
    "ClockComparison",
    "Coast",
    "FlightResult",
    "FlightSegment",
    "GpsClockOffsets",
    "GravitationalRedshift",
    "KeplerOrbitClock",
    "Kinematics",
    "SegmentOffset",
    "SegmentResult",
    "SurfaceClock",
    "TrajectoryResult",
    "circular_orbit_speed",
    "circular_orbit_time_dilation_deficit",
    "circular_orbit_time_dilation_factor",
    "clock_comparison",
    "clock_rate",
    "clock_rate_deficit",
    "dilated_duration",
    "doppler_factor",
    "flight_offsets",
    "gamma_minus_one",
    "gps_clock_offsets",
    "gravitational_redshift",
    "gravity_probe_a",
    "gravity_probe_b",
    "hafele_keating",
    "kepler_orbit_clock",
    "kinematics",
    "kinetic_energy",
    "length_contraction",
    "light_deflection",
    "longitudinal_doppler_factor",
    "lorentz_factor",
    "momentum",
    "perihelion_advance",
    "photon_sphere_radius",
    "proper_time_along",
    "rapidity",
    "schwarzschild_radius",
    "shapiro_delay",
    "speed_from_lorentz_factor",
    "static_time_dilation_deficit",
    "static_time_dilation_factor",
    "surface_clock",
    "time_dilation",
    "time_dilation_difference",
    "total_energy",
    "transverse_doppler_factor",
    "velocity_addition",
    "velocity_from_rapidity",
    "weak_field_time_dilation_deficit",
]
