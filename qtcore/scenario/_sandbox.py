"""Building sandbox experiments from a scenario's ``[sandbox]`` table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qtcore.errors import RelativityDomainError, ScenarioError
from qtcore.relativity import HAFELE_KEATING_EAST, HAFELE_KEATING_WEST
from qtcore.sandbox import (
    ClockExperiment,
    Flight,
    Ground,
    Inertial,
    Moving,
    Orbit,
    Static,
    Trajectory,
    Worldline,
    clock_interferometer,
    entangled_clocks,
    ramsey_comparison,
)
from qtcore.scenario._calculators import _segments
from qtcore.scenario._clock_calculators import _flight_segments
from qtcore.scenario._fields import FieldReader

__all__ = ["EXPERIMENTS", "WORLDLINES", "build_experiment", "build_worldline"]

EXPERIMENTS = ("entangled", "interferometer", "ramsey")
WORLDLINES = ("flight", "ground", "inertial", "moving", "orbit", "static", "trajectory")
TRIPS = {"hafele_keating_east": HAFELE_KEATING_EAST, "hafele_keating_west": HAFELE_KEATING_WEST}


def build_worldline(source: str, spec: Any, path: str) -> Worldline:
    """A worldline from ``{kind = "static"|"orbit"|"moving"|"ground"|"flight"|..., ...}``.

    ``flight`` takes ``segments`` (as the ``flight`` calculator) or ``trip`` (one of
    :data:`TRIPS`).
    """
    r = FieldReader(source, spec, path)
    kind = r.string("kind", required=True, choices=WORLDLINES)
    try:
        if kind == "static":
            w: Worldline = Static(r.quantity("height", "length") or 0.0, r.body())
        elif kind == "orbit":
            alt = r.quantity("altitude", "length", required=True)
            assert alt is not None
            w = Orbit(alt, r.body())
        elif kind == "moving":
            w = Moving(
                r.quantity("height", "length") or 0.0,
                r.quantity("speed", "velocity") or 0.0,
                r.body(),
            )
        elif kind == "ground":
            lat = r.number("latitude_deg", required=True)
            assert lat is not None
            w = Ground(
                lat,
                r.quantity("height", "length") or 0.0,
                r.quantity("ground_speed_east", "velocity") or 0.0,
                r.quantity("ground_speed_north", "velocity") or 0.0,
                r.body(),
            )
        elif kind == "flight":
            if r.has("trip") == r.has("segments"):
                raise r.error("trip", "give exactly one of trip or segments")
            if r.has("trip"):
                trip = r.string("trip", choices=TRIPS)
                assert trip is not None
                r.used.add("segments")
                w = Flight(TRIPS[trip], r.body())
            else:
                r.used.add("trip")
                w = Flight(_flight_segments(r), r.body())
        elif kind == "inertial":
            w = Inertial(r.quantity("speed", "velocity") or 0.0)
        else:
            segs = _segments(r)
            w = Trajectory(segs, r.quantity("initial_velocity", "velocity") or 0.0)
    except RelativityDomainError as e:
        raise ScenarioError(f"{source}: {path}: {e}") from None
    r.finish()
    return w


def build_experiment(data: Mapping[str, Any], source: str) -> ClockExperiment:
    """The :class:`~qtcore.sandbox.ClockExperiment` described by ``data['sandbox']``."""
    if "sandbox" not in data:
        raise ScenarioError(f"{source}: sandbox: missing table for a sandbox scenario")
    r = FieldReader(source, data["sandbox"], "sandbox")
    exp = r.string("experiment", required=True, choices=EXPERIMENTS)
    freq = r.quantity("frequency", "frequency", required=True)
    duration = r.quantity("duration", "time")
    a = build_worldline(source, r.raw("clock_a"), "sandbox.clock_a")
    b = build_worldline(source, r.raw("clock_b"), "sandbox.clock_b")
    t1 = r.quantity("t1", "time")
    t2 = r.quantity("t2", "time")
    phi0 = r.quantity("interferometer_phase", "angle")
    assert freq is not None
    if exp != "interferometer" and phi0 is not None:
        raise r.error("interferometer_phase", "only used by experiment = 'interferometer'")
    if exp == "interferometer" and (t1 is not None or t2 is not None):
        raise r.error("t1", "decoherence is modelled for 'ramsey' and 'entangled' only")
    r.finish()
    try:
        if exp == "ramsey":
            return ramsey_comparison(a, b, frequency=freq, duration=duration, t1=t1, t2=t2)
        if exp == "entangled":
            return entangled_clocks(a, b, frequency=freq, duration=duration, t1=t1, t2=t2)
        return clock_interferometer(
            a, b, frequency=freq, duration=duration, interferometer_phase=phi0 or 0.0
        )
    except RelativityDomainError as e:
        raise ScenarioError(f"{source}: sandbox: {e}") from None
