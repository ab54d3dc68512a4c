"""Browser tests of the site defects found by trying the pages as a new user (issue 10).

Each test drives Debian's Chromium through Playwright against the built site and checks the
page against qtcore run here in CPython, or against a property computed from the page itself
(positions, computed colours), never against the page's own earlier output.
"""

from __future__ import annotations

import importlib
import itertools
import math
import re
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
    # Typing a radius inside the Sun is refused (by qtcore) with the body's radius named.
    page.fill("#gr-radius_at", "6371 km")
    page.wait_for_function(
        "() => !document.getElementById('gr').querySelector('.qt-error').hidden", timeout=30_000
    )
    message = page.locator("#gr .qt-error").inner_text()
    assert "6371 km from Sun's centre, inside it" in message, message
    assert "polar radius is 695700 km" in message, message
    assert page.locator("#gr table tr").count() == 0


GRID_GEOMETRY = """(sel) => {
  const grid = document.querySelector(sel + ' .qt-grid');
  const heads = [...grid.querySelectorAll('.qt-step')].map((e) => e.getBoundingClientRect());
  const cells = [...grid.querySelectorAll('.qt-cell[data-q="0"]')]
    .map((e) => e.getBoundingClientRect());
  return heads.map((r, t) => [r.left + r.width / 2, cells[t].left + cells[t].width / 2]);
}"""


def test_step_numbers_sit_over_their_columns_and_measures_name_their_bit(
    page: Any, base_url: str
) -> None:
    """Defect 6: step numbers drifted up to 42 px; a 3-qubit measure read M→c0 on every row."""
    open_page(page, base_url + "tutorials/circuits/")
    centres = page.evaluate(GRID_GEOMETRY, "#ghz")
    assert len(centres) >= 6
    for t, (head, cell) in enumerate(centres):
        assert abs(head - cell) <= 1.0, (t, head, cell)
    labels = page.evaluate(
        "[...document.querySelectorAll('#ghz .qt-cell')]"
        ".filter((c) => c.textContent.startsWith('M→'))"
        ".map((c) => [Number(c.dataset.q), c.textContent])"
    )
    assert sorted(labels) == [[0, "M→c0"], [1, "M→c1"], [2, "M→c2"]]
    # One grid item per frame step: every frame's op is the grid item the player marks.
    pairs = page.evaluate(
        """(() => { const w = document.getElementById('ghz');
          return w.frames.slice(1).map((f, i) => { w.frameIndex = i + 1;
            const it = w.currentItem();
            return [[f.header.opName, f.header.qubits], it && [it.op, it.qubits]]; }); })()"""
    )
    assert len(pairs) == 6
    for frame_op, grid_op in pairs:
        assert frame_op == grid_op


