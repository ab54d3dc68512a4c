"""The site in a Chromium without WebAssembly SIMD: the pure-Python kernel runs, and says so.

V8 compiles WebAssembly SIMD on x64 only where the CPU has SSE4.1; ``--no-enable-sse4-1``
makes this Chromium behave as on such a CPU (``WebAssembly.validate`` refuses SIMD modules,
compiling one throws "Wasm SIMD unsupported"), so qtcore's kernel module cannot load, in the
page or in its worker. The first test checks that the flag still has that effect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from qtcore import qasm, simulate
from tests.site.conftest import CHROMIUM, LAUNCH_ARGS
from tests.site.test_site import BELL_QASM, _random_qasm, open_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NO_SIMD = "--js-flags=--no-enable-sse4-1"
# (module (func (result v128) (v128.const i32x4 0 0 0 0)))
SIMD_MODULE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0]
SIMD_MODULE += [253, 12, *[0] * 16, 11]


@pytest.fixture(scope="module")
def page(browser: Any, requests_seen: list[str]) -> Iterator[Any]:
    """A page of a Chromium started without WebAssembly SIMD.

    Launched through the session's Playwright (the ``browser`` fixture's): a second
    ``sync_playwright()`` in the same thread refuses to start while that one runs.
    """
    no_simd = browser.browser_type.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, NO_SIMD])
    try:
        ctx = no_simd.new_context(viewport={"width": 1200, "height": 1000})
        ctx.on("request", lambda r: requests_seen.append(r.url))
        pg = ctx.new_page()
        pg.qt_errors = []
        pg.on("pageerror", lambda e: pg.qt_errors.append(str(e)))
        yield pg
    finally:
        no_simd.close()


def test_this_chromium_really_lacks_wasm_simd(page: Any) -> None:
    page.goto("about:blank")
    assert page.evaluate(f"WebAssembly.validate(new Uint8Array({SIMD_MODULE}))") is False
    assert page.evaluate("WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))")


def test_without_simd_the_page_runs_the_python_kernel_and_says_why(
    page: Any, base_url: str
) -> None:
    open_page(page, base_url)
    info = page.evaluate("globalThis.qtRuntime.info")
    assert info["kernel"] == "python"
    assert "WebAssembly SIMD" in info["kernels"]["wasm"]
    # The visible note, in each widget's status line: which kernel runs and why not wasm.
    status = page.locator("#bell .qt-status")
    assert status.is_visible()
    text = status.inner_text()
    assert "pure-Python kernel" in text and "slower" in text and "WebAssembly SIMD" in text
    # The Bell widget ran on it, with CPython's counts for the same seed.
    result = page.evaluate("document.getElementById('bell').lastResult")
    bell = qasm.loads(BELL_QASM)
    assert result["kernel"] == "python"
    assert result["counts"] == simulate(bell, shots=1024, seed=7, backend="python").counts
    counts_text = page.locator("#bell .qt-counts-text").inner_text()
    assert "python kernel" in counts_text


def test_without_simd_a_wide_run_gives_cpython_counts_and_frames(page: Any, base_url: str) -> None:
    open_page(page, base_url)
    text, circuit = _random_qasm(10, 30, seed=9)
    reply = page.evaluate(
        f"""globalThis.qtRuntime.request("run",
            {{qasm: {json.dumps(text)}, shots: 300, seed: 5, frames: true}})"""
    )
    got = reply["result"]
    assert got["kernel"] == "python"
    assert got["counts"] == simulate(circuit, shots=300, seed=5, backend="python").counts
    assert reply["frames"]["count"] == len(circuit.instructions) + 1
