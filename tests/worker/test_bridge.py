"""The worker bridge's dispatch, in CPython: each request is qtcore's public API, on the wire.

The same module runs in the browser (``site/worker/worker.js`` imports it under Pyodide);
``tests/pyodide/test_worker_vs_cli.py`` runs it there against the CLI.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from qtcore import Circuit, qasm, simulate
from qtcore.frames import decode_frames, encode_frames, iter_frames
from qtcore.noise import NoiseModel
from qtcore.rng import derive_seed
from qtcore.scenario import calculate, load_scenario, run_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "site" / "worker" / "bridge.py"
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")
#: Keys whose values travel verbatim: documents and outputs in qtcore's file names, and data
#: keyed by bit strings.
VERBATIM = ("document", "circuit", "outputs", "counts", "fields")
BELL = {
    "num_qubits": 2,
    "num_clbits": 2,
    "ops": [
        {"op": "h", "qubits": [0]},
        {"op": "cx", "qubits": [0, 1]},
        {"op": "measure", "qubits": [0], "clbits": [0]},
        {"op": "measure", "qubits": [1], "clbits": [1]},
    ],
}
RX = (
    'OPENQASM 3; include "stdgates.inc"; input float theta; qubit[1] q; bit[1] c;'
    " rx(theta) q[0]; c[0] = measure q[0];"
)


@pytest.fixture(scope="module")
def bridge() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qt_bridge", BRIDGE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(bridge: ModuleType, kind: str, payload: dict[str, Any], progress: Any = None) -> Any:
    envelope = json.loads(bridge.call(kind, json.dumps(payload), progress))
    assert set(envelope) in ({"ok", "result"}, {"ok", "error"})
    return envelope


def _ok(bridge: ModuleType, kind: str, payload: dict[str, Any], progress: Any = None) -> Any:
    envelope = _call(bridge, kind, payload, progress)
    assert envelope["ok"], envelope.get("error")
    _assert_camel(envelope["result"])
    return envelope["result"]


def _err(bridge: ModuleType, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    envelope = _call(bridge, kind, payload)
    assert envelope["ok"] is False
    assert bridge.take_buffer() == b""
    return envelope["error"]  # type: ignore[no-any-return]


def _assert_camel(obj: Any, path: str = "") -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert CAMEL.match(k), f"{path}.{k} is not camelCase"
            if k not in VERBATIM:
                _assert_camel(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            _assert_camel(v, path)


def test_bridge_imports_only_public_qtcore(bridge: ModuleType) -> None:
    tree = ast.parse(BRIDGE.read_text())
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    qt = [m for m in modules if m.split(".")[0] == "qtcore"]
    assert qt, modules
    private = [m for m in qt if any(part.startswith("_") for part in m.split("."))]
    assert not private, private
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert not [n for n in names if n.startswith("_")]


def test_unknown_request_and_bad_payload_are_request_errors(bridge: ModuleType) -> None:
    err = _err(bridge, "frames", {})
    assert err["code"] == "QT-REQUEST"
    assert "known: load, qasm, relativity, run, scenario, sweep" in err["message"]
    envelope = json.loads(bridge.call("run", "[1, 2]"))
    assert envelope["error"]["message"] == "the payload must be a JSON object, got list"
    assert _err(bridge, "run", {"shots": 1})["message"].startswith("the request needs 'circuit'")


def test_load_reports_kernel_and_gates(bridge: ModuleType) -> None:
    info = _ok(bridge, "load", {})
    assert info["kernel"] in ("numpy", "python")
    names = {g["name"] for g in info["gates"]}
    assert {"h", "cx", "rx", "mcx"} <= names
    assert "gamma" in info["calculators"]
    assert info["kernels"]["python"] is None
    assert "Pyodide" in info["kernels"]["wasm"]  # CPython: no WebAssembly engine to call
    assert 20 <= info["maxQubits"] <= 62 and str(info["maxQubits"]) in info["maxQubitsReason"]


def test_run_and_qasm_refuse_circuits_wider_than_memory_allows(bridge: ModuleType) -> None:
    """The limit is checked before anything is allocated: no MemoryError, a sentence."""
    limit = _ok(bridge, "load", {})["maxQubits"]
    wide = {"num_qubits": limit + 1, "ops": [{"op": "h", "qubits": [limit]}]}
    err = _err(bridge, "run", {"circuit": wide, "shots": 10, "seed": 1})
    assert f"the circuit has {limit + 1} qubits; at most {limit} qubits" in err["message"], err
    text = f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{limit + 1}];\nh q[0];\n'
    err = _err(bridge, "qasm", {"op": "loads", "text": text})
    assert f"the circuit has {limit + 1} qubits" in err["message"], err
    ok = {"num_qubits": limit, "ops": []}
    assert _ok(bridge, "qasm", {"op": "dumps", "circuit": ok})["text"]


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_run_gives_counts_and_canonical_frames_in_one_request(
    bridge: ModuleType, backend: str
) -> None:
    r = _ok(
        bridge,
        "run",
        {"circuit": BELL, "shots": 1000, "seed": 7, "frames": True, "backend": backend},
    )
    circ = Circuit.from_dict(BELL)
    assert r["result"]["counts"] == simulate(circ, 1000, seed=7, backend=backend).counts
    assert r["result"]["numQubits"] == 2 and "num_qubits" not in r["result"]
    stream = bridge.take_buffer()
    assert stream == encode_frames(list(iter_frames(circ, seed=7, backend=backend)))
    assert r["frames"] == {"count": 5, "bytes": len(stream)}
    assert r["qasm"].startswith("OPENQASM 2.0;")
    # Without frames: no buffer.
    _ok(bridge, "run", {"circuit": BELL, "shots": 10, "seed": 7})
    assert bridge.take_buffer() == b""


def test_run_with_frames_simulates_once(
    bridge: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run asking for frames gets its counts from the frames' own simulation (the Bell
    circuit measures at the end): qtcore.simulate is not called."""
    import qtcore
    import qtcore.frames._iter as frames_iter

    want = simulate(Circuit.from_dict(BELL), 1000, seed=7, backend="python").counts

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a second simulation ran")

    monkeypatch.setattr(qtcore, "simulate", refuse)
    monkeypatch.setattr(frames_iter, "simulate", refuse)
    r = _ok(
        bridge,
        "run",
        {"circuit": BELL, "shots": 1000, "seed": 7, "frames": True, "backend": "python"},
    )
    assert r["result"]["counts"] == want
    assert r["frames"]["count"] == 5


