"""Parse quantities typed by people (CLI, scenario files) into SI floats.

``parse_quantity("7.66 km/s", dimension="velocity")`` returns ``7660.0``. A quantity is a
decimal number (optionally signed, with an exponent) followed by a unit, with or without a
space: ``0.9c``, ``20200 km``, ``1 day``, ``9.81 m/s^2``. Units are case-sensitive
(``ms`` is a millisecond). Every unit and its factor is listed in :data:`UNITS`:

=============  ===============================================================
dimension      units
=============  ===============================================================
velocity       m/s, km/s, km/h, c (speed of light, exact)
length         m, mm, cm, km, AU/au (IAU 2012, exact), ly (c x Julian year),
               pc (IAU 2015 B2: 648000/pi AU)
time           s, ms, us/µs/μs, ns, ps, min, h, d/day/days, yr/year/years (Julian,
               365.25 d)
acceleration   m/s^2 (also m/s², m/s**2), g (standard gravity 9.80665, exact)
mass           kg, g
frequency      Hz, kHz, MHz, GHz, THz
angle          rad, deg
=============  ===============================================================

``g`` is a gram for ``dimension="mass"`` and standard gravity for
``dimension="acceleration"``; without a dimension it is rejected as ambiguous.
"""

from __future__ import annotations

import math
import re

from qtcore.errors import UnitError

__all__ = ["DIMENSIONS", "UNITS", "parse_quantity", "to_si"]

_C = 299_792_458.0
_AU = 149_597_870_700.0
_DAY = 86_400.0
_JULIAN_YEAR = 365.25 * _DAY

# Each unit maps to (numerator, denominator): SI value = number * numerator / denominator.
# Dividing by 1e3, 1e6, ... (instead of multiplying by 1e-3, ...) keeps "5 us" == 5e-6 exactly.
_RATIOS: dict[str, dict[str, tuple[float, float]]] = {
    "velocity": {"m/s": (1.0, 1.0), "km/s": (1e3, 1.0), "km/h": (1e3, 3600.0), "c": (_C, 1.0)},
    "length": {
        "m": (1.0, 1.0),
        "mm": (1.0, 1e3),
        "cm": (1.0, 1e2),
        "km": (1e3, 1.0),
        "AU": (_AU, 1.0),
        "au": (_AU, 1.0),
        "ly": (_C * _JULIAN_YEAR, 1.0),
        "pc": (_AU * 648_000.0, math.pi),
    },
    "time": {
        "s": (1.0, 1.0),
        "ms": (1.0, 1e3),
        "us": (1.0, 1e6),
        "\u00b5s": (1.0, 1e6),  # micro sign
        "\u03bcs": (1.0, 1e6),  # Greek mu
        "ns": (1.0, 1e9),
        "ps": (1.0, 1e12),
        "min": (60.0, 1.0),
        "h": (3600.0, 1.0),
        "d": (_DAY, 1.0),
        "day": (_DAY, 1.0),
        "days": (_DAY, 1.0),
        "yr": (_JULIAN_YEAR, 1.0),
        "year": (_JULIAN_YEAR, 1.0),
        "years": (_JULIAN_YEAR, 1.0),
    },
    "acceleration": {
        "m/s^2": (1.0, 1.0),
        "m/s\u00b2": (1.0, 1.0),
        "m/s**2": (1.0, 1.0),
        "g": (9.806_65, 1.0),
    },
    "mass": {"kg": (1.0, 1.0), "g": (1.0, 1e3)},
    "frequency": {
        "Hz": (1.0, 1.0),
        "kHz": (1e3, 1.0),
        "MHz": (1e6, 1.0),
        "GHz": (1e9, 1.0),
        "THz": (1e12, 1.0),
    },
    "angle": {"rad": (1.0, 1.0), "deg": (math.pi, 180.0)},
}

UNITS: dict[str, dict[str, float]] = {
    dim: {unit: num / den for unit, (num, den) in table.items()} for dim, table in _RATIOS.items()
}
"""Dimension -> unit symbol -> factor to the SI unit."""

DIMENSIONS: tuple[str, ...] = tuple(sorted(UNITS))
"""The dimension names :func:`parse_quantity` accepts."""

_NUMBER = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*\Z", re.S)
_OPERATOR_SPACES = re.compile(r"\s*([/^*])\s*")


