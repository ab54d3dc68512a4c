"""Physical constants and body presets, each with its source.

Constants:

* ``SPEED_OF_LIGHT`` -- exact by the definition of the metre (SI 1983; CODATA 2018).
* ``GRAVITATIONAL_CONSTANT`` -- CODATA 2018 recommended value, 6.674 30(15)e-11 m^3 kg^-1 s^-2.
* ``STANDARD_GRAVITY`` -- exact conventional value (3rd CGPM, 1901).
* ``ASTRONOMICAL_UNIT`` -- exact (IAU 2012 Resolution B2).
* ``JULIAN_YEAR`` -- 365.25 days of 86 400 s (IAU).

Bodies carry their *GM* (the gravitational parameter, known far better than *G* or the
mass separately) so the calculators never multiply by the 2e-5-uncertain *G* unless a user
gives a mass in kilograms. Sun, Earth and Jupiter use the IAU 2015 Resolution B3 nominal
values; the others cite their source in :attr:`Body.source`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qtcore.errors import RelativityDomainError

__all__ = [
    "ASTRONOMICAL_UNIT",
    "BODIES",
    "EARTH",
    "GRAVITATIONAL_CONSTANT",
    "JULIAN_YEAR",
    "JUPITER",
    "MOON",
    "NEUTRON_STAR",
    "SECONDS_PER_DAY",
    "SIRIUS_B",
    "SPEED_OF_LIGHT",
    "STANDARD_GRAVITY",
    "SUN",
    "Body",
]

SPEED_OF_LIGHT = 299_792_458.0
"""c in m/s, exact (SI definition of the metre; CODATA 2018)."""

GRAVITATIONAL_CONSTANT = 6.674_30e-11
"""G in m^3 kg^-1 s^-2, CODATA 2018 (relative standard uncertainty 2.2e-5)."""

STANDARD_GRAVITY = 9.806_65
"""Standard acceleration of gravity g_n in m/s^2, exact by convention (3rd CGPM, 1901)."""

ASTRONOMICAL_UNIT = 149_597_870_700.0
"""The astronomical unit in metres, exact (IAU 2012 Resolution B2)."""

SECONDS_PER_DAY = 86_400.0
"""One day of 86 400 SI seconds."""

JULIAN_YEAR = 365.25 * SECONDS_PER_DAY
"""The Julian year in seconds (365.25 days), the IAU's year unit."""


def _check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RelativityDomainError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or x <= 0.0:
        raise RelativityDomainError(f"{name} must be finite and > 0, got {value!r}")
    return x


@dataclass(frozen=True, slots=True)
class Body:
    """A spherical (optionally oblate and rotating) gravitating body.

    Attributes:
        name: display name.
        gm: gravitational parameter G*M in m^3/s^2.
        radius: mean (volumetric) radius in m, the default surface for calculators.
        equatorial_radius: equatorial radius in m (defaults to ``radius``).
        polar_radius: polar radius in m (defaults to ``radius``).
        angular_velocity: sidereal rotation rate in rad/s (0 for "not rotating").
        j2: dimensionless second zonal harmonic (0 when unknown or negligible).
        source: where the numbers come from.
    """

    name: str
    gm: float
    radius: float
    equatorial_radius: float = 0.0
    polar_radius: float = 0.0
    angular_velocity: float = 0.0
    j2: float = 0.0
    source: str = "user supplied"

    def __post_init__(self) -> None:
        _check_positive(f"{self.name}: gm", self.gm)
        _check_positive(f"{self.name}: radius", self.radius)
        if self.equatorial_radius == 0.0:
            object.__setattr__(self, "equatorial_radius", float(self.radius))
        if self.polar_radius == 0.0:
            object.__setattr__(self, "polar_radius", float(self.radius))
        _check_positive(f"{self.name}: equatorial_radius", self.equatorial_radius)
        _check_positive(f"{self.name}: polar_radius", self.polar_radius)
        if self.polar_radius > self.equatorial_radius:
            raise RelativityDomainError(
                f"{self.name}: polar_radius {self.polar_radius!r} m must not exceed "
                f"equatorial_radius {self.equatorial_radius!r} m"
            )
        for field, value in (("angular_velocity", self.angular_velocity), ("j2", self.j2)):
            if not math.isfinite(value) or value < 0.0:
                raise RelativityDomainError(
                    f"{self.name}: {field} must be finite and >= 0, got {value!r}"
                )
        schwarzschild = 2.0 * self.gm / SPEED_OF_LIGHT**2
        if self.polar_radius <= schwarzschild:
            raise RelativityDomainError(
                f"{self.name}: radius {self.polar_radius!r} m is inside its Schwarzschild "
                f"radius {schwarzschild!r} m; a body needs radius > 2GM/c^2"
            )

    @classmethod
    def from_mass(cls, name: str, mass: float, radius: float, **kwargs: Any) -> Body:
        """Builds a body from a mass in kg (uses CODATA 2018 G) and a radius in m.

        Args:
            name: display name.
            mass: mass in kg, > 0.
            radius: mean radius in m, > 2GM/c^2.
            **kwargs: other :class:`Body` fields (``angular_velocity``, ``source``, ...).
        """
        m = _check_positive(f"{name}: mass", mass)
        return cls(name=name, gm=GRAVITATIONAL_CONSTANT * m, radius=radius, **kwargs)

    def check_outside(self, radius: float, what: str = "") -> float:
        """``radius`` (m from the centre), refused below the polar radius, the lowest point
        of the surface: inside the body, where the exterior (Schwarzschild) field that
        qtcore's clocks use does not hold.

        Args:
            radius: distance from the centre in m.
            what: what gave the radius (``"Static.height -6000000.0 m"``), put before the
                message; without it the message starts "puts the clock ...".

        Raises:
            RelativityDomainError: the radius is inside the body (or NaN).
        """

        def length(m: float) -> str:
            return f"{m / 1e3:.6g} km" if abs(m) >= 1e4 else f"{m:.6g} m"

        if not radius >= self.polar_radius:  # also NaN
            where = (
                f"{length(radius)} from {self.name}'s centre"
                if radius >= 0.0
                else f"past {self.name}'s centre (r = {length(radius)})"
            )
            raise RelativityDomainError(
                f"{what + ' ' if what else ''}puts the clock {where}, inside it (its "
                f"polar radius is {length(self.polar_radius)}), where the exterior field "
                "these calculators use does not hold"
            )
        return radius

    @property
    def mass(self) -> float:
        """Mass in kg, GM / G (carries G's 2.2e-5 relative uncertainty)."""
        return self.gm / GRAVITATIONAL_CONSTANT

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the body's fields (plus ``mass``)."""
        return {
            "name": self.name,
            "gm": self.gm,
            "mass": self.mass,
            "radius": self.radius,
            "equatorial_radius": self.equatorial_radius,
            "polar_radius": self.polar_radius,
            "angular_velocity": self.angular_velocity,
            "j2": self.j2,
            "source": self.source,
        }


