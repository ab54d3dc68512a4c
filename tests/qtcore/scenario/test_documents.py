"""Scenario documents built from widget inputs: validated per box, and re-runnable."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from qtcore import Circuit, ScenarioError, UnitError, simulate
from qtcore.cli import main
from qtcore.montecarlo import wilson_interval
from qtcore.noise import NoiseModel
from qtcore.qasm import dumps, loads
from qtcore.scenario import (
    calculate,
    circuit_scenario,
    circuit_sweep_scenario,
    outcome_key,
    read_integer,
    read_number,
    run_scenario,
    scenario_from_dict,
)

RX = (
    'OPENQASM 3; include "stdgates.inc"; input float theta; qubit[1] q; bit[1] c;'
    " rx(theta) q[0]; c[0] = measure q[0];"
)
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


def _sweep(**kw: object) -> object:
    args: dict[str, object] = {
        "param": "theta",
        "start": "0",
        "stop": "3.141592653589793",
        "points": "9",
        "shots": "400",
        "seed": "7",
    }
    args.update(kw)
    return circuit_sweep_scenario(RX, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("box", "value", "message"),
    [
        ("shots", "0", "shots: must be >= 1 (a sweep estimates each probability from samples)"),
        ("shots", 0, "shots: must be >= 1"),
        ("points", "abc", "points: expected a whole number from 1 to 1000, got 'abc'"),
        ("points", "", "points: expected a whole number from 1 to 1000, got nothing"),
        ("points", "2.5", "points: expected a whole number"),
        ("points", "1001", "points: must be from 1 to 1000, got 1001"),
        ("start", "x", "start: expected a finite number, got 'x'"),
        ("stop", "inf", "stop: expected a finite number, got 'inf'"),
        ("seed", "-1", "seed: must be from 0 to"),
        ("param", "phi", "param: 'phi' is not a free parameter of the circuit (free: theta)"),
    ],
)
def test_sweep_inputs_rejected_with_the_box_named(box: str, value: object, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        _sweep(**{box: value})
    assert str(info.value).startswith(message), str(info.value)


def test_read_number_and_integer_accept_text_and_numbers() -> None:
    assert read_integer("n", " 12 ", minimum=0) == 12
    assert read_integer("n", 3.0, minimum=0) == 3
    assert read_number("x", "1e-3") == 0.001
    with pytest.raises(ScenarioError, match="x: expected a finite number, got True"):
        read_number("x", True)


def test_sweep_scenario_reruns_through_the_cli_to_the_same_table(tmp_path: Path) -> None:
    sc = _sweep()
    doc = tmp_path / "sweep.json"
    doc.write_text(json.dumps(sc.data))
    out = io.StringIO()
    assert main(["sweep", str(doc), "--format", "json"], stdout=out, stderr=io.StringIO()) == 0
    cli = json.loads(out.getvalue())
    assert cli["outputs"]["table"] == run_scenario(scenario_from_dict(sc.data)).outputs["table"]


def test_sweep_scenario_estimates_agree_with_sin_squared() -> None:
    """P(1) after rx(theta) is sin^2(theta/2): every 99.9 % Wilson interval covers it
    (9 points: a false alarm has probability < 1 %)."""
    sc = _sweep()
    key = outcome_key(sc, "1")
    table = run_scenario(sc).outputs["table"]
    cols = table["columns"]
    for row in table["rows"]:
        theta = row[cols.index("theta")]
        k = row[cols.index(f"counts.{key}")] if f"counts.{key}" in cols else None
        est = wilson_interval(k or 0, 400, confidence=0.999)
        assert est.low <= math.sin(theta / 2) ** 2 <= est.high, (theta, k)


def test_outcome_key_width_and_default() -> None:
    sc = _sweep()
    assert outcome_key(sc, None) == "0"
    with pytest.raises(ScenarioError, match="target: expected 1 binary digits"):
        outcome_key(sc, "01")
    unmeasured = circuit_scenario({"num_qubits": 3, "ops": []}, shots=1, seed=0)
    assert outcome_key(unmeasured, "") == "000"


def test_circuit_scenario_reruns_to_the_same_counts_with_noise() -> None:
    noise = {"channels": [{"type": "depolarizing", "p": 0.2, "gates": ["cx"]}]}
    sc = circuit_scenario(BELL, shots=300, seed=11, noise=noise)
    assert sc.title == "Circuit editor run: 2 qubit(s), 4 operation(s)"
    again = scenario_from_dict(json.loads(json.dumps(sc.data)))
    direct = simulate(
        Circuit.from_dict(BELL), 300, seed=11, noise=NoiseModel.from_dict(noise)
    ).counts
    assert run_scenario(again).outputs["counts"] == direct
    assert set(direct) > {"00", "11"}  # depolarizing noise reaches 01/10


def test_circuit_scenario_rejects_bad_noise_and_shots() -> None:
    with pytest.raises(ScenarioError, match="noise"):
        circuit_scenario(BELL, shots=1, seed=0, noise={"channels": [{"type": "nope", "p": 0.1}]})
    with pytest.raises(ScenarioError, match="noise: expected a table of channels, got list"):
        circuit_scenario(BELL, shots=1, seed=0, noise=[{"type": "bit_flip"}])  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="shots: expected a whole number >= 0, got '-'"):
        circuit_scenario(BELL, shots="-", seed=0)


def test_qasm_dumps_auto_falls_back_to_version_3() -> None:
    plain = Circuit.from_dict(BELL)
    assert dumps(plain, version="auto").startswith("OPENQASM 2.0;")
    single_bit = Circuit.from_dict(
        {
            "num_qubits": 2,
            "num_clbits": 2,
            "ops": [
                {"op": "measure", "qubits": [0], "clbits": [0]},
                {"op": "x", "qubits": [1], "if": {"clbits": [0], "value": 1}},
            ],
        }
    )
    text = dumps(single_bit, version="auto")
    assert text.startswith("OPENQASM 3")
    assert loads(text).to_dict() == single_bit.to_dict()


def test_empty_quantity_is_an_error_not_a_default() -> None:
    with pytest.raises(ScenarioError, match="speed: the text is empty: give a velocity"):
        calculate("gamma", {"speed": ""})
    with pytest.raises(UnitError, match="such as '1 day'"):
        from qtcore.units import parse_quantity

        parse_quantity("  ", "time")
