"""The site runs qtcore's application layer: defects 8, 11 and 12, and publishable runs.

* Defect 8: widgets showed raw Python errors (sweep shots = 0 -> ZeroDivisionError, points =
  "abc" -> TypeError), an empty speed box silently meant 0.9c, proper time had 2 digits.
* Defect 11: every edit of a circuit simulated twice (a ``frames`` then a ``run`` request).
* Defect 12: noise was reachable only through scenario files.
* Whatever the site publishes is a scenario that qtcore's loader accepts and re-runs to the
  same result (a circuit-editor run used to be rejected: ``title: missing``).

The browser's numbers are checked against qtcore run here in CPython.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from qtcore import Circuit, qasm, simulate
from qtcore.noise import NoiseModel
from qtcore.scenario import run_scenario, scenario_from_dict
from qtcore.wire import js_safe

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html.qt-ready", state="attached", timeout=60_000)
    assert not page.qt_errors, page.qt_errors


def _payload(page: Any, builder: str, widget: str) -> dict[str, Any]:
    """What the Publish button POSTs for ``widget`` (publish.js builds it; no registry needed)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """async ([builder, id]) => {
          const main = document.querySelector('script[src*="qt/js/main.js"]').src;
          const mod = await import(new URL("publish.js", main).href);
          const body = mod[builder](document.getElementById(id));
          return JSON.parse(JSON.stringify(body));
        }""",
        [builder, widget],
    )


def _sweep_error(page: Any, box: str, value: str) -> str:
    """Runs the sweep with ``box`` set to ``value``; the error of *that* run."""
    w = page.locator("#ry-sweep")
    w.locator(f'input[name="{box}"]').fill(value)
    w.get_by_role("button", name="Run sweep").click()
    page.wait_for_function(  # the run has ended (the button is enabled again) with an error
        """() => { const w = document.getElementById('ry-sweep');
          return !w.runBtn.disabled && !w.querySelector('.qt-error').hidden; }""",
        timeout=30_000,
    )
    return str(w.locator(".qt-error").inner_text())


def test_defect8_sweep_inputs_get_specific_messages(page: Any, base_url: str) -> None:
    open_page(page, base_url + "tutorials/measurement-noise/")
    text = _sweep_error(page, "shots", "0")
    assert "shots: must be >= 1 (a sweep estimates each probability from samples)" in text, text
    assert "ZeroDivisionError" not in text and "Traceback" not in text.split("\n")[0]
    page.locator('#ry-sweep input[name="shots"]').fill("400")
    text = _sweep_error(page, "num", "abc")
    assert "points: expected a whole number from 1 to 1000, got 'abc'" in text, text
    assert "TypeError" not in text
    assert page.locator("#ry-sweep .qt-sweep-table").is_hidden()


def test_defect8_sweep_runs_validated_inputs_like_cpython(page: Any, base_url: str) -> None:
    open_page(page, base_url + "tutorials/measurement-noise/")
    w = page.locator("#ry-sweep")
    w.locator('input[name="num"]').fill("5")
    w.get_by_role("button", name="Run sweep").click()
    page.wait_for_function(
        "document.getElementById('ry-sweep').result?.points.length === 5", timeout=60_000
    )
    reply = page.evaluate("document.getElementById('ry-sweep').result")
    # Each point's seed depends on its value (qtcore.sweep): re-run here from the document.
    again = run_scenario(scenario_from_dict(reply["scenario"]["document"]))
    # 63-bit point seeds travel as exact decimal strings (a JS number would round them).
    assert js_safe(again.outputs["table"]) == reply["result"]["outputs"]["table"]
    cells = w.locator(".qt-sweep-table tbody tr").first.locator("td").all_text_contents()
    assert cells[0] == "0" and cells[2] == f"{reply['points'][0]['estimate']['value']:.4f}"


def test_defect8_empty_speed_is_an_error_and_proper_time_has_digits(
    page: Any, base_url: str
) -> None:
    open_page(page, base_url + "relativity/special/")
    page.locator("#sr-speed").fill("0.6c")
    page.locator("#sr-duration").fill("1 day")
    page.wait_for_function(
        "Math.abs(document.getElementById('sr').result?.gamma - 1.25) < 1e-12", timeout=20_000
    )
    table = page.locator("#sr .qt-results").inner_text()
    assert "69120.0000000 s" in table, table  # 86400 s / 1.25, to 12 significant digits
    page.locator("#sr-speed").fill("")
    err = page.locator("#sr .qt-error")
    err.wait_for(state="visible", timeout=20_000)
    assert "relativity.speed: the text is empty: give a velocity" in err.inner_text()
    assert page.evaluate("document.getElementById('sr').result") is None


RECORD_REQUESTS = """() => {
  const rt = globalThis.qtRuntime;
  window.__qtRequests = [];
  const original = rt.request.bind(rt);
  rt.request = (type, payload, options) => {
    window.__qtRequests.push(type);
    return original(type, payload, options);
  };
}"""


def test_defect11_one_request_per_edit_gives_counts_and_frames(page: Any, base_url: str) -> None:
    open_page(page, base_url + "sandbox/")
    page.evaluate(RECORD_REQUESTS)
    w = page.locator("#play")
    w.locator('.qt-tool[data-tool="x"]').click()
    w.locator('.qt-cell[data-q="0"][data-t="0"]').click()
    page.wait_for_function(
        "document.getElementById('play').lastResult.counts['001'] === 1024", timeout=20_000
    )
    page.wait_for_timeout(500)  # any second request of the same edit would have been sent
    assert page.evaluate("window.__qtRequests") == ["run"]
    assert page.evaluate("document.getElementById('play').frames.length") == 2
    frame = page.evaluate("document.getElementById('play').frames[1].header")
    assert frame["opName"] == "x" and frame["numQubits"] == 3


