"""Loading validates a scenario once, into the typed section of its kind; the runner uses it."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from qtcore import Circuit, NoiseModel
from qtcore.errors import ScenarioError
from qtcore.sandbox import ClockExperiment
from qtcore.scenario import (
    CircuitSection,
    MonteCarloSection,
    RelativitySection,
    SandboxSection,
    SweepSection,
    run_scenario,
    scenario_from_dict,
)

BELL: dict[str, Any] = {
    "name": "bell",
    "title": "Bell",
    "kind": "circuit",
    "seed": 5,
    "shots": 40,
    "parameters": {"t": 0.25},
    "circuit": {
        "num_qubits": 2,
        "num_clbits": 2,
        "ops": [
            {"op": "ry", "params": ["t"], "qubits": [0]},
            {"op": "cx", "qubits": [0, 1]},
            {"op": "measure", "qubits": [0, 1], "clbits": [0, 1]},
        ],
    },
    "noise": {"readout": {"p01": 0.1, "p10": 0.1}},
    "report": ["counts", "bloch"],
    "montecarlo": {"event": "00", "repetitions": 20},
}
REL: dict[str, Any] = {
    "name": "r",
    "title": "t",
    "kind": "relativity",
    "relativity": {"calculator": "gamma", "speed": "0.6c"},
}
SANDBOX: dict[str, Any] = {
    "name": "s",
    "title": "t",
    "kind": "sandbox",
    "sandbox": {
        "experiment": "ramsey",
        "frequency": "1 Hz",
        "duration": 1,
        "clock_a": {"kind": "static", "height": 1},
        "clock_b": {"kind": "static"},
    },
}
SWEEP: dict[str, Any] = {
    "name": "w",
    "title": "t",
    "kind": "sweep",
    "seed": 3,
    "sweep": {
        "of": "relativity",
        "combine": "zip",
        "axes": [{"param": "relativity.speed", "values": [0.0, 1.5e8]}],
        "columns": ["gamma"],
    },
    "relativity": {"calculator": "gamma", "speed": 1.0},
    "expected": [{"check": "trend", "column": "gamma", "monotonic": "increasing"}],
}


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "demo.toml")
    return str(info.value)


def test_circuit_scenario_is_one_typed_section() -> None:
    sc = scenario_from_dict(BELL, "bell.toml")
    sec = sc.section
    assert isinstance(sec, CircuitSection)
    assert isinstance(sec.circuit, Circuit) and not sec.circuit.parameters  # t is bound
    assert sec.circuit.instructions[0].gate is not None
    assert sec.circuit.instructions[0].gate.params == (0.25,)
    assert isinstance(sec.noise, NoiseModel)
    assert sec.report == ("counts", "bloch")
    assert sec.montecarlo == MonteCarloSection(("00",), 20, None, 20_000, 100, 0.95)
    assert sc.circuit() is sec.circuit and sc.noise() is sec.noise
    default = scenario_from_dict({k: v for k, v in BELL.items() if k != "report"})
    assert isinstance(default.section, CircuitSection)
    assert default.section.report == ("counts", "probabilities", "estimates")


def test_other_kinds_are_typed_sections() -> None:
    rel = scenario_from_dict(REL).section
    assert isinstance(rel, RelativitySection) and rel.calculator == "gamma"
    assert rel.calculate("r.toml")["gamma"] == pytest.approx(1.25, rel=1e-15)
    sandbox = scenario_from_dict(SANDBOX).section
    assert isinstance(sandbox, SandboxSection)
    assert isinstance(sandbox.experiment, ClockExperiment)
    sweep = scenario_from_dict(SWEEP)
    sec = sweep.section
    assert isinstance(sec, SweepSection) and sweep.point_kind == "relativity"
    assert (sec.of, sec.combine, sec.columns) == ("relativity", "zip", ("gamma",))
    assert [list(ax.values) for ax in sec.axes] == [[0.0, 1.5e8]]
    assert sec.base["kind"] == "relativity" and "sweep" not in sec.base
    assert "expected" not in sec.base  # the sweep's checks are for its table


def test_runner_uses_the_sections_it_is_given() -> None:
    # a section built once is what runs: swap the circuit and the run follows
    sc = scenario_from_dict(BELL)
    assert isinstance(sc.section, CircuitSection)
    flipped = Circuit(2, 2).x(0).x(1).measure(0, 0).measure(1, 1)
    sc.section = CircuitSection(flipped, None, ("counts",), None)
    res = run_scenario(sc, backend="python")
    assert res.outputs["counts"] == {"11": 40}
    assert "montecarlo" not in res.outputs and "bloch" not in res.outputs


def test_runner_outputs_of_each_section() -> None:
    res = run_scenario(scenario_from_dict(BELL), backend="python")
    assert sum(res.outputs["counts"].values()) == 40
    assert res.outputs["montecarlo"]["repetitions"] == 20
    assert "bloch" not in res.outputs  # noise: trajectories, so no exact final state
    exact = run_scenario(scenario_from_dict({**BELL, "noise": {}}), backend="python")
    # RY(t) then CX: cos(t/2)|00> + sin(t/2)|11>, each qubit diag(cos^2, sin^2): (0, 0, cos t)
    for v in exact.outputs["bloch"]:
        assert v == pytest.approx([0.0, 0.0, math.cos(0.25)], abs=1e-12)
    rel = run_scenario(scenario_from_dict(REL))
    assert rel.outputs["calculator"] == "gamma" and rel.outputs["gamma"] == pytest.approx(1.25)
    sweep = run_scenario(scenario_from_dict(SWEEP))
    assert sweep.passed
    gammas = [row[-1] for row in sweep.outputs["table"]["rows"]]
    assert gammas[0] == 1.0 and gammas[1] == pytest.approx(
        1 / math.sqrt(1 - (1.5e8 / 299792458.0) ** 2)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # found at load now (the runner used to find the first two only when it ran)
        (
            {"report": ["counts", "wigner"]},
            "demo.toml: report: unknown output(s) ['wigner']; allowed: bloch, counts,",
        ),
        (
            {"noise": {"depolarizing": {"p": 0.1, "qubits": [7]}}},
            "demo.toml: noise: depolarizing(p=0.1) is attached to qubit 7 but the circuit has 2",
        ),
        (
            {"montecarlo": {"event": "00", "repetitions": 5, "target_width": 0.1}},
            "demo.toml: montecarlo.repetitions: give exactly one of repetitions (>= 1) or",
        ),
        ({"montecarlo": {"event": 3}}, "demo.toml: montecarlo.event: must be a bitstring"),
        ({"montecarlo": 5}, "demo.toml: montecarlo: must be a table, got 5"),
    ],
)
def test_circuit_section_errors_name_file_field_and_problem(
    change: dict[str, Any], message: str
) -> None:
    assert _error({**BELL, **change}).startswith(message)


@pytest.mark.parametrize(
    ("base", "table", "value", "kind"),
    [
        (REL, "montecarlo", {"event": "0", "repetitions": 3}, "relativity"),
        (REL, "noise", {"depolarizing": {"p": 0.1}}, "relativity"),
        (REL, "report", ["counts"], "relativity"),
        (SANDBOX, "noise", {"depolarizing": {"p": 0.1}}, "sandbox"),
        (SANDBOX, "circuit", BELL["circuit"], "sandbox"),
        (BELL, "relativity", REL["relativity"], "circuit"),
    ],
)
def test_tables_a_kind_does_not_use_are_errors(
    base: dict[str, Any], table: str, value: Any, kind: str
) -> None:
    assert _error({**base, table: value}) == (
        f"demo.toml: {table}: not used by a {kind!r} scenario"
    )


def test_sweep_points_are_validated_as_scenarios_of_their_kind() -> None:
    over_c = copy.deepcopy(SWEEP)
    over_c["sweep"]["axes"] = [{"param": "relativity.speed", "values": [4e8, 1.0]}]
    assert "demo.toml: relativity: speed must be below the speed of light" in _error(over_c)
    circuit_sweep = {
        **{k: v for k, v in BELL.items() if k not in ("montecarlo",)},
        "kind": "sweep",
        "report": ["wigner"],
        "sweep": {"of": "circuit", "axes": [{"param": "t", "values": [0.1]}]},
    }
    assert _error(circuit_sweep).startswith("demo.toml: report: unknown output(s) ['wigner']")
    no_table = {**SWEEP}
    del no_table["sweep"]
    assert _error(no_table) == "demo.toml: sweep: missing table for kind = 'sweep'"
