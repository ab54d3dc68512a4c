"""Scenario loading, validation errors, provenance, stable JSON and kernel determinism."""

from __future__ import annotations

import hashlib
import json

import pytest

from qtcore.errors import ScenarioError
from qtcore.scenario import (
    content_hash,
    dumps_stable,
    loads_scenario,
    run_scenario,
    scenario_from_dict,
)
from qtcore.scenario._model import set_path
from qtcore.sim import interpreter
from qtcore.sweep import Axis, flatten

BELL = {
    "name": "bell",
    "title": "Bell",
    "kind": "circuit",
    "seed": 5,
    "shots": 300,
    "circuit": {
        "num_qubits": 2,
        "num_clbits": 2,
        "ops": [
            {"op": "h", "qubits": [0]},
            {"op": "cx", "qubits": [0, 1]},
            {"op": "measure", "qubits": [0, 1], "clbits": [0, 1]},
        ],
    },
    "expected": [{"check": "probabilities", "values": {"00": 0.5, "11": 0.5}}],
}


def _error(data: dict[str, object]) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "demo.toml")
    return str(info.value)


def test_errors_name_file_field_and_problem() -> None:
    msg = _error({**BELL, "kind": "circus"})
    assert msg.startswith("demo.toml: kind:") and "circuit" in msg
    assert "demo.toml: shots:" in _error({**BELL, "shots": -1})
    assert "demo.toml: colour:" in _error({**BELL, "colour": 1})
    assert "demo.toml: title:" in _error({k: v for k, v in BELL.items() if k != "title"})
    bad_op = {**BELL, "circuit": {"num_qubits": 2, "ops": [{"op": "cx", "qubits": [0, 5]}]}}
    assert "demo.toml: circuit: ops[0]" in _error(bad_op)
    rel = {
        "name": "r",
        "title": "t",
        "kind": "relativity",
        "relativity": {"calculator": "gamma", "speed": "3 parsecs"},
    }
    msg = _error(rel)
    assert "relativity.speed" in msg and "3 parsecs" in msg
    rel2 = {**rel, "relativity": {"calculator": "gamma", "speed": "1.5c"}}
    assert "below the speed of light" in _error(rel2)
    check = {**BELL, "expected": [{"check": "value", "value": 1.0}]}
    assert "expected[0].path" in _error(check)
    sandbox = {
        "name": "s",
        "title": "t",
        "kind": "sandbox",
        "sandbox": {
            "experiment": "ramsey",
            "frequency": "1 Hz",
            "duration": 1,
            "clock_a": {"kind": "static", "hieght": 1},
            "clock_b": {"kind": "static"},
        },
    }
    assert "sandbox.clock_a.hieght" in _error(sandbox)


def test_toml_and_json_syntax_errors_name_the_file() -> None:
    with pytest.raises(ScenarioError, match=r"^x\.toml: not valid TOML"):
        loads_scenario("name = ", "toml", "x.toml")
    with pytest.raises(ScenarioError, match=r"^x\.json: not valid JSON: line 1"):
        loads_scenario("{", "json", "x.json")


