"""Browser tests of the site defects found by trying the pages as a new user (issue 10).

Each test drives Debian's Chromium through Playwright against the built site and checks the
page against qtcore run here in CPython, or against a property computed from the page itself
(positions, computed colours), never against the page's own earlier output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qtcore.scenario import load_scenario

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
