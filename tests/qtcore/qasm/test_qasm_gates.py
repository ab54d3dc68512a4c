"""Each imported gate has the textbook matrix; gate modifiers are exact (phases included).

References are written here from the definitions (not taken from qtcore): qubit 0 of a
gate is the least significant bit of the matrix index (Qiskit's convention), controls
come first.
"""

from __future__ import annotations

import cmath
import math

import pytest

from qtcore import unitary_of
from qtcore.qasm import loads

M = list[list[complex]]
PI = math.pi


def mm(a: M, b: M) -> M:
    return [
        [sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
        for i in range(len(a))
    ]


def dag(a: M) -> M:
    return [[a[j][i].conjugate() for j in range(len(a))] for i in range(len(a))]


def kron(a: M, b: M) -> M:
    """a (x) b: ``b`` acts on the low bits."""
    return [
        [a[i // len(b)][j // len(b)] * b[i % len(b)][j % len(b)] for j in range(len(a) * len(b))]
        for i in range(len(a) * len(b))
    ]


def ctrl(base: M, k: int) -> M:
    """``base`` controlled on the k lowest qubits."""
    dim = len(base) << k
    mask = (1 << k) - 1
    out = [[0j] * dim for _ in range(dim)]
    for i in range(dim):
        for j in range(dim):
            if i & mask == mask and j & mask == mask:
                out[i][j] = base[i >> k][j >> k]
            elif i == j and i & mask != mask:
                out[i][j] = 1 + 0j
    return out


def e(x: float) -> complex:
    return cmath.exp(1j * x)


def U(t: float, p: float, lam: float) -> M:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return [[c + 0j, -e(lam) * s], [e(p) * s, e(p + lam) * c]]


def scale(z: complex, a: M) -> M:
    return [[z * x for x in row] for row in a]


I2: M = [[1, 0], [0, 1]]
X: M = [[0, 1], [1, 0]]
Y: M = [[0, -1j], [1j, 0]]
Z: M = [[1, 0], [0, -1]]
H: M = [[1 / math.sqrt(2)] * 2, [1 / math.sqrt(2), -1 / math.sqrt(2)]]
SX: M = [[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]]
SWAP: M = [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]


def P(lam: float) -> M:
    return [[1, 0], [0, e(lam)]]


def RX(t: float) -> M:
    return [[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]]


def RY(t: float) -> M:
    return [[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]]


def RZ(t: float) -> M:
    return [[e(-t / 2), 0], [0, e(t / 2)]]


def expm_pauli2(t: float, a: M) -> M:
    """exp(-i t/2 A(x)A) for an involutory A: cos(t/2) I - i sin(t/2) A(x)A."""
    aa = kron(a, a)
    return [
        [math.cos(t / 2) * (i == j) - 1j * math.sin(t / 2) * aa[i][j] for j in range(4)]
        for i in range(4)
    ]


A, B, C, D = 0.37, -1.21, 2.05, 0.61

QELIB1: list[tuple[str, int, M]] = [
    ("u3(A,B,C)", 1, U(A, B, C)),
    ("u(A,B,C)", 1, U(A, B, C)),
    ("U(A,B,C)", 1, U(A, B, C)),
    ("u2(A,B)", 1, U(PI / 2, A, B)),
    ("u1(A)", 1, P(A)),
    ("p(A)", 1, P(A)),
    ("u0(A)", 1, I2),
    ("id", 1, I2),
    ("x", 1, X),
    ("y", 1, Y),
    ("z", 1, Z),
    ("h", 1, H),
    ("s", 1, P(PI / 2)),
    ("sdg", 1, P(-PI / 2)),
    ("t", 1, P(PI / 4)),
    ("tdg", 1, P(-PI / 4)),
    ("sx", 1, SX),
    ("sxdg", 1, dag(SX)),
    ("rx(A)", 1, RX(A)),
    ("ry(A)", 1, RY(A)),
    ("rz(A)", 1, RZ(A)),
    ("cx", 2, ctrl(X, 1)),
    ("CX", 2, ctrl(X, 1)),
    ("cy", 2, ctrl(Y, 1)),
    ("cz", 2, ctrl(Z, 1)),
    ("ch", 2, ctrl(H, 1)),
    ("swap", 2, SWAP),
    ("crx(A)", 2, ctrl(RX(A), 1)),
    ("cry(A)", 2, ctrl(RY(A), 1)),
    ("crz(A)", 2, ctrl(RZ(A), 1)),
    ("cu1(A)", 2, ctrl(P(A), 1)),
    ("cp(A)", 2, ctrl(P(A), 1)),
    ("cu3(A,B,C)", 2, ctrl(U(A, B, C), 1)),
    ("cu(A,B,C,D)", 2, ctrl(scale(e(D), U(A, B, C)), 1)),
    ("csx", 2, ctrl(SX, 1)),
    ("rxx(A)", 2, expm_pauli2(A, X)),
    ("rzz(A)", 2, expm_pauli2(A, Z)),
    ("ccx", 3, ctrl(X, 2)),
    ("cswap", 3, ctrl(SWAP, 1)),
    ("c3x", 4, ctrl(X, 3)),
    ("c4x", 5, ctrl(X, 4)),
    ("c3sqrtx", 4, ctrl(SX, 3)),
]


def _unitary(text: str) -> M:
    return [list(r) for r in unitary_of(loads(text))]


def _call(expr: str, k: int) -> str:
    for sym, v in (("A", A), ("B", B), ("C", C), ("D", D)):
        expr = expr.replace(sym, repr(v)) if "(" in expr else expr
    return f"{expr} " + ", ".join(f"q[{i}]" for i in range(k)) + ";"


def assert_equal(u: M, v: M, tol: float = 1e-9, up_to_phase: bool = False) -> None:
    assert len(u) == len(v)
    if up_to_phase:
        k = max(range(len(v)), key=lambda i: abs(v[i][0]))
        z = u[k][0] / v[k][0]
        assert abs(abs(z) - 1) < tol
        v = scale(z, v)
    worst = max(
        abs(a - b) for ru, rv in zip(u, v, strict=True) for a, b in zip(ru, rv, strict=True)
    )
    assert worst < tol, worst


@pytest.mark.parametrize(("call", "k", "ref"), QELIB1, ids=[c for c, _, _ in QELIB1])
def test_qelib1_gate_matrix(call: str, k: int, ref: M) -> None:
    u = _unitary(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{k}];\n' + _call(call, k))
    assert_equal(u, ref)


@pytest.mark.parametrize(("name", "k"), [("rccx", 3), ("rc3x", 4)])
def test_qelib1_relative_phase_toffoli(name: str, k: int) -> None:
    u = _unitary(f'OPENQASM 2.0; include "qelib1.inc"; qreg q[{k}]; ' + _call(name, k))
    d = mm(u, ctrl(X, k - 1))  # = diagonal of unit-modulus phases
    for i in range(1 << k):
        for j in range(1 << k):
            assert abs(d[i][j]) == pytest.approx(1.0 if i == j else 0.0, abs=1e-9)


STD3: list[tuple[str, int, M]] = [
    ("U(A,B,C)", 1, U(A, B, C)),
    ("u3(A,B,C)", 1, scale(e(-(B + C) / 2), U(A, B, C))),  # stdgates.inc's global phase
    ("u2(A,B)", 1, scale(e(-(A + B + PI) / 2), U(PI / 2, A, B))),
    ("u1(A)", 1, P(A)),
    ("phase(A)", 1, P(A)),
    ("p(A)", 1, P(A)),
    ("id", 1, I2),
    ("x", 1, X),
    ("y", 1, Y),
    ("z", 1, Z),
    ("h", 1, H),
    ("s", 1, P(PI / 2)),
    ("sdg", 1, P(-PI / 2)),
    ("t", 1, P(PI / 4)),
    ("tdg", 1, P(-PI / 4)),
    ("sx", 1, SX),
    ("rx(A)", 1, RX(A)),
    ("ry(A)", 1, RY(A)),
    ("rz(A)", 1, RZ(A)),
    ("cx", 2, ctrl(X, 1)),
    ("cy", 2, ctrl(Y, 1)),
    ("cz", 2, ctrl(Z, 1)),
    ("ch", 2, ctrl(H, 1)),
    ("cp(A)", 2, ctrl(P(A), 1)),
    ("cphase(A)", 2, ctrl(P(A), 1)),
    ("crx(A)", 2, ctrl(RX(A), 1)),
    ("cry(A)", 2, ctrl(RY(A), 1)),
    ("crz(A)", 2, ctrl(RZ(A), 1)),
    ("cu(A,B,C,D)", 2, ctrl(scale(e(D), U(A, B, C)), 1)),
    ("swap", 2, SWAP),
    ("ccx", 3, ctrl(X, 2)),
    ("cswap", 3, ctrl(SWAP, 1)),
]
H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


def _xs(k: int, n: int) -> M:
    """X on each of the k lowest of n qubits."""
    m: M = [[1]]
    for q in range(n):
        m = kron(X if q < k else I2, m)
    return m


@pytest.mark.parametrize(("call", "k", "ref"), STD3, ids=[c for c, _, _ in STD3])
def test_stdgates_gate_and_modifiers(call: str, k: int, ref: M) -> None:
    def run(mod: str, n: int) -> M:
        return _unitary(H3 + f"qubit[{n}] q;\n" + mod + _call(call, n))

    # a top-level gate drops a global phase (stdgates.inc's u2/u3 carry one)
    phase = call.startswith(("u2", "u3"))
    assert_equal(run("", k), ref, up_to_phase=phase)
    assert_equal(run("inv @ ", k), dag(ref), up_to_phase=phase)
    assert_equal(run("pow(3) @ ", k), mm(ref, mm(ref, ref)), up_to_phase=phase)
    assert_equal(run("pow(-2) @ ", k), dag(mm(ref, ref)), up_to_phase=phase)
    identity = [[complex(i == j) for j in range(1 << k)] for i in range(1 << k)]
    assert_equal(run("pow(0) @ ", k), identity)
    assert_equal(run("ctrl @ ", k + 1), ctrl(ref, 1))
    assert_equal(run("ctrl(2) @ ", k + 2), ctrl(ref, 2))
    assert_equal(run("ctrl @ ctrl @ ", k + 2), ctrl(ref, 2))
    if k <= 2:
        assert_equal(run("ctrl(3) @ ", k + 3), ctrl(ref, 3))
    flip = _xs(1, k + 1)
    assert_equal(run("negctrl @ ", k + 1), mm(flip, mm(ctrl(ref, 1), flip)))
    assert_equal(run("ctrl @ inv @ ", k + 1), ctrl(dag(ref), 1))


GDEF = "gate g(a, b) x, y { u3(a, b, 0.2) x; cx x, y; ctrl @ ry(a * b) y, x; gphase(b); }\n"


def test_modifiers_on_custom_gate_with_symbolic_body() -> None:
    a, b = 0.7, -0.4
    u3 = scale(e(-(b + 0.2) / 2), U(a, b, 0.2))  # stdgates.inc u3, phase included
    swap_cry = mm(SWAP, mm(ctrl(RY(a * b), 1), SWAP))  # control qubit 1, target qubit 0
    g = scale(e(b), mm(swap_cry, mm(ctrl(X, 1), kron(I2, u3))))
    plain = _unitary(H3 + GDEF + "qubit[2] q; g(0.7, -0.4) q[0], q[1];")
    assert_equal(plain, g, up_to_phase=True)  # a plain call drops the body's global phase
    c2 = _unitary(H3 + GDEF + "qubit[4] q; ctrl(2) @ g(0.7, -0.4) q[0], q[1], q[2], q[3];")
    assert_equal(c2, ctrl(g, 2))
    inv = _unitary(H3 + GDEF + "qubit[3] q; negctrl @ inv @ g(0.7, -0.4) q[2], q[0], q[1];")
    # the (negative) control is q[2], the most significant bit
    gd = dag(g)
    ref = [
        [
            (gd[i & 3][j & 3] if i >> 2 == 0 else complex(i == j)) if i >> 2 == j >> 2 else 0j
            for j in range(8)
        ]
        for i in range(8)
    ]
    assert_equal(inv, ref)
