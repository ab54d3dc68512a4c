"""The standard gate set and its registry.

Qubit order (Qiskit convention, used everywhere in qtcore): qubit 0 is the least
significant bit of a basis index and the rightmost character of a bitstring. In
a gate's matrix the gate's *first* qubit argument is the least significant bit of
the matrix index, so ``cx(control, target)`` has the matrix::

    [[1, 0, 0, 0],
     [0, 0, 0, 1],
     [0, 0, 1, 0],
     [0, 1, 0, 0]]

Controlled gates take their control qubits first. Every gate knows its matrix, its
inverse and its OpenQASM names; :data:`GATES` lists the whole set for docs and UIs.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qtcore._parameter import (
    ParameterExpression,
    ParamValue,
    bind_value,
    is_symbolic,
    require_number,
)
from qtcore.errors import CircuitError, GateError
from qtcore.ops._matrix import Matrix, dagger, expi, identity, is_unitary, to_matrix

__all__ = [
    "GATES",
    "Gate",
    "GateSpec",
    "InverseGate",
    "UnitaryGate",
    "controlled_matrix",
    "gate",
    "gate_spec",
]

_SQ2 = 1 / math.sqrt(2)
_J = 1j


def _c(x: float) -> complex:
    return complex(x, 0.0)


def _rx(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return ((_c(c), -1j * s), (-1j * s, _c(c)))


def _ry(t: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return ((_c(c), _c(-s)), (_c(s), _c(c)))


def _rz(t: float) -> Matrix:
    return ((expi(-t / 2), 0j), (0j, expi(t / 2)))


def _p(lam: float) -> Matrix:
    return ((1 + 0j, 0j), (0j, expi(lam)))


def _u(t: float, phi: float, lam: float) -> Matrix:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return ((_c(c), -expi(lam) * s), (expi(phi) * s, expi(phi + lam) * c))


def _rxx(t: float) -> Matrix:
    c, s = _c(math.cos(t / 2)), -1j * math.sin(t / 2)
    return ((c, 0j, 0j, s), (0j, c, s, 0j), (0j, s, c, 0j), (s, 0j, 0j, c))


def _ryy(t: float) -> Matrix:
    c, s = _c(math.cos(t / 2)), 1j * math.sin(t / 2)
    return ((c, 0j, 0j, s), (0j, c, -s, 0j), (0j, -s, c, 0j), (s, 0j, 0j, c))


def _rzz(t: float) -> Matrix:
    a, b = expi(-t / 2), expi(t / 2)
    return ((a, 0j, 0j, 0j), (0j, b, 0j, 0j), (0j, 0j, b, 0j), (0j, 0j, 0j, a))


_X: Matrix = ((0j, 1 + 0j), (1 + 0j, 0j))
_Y: Matrix = ((0j, -1j), (1j, 0j))
_Z: Matrix = ((1 + 0j, 0j), (0j, -1 + 0j))
_H: Matrix = ((_c(_SQ2), _c(_SQ2)), (_c(_SQ2), _c(-_SQ2)))
_S: Matrix = ((1 + 0j, 0j), (0j, 1j))
_T: Matrix = ((1 + 0j, 0j), (0j, cmath.exp(1j * math.pi / 4)))
_SX: Matrix = ((0.5 + 0.5j, 0.5 - 0.5j), (0.5 - 0.5j, 0.5 + 0.5j))
_SWAP: Matrix = (
    (1 + 0j, 0j, 0j, 0j),
    (0j, 0j, 1 + 0j, 0j),
    (0j, 1 + 0j, 0j, 0j),
    (0j, 0j, 0j, 1 + 0j),
)
_ISWAP: Matrix = ((1 + 0j, 0j, 0j, 0j), (0j, 0j, 1j, 0j), (0j, 1j, 0j, 0j), (0j, 0j, 0j, 1 + 0j))


def _const(m: Matrix) -> Callable[..., Matrix]:
    return lambda: m


@dataclass(frozen=True)
class GateSpec:
    """Static description of a named gate.

    Attributes:
        name: canonical lowercase name (also the builder method's name).
        num_params: number of angle parameters.
        num_controls: leading control qubits (0 for an uncontrolled gate).
        num_targets: qubits the base matrix acts on.
        base: returns the target (base) matrix from the parameters.
        structure: ``"diagonal"``, ``"permutation"`` or ``"general"`` (of the base).
        inverse: returns ``(name, params)`` of the inverse; ``None`` means self-inverse.
        qasm2: name in OpenQASM 2 ``qelib1.inc`` (Qiskit's edition) or ``None``.
        qasm3: name in OpenQASM 3 ``stdgates.inc`` or ``None``.
        summary: one line for the gate reference.
        variadic: the number of controls is chosen per instance (mcx, mcz, mcp).
    """

    name: str
    num_params: int
    num_controls: int
    num_targets: int
    base: Callable[..., Matrix]
    structure: str
    inverse: Callable[[tuple[ParamValue, ...]], tuple[str, tuple[ParamValue, ...]]] | None
    qasm2: str | None
    qasm3: str | None
    summary: str
    params: tuple[str, ...] = ()
    variadic: bool = False

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form (camelCase keys): what the circuit editor's palette needs."""
        return {
            "name": self.name,
            "numParams": self.num_params,
            "params": list(self.params),
            "numControls": self.num_controls,
            "numTargets": self.num_targets,
            "summary": self.summary,
            "variadic": self.variadic,
            "structure": self.structure,
            "qasm2": self.qasm2,
            "qasm3": self.qasm3,
        }


def _neg(name: str) -> Callable[[tuple[ParamValue, ...]], tuple[str, tuple[ParamValue, ...]]]:
    return lambda p: (name, tuple(-x for x in p))


def _to(name: str) -> Callable[[tuple[ParamValue, ...]], tuple[str, tuple[ParamValue, ...]]]:
    return lambda p: (name, p)


def _u_inv(p: tuple[ParamValue, ...]) -> tuple[str, tuple[ParamValue, ...]]:
    t, phi, lam = p
    return ("u", (-t, -lam, -phi))


def _u2_inv(p: tuple[ParamValue, ...]) -> tuple[str, tuple[ParamValue, ...]]:
    phi, lam = p
    return ("u", (-math.pi / 2, -lam, -phi))


def _cu_inv(p: tuple[ParamValue, ...]) -> tuple[str, tuple[ParamValue, ...]]:
    t, phi, lam, g = p
    return ("cu", (-t, -lam, -phi, -g))


def _cu_base(t: float, phi: float, lam: float, g: float) -> Matrix:
    e = expi(g)
    return tuple(tuple(e * x for x in row) for row in _u(t, phi, lam))


_SPECS: list[GateSpec] = []


def _add(
    name: str,
    base: Callable[..., Matrix],
    *,
    params: tuple[str, ...] = (),
    controls: int = 0,
    targets: int = 1,
    structure: str = "general",
    inverse: Callable[[tuple[ParamValue, ...]], tuple[str, tuple[ParamValue, ...]]] | None = None,
    qasm2: str | None = "same",
    qasm3: str | None = "same",
    summary: str = "",
    variadic: bool = False,
) -> None:
    _SPECS.append(
        GateSpec(
            name=name,
            num_params=len(params),
            num_controls=controls,
            num_targets=targets,
            base=base,
            structure=structure,
            inverse=inverse,
            qasm2=name if qasm2 == "same" else qasm2,
            qasm3=name if qasm3 == "same" else qasm3,
            summary=summary,
            params=params,
            variadic=variadic,
        )
    )


TH, PH, LA, GA = "theta", "phi", "lambda", "gamma"
_add("id", _const(identity(2)), structure="diagonal", summary="Identity (does nothing).")
_add("x", _const(_X), structure="permutation", summary="Pauli X (NOT, bit flip).")
_add("y", _const(_Y), summary="Pauli Y.")
_add("z", _const(_Z), structure="diagonal", summary="Pauli Z (phase flip).")
_add("h", _const(_H), summary="Hadamard: |0> -> |+>, |1> -> |->.")
_add("s", _const(_S), structure="diagonal", inverse=_to("sdg"), summary="S = sqrt(Z).")
_add("sdg", _const(dagger(_S)), structure="diagonal", inverse=_to("s"), summary="S dagger.")
_add("t", _const(_T), structure="diagonal", inverse=_to("tdg"), summary="T = fourth root of Z.")
_add("tdg", _const(dagger(_T)), structure="diagonal", inverse=_to("t"), summary="T dagger.")
_add("sx", _const(_SX), inverse=_to("sxdg"), summary="Square root of X.")
_add("sxdg", _const(dagger(_SX)), inverse=_to("sx"), qasm3=None, summary="Inverse of sqrt(X).")
_add("rx", _rx, params=(TH,), inverse=_neg("rx"), summary="Rotation about X: exp(-i theta X/2).")
_add("ry", _ry, params=(TH,), inverse=_neg("ry"), summary="Rotation about Y: exp(-i theta Y/2).")
_add(
    "rz",
    _rz,
    params=(TH,),
    structure="diagonal",
    inverse=_neg("rz"),
    summary="Rotation about Z: exp(-i theta Z/2).",
)
_add(
    "p",
    _p,
    params=(LA,),
    structure="diagonal",
    inverse=_neg("p"),
    summary="Phase gate diag(1, e^{i lambda}).",
)
_add(
    "u",
    _u,
    params=(TH, PH, LA),
    inverse=_u_inv,
    qasm2="u3",
    qasm3="U",
    summary="Generic single-qubit rotation U(theta, phi, lambda).",
)
_add("u1", _p, params=(LA,), structure="diagonal", inverse=_neg("u1"), summary="U1 = P (alias).")
_add(
    "u2",
    lambda phi, lam: _u(math.pi / 2, phi, lam),
    params=(PH, LA),
    inverse=_u2_inv,
    summary="U2(phi, lambda) = U(pi/2, phi, lambda) (alias).",
)
_add("u3", _u, params=(TH, PH, LA), inverse=_u_inv, summary="U3 = U (alias).")
_add("cx", _const(_X), controls=1, structure="permutation", summary="Controlled X (CNOT).")
_add("cy", _const(_Y), controls=1, summary="Controlled Y.")
_add("cz", _const(_Z), controls=1, structure="diagonal", summary="Controlled Z.")
_add("ch", _const(_H), controls=1, summary="Controlled Hadamard.")
_add(
    "cs",
    _const(_S),
    controls=1,
    structure="diagonal",
    inverse=_to("csdg"),
    qasm2=None,
    qasm3=None,
    summary="Controlled S.",
)
_add(
    "csdg",
    _const(dagger(_S)),
    controls=1,
    structure="diagonal",
    inverse=_to("cs"),
    qasm2=None,
    qasm3=None,
    summary="Controlled S dagger.",
)
_add(
    "cp",
    _p,
    params=(LA,),
    controls=1,
    structure="diagonal",
    inverse=_neg("cp"),
    qasm2="cu1",
    summary="Controlled phase.",
)
_add("crx", _rx, params=(TH,), controls=1, inverse=_neg("crx"), summary="Controlled RX.")
_add("cry", _ry, params=(TH,), controls=1, inverse=_neg("cry"), summary="Controlled RY.")
_add(
    "crz",
    _rz,
    params=(TH,),
    controls=1,
    structure="diagonal",
    inverse=_neg("crz"),
    summary="Controlled RZ.",
)
_add(
    "cu",
    _cu_base,
    params=(TH, PH, LA, GA),
    controls=1,
    inverse=_cu_inv,
    qasm2="cu",
    summary="Controlled U(theta, phi, lambda) with global phase gamma on the target.",
)
_add("swap", _const(_SWAP), targets=2, structure="permutation", summary="Swap two qubits.")
_add(
    "iswap",
    _const(_ISWAP),
    targets=2,
    qasm2=None,
    qasm3=None,
    summary="iSWAP: swap with phase i on |01> and |10>.",
)
_add(
    "rxx",
    _rxx,
    params=(TH,),
    targets=2,
    inverse=_neg("rxx"),
    qasm2="rxx",
    qasm3=None,
    summary="Ising XX coupling exp(-i theta XX/2).",
)
_add(
    "ryy",
    _ryy,
    params=(TH,),
    targets=2,
    inverse=_neg("ryy"),
    qasm2=None,
    qasm3=None,
    summary="Ising YY coupling exp(-i theta YY/2).",
)
_add(
    "rzz",
    _rzz,
    params=(TH,),
    targets=2,
    structure="diagonal",
    inverse=_neg("rzz"),
    qasm2="rzz",
    qasm3=None,
    summary="Ising ZZ coupling exp(-i theta ZZ/2).",
)
_add("ccx", _const(_X), controls=2, structure="permutation", summary="Toffoli (CCX).")
_add(
    "ccz",
    _const(_Z),
    controls=2,
    structure="diagonal",
    qasm2=None,
    qasm3=None,
    summary="Doubly controlled Z.",
)
_add(
    "cswap",
    _const(_SWAP),
    controls=1,
    targets=2,
    structure="permutation",
    summary="Fredkin (controlled swap).",
)
_add(
    "mcx",
    _const(_X),
    controls=1,
    structure="permutation",
    qasm2=None,
    qasm3=None,
    variadic=True,
    summary="Multi-controlled X (any number of controls).",
)
_add(
    "mcz",
    _const(_Z),
    controls=1,
    structure="diagonal",
    qasm2=None,
    qasm3=None,
    variadic=True,
    summary="Multi-controlled Z (any number of controls).",
)
_add(
    "mcp",
    _p,
    params=(LA,),
    controls=1,
    structure="diagonal",
    inverse=_neg("mcp"),
    qasm2=None,
    qasm3=None,
    variadic=True,
    summary="Multi-controlled phase (any number of controls).",
)

GATES: Mapping[str, GateSpec] = {s.name: s for s in _SPECS}
"""Every named gate, by canonical name, in a stable order (for docs and the UI)."""


def gate_spec(name: str) -> GateSpec:
    """The :class:`GateSpec` for ``name``.

    Raises:
        CircuitError: for an unknown name (the message lists the known ones).
    """
    try:
        return GATES[name]
    except KeyError:
        raise CircuitError(f"unknown gate {name!r}; known gates: {', '.join(GATES)}") from None


def controlled_matrix(base: Matrix, num_controls: int) -> Matrix:
    """Full matrix of ``base`` controlled on ``num_controls`` low-order qubits.

    Control qubits are the gate's first arguments, hence the low bits of the index.
    """
    nt = len(base)
    nc = 1 << num_controls
    dim = nt * nc
    mask = nc - 1
    rows = [[0j] * dim for _ in range(dim)]
    for i in range(dim):
        if i & mask != mask:
            rows[i][i] = 1 + 0j
    for ti in range(nt):
        for tj in range(nt):
            rows[ti * nc + mask][tj * nc + mask] = base[ti][tj]
    return tuple(tuple(r) for r in rows)


class Gate:
    """A named gate with (possibly symbolic) parameters.

    Args:
        name: a key of :data:`GATES`.
        params: angles in radians (floats or symbolic :class:`Parameter` expressions).
        num_controls: for variadic gates (mcx, mcz, mcp) the number of controls.

    Raises:
        CircuitError: unknown name or wrong number of parameters.
    """

    __slots__ = ("_matrix_cache", "name", "num_controls", "num_qubits", "params", "spec")

    def __init__(
        self, name: str, params: Sequence[ParamValue] = (), num_controls: int | None = None
    ) -> None:
        spec = gate_spec(name)
        params = tuple(params)
        if len(params) != spec.num_params:
            raise CircuitError(
                f"gate {name!r} takes {spec.num_params} parameter(s) {spec.params}, "
                f"got {len(params)}: {params!r}"
            )
        for p in params:
            if type(p) is float and math.isfinite(p):  # the common case, checked first
                continue
            if is_symbolic(p):
                continue
            if isinstance(p, bool) or not isinstance(p, (int, float)):
                raise CircuitError(f"gate {name!r}: parameter {p!r} is not a number")
            if not math.isfinite(p):
                raise CircuitError(f"gate {name!r}: parameter must be finite, got {p!r}")
        if spec.variadic:
            nc = 1 if num_controls is None else num_controls
            if isinstance(nc, bool) or not isinstance(nc, int) or nc < 1:
                raise CircuitError(f"gate {name!r} needs at least 1 control, got {num_controls!r}")
        else:
            if num_controls not in (None, spec.num_controls):
                raise CircuitError(f"gate {name!r} has exactly {spec.num_controls} control(s)")
            nc = spec.num_controls
        self.spec = spec
        self.name = name
        self.params: tuple[ParamValue, ...] = tuple(
            p if type(p) is float or isinstance(p, ParameterExpression) else float(p)
            for p in params
        )
        self.num_controls = nc
        self.num_qubits = nc + spec.num_targets
        self._matrix_cache: Matrix | None = None

    @property
    def structure(self) -> str:
        """``"diagonal"``, ``"permutation"`` or ``"general"`` (of the base, controls aside)."""
        return self.spec.structure

    @property
    def num_targets(self) -> int:
        """Number of qubits the base matrix acts on."""
        return self.num_qubits - self.num_controls

    @property
    def is_parameterized(self) -> bool:
        """True while a parameter is symbolic."""
        return any(is_symbolic(p) for p in self.params)

    @property
    def parameters(self) -> frozenset[str]:
        """Names of the free parameters."""
        out: set[str] = set()
        for p in self.params:
            if is_symbolic(p):
                out |= p.parameters  # type: ignore[union-attr]
        return frozenset(out)

    def numeric_params(self) -> tuple[float, ...]:
        """The parameters as floats.

        Raises:
            UnboundParameterError: when a parameter is still symbolic.
        """
        return tuple(require_number(p, f"gate {self.name}") for p in self.params)

    def base_matrix(self) -> Matrix:
        """The matrix on the target qubits (controls excluded)."""
        return self.spec.base(*self.numeric_params())

    def matrix(self) -> Matrix:
        """The full unitary on all the gate's qubits (first argument = least significant)."""
        if self._matrix_cache is None:
            base = self.base_matrix()
            self._matrix_cache = (
                controlled_matrix(base, self.num_controls) if self.num_controls else base
            )
        return self._matrix_cache

    def inverse(self) -> Gate:
        """The inverse gate (a named gate where one exists)."""
        inv = self.spec.inverse
        if inv is None:
            if self.name == "iswap":
                return InverseGate(self)
            return self
        name, params = inv(self.params)
        return Gate(name, params, self.num_controls if self.spec.variadic else None)

    def bind(self, values: Mapping[str, float]) -> Gate:
        """A copy with ``values`` substituted into symbolic parameters."""
        if not self.is_parameterized:
            return self
        return Gate(
            self.name,
            tuple(bind_value(p, values) for p in self.params),
            self.num_controls if self.spec.variadic else None,
        )

    def __repr__(self) -> str:
        args = [repr(self.name)]
        if self.params:
            args.append(repr(self.params))
        if self.spec.variadic:
            args.append(f"num_controls={self.num_controls}")
        return f"Gate({', '.join(args)})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Gate
            and other.name == self.name
            and other.params == self.params
            and other.num_controls == self.num_controls
        )

    def __hash__(self) -> int:
        return hash((self.name, self.params, self.num_controls))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt by name: the spec's matrix functions are closures, which do not pickle,
        # and a circuit travels to worker processes by pickling (qtcore.parallel).
        return (Gate, (self.name, self.params, self.num_controls if self.spec.variadic else None))


class UnitaryGate(Gate):
    """An arbitrary k-qubit unitary given as a matrix (checked for unitarity).

    Args:
        matrix: a 2**k x 2**k unitary (nested sequences or NumPy array); the gate's
            first qubit argument is the least significant bit of the row index.
        label: a name for display.
        atol: tolerance of the unitarity check.

    Raises:
        GateError: not square, not a power of two, or not unitary within ``atol``.
    """

    __slots__ = ("label",)

    def __init__(
        self, matrix: Sequence[Sequence[complex]], label: str = "unitary", atol: float = 1e-10
    ) -> None:
        try:
            m = to_matrix(matrix)
        except (TypeError, ValueError) as e:
            raise GateError(f"unitary matrix is malformed: {e}") from None
        dim = len(m)
        k = dim.bit_length() - 1
        if dim < 2 or 1 << k != dim:
            raise GateError(f"unitary matrix must be 2**k x 2**k with k >= 1, got {dim} x {dim}")
        if not all(cmath.isfinite(x) for row in m for x in row):
            raise GateError("unitary matrix has a non-finite entry")
        if not is_unitary(m, atol):
            raise GateError(f"matrix {label!r} is not unitary within atol={atol}")
        self.spec = GateSpec(
            name="unitary",
            num_params=0,
            num_controls=0,
            num_targets=k,
            base=lambda: m,
            structure="general",
            inverse=None,
            qasm2=None,
            qasm3=None,
            summary="Arbitrary unitary.",
        )
        self.name = "unitary"
        self.label = label
        self.params = ()
        self.num_controls = 0
        self.num_qubits = k
        self._matrix_cache = m

    def base_matrix(self) -> Matrix:
        assert self._matrix_cache is not None
        return self._matrix_cache

    def inverse(self) -> Gate:
        return UnitaryGate(dagger(self.base_matrix()), label=f"{self.label}_dg")

    def bind(self, values: Mapping[str, float]) -> Gate:
        return self

    def __repr__(self) -> str:
        rows = [list(r) for r in self.base_matrix()]
        return f"UnitaryGate({rows!r}, label={self.label!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnitaryGate) and other.base_matrix() == self.base_matrix()

    def __hash__(self) -> int:
        return hash(("unitary", self.base_matrix()))

    def __reduce__(self) -> tuple[Any, ...]:
        # The matrix was checked when the gate was made; pickling keeps its exact floats.
        return (UnitaryGate, (self.base_matrix(), self.label, math.inf))


class InverseGate(Gate):
    """The inverse of a gate that has no named inverse (``inv @ g`` in OpenQASM 3)."""

    __slots__ = ("base_gate",)

    def __init__(self, base_gate: Gate) -> None:
        self.base_gate = base_gate
        self.spec = base_gate.spec
        self.name = base_gate.name
        self.params = base_gate.params
        self.num_controls = 0
        self.num_qubits = base_gate.num_qubits
        self._matrix_cache = None

    @property
    def structure(self) -> str:
        return "general"

    def base_matrix(self) -> Matrix:
        return dagger(self.base_gate.matrix())

    def inverse(self) -> Gate:
        return self.base_gate

    def bind(self, values: Mapping[str, float]) -> Gate:
        return InverseGate(self.base_gate.bind(values))

    def __repr__(self) -> str:
        return f"InverseGate({self.base_gate!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InverseGate) and other.base_gate == self.base_gate

    def __hash__(self) -> int:
        return hash(("inv", self.base_gate))

    def __reduce__(self) -> tuple[Any, ...]:
        return (InverseGate, (self.base_gate,))


def gate(name: str, *params: ParamValue, num_controls: int | None = None) -> Gate:
    """Shorthand for ``Gate(name, params)``."""
    return Gate(name, params, num_controls)
