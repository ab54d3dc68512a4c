"""Sweep axes from a scenario's ``[sweep]`` table and from CLI ``name=start:stop:num[:log]``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qtcore.errors import ScenarioError
from qtcore.rng import derive_seed
from qtcore.scenario._fields import FieldReader
from qtcore.sweep import Axis

__all__ = ["SPACINGS", "build_axes", "parse_axis"]

SPACINGS = ("linspace", "logspace", "random", "values")


def _axis(source: str, spec: Any, path: str, seed: int) -> Axis:
    r = FieldReader(source, spec, path)
    name = r.string("param", required=True)
    assert name is not None
    given = [k for k in SPACINGS if r.has(k)]
    for k in SPACINGS:
        r.used.add(k)
    r.boolean("log")
    r.finish()
    if len(given) != 1:
        raise r.error("values", f"give exactly one of {', '.join(SPACINGS)}")
    spacing = given[0]
    raw = spec[spacing]
    try:
        if spacing == "values":
            if not isinstance(raw, list):
                raise ValueError("values must be a list of numbers")
            return Axis.grid(name, raw)
        if not isinstance(raw, list) or len(raw) != 3:
            raise ValueError(f"{spacing} must be [start, stop, num], got {raw!r}")
        a, b, n = raw
        if spacing == "linspace":
            return Axis.linspace(name, a, b, n)
        if spacing == "logspace":
            return Axis.logspace(name, a, b, n)
        return Axis.random(name, a, b, n, seed=seed, log=bool(spec.get("log", False)))
    except ValueError as e:
        raise r.error(spacing, str(e)) from None


def build_axes(data: Mapping[str, Any], source: str) -> list[Axis]:
    """The axes of ``data['sweep']['axes']`` (random axes seeded from the scenario seed)."""
    axes = data["sweep"].get("axes")
    if not isinstance(axes, list) or not axes:
        raise ScenarioError(f"{source}: sweep.axes: must be a non-empty list of axis tables")
    seed = int(data.get("seed", 0))
    return [_axis(source, spec, f"sweep.axes[{i}]", seed) for i, spec in enumerate(axes)]


def parse_axis(text: str, *, seed: int = 0) -> Axis:
    """Parses ``name=start:stop:num[:log]`` or ``name=v1,v2,...`` (CLI ``--param``).

    ``:log`` gives geometric spacing; ``:random`` a seeded uniform sample.

    Raises:
        ScenarioError: for malformed text.
    """
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name or not rest:
        raise ScenarioError(
            f"--param {text!r}: expected name=start:stop:num[:log] or name=v1,v2,..."
        )
    try:
        if ":" not in rest:
            return Axis.grid(name, [float(v) for v in rest.split(",")])
        parts = rest.split(":")
        mode = "linspace"
        if len(parts) == 4:
            mode = parts.pop().strip()
            if mode not in ("log", "lin", "random"):
                raise ValueError(f"the fourth part must be 'log', 'lin' or 'random', got {mode!r}")
        if len(parts) != 3:
            raise ValueError("expected start:stop:num")
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
        if mode == "log":
            return Axis.logspace(name, a, b, n)
        if mode == "random":
            return Axis.random(name, a, b, n, seed=derive_seed(seed, "cli", name))
        return Axis.linspace(name, a, b, n)
    except ValueError as e:
        raise ScenarioError(f"--param {text!r}: {e}") from None
