"""Calculators for the classic tests of general relativity, with their published values.

======================  ==========================================================  =========
calculator              fields                                                      value
======================  ==========================================================  =========
``perihelion``          ``semi_major_axis``, ``eccentricity``, ``period``, ``body``  arcsec/cy
                        (default Mercury around the Sun)
``light_deflection``    ``impact_parameter`` (default the limb), ``body`` (sun),    arcsec
                        ``gamma``
``shapiro_delay``       ``emitter_distance``, ``receiver_distance``,                round trip
                        ``impact_parameter``, ``body`` (sun), ``gamma``              in us
``gravity_probe_a``     ``apex_altitude``, ``apex_speed``, ``launch_latitude_deg``   shift
``gravity_probe_b``     ``semi_major_axis``, ``eccentricity``,                      mas/yr
                        ``guide_star_declination_deg``
======================  ==========================================================  =========

Each returns ``value`` (in the unit of ``quantity``), the intermediate ``details`` flattened
into the table, and ``published``: the values the experiments reported, with references.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtcore.relativity import (
    SUN,
    Body,
    ClassicTest,
    gravity_probe_a,
    gravity_probe_b,
    light_deflection,
    perihelion_advance,
    shapiro_delay,
)
from qtcore.scenario._fields import FieldReader

__all__ = ["CLASSIC_CALCULATORS"]


def _sun_default(r: FieldReader) -> Body:
    if r.has("body"):
        return r.body()
    r.used.add("body")
    return SUN


def _out(t: ClassicTest) -> dict[str, Any]:
    return {
        "test": t.name,
        "quantity": t.quantity,
        "value": t.value,
        **t.details,
        "published": t.published,
    }


def _kwargs(r: FieldReader, spec: dict[str, str]) -> dict[str, Any]:
    """Reads the fields present: name -> dimension ("" for a plain number)."""
    out: dict[str, Any] = {}
    for key, dim in spec.items():
        if r.has(key):
            out[key] = r.quantity(key, dim) if dim else r.number(key)
        else:
            r.used.add(key)
    return out


def _perihelion(r: FieldReader) -> dict[str, Any]:
    body = _sun_default(r)
    kw = _kwargs(r, {"semi_major_axis": "length", "eccentricity": "", "period": "time"})
    return _out(perihelion_advance(**kw, body=body))


def _deflection(r: FieldReader) -> dict[str, Any]:
    body = _sun_default(r)
    kw = _kwargs(r, {"impact_parameter": "length", "gamma": ""})
    return _out(light_deflection(**kw, body=body))


def _shapiro(r: FieldReader) -> dict[str, Any]:
    body = _sun_default(r)
    kw = _kwargs(
        r,
        {
            "emitter_distance": "length",
            "receiver_distance": "length",
            "impact_parameter": "length",
            "gamma": "",
        },
    )
    return _out(shapiro_delay(**kw, body=body))


def _gpa(r: FieldReader) -> dict[str, Any]:
    kw = _kwargs(
        r, {"apex_altitude": "length", "apex_speed": "velocity", "launch_latitude_deg": ""}
    )
    return _out(gravity_probe_a(**kw))


def _gpb(r: FieldReader) -> dict[str, Any]:
    kw = _kwargs(
        r,
        {"semi_major_axis": "length", "eccentricity": "", "guide_star_declination_deg": ""},
    )
    return _out(gravity_probe_b(**kw))


CLASSIC_CALCULATORS: dict[str, Callable[[FieldReader], dict[str, Any]]] = {
    "gravity_probe_a": _gpa,
    "gravity_probe_b": _gpb,
    "light_deflection": _deflection,
    "perihelion": _perihelion,
    "shapiro_delay": _shapiro,
}
