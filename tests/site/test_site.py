"""End-to-end tests of the built site in Debian's Chromium (Playwright, Python API).

The browser's numbers are checked against qtcore run here in CPython: same seed, same counts;
same GPS inputs, same microseconds per day.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from qtcore import Circuit, simulate
from qtcore.relativity import gps_clock_offsets

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BELL_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];"""


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors


def js(page: Any, expr: str) -> Any:
    return page.evaluate(expr)


def test_bell_page_counts_equal_cpython(page: Any, base_url: str) -> None:
    open_page(page, base_url)
    result = js(page, "document.getElementById('bell').lastResult")
    bell = Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1)
    expected = simulate(bell, shots=1024, seed=7, backend="python").counts
    assert result["counts"] == expected
    assert result["seed"] == 7 and result["shots"] == 1024
    # The widget says which kernel ran: Chromium compiles WebAssembly SIMD, so the wasm one.
    status = page.locator("#bell .qt-status").inner_text()
    assert result["kernel"] == "wasm"
    assert "WebAssembly SIMD kernel" in status and "slower" not in status
    # Frames arrived as a binary stream and decode to 1 + 4 steps.
    assert js(page, "document.getElementById('bell').frames.length") == 5


WIDE_QASM_HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def _random_qasm(n: int, size: int, seed: int) -> tuple[str, Circuit]:
    """A seeded random circuit with a mid-circuit measurement, as QASM and as a Circuit."""
    import random

    rng = random.Random(seed)
    c = Circuit(n, n)
    lines = [WIDE_QASM_HEADER + f"qreg q[{n}];\ncreg c[{n}];"]
    for i in range(size):
        kind = rng.choice(["h", "rx", "cx", "cp", "t", "swap", "ccx"])
        qs = rng.sample(range(n), {"cx": 2, "cp": 2, "swap": 2, "ccx": 3}.get(kind, 1))
        theta = round(rng.uniform(-3, 3), 6)
        args = ", ".join(f"q[{q}]" for q in qs)
        if kind in ("rx", "cp"):
            lines.append(f"{kind}({theta}) {args};")
            getattr(c, kind)(theta, *qs)
        else:
            lines.append(f"{kind} {args};")
            getattr(c, kind)(*qs)
        if i == size // 2:
            lines.append("measure q[0] -> c[0];")
            c.measure(0, 0)
    lines += [f"measure q[{q}] -> c[{q}];" for q in range(n)]
    c.measure(list(range(n)), list(range(n)))
    return "\n".join(lines), c


def test_wasm_kernel_counts_and_frames_equal_cpython_at_12_qubits(page: Any, base_url: str) -> None:
    """The page runs the WebAssembly kernel; its counts are CPython's pure-Python counts."""
    open_page(page, base_url)
    qasm, circuit = _random_qasm(12, 60, seed=4)
    reply = js(
        page,
        f"""globalThis.qtRuntime.request("run",
            {{qasm: {json.dumps(qasm)}, shots: 500, seed: 11, frames: true}})""",
    )
    got = reply["result"]
    assert got["kernel"] == "wasm"
    want = simulate(circuit, shots=500, seed=11, backend="python")
    assert got["counts"] == want.counts
    assert reply["frames"]["count"] == len(circuit.instructions) + 1


def test_qubit_limit_is_stated_before_running(page: Any, base_url: str) -> None:
    """One limit from the kernel's memory: the QASM box refuses a wider register by name."""
    open_page(page, base_url + "sandbox/")
    info = js(page, "globalThis.qtRuntime.info")
    limit = info["maxQubits"]
    assert 10 <= limit <= 27 and "WebAssembly" in info["maxQubitsReason"]
    wide = WIDE_QASM_HEADER + f"qreg q[{limit + 1}];\nh q[{limit}];\n"
    page.locator("#play .qt-qasm-text").fill(wide)
    err = page.locator("#play .qt-qasm-error")
    err.wait_for(state="visible", timeout=30_000)
    assert f"the circuit has {limit + 1} qubits; at most {limit} qubits" in err.inner_text()