CONTRAST = """(el) => {
  const rgba = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3]));
  // The background under el: composite every ancestor's background, bottom (white) up.
  const chain = [];
  for (let e = el; e; e = e.parentElement) chain.push(rgba(getComputedStyle(e).backgroundColor));
  let bg = [255, 255, 255];
  for (const c of chain.reverse()) if (c && c[3] > 0) bg = over(c, bg);
  const style = getComputedStyle(el);
  const fg = over(rgba(style.color), bg);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_buttons_and_step_numbers_meet_wcag_aa_contrast(
    context: Any, base_url: str, scheme: str
) -> None:
    """Defect 9: in dark mode the outlined Run button was 2.35:1 and step numbers ~2.5:1."""
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    page.goto(base_url + "sandbox/")
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    expected = "slate" if scheme == "dark" else "default"
    assert page.evaluate("document.body.dataset.mdColorScheme") == expected
    run = page.locator("#play button.qt-btn", has_text="Run").first
    assert run.evaluate(CONTRAST) >= 4.5
    for button in page.locator("#play button.qt-btn:not([disabled])").all():
        assert button.evaluate(CONTRAST) >= 4.5, button.inner_text()
    step = page.locator("#play .qt-step > span").first
    assert step.evaluate(CONTRAST) >= 4.5


ACTIVE_CELL = """() => { const a = document.activeElement;
  return a && a.matches('#play .qt-cell') ? [Number(a.dataset.q), Number(a.dataset.t)] : null; }"""
ITEMS = "document.getElementById('play').editor.model.items.map((it) => [it.op, it.qubits, it.t])"


def test_keyboard_only_editing_keeps_focus_in_the_grid(page: Any, base_url: str) -> None:
    """Defect 2: no way to skip the palette; after Enter or Delete focus fell to the body."""
    open_page(page, base_url + "sandbox/")
    first_stop = page.evaluate(
        "[...document.querySelectorAll('#play button, #play input, #play select,"
        " #play textarea, #play a[href], #play summary')]"
        ".find((e) => e.tabIndex >= 0 && !e.disabled).className"
    )
    assert first_stop == "qt-skip"
    page.focus("#play .qt-skip")
    assert page.locator("#play .qt-skip").bounding_box()["width"] > 0
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE_CELL) == [0, 0]
    page.keyboard.press("Enter")  # the default tool, H, on q0
    assert page.evaluate(ACTIVE_CELL) == [0, 0]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE_CELL) == [1, 0]
    assert sorted(page.evaluate(ITEMS)) == [["h", [0], 0], ["h", [1], 0]]
    page.keyboard.press("Control+z")
    assert page.evaluate(ITEMS) == [["h", [0], 0]]
    assert page.evaluate(ACTIVE_CELL) == [1, 0]
    # Enter on an op selects it; Esc closes the inspector and focus stays.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert page.locator("#play .qt-inspector").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#play .qt-inspector").is_visible()
    assert page.evaluate(ACTIVE_CELL) == [0, 0]
    # Choose CX in the palette: Shift+Tab to it (one tab stop), the letter C until CX, Enter;
    # come back with Tab, place it.
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('qt-tool')"):
            break
    else:
        pytest.fail("Shift+Tab from the grid never reached the palette")
    for _ in range(30):
        if page.evaluate("document.activeElement.dataset.tool") == "cx":
            break
        page.keyboard.press("c")
    else:
        pytest.fail("typing c in the palette never reached the CX tool")
    page.keyboard.press("Enter")
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE_CELL) is not None:
            break
    else:
        pytest.fail("Tab from the palette never reached the grid")
    assert page.evaluate(ACTIVE_CELL) == [0, 0]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # control on q0
    page.keyboard.press("Escape")  # cancel, then again for real
    assert page.evaluate("document.getElementById('play').editor.pending") is None
    assert page.evaluate(ACTIVE_CELL) == [0, 1]
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # target on q1
    assert page.evaluate(ACTIVE_CELL) == [1, 1]
    assert sorted(page.evaluate(ITEMS)) == [["cx", [0, 1], 1], ["h", [0], 0]]
    page.keyboard.press("Delete")
    assert page.evaluate(ITEMS) == [["h", [0], 0]]
    assert page.evaluate(ACTIVE_CELL) == [1, 1]
    page.keyboard.press("Control+z")
    assert sorted(page.evaluate(ITEMS)) == [["cx", [0, 1], 1], ["h", [0], 0]]
    # The circuit the worker ran is the one built by keyboard: H then CX is a Bell pair.
    page.wait_for_function(
        "() => { const w = document.getElementById('play');"
        " return !w.busy && w.lastResult && /cx q\\[0\\], ?q\\[1\\]/.test(w.qasmText.value); }",
        timeout=60_000,
    )
    assert not page.qt_errors, page.qt_errors


FOCUSED_TOOL = "document.activeElement.dataset.tool || null"


def test_the_palette_is_one_tab_stop_with_arrows_home_end_and_letters(
    page: Any, base_url: str
) -> None:
    """Found driving the sandbox by keyboard: every one of the palette's ~50 tools was a tab
    stop, so reaching the OpenQASM box took 141 Tabs. The palette is now a WAI-ARIA toolbar:
    one stop (the chosen tool), moved through with arrows, Home/End and first letters."""
    open_page(page, base_url + "sandbox/")
    stops = page.evaluate(
        "[...document.querySelectorAll('#play .qt-tool')].filter((b) => b.tabIndex >= 0)"
        ".map((b) => b.dataset.tool)"
    )
    assert stops == ["h"], "one tab stop: the chosen tool"
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")  # into the grid
    assert page.evaluate(ACTIVE_CELL) == [0, 0]
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.classList.contains('qt-param')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_TOOL) == "h"
    page.keyboard.press("ArrowRight")
    second = page.evaluate(FOCUSED_TOOL)
    assert second not in (None, "h")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(FOCUSED_TOOL) == "h"
    page.keyboard.press("Home")
    tools = page.evaluate(
        "[...document.querySelectorAll('#play .qt-tool')].map((b) => b.dataset.tool)"
    )
    assert page.evaluate(FOCUSED_TOOL) == tools[0]
    page.keyboard.press("End")
    assert page.evaluate(FOCUSED_TOOL) == tools[-1]
    page.keyboard.press("ArrowRight")  # wraps
    assert page.evaluate(FOCUSED_TOOL) == tools[0]
    page.keyboard.press("m")  # the next tool whose label starts with M
    first_m = page.evaluate(FOCUSED_TOOL)
    assert first_m is not None and first_m.startswith("m")
    page.keyboard.press("m")
    assert page.evaluate(FOCUSED_TOOL) not in (None, first_m)
    assert page.evaluate(FOCUSED_TOOL).startswith("m")
    page.keyboard.press("Enter")  # picks it; it becomes the palette's tab stop
    picked = page.evaluate(FOCUSED_TOOL)
    assert (
        page.locator(f'#play .qt-tool[data-tool="{picked}"]').get_attribute("aria-pressed")
        == "true"
    )
    page.keyboard.press("Tab")  # leaves the palette at once
    assert page.evaluate("document.activeElement.classList.contains('qt-param')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_TOOL) == picked


def test_shared_link_reproduces_the_exact_layout(page: Any, context: Any, base_url: str) -> None:
    """Defect 3: a link re-laid the gates out, so a frame number showed another operation."""
    open_page(page, base_url + "sandbox/")
    grid = page.locator("#play .qt-grid")

    def put(tool: str, q: int, t: int) -> None:
        page.locator(f'#play .qt-tool[data-tool="{tool}"]').click()
        grid.locator(f'.qt-cell[data-q="{q}"][data-t="{t}"]').click()

    put("h", 2, 3)
    put("x", 0, 0)
    put("h", 1, 1)
    put("x", 2, 5)
    placed = sorted(page.evaluate(ITEMS))
    assert placed == [["h", [1], 1], ["h", [2], 3], ["x", [0], 0], ["x", [2], 5]]
    page.wait_for_function(
        "() => { const w = document.getElementById('play');"
        " return !w.busy && w.lastResult && w.frames.length === 5; }",
        timeout=60_000,
    )
    page.locator("#play").get_by_role("button", name="Copy link").click()
    url = page.url
    other = context.new_page()
    other.qt_errors = []
    other.on("pageerror", lambda e: other.qt_errors.append(str(e)))
    open_page(other, url)
    assert sorted(other.evaluate(ITEMS)) == placed
    shown = (
        "(() => { const w = document.getElementById('play');"
        " return w.frames.map((f, i) => { w.frameIndex = i; const it = w.currentItem();"
        " return [f.header.opName, f.header.qubits, it && it.t]; }); })()"
    )
    frames = other.evaluate(shown)
    assert frames == page.evaluate(shown)
    # Frame k applies the k-th op in column order: x@0, h@1, h@3, x@5.
    assert frames[1:] == [["x", [0], 0], ["h", [1], 1], ["h", [2], 3], ["x", [2], 5]]
    other.close()


def h_all_qasm(n: int) -> str:
    return (
        f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q;\nmeasure q -> c;\n'
    )


def load_qasm(page: Any, n: int) -> dict[str, Any]:
    page.fill("#play .qt-qasm-text", h_all_qasm(n))
    page.wait_for_function(
        "(n) => { const w = document.getElementById('play'); const r = w.lastResult;"
        " return !w.busy && r && Object.keys(r.counts)[0]?.length === n; }",
        arg=n,
        timeout=120_000,
    )
    result: dict[str, Any] = page.evaluate("document.getElementById('play').lastResult")
    return result


LABELS = "(name) => document.querySelector(`#play canvas[aria-label='${name}']`).qtLabels"


def overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    bad = []
    for a, b in itertools.pairwise(boxes):
        if a["x"] + a["w"] > b["x"] + 0.01:
            bad.append((a["text"], b["text"]))
    return bad


def test_counts_show_top_k_with_show_all_and_readable_axes(page: Any, base_url: str) -> None:
    """Defect 4: counts grew to ~10,700 px; basis-state labels overlapped from 4 qubits."""
    open_page(page, base_url + "sandbox/")
    # Four qubits: all 16 basis states labelled on the probability view, none overlapping.
    load_qasm(page, 4)
    boxes = page.evaluate(LABELS, "Probability of each basis state")
    assert [b["text"] for b in boxes] == [format(i, "04b") for i in range(16)]
    assert overlaps(boxes) == []
    # Ten qubits, 1024 shots: hundreds of outcomes, the 16 most frequent listed.
    result = load_qasm(page, 10)
    counts: dict[str, int] = result["counts"]
    assert len(counts) > 100
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:16]
    text = page.locator("#play .qt-counts-text")
    listed = text.inner_text().split(": ", 1)[1]
    assert listed == ", ".join(f"{k}: {v}" for k, v in top)
    assert f"16 most frequent of {len(counts)} outcomes" in text.inner_text()
    assert text.bounding_box()["height"] < 200
    bars = page.evaluate(LABELS, "Measurement counts")
    assert [b["text"] for b in bars] == [k for k, _ in top] and overlaps(bars) == []
    more = page.locator("#play .qt-counts-more")
    assert more.inner_text() == f"Show all {len(counts)} outcomes"
    more.click()
    assert text.inner_text().count(": ") == len(counts) + 1
    assert text.bounding_box()["height"] < 300  # it scrolls instead of growing
    assert overlaps(page.evaluate(LABELS, "Measurement counts")) == []
    assert more.get_attribute("aria-expanded") == "true"
    more.click()
    assert text.inner_text().split(": ", 1)[1] == listed


def test_in_site_navigation_keeps_the_worker(page: Any, base_url: str) -> None:
    """Defect 10: every page change rebooted Pyodide; sitemap.xml was empty."""
    sitemap = page.request.get(base_url + "sitemap.xml").text()
    assert sitemap.count("<loc>") >= 10, sitemap[:500]
    assert "/relativity/special/</loc>" in sitemap
    page.set_viewport_size({"width": 1400, "height": 1000})  # the sidebar, not the drawer
    open_page(page, base_url + "sandbox/")
    page.evaluate(
        "() => { window.__qtSamePage = true;"
        " window.__qtRuntime = document.getElementById('play').rt; }"
    )
    page.locator('nav a[href$="relativity/special/"]:visible').first.click()
    page.wait_for_function(
        "() => location.pathname.endsWith('/relativity/special/')"
        " && document.documentElement.classList.contains('qt-ready')"
        " && document.getElementById('sr')?.result",
        timeout=60_000,
    )
    assert page.evaluate("window.__qtSamePage === true"), "the page was reloaded"
    assert page.evaluate("document.getElementById('sr').rt === window.__qtRuntime")
    assert page.evaluate("globalThis.__qtEarlyWorker == null"), "a second worker was started"
    gamma = page.evaluate("document.getElementById('sr').result.gamma")
    assert gamma == pytest.approx(1 / math.sqrt(1 - 0.9**2), rel=1e-12)
    assert not page.qt_errors, page.qt_errors


API_MODULES = [
    "qtcore",
    "qtcore.sim",
    "qtcore.qasm",
    "qtcore.frames",
    "qtcore.noise",
    "qtcore.analysis",
    "qtcore.sweep",
    "qtcore.montecarlo",
    "qtcore.scenario",
    "qtcore.relativity",
    "qtcore.units",
    "qtcore.testing",
]


def test_api_reference_documents_every_public_name(site_dir: Path) -> None:
    """The mkdocstrings page lists each public name of qtcore's modules, and no private one."""
    html = (site_dir / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="(qtcore[A-Za-z0-9_.]*)"', html))
    for name in API_MODULES:
        module = importlib.import_module(name)
        public = [n for n in module.__all__ if not n.startswith("_")]
        missing = [n for n in public if f"{name}.{n}" not in ids]
        assert not missing, f"{name}: {missing}"
    assert not [i for i in ids if re.search(r"\._[a-z]", i)], "private names documented"
    # Docstrings are rendered (Google style sections become tables), not pasted raw.
    assert "Circuit.from_dict" in html and "Args:" not in html
    gates = (site_dir / "reference" / "gates" / "index.html").read_text(encoding="utf-8")
    assert "reference/api/" in gates or "../api/" in gates


GATE_QASM = """OPENQASM 2.0;
include "qelib1.inc";
gate bell a, b { h a; cx a, b; }
gate rot(theta) a { rz(theta) a; rx(theta/2) a; }
qreg q[3];
creg c[3];
bell q[0], q[1];
rot(pi/3) q[2];
measure q -> c;
"""


def test_qasm_gate_definitions_load_as_expandable_boxes(page: Any, base_url: str) -> None:
    """Defect 7: QASM with `gate` definitions failed: "cannot serialise composite gates yet"."""
    from qtcore import simulate
    from qtcore.qasm import loads

    open_page(page, base_url + "sandbox/")
    page.fill("#play .qt-qasm-text", GATE_QASM)
    page.wait_for_function(
        "() => { const w = document.getElementById('play');"
        " return !w.busy && w.editor.model.items.some((it) => it.op === 'bell') && w.lastResult"
        " && w.lastResult.counts && Object.keys(w.lastResult.counts)[0].length === 3; }",
        timeout=60_000,
    )
    assert not page.locator("#play .qt-qasm-error").is_visible()
    boxes = page.evaluate(
        "[...document.querySelectorAll('#play .qt-cell--composite')]"
        ".map((c) => [Number(c.dataset.q), c.querySelector('.qt-cell__sym').textContent])"
    )
    assert sorted(boxes) == [[0, "BELL"], [1, "BELL"], [2, "ROT"]]
    expected = simulate(loads(GATE_QASM), shots=1024, seed=42, backend="python").counts
    assert page.evaluate("document.getElementById('play').lastResult.counts") == expected
    # Expand the Bell box: its body replaces it, on the same qubits; the results agree.
    page.locator('#play .qt-cell[data-q="0"][data-t="0"]').click()
    page.locator("#play .qt-inspector").get_by_role("button", name="Expand").click()
    page.wait_for_function(
        "() => { const w = document.getElementById('play');"
        " return !w.busy && !w.editor.model.items.some((it) => it.op === 'bell')"
        " && /cx q\\[0\\], ?q\\[1\\]/.test(w.qasmText.value); }",
        timeout=60_000,
    )
    assert sorted(page.evaluate(ITEMS))[:2] == [["cx", [0, 1], 1], ["h", [0], 0]]
    qasm = page.evaluate("document.getElementById('play').qasmText.value")
    assert "gate bell" not in qasm and "gate rot" in qasm
    flat = simulate(loads(qasm), shots=1024, seed=42, backend="python").counts
    assert page.evaluate("document.getElementById('play').lastResult.counts") == flat
    assert not page.qt_errors, page.qt_errors


def test_boxes_the_input_does_not_use_are_disabled(page: Any, base_url: str) -> None:
    """Found trying bad input in every box: garbage in the GPS orbit radius (while an altitude
    is given) or a custom mass (while a preset body is chosen) was ignored without a word."""
    open_page(page, base_url + "relativity/gps/")
    assert page.locator("#gps-orbit_radius").is_disabled()
    page.fill("#gps-altitude", "")
    assert page.locator("#gps-orbit_radius").is_enabled()
    page.fill("#gps-orbit_radius", "abc")
    err = page.locator("#gps .qt-error")
    err.wait_for(state="visible", timeout=30_000)
    assert "orbit_radius" in err.inner_text()
    page.fill("#gps-altitude", "20200 km")  # the altitude is used again: the radius is not
    assert page.locator("#gps-orbit_radius").is_disabled()
    err.wait_for(state="hidden", timeout=30_000)

    open_page(page, base_url + "relativity/schwarzschild/")
    for key in ("mass", "radius"):
        assert page.locator(f"#gr-{key}").is_disabled(), key
    page.select_option("#gr-body", "custom")
    page.fill("#gr-mass", "-5 kg")
    assert page.locator("#gr-radius").is_enabled()
    err = page.locator("#gr .qt-error")
    err.wait_for(state="visible", timeout=30_000)
    assert "mass" in err.inner_text()
    page.select_option("#gr-body", "earth")
    assert page.locator("#gr-mass").is_disabled()


def test_a_failed_run_marks_the_previous_results_as_stale(page: Any, base_url: str) -> None:
    """Found with bad input in the shots box: after "shots: must be >= 0" the counts of the
    previous run stayed on screen as if they answered the new input."""
    open_page(page, base_url + "tutorials/circuits/")
    widget = page.locator("qt-circuit").first
    note = widget.locator(".qt-stale")
    assert note.is_hidden()
    shots = widget.locator("input[type=number]").first
    shots.fill("-1")
    widget.get_by_role("button", name="Run", exact=True).click()
    widget.locator(".qt-error").first.wait_for(state="visible", timeout=30_000)
    note.wait_for(state="visible", timeout=10_000)
    assert "last run that succeeded" in note.inner_text()
    assert widget.evaluate("w => w.hasAttribute('stale')")
    shots.fill("100")
    widget.get_by_role("button", name="Run", exact=True).click()
    note.wait_for(state="hidden", timeout=30_000)
    assert not widget.evaluate("w => w.hasAttribute('stale')")
    assert "100 shots" in widget.locator(".qt-counts-text").inner_text()


def test_gate_condition_on_a_missing_bit_is_refused(page: Any, base_url: str) -> None:
    """The gate inspector's "only if c[k]" clamped what was typed (-1 became c[0]) and
    quietly added classical bits for c[5]; now a bit that does not exist is refused beside
    the field and nothing changes."""
    w = "document.getElementById('play')"
    open_page(page, base_url + "sandbox/")
    page.fill(
        "#play .qt-qasm-text",
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[1] c;\nh q[0];\n'
        "c[0] = measure q[0];\nx q[1];\n",
    )
    page.wait_for_function(
        f"() => {{ const e = {w}; return !e.busy && e.editor.model.items.length === 3; }}",
        timeout=120_000,
    )
    before = page.evaluate(f"{w}.editor.snapshot()")
    page.locator('#play .qt-cell[aria-label$=": x on qubits 1"]').click()
    inspector = page.locator("#play .qt-inspector")
    inspector.locator('input[aria-label="Classically controlled"]').check()
    bit = inspector.locator('input[aria-label="Condition classical bit"]')
    err = page.locator("#" + bit.get_attribute("aria-describedby"))
    for typed, message in [
        ("5", "c[5] does not exist: the circuit has 1 classical bit, c[0]"),
        ("-1", '"-1" is not a classical bit: write c[0], c[0:1] or c'),
    ]:
        bit.fill(typed)
        inspector.get_by_role("button", name="Apply").click()
        assert err.is_visible() and err.inner_text() == message
        assert bit.get_attribute("aria-invalid") == "true"
        assert page.evaluate(f"{w}.editor.snapshot()") == before
    bit.fill("0")
    inspector.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        f"() => {w}.editor.model.items.find((it) => it.op === 'x')?.cond?.clbits[0] === 0",
        timeout=30_000,
    )
    assert err.is_hidden()
    assert page.evaluate(f"{w}.editor.model.c") == 1