def test_run_frames_of_a_wide_state_follow_the_top_k_rules(bridge: ModuleType) -> None:
    """13 qubits in uniform superposition: every probability ties, so the summary lists
    the 32 lowest basis indices in ascending order (the old bridge sorted differently)."""
    circ = {"num_qubits": 13, "ops": [{"op": "h", "qubits": [q]} for q in range(13)]}
    _ok(bridge, "run", {"circuit": circ, "shots": 0, "seed": 1, "frames": True})
    last = decode_frames(bridge.take_buffer())[-1]
    assert last.summary is not None and last.top_indices == list(range(32))
    assert last.probabilities is None
    assert all(math.isclose(p, 2.0**-13, rel_tol=1e-12) for p in last.top_probabilities or [])


def test_run_with_noise_publishes_a_scenario_that_reruns_identically(bridge: ModuleType) -> None:
    noise = {"channels": [{"type": "bit_flip", "p": 0.25, "qubits": [1]}]}
    r = _ok(bridge, "run", {"circuit": BELL, "shots": 500, "seed": 3, "noise": noise})
    direct = simulate(Circuit.from_dict(BELL), 500, seed=3, noise=NoiseModel.from_dict(noise))
    assert r["result"]["counts"] == direct.counts
    assert r["result"]["method"] == "branching"
    # P(01) + P(10) = 0.25 for a flip on one qubit of a Bell pair: 6 sigma around 125 of 500.
    odd = r["result"]["counts"].get("01", 0) + r["result"]["counts"].get("10", 0)
    assert abs(odd - 125) < 6 * math.sqrt(500 * 0.25 * 0.75)
    doc = json.loads(json.dumps(r["scenario"]["document"]))
    again = run_scenario(scenario_from_dict(doc, "registry"))
    assert again.outputs["counts"] == r["result"]["counts"]
    assert r["scenario"]["contentHash"] == again.scenario.content_hash


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ({"shots": "many"}, "QT-SCENARIO", "shots: expected a whole number >= 0, got 'many'"),
        ({"seed": -3}, "QT-SCENARIO", "seed: must be from 0 to"),
        ({"noise": {"channels": [{"type": "depolarizing", "p": 2}]}}, "QT-SCENARIO", "noise"),
        ({"backend": "gpu"}, "QT-SIM", "unknown backend 'gpu'"),
    ],
)
def test_run_rejects_bad_inputs(
    bridge: ModuleType, payload: dict[str, Any], code: str, message: str
) -> None:
    err = _err(bridge, "run", {"circuit": BELL, **payload})
    assert err["code"] == code and message in err["message"], err