_EXAMPLES = {
    "velocity": "'0.9c' or '7.66 km/s'",
    "length": "'20200 km' or '1 AU'",
    "time": "'1 day' or '3600 s'",
    "acceleration": "'9.81 m/s^2' or '1 g'",
    "mass": "'5.972e24 kg'",
    "frequency": "'9.19 GHz'",
    "angle": "'45 deg'",
}


def _allowed(dimension: str) -> str:
    return ", ".join(UNITS[dimension])


def parse_quantity(text: str, dimension: str | None = None) -> float:
    """Parses ``"<number> <unit>"`` into a float in SI units.

    Args:
        text: for example ``"7.66 km/s"``, ``"0.9c"``, ``"1e-3 s"``, ``"1 AU"``.
        dimension: one of :data:`DIMENSIONS`; the unit must belong to it. ``None`` infers
            the dimension from the unit (and rejects ambiguous units such as ``g``).

    Returns:
        the value in SI units (m/s, m, s, m/s^2, kg, Hz, rad).

    Raises:
        UnitError: when the text is not a number followed by a known unit of the requested
            dimension, or the number is not finite. The message repeats the text and lists
            the allowed units.
    """
    if not isinstance(text, str):
        raise UnitError(f"a quantity must be a string like '7.66 km/s', got {text!r}")
    if dimension is not None and dimension not in UNITS:
        raise UnitError(
            f"unknown dimension {dimension!r} for {text!r}; allowed: {', '.join(DIMENSIONS)}"
        )
    if not text.strip():
        what = f"a {dimension}" if dimension else "a quantity"
        example = _EXAMPLES.get(dimension or "", "'7.66 km/s'")
        raise UnitError(f"the text is empty: give {what} with a unit, such as {example}")
    match = _NUMBER.match(text)
    if match is None:
        wanted = f"{dimension} " if dimension else ""
        raise UnitError(
            f"cannot parse {text!r}: expected a number followed by a {wanted}unit, "
            "such as '7.66 km/s' or '0.9c'"
        )
    number, unit = match.group(1), _OPERATOR_SPACES.sub(r"\1", match.group(2))
    value = float(number)
    if not math.isfinite(value):
        raise UnitError(f"{text!r}: the number {number!r} is not finite")
    if not unit:
        hint = f"allowed {dimension} units: {_allowed(dimension)}" if dimension else ""
        raise UnitError(f"{text!r} has no unit; {hint or 'add one, e.g. m, s, km/s, c'}")
    if dimension is not None:
        ratio = _RATIOS[dimension].get(unit)
        if ratio is None:
            other = [d for d in DIMENSIONS if unit in UNITS[d]]
            what = f"is a unit of {other[0]}, not {dimension}" if other else "is not known"
            raise UnitError(
                f"unit {unit!r} in {text!r} {what}; allowed {dimension} units: "
                f"{_allowed(dimension)}"
            )
    else:
        found = [d for d in DIMENSIONS if unit in UNITS[d]]
        if not found:
            raise UnitError(
                f"unknown unit {unit!r} in {text!r}; allowed units: "
                + "; ".join(f"{d}: {_allowed(d)}" for d in DIMENSIONS)
            )
        if len(found) > 1:
            raise UnitError(
                f"unit {unit!r} in {text!r} is ambiguous ({' or '.join(found)}); "
                "pass dimension= to choose"
            )
        ratio = _RATIOS[found[0]][unit]
    result = value * ratio[0] / ratio[1]
    if not math.isfinite(result):
        raise UnitError(f"{text!r} overflows a double in SI units")
    return result


def to_si(value: float | str, dimension: str) -> float:
    """Returns a number unchanged (taken as SI) or parses a string with a unit.

    Scenario files may give either ``7660`` (SI) or ``"7.66 km/s"``.

    Args:
        value: an int/float in SI units, or a quantity string.
        dimension: one of :data:`DIMENSIONS`.

    Raises:
        UnitError: for booleans, non-finite numbers, other types, or bad strings.
    """
    if dimension not in UNITS:
        raise UnitError(f"unknown dimension {dimension!r}; allowed: {', '.join(DIMENSIONS)}")
    if isinstance(value, str):
        return parse_quantity(value, dimension)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitError(
            f"a {dimension} must be a number (SI) or a string with a unit, got {value!r}"
        )
    x = float(value)
    if not math.isfinite(x):
        raise UnitError(f"a {dimension} must be finite, got {value!r}")
    return x
