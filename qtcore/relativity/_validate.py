"""Input checks shared by the relativity calculators.

Every check raises :class:`~qtcore.errors.RelativityDomainError` naming the argument, the
value and what is allowed; nothing is clamped.
"""

from __future__ import annotations

import math

from qtcore.errors import RelativityDomainError
from qtcore.relativity._constants import SPEED_OF_LIGHT

__all__ = [
    "check_duration",
    "check_finite",
    "check_positive",
    "check_speed",
    "check_velocity",
]

_C = SPEED_OF_LIGHT


def check_finite(name: str, value: object) -> float:
    """Returns ``value`` as a float after checking it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RelativityDomainError(
            f"{name} must be a real number (int or float), got {type(value).__name__} {value!r}"
        )
    x = float(value)
    if not math.isfinite(x):
        raise RelativityDomainError(f"{name} must be finite, got {value!r}")
    return x


def check_positive(name: str, value: object, unit: str = "") -> float:
    """Returns ``value`` after checking it is finite and strictly positive."""
    x = check_finite(name, value)
    if x <= 0.0:
        raise RelativityDomainError(f"{name} must be > 0{unit}, got {x!r}{unit}")
    return x


def check_duration(name: str, value: object) -> float:
    """Returns a duration in s after checking it is finite and >= 0."""
    x = check_finite(name, value)
    if x < 0.0:
        raise RelativityDomainError(f"{name} must be a duration >= 0 s, got {x!r} s")
    return x


def check_speed(name: str, value: object) -> float:
    """Returns a speed in m/s after checking 0 <= v < c."""
    x = check_finite(name, value)
    if x < 0.0:
        raise RelativityDomainError(
            f"{name} is a speed and must satisfy 0 <= v < c = {_C:.0f} m/s, got {x!r} m/s "
            "(pass the magnitude; direction is given separately)"
        )
    if x >= _C:
        raise RelativityDomainError(
            f"{name} must be below the speed of light, 0 <= v < c = {_C:.0f} m/s, got {x!r} m/s"
        )
    return x


def check_velocity(name: str, value: object) -> float:
    """Returns a signed velocity in m/s after checking -c < v < c."""
    x = check_finite(name, value)
    if abs(x) >= _C:
        raise RelativityDomainError(f"{name} must satisfy -c < v < c = {_C:.0f} m/s, got {x!r} m/s")
    return x
