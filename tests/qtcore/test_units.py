"""parse_quantity / to_si: the accepted spellings, exact factors and the errors."""

from __future__ import annotations

import math

import pytest

from qtcore.errors import UnitError
from qtcore.units import DIMENSIONS, UNITS, parse_quantity, to_si

C = 299_792_458.0


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("0.9c", "velocity", 0.9 * C),
        ("0.9 c", "velocity", 0.9 * C),
        ("7.66 km/s", "velocity", 7660.0),
        ("7.66 km / s", "velocity", 7660.0),
        ("72 km/h", "velocity", 20.0),
        ("-3 m/s", "velocity", -3.0),
        ("20200 km", "length", 20_200_000.0),
        ("1 AU", "length", 149_597_870_700.0),  # IAU 2012 B2, exact
        ("1 au", "length", 149_597_870_700.0),
        ("1 pc", "length", 149_597_870_700.0 * 648_000 / math.pi),
        ("1 ly", "length", C * 365.25 * 86_400),
        ("2.5 mm", "length", 2.5e-3),
        ("1 day", "time", 86_400.0),
        ("2 days", "time", 172_800.0),
        ("3 h", "time", 10_800.0),
        ("1e-3 s", "time", 1e-3),
        ("1E3s", "time", 1e3),
        ("90 min", "time", 5400.0),
        ("1 yr", "time", 31_557_600.0),  # Julian year
        ("5 ns", "time", 5e-9),
        ("5 us", "time", 5e-6),
        ("5 \u00b5s", "time", 5e-6),  # micro sign
        ("5 \u03bcs", "time", 5e-6),  # Greek mu
        ("5 ms", "time", 5e-3),
        (".5 s", "time", 0.5),
        ("9.81 m/s^2", "acceleration", 9.81),
        ("9.81 m/s²", "acceleration", 9.81),
        ("1 g", "acceleration", 9.80665),
        ("5.97e24 kg", "mass", 5.97e24),
        ("1 g", "mass", 1e-3),
        ("10 MHz", "frequency", 1e7),
        ("429.228 THz", "frequency", 429.228e12),
        ("90 deg", "angle", math.pi / 2),
    ],
)
def test_parse_quantity_accepts(text: str, dimension: str, expected: float) -> None:
    assert parse_quantity(text, dimension=dimension) == pytest.approx(expected, rel=1e-15)


def test_decimal_prefixes_are_correctly_rounded() -> None:
    # 5 us is the double nearest 5e-6 (dividing by 1e6, not multiplying by 1e-6).
    assert parse_quantity("5 us") == 5e-6
    assert parse_quantity("3 ms") == 0.003
    assert parse_quantity("0.3 ns") == 0.3e-9


def test_dimension_is_inferred_when_unique() -> None:
    assert parse_quantity("20200 km") == 20_200_000.0
    assert parse_quantity("0.5c") == 0.5 * C
    assert parse_quantity("1 day") == 86_400.0


@pytest.mark.parametrize(
    ("text", "dimension", "fragments"),
    [
        ("3 furlong", "length", ["'3 furlong'", "furlong", "km", "AU"]),
        ("3 furlong", None, ["unknown unit 'furlong'", "velocity:"]),
        ("20200 km", "velocity", ["'20200 km'", "unit of length, not velocity", "km/s"]),
        ("1 day", "length", ["unit of time", "allowed length units"]),
        ("1 g", None, ["ambiguous", "dimension="]),
        ("20200", "length", ["no unit", "km"]),
        ("km", "length", ["cannot parse 'km'"]),
        ("", "time", ["the text is empty", "such as '1 day'"]),
        ("nan km", "length", ["cannot parse"]),
        ("1e999 km", "length", ["not finite"]),
        ("1e308 AU", "length", ["overflows"]),
        ("1 m s", None, ["unknown unit 'm s'"]),
        ("1 s", "speed", ["unknown dimension 'speed'", "velocity"]),
        ("1 KM", "length", ["'KM'"]),
    ],
)
def test_parse_quantity_rejects(text: str, dimension: str | None, fragments: list[str]) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dimension=dimension)
    assert isinstance(info.value, ValueError)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_parse_quantity_rejects_non_strings() -> None:
    with pytest.raises(UnitError, match="must be a string"):
        parse_quantity(3.0)  # type: ignore[arg-type]


def test_to_si_passes_numbers_and_parses_strings() -> None:
    assert to_si(7660, "velocity") == 7660.0
    assert to_si("7.66 km/s", "velocity") == 7660.0
    for bad in (True, float("inf"), None, [1.0]):
        with pytest.raises(UnitError):
            to_si(bad, "velocity")  # type: ignore[arg-type]
    with pytest.raises(UnitError, match="unknown dimension"):
        to_si(1.0, "speed")


def test_unit_table_is_consistent() -> None:
    assert tuple(sorted(UNITS)) == DIMENSIONS
    for dimension, table in UNITS.items():
        for unit, factor in table.items():
            assert factor > 0 and math.isfinite(factor)
            assert parse_quantity(f"1 {unit}", dimension) == pytest.approx(factor, rel=1e-15)
