"""The standard gate libraries (``qelib1.inc``, ``stdgates.inc``) and gate algebra.

An imported statement becomes a list of :class:`Op` (a qtcore gate on local qubits, or
a global phase). Gate modifiers of OpenQASM 3 act on such lists: ``inv`` reverses and
inverts, ``pow(k)`` repeats, ``ctrl`` controls every op. Controlling is exact,
global phases included: named multi-controlled gates where qtcore has them, otherwise
the textbook decompositions (controlled ``U`` as in ``qelib1.inc``'s ``cu3``, Fredkin
for ``cswap``), applied recursively.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qtcore._parameter import Parameter, ParameterExpression, ParamValue
from qtcore.circuit import Circuit, CompositeGate
from qtcore.errors import CircuitError
from qtcore.ops import Gate, InverseGate, UnitaryGate, controlled_matrix
from qtcore.qasm._expression import substitute

__all__ = [
    "DEFINITIONS",
    "QELIB1",
    "QELIB1_SOURCE",
    "STDGATES",
    "Op",
    "StdGate",
    "control_ops",
    "definition_of",
    "invert_ops",
    "qelib1_extras",
    "remap_ops",
]

PI = math.pi


@dataclass(frozen=True)
class Op:
    """A gate on local qubit indices, or (``gate is None``) a global phase ``phase``."""

    gate: Gate | None
    qubits: tuple[int, ...]
    phase: ParamValue = 0.0


@dataclass(frozen=True)
class StdGate:
    """A gate of a standard include file.

    Attributes:
        name: its OpenQASM name.
        num_params: number of parameters.
        num_qubits: number of qubit arguments.
        build: parameters -> ops on qubits ``0..num_qubits-1``.
    """

    name: str
    num_params: int
    num_qubits: int
    build: Callable[[tuple[ParamValue, ...]], list[Op]]


def _g(name: str, *params: ParamValue, nc: int | None = None) -> Gate:
    return Gate(name, params, nc)


def _native(name: str, nq: int, np_: int = 0, target: str | None = None) -> StdGate:
    qt = target or name
    return StdGate(name, np_, nq, lambda p: [Op(_g(qt, *p), tuple(range(nq)))])


def _std(entries: list[StdGate]) -> dict[str, StdGate]:
    return {e.name: e for e in entries}


def _c3sqrtx() -> CompositeGate:
    c = Circuit(4).h(3).mcp(PI / 2, (0, 1, 2), 3).h(3)
    return CompositeGate("c3sqrtx", c)


_ONE = ("id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx")
_QELIB1 = [
    *(_native(n, 1) for n in (*_ONE, "sxdg")),
    *(_native(n, 1, 1) for n in ("rx", "ry", "rz", "p", "u1")),
    _native("u2", 1, 2),
    _native("u3", 1, 3),
    _native("u", 1, 3),
    _native("U", 1, 3, "u"),
    StdGate("u0", 1, 1, lambda p: [Op(_g("id"), (0,))]),
    *(_native(n, 2) for n in ("cx", "cy", "cz", "ch", "swap")),
    _native("CX", 2, 0, "cx"),
    *(_native(n, 2, 1) for n in ("crx", "cry", "crz", "cp", "rxx", "rzz")),
    _native("cu1", 2, 1, "cp"),
    StdGate("cu3", 3, 2, lambda p: [Op(_g("cu", *p, 0.0), (0, 1))]),
    _native("cu", 2, 4),
    StdGate("csx", 0, 2, lambda p: [Op(_g("cu", PI / 2, -PI / 2, PI / 2, PI / 4), (0, 1))]),
    _native("ccx", 3),
    _native("cswap", 3),
    StdGate("c3x", 0, 4, lambda p: [Op(_g("mcx", nc=3), (0, 1, 2, 3))]),
    StdGate("c4x", 0, 5, lambda p: [Op(_g("mcx", nc=4), (0, 1, 2, 3, 4))]),
    StdGate("c3sqrtx", 0, 4, lambda p: [Op(_c3sqrtx(), (0, 1, 2, 3))]),
]
QELIB1: dict[str, StdGate] = _std(_QELIB1)
"""Gates of Qiskit's ``qelib1.inc`` with a direct qtcore equivalent (plus ``U``, ``CX``)."""

QELIB1_SOURCE = """
gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c;
  cx b,c; u1(-pi/4) c; u2(0,pi) c; }
gate rc3x a,b,c,d { u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d;
  u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d;
  u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; }
"""
"""The relative-phase Toffolis of ``qelib1.inc`` as ``gate`` definitions (Qiskit's bodies)."""


_EXTRAS: dict[str, Circuit] = {}


