"""Relativity calculators by name, for scenario files (``kind = "relativity"``) and the CLI.

Each calculator reads its fields from a table (numbers in SI or quantity strings such as
``"0.9c"``, ``"20200 km"``, ``"1 day"``) and returns a flat, JSON-ready dictionary.

=================  ==========================================================  ============
calculator         fields                                                      returns
=================  ==========================================================  ============
``gamma``          ``speed`` or ``gamma``; optional ``mass``                   Kinematics
``dilation``       ``speed`` or ``gamma``; ``proper_duration`` or              durations
                   ``coordinate_duration``
``redshift``       ``body``; ``emitter_height``/``receiver_height`` (m above   redshift
                   the mean radius, default 0) or ``*_radius``
``static_clock``   ``body``; ``height`` (default 0) or ``radius``              rate, deficit
``orbit``          ``body``; ``altitude`` or ``radius``                        rate, speed
``gps``            ``altitude`` or ``orbit_radius`` (default GPS); ``body``;   GPS offsets
                   ``latitude_deg``; ``include_j2``
``trajectory``     ``segments`` (list of ``{kind = "coast"|"accelerate",       proper time
                   ...}``); ``initial_velocity``
``schwarzschild``  ``body``                                                    radii
=================  ==========================================================  ============

``redshift`` also takes ``receiver_at_infinity = true`` (instead of a receiver height or
radius) for the redshift to infinity. Clocks moving in a field (``clock``, ``clock_offset``)
are in :mod:`qtcore.scenario._clock_calculators`, the classic tests of general relativity
(``perihelion``, ``light_deflection``, ``shapiro_delay``, ``gravity_probe_a``,
``gravity_probe_b``) in :mod:`qtcore.scenario._classic_calculators`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from qtcore.errors import RelativityDomainError, ScenarioError
from qtcore.relativity import (
    SECONDS_PER_DAY,
    Accelerate,
    Body,
    Coast,
    circular_orbit_speed,
    circular_orbit_time_dilation_deficit,
    circular_orbit_time_dilation_factor,
    dilated_duration,
    gamma_minus_one,
    gps_clock_offsets,
    gravitational_redshift,
    kinematics,
    lorentz_factor,
    photon_sphere_radius,
    proper_time_along,
    schwarzschild_radius,
    speed_from_lorentz_factor,
    static_time_dilation_deficit,
    static_time_dilation_factor,
    time_dilation,
    time_dilation_difference,
    weak_field_time_dilation_deficit,
)
from qtcore.scenario._classic_calculators import CLASSIC_CALCULATORS
from qtcore.scenario._clock_calculators import CLOCK_CALCULATORS
from qtcore.scenario._fields import FieldReader

__all__ = ["CALCULATORS", "calculate"]


def _speed(r: FieldReader) -> float:
    has_speed, has_gamma = r.has("speed"), r.has("gamma")
    if has_speed == has_gamma:
        raise r.error("speed", "give exactly one of 'speed' (e.g. '0.9c') or 'gamma'")
    if has_speed:
        v = r.quantity("speed", "velocity", required=True)
        r.used.add("gamma")
        assert v is not None
        return v
    g = r.number("gamma", required=True)
    r.used.add("speed")
    assert g is not None
    return speed_from_lorentz_factor(g)


def _gamma(r: FieldReader) -> dict[str, Any]:
    v = _speed(r)
    mass = r.quantity("mass", "mass")
    return kinematics(v, mass).to_dict()


def _dilation(r: FieldReader) -> dict[str, Any]:
    v = _speed(r)
    tau = r.quantity("proper_duration", "time")
    t = r.quantity("coordinate_duration", "time")
    if (tau is None) == (t is None):
        raise r.error(
            "proper_duration", "give exactly one of proper_duration or coordinate_duration"
        )
    if tau is not None:
        t = dilated_duration(tau, v)
        lag = tau * gamma_minus_one(v)
    else:
        assert t is not None
        tau = time_dilation(t, v)
        lag = time_dilation_difference(t, v)
    return {
        "speed": v,
        "gamma": lorentz_factor(v),
        "proper_duration": tau,
        "coordinate_duration": t,
        "time_lag": lag,
    }


def _radius(r: FieldReader, prefix: str, body: Body, default_height: float | None) -> float:
    h_key, r_key = f"{prefix}height" if prefix else "height", f"{prefix}radius"
    if r.has(h_key) and r.has(r_key):
        raise r.error(h_key, f"give either {h_key} or {r_key}, not both")
    if r.has(r_key):
        r.used.add(h_key)
        value = r.quantity(r_key, "length", required=True)
        assert value is not None
        return r.outside(r_key, body, value)
    r.used.add(r_key)
    h = r.quantity(h_key, "length")
    if h is None:
        if default_height is None:
            raise r.error(h_key, f"missing: give {h_key} (above the mean radius) or {r_key}")
        h = default_height
    return r.outside(h_key, body, body.radius + h)


def _redshift(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    re = _radius(r, "emitter_", body, 0.0)
    if r.boolean("receiver_at_infinity"):
        for key in ("receiver_height", "receiver_radius"):
            if r.has(key):
                raise r.error(key, "not with receiver_at_infinity = true")
        r.used.update(("receiver_height", "receiver_radius"))
        rr = math.inf
    else:
        rr = _radius(r, "receiver_", body, 0.0)
    return {"body": body.name, **gravitational_redshift(body, re, rr).to_dict()}


def _static(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    radius = _radius(r, "", body, 0.0)
    deficit = static_time_dilation_deficit(body, radius)
    return {
        "body": body.name,
        "radius": radius,
        "rate": static_time_dilation_factor(body, radius),
        "deficit": deficit,
        "weak_field_deficit": weak_field_time_dilation_deficit(body, radius),
        "seconds_lost_per_day": deficit * SECONDS_PER_DAY,
    }


def _orbit(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    if r.has("altitude") and r.has("radius"):
        raise r.error("altitude", "give either altitude or radius, not both")
    if r.has("radius"):
        radius = r.quantity("radius", "length", required=True)
        r.used.add("altitude")
        assert radius is not None
        r.outside("radius", body, radius)
    else:
        alt = r.quantity("altitude", "length", required=True)
        r.used.add("radius")
        assert alt is not None
        radius = r.outside("altitude", body, body.radius + alt)
    deficit = circular_orbit_time_dilation_deficit(body, radius)
    return {
        "body": body.name,
        "radius": radius,
        "speed": circular_orbit_speed(body, radius),
        "rate": circular_orbit_time_dilation_factor(body, radius),
        "deficit": deficit,
        "seconds_lost_per_day": deficit * SECONDS_PER_DAY,
    }


def _gps(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    alt = r.quantity("altitude", "length")
    orbit_radius = r.quantity("orbit_radius", "length")
    lat = r.number("latitude_deg")
    include_j2 = r.boolean("include_j2")
    out = gps_clock_offsets(
        orbit_radius, altitude=alt, body=body, latitude_deg=lat, include_j2=include_j2
    )
    return out.to_dict()


def _segments(r: FieldReader) -> tuple[Coast | Accelerate, ...]:
    specs = r.raw("segments")
    if not isinstance(specs, list) or not specs:
        raise r.error("segments", "must be a non-empty list of segment tables")
    segs: list[Coast | Accelerate] = []
    for i, spec in enumerate(specs):
        s = FieldReader(r.source, spec, f"{r.path}.segments[{i}]")
        kind = s.string("kind", required=True, choices=("coast", "accelerate"))
        tau = s.quantity("proper_duration", "time")
        t = s.quantity("coordinate_duration", "time")
        try:
            if kind == "coast":
                v = s.quantity("velocity", "velocity")
                segs.append(Coast(coordinate_duration=t, proper_duration=tau, velocity=v))
            else:
                a = s.quantity("proper_acceleration", "acceleration", required=True)
                phi0 = s.number("initial_rapidity")
                assert a is not None
                segs.append(
                    Accelerate(a, proper_duration=tau, coordinate_duration=t, initial_rapidity=phi0)
                )
        except RelativityDomainError as e:
            raise s.error("kind", str(e)) from None
        s.finish()
    return tuple(segs)


def _trajectory(r: FieldReader) -> dict[str, Any]:
    segs = _segments(r)
    v0 = r.quantity("initial_velocity", "velocity") or 0.0
    return proper_time_along(segs, v0).to_dict()


def _schwarzschild(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    rs = schwarzschild_radius(body)
    return {
        "body": body.name,
        "gm": body.gm,
        "schwarzschild_radius": rs,
        "photon_sphere_radius": photon_sphere_radius(body),
        "radius": body.radius,
        "compactness": rs / body.radius,
    }


CALCULATORS: dict[str, Callable[[FieldReader], dict[str, Any]]] = {
    "dilation": _dilation,
    "gamma": _gamma,
    "gps": _gps,
    "orbit": _orbit,
    "redshift": _redshift,
    "schwarzschild": _schwarzschild,
    "static_clock": _static,
    "trajectory": _trajectory,
    **CLOCK_CALCULATORS,
    **CLASSIC_CALCULATORS,
}
"""Calculator name -> function of a :class:`FieldReader`."""


def calculate(
    name: str, fields: Mapping[str, Any], *, source: str = "<input>", path: str = "relativity"
) -> dict[str, Any]:
    """Runs calculator ``name`` on ``fields``.

    Raises:
        ScenarioError: unknown calculator, missing/unknown/bad fields, or a value outside
            the physical domain (the message names the source and the field).
    """
    func = CALCULATORS.get(name)
    if func is None:
        raise ScenarioError(
            f"{source}: {path}.calculator: unknown calculator {name!r}; "
            f"allowed: {', '.join(sorted(CALCULATORS))}"
        )
    reader = FieldReader(source, fields, path)
    reader.used.add("calculator")
    try:
        out = func(reader)
    except RelativityDomainError as e:
        raise ScenarioError(f"{source}: {path}: {e}") from None
    reader.finish()
    return out
