"""Gates: the standard set, arbitrary unitaries, user-defined composite gates.

Named singletons (``H``, ``CX``...) for fixed gates and lowercase factories
(``rx(theta)``...) for parameterised ones. See :mod:`qtcore.ops._gates` for the
qubit-order convention (qubit 0 = least significant bit, Qiskit's convention).
"""

from __future__ import annotations

from qtcore._parameter import ParamValue
from qtcore.ops._gates import (
    GATES,
    Gate,
    GateSpec,
    InverseGate,
    UnitaryGate,
    controlled_matrix,
    gate,
    gate_spec,
)
from qtcore.ops._matrix import Matrix, dagger, identity, is_unitary, kron, matmul

__all__ = [
    "CCX",
    "CCZ",
    "CH",
    "CS",
    "CSDG",
    "CSWAP",
    "CX",
    "CY",
    "CZ",
    "GATES",
    "ISWAP",
    "SDG",
    "SWAP",
    "SX",
    "SXDG",
    "TDG",
    "Gate",
    "GateSpec",
    "H",
    "I",
    "InverseGate",
    "Matrix",
    "S",
    "T",
    "UnitaryGate",
    "X",
    "Y",
    "Z",
    "controlled_matrix",
    "cp",
    "crx",
    "cry",
    "crz",
    "cu",
    "dagger",
    "gate",
    "gate_spec",
    "identity",
    "is_unitary",
    "kron",
    "matmul",
    "mcp",
    "mcx",
    "mcz",
    "p",
    "rx",
    "rxx",
    "ry",
    "ryy",
    "rz",
    "rzz",
    "u",
    "u1",
    "u2",
    "u3",
]

I = Gate("id")
X = Gate("x")
Y = Gate("y")
Z = Gate("z")
H = Gate("h")
S = Gate("s")
SDG = Gate("sdg")
T = Gate("t")
TDG = Gate("tdg")
SX = Gate("sx")
SXDG = Gate("sxdg")
CX = Gate("cx")
CY = Gate("cy")
CZ = Gate("cz")
CH = Gate("ch")
CS = Gate("cs")
CSDG = Gate("csdg")
SWAP = Gate("swap")
ISWAP = Gate("iswap")
CCX = Gate("ccx")
CCZ = Gate("ccz")
CSWAP = Gate("cswap")


def rx(theta: ParamValue) -> Gate:
    """RX(theta) = exp(-i theta X / 2)."""
    return Gate("rx", (theta,))


def ry(theta: ParamValue) -> Gate:
    """RY(theta) = exp(-i theta Y / 2)."""
    return Gate("ry", (theta,))


def rz(theta: ParamValue) -> Gate:
    """RZ(theta) = exp(-i theta Z / 2) = diag(e^{-i theta/2}, e^{i theta/2})."""
    return Gate("rz", (theta,))


def p(lam: ParamValue) -> Gate:
    """P(lambda) = diag(1, e^{i lambda})."""
    return Gate("p", (lam,))


def u(theta: ParamValue, phi: ParamValue, lam: ParamValue) -> Gate:
    """U(theta, phi, lambda), OpenQASM's generic single-qubit gate."""
    return Gate("u", (theta, phi, lam))


def u1(lam: ParamValue) -> Gate:
    """U1(lambda) = P(lambda)."""
    return Gate("u1", (lam,))


def u2(phi: ParamValue, lam: ParamValue) -> Gate:
    """U2(phi, lambda) = U(pi/2, phi, lambda)."""
    return Gate("u2", (phi, lam))


def u3(theta: ParamValue, phi: ParamValue, lam: ParamValue) -> Gate:
    """U3 = U."""
    return Gate("u3", (theta, phi, lam))


def cp(lam: ParamValue) -> Gate:
    """Controlled phase."""
    return Gate("cp", (lam,))


def crx(theta: ParamValue) -> Gate:
    """Controlled RX."""
    return Gate("crx", (theta,))


def cry(theta: ParamValue) -> Gate:
    """Controlled RY."""
    return Gate("cry", (theta,))


def crz(theta: ParamValue) -> Gate:
    """Controlled RZ."""
    return Gate("crz", (theta,))


def cu(theta: ParamValue, phi: ParamValue, lam: ParamValue, gamma: ParamValue = 0.0) -> Gate:
    """Controlled U(theta, phi, lambda) with phase gamma."""
    return Gate("cu", (theta, phi, lam, gamma))


def rxx(theta: ParamValue) -> Gate:
    """exp(-i theta XX / 2)."""
    return Gate("rxx", (theta,))


def ryy(theta: ParamValue) -> Gate:
    """exp(-i theta YY / 2)."""
    return Gate("ryy", (theta,))


def rzz(theta: ParamValue) -> Gate:
    """exp(-i theta ZZ / 2)."""
    return Gate("rzz", (theta,))


def mcx(num_controls: int) -> Gate:
    """X controlled on ``num_controls`` qubits (given first)."""
    return Gate("mcx", (), num_controls)


def mcz(num_controls: int) -> Gate:
    """Z controlled on ``num_controls`` qubits."""
    return Gate("mcz", (), num_controls)


def mcp(lam: ParamValue, num_controls: int) -> Gate:
    """Phase ``lam`` controlled on ``num_controls`` qubits."""
    return Gate("mcp", (lam,), num_controls)