def test_editor_runs_at_the_qubit_limit_and_refuses_one_more_before_running(
    page: Any, base_url: str
) -> None:
    """The limit is real (a circuit that wide runs here) and the editor's "+ qubit" names it
    beforehand and refuses past it without sending a run."""
    open_page(page, base_url + "sandbox/")
    info = js(page, "globalThis.qtRuntime.info")
    limit, why = info["maxQubits"], info["maxQubitsReason"]
    add = page.locator("#play").get_by_role("button", name="+ qubit")
    assert add.get_attribute("title") == f"Add a qubit ({why})"
    page.locator("#play .qt-qasm-text").fill(WIDE_QASM_HEADER + f"qreg q[{limit}];\nx q[0];\n")
    page.wait_for_function(
        f"document.getElementById('play').lastResult?.numQubits === {limit}", timeout=240_000
    )
    js(
        page,
        """(() => { const rt = globalThis.qtRuntime, request = rt.request.bind(rt);
        window.__qtRuns = 0;
        rt.request = (type, payload) => { if (type === "run") window.__qtRuns++;
          return request(type, payload); }; })()""",
    )
    add.focus()
    page.keyboard.press("Enter")
    hint = page.locator("#play .qt-edit-row .qt-hint")
    want = f"qubits must stay between 1 and {limit} (asked {limit + 1}): {why}"
    page.wait_for_function(
        "(want) => document.querySelector('#play .qt-edit-row .qt-hint').textContent === want",
        arg=want,
    )
    assert hint.is_visible()
    page.wait_for_timeout(500)  # past the editor's 120 ms debounce
    assert js(page, "window.__qtRuns") == 0
    assert js(page, "document.getElementById('play').lastResult.numQubits") == limit


def test_grid_edit_changes_qasm_and_results(page: Any, base_url: str) -> None:
    open_page(page, base_url + "sandbox/")
    w = page.locator("#play")
    assert js(page, "document.getElementById('play').lastResult.counts") == {"000": 1024}
    w.locator('.qt-tool[data-tool="x"]').click()
    w.locator('.qt-cell[data-q="0"][data-t="0"]').click()
    page.wait_for_function(
        "document.getElementById('play').lastResult.counts['001'] === 1024", timeout=20_000
    )
    assert "x q[0];" in w.locator(".qt-qasm-text").input_value()
    # A two-qubit gate: control then target in one column.
    w.locator('.qt-tool[data-tool="cx"]').click()
    w.locator('.qt-cell[data-q="0"][data-t="1"]').click()
    w.locator('.qt-cell[data-q="2"][data-t="1"]').click()
    page.wait_for_function(
        "document.getElementById('play').lastResult.counts['101'] === 1024", timeout=20_000
    )
    assert "cx q[0], q[2];" in w.locator(".qt-qasm-text").input_value()
    # Undo removes the CX again.
    w.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "document.getElementById('play').lastResult.counts['001'] === 1024", timeout=20_000
    )


def test_qasm_edit_updates_grid_and_bad_qasm_is_positioned(page: Any, base_url: str) -> None:
    open_page(page, base_url + "sandbox/")
    w = page.locator("#play")
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q[1];\n'
    w.locator(".qt-qasm-text").fill(text)
    page.wait_for_function(
        "document.getElementById('play').lastResult.counts['10'] === 1024", timeout=20_000
    )
    assert w.locator('.qt-cell[data-q="1"][data-t="0"] .qt-cell__sym').inner_text() == "X"
    w.locator(".qt-qasm-text").fill(text + "h q[0]\ncx q[0], q[1];\n")
    err = w.locator(".qt-qasm-error")
    err.wait_for(state="visible", timeout=20_000)
    message = err.inner_text()
    assert "line 7, column 1" in message, message
    assert "^" in message


