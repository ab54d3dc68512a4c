"""Circuit building, validation and transforms."""

from __future__ import annotations

import math

import pytest

from qtcore import Circuit, Parameter, simulate
from qtcore.errors import CircuitError, UnboundParameterError
from qtcore.ops import Gate


def test_circuit_builder_chains_and_counts() -> None:
    c = Circuit(3, 1).h(0).cx(0, 1).cx(1, 2).barrier().measure(2, 0)
    assert c.count_ops() == {"cx": 2, "h": 1, "barrier": 1, "measure": 1}
    assert c.size == 4
    assert c.depth() == 4


def test_circuit_depth_parallel_gates() -> None:
    c = Circuit(4).h(0).h(1).h(2).h(3).cx(0, 1).cx(2, 3)
    assert c.depth() == 2


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda c: c.h(3), "qubit 3 out of range for a 3-qubit circuit"),
        (lambda c: c.cx(1, 1), "duplicate qubits"),
        (lambda c: c.h(-1), "out of range"),
        (lambda c: c.h(True), "must be an int"),
        (lambda c: c.measure(0, 5), "classical bit 5 out of range"),
        (lambda c: c.c_if(0, 1), "needs a preceding instruction"),
        (lambda c: c.append(Gate("cx"), [0]), "acts on 2 qubit"),
    ],
)
def test_circuit_invalid_raises_specific_error(build: object, message: str) -> None:
    c = Circuit(3, 2)
    with pytest.raises(CircuitError, match=message):
        build(c)  # type: ignore[operator]


def test_circuit_condition_value_range() -> None:
    c = Circuit(2, 2).x(0)
    with pytest.raises(CircuitError, match="condition value"):
        c.c_if([0, 1], 4)


def test_circuit_parameters_bind() -> None:
    theta = Parameter("theta")
    c = Circuit(1).rx(2 * theta, 0).rz(theta - 0.5, 0)
    assert c.parameters == {"theta"}
    with pytest.raises(UnboundParameterError, match="theta"):
        simulate(c)
    b = c.bind(theta=0.25)
    assert not b.parameters
    assert b.instructions[0].gate.params == (0.5,)  # type: ignore[union-attr]
    assert b.instructions[1].gate.params == (-0.25,)  # type: ignore[union-attr]
    with pytest.raises(CircuitError, match="unknown parameter"):
        c.bind(phi=1.0)


def test_circuit_inverse_restores_state(backends: tuple[str, ...]) -> None:
    c = Circuit(3).h(0).t(1).cx(0, 2).rxx(0.4, 1, 2).iswap(0, 1).u(0.1, 0.2, 0.3, 2).ccx(0, 1, 2)
    for b in backends:
        s = simulate(c + c.inverse(), backend=b).state.to_list()
        assert abs(s[0] - 1) < 1e-12
        assert all(abs(x) < 1e-12 for x in s[1:])


def test_circuit_inverse_rejects_measurement() -> None:
    with pytest.raises(CircuitError, match="unitary circuit"):
        Circuit(1, 1).measure(0, 0).inverse()


def test_circuit_compose_maps_qubits() -> None:
    sub = Circuit(2).h(0).cx(0, 1)
    c = Circuit(3).compose(sub, qubits=[2, 0])
    assert [i.qubits for i in c.instructions] == [(2,), (2, 0)]


def test_circuit_dict_round_trip() -> None:
    c = Circuit(2, 2).h(0).rx(math.pi / 3, 1).cp(0.2, 0, 1).measure(0, 0).x(1).c_if(0, 1)
    again = Circuit.from_dict(c.to_dict())
    assert again == c


def test_circuit_from_dict_errors_name_the_op() -> None:
    bad = {"num_qubits": 2, "ops": [{"op": "h", "qubits": [0]}, {"op": "cx", "qubits": [0, 5]}]}
    with pytest.raises(CircuitError, match=r"ops\[1\]: qubit 5 out of range"):
        Circuit.from_dict(bad)
    with pytest.raises(CircuitError, match=r"ops\[0\]: unknown field"):
        Circuit.from_dict({"num_qubits": 1, "ops": [{"op": "h", "qubit": 0}]})


def test_circuit_from_dict_parses_expressions() -> None:
    c = Circuit.from_dict(
        {"num_qubits": 1, "ops": [{"op": "rx", "params": ["pi/2"], "qubits": [0]}]}
    )
    assert c.instructions[0].gate.params == (math.pi / 2,)  # type: ignore[union-attr]
    c = Circuit.from_dict(
        {"num_qubits": 1, "ops": [{"op": "rx", "params": ["2*t"], "qubits": [0]}]}
    )
    assert c.parameters == {"t"}


def test_circuit_mid_circuit_detection() -> None:
    assert not Circuit(2, 2).h(0).measure(0, 0).measure(1, 1).has_mid_circuit_measurement
    assert Circuit(2, 2).measure(0, 0).h(0).has_mid_circuit_measurement
    assert Circuit(2, 2).reset(0).has_mid_circuit_measurement
    assert Circuit(2, 2).x(0).c_if(0, 1).has_mid_circuit_measurement


def test_circuit_composite_gate_matches_definition(backends: tuple[str, ...]) -> None:
    t = Parameter("t")
    sub = Circuit(2, name="zz").cx(0, 1).rz(t, 1).cx(0, 1)
    g = sub.to_gate("zz")
    c = Circuit(2).h(0).h(1).append(g.bind({"t": 0.7}), [0, 1])
    ref = Circuit(2).h(0).h(1).rzz(0.7, 0, 1)
    for b in backends:
        assert simulate(c, backend=b).state.equiv(simulate(ref, backend=b).state)


COMPOSITE_QASM = """OPENQASM 2.0;
include "qelib1.inc";
gate bell a, b { h a; cx a, b; }
gate rot(theta) a { rz(theta) a; rx(theta/2) a; }
qreg q[3];
bell q[1], q[0];
rot(pi/3) q[2];
"""


def test_composite_gates_round_trip_through_to_dict() -> None:
    from qtcore import unitary_of
    from qtcore.qasm import loads

    circuit = loads(COMPOSITE_QASM)
    d = circuit.to_dict()
    assert [op["op"] for op in d["ops"]] == ["bell", "rot"]
    assert d["ops"][0]["definition"]["ops"] == [
        {"op": "h", "qubits": [0]},
        {"op": "cx", "qubits": [0, 1]},
    ]
    assert d["ops"][1]["definition"]["params"] == ["theta"]
    back = Circuit.from_dict(d)
    assert back == circuit
    # Against the same gates written out by hand (the definition's qubit a is q[1]).
    flat = Circuit(3).h(1).cx(1, 0).rz(math.pi / 3, 2).rx(math.pi / 6, 2)
    u, v = unitary_of(back), unitary_of(flat)
    assert all(abs(u[i][j] - v[i][j]) < 1e-12 for i in range(8) for j in range(8))


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ([], "'definition' must be"),
        ({"num_qubits": 1, "ops": [], "params": "theta"}, "must be a list of names"),
        ({"num_qubits": 1, "ops": [], "extra": 1}, "unknown definition field"),
        ({"num_qubits": 1, "ops": [{"op": "reset", "qubits": [0]}]}, "only contain unitary"),
    ],
)
def test_composite_definition_errors_name_the_gate(definition: object, message: str) -> None:
    op = {"op": "g", "qubits": [0], "definition": definition}
    with pytest.raises(CircuitError, match=message):
        Circuit.from_dict({"num_qubits": 1, "ops": [op]})
