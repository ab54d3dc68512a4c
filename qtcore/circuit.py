"""Circuits: a fluent builder, symbolic parameters, measurement, reset, classical control.

>>> from qtcore import Circuit
>>> bell = Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1)

Qubit 0 is the least significant bit of a basis index and the rightmost character
of a bitstring (Qiskit's convention). Classical bit 0 is likewise the rightmost
character of a counts key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qtcore._expr import parse_param
from qtcore._parameter import ParamValue, is_symbolic
from qtcore.control import (
    Assign,
    For,
    IfElse,
    Switch,
    VarBit,
    While,
    block_exprs,
    block_from_json,
    block_qubits,
    block_to_json,
    bodies,
    describe_block,
    expr_bits,
    map_gates,
    walk,
)
from qtcore.errors import CircuitError
from qtcore.ops import Gate, UnitaryGate
from qtcore.ops._matrix import Matrix, apply_on_qubits

if TYPE_CHECKING:
    from qtcore.control import Block

CONTROL_KINDS = ("assign", "if", "while", "for", "switch")
"""Instruction kinds that carry a :mod:`qtcore.control` block."""

__all__ = [
    "CONTROL_KINDS",
    "Circuit",
    "CompositeGate",
    "Condition",
    "Instruction",
    "expand_composites",
]


@dataclass(frozen=True)
class Condition:
    """Apply an instruction only if ``clbits`` (read as an integer, first bit least
    significant) equal ``value``."""

    clbits: tuple[int, ...]
    value: int

    def holds(self, bits: Sequence[int]) -> bool:
        """True when the classical bits currently hold ``value``."""
        v = 0
        for i, b in enumerate(self.clbits):
            v |= bits[b] << i
        return v == self.value


@dataclass(frozen=True)
class Instruction:
    """One step of a circuit.

    Attributes:
        kind: ``"gate"``, ``"measure"``, ``"reset"``, ``"barrier"`` or a control-flow
            kind (:data:`CONTROL_KINDS`: ``assign``, ``if``, ``while``, ``for``, ``switch``).
        qubits: the qubits acted on (for a gate: in the gate's argument order; for a
            control-flow block: every qubit its bodies touch).
        gate: the gate, for ``kind == "gate"``.
        clbits: for ``measure``, the classical bits written (one per qubit).
        condition: classical control, or ``None``.
        block: the :mod:`qtcore.control` block of a control-flow instruction.
    """

    kind: str
    qubits: tuple[int, ...]
    gate: Gate | None = None
    clbits: tuple[int, ...] = ()
    condition: Condition | None = None
    block: Block | None = None

    @property
    def name(self) -> str:
        """The gate name, or the kind for non-gate instructions."""
        if self.gate is not None:
            return getattr(self.gate, "label", None) or self.gate.name
        return self.kind

    def describe(self) -> str:
        """A short human-readable form such as ``rx(0.5) q[1]`` or ``measure q[0] -> c[0]``."""
        if isinstance(self.block, VarBit):
            return describe_block(str(self.qubits[0]), self.block)
        if self.block is not None:
            return describe_block(self.kind, self.block)
        head = self.name
        if self.gate is not None and self.gate.params:
            head += "(" + ", ".join(_fmt_param(p) for p in self.gate.params) + ")"
        text = f"{head} " + ", ".join(f"q[{q}]" for q in self.qubits)
        if self.kind == "measure":
            text += " -> " + ", ".join(f"c[{c}]" for c in self.clbits)
        if self.condition is not None:
            bits = ",".join(str(c) for c in self.condition.clbits)
            text = f"if (c[{bits}] == {self.condition.value}) {text}"
        return text


def _fmt_param(p: ParamValue) -> str:
    if is_symbolic(p):
        return str(p)
    return f"{float(p):.6g}"  # type: ignore[arg-type]


class CompositeGate(Gate):
    """A user-defined gate: a named sub-circuit of gates, optionally parameterised.

    Args:
        name: the gate's name (an identifier).
        definition: a circuit of unitary gates only (no measurement, reset or condition).
        params: values for the definition's free parameters, in ``param_names`` order.
        param_names: the definition's formal parameter names.
    """

    __slots__ = ("definition", "label", "param_names")

    def __init__(
        self,
        name: str,
        definition: Circuit,
        params: Sequence[ParamValue] = (),
        param_names: Sequence[str] = (),
    ) -> None:
        if not name.isidentifier():
            raise CircuitError(f"gate name must be an identifier, got {name!r}")
        for ins in definition.instructions:
            if ins.kind not in ("gate", "barrier") or ins.condition is not None:
                raise CircuitError(
                    f"composite gate {name!r} may only contain unitary gates, found {ins.kind}"
                )
        param_names = tuple(param_names)
        free = definition.parameters
        unknown = free - set(param_names)
        if unknown:
            raise CircuitError(
                f"composite gate {name!r} uses parameters {sorted(unknown)} "
                f"not declared in {list(param_names)}"
            )
        if len(params) != len(param_names):
            raise CircuitError(
                f"composite gate {name!r} takes {len(param_names)} parameter(s), got {len(params)}"
            )
        from qtcore.ops._gates import GateSpec

        self.spec = GateSpec(
            name=name,
            num_params=len(param_names),
            num_controls=0,
            num_targets=definition.num_qubits,
            base=lambda: self.base_matrix(),
            structure="general",
            inverse=None,
            qasm2=None,
            qasm3=None,
            summary=f"user-defined gate {name}",
            params=param_names,
        )
        self.name = name
        self.label = name
        self.definition = definition
        self.param_names = param_names
        self.params = tuple(params)
        self.num_controls = 0
        self.num_qubits = definition.num_qubits
        self._matrix_cache = None

    def bound_definition(self) -> Circuit:
        """The definition with this instance's (numeric) parameter values substituted.

        Raises:
            UnboundParameterError: while a parameter is still symbolic.
        """
        values = dict(zip(self.param_names, self.numeric_params(), strict=True))
        return self.definition.bind_expressions(values) if values else self.definition

    def base_matrix(self) -> Matrix:
        """The definition's unitary (columns = images of the basis states)."""
        definition = self.bound_definition()
        dim = 1 << definition.num_qubits
        cols = [[1 + 0j if i == j else 0j for i in range(dim)] for j in range(dim)]
        for ins in definition.instructions:
            if ins.kind == "gate":
                assert ins.gate is not None
                m = ins.gate.matrix()
                for col in cols:
                    apply_on_qubits(m, ins.qubits, col)
        return tuple(tuple(cols[j][i] for j in range(dim)) for i in range(dim))

    def inverse(self) -> Gate:
        return CompositeGate(
            f"{self.name}_dg", self.definition.inverse(), self.params, self.param_names
        )

    def bind(self, values: Mapping[str, float]) -> Gate:
        from qtcore._parameter import bind_value

        return CompositeGate(
            self.name,
            self.definition,
            tuple(bind_value(p, values) for p in self.params),
            self.param_names,
        )

    def __repr__(self) -> str:
        return f"CompositeGate({self.name!r}, {self.definition!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CompositeGate)
            and other.name == self.name
            and other.params == self.params
            and other.definition == self.definition
        )

    def __hash__(self) -> int:
        return hash(("composite", self.name, self.params))

    def __reduce__(self) -> tuple[Any, ...]:
        # The spec's matrix function is a closure: rebuild from the definition instead.
        return (CompositeGate, (self.name, self.definition, self.params, self.param_names))