def test_provenance_and_hash() -> None:
    sc = scenario_from_dict(BELL, "bell.json")
    res = run_scenario(sc, backend="python")
    prov = res.provenance
    assert prov["kernel"] == "python" and prov["seed"] == 5 and prov["shots"] == 300
    assert prov["interpreter"] == interpreter()
    text = json.dumps(BELL, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert prov["scenario_hash"] == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert res.passed
    # key order does not change the hash; content does
    assert content_hash(dict(reversed(list(BELL.items())))) == prov["scenario_hash"]
    assert scenario_from_dict({**BELL, "seed": 6}).content_hash != prov["scenario_hash"]


def test_stable_json_format() -> None:
    text = dumps_stable({"b": 0.1, "a": [1, 2.5e-16, (3, 1 / 3)], "c": 1 + 2j})
    assert text == (
        '{\n  "a": [\n    1,\n    2.5e-16,\n    [\n      3,\n      0.3333333333333333\n    ]\n'
        '  ],\n  "b": 0.1,\n  "c": [\n    1.0,\n    2.0\n  ]\n}\n'
    )
    assert json.loads(text)["a"][2][1] == 1 / 3
    with pytest.raises(ValueError, match="non-finite"):
        dumps_stable({"x": float("nan")})


def test_checks_can_fail() -> None:
    wrong = {
        **BELL,
        "expected": [
            {"check": "probabilities", "values": {"00": 1.0}},
            {"check": "counts", "values": {"01": 1.0}},
            {"check": "value", "path": "num_qubits", "value": 3},
            {"check": "value", "path": "no.such", "value": 3},
        ],
    }
    res = run_scenario(scenario_from_dict(wrong), backend="python")
    assert [c.passed for c in res.checks] == [False, False, False, False]
    assert "not found" in res.checks[3].detail
    assert not res.passed


def test_same_seed_same_counts_python_kernel() -> None:
    sc = scenario_from_dict(BELL)
    a = run_scenario(sc, backend="python")
    b = run_scenario(sc, backend="python")
    assert a.outputs["counts"] == b.outputs["counts"]
    assert run_scenario(sc, seed=6, backend="python").outputs["counts"] != a.outputs["counts"]


@pytest.mark.numpy
def test_same_scenario_same_results_both_kernels() -> None:
    noisy = {
        **BELL,
        "noise": {"depolarizing": {"p": 0.1}, "readout": {"p01": 0.1, "p10": 0.2}},
        "expected": [],
    }
    for data in (BELL, noisy):
        sc = scenario_from_dict(data)
        a = run_scenario(sc, backend="python")
        b = run_scenario(sc, backend="numpy")
        assert a.outputs["counts"] == b.outputs["counts"]
        for k, p in a.outputs.get("probabilities", {}).items():
            assert b.outputs["probabilities"][k] == pytest.approx(p, abs=1e-12)


def test_sweep_scenario_and_with_value() -> None:
    data = {
        "name": "s",
        "title": "t",
        "kind": "sweep",
        "seed": 2,
        "sweep": {
            "of": "relativity",
            "axes": [{"param": "relativity.speed", "values": [0.0, 1e8, 2e8]}],
            "columns": ["gamma"],
        },
        "relativity": {"calculator": "gamma", "speed": 1.0},
        "expected": [{"check": "trend", "column": "gamma", "monotonic": "increasing"}],
    }
    res = run_scenario(scenario_from_dict(data))
    assert res.passed
    table = res.outputs["table"]
    assert table["rows"][0][3] == 1.0
    bad = {
        **data,
        "sweep": {**data["sweep"], "axes": [{"param": "relativity.sped", "values": [1.0]}]},
    }
    with pytest.raises(ScenarioError, match=r"relativity\.sped"):
        scenario_from_dict(bad, "s.toml")


NOISY_ROTATION = {
    "name": "rot",
    "title": "noisy rotation",
    "kind": "circuit",
    "seed": 11,
    "shots": 200,
    "parameters": {"theta": 0.0, "phi": 0.4},
    "circuit": {
        "num_qubits": 2,
        "num_clbits": 2,
        "ops": [
            {"op": "ry", "params": ["theta"], "qubits": [0]},
            {"op": "cx", "qubits": [0, 1]},
            {"op": "rz", "params": ["2 * phi"], "qubits": [1]},
            {"op": "h", "qubits": [1]},
            {"op": "measure", "qubits": [0, 1], "clbits": [0, 1]},
        ],
    },
    "noise": {"depolarizing": {"p": 0.05, "gates": ["cx"]}},
    "report": ["counts", "estimates"],
}


@pytest.mark.parametrize(
    "names",
    [
        ("theta", "phi"),  # parameter values: the points bind them into one parsed circuit
        ("parameters.theta", "parameters.phi"),
        ("theta", "noise.depolarizing.p"),  # a noise value: each point reads its whole table
    ],
)
def test_sweep_points_equal_scenarios_read_whole(names: tuple[str, str]) -> None:
    first, second = names
    values = [0.01, 0.3] if second.startswith("noise") else [0.5, 1.25]
    axes = [Axis.linspace(first, 0.2, 2.8, 3), Axis.grid(second, values)]
    sc = scenario_from_dict(NOISY_ROTATION)
    table = run_scenario(sc, axes=axes).outputs["table"]
    assert len(table["rows"]) == 6
    for row in table["rows"]:
        point = dict(zip(table["columns"], row, strict=True))
        data = json.loads(json.dumps(sc.data))
        for name in names:
            set_path(data, name, point[name])
        alone = flatten(run_scenario(scenario_from_dict(data), seed=point["seed"]).outputs)
        outputs = {k: v for k, v in point.items() if k not in ("index", "seed", *names)}
        assert outputs == {k: alone.get(k) for k in outputs}
        assert outputs["counts.11"] == alone["counts.11"] > 0


def test_sweep_over_a_parameter_not_in_the_table() -> None:
    # phi is not in the sweep's [parameters]: the axis adds it to every point
    point = {k: NOISY_ROTATION[k] for k in ("shots", "circuit", "noise", "report")}
    data = {
        "name": "s",
        "title": "t",
        "kind": "sweep",
        "seed": 2,
        "sweep": {"of": "circuit", "axes": [{"param": "phi", "values": [0.0, 1.0]}]},
        "parameters": {"theta": 0.7},
        **point,
    }
    table = run_scenario(scenario_from_dict(data, "s.toml")).outputs["table"]
    for row in table["rows"]:
        got = dict(zip(table["columns"], row, strict=True))
        alone = {
            **point,
            "name": "p",
            "title": "p",
            "kind": "circuit",
            "parameters": {"theta": 0.7, "phi": got["phi"]},
        }
        counts = run_scenario(scenario_from_dict(alone), seed=got["seed"]).outputs["counts"]
        assert {k: got[f"counts.{k}"] for k in counts} == counts
    data["sweep"] = {**data["sweep"], "columns": ["counts.00", "probabilities.00"]}
    with pytest.raises(
        ScenarioError, match=r"output 'probabilities\.00' not produced by a circuit"
    ):
        run_scenario(scenario_from_dict(data, "s.toml"))


RY = {
    "name": "ry",
    "title": "RY then measure",
    "kind": "circuit",
    "seed": 4,
    "shots": 100,
    "parameters": {"theta": 0.0},
    "circuit": {
        "num_qubits": 1,
        "num_clbits": 1,
        "ops": [
            {"op": "ry", "params": ["theta"], "qubits": [0]},
            {"op": "measure", "qubits": [0], "clbits": [0]},
        ],
    },
    "report": ["counts", "estimates", "probabilities"],
}


def test_a_sweep_gives_outcomes_a_point_never_saw_as_zero() -> None:
    # At theta = 0 the qubit is |0> for certain: outcome 1 never occurs, and the run's
    # counts and exact distribution list only what occurs.
    import math

    sc = scenario_from_dict(RY)
    table = run_scenario(sc, axes=[Axis.grid("theta", [0.0, 1.5])]).outputs["table"]
    first, second = (dict(zip(table["columns"], r, strict=True)) for r in table["rows"])
    assert first["counts.1"] == 0 and first["counts.0"] == 100
    assert first["probabilities.1"] == 0.0
    assert second["probabilities.1"] == pytest.approx(math.sin(0.75) ** 2, abs=1e-12)
    # 0 of n: Wilson's interval is [0, z^2 / (n + z^2)] (z = 1.959964 for 95 %)
    z2 = 1.959963984540054**2
    assert first["estimates.1.value"] == 0.0 and first["estimates.1.low"] == 0.0
    assert first["estimates.1.high"] == pytest.approx(z2 / (100 + z2), rel=1e-9)
    assert first["estimates.1.n"] == 100 and first["estimates.1.method"] == "wilson"
    assert None not in table["rows"][0]
    # a column named by the sweep: sin^2(theta / 2) from theta = 0 on
    data = {
        **{k: v for k, v in RY.items() if k != "kind"},
        "kind": "sweep",
        "sweep": {
            "of": "circuit",
            "axes": [{"param": "theta", "values": [0.0, math.pi, 1.0]}],
            "columns": ["probabilities.1", "counts.1", "estimates.0.high"],
        },
    }
    rows = run_scenario(scenario_from_dict(data, "s.toml")).outputs["table"]["rows"]
    assert [r[3] for r in rows] == pytest.approx([0.0, 1.0, math.sin(0.5) ** 2], abs=1e-12)
    assert rows[0][4] == 0 and rows[1][4] == 100
    assert rows[1][5] == pytest.approx(z2 / (100 + z2), rel=1e-9)  # 0 of 100 saw 0
    # not an outcome of this register (2 bits for 1), or not a field of an estimate
    for column in ("probabilities.11", "estimates.1.colour"):
        data["sweep"] = {**data["sweep"], "columns": [column]}
        with pytest.raises(ScenarioError, match=f"output '{column}' not produced"):
            run_scenario(scenario_from_dict(data, "s.toml"))


def test_a_sweep_leaves_a_table_a_run_did_not_report_empty() -> None:
    from qtcore.scenario._runner import _fill_absent_outcomes

    table = {
        "columns": ["index", "seed", "p", "shots", "counts.0", "counts.1", "counts.00"],
        "rows": [
            [0, 1, 0.0, 10, 10, None, None],  # counts.1 never seen: 0; counts.00: 2 bits
            [1, 2, 0.5, 10, None, None, None],  # no counts reported at all
        ],
    }
    _fill_absent_outcomes(table)
    assert table["rows"] == [[0, 1, 0.0, 10, 10, 0, None], [1, 2, 0.5, 10, None, None, None]]


@pytest.mark.parametrize(
    ("data", "axis", "message"),
    [
        (
            RY,
            "thta",
            "the circuit has no parameter 'thta' (did you mean 'theta'?); its parameters: theta",
        ),
        (RY, "parameters.phi", "the circuit has no parameter 'phi'; its parameters: theta"),
        (BELL, "theta", "the circuit has no parameter 'theta'; it has no parameters"),
        (
            {
                "name": "g",
                "title": "t",
                "kind": "relativity",
                "relativity": {"calculator": "gamma", "speed": "1e8 m/s"},
            },
            "speed",
            "a relativity scenario reads no [parameters], so this would sweep nothing; "
            "did you mean 'relativity.speed'?",
        ),
        (
            {
                "name": "g",
                "title": "t",
                "kind": "relativity",
                "relativity": {"calculator": "gamma", "speed": "1e8 m/s"},
            },
            "sped",
            "sweep one of its numbers instead: relativity.speed",
        ),
    ],
)
def test_an_axis_that_would_sweep_nothing_is_refused(
    data: dict[str, object], axis: str, message: str
) -> None:
    # Without the check every row was the same run: the value went to [parameters],
    # which nothing read.
    sc = scenario_from_dict(data, "s.toml")
    with pytest.raises(ScenarioError) as info:
        run_scenario(sc, axes=[Axis.grid(axis, [0.1, 0.2])])
    got = str(info.value)
    assert got.startswith(f"s.toml: sweep axis '{axis}': ") and got.endswith(message), got
    swept = {
        **{k: v for k, v in data.items() if k not in ("kind", "expected")},
        "kind": "sweep",
        "sweep": {"of": data["kind"], "axes": [{"param": axis, "values": [0.1]}]},
    }
    with pytest.raises(ScenarioError, match=f"sweep axis '{axis}'"):  # a sweep file too
        run_scenario(scenario_from_dict(swept, "s.toml"))
