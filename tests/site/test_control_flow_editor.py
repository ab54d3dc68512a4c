"""The circuit editor shows OpenQASM 3 control flow as blocks and runs it in the browser
with the same counts as qtcore in CPython (issue 11).
"""

from __future__ import annotations

from typing import Any

import pytest

from qtcore import simulate
from qtcore.qasm import loads

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROGRAM = """OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
int[8] tries = 0;
h q[0];
c[0] = measure q[0];
while (c[0] == 0) {
  reset q[0];
  h q[0];
  c[0] = measure q[0];
  tries += 1;
}
if (tries > 1) { x q[1]; }
c[1] = measure q[1];
"""


def test_control_flow_from_openqasm_shows_as_blocks_and_runs(page: Any, base_url: str) -> None:
    page.goto(base_url + "sandbox/")
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors
    page.fill("#play .qt-qasm-text", PROGRAM)
    page.wait_for_function(
        "() => { const w = document.getElementById('play'); const m = w.editor.model;"
        " return !w.busy && m.items.some((it) => it.op === 'while')"
        " && w.lastResult && w.lastResult.numClbits === 2; }",
        timeout=120_000,
    )
    state = page.evaluate(
        "() => { const w = document.getElementById('play');"
        " return {result: w.lastResult, shots: w.shotsInput.value, seed: w.seedInput.value,"
        " ops: w.editor.model.items.map((it) => it.op), qasm: w.qasmText.value}; }"
    )
    assert "while" in state["ops"] and "if" in state["ops"] and "assign" in state["ops"]
    ref = simulate(loads(PROGRAM), int(state["shots"]), seed=int(state["seed"]))
    assert state["result"]["method"] == "branching"
    assert state["result"]["counts"] == ref.counts
    assert "while (" in state["qasm"] and state["qasm"].startswith("OPENQASM 3")
    block = page.locator("#play .qt-cell--block", has_text="WHILE").first
    assert "block: Enter opens it" in (block.get_attribute("aria-label") or "")
    # The while block's inspector shows its iteration cap and the body to open.
    block.click()
    inspector = page.locator("#play .qt-inspector")
    assert "at most 1000 passes" in inspector.inner_text()
    assert inspector.locator('button[data-body="body"]').inner_text() == "Edit body (4 ops)"
    # The if on a variable keeps its expression; the fields say where to change it.
    page.keyboard.press("Escape")
    page.locator("#play .qt-cell--block", has_text="IF").first.click()
    assert "condition tries > 1" in inspector.inner_text()
    assert "OpenQASM text" in inspector.inner_text()