def test_player_play_pause_scrub_highlights_step(page: Any, base_url: str) -> None:
    open_page(page, base_url)
    w = page.locator("#bell")
    index = "document.getElementById('bell').frameIndex"
    assert js(page, index) == 4  # the final frame is shown after a run
    w.get_by_role("button", name="First frame").click()
    assert js(page, index) == 0
    assert w.locator(".qt-current").count() == 0  # initial state: nothing highlighted
    w.get_by_role("combobox", name="Playback speed (frames per second)").select_option("2")
    w.get_by_role("button", name="Play").click()
    page.wait_for_function(f"{index} >= 1", timeout=10_000)
    w.get_by_role("button", name="Pause").click()
    paused_at = js(page, index)
    page.wait_for_timeout(1200)
    assert js(page, index) == paused_at
    # Scrub to frame 2: the op just applied is cx (step 1), highlighted on both qubits.
    w.locator(".qt-scrub").fill("2")
    assert js(page, index) == 2
    assert "cx q[0], q[1]" in w.locator(".qt-frame-label").inner_text()
    current = w.locator(".qt-cell.qt-current")
    assert current.count() == 2
    assert {current.nth(i).get_attribute("data-t") for i in range(2)} == {"1"}
    w.get_by_role("button", name="Next frame").click()
    assert js(page, index) == 3
    # Bloch vectors at frame 2 (Bell state) have length 0: both qubits maximally entangled.
    w.locator(".qt-scrub").fill("2")
    bloch = js(page, "Array.from(document.getElementById('bell').frames[2].arrays.bloch)")
    assert max(abs(x) for x in bloch) < 1e-12


def test_gps_calculator_matches_qtcore(page: Any, base_url: str) -> None:
    open_page(page, base_url + "relativity/gps/")
    result = js(page, "document.getElementById('gps').result")
    ref = gps_clock_offsets(altitude=20_200e3)
    assert math.isclose(result["net_us_per_day"], ref.net_us_per_day, rel_tol=1e-12)
    assert math.isclose(result["sr_us_per_day"], ref.sr_us_per_day, rel_tol=1e-12)
    assert f"{ref.net_us_per_day:.4f} μs/day" in page.locator("#gps .qt-results").inner_text()
    page.locator("#gps-altitude").fill("1.2e4 km")
    page.wait_for_function(
        "Math.abs(document.getElementById('gps').result.orbit_radius - 18371008.8) < 1",
        timeout=20_000,
    )
    result = js(page, "document.getElementById('gps').result")
    ref = gps_clock_offsets(altitude=12_000e3)
    assert math.isclose(result["net_us_per_day"], ref.net_us_per_day, rel_tol=1e-12)
    # Bad input: the error says what is wrong, next to the widget.
    page.locator("#gps-altitude").fill("12 parsecs per fortnight")
    err = page.locator("#gps .qt-error")
    err.wait_for(state="visible", timeout=20_000)
    # qtcore's scenario calculator names the field and the units it allows.
    text = err.inner_text()
    assert "gps: relativity.altitude: unit 'parsecs per fortnight'" in text, text
    assert "allowed length units: m, mm, cm, km" in text
    assert err.locator("details summary").inner_text() == "Python traceback"


def test_shared_url_reproduces_view(page: Any, context: Any, base_url: str) -> None:
    open_page(page, base_url + "sandbox/")
    w = page.locator("#play")
    w.locator('.qt-tool[data-tool="h"]').click()
    w.locator('.qt-cell[data-q="1"][data-t="0"]').click()
    page.wait_for_function(
        "Object.keys(document.getElementById('play').lastResult.counts).length === 2",
        timeout=20_000,
    )
    w.locator('input[aria-label="Seed"]').fill("99")
    w.locator('input[aria-label="Seed"]').press("Tab")  # commits the change event
    page.wait_for_function("document.getElementById('play').lastResult.seed === 99")
    w.locator(".qt-scrub").fill("0")
    page.wait_for_timeout(400)  # the URL is written 200 ms after the last scrub
    url = page.url
    assert "#qt-play=" in url
    view = js(
        page,
        "(() => { const w = document.getElementById('play');"
        " return {qasm: w.querySelector('.qt-qasm-text').value, frame: w.frameIndex,"
        " counts: w.lastResult.counts, seed: w.lastResult.seed}; })()",
    )
    other = context.new_page()
    other.qt_errors = []
    open_page(other, url)
    copy = js(
        other,
        "(() => { const w = document.getElementById('play');"
        " return {qasm: w.querySelector('.qt-qasm-text').value, frame: w.frameIndex,"
        " counts: w.lastResult.counts, seed: w.lastResult.seed}; })()",
    )
    assert copy == view
    assert view["frame"] == 0 and view["seed"] == 99