def expand_composites(instructions: Iterable[Instruction]) -> Iterator[Instruction]:
    """The instructions with every unconditioned composite gate replaced, recursively,
    by the gates of its definition (mapped onto the composite's qubits)."""
    for ins in instructions:
        g = ins.gate
        if ins.kind == "gate" and ins.condition is None and isinstance(g, CompositeGate):
            for sub in g.bound_definition().instructions:
                if sub.kind == "gate":
                    yield from expand_composites(
                        [Instruction("gate", tuple(ins.qubits[q] for q in sub.qubits), sub.gate)]
                    )
        else:
            yield ins


ClbitSpec = int | str | Sequence[int]


@dataclass
class Circuit:
    """A quantum circuit over ``num_qubits`` qubits and ``num_clbits`` classical bits.

    Builder methods return the circuit itself, so calls chain::

        Circuit(3).h(0).cx(0, 1).cx(1, 2)

    Args:
        num_qubits: number of qubits (>= 1).
        num_clbits: number of classical bits (>= 0).
        name: a label used in exports and frames.
    """

    num_qubits: int
    num_clbits: int = 0
    name: str = "circuit"
    instructions: list[Instruction] = field(default_factory=list)
    qregs: list[tuple[str, int]] = field(default_factory=list)
    cregs: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for what, v, lo in (("num_qubits", self.num_qubits, 1), ("num_clbits", self.num_clbits, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise CircuitError(f"{what} must be an integer >= {lo}, got {v!r}")
        if not self.qregs:
            self.qregs = [("q", self.num_qubits)]
        if not self.cregs and self.num_clbits:
            self.cregs = [("c", self.num_clbits)]
        if sum(s for _, s in self.qregs) != self.num_qubits:
            raise CircuitError(f"quantum registers {self.qregs} do not add up to {self.num_qubits}")
        if sum(s for _, s in self.cregs) != self.num_clbits:
            raise CircuitError(
                f"classical registers {self.cregs} do not add up to {self.num_clbits}"
            )

    # ----------------------------------------------------------------- validation
    def _qubit(self, q: object) -> int:
        if type(q) is int and 0 <= q < self.num_qubits:  # the common case, checked first
            return q
        if isinstance(q, bool) or not isinstance(q, int):
            raise CircuitError(f"qubit index must be an int, got {q!r}")
        if not 0 <= q < self.num_qubits:
            raise CircuitError(
                f"qubit {q} out of range for a {self.num_qubits}-qubit circuit "
                f"(valid: 0..{self.num_qubits - 1})"
            )
        return q

    def _clbit(self, c: object) -> int:
        if isinstance(c, bool) or not isinstance(c, int):
            raise CircuitError(f"classical bit index must be an int, got {c!r}")
        if not 0 <= c < self.num_clbits:
            raise CircuitError(
                f"classical bit {c} out of range: the circuit has {self.num_clbits} classical "
                f"bit(s)" + (f" (valid: 0..{self.num_clbits - 1})" if self.num_clbits else "")
            )
        return c

    def _clbits(self, spec: ClbitSpec) -> tuple[int, ...]:
        if isinstance(spec, str):
            start = 0
            for name, size in self.cregs:
                if name == spec:
                    return tuple(range(start, start + size))
                start += size
            raise CircuitError(
                f"no classical register named {spec!r} (registers: {[n for n, _ in self.cregs]})"
            )
        if isinstance(spec, int):
            return (self._clbit(spec),)
        return tuple(self._clbit(c) for c in spec)

    # ----------------------------------------------------------------- building
    def append(
        self,
        gate: Gate,
        qubits: Sequence[int],
        condition: Condition | None = None,
    ) -> Circuit:
        """Appends ``gate`` on ``qubits`` (controls first for controlled gates)."""
        if not isinstance(gate, Gate):
            raise CircuitError(f"expected a Gate, got {type(gate).__name__}")
        qs = tuple(self._qubit(q) for q in qubits)
        if len(qs) != gate.num_qubits:
            raise CircuitError(
                f"gate {gate.name!r} acts on {gate.num_qubits} qubit(s), got {len(qs)}: {list(qs)}"
            )
        if len(set(qs)) != len(qs):
            raise CircuitError(f"gate {gate.name!r} got duplicate qubits {list(qs)}")
        self.instructions.append(Instruction("gate", qs, gate, condition=condition))
        return self

    def _g(self, name: str, qubits: Sequence[int], params: Sequence[ParamValue] = ()) -> Circuit:
        return self.append(Gate(name, params), qubits)

    def id(self, q: int) -> Circuit:
        """Identity on ``q``."""
        return self._g("id", (q,))

    def x(self, q: int) -> Circuit:
        """Pauli X on ``q``."""
        return self._g("x", (q,))

    def y(self, q: int) -> Circuit:
        """Pauli Y on ``q``."""
        return self._g("y", (q,))

    def z(self, q: int) -> Circuit:
        """Pauli Z on ``q``."""
        return self._g("z", (q,))

    def h(self, q: int) -> Circuit:
        """Hadamard on ``q``."""
        return self._g("h", (q,))

    def s(self, q: int) -> Circuit:
        """S on ``q``."""
        return self._g("s", (q,))

    def sdg(self, q: int) -> Circuit:
        """S dagger on ``q``."""
        return self._g("sdg", (q,))

    def t(self, q: int) -> Circuit:
        """T on ``q``."""
        return self._g("t", (q,))

    def tdg(self, q: int) -> Circuit:
        """T dagger on ``q``."""
        return self._g("tdg", (q,))

    def sx(self, q: int) -> Circuit:
        """sqrt(X) on ``q``."""
        return self._g("sx", (q,))

    def sxdg(self, q: int) -> Circuit:
        """sqrt(X) dagger on ``q``."""
        return self._g("sxdg", (q,))

    def rx(self, theta: ParamValue, q: int) -> Circuit:
        """RX(theta) on ``q``."""
        return self._g("rx", (q,), (theta,))

    def ry(self, theta: ParamValue, q: int) -> Circuit:
        """RY(theta) on ``q``."""
        return self._g("ry", (q,), (theta,))

    def rz(self, theta: ParamValue, q: int) -> Circuit:
        """RZ(theta) on ``q``."""
        return self._g("rz", (q,), (theta,))

    def p(self, lam: ParamValue, q: int) -> Circuit:
        """Phase P(lambda) on ``q``."""
        return self._g("p", (q,), (lam,))

    def u(self, theta: ParamValue, phi: ParamValue, lam: ParamValue, q: int) -> Circuit:
        """U(theta, phi, lambda) on ``q``."""
        return self._g("u", (q,), (theta, phi, lam))

    def u1(self, lam: ParamValue, q: int) -> Circuit:
        """U1(lambda) on ``q``."""
        return self._g("u1", (q,), (lam,))

    def u2(self, phi: ParamValue, lam: ParamValue, q: int) -> Circuit:
        """U2(phi, lambda) on ``q``."""
        return self._g("u2", (q,), (phi, lam))

    def u3(self, theta: ParamValue, phi: ParamValue, lam: ParamValue, q: int) -> Circuit:
        """U3(theta, phi, lambda) on ``q``."""
        return self._g("u3", (q,), (theta, phi, lam))

    def cx(self, control: int, target: int) -> Circuit:
        """CNOT."""
        return self._g("cx", (control, target))

    def cy(self, control: int, target: int) -> Circuit:
        """Controlled Y."""
        return self._g("cy", (control, target))

    def cz(self, control: int, target: int) -> Circuit:
        """Controlled Z."""
        return self._g("cz", (control, target))

    def ch(self, control: int, target: int) -> Circuit:
        """Controlled H."""
        return self._g("ch", (control, target))

    def cs(self, control: int, target: int) -> Circuit:
        """Controlled S."""
        return self._g("cs", (control, target))

    def csdg(self, control: int, target: int) -> Circuit:
        """Controlled S dagger."""
        return self._g("csdg", (control, target))

    def cp(self, lam: ParamValue, control: int, target: int) -> Circuit:
        """Controlled phase."""
        return self._g("cp", (control, target), (lam,))

    def crx(self, theta: ParamValue, control: int, target: int) -> Circuit:
        """Controlled RX."""
        return self._g("crx", (control, target), (theta,))

    def cry(self, theta: ParamValue, control: int, target: int) -> Circuit:
        """Controlled RY."""
        return self._g("cry", (control, target), (theta,))

    def crz(self, theta: ParamValue, control: int, target: int) -> Circuit:
        """Controlled RZ."""
        return self._g("crz", (control, target), (theta,))

    def cu(
        self,
        theta: ParamValue,
        phi: ParamValue,
        lam: ParamValue,
        gamma: ParamValue,
        control: int,
        target: int,
    ) -> Circuit:
        """Controlled U(theta, phi, lambda) with phase gamma."""
        return self._g("cu", (control, target), (theta, phi, lam, gamma))

    def swap(self, a: int, b: int) -> Circuit:
        """Swap qubits ``a`` and ``b``."""
        return self._g("swap", (a, b))

    def iswap(self, a: int, b: int) -> Circuit:
        """iSWAP."""
        return self._g("iswap", (a, b))

    def rxx(self, theta: ParamValue, a: int, b: int) -> Circuit:
        """exp(-i theta XX/2)."""
        return self._g("rxx", (a, b), (theta,))

    def ryy(self, theta: ParamValue, a: int, b: int) -> Circuit:
        """exp(-i theta YY/2)."""
        return self._g("ryy", (a, b), (theta,))

    def rzz(self, theta: ParamValue, a: int, b: int) -> Circuit:
        """exp(-i theta ZZ/2)."""
        return self._g("rzz", (a, b), (theta,))

    def ccx(self, c1: int, c2: int, target: int) -> Circuit:
        """Toffoli."""
        return self._g("ccx", (c1, c2, target))

    def ccz(self, c1: int, c2: int, target: int) -> Circuit:
        """Doubly-controlled Z."""
        return self._g("ccz", (c1, c2, target))

    def cswap(self, control: int, a: int, b: int) -> Circuit:
        """Fredkin."""
        return self._g("cswap", (control, a, b))

    def mcx(self, controls: Sequence[int], target: int) -> Circuit:
        """X on ``target`` controlled on all of ``controls``."""
        return self.append(Gate("mcx", (), len(controls)), (*controls, target))

    def mcz(self, controls: Sequence[int], target: int) -> Circuit:
        """Z on ``target`` controlled on all of ``controls``."""
        return self.append(Gate("mcz", (), len(controls)), (*controls, target))

    def mcp(self, lam: ParamValue, controls: Sequence[int], target: int) -> Circuit:
        """Phase ``lam`` on ``target`` controlled on all of ``controls``."""
        return self.append(Gate("mcp", (lam,), len(controls)), (*controls, target))

    def unitary(
        self, matrix: Sequence[Sequence[complex]], qubits: Sequence[int], label: str = "unitary"
    ) -> Circuit:
        """An arbitrary unitary (checked) on ``qubits`` (first = least significant)."""
        return self.append(UnitaryGate(matrix, label), qubits)

    def measure(self, qubit: int | Sequence[int], clbit: int | Sequence[int]) -> Circuit:
        """Measures ``qubit`` in the Z basis into ``clbit`` (or lists of both)."""
        qs = (qubit,) if isinstance(qubit, int) else tuple(qubit)
        cs = (clbit,) if isinstance(clbit, int) else tuple(clbit)
        if len(qs) != len(cs):
            raise CircuitError(f"measure needs one classical bit per qubit, got {qs} -> {cs}")
        for q, c in zip(qs, cs, strict=True):
            self.instructions.append(
                Instruction("measure", (self._qubit(q),), clbits=(self._clbit(c),))
            )
        return self

    def measure_all(self) -> Circuit:
        """Measures every qubit ``i`` into classical bit ``i``, adding bits if needed."""
        if self.num_clbits < self.num_qubits:
            extra = self.num_qubits - self.num_clbits
            self.cregs = [*self.cregs, ("meas" if self.cregs else "c", extra)]
            self.num_clbits = self.num_qubits
        return self.measure(list(range(self.num_qubits)), list(range(self.num_qubits)))

    def control(self, kind: str, block: Block) -> Circuit:
        """Appends a control-flow instruction (see :mod:`qtcore.control`).

        Its qubits are those its bodies touch; bodies are checked against this circuit.

        Raises:
            CircuitError: a kind that does not match the block, or a body that names a
                qubit or classical bit the circuit does not have.
        """
        expected = {Assign: "assign", IfElse: "if", While: "while", For: "for", Switch: "switch"}
        if expected.get(type(block)) != kind:
            raise CircuitError(
                f"a {type(block).__name__} block needs kind {expected.get(type(block))!r}"
            )
        self._check_reads(kind, block)
        for body in bodies(block):
            for ins in walk(body):
                for q in ins.qubits:
                    self._qubit(q)
                for c in ins.clbits:
                    self._clbit(c)
                if ins.block is not None:
                    self._check_reads(ins.kind, ins.block)
        if isinstance(block, Assign) and not isinstance(block.target, str):
            for c in block.target:
                self._clbit(c)
        self.instructions.append(Instruction(kind, block_qubits(block), block=block))
        return self

    def reset(self, qubit: int) -> Circuit:
        """Resets ``qubit`` to |0> (a non-unitary operation)."""
        self.instructions.append(Instruction("reset", (self._qubit(qubit),)))
        return self

    def barrier(self, *qubits: int) -> Circuit:
        """A barrier on ``qubits`` (all when none given); it stops gate fusion."""
        qs = tuple(self._qubit(q) for q in qubits) or tuple(range(self.num_qubits))
        self.instructions.append(Instruction("barrier", qs))
        return self

    def _check_reads(self, kind: str, block: Block) -> None:
        """Refuses a block whose condition, range or value reads a missing classical bit."""
        for e in block_exprs(block):
            for c in expr_bits(e):
                if not 0 <= c < self.num_clbits:
                    have = f"c[0]..c[{self.num_clbits - 1}]" if self.num_clbits else "none"
                    raise CircuitError(
                        f"the {kind} block reads classical bit c[{c}], which does not exist: "
                        f"the circuit has {self.num_clbits} classical bit(s) ({have})"
                    )

    def c_if(self, clbits: ClbitSpec, value: int) -> Circuit:
        """Makes the last instruction conditional on ``clbits == value``.

        Args:
            clbits: one classical bit, a list of bits (first = least significant) or the
                name of a classical register.
            value: the integer the bits must hold.
        """
        if not self.instructions:
            raise CircuitError("c_if needs a preceding instruction")
        bits = self._clbits(clbits)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << len(bits):
            raise CircuitError(
                f"condition value must be an int in [0, {1 << len(bits)}), got {value!r}"
            )
        last = self.instructions[-1]
        if last.kind == "barrier":
            raise CircuitError("a barrier cannot be conditioned")
        self.instructions[-1] = replace(last, condition=Condition(bits, value))
        return self

    # ----------------------------------------------------------------- queries
    def __iter__(self) -> Iterator[Instruction]:
        return iter(self.instructions)

    def __len__(self) -> int:
        return len(self.instructions)

    @property
    def size(self) -> int:
        """Number of instructions, barriers excluded."""
        return sum(1 for i in self.instructions if i.kind != "barrier")

    @property
    def parameters(self) -> frozenset[str]:
        """Names of all free parameters (classical variables of control flow excluded:
        a gate parameter that names one is bound when the gate runs)."""
        out: set[str] = set()
        for ins in walk(self.instructions):
            if ins.gate is not None:
                out |= ins.gate.parameters
        return frozenset(out - self.classical_variables)

    @property
    def classical_variables(self) -> frozenset[str]:
        """Names of the classical variables that control-flow instructions set."""
        out: set[str] = set()
        for ins in walk(self.instructions):
            if isinstance(ins.block, Assign) and isinstance(ins.block.target, str):
                out.add(ins.block.target)
            elif isinstance(ins.block, For | VarBit):
                out.add(ins.block.var)
        return frozenset(out)

    @property
    def has_control_flow(self) -> bool:
        """True if the circuit holds structured control flow (:mod:`qtcore.control`)."""
        return any(i.block is not None for i in self.instructions)

    def count_ops(self) -> dict[str, int]:
        """Instruction counts by name, most frequent first."""
        return dict(Counter(i.name for i in self.instructions).most_common())

    def depth(self) -> int:
        """Length of the critical path (barriers do not count; classical bits link steps)."""
        level_q = [0] * self.num_qubits
        level_c = [0] * self.num_clbits
        for ins in self.instructions:
            if ins.kind == "barrier":
                continue
            cbits = list(ins.clbits) + (list(ins.condition.clbits) if ins.condition else [])
            d = 1 + max([level_q[q] for q in ins.qubits] + [level_c[c] for c in cbits])
            for q in ins.qubits:
                level_q[q] = d
            for c in cbits:
                level_c[c] = d
        return max(level_q + level_c + [0])

    @property
    def has_nonunitary(self) -> bool:
        """True if the circuit measures, resets or uses classical control."""
        return any(
            i.kind in ("measure", "reset") or i.condition or i.block is not None
            for i in self.instructions
        )

    @property
    def has_mid_circuit_measurement(self) -> bool:
        """True unless every measurement is terminal (nothing acts on a measured qubit later,
        and there is no reset or classical control)."""
        measured: set[int] = set()
        for ins in self.instructions:
            if ins.kind == "reset" or ins.condition is not None or ins.block is not None:
                return True
            if ins.kind == "barrier":
                continue
            if ins.kind == "gate" and measured.intersection(ins.qubits):
                return True
            if ins.kind == "measure":
                if ins.qubits[0] in measured:
                    return True
                measured.add(ins.qubits[0])
        return False

    # ----------------------------------------------------------------- transforms
    def copy(self) -> Circuit:
        """A shallow copy (instructions are immutable)."""
        return Circuit(
            self.num_qubits,
            self.num_clbits,
            self.name,
            list(self.instructions),
            list(self.qregs),
            list(self.cregs),
        )

    def bind(self, values: Mapping[str, float] | None = None, **kwargs: float) -> Circuit:
        """A copy with parameters bound, e.g. ``circuit.bind(theta=0.3)``.

        Raises:
            CircuitError: when a name in ``values`` is not a parameter of the circuit.
        """
        vals = dict(values or {}, **kwargs)
        unknown = set(vals) - self.parameters
        if unknown:
            raise CircuitError(
                f"unknown parameter(s) {sorted(unknown)}; the circuit has {sorted(self.parameters)}"
            )
        return self.bind_expressions(vals)

    def bind_expressions(self, vals: Mapping[str, Any]) -> Circuit:
        """Substitutes values (numbers or expressions) without checking names."""
        out = self.copy()
        if self.has_control_flow:
            out.instructions = list(map_gates(self.instructions, lambda g: g.bind(vals)))
            return out
        out.instructions = [
            replace(i, gate=i.gate.bind(vals)) if i.gate is not None else i
            for i in self.instructions
        ]
        return out

    def inverse(self) -> Circuit:
        """The inverse circuit (gates reversed and inverted).

        Raises:
            CircuitError: if the circuit measures, resets or uses classical control.
        """
        if self.has_nonunitary:
            raise CircuitError(
                "only a unitary circuit (no measure/reset/condition) can be inverted"
            )
        out = self.copy()
        out.name = f"{self.name}_dg"
        out.instructions = [
            replace(i, gate=i.gate.inverse()) if i.gate is not None else i
            for i in reversed(self.instructions)
        ]
        return out

    def compose(
        self,
        other: Circuit,
        qubits: Sequence[int] | None = None,
        clbits: Sequence[int] | None = None,
    ) -> Circuit:
        """A new circuit: this one followed by ``other`` mapped onto ``qubits``/``clbits``."""
        if other.has_control_flow:
            raise CircuitError("compose cannot map control-flow blocks yet; build them in place")
        qmap = list(qubits) if qubits is not None else list(range(other.num_qubits))
        cmap = list(clbits) if clbits is not None else list(range(other.num_clbits))
        if len(qmap) != other.num_qubits:
            raise CircuitError(f"compose: need {other.num_qubits} qubit(s), got {qmap}")
        if len(cmap) != other.num_clbits:
            raise CircuitError(f"compose: need {other.num_clbits} classical bit(s), got {cmap}")
        out = self.copy()
        for q in qmap:
            out._qubit(q)
        for c in cmap:
            out._clbit(c)
        for ins in other.instructions:
            cond = ins.condition
            if cond is not None:
                cond = Condition(tuple(cmap[c] for c in cond.clbits), cond.value)
            out.instructions.append(
                Instruction(
                    ins.kind,
                    tuple(qmap[q] for q in ins.qubits),
                    ins.gate,
                    tuple(cmap[c] for c in ins.clbits),
                    cond,
                )
            )
        return out

    def __add__(self, other: Circuit) -> Circuit:
        return self.compose(other)

    def to_gate(self, name: str, param_names: Sequence[str] | None = None) -> CompositeGate:
        """This circuit as a reusable :class:`CompositeGate` named ``name``."""
        names = tuple(param_names) if param_names is not None else tuple(sorted(self.parameters))
        from qtcore._parameter import Parameter

        return CompositeGate(name, self, tuple(Parameter(n) for n in names), names)

    # ----------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (the gate-list form used by scenario files)."""
        return {
            "num_qubits": self.num_qubits,
            "num_clbits": self.num_clbits,
            "ops": self._ops_dict(self.instructions),
        }

    def _ops_dict(self, instructions: Sequence[Instruction]) -> list[dict[str, Any]]:
        """Op dicts; a control-flow op is ``{"op": kind, "qubits", "block", "text"}`` with
        its bodies as op lists (:func:`qtcore.control.block_to_json`), a measurement into a
        variable ``{"op": "measure", "qubits": [q], "var": name, "bit": i}``."""
        ops: list[dict[str, Any]] = []
        for ins in instructions:
            if isinstance(ins.block, VarBit):
                ops.append(
                    {"op": "measure", "qubits": list(ins.qubits), "var": ins.block.var,
                     "bit": ins.block.index}
                )  # fmt: skip
                continue
            if ins.block is not None:
                blk: dict[str, Any] = {
                    "op": ins.kind,
                    "qubits": list(ins.qubits),
                    "block": block_to_json(ins.block, self._ops_dict),
                    "text": ins.describe(),
                }
                if ins.condition is not None:
                    cond = ins.condition
                    blk["if"] = {"clbits": list(cond.clbits), "value": cond.value}
                ops.append(blk)
                continue
            d: dict[str, Any] = {
                "op": ins.kind if ins.gate is None else ins.gate.name,
                "qubits": list(ins.qubits),
            }
            g = ins.gate
            if isinstance(g, UnitaryGate):
                d["matrix"] = [[[z.real, z.imag] for z in row] for row in g.base_matrix()]
                d["label"] = g.label
            elif isinstance(g, CompositeGate):
                if g.params:
                    d["params"] = [p if not is_symbolic(p) else str(p) for p in g.params]
                body = g.definition
                d["definition"] = {
                    "num_qubits": body.num_qubits,
                    "params": list(g.param_names),
                    "ops": body._ops_dict(body.instructions),
                }
            elif g is not None:
                from qtcore.ops import InverseGate

                if isinstance(g, InverseGate):
                    d["op"] = "unitary"
                    d["matrix"] = [[[z.real, z.imag] for z in row] for row in g.matrix()]
                    d["label"] = f"{g.name}_dg"
                elif g.params:
                    d["params"] = [p if not is_symbolic(p) else str(p) for p in g.params]
            if ins.kind == "measure":
                d["clbits"] = list(ins.clbits)
            if ins.condition is not None:
                d["if"] = {"clbits": list(ins.condition.clbits), "value": ins.condition.value}
            ops.append(d)
        return ops

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "circuit") -> Circuit:
        """Builds a circuit from :meth:`to_dict`'s form; errors name the op's index.

        Raises:
            CircuitError: for any malformed entry (the message names ``ops[i]``).
        """
        if not isinstance(data, Mapping):
            raise CircuitError(f"circuit must be an object, got {type(data).__name__}")
        if "num_qubits" not in data:
            raise CircuitError("circuit is missing 'num_qubits'")
        circ = cls(data["num_qubits"], data.get("num_clbits", 0), name=name)
        ops = data.get("ops", [])
        if not isinstance(ops, list):
            raise CircuitError("circuit 'ops' must be a list")
        for i, op in enumerate(ops):
            try:
                circ._append_dict(op)
            except CircuitError as e:
                raise CircuitError(f"ops[{i}]: {e}") from None
            except (TypeError, ValueError, KeyError) as e:
                raise CircuitError(f"ops[{i}]: {e}") from None
        return circ

    def _append_dict(self, op: Mapping[str, Any]) -> None:
        if not isinstance(op, Mapping):
            raise CircuitError(f"an op must be an object, got {op!r}")
        known = {"op", "qubits", "params", "clbits", "if", "matrix", "label", "definition"}
        kind = op.get("op")
        if kind in CONTROL_KINDS or (kind == "measure" and "var" in op):
            known = {"op", "qubits", "if", "block", "text", "var", "bit"}
        extra = set(op) - known
        if extra:
            raise CircuitError(f"unknown field(s) {sorted(extra)}; allowed: {sorted(known)}")
        if not isinstance(kind, str):
            raise CircuitError("missing 'op' (a gate name, 'measure', 'reset' or 'barrier')")
        qubits = op.get("qubits", [])
        if isinstance(qubits, int):
            qubits = [qubits]
        if kind in CONTROL_KINDS:
            self.control(kind, block_from_json(kind, op.get("block"), self._body_from))
        elif kind == "measure" and "var" in op:
            bit = op.get("bit", 0)
            if not isinstance(op["var"], str) or isinstance(bit, bool) or not isinstance(bit, int):
                raise CircuitError("a measurement into a variable needs 'var' (a name) and 'bit'")
            if len(qubits) != 1:
                raise CircuitError("a measurement into a variable takes one qubit")
            self.instructions.append(
                Instruction("measure", (self._qubit(qubits[0]),), block=VarBit(op["var"], bit))
            )
        elif kind == "measure":
            self.measure(list(qubits), list(op.get("clbits", qubits)))
        elif kind == "reset":
            for q in qubits:
                self.reset(q)
        elif kind == "barrier":
            self.barrier(*qubits)
        elif "definition" in op:
            self.append(_composite_from_dict(kind, op), qubits)
        elif kind == "unitary":
            m = [
                [complex(*z) if isinstance(z, list) else complex(z) for z in row]
                for row in op["matrix"]
            ]
            self.append(UnitaryGate(m, op.get("label", "unitary")), qubits)
        else:
            params = [parse_param(p) if isinstance(p, str) else p for p in op.get("params", [])]
            from qtcore.ops import GATES

            nc = None
            if kind in GATES and GATES[kind].variadic:
                nc = len(qubits) - GATES[kind].num_targets
            self.append(Gate(kind, params, nc), qubits)
        cond = op.get("if")
        if cond is not None:
            if not isinstance(cond, Mapping) or "clbits" not in cond or "value" not in cond:
                raise CircuitError('\'if\' must be {"clbits": [...], "value": int}')
            self.c_if(cond["clbits"], cond["value"])

    def _body_from(self, ops: Any) -> tuple[Instruction, ...]:
        """A block body from op dicts (checked against this circuit's qubits and bits)."""
        if not isinstance(ops, list):
            raise CircuitError(f"a block body must be a list of ops, got {ops!r}")
        scratch = Circuit(self.num_qubits, self.num_clbits, qregs=self.qregs, cregs=self.cregs)
        for i, op in enumerate(ops):
            try:
                scratch._append_dict(op)
            except CircuitError as e:
                raise CircuitError(f"body[{i}]: {e}") from None
        return tuple(scratch.instructions)

    def draw(self) -> str:
        """A plain-text listing, one instruction per line."""
        lines = [f"{self.name}: {self.num_qubits} qubit(s), {self.num_clbits} classical bit(s)"]
        lines += [f"{k:3d}  {ins.describe()}" for k, ins in enumerate(self.instructions)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Circuit {self.name!r}: {self.num_qubits} qubits, {self.num_clbits} clbits, "
            f"{len(self.instructions)} ops>"
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Circuit)
            and other.num_qubits == self.num_qubits
            and other.num_clbits == self.num_clbits
            and other.instructions == self.instructions
        )

    __hash__ = None  # type: ignore[assignment]


def _composite_from_dict(name: str, op: Mapping[str, Any]) -> CompositeGate:
    """A :class:`CompositeGate` from :meth:`Circuit.to_dict`'s ``definition`` form."""
    body = op["definition"]
    if not isinstance(body, Mapping) or "num_qubits" not in body or "ops" not in body:
        raise CircuitError(
            f'gate {name!r}: \'definition\' must be {{"num_qubits", "params", "ops"}}'
        )
    names = body.get("params", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CircuitError(f"gate {name!r}: definition 'params' must be a list of names")
    extra = set(body) - {"num_qubits", "params", "ops"}
    if extra:
        raise CircuitError(f"gate {name!r}: unknown definition field(s) {sorted(extra)}")
    definition = Circuit.from_dict({"num_qubits": body["num_qubits"], "ops": body["ops"]}, name)
    params = [parse_param(p) if isinstance(p, str) else p for p in op.get("params", [])]
    return CompositeGate(name, definition, params, names)