def qelib1_extras() -> dict[str, Circuit]:
    """Definitions of the ``qelib1.inc`` gates imported as composite gates, by name."""
    if not _EXTRAS:
        from qtcore.qasm._parser import parse

        c = parse(
            'OPENQASM 2.0; include "qelib1.inc"; qreg q[4]; rccx q[0], q[1], q[2]; '
            "rc3x q[0], q[1], q[2], q[3]; c3sqrtx q[0], q[1], q[2], q[3];"
        )
        for ins in c.instructions:
            if isinstance(ins.gate, CompositeGate):
                _EXTRAS[ins.gate.name] = ins.gate.definition
    return _EXTRAS


def _u3_phase(p: tuple[ParamValue, ...]) -> list[Op]:
    t, phi, lam = p
    return [Op(None, (), -(phi + lam) / 2), Op(_g("u3", t, phi, lam), (0,))]


def _u2_phase(p: tuple[ParamValue, ...]) -> list[Op]:
    phi, lam = p
    return [Op(None, (), -(phi + lam + PI) / 2), Op(_g("u2", phi, lam), (0,))]


def _gphase(p: tuple[ParamValue, ...]) -> list[Op]:
    return [Op(None, (), p[0])]


_STDGATES = [
    *(_native(n, 1) for n in _ONE),
    *(_native(n, 1, 1) for n in ("rx", "ry", "rz", "p", "u1")),
    _native("phase", 1, 1, "p"),
    StdGate("u2", 2, 1, _u2_phase),
    StdGate("u3", 3, 1, _u3_phase),
    _native("U", 1, 3, "u"),
    StdGate("gphase", 1, 0, _gphase),
    *(_native(n, 2) for n in ("cx", "cy", "cz", "ch", "swap")),
    _native("CX", 2, 0, "cx"),
    *(_native(n, 2, 1) for n in ("crx", "cry", "crz", "cp")),
    _native("cphase", 2, 1, "cp"),
    _native("cu", 2, 4),
    _native("ccx", 3),
    _native("cswap", 3),
]
STDGATES: dict[str, StdGate] = _std(_STDGATES)
"""Gates of OpenQASM 3's ``stdgates.inc`` (plus the built-ins ``U`` and ``gphase``).

``u2``/``u3`` carry the global phase ``stdgates.inc`` gives them, which matters under
``ctrl @``."""


# --------------------------------------------------------------- decompositions
def _circuit(n: int, ops: list[tuple[str, tuple[ParamValue, ...], tuple[int, ...]]]) -> Circuit:
    c = Circuit(n)
    for name, params, qs in ops:
        c.append(Gate(name, params), qs)
    return c


_TH = Parameter("theta")
_PH = Parameter("phi")
_LA = Parameter("lambda")
_GA = Parameter("gamma")

DEFINITIONS: dict[str, tuple[tuple[str, ...], Circuit]] = {
    "iswap": (
        (),
        _circuit(
            2,
            [
                ("s", (), (0,)),
                ("s", (), (1,)),
                ("h", (), (0,)),
                ("cx", (), (0, 1)),
                ("cx", (), (1, 0)),
                ("h", (), (1,)),
            ],
        ),
    ),
    "rxx": (
        ("theta",),
        _circuit(
            2,
            [
                ("h", (), (0,)),
                ("h", (), (1,)),
                ("cx", (), (0, 1)),
                ("rz", (_TH,), (1,)),
                ("cx", (), (0, 1)),
                ("h", (), (0,)),
                ("h", (), (1,)),
            ],
        ),
    ),
    "ryy": (
        ("theta",),
        _circuit(
            2,
            [
                ("rx", (PI / 2,), (0,)),
                ("rx", (PI / 2,), (1,)),
                ("cx", (), (0, 1)),
                ("rz", (_TH,), (1,)),
                ("cx", (), (0, 1)),
                ("rx", (-PI / 2,), (0,)),
                ("rx", (-PI / 2,), (1,)),
            ],
        ),
    ),
    "rzz": (
        ("theta",),
        _circuit(2, [("cx", (), (0, 1)), ("rz", (_TH,), (1,)), ("cx", (), (0, 1))]),
    ),
    "ccz": ((), _circuit(3, [("h", (), (2,)), ("ccx", (), (0, 1, 2)), ("h", (), (2,))])),
    "cs": ((), _circuit(2, [("cp", (PI / 2,), (0, 1))])),
    "csdg": ((), _circuit(2, [("cp", (-PI / 2,), (0, 1))])),
    "cu": (
        ("theta", "phi", "lambda", "gamma"),
        _circuit(
            2,
            [
                ("p", (_GA,), (0,)),
                ("p", ((_LA + _PH) / 2,), (0,)),
                ("p", ((_LA - _PH) / 2,), (1,)),
                ("cx", (), (0, 1)),
                ("u", (-_TH / 2, 0.0, -(_PH + _LA) / 2), (1,)),
                ("cx", (), (0, 1)),
                ("u", (_TH / 2, _PH, 0.0), (1,)),
            ],
        ),
    ),
}
"""Exact definitions (as circuits over formal parameters) of gates that some include
file lacks; used for export and for controlling them."""


