"""The browser runs what the CLI runs: the worker protocol under Pyodide vs ``python -m qtcore``.

A sweep (the sweep widget's request) and library scenarios (the scenario runner's request)
go through ``site/worker/bridge.py`` under the pinned Pyodide in Node.js, with the qtcore wheel
installed as the browser's worker installs it. The same sweep -- the scenario document the
bridge reports -- and the same scenario files then run through ``python -m qtcore sweep`` and
``python -m qtcore run`` here in CPython (its default kernel). Counts and every other
non-float value must be identical; floats must agree to 1e-12. (The wire writes 63-bit seeds
as decimal strings, ``qtcore.wire.js_safe``; the CLI's JSON gets the same treatment here.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qtcore.montecarlo import wilson_interval
from qtcore.wire import js_safe

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.pyodide,
    pytest.mark.skipif(sys.platform == "emscripten", reason="launches Pyodide from CPython"),
]
SCENARIOS = {
    "noisy_bell": "scenarios/noisy_bell.toml",
    "teleportation": "scenarios/teleportation.toml",
    "sweep_rotation_angle": "scenarios/sweep_rotation_angle.toml",
    "sweep_gps_altitude": "scenarios/sweep_gps_altitude.toml",
    "twin_paradox": "scenarios/twin_paradox.toml",
}


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
        if abs(x - y) > 1e-12 * max(1.0, abs(x)):
            diffs.append(f"{path}: {x!r} != {y!r}")
    elif x != y or type(x) is not type(y):
        diffs.append(f"{path}: {x!r} != {y!r}")


def _same(x: object, y: object) -> None:
    diffs: list[str] = []
    _compare(x, y, "", diffs)
    assert not diffs, "\n".join(diffs[:20])


def _cli(*args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QTCORE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "qtcore", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bridge's replies under Pyodide, from a wheel built from this tree."""
    node = shutil.which("node")
    assert node, "Node.js is required (the README lists it)"
    assert (ROOT / "node_modules" / "pyodide").is_dir(), "run `npm ci` first (make test does)"
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # as `make wheel` builds it
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("qtcore-*.whl")
    args = [f"{name}={file}" for name, file in SCENARIOS.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QTCORE_")}
    script = ["tests/pyodide/worker_requests.py", "/repo", *args]
    proc = subprocess.run(
        [node, "build/pyodide_run.mjs", "--wheel", str(wheel), *script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    replies: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, reply in replies.items():
        assert reply["ok"], (name, reply.get("error"))
    return {k: v["result"] for k, v in replies.items()}


def test_sweep_widget_request_equals_cli_sweep(worker: dict[str, Any], tmp_path: Path) -> None:
    reply = worker["sweep"]
    assert reply["result"]["provenance"]["interpreter"].startswith("pyodide")
    doc = tmp_path / "widget_sweep.json"
    doc.write_text(json.dumps(reply["scenario"]["document"]))
    cli = _cli("sweep", str(doc), "--format", "json")
    table = cli["outputs"]["table"]
    _same(reply["result"]["outputs"]["table"], js_safe(table))
    assert cli["provenance"]["scenario_hash"] == reply["scenario"]["contentHash"]
    # The widget's points are the CLI table's counts of the target, with qtcore's interval.
    cols = table["columns"]
    ks = [row[cols.index("counts.11")] if "counts.11" in cols else None for row in table["rows"]]
    assert [p["k"] for p in reply["points"]] == [k or 0 for k in ks]
    assert sum(p["k"] for p in reply["points"]) > 0  # the target was actually hit
    for p in reply["points"]:
        _same(p["estimate"], wilson_interval(p["k"], 300).to_wire())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_runner_request_equals_cli_run(worker: dict[str, Any], name: str) -> None:
    result = worker[name]["result"]
    cli = _cli("run", SCENARIOS[name], "--format", "json")
    _same(result["outputs"], js_safe(cli["outputs"]))
    _same(result["checks"], cli["checks"])
    assert result["passed"] is cli["passed"] is True
    prov, ref = result["provenance"], cli["provenance"]
    assert (prov["seed"], prov["shots"], prov["scenarioHash"]) == (
        ref["seed"],
        ref["shots"],
        ref["scenario_hash"],
    )
    assert worker[name]["scenario"]["contentHash"] == ref["scenario_hash"]
