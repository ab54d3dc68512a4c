"""Calculators for clocks that move in a field (``clock``, ``clock_offset``).

=================  ==========================================================  ============
calculator         fields                                                      returns
=================  ==========================================================  ============
``clock``          ``body``; ``height`` or ``radius``; ``speed``; or, on a     rate,
                   rotating body, ``latitude_deg`` with ``height``,            deficit
                   ``ground_speed_east``, ``ground_speed_north``; optional
                   ``duration`` (coordinate time)
``clock_offset``   ``body``; ``clock_a``, ``clock_b`` (tables as for           offset, parts
                   ``clock``); ``coordinate_duration`` or ``proper_duration``
``flight``         ``segments`` (``{duration, latitude_deg, height,            ns per part,
                   ground_speed_east, ground_speed_north, label}``);           curve
                   ``reference_latitude_deg`` (38.92), ``reference_height``,
                   ``include_j2`` (true), ``body``
``hafele_keating`` ``direction`` (``east``, ``west``, ``both``)                 ns + published
``kepler_orbit``   ``semi_major_axis``, ``eccentricity``, ``body``, ``points``  mean rate,
                                                                               e-effect
``galileo_redshift``  none: Galileo 5/6's eccentric orbit                      e-effect +
                                                                               published
=================  ==========================================================  ============
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    GALILEO_ECCENTRIC,
    HAFELE_KEATING_PUBLISHED,
    SECONDS_PER_DAY,
    SPEED_OF_LIGHT,
    Body,
    FlightSegment,
    clock_comparison,
    clock_rate,
    clock_rate_deficit,
    flight_offsets,
    hafele_keating,
    kepler_orbit_clock,
    surface_clock,
)
from qtcore.scenario._fields import FieldReader

__all__ = ["CLOCK_CALCULATORS"]


def _place(r: FieldReader, body: Body) -> dict[str, Any]:
    """Radius and speed of one clock: ``height``/``radius`` + ``speed``, or a surface spot."""
    if r.has("latitude_deg"):
        for key in ("radius", "speed"):
            if r.has(key):
                raise r.error(
                    key,
                    "not with latitude_deg: a surface clock's radius and speed follow from "
                    "latitude_deg, height and ground_speed_east/ground_speed_north",
                )
        lat = r.number("latitude_deg", required=True)
        h = r.quantity("height", "length") or 0.0
        ve = r.quantity("ground_speed_east", "velocity") or 0.0
        vn = r.quantity("ground_speed_north", "velocity") or 0.0
        assert lat is not None
        s = surface_clock(body, lat, h, ve, vn)
        r.outside("height", body, s.radius)
        return {
            "radius": s.radius,
            "speed": s.speed,
            "latitude_deg": lat,
            "rotation_speed": s.rotation_speed,
        }
    for key in ("ground_speed_east", "ground_speed_north"):
        if r.has(key):
            raise r.error(key, "needs latitude_deg (a ground speed is over a rotating surface)")
    if r.has("height") and r.has("radius"):
        raise r.error("height", "give either height (above the mean radius) or radius, not both")
    if r.has("radius"):
        radius = r.quantity("radius", "length", required=True)
        r.used.add("height")
        assert radius is not None
        r.outside("radius", body, radius)
    else:
        radius = r.outside("height", body, body.radius + (r.quantity("height", "length") or 0.0))
        r.used.add("radius")
    v = r.quantity("speed", "velocity") or 0.0
    return {"radius": radius, "speed": v}


def _clock(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    where = _place(r, body)
    t = r.quantity("duration", "time")
    rad, v = where["radius"], where["speed"]
    deficit = clock_rate_deficit(body, rad, v)
    out: dict[str, Any] = {
        "body": body.name,
        **where,
        "rate": clock_rate(body, rad, v),
        "deficit": deficit,
        "weak_field_deficit": body.gm / (rad * SPEED_OF_LIGHT**2) + 0.5 * (v / SPEED_OF_LIGHT) ** 2,
        "seconds_lost_per_day": deficit * SECONDS_PER_DAY,
    }
    if t is not None:
        if t < 0.0:
            raise r.error("duration", f"must be a duration >= 0 s, got {t!r} s")
        out["duration"] = t
        out["seconds_lost"] = deficit * t
    return out


def _clock_offset(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    places = []
    for key in ("clock_a", "clock_b"):
        spec = r.raw(key)
        if spec is None:
            raise r.error(key, "missing (a table: height or radius, speed, or latitude_deg ...)")
        sub = FieldReader(r.source, spec, f"{r.path}.{key}")
        try:
            places.append(_place(sub, body))
        except RelativityDomainError as e:
            raise sub.error("height", str(e)) from None
        sub.finish()
    t = r.quantity("coordinate_duration", "time")
    tau = r.quantity("proper_duration", "time")
    a, b = places
    res = clock_comparison(
        body,
        a["radius"],
        a["speed"],
        b["radius"],
        b["speed"],
        coordinate_duration=t,
        proper_duration=tau,
    )
    return {"body": body.name, **res.to_dict()}


CLOCK_CALCULATORS: dict[str, Callable[[FieldReader], dict[str, Any]]] = {
    "clock": _clock,
    "clock_offset": _clock_offset,
}


def _flight_segments(r: FieldReader) -> tuple[FlightSegment, ...]:
    specs = r.raw("segments")
    if not isinstance(specs, list) or not specs:
        raise r.error("segments", "must be a non-empty list of segment tables")
    out: list[FlightSegment] = []
    for i, spec in enumerate(specs):
        s = FieldReader(r.source, spec, f"{r.path}.segments[{i}]")
        t = s.quantity("duration", "time", required=True)
        lat = s.number("latitude_deg", required=True)
        h = s.quantity("height", "length") or 0.0
        ve = s.quantity("ground_speed_east", "velocity") or 0.0
        vn = s.quantity("ground_speed_north", "velocity") or 0.0
        label = s.string("label") or ""
        assert t is not None and lat is not None
        try:
            out.append(FlightSegment(t, lat, h, ve, vn, label))
        except RelativityDomainError as e:
            raise s.error("duration", str(e)) from None
        s.finish()
    return tuple(out)


def _flight(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    segs = _flight_segments(r)
    lat0 = r.number("reference_latitude_deg", default=38.92)
    h0 = r.quantity("reference_height", "length") or 0.0
    j2 = r.boolean("include_j2", default=True)
    assert lat0 is not None
    res = flight_offsets(
        segs, body=body, reference_latitude_deg=lat0, reference_height=h0, include_j2=j2
    )
    return res.to_dict()


def _published(direction: str) -> dict[str, Any]:
    return {
        k: {"value": v, "uncertainty": u}
        for k, (v, u) in HAFELE_KEATING_PUBLISHED[direction].items()
    }


def _hafele_keating(r: FieldReader) -> dict[str, Any]:
    direction = r.string("direction", choices=("east", "west", "both")) or "both"
    out: dict[str, Any] = {}
    for d in ("east", "west"):
        if direction in (d, "both"):
            out[d] = {**hafele_keating(d).to_dict(), "published": _published(d)}
    out["source"] = (
        "predictions: Hafele & Keating, Science 177 (1972) 166-168; measurements: Science "
        "177 (1972) 168-170; flight profile: illustrative (round numbers, not the flight log)"
    )
    return out


def _kepler(r: FieldReader) -> dict[str, Any]:
    body = r.body()
    a = r.quantity("semi_major_axis", "length", required=True)
    e = r.number("eccentricity", required=True)
    pts = r.integer("points", default=73, minimum=2)
    assert a is not None and e is not None
    out = kepler_orbit_clock(a, e, body=body, points=pts).to_dict()
    out["eccentricity_amplitude_ns"] = out["eccentricity_amplitude"] * 1e9
    out["eccentricity_peak_to_peak_ns"] = out["eccentricity_peak_to_peak"] * 1e9
    return out


def _galileo(r: FieldReader) -> dict[str, Any]:
    g = GALILEO_ECCENTRIC
    out = kepler_orbit_clock(g["semi_major_axis"], g["eccentricity"]).to_dict()
    out["eccentricity_amplitude_ns"] = out["eccentricity_amplitude"] * 1e9
    out["eccentricity_peak_to_peak_ns"] = out["eccentricity_peak_to_peak"] * 1e9
    out["orbit_source"] = g["source"]
    out["published"] = g["published"]
    return out


CLOCK_CALCULATORS.update(
    {
        "flight": _flight,
        "galileo_redshift": _galileo,
        "hafele_keating": _hafele_keating,
        "kepler_orbit": _kepler,
    }
)
