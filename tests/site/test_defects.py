"""Browser tests of the site defects found by trying the pages as a new user (issue 10).

Each test drives Debian's Chromium through Playwright against the built site and checks the
page against qtcore run here in CPython, or against a property computed from the page itself
(positions, computed colours), never against the page's own earlier output.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from qtcore.scenario import calculate, load_scenario

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors


def editor_ops(page: Any, selector: str) -> list[tuple[str, tuple[int, ...]]]:
    """The ops on a circuit widget's grid, as sorted (name, qubits) pairs."""
    items = page.evaluate(
        "(sel) => document.querySelector(sel).editor.model.items.map((it) => [it.op, it.qubits])",
        selector,
    )
    return sorted((op, tuple(qs)) for op, qs in items)


def scenario_ops(name: str) -> tuple[int, list[tuple[str, tuple[int, ...]]]]:
    circuit = load_scenario(ROOT / "scenarios" / f"{name}.toml").circuit()
    assert circuit is not None
    d = circuit.to_dict()
    return d["num_qubits"], sorted((op["op"], tuple(op["qubits"])) for op in d["ops"])


def wait_for_circuit(page: Any, selector: str) -> None:
    page.wait_for_function(
        "(sel) => { const c = document.querySelector(sel); return c && c.lastResult && !c.busy; }",
        arg=selector,
        timeout=60_000,
    )


def test_sandbox_open_shows_each_scenarios_own_circuit(page: Any, base_url: str) -> None:
    """Defect 1: every Open after the first showed the first scenario's circuit."""
    open_page(page, base_url + "sandbox/")
    loader = page.locator("#open")
    for name in ("bell", "ghz", "teleportation", "bell"):
        loader.get_by_label("Scenario", exact=True).select_option(name)
        loader.get_by_role("button", name="Open", exact=True).click()
        page.wait_for_function(
            "(name) => { const c = document.querySelector('#open-circuit');"
            " return c && c.lastResult && !c.busy"
            " && document.querySelector('#open strong').textContent.length > 0"
            " && location.hash.includes('qt-open=') && c.dataset.scenario === name; }",
            arg=name,
            timeout=60_000,
        )
        n, ops = scenario_ops(name)
        got_n = page.evaluate("document.querySelector('#open-circuit').editor.model.n")
        assert (got_n, editor_ops(page, "#open-circuit")) == (n, ops), name
    assert not page.qt_errors, page.qt_errors


Y_TICKS = (
    "(sel) => [...document.querySelectorAll(sel + ' svg g.qt-plot__axes text')]"
    ".filter((t) => t.getAttribute('text-anchor') === 'end').map((t) => t.textContent)"
)


def test_calculator_error_clears_table_and_plot(page: Any, base_url: str) -> None:
    """Defect 5: a new error sat above the previous input's table and plot."""
    open_page(page, base_url + "relativity/special/")
    gamma = page.evaluate("document.getElementById('sr').result.gamma")
    assert gamma == pytest.approx(1 / math.sqrt(1 - 0.9**2), rel=1e-12)
    assert page.locator("#sr table tr").count() > 3
    page.fill("#sr-speed", "2c")
    page.wait_for_function(
        "() => !document.getElementById('sr').querySelector('.qt-error').hidden", timeout=30_000
    )
    assert page.locator("#sr table tr").count() == 0
    assert page.locator("#sr svg path").count() == 0
    assert not page.locator("#sr .qt-rel-out").is_visible()
    page.fill("#sr-speed", "0.6c")
    page.wait_for_function(
        "() => document.getElementById('sr').result?.gamma === 1.25", timeout=30_000
    )
    assert page.locator("#sr table tr").count() > 3
    assert page.locator("#sr svg path").count() >= 1


def test_schwarzschild_plot_shows_the_deficit_and_sun_resets_radius(
    page: Any, base_url: str
) -> None:
    """Defect 5: y ticks all read "1"; choosing the Sun computed at 6371 km, inside it."""
    open_page(page, base_url + "relativity/schwarzschild/")
    ticks = page.evaluate(Y_TICKS, "#gr")
    assert len(set(ticks)) >= 3, ticks
    assert "1" not in ticks, ticks
    page.select_option("#gr-body", "sun")
    sun = calculate("schwarzschild", {"body": "sun"})
    surface = calculate("static_clock", {"body": "sun", "radius": sun["radius"]})
    page.wait_for_function(
        "(r) => document.getElementById('gr').result?.radius === r",
        arg=sun["radius"],
        timeout=30_000,
    )
    assert page.input_value("#gr-radius_at") == "695700 km"
    result = page.evaluate("document.getElementById('gr').result")
    assert result["deficit"] == pytest.approx(surface["deficit"], rel=1e-12)
    assert result["body"] == "Sun"
    # Typing a radius inside the Sun is refused with the body's radius named.
    page.fill("#gr-radius_at", "6371 km")
    page.wait_for_function(
        "() => !document.getElementById('gr').querySelector('.qt-error').hidden", timeout=30_000
    )
    message = page.locator("#gr .qt-error").inner_text()
    assert "inside Sun" in message and "695700 km" in message, message
    assert page.locator("#gr table tr").count() == 0