def test_defect12_editor_noise_controls_use_qtcores_noise_model(page: Any, base_url: str) -> None:
    open_page(page, base_url)
    w = page.locator("#bell")
    w.locator(".qt-noise summary").click()
    w.get_by_role("button", name="+ Add noise channel").click()
    w.get_by_role("combobox", name="Noise channel").select_option("bit_flip")
    w.get_by_role("textbox", name="Noise strength").fill("0.25")
    w.get_by_role("textbox", name="On which qubits (indices, comma separated; empty: all)").fill(
        "1"
    )
    w.get_by_role("textbox", name="On which qubits (indices, comma separated; empty: all)").press(
        "Enter"
    )
    # Each edit re-runs: wait for the run of the finished entry (bit flip 0.25 on qubit 1).
    page.wait_for_function(
        """() => {
          const ch = document.getElementById('bell').lastScenario?.document.noise?.channels;
          return ch?.length === 1 && ch[0].type === 'bit_flip' && ch[0].p === 0.25
            && JSON.stringify(ch[0].qubits) === '[1]';
        }""",
        timeout=30_000,
    )
    res = page.evaluate("document.getElementById('bell').lastResult")
    noise = {"channels": [{"type": "bit_flip", "p": 0.25, "qubits": [1]}]}
    bell = Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1)
    ref = simulate(bell, 1024, seed=7, noise=NoiseModel.from_dict(noise))
    assert res["counts"] == ref.counts
    assert res["counts"].get("01", 0) + res["counts"].get("10", 0) > 150  # ~256 expected
    assert page.locator("#bell .qt-noise summary").inner_text() == "Noise: 1 channel"
    # A strength outside [0, 1] is qtcore's error, shown next to the editor.
    w.get_by_role("textbox", name="Noise strength").fill("2")
    w.get_by_role("textbox", name="Noise strength").press("Enter")
    err = w.locator(".qt-error").first
    err.wait_for(state="visible", timeout=20_000)
    assert "bit_flip: p must be in [0, 1], got 2.0" in err.inner_text()


def test_published_editor_run_reloads_and_reruns_in_qtcore(page: Any, base_url: str) -> None:
    open_page(page, base_url)
    body = _payload(page, "circuitRunPayload", "bell")
    sc = scenario_from_dict(body["scenario"], "published")  # title: missing no more
    assert body["scenarioName"] == sc.name == "bell" and body["seed"] == sc.seed == 7
    again = run_scenario(sc)
    assert again.outputs["counts"] == body["results"]["counts"]
    assert body["results"]["numQubits"] == 2 and "num_qubits" not in body["results"]
    ref_bell = qasm.loads(str(page.locator("#bell .qt-qasm-text").input_value()))
    probs = again.outputs["probabilities"]
    assert math.isclose(probs["00"], 0.5, rel_tol=1e-12) and ref_bell.num_qubits == 2


def test_published_scenario_and_sweep_runs_rerun_in_qtcore(page: Any, base_url: str) -> None:
    open_page(page, base_url + "tutorials/measurement-noise/")
    page.locator("#noisy").get_by_role("button", name="Run scenario").click()
    page.wait_for_function("document.getElementById('noisy').result", timeout=60_000)
    body = _payload(page, "scenarioRunPayload", "noisy")
    again = run_scenario(scenario_from_dict(body["scenario"], "published"))
    assert js_safe(json.loads(json.dumps(again.outputs))) == body["results"]["outputs"]
    assert body["results"]["passed"] is True
    w = page.locator("#ry-sweep")
    w.locator('input[name="num"]').fill("3")
    w.get_by_role("button", name="Run sweep").click()
    page.wait_for_function(
        "document.getElementById('ry-sweep').result?.points.length === 3", timeout=60_000
    )
    body = _payload(page, "sweepRunPayload", "ry-sweep")
    again = run_scenario(scenario_from_dict(body["scenario"], "published"))
    assert js_safe(again.outputs["table"]) == body["results"]["outputs"]["table"]
    assert [p["k"] for p in body["results"]["points"]] == [
        row[again.outputs["table"]["columns"].index("counts.1")] or 0
        for row in again.outputs["table"]["rows"]
    ]


def test_defect12_scenario_opened_in_the_editor_keeps_its_noise(page: Any, base_url: str) -> None:
    open_page(page, base_url + "sandbox/")
    page.locator("#open select").select_option("noisy_bell")
    page.locator("#open").get_by_role("button", name="Open").click()
    editor = "document.querySelector('#open qt-circuit')"
    page.wait_for_function(f"{editor}?.lastResult", timeout=60_000)
    res = page.evaluate(f"{editor}.lastResult")
    doc = page.evaluate(f"{editor}.lastScenario.document")
    from pathlib import Path

    from qtcore.scenario import load_scenario

    ref = load_scenario(str(Path(__file__).resolve().parents[2] / "scenarios/noisy_bell.toml"))
    assert NoiseModel.from_dict(doc["noise"]) == ref.noise()
    assert res["method"] == "branching"
    counts = simulate(ref.circuit(), ref.shots, seed=ref.seed, noise=ref.noise()).counts
    assert res["counts"] == counts
    assert page.locator("#open .qt-noise summary").inner_text() == "Noise: readout errors"