def test_qasm_loads_dumps_and_positions_errors(bridge: ModuleType) -> None:
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n'
    r = _ok(bridge, "qasm", {"op": "loads", "text": text})
    assert r["circuit"] == {"num_qubits": 1, "num_clbits": 0, "ops": [{"op": "h", "qubits": [0]}]}
    assert _ok(bridge, "qasm", {"op": "dumps", "circuit": r["circuit"]})["text"] == r["text"]
    err = _err(bridge, "qasm", {"op": "loads", "text": text + "foo q[0];\n"})
    assert err["code"] == "QT-QASM" and (err["line"], err["column"]) == (5, 1), err


def test_qasm_loads_keeps_if_blocks_when_asked(bridge: ModuleType) -> None:
    """The editor reads its OpenQASM box with blocks: an if block it wrote stays one."""
    text = (
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[1] c;\n'
        "c[0] = measure q[0];\nif (c[0] == 1) {\n  x q[1];\n}\n"
    )
    flat = _ok(bridge, "qasm", {"op": "loads", "text": text})["circuit"]["ops"]
    kept = _ok(bridge, "qasm", {"op": "loads", "text": text, "blocks": True})["circuit"]["ops"]
    assert [op["op"] for op in flat] == ["measure", "x"] and flat[1]["if"]["value"] == 1
    assert [op["op"] for op in kept] == ["measure", "if"]
    assert kept[1]["block"]["then"] == [{"op": "x", "qubits": [1]}]
    err = _err(bridge, "qasm", {"op": "loads", "text": text, "blocks": "yes"})
    assert err["code"] == "QT-REQUEST" and "blocks: expected true or false" in err["message"]


def test_relativity_is_the_scenario_calculator_and_plots_an_independent_curve(
    bridge: ModuleType,
) -> None:
    c = 299_792_458.0
    plot = {"param": "speed", "x": "beta", "y": "gamma", "start": 0.01 * c, "stop": 0.99 * c}
    r = _ok(
        bridge, "relativity", {"calculator": "gamma", "fields": {"speed": "0.6c"}, "plot": plot}
    )
    assert r["outputs"] == calculate("gamma", {"speed": "0.6c"})
    assert r["outputs"]["gamma"] == pytest.approx(1.25, rel=1e-15)
    assert len(r["plot"]["x"]) == 60
    for beta, gamma in zip(r["plot"]["x"], r["plot"]["y"], strict=True):
        assert gamma == pytest.approx(1 / math.sqrt(1 - beta * beta), rel=1e-13)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"speed": ""}, "relativity.speed: the text is empty: give a velocity"),
        ({"speed": "1.2c"}, "relativity"),
        ({}, "give exactly one of 'speed'"),
    ],
)
def test_relativity_never_guesses_a_missing_input(
    bridge: ModuleType, fields: dict[str, Any], message: str
) -> None:
    err = _err(bridge, "relativity", {"calculator": "gamma", "fields": fields})
    assert err["code"] == "QT-SCENARIO" and message in err["message"], err


def _sweep(**kw: Any) -> dict[str, Any]:
    return {
        "qasm": RX,
        "param": "theta",
        "start": "0",
        "stop": str(math.pi),
        "shots": "200",
        "seed": "7",
        "target": "1",
        **kw,
    }