def definition_of(name: str, params: tuple[ParamValue, ...]) -> list[Op]:
    """Ops of ``DEFINITIONS[name]`` with ``params`` substituted for its formals."""
    formals, circ = DEFINITIONS[name]
    return _circuit_ops(circ, dict(zip(formals, params, strict=True)))


def _circuit_ops(circ: Circuit, mapping: dict[str, ParamValue]) -> list[Op]:
    out = []
    for ins in circ.instructions:
        if ins.kind != "gate" or ins.gate is None:
            continue
        out.append(Op(_subst_gate(ins.gate, mapping), ins.qubits))
    return out


def _subst_gate(g: Gate, mapping: dict[str, ParamValue]) -> Gate:
    if not mapping or not g.is_parameterized:
        return g
    params = tuple(substitute(p, mapping) for p in g.params)
    if isinstance(g, CompositeGate):
        return CompositeGate(g.name, g.definition, params, g.param_names)
    if isinstance(g, InverseGate):
        return InverseGate(_subst_gate(g.base_gate, mapping))
    return Gate(g.name, params, g.num_controls if g.spec.variadic else None)


# --------------------------------------------------------------- modifiers
def invert_ops(ops: list[Op]) -> list[Op]:
    """The inverse of a sequence of ops."""
    out = []
    for op in reversed(ops):
        if op.gate is None:
            out.append(Op(None, (), -op.phase))
        else:
            out.append(Op(op.gate.inverse(), op.qubits))
    return out


# (theta, phi, lambda, gamma) of e^{i gamma} U(theta, phi, lambda)
_AS_U: dict[str, Callable[[tuple[ParamValue, ...]], tuple[ParamValue, ...]]] = {
    "x": lambda p: (PI, 0.0, PI, 0.0),
    "y": lambda p: (PI, PI / 2, PI / 2, 0.0),
    "h": lambda p: (PI / 2, 0.0, PI, 0.0),
    "sx": lambda p: (PI / 2, -PI / 2, PI / 2, PI / 4),
    "sxdg": lambda p: (-PI / 2, -PI / 2, PI / 2, -PI / 4),
    "rx": lambda p: (p[0], -PI / 2, PI / 2, 0.0),
    "ry": lambda p: (p[0], 0.0, 0.0, 0.0),
    "rz": lambda p: (0.0, 0.0, p[0], -p[0] / 2),
    "u": lambda p: (*p, 0.0),
    "u3": lambda p: (*p, 0.0),
    "u2": lambda p: (PI / 2, p[0], p[1], 0.0),
}
_PHASE_OF: dict[str, Callable[[tuple[ParamValue, ...]], ParamValue]] = {
    "z": lambda p: PI,
    "s": lambda p: PI / 2,
    "sdg": lambda p: -PI / 2,
    "t": lambda p: PI / 4,
    "tdg": lambda p: -PI / 4,
    "p": lambda p: p[0],
    "u1": lambda p: p[0],
    "cz": lambda p: PI,
    "ccz": lambda p: PI,
    "mcz": lambda p: PI,
    "cs": lambda p: PI / 2,
    "csdg": lambda p: -PI / 2,
    "cp": lambda p: p[0],
    "mcp": lambda p: p[0],
}
_UNCONTROLLED = {"cy": "y", "ch": "h", "crx": "rx", "cry": "ry", "crz": "rz"}


def remap_ops(ops: list[Op], qubits: Sequence[int]) -> list[Op]:
    """``ops`` with each local qubit ``q`` moved to ``qubits[q]``."""
    return [Op(o.gate, tuple(qubits[q] for q in o.qubits), o.phase) for o in ops]


def _shift(ops: list[Op], n: int) -> list[Op]:
    return [Op(o.gate, tuple(q + n for q in o.qubits), o.phase) for o in ops]


def _mcphase(lam: ParamValue, qubits: tuple[int, ...]) -> Op:
    if len(qubits) == 1:
        return Op(_g("p", lam), qubits)
    if len(qubits) == 2:
        return Op(_g("cp", lam), qubits)
    return Op(_g("mcp", lam, nc=len(qubits) - 1), qubits)


