"""The same scenarios and seeds give the same results in CPython and in Pyodide.

Runs ``scenario_digest.py`` here and under the pinned Pyodide in Node.js (both on the
pure-Python kernel), then compares: counts, samples, classical bits and every other
non-float value must be identical; floats must agree to 1e-12 (the two interpreters'
libm may round ``sin``/``exp`` differently in the last place). Text that quotes floats
(a check's ``detail``, say) must be identical apart from those floats, which must agree
to 1e-12 as well.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.pyodide,
    pytest.mark.skipif(sys.platform == "emscripten", reason="launches Pyodide from CPython"),
]


def _digest(cmd: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QTCORE_KERNEL="python")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a))


def _same_text(x: str, y: str) -> bool:
    """Equal, or equal apart from quoted floats that agree to 1e-12."""
    if x == y:
        return True
    if _FLOAT.split(x) != _FLOAT.split(y):
        return False
    xs, ys = _FLOAT.findall(x), _FLOAT.findall(y)
    return all(_close(float(a), float(b)) for a, b in zip(xs, ys, strict=True))


def _compare(x: object, y: object, path: str, diffs: list[str]) -> None:
    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            diffs.append(f"{path}: keys differ {sorted(set(x) ^ set(y))}")
            return
        for k in x:
            _compare(x[k], y[k], f"{path}.{k}", diffs)
    elif isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            diffs.append(f"{path}: lengths {len(x)} != {len(y)}")
            return
        for i, (a, b) in enumerate(zip(x, y, strict=True)):
            _compare(a, b, f"{path}[{i}]", diffs)
    elif isinstance(x, float) and isinstance(y, float):
        if not _close(x, y):
            diffs.append(f"{path}: {x!r} != {y!r}")
    elif isinstance(x, str) and isinstance(y, str):
        if not _same_text(x, y):
            diffs.append(f"{path}: {x!r} != {y!r}")
    elif x != y:
        diffs.append(f"{path}: {x!r} != {y!r}")


def test_cross_interpreter_scenarios_and_frames_agree() -> None:
    node = shutil.which("node")
    assert node, "Node.js is required (the README lists it)"
    assert (ROOT / "node_modules" / "pyodide").is_dir(), "run `npm ci` first (make test does)"
    script = "tests/pyodide/scenario_digest.py"
    cpython = _digest([sys.executable, script, str(ROOT)])
    pyodide = _digest([node, "build/pyodide_run.mjs", script, "/repo"])
    assert len(cpython) >= 21  # every library scenario + the frames
    diffs: list[str] = []
    _compare(cpython, pyodide, "", diffs)
    assert not diffs, "\n".join(diffs[:20])
    counts = [v["outputs"].get("counts") for k, v in cpython.items() if not k.startswith("_")]
    assert sum(1 for c in counts if c) >= 10  # the comparison covered real sampled counts
    for run in cpython["_branching"].values():  # and shot branching, with noise
        assert run["method"] == "branching" and len(run["counts"]) >= 4


def test_text_with_floats_compares_numbers_not_digits() -> None:
    assert _same_text("got 380.69546022313904, expected 1", "got 380.6954602231399, expected 1")
    assert not _same_text("got 380.69546, expected 1", "got 380.69547, expected 1")
    assert not _same_text("got 1.0 ns", "got 1.0 ms")
    assert not _same_text("3 passed", "4 passed")