def test_sweep_seeds_each_point_by_its_value(bridge: ModuleType) -> None:
    """The documented rule: point seed = derive_seed(seed, "point", (("theta", repr(v)),)),
    so the same value gives the same counts whichever other points are in the sweep."""
    seen: list[tuple[int, int, dict[str, Any]]] = []
    five = _ok(
        bridge, "sweep", _sweep(points="5"), lambda d, t, i: seen.append((d, t, json.loads(i)))
    )
    three = _ok(bridge, "sweep", _sweep(points="3"))
    assert [s[:2] for s in seen] == [(i, 5) for i in range(1, 6)]
    assert [s[2] for s in seen] == five["points"]
    base = qasm.loads(RX)
    for p in five["points"]:
        seed = derive_seed(7, "point", (("theta", repr(p["value"])),))
        counts = simulate(base.bind({"theta": p["value"]}), 200, seed=seed).counts
        assert p["k"] == counts.get("1", 0)
        assert p["estimate"]["n"] == 200 and p["estimate"]["value"] == p["k"] / 200
    shared = {p["value"]: p["k"] for p in five["points"]}
    for p in three["points"]:
        assert shared[p["value"]] == p["k"]
    assert five["result"]["outputs"]["table"]["total"] == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shots": "0"}, "shots: must be >= 1 (a sweep estimates each probability from samples)"),
        ({"points": "abc"}, "points: expected a whole number from 1 to 1000, got 'abc'"),
        ({"start": ""}, "start: expected a finite number, got nothing"),
        ({"target": "2"}, "target: expected 1 binary digits"),
    ],
)
def test_sweep_inputs_are_validated_by_qtcore(
    bridge: ModuleType, change: dict[str, Any], message: str
) -> None:
    err = _err(bridge, "sweep", _sweep(**{"points": "4", **change}))
    assert err["code"] == "QT-SCENARIO" and err["message"].startswith(message), err
    assert err["type"] == "ScenarioError"


def test_scenario_load_and_run_match_qtcore(bridge: ModuleType) -> None:
    path = ROOT / "scenarios" / "bell.toml"
    payload = {"name": "bell", "text": path.read_text(), "format": "toml"}
    loaded = _ok(bridge, "scenario", {"op": "load", **payload})
    sc = load_scenario(str(path))
    assert loaded["scenario"]["document"] == sc.data
    assert loaded["circuit"] == sc.circuit().to_dict() and "result" not in loaded
    ran = _ok(bridge, "scenario", {"op": "run", **payload})
    ref = run_scenario(sc)
    assert ran["result"]["outputs"] == json.loads(json.dumps(ref.outputs))
    assert ran["result"]["passed"] is True


def test_scenario_sweep_reports_progress_per_point(bridge: ModuleType) -> None:
    path = ROOT / "scenarios" / "sweep_gps_altitude.toml"
    seen: list[int] = []
    r = _ok(
        bridge,
        "scenario",
        {"op": "run", "name": "s", "text": path.read_text(), "format": "toml"},
        lambda d, t, i: seen.append(d),
    )
    assert seen == list(range(1, 10)) and r["result"]["outputs"]["table"]["done"] == 9
    bad = _err(bridge, "scenario", {"op": "run", "name": "x", "text": "name = 1", "format": "toml"})
    assert bad["code"] == "QT-SCENARIO" and "x.toml: name: must be a string" in bad["message"]


def test_bridge_start_imports_no_module_the_first_run_does_not_need() -> None:
    """Every module the worker imports before its first frame costs start-up time in the
    browser (Pyodide executes qtcore from source: ~1 s for the bridge on this machine). The
    standard-library modules below serve pickling for process pools, interval estimates,
    spelling hints, CSV and TOML; none is needed to load the bridge and run a circuit."""
    code = (
        "import json, sys\n"
        "sys.modules['numpy'] = None\n"  # as the site's runtime: NumPy imports pickle itself
        f"sys.path.insert(0, {str(BRIDGE.parent)!r})\n"
        "import bridge\n"
        f"bridge.call('load', '{{}}')\n"
        f"bridge.call('run', json.dumps({{'circuit': {BELL!r}, 'frames': True}}))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(json.loads(proc.stdout))
    assert "qtcore" in loaded
    assert loaded.isdisjoint({"pickle", "statistics", "difflib", "csv", "tomllib"}), sorted(
        loaded & {"pickle", "statistics", "difflib", "csv", "tomllib"}
    )
