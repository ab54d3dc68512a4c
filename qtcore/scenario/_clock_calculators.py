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
=================  ==========================================================  ============
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    SECONDS_PER_DAY,
    SPEED_OF_LIGHT,
    Body,
    clock_comparison,
    clock_rate,
    clock_rate_deficit,
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
    else:
        radius = body.radius + (r.quantity("height", "length") or 0.0)
        r.used.add("radius")
    v = r.quantity("speed", "velocity") or 0.0
    assert radius is not None
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