def _mcx(qubits: tuple[int, ...]) -> Op:
    names = {1: "x", 2: "cx", 3: "ccx"}
    if len(qubits) in names:
        return Op(_g(names[len(qubits)]), qubits)
    return Op(_g("mcx", nc=len(qubits) - 1), qubits)


def control_ops(ops: list[Op], n: int) -> list[Op]:
    """``ctrl(n) @`` applied to ``ops``: controls are qubits ``0..n-1``, the ops' own
    qubits move up by ``n``. Phase gates of angle 0 that the constructions leave are dropped.

    Raises:
        CircuitError: when a gate with symbolic parameters has no exact controlled form.
    """
    out: list[Op] = []
    for op in _shift(ops, n):
        out.extend(_control_one(op, tuple(range(n))))
    return [o for o in out if not _trivial(o)]


def _trivial(op: Op) -> bool:
    if op.gate is None:
        return not isinstance(op.phase, ParameterExpression) and op.phase == 0.0
    g = op.gate
    return type(g) is Gate and g.name in ("p", "cp", "mcp", "u1") and g.params == (0.0,)


def _control_one(op: Op, ctrls: tuple[int, ...]) -> list[Op]:
    if not ctrls:
        return [op]
    g = op.gate
    if g is None:
        return [_mcphase(op.phase, ctrls)]
    qs = op.qubits
    name = g.name
    if isinstance(g, CompositeGate):
        mapping = dict(zip(g.param_names, g.params, strict=True))
        return _control_list(remap_ops(_circuit_ops(g.definition, mapping), qs), ctrls)
    if isinstance(g, InverseGate):
        inner = _control_one(Op(g.base_gate, qs), ctrls)
        return invert_ops(inner)
    if isinstance(g, UnitaryGate):
        return [_unitary_control(g, ctrls, qs)]
    if name == "id":
        return [op]
    if name in ("x", "cx", "ccx", "mcx"):
        return [_mcx(ctrls + qs)]
    if name in ("z", "cz", "ccz", "mcz"):
        total = ctrls + qs
        zname = {2: "cz", 3: "ccz"}.get(len(total), "mcz")
        return [Op(_g(zname, nc=len(total) - 1 if zname == "mcz" else None), total)]
    if name in ("s", "sdg") and len(ctrls) == 1:
        return [Op(_g("c" + name), ctrls + qs)]
    if name in _PHASE_OF:
        return [_mcphase(_PHASE_OF[name](g.params), ctrls + qs)]
    if name in _AS_U and len(ctrls) == 1:
        t, phi, lam, gam = _AS_U[name](g.params)
        simple = {"y": "cy", "h": "ch", "rx": "crx", "ry": "cry", "rz": "crz"}
        if name in simple:
            return [Op(_g(simple[name], *g.params), ctrls + qs)]
        return [Op(_g("cu", t, phi, lam, gam), ctrls + qs)]
    if name in _AS_U:
        t, phi, lam, gam = _AS_U[name](g.params)
        cu = definition_of("cu", (t, phi, lam, gam))
        return _control_list(remap_ops(cu, (ctrls[-1], qs[0])), ctrls[:-1])
    if name in _UNCONTROLLED:
        base = _g(_UNCONTROLLED[name], *g.params)
        return _control_one(Op(base, qs[1:]), ctrls + qs[:1])
    if name == "cu":
        return _control_list(remap_ops(definition_of("cu", g.params), qs), ctrls)
    if name in ("swap", "cswap"):
        a, b = qs[-2], qs[-1]
        mid = _control_one(Op(_g("ccx" if name == "cswap" else "cx"), (*qs[:-2], a, b)), ctrls)
        return [Op(_g("cx"), (b, a)), *mid, Op(_g("cx"), (b, a))]
    if name in DEFINITIONS:
        return _control_list(remap_ops(definition_of(name, g.params), qs), ctrls)
    return [_unitary_control(g, ctrls, qs)]


def _control_list(ops: list[Op], ctrls: tuple[int, ...]) -> list[Op]:
    out: list[Op] = []
    for o in ops:
        out.extend(_control_one(o, ctrls))
    return out


def _unitary_control(g: Gate, ctrls: tuple[int, ...], qs: tuple[int, ...]) -> Op:
    if g.is_parameterized:
        raise CircuitError(
            f"cannot control gate '{g.name}' with symbolic parameters "
            f"{[str(p) for p in g.params if isinstance(p, ParameterExpression)]}"
        )
    m = controlled_matrix(g.matrix(), len(ctrls))
    return Op(UnitaryGate(m, label=f"c{len(ctrls)}_{g.name}"), ctrls + qs)
