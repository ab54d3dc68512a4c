"""Reading typed fields out of scenario tables, with errors that name file and field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from qtcore.errors import RelativityDomainError, ScenarioError, UnitError
from qtcore.relativity import BODIES, Body
from qtcore.units import to_si

__all__ = ["FieldReader"]


class FieldReader:
    """Reads fields of one table; every error names ``source`` and the field path.

    Args:
        source: the file name (or ``"<string>"``).
        table: the mapping to read.
        path: dotted path of the table inside the scenario (``"relativity"``).
    """

    def __init__(self, source: str, table: Mapping[str, Any], path: str) -> None:
        if not isinstance(table, Mapping):
            raise ScenarioError(f"{source}: {path}: must be a table, got {table!r}")
        self.source = source
        self.table = table
        self.path = path
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        """``"file: path.key"``."""
        return f"{self.source}: {self.path}.{key}" if self.path else f"{self.source}: {key}"

    def error(self, key: str, problem: str) -> ScenarioError:
        """A :class:`ScenarioError` for field ``key``."""
        return ScenarioError(f"{self.where(key)}: {problem}")

    def outside(self, key: str, body: Body, radius: float) -> float:
        """``radius``, refused (naming field ``key``, the height, altitude or radius that
        gave it) when it is inside ``body``: :meth:`~qtcore.relativity.Body.check_outside`."""
        try:
            return body.check_outside(radius)
        except RelativityDomainError as e:
            raise self.error(key, str(e)) from None

    def has(self, key: str) -> bool:
        """True when the field is present."""
        return key in self.table

    def raw(self, key: str, default: Any = None) -> Any:
        """The unconverted value."""
        self.used.add(key)
        return self.table.get(key, default)

    def quantity(self, key: str, dimension: str, *, required: bool = False) -> float | None:
        """A number (SI) or a quantity string such as ``"20200 km"``."""
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.error(key, f"missing (a {dimension}, e.g. a number in SI units)")
            return None
        try:
            return to_si(self.table[key], dimension)
        except UnitError as e:
            raise self.error(key, str(e)) from None

    def number(
        self, key: str, *, required: bool = False, default: float | None = None
    ) -> float | None:
        """A plain finite number."""
        self.used.add(key)
        if key not in self.table:
            if required:
                raise self.error(key, "missing (a number)")
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise self.error(key, f"must be a finite number, got {v!r}")
        return float(v)

    def integer(self, key: str, *, default: int, minimum: int = 0) -> int:
        """An integer >= ``minimum``."""
        self.used.add(key)
        v = self.table.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.error(key, f"must be an integer >= {minimum}, got {v!r}")
        return v

    def string(self, key: str, *, required: bool = False, choices: Any = None) -> str | None:
        """A string (optionally one of ``choices``)."""
        self.used.add(key)
        if key not in self.table:
            if required:
                allowed = f"; one of {sorted(choices)}" if choices else ""
                raise self.error(key, f"missing (a string{allowed})")
            return None
        v = self.table[key]
        if not isinstance(v, str):
            raise self.error(key, f"must be a string, got {v!r}")
        if choices is not None and v not in choices:
            raise self.error(key, f"unknown value {v!r}; allowed: {', '.join(sorted(choices))}")
        return v

    def boolean(self, key: str, default: bool = False) -> bool:
        """A boolean."""
        self.used.add(key)
        v = self.table.get(key, default)
        if not isinstance(v, bool):
            raise self.error(key, f"must be true or false, got {v!r}")
        return v

    def body(self, key: str = "body") -> Body:
        """A preset name (``"earth"``) or a table ``{name, gm | mass, radius}``."""
        self.used.add(key)
        v = self.table.get(key, "earth")
        if isinstance(v, str):
            body = BODIES.get(v.lower())
            if body is None:
                raise self.error(key, f"unknown body {v!r}; presets: {', '.join(sorted(BODIES))}")
            return body
        sub = FieldReader(self.source, v, f"{self.path}.{key}" if self.path else key)
        name = sub.string("name") or "custom body"
        radius = sub.quantity("radius", "length", required=True)
        assert radius is not None
        try:
            if sub.has("gm"):
                gm = sub.number("gm", required=True)
                assert gm is not None
                body = Body(name=name, gm=gm, radius=radius)
            else:
                mass = sub.quantity("mass", "mass", required=True)
                assert mass is not None
                body = Body.from_mass(name, mass, radius)
        except RelativityDomainError as e:
            raise self.error(key, str(e)) from None
        sub.finish()
        return body

    def finish(self, extra_allowed: Any = ()) -> None:
        """Rejects fields nobody read (typos), listing the allowed ones."""
        unknown = set(self.table) - self.used - set(extra_allowed)
        if unknown:
            allowed = sorted(self.used | set(extra_allowed))
            key = sorted(unknown)[0]
            raise self.error(key, f"unknown field; allowed here: {', '.join(allowed)}")
