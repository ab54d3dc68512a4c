"""The relativity widgets for moving clocks, Hafele-Keating, elliptic orbits and the classic
tests of GR: their numbers equal qtcore's in CPython, bad input is named, plots are drawn."""

from __future__ import annotations

import math
from typing import Any

import pytest

from qtcore.relativity import (
    EARTH,
    clock_rate_deficit,
    gravity_probe_a,
    gravity_probe_b,
    hafele_keating,
    kepler_orbit_clock,
    light_deflection,
    perihelion_advance,
    shapiro_delay,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors


def result(page: Any, wid: str) -> Any:
    page.wait_for_function(f"document.getElementById('{wid}').result", timeout=60_000)
    return page.evaluate(f"document.getElementById('{wid}').result")


def lines(page: Any, wid: str) -> int:
    return int(page.locator(f"#{wid} svg .qt-plot__line").count())


def test_clock_widget_matches_qtcore_and_names_bad_speed(page: Any, base_url: str) -> None:
    open_page(page, base_url + "relativity/clocks/")
    r = result(page, "clock")
    ref = clock_rate_deficit(EARTH, EARTH.radius + 10_000.0, 250.0)
    assert math.isclose(r["deficit"], ref, rel_tol=1e-15)
    assert r["redshift_to_infinity"]["receiver_at_infinity"] is True
    assert lines(page, "clock") == 1
    # keyboard only: Tab into the speed box, replace its text, the result follows
    page.locator("#clock-height").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "clock-speed"
    page.keyboard.press("Control+A")
    page.keyboard.type("7.66 km/s")
    page.wait_for_function(
        "document.getElementById('clock').result && "
        "document.getElementById('clock').result.speed === 7660",
        timeout=20_000,
    )
    page.locator("#clock-speed").fill("1c")
    err = page.locator("#clock .qt-error")
    err.wait_for(state="visible", timeout=20_000)
    assert "v^2 < c^2 (1 - r_s/r)" in err.inner_text()
    # a latitude puts the clock on the rotating Earth: at rest on the equator it moves 465 m/s
    page.locator("#clock-speed").fill("0 m/s")
    page.locator("#clock-height").fill("0 m")
    page.locator("#clock-latitude").fill("0")
    page.wait_for_function(
        "(r => r && Math.abs(r.speed - 465.1) < 0.1)(document.getElementById('clock').result)",
        timeout=20_000,
    )


def test_hafele_keating_widget_plots_both_trips(page: Any, base_url: str) -> None:
    open_page(page, base_url + "relativity/hafele-keating/")
    r = result(page, "hk")
    for d in ("east", "west"):
        assert math.isclose(r[d]["net_ns"], hafele_keating(d).net_ns, rel_tol=1e-12)
    assert lines(page, "hk") == 2
    assert "eastward" in page.locator("#hk .qt-legend").inner_text()
    table = page.locator("#hk .qt-results").inner_text()
    assert "-40 ± 23 ns" in table and "273 ± 7 ns" in table
    page.locator("#hk-direction").select_option("west")
    page.wait_for_function("!document.getElementById('hk').result.east", timeout=20_000)
    assert lines(page, "hk") == 1


def test_kepler_widget_amplitude_and_bad_eccentricity(page: Any, base_url: str) -> None:
    open_page(page, base_url + "relativity/elliptic-orbits/")
    r = result(page, "kepler")
    ref = kepler_orbit_clock(26_561.75e3, 0.01)
    assert math.isclose(r["eccentricity_amplitude"], ref.eccentricity_amplitude, rel_tol=1e-12)
    assert f"{ref.eccentricity_peak_to_peak * 1e9:.7g}" in page.locator("#kepler").inner_text()
    assert lines(page, "kepler") == 2
    page.locator("#kepler-e").fill("1")
    err = page.locator("#kepler .qt-error")
    err.wait_for(state="visible", timeout=20_000)
    assert "0 <= e < 1" in err.inner_text()


def test_classic_test_widgets_show_computed_and_published(page: Any, base_url: str) -> None:
    open_page(page, base_url + "relativity/classic-tests/")
    expected = {
        "perihelion": perihelion_advance().value,
        "deflection": light_deflection().value,
        "shapiro": shapiro_delay(impact_parameter=1_113_120e3).value,
        "gpa": gravity_probe_a().value,
        "gpb": gravity_probe_b().value,
    }
    for wid, value in expected.items():
        r = result(page, wid)
        assert math.isclose(r["value"], value, rel_tol=1e-12), wid
        assert lines(page, wid) == 1, wid
        assert "reference" in page.locator(f"#{wid} .qt-results").inner_text()
        # The computed point is marked on the curve (GP-A's marker had no x: no curve at all).
        assert page.locator(f"#{wid} svg .qt-plot__marker").count() == 1, wid
        broken = page.locator(f"#{wid} svg path").evaluate_all(
            "ps => ps.map(p => p.getAttribute('d') || '').filter(d => d.includes('NaN'))"
        )
        assert broken == [], (wid, broken[:1])
    assert "42.98" in page.locator("#perihelion .qt-results").inner_text()
    assert "6606.1" in page.locator("#gpb .qt-results").inner_text()
    page.locator("#deflection-impact_parameter").fill("1 km")
    err = page.locator("#deflection .qt-error")
    err.wait_for(state="visible", timeout=20_000)
    assert "capture radius" in err.inner_text()
    assert page.locator("#deflection .qt-rel-out").is_hidden()
