"""Gate matrices against published definitions (Qiskit's documented matrices)."""

from __future__ import annotations

import cmath
import math

import pytest

from qtcore.errors import CircuitError, GateError
from qtcore.ops import GATES, Gate, InverseGate, UnitaryGate, cu, mcx, rx, rxx, ryy, rz, u
from qtcore.testing import assert_gate_consistent

SQ = 1 / math.sqrt(2)


def _close(a: object, b: object, atol: float = 1e-12) -> bool:
    return all(
        abs(x - y) <= atol for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)
    )  # type: ignore[call-overload]


def _sample(name: str) -> Gate:
    spec = GATES[name]
    params = [0.3 + 0.71 * i for i in range(spec.num_params)]
    return Gate(name, params, 3 if spec.variadic else None)


@pytest.mark.parametrize("name", list(GATES))
def test_gate_consistent_every_gate(name: str, backends: tuple[str, ...]) -> None:
    assert_gate_consistent(_sample(name), backends=backends)


def test_gate_cx_matrix_qiskit_convention() -> None:
    # Qiskit: CX with control q0 (LSB) is [[1,0,0,0],[0,0,0,1],[0,0,1,0],[0,1,0,0]]
    want = [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]]
    assert _close(Gate("cx").matrix(), want)


def test_gate_single_qubit_published_matrices() -> None:
    t = 0.731
    c, s = math.cos(t / 2), math.sin(t / 2)
    assert _close(rx(t).matrix(), [[c, -1j * s], [-1j * s, c]])
    assert _close(rz(t).matrix(), [[cmath.exp(-0.5j * t), 0], [0, cmath.exp(0.5j * t)]])
    assert _close(Gate("h").matrix(), [[SQ, SQ], [SQ, -SQ]])
    assert _close(Gate("sx").matrix(), [[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]])
    th, ph, la = 0.4, 1.1, -0.7
    want = [
        [math.cos(th / 2), -cmath.exp(1j * la) * math.sin(th / 2)],
        [cmath.exp(1j * ph) * math.sin(th / 2), cmath.exp(1j * (ph + la)) * math.cos(th / 2)],
    ]
    assert _close(u(th, ph, la).matrix(), want)
    assert _close(Gate("u2", (ph, la)).matrix(), u(math.pi / 2, ph, la).matrix())


def test_gate_two_qubit_published_matrices() -> None:
    t = 0.9
    c, s = math.cos(t / 2), math.sin(t / 2)
    assert _close(
        rxx(t).matrix(),
        [[c, 0, 0, -1j * s], [0, c, -1j * s, 0], [0, -1j * s, c, 0], [-1j * s, 0, 0, c]],
    )
    assert _close(
        ryy(t).matrix(),
        [[c, 0, 0, 1j * s], [0, c, -1j * s, 0], [0, -1j * s, c, 0], [1j * s, 0, 0, c]],
    )
    assert _close(
        Gate("iswap").matrix(), [[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]]
    )
    # Qiskit CU(theta, phi, lambda, gamma), control q0
    th, ph, la, ga = 0.5, 0.2, -0.3, 0.8
    m = cu(th, ph, la, ga).matrix()
    e = cmath.exp(1j * ga)
    assert abs(m[1][1] - e * math.cos(th / 2)) < 1e-12
    assert abs(m[1][3] + e * cmath.exp(1j * la) * math.sin(th / 2)) < 1e-12
    assert abs(m[3][1] - e * cmath.exp(1j * ph) * math.sin(th / 2)) < 1e-12
    assert m[0][0] == 1 and m[2][2] == 1


def test_gate_mcx_flips_only_all_ones() -> None:
    m = mcx(3).matrix()
    # controls are the low three bits: |t=0,ccc=111> (7) <-> |t=1,ccc=111> (15)
    for i in range(16):
        j = {7: 15, 15: 7}.get(i, i)
        assert m[j][i] == 1


def test_gate_inverse_names() -> None:
    assert Gate("s").inverse() == Gate("sdg")
    assert Gate("t").inverse().inverse() == Gate("t")
    assert rx(0.3).inverse() == rx(-0.3)
    assert isinstance(Gate("iswap").inverse(), InverseGate)


def test_gate_unitary_rejects_non_unitary() -> None:
    with pytest.raises(GateError, match="not unitary"):
        UnitaryGate([[1, 0], [0, 2]])
    with pytest.raises(GateError, match="2\\*\\*k"):
        UnitaryGate([[1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_gate_wrong_parameter_count() -> None:
    with pytest.raises(CircuitError, match="takes 1 parameter"):
        Gate("rx", ())
    with pytest.raises(CircuitError, match="unknown gate 'hh'"):
        Gate("hh")
    with pytest.raises(CircuitError, match="finite"):
        Gate("rx", (float("nan"),))


def test_gate_registry_lists_every_standard_gate() -> None:
    required = {
        "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p",
        "u", "u1", "u2", "u3", "cx", "cy", "cz", "ch", "cp", "crx", "cry", "crz", "cu", "swap",
        "iswap", "rxx", "ryy", "rzz", "ccx", "cswap", "mcx", "mcz", "mcp",
    }  # fmt: skip
    assert required <= set(GATES)
    for spec in GATES.values():
        assert spec.summary, spec.name