_IAU2015 = "IAU 2015 Resolution B3 nominal values"
_GM_SUN = 1.327_124_4e20

SUN = Body(
    name="Sun",
    gm=_GM_SUN,
    radius=6.957e8,
    angular_velocity=2.0 * math.pi / (25.38 * SECONDS_PER_DAY),
    source=f"GM and radius: {_IAU2015}; rotation: Carrington sidereal period 25.38 d",
)

EARTH = Body(
    name="Earth",
    gm=3.986_004e14,
    radius=6_371_008.8,
    equatorial_radius=6.378_1e6,
    polar_radius=6.356_8e6,
    angular_velocity=7.292_115e-5,
    j2=1.082_635_9e-3,
    source=(
        f"GM, equatorial and polar radii: {_IAU2015}; mean radius R1 = 6371.0088 km: "
        "IUGG (Moritz 2000, GRS 80); rotation 7.292115e-5 rad/s and J2 = 1.0826359e-3: "
        "IERS Conventions (2010)"
    ),
)

MOON = Body(
    name="Moon",
    gm=4.902_800_066e12,
    radius=1.737_4e6,
    angular_velocity=2.0 * math.pi / (27.321_661 * SECONDS_PER_DAY),
    source=(
        "GM: JPL DE430 (Folkner et al. 2014); mean radius 1737.4 km: IAU WGCCRE "
        "(Archinal et al. 2018); rotation: sidereal month 27.321661 d"
    ),
)

JUPITER = Body(
    name="Jupiter",
    gm=1.266_865_3e17,
    radius=6.991_1e7,
    equatorial_radius=7.149_2e7,
    polar_radius=6.685_4e7,
    angular_velocity=2.0 * math.pi / 35_729.71,
    j2=1.469_6e-2,
    source=(
        f"GM, equatorial and polar radii: {_IAU2015}; mean radius 69911 km: IAU WGCCRE "
        "(Archinal et al. 2011); rotation: System III period 9 h 55 m 29.71 s; "
        "J2 = 1.4696e-2 (Iess et al. 2018, Juno)"
    ),
)

SIRIUS_B = Body(
    name="Sirius B",
    gm=1.018 * _GM_SUN,
    radius=0.008_098 * 6.957e8,
    source=(
        "white dwarf; mass 1.018 M_sun: Bond et al. 2017, ApJ 840, 70; radius "
        "0.008098 R_sun: Joyce et al. 2018, MNRAS 481, 2361 (nominal solar values: IAU 2015 B3)"
    ),
)

NEUTRON_STAR = Body(
    name="Neutron star (1.4 M_sun, 12 km)",
    gm=1.4 * _GM_SUN,
    radius=12_000.0,
    source=(
        "illustrative canonical neutron star, not a specific object: 1.4 M_sun (nominal "
        "IAU 2015 B3 solar GM) and radius 12 km, typical of NICER results (2019-2021)"
    ),
)

BODIES: dict[str, Body] = {
    "earth": EARTH,
    "jupiter": JUPITER,
    "moon": MOON,
    "neutron_star": NEUTRON_STAR,
    "sirius_b": SIRIUS_B,
    "sun": SUN,
}
"""Presets by lower-case key, for CLIs and scenario files."""
