"""Building control-flow blocks in the circuit editor with the keyboard alone (issue 11):
an if block and a for loop, run in the browser with the counts CPython's qtcore gives for
the same circuit and seed, round trips through the OpenQASM box and a shared link, and
bad input refused beside its field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_defects import CONTRAST

from qtcore import Circuit, simulate
from qtcore.qasm import loads

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

W = "document.getElementById('play')"
STATE = f"""() => {{ const w = {W};
  return {{circuit: w.editor.snapshot(), result: w.lastResult,
    shots: w.shotsInput.value, seed: w.seedInput.value, qasm: w.qasmText.value,
    ops: w.editor.model.items.map((it) => it.op), busy: w.busy}}; }}"""

# The circuit the keyboard builds below, written by hand: the independent reference.
EXPECTED = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
c[0] = measure q[0];
if (c[0] == 1) { x q[1]; }
for int i in [0:1:2] { rx(pi/2) q[2]; }
c[1] = measure q[1];
c[2] = measure q[2];
"""


def tab_to(page: Any, selector: str, back: bool = False, limit: int = 150) -> None:
    """Press Tab (Shift+Tab) until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    pytest.fail(f"{'Shift+' if back else ''}Tab never reached {selector}")


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.getAttribute('aria-label') || ''"))


def type_into_focused(page: Any, text: str) -> None:
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def pick_tool(page: Any, tool: str) -> None:
    """From the grid: Shift+Tab to the palette (one tab stop), → to the tool, Enter, Tab back
    to the grid."""
    tab_to(page, "#play .qt-tool", back=True)
    for _ in range(80):
        if page.evaluate("document.activeElement.dataset.tool") == tool:
            break
        page.keyboard.press("ArrowRight")
    else:
        pytest.fail(f"→ in the palette never reached {tool}")
    page.keyboard.press("Enter")
    tab_to(page, "#play .qt-cell")


def settle(page: Any, clbits: int) -> dict[str, Any]:
    page.wait_for_function(
        f"() => {{ const w = {W}; return !w.busy && w.lastResult"
        f" && w.lastResult.numClbits === {clbits} && !w.error.textContent; }}",
        timeout=120_000,
    )
    page.wait_for_timeout(400)  # a debounced refresh may still be due
    page.wait_for_function(f"() => !{W}.busy", timeout=120_000)
    return dict(page.evaluate(STATE))


def editor_dict(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            f"""async () => {{
              const main = document.querySelector('script[src*="qt/js/main.js"]').src;
              const m = await import(main.replace(/main\\.js.*$/, 'circuit-model.js'));
              return m.toDict({W}.editor.model); }}"""
        )
    )


def open_sandbox(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors


def build_if_and_for(page: Any) -> None:
    """H and measure on q0, an if (c[0] == 1) with X on q1, a for loop of three RX(pi/2)
    on q2, then measure q2 and q1: keyboard only."""
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")  # to the grid, cell (0, 0)
    page.keyboard.press("Enter")  # the default tool, H, on q0
    pick_tool(page, "measure")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # measure q0 -> c0
    pick_tool(page, "if")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # the if block at step 2; focus goes to its fields
    assert focused(page) == "Condition bits"
    tab_to(page, '#play .qt-inspector button[data-body="then"]')
    page.keyboard.press("Enter")
    assert "if (c[0] == 1)" in page.locator("#play .qt-scope-bar").inner_text()
    pick_tool(page, "x")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # X on q1, in the then body
    page.keyboard.press("Escape")  # back to the circuit, the if block selected
    assert page.locator("#play .qt-scope-bar").is_hidden()
    pick_tool(page, "rx")
    page.keyboard.press("ArrowRight")  # (1, 3)
    pick_tool(page, "for")
    page.keyboard.press("Enter")  # the for block at step 3
    assert focused(page) == "Loop variable"
    tab_to(page, '#play .qt-inspector input[aria-label="Range stop (included)"]')
    type_into_focused(page, "2")
    page.keyboard.press("Enter")  # apply
    assert "for int i in [0:1:2]" in page.locator("#play .qt-inspector").inner_text()
    tab_to(page, '#play .qt-inspector button[data-body="body"]')
    page.keyboard.press("Enter")
    pick_tool(page, "rx")  # the angle field keeps pi/2
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # RX(pi/2) on q2 in the loop body
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")  # close the for block's inspector
    pick_tool(page, "measure")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # measure q2 -> c2 at step 4
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # measure q1 -> c1 at step 4


def test_keyboard_builds_an_if_and_a_for_loop_with_cpython_counts(page: Any, base_url: str) -> None:
    open_sandbox(page, base_url + "sandbox/")
    build_if_and_for(page)
    state = settle(page, 3)
    assert not page.qt_errors, page.qt_errors
    d = editor_dict(page)
    assert [op["op"] for op in d["ops"]] == ["h", "measure", "if", "for", "measure", "measure"]
    assert d["ops"][2]["block"]["then"] == [{"op": "x", "qubits": [1]}]
    assert d["ops"][3]["block"]["range"] == [{"const": 0}, {"const": 1}, {"const": 2}]
    assert d["ops"][3]["block"]["body"] == [{"op": "rx", "qubits": [2], "params": ["pi/2"]}]
    shots, seed = int(state["shots"]), int(state["seed"])
    counts = state["result"]["counts"]
    # CPython's qtcore on what the editor sent, and on the hand-written program.
    assert simulate(Circuit.from_dict(d), shots, seed=seed).counts == counts
    assert simulate(loads(EXPECTED, blocks=True), shots, seed=seed).counts == counts
    # The OpenQASM box holds the blocks; read back, it is the same circuit.
    qasm = state["qasm"]
    assert "if (c[0] == 1) {" in qasm and "for int i in [0:1:2] {" in qasm
    assert loads(qasm, blocks=True) == loads(EXPECTED, blocks=True), qasm

    # Back from the OpenQASM box: an edit of the text rebuilds the grid with its blocks.
    page.focus("#play .qt-qasm-text")
    page.keyboard.press("Control+End")
    page.keyboard.type("// edited\n")
    page.wait_for_function(
        f"() => {W}.editor.undoStack.length > 0 && {W}.qasmText.value.includes('edited')"
    )
    page.wait_for_timeout(900)  # the box's debounce, then the run
    back = settle(page, 3)
    assert back["ops"] == ["h", "measure", "if", "for", "measure", "measure"]
    assert back["result"]["counts"] == counts
    d_back = editor_dict(page)
    assert d_back["ops"][2]["block"]["then"] == [{"op": "x", "qubits": [1]}]

    # A link reproduces it: same blocks, same counts.
    url = page.url
    assert "#qt-play=" in url
    other = page.context.new_page()
    other.qt_errors = []
    open_sandbox(other, url)
    again = settle(other, 3)
    assert again["ops"] == back["ops"]
    assert editor_dict(other) == d_back
    assert again["result"]["counts"] == counts
    other.close()

    # Undo by keyboard takes the edits back one by one, inside blocks too: the OpenQASM
    # edit, the two measurements, the loop body's RX, the loop's range.
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")
    ops = f"{W}.editor.model.items.map((it) => it.op)"
    loop = f"{W}.editor.model.items.find((it) => it.op === 'for')"
    for expected in (6, 5, 4):
        page.keyboard.press("Control+z")
        assert len(page.evaluate(ops)) == expected
    assert page.evaluate(ops) == ["h", "measure", "if", "for"]
    assert page.evaluate(f"{loop}.bodies.body.length") == 1
    page.keyboard.press("Control+z")
    assert page.evaluate(f"{loop}.bodies.body.length") == 0
    assert page.evaluate(f"{loop}.ctl.range[2].const") == 2
    page.keyboard.press("Control+z")
    assert page.evaluate(f"{loop}.ctl.range[2].const") == 1


def test_bad_block_input_is_refused_beside_its_field(page: Any, base_url: str) -> None:
    open_sandbox(page, base_url + "sandbox/")
    page.fill(
        "#play .qt-qasm-text",
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[1] c;\nh q[0];\n'
        "c[0] = measure q[0];\nif (c[0] == 1) {\n  x q[1];\n}\n"
        "for int i in [0:1] {\n  h q[1];\n}\n",
    )
    page.wait_for_function(
        f"() => {{ const w = {W}; return !w.busy && w.editor.model.items.length === 4; }}",
        timeout=120_000,
    )
    before = page.evaluate(f"{W}.editor.snapshot()")
    undo_depth = page.evaluate(f"{W}.editor.undoStack.length")
    page.locator("#play .qt-cell--block", has_text="IF").first.click()
    inspector = page.locator("#play .qt-inspector")
    bits = inspector.locator('input[aria-label="Condition bits"]')
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Condition bits"

    def refused(field: Any, text: str, message: str) -> None:
        field.focus()
        type_into_focused(page, text)
        page.keyboard.press("Enter")
        err_id = field.get_attribute("aria-describedby")
        err = page.locator(f"#{err_id}")
        assert err.is_visible()
        assert err.inner_text() == message
        assert field.get_attribute("aria-invalid") == "true"
        assert page.evaluate(f"{W}.editor.snapshot()") == before  # nothing changed
        assert page.evaluate(f"{W}.editor.undoStack.length") == undo_depth

    refused(bits, "c[5]", "c[5] does not exist: the circuit has 1 classical bit, c[0]")
    refused(bits, "q[0]", '"q[0]" is not a classical bit: write c[0], c[0:1] or c')
    bits.focus()
    type_into_focused(page, "c[0]")
    value = inspector.locator('input[aria-label="Condition value"]')
    refused(value, "2", "2 is out of range for 1 bit: use 0–1")
    # The message is readable in dark mode at the largest text size.
    page.emulate_media(color_scheme="dark")
    page.evaluate("document.body.dataset.mdColorScheme = 'slate'")
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    err = page.locator(f"#{value.get_attribute('aria-describedby')}")
    assert err.evaluate(CONTRAST) >= 4.5
    box = err.bounding_box()
    assert box is not None and box["width"] <= page.viewport_size["width"]
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.keyboard.press("Escape")

    page.locator("#play .qt-cell--block", has_text="FOR").first.click()
    stop = inspector.locator('input[aria-label="Range stop (included)"]')
    refused(stop, "-1", "the range [0:1:-1] is empty: with step 1 the stop must be ≥ 0")
    step = inspector.locator('input[aria-label="Range step"]')
    stop.focus()
    type_into_focused(page, "1")
    refused(step, "0", "the step must not be 0")
    # A good value goes through and can be undone.
    step.focus()
    type_into_focused(page, "1")
    stop.focus()
    type_into_focused(page, "3")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {W}.editor.undoStack.length === {undo_depth + 1}")
    assert "for int i in [0:1:3]" in inspector.inner_text()
    page.keyboard.press("Escape")
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+z")
    assert page.evaluate(f"{W}.editor.snapshot()") == before
    assert json.loads(before)["path"] == []


def test_keyboard_builds_a_while_loop_and_a_switch(page: Any, base_url: str) -> None:
    """Repeat until q0 reads 0 (a while on the measured bit, its cap shown), then a switch
    on that bit whose case 0 flips q1: every shot ends with c = 10."""
    open_sandbox(page, base_url + "sandbox/")
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # H on q0
    pick_tool(page, "measure")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # measure q0 -> c0
    pick_tool(page, "while")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # while (c[0] == 1) at step 2
    inspector = page.locator("#play .qt-inspector")
    assert "at most 1000 passes" in inspector.inner_text()
    tab_to(page, '#play .qt-inspector button[data-body="body"]')
    page.keyboard.press("Enter")
    pick_tool(page, "h")
    page.keyboard.press("Enter")  # H on q0 in the loop
    pick_tool(page, "measure")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # measure q0 -> c0 in the loop
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    pick_tool(page, "switch")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # switch (c[0]) at step 3
    assert focused(page) == "Switch bits"
    tab_to(page, '#play .qt-inspector button[data-body="case0"]')
    page.keyboard.press("Enter")
    pick_tool(page, "x")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # X on q1 in case 0
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    pick_tool(page, "measure")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # measure q1 -> c1
    state = settle(page, 2)
    assert not page.qt_errors, page.qt_errors
    d = editor_dict(page)
    assert [op["op"] for op in d["ops"]] == ["h", "measure", "while", "switch", "measure"]
    shots, seed = int(state["shots"]), int(state["seed"])
    counts = state["result"]["counts"]
    assert counts == {"10": shots}  # the exact outcome
    assert simulate(Circuit.from_dict(d), shots, seed=seed).counts == counts
    qasm = state["qasm"]
    assert "while (c[0] == 1) {" in qasm and "switch (c[0]) {" in qasm
    assert simulate(loads(qasm, blocks=True), shots, seed=seed).counts == counts


def test_keyboard_moves_removes_and_pastes_gates_in_a_body(page: Any, base_url: str) -> None:
    """Inside an if block's body: Alt+→ moves a gate past another, Delete removes one, and a
    gate cut from the circuit (Ctrl+X) is pasted into the body (Ctrl+V)."""
    open_sandbox(page, base_url + "sandbox/")
    page.fill(
        "#play .qt-qasm-text",
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\n'
        "c[0] = measure q[0];\nif (c[0] == 1) {\n  x q[1];\n  h q[1];\n}\ny q[1];\n"
        "c[1] = measure q[1];\n",
    )
    page.wait_for_function(
        f"() => {{ const w = {W}; return !w.busy && w.editor.model.items.length === 5; }}",
        timeout=120_000,
    )

    def then_body() -> list[list[Any]]:
        d = editor_dict(page)
        block = next(op for op in d["ops"] if op["op"] == "if")
        return [[op["op"], op["qubits"]] for op in block["block"]["then"]]

    assert then_body() == [["x", [1]], ["h", [1]]]
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # the if block's fields
    tab_to(page, '#play .qt-inspector button[data-body="then"]')
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")  # (1, 0): the X
    page.keyboard.press("Alt+ArrowRight")
    assert then_body() == [["h", [1]], ["x", [1]]]
    page.keyboard.press("Delete")  # the X, now at step 1
    assert then_body() == [["h", [1]]]
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")  # (1, 3): the Y after the block
    assert "y" in focused(page)
    page.keyboard.press("Control+x")
    assert [op["op"] for op in editor_dict(page)["ops"]] == ["h", "measure", "if", "measure"]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    tab_to(page, '#play .qt-inspector button[data-body="then"]')
    page.keyboard.press("Enter")  # the body's grid, focus on (1, 0)
    page.keyboard.press("Control+v")
    assert then_body() == [["y", [1]], ["h", [1]]]
    page.keyboard.press("Escape")
    state = settle(page, 2)
    d = editor_dict(page)
    shots, seed = int(state["shots"]), int(state["seed"])
    assert simulate(Circuit.from_dict(d), shots, seed=seed).counts == state["result"]["counts"]
    ref = loads(
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\n'
        "c[0] = measure q[0];\nif (c[0] == 1) {\n  y q[1];\n  h q[1];\n}\n"
        "c[1] = measure q[1];\n",
        blocks=True,
    )
    assert simulate(ref, shots, seed=seed).counts == state["result"]["counts"]
    page.focus("#play .qt-skip")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+z")  # the paste
    assert then_body() == [["h", [1]]]