def test_quirk_link_imports_and_names_unknown_gates(page: Any, base_url: str) -> None:
    quirk = json.dumps({"cols": [["H"], ["•", "X"], ["Measure", "Measure"]]})
    open_page(page, base_url + "tutorials/circuits/#circuit=" + quirk)
    counts = js(page, "document.getElementById('ghz').lastResult.counts")
    assert set(counts) == {"00", "11"}
    w = page.locator("#ghz")
    w.locator("details.qt-quirk summary").click()
    w.locator(".qt-quirk-input").fill('#circuit={"cols":[["H","QFT3"],["◦","X"]]}')
    w.get_by_role("button", name="Import").click()
    msg = w.locator("details.qt-quirk .qt-error").inner_text()
    assert "QFT3" in msg and "◦" in msg and "Nothing was imported" in msg


def test_cancel_long_run_restarts_worker(page: Any, base_url: str) -> None:
    open_page(page, base_url + "tutorials/measurement-noise/")
    w = page.locator("#teleport")
    shots = w.locator('input[aria-label="Shots"]')
    shots.fill("5000000")
    w.get_by_role("button", name="Run").click()
    page.wait_for_function("document.getElementById('teleport').hasAttribute('busy')")
    page.wait_for_timeout(1000)  # really inside the long Python run now
    # The page stays responsive while the worker computes.
    assert js(page, "1 + 1") == 2
    w.get_by_role("button", name="Cancel").click()
    assert "cancelled" in w.locator(".qt-error").first.inner_text().lower()
    assert js(page, "globalThis.qtRuntime.restarts") == 1
    shots.fill("100")
    w.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "(() => { const r = document.getElementById('teleport').lastResult;"
        " return r && r.shots === 100; })()",
        timeout=30_000,
    )


def test_screenshots_light_and_dark(browser: Any, base_url: str, requests_seen: list[str]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": "",
        "circuits": "tutorials/circuits/",
        "gps": "relativity/gps/",
        "sandbox": "sandbox/",
        "gates": "reference/gates/",
        "bell-scenario": "scenarios/bell/",
    }
    for scheme in ("light", "dark"):
        ctx = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme=scheme)
        ctx.on("request", lambda r: requests_seen.append(r.url))
        pg = ctx.new_page()
        pg.qt_errors = []
        pg.on("pageerror", lambda e, errs=pg.qt_errors: errs.append(str(e)))
        for name, path in pages.items():
            open_page(pg, base_url + path)
            pg.screenshot(path=str(ARTIFACTS / f"{name}-{scheme}.png"), full_page=True)
        ctx.close()
    print(f"\nscreenshots saved in {ARTIFACTS}")
    assert len(list(ARTIFACTS.glob("*.png"))) >= 2 * len(pages)


def test_no_request_left_the_local_server(requests_seen: list[str], base_url: str) -> None:
    """Runs last in this module: the whole session stayed on 127.0.0.1."""
    assert requests_seen, "no request was recorded: the other tests did not run"
    local = urlsplit(base_url).netloc
    foreign = sorted({u for u in requests_seen if urlsplit(u).netloc not in (local, "")})
    foreign = [u for u in foreign if not u.startswith(("data:", "blob:"))]
    assert foreign == []


def test_a_second_build_finds_the_site_up_to_date(site_dir: Path) -> None:
    """Rebuilding an unchanged tree must not rewrite ``public/``.

    Each pytest worker runs the site build; when the wheel build rewrote the wasm kernel
    (a new mtime in ``qtcore/``), the second worker rebuilt ``public/`` while the first
    served it, and a page answered 404 mid-test.
    """
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    before = (site_dir / ".qt-build.json").stat().st_mtime_ns
    proc = subprocess.run(
        [sys.executable, str(root / "build" / "build_site.py")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "is up to date" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert (site_dir / ".qt-build.json").stat().st_mtime_ns == before
