"""``to_wire()``: one camelCase form per result type, holding the same values as ``to_dict``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qtcore import Circuit, simulate
from qtcore.montecarlo import monte_carlo, wilson_interval
from qtcore.ops import GATES
from qtcore.scenario import loads_scenario, run_scenario
from qtcore.sweep import Axis, run_sweep, table_column

CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _keys(obj: Any, skip: tuple[str, ...] = ()) -> list[str]:
    """Every key of nested dicts, except inside the keys named in ``skip`` (verbatim data)."""
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(k)
            if k not in skip:
                out += _keys(v, skip)
    elif isinstance(obj, list):
        for v in obj:
            out += _keys(v, skip)
    return out


def _same_values(wire: dict[str, Any], plain: dict[str, Any]) -> None:
    """``wire`` is ``plain`` with its keys camelCased (recursively), values unchanged."""
    assert set(wire) == {_camel(k) for k in plain}
    for k, v in plain.items():
        w = wire[_camel(k)]
        if isinstance(v, dict) and all(isinstance(x, str) and "_" in x for x in v):
            _same_values(w, v)
        else:
            assert w == v, k


def test_wire_result_is_camel_and_matches_to_dict() -> None:
    circ = Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1)
    res = simulate(circ, shots=200, seed=3)
    wire = res.to_wire()
    assert all(CAMEL.match(k) for k in wire), wire.keys()
    assert "num_qubits" not in wire and wire["numQubits"] == 2
    _same_values(wire, res.to_dict(amplitudes=False))
    assert sum(wire["counts"].values()) == 200
    assert set(wire["counts"]) <= {"00", "11"}  # a Bell pair: never 01 or 10
    amps = res.to_wire(amplitudes=True)["amplitudes"]
    assert len(amps) == 4 and all(len(z) == 2 for z in amps)


def test_wire_estimate_and_montecarlo_match_to_dict() -> None:
    est = wilson_interval(7, 20)
    _same_values(est.to_wire(), est.to_dict())
    mc = monte_carlo(lambda s: s % 2 == 0, seed=1, repetitions=50)
    wire = mc.to_wire()
    assert set(_keys(wire)) <= {k for k in _keys(wire) if CAMEL.match(k)}
    assert wire["targetWidth"] is None and wire["repetitions"] == 50
    assert wire["estimate"] == mc.estimate.to_wire() if mc.estimate else False


def test_wire_gate_specs_are_camel() -> None:
    for spec in GATES.values():
        wire = spec.to_wire()
        assert all(CAMEL.match(k) for k in wire)
        assert wire["numControls"] + wire["numTargets"] >= 1
        assert wire["numParams"] == len(wire["params"])


def test_wire_sweep_table_and_column() -> None:
    res = run_sweep(lambda p, s: {"y": 2 * p["x"]}, [Axis.grid("x", [1.0, 2.0])], seed=0)
    wire = res.to_wire()
    assert all(CAMEL.match(k) for k in _keys(wire, skip=("rows",)))
    assert table_column(wire, "y") == [2.0, 4.0]
    with pytest.raises(KeyError, match="columns: index, seed, x, y"):
        table_column(wire, "z")


SCENARIO = """
name = "bell"
title = "Bell pair"
kind = "circuit"
seed = 5
shots = 100
[circuit]
num_qubits = 2
num_clbits = 2
ops = [{op = "h", qubits = [0]}, {op = "cx", qubits = [0, 1]},
       {op = "measure", qubits = [0], clbits = [0]}, {op = "measure", qubits = [1], clbits = [1]}]
[[expected]]
check = "probabilities"
values = { "00" = 0.5, "11" = 0.5 }
atol = 1e-12
"""


def test_wire_scenario_and_result_keep_outputs_and_document_verbatim() -> None:
    sc = loads_scenario(SCENARIO)
    wire = sc.to_wire()
    assert all(CAMEL.match(k) for k in _keys(wire, skip=("document",)))
    assert wire["document"] == sc.data and wire["contentHash"] == sc.content_hash
    res = run_scenario(sc)
    rw = res.to_wire()
    assert all(CAMEL.match(k) for k in _keys(rw, skip=("outputs",)))
    assert rw["outputs"] == res.outputs  # named as the file's `expected` paths address them
    assert rw["provenance"]["scenarioHash"] == res.provenance["scenario_hash"]
    assert rw["passed"] is True and rw["checks"][0]["passed"] is True


def test_wire_integers_a_browser_would_round_become_strings() -> None:
    from qtcore.wire import JS_MAX_SAFE_INTEGER, js_safe

    big = JS_MAX_SAFE_INTEGER + 2  # a double cannot hold it: float(big) == big - 1
    assert float(big) != big
    assert js_safe({"a": [big, -big, JS_MAX_SAFE_INTEGER, True, 1.5], "b": (1,)}) == {
        "a": [str(big), str(-big), JS_MAX_SAFE_INTEGER, True, 1.5],
        "b": [1],
    }
    # Sweep point seeds are 63-bit: on the wire they are exact decimal strings.
    res = run_sweep(lambda p, s: {"y": 1.0}, [Axis.grid("x", [1.0])], seed=0)
    (row,) = res.to_wire()["rows"]
    assert row[1] == str(res.rows[0].seed) and res.rows[0].seed > JS_MAX_SAFE_INTEGER
