"""Writing circuits as OpenQASM 2.0 (``qelib1.inc``) or OpenQASM 3 (``stdgates.inc``).

Gates outside the include file are written as ``gate`` definitions ahead of the
program, each exact (global phase included): ``iswap``, ``ryy``, ``ccz``, the
multi-controlled gates beyond ``c4x`` (a recursive phase construction), inverses,
composite gates. In OpenQASM 3 the modifiers ``inv @`` and ``ctrl(n) @`` replace most
of those definitions. One-qubit :class:`~qtcore.UnitaryGate` s become ``u3``/``U``
(up to a global phase); larger ones cannot be written.
"""

from __future__ import annotations

import cmath
import math
import re

from qtcore._parameter import Parameter, ParamValue
from qtcore.circuit import Circuit, CompositeGate, Condition, Instruction
from qtcore.control import (
    Assign,
    CExpr,
    Const,
    CType,
    For,
    IfElse,
    Switch,
    VarBit,
    While,
    format_expr,
    walk,
)
from qtcore.errors import QasmError
from qtcore.ops import Gate, InverseGate, UnitaryGate
from qtcore.qasm._expression import format_value
from qtcore.qasm._stdlib import DEFINITIONS, QELIB1, STDGATES, qelib1_extras
from qtcore.qasm._syntax import MODIFIERS, V2_STATEMENTS, V3_ONLY, V3_UNSUPPORTED

__all__ = ["export"]

PI = math.pi
_SAME2 = frozenset(
    [
        "id",
        "x",
        "y",
        "z",
        "h",
        "s",
        "sdg",
        "t",
        "tdg",
        "sx",
        "sxdg",
        "rx",
        "ry",
        "rz",
        "p",
        "u1",
        "u2",
        "u3",
        "cx",
        "cy",
        "cz",
        "ch",
        "crx",
        "cry",
        "crz",
        "swap",
        "ccx",
        "cswap",
        "rxx",
        "rzz",
        "cu",
    ]
)
_RENAME2 = {"u": "u3", "cp": "cu1"}
_SAME3 = frozenset(
    [
        "id",
        "x",
        "y",
        "z",
        "h",
        "s",
        "sdg",
        "t",
        "tdg",
        "sx",
        "rx",
        "ry",
        "rz",
        "p",
        "u1",
        "cx",
        "cy",
        "cz",
        "ch",
        "cp",
        "crx",
        "cry",
        "crz",
        "swap",
        "ccx",
        "cswap",
        "cu",
    ]
)
# Words a gate or register may not be named: everything either reader treats as a
# statement or constant, taken from the parser's own sets so the two cannot drift.
_KEYWORDS = frozenset(
    {
        "OPENQASM",
        "else",
        "U",
        "CX",
        "pi",
        "tau",
        "euler",
        "true",
        "false",
    }
    | V2_STATEMENTS
    | V3_ONLY
    | V3_UNSUPPORTED
    | set(MODIFIERS)
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Exporter:
    def __init__(self, circuit: Circuit, version: int) -> None:
        if version not in (2, 3):
            raise QasmError(f"OpenQASM version must be 2 or 3, got {version!r}")
        if not isinstance(circuit, Circuit):
            raise QasmError(f"expected a Circuit, got {type(circuit).__name__}")
        self.c = circuit
        self.v = version
        self.defs: list[str] = []
        self.defined: dict[str, object] = {}
        std = QELIB1 if version == 2 else STDGATES
        self.reserved = set(_KEYWORDS) | set(std)
        if version == 2:
            self.reserved |= set(qelib1_extras())
        self.qnames = self.reg_names(circuit.qregs, "quantum")
        self.cnames = self.reg_names(circuit.cregs, "classical")
        self.reserved |= {n for n, _ in circuit.qregs} | {n for n, _ in circuit.cregs}

    def reg_names(self, regs: list[tuple[str, int]], kind: str) -> list[str]:
        out = []
        for name, size in regs:
            if not _IDENT.match(name) or name in _KEYWORDS:
                raise QasmError(
                    f"{kind} register name {name!r} is not a valid OpenQASM identifier; "
                    "rename it (letters, digits, '_', not a keyword)"
                )
            out += [f"{name}[{i}]" for i in range(size)]
        return out

    # ------------------------------------------------------------ program
    def run(self) -> str:
        head = ["OPENQASM 2.0;", 'include "qelib1.inc";']
        if self.v == 3:
            head = ["OPENQASM 3.0;", 'include "stdgates.inc";']
        body: list[str] = []
        if self.c.has_control_flow and self.v == 2:
            raise QasmError(
                "OpenQASM 2 has no classical control flow (if/while/for/switch blocks, "
                "classical variables); export as version 3"
            )
        for ins in self.c.instructions:
            body += self.lines(ins, "")
        decls: list[str] = []
        params = sorted(self.c.parameters)
        if params and self.v == 2:
            raise QasmError(
                f"circuit has unbound parameter(s) {params}; bind them before exporting to "
                "OpenQASM 2 (OpenQASM 3 writes them as 'input float' declarations)"
            )
        decls += [f"input float[64] {p};" for p in params]
        for name, size in self.c.qregs:
            decls.append(f"qreg {name}[{size}];" if self.v == 2 else f"qubit[{size}] {name};")
        for name, size in self.c.cregs:
            decls.append(f"creg {name}[{size}];" if self.v == 2 else f"bit[{size}] {name};")
        decls += [f"{_type(ctype)} {name};" for name, ctype in self.variables().items()]
        return "\n".join([*head, *self.defs, *decls, *body]) + "\n"

    # ------------------------------------------------------------ control flow
    def variables(self) -> dict[str, CType]:
        """Classical variables first set inside a block (or only measured into): declared
        once ahead of the program. A variable declared at the top level is written where
        it is declared; loop variables are declared by their ``for``."""
        top = {
            i.block.target
            for i in self.c.instructions
            if isinstance(i.block, Assign) and isinstance(i.block.target, str) and i.block.type
        }
        out: dict[str, CType] = {}
        for ins in walk(self.c.instructions):
            b = ins.block
            if isinstance(b, Assign) and isinstance(b.target, str) and b.target not in top:
                if b.type is not None:
                    out.setdefault(b.target, b.type)
            elif isinstance(b, VarBit) and b.var not in top:
                out.setdefault(b.var, CType("uint", 32))
        for name in out:
            if not _IDENT.match(name) or name in _KEYWORDS:
                raise QasmError(f"classical variable name {name!r} is not an OpenQASM identifier")
        return out

    def bits_text(self, bits: tuple[int, ...]) -> str:
        start = 0
        for name, size in self.c.cregs:
            idx = [b - start for b in bits]
            if all(0 <= i < size for i in idx) and idx == list(range(idx[0], idx[0] + len(idx))):
                if len(idx) == size and size > 1:
                    return name
                if len(idx) == 1:
                    return self.cnames[bits[0]]
                return f"{name}[{idx[0]}:{idx[-1]}]"
            start += size
        parts = [f"(uint({self.cnames[b]}) << {k})" for k, b in enumerate(bits)]
        return "(" + " | ".join(parts) + ")"

    def expr(self, e: CExpr) -> str:
        return format_expr(e, self.bits_text)

    def lines(self, ins: Instruction, pad: str) -> list[str]:
        """The statement(s) of ``ins`` indented by ``pad`` (blocks over several lines)."""
        b = ins.block
        if b is None:
            return [pad + self.instruction(ins)]
        inner = pad + "  "

        def body(instructions: tuple[Instruction, ...]) -> list[str]:
            out: list[str] = []
            for sub in instructions:
                out += self.lines(sub, inner)
            return out

        if isinstance(b, VarBit):
            return [f"{pad}{b.var}[{b.index}] = measure {self.qnames[ins.qubits[0]]};"]
        if isinstance(b, Assign):
            if isinstance(b.target, str):
                if b.type is not None and not pad:  # a top-level declaration
                    if isinstance(b.value, Const) and b.value.value == 0:
                        return [f"{_type(b.type)} {b.target};"]
                    return [f"{_type(b.type)} {b.target} = {self.expr(b.value)};"]
                return [f"{pad}{b.target} = {self.expr(b.value)};"]
            target = self.bits_text(b.target)
            if target.startswith("("):  # scattered bits: one assignment per bit
                v = self.expr(b.value)
                return [
                    f"{pad}{self.cnames[c]} = (({v}) >> {k}) & 1;" for k, c in enumerate(b.target)
                ]
            return [f"{pad}{target} = {self.expr(b.value)};"]
        if isinstance(b, IfElse):
            out = [f"{pad}if ({self.expr(b.condition)}) {{", *body(b.then), f"{pad}}}"]
            if b.orelse:
                out[-1] += " else {"
                out += [*body(b.orelse), f"{pad}}}"]
            return out
        if isinstance(b, While):
            return [f"{pad}while ({self.expr(b.condition)}) {{", *body(b.body), f"{pad}}}"]
        if isinstance(b, For):
            if b.values is not None:
                it = "{" + ", ".join(self.expr(v) for v in b.values) + "}"
            else:
                assert b.range is not None
                a, s, z = (self.expr(x) for x in b.range)
                it = f"[{a}:{s}:{z}]"
            return [f"{pad}for {b.type} {b.var} in {it} {{", *body(b.body), f"{pad}}}"]
        assert isinstance(b, Switch)
        out = [f"{pad}switch ({self.expr(b.target)}) {{"]
        for vals, case in b.cases:
            out += [f"{inner}case {', '.join(self.expr(v) for v in vals)} {{"]
            out += [*(f"  {line}" for line in body(case)), f"{inner}}}"]
        if b.default:
            out += [f"{inner}default {{", *(f"  {line}" for line in body(b.default)), f"{inner}}}"]
        return [*out, f"{pad}}}"]

    def instruction(self, ins: Instruction) -> str:
        qs = [self.qnames[q] for q in ins.qubits]
        if ins.kind == "barrier":
            return f"barrier {', '.join(qs)};"
        if ins.kind == "measure":
            c = self.cnames[ins.clbits[0]]
            text = f"measure {qs[0]} -> {c};" if self.v == 2 else f"{c} = measure {qs[0]};"
        elif ins.kind == "reset":
            text = f"reset {qs[0]};"
        else:
            assert ins.gate is not None
            text = f"{self.call(ins.gate)} {', '.join(qs)};"
        if ins.condition is not None:
            text = self.conditioned(ins.condition, text)
        return text

    def conditioned(self, cond: Condition, text: str) -> str:
        start = 0
        for name, size in self.c.cregs:
            if cond.clbits == tuple(range(start, start + size)):
                return f"if ({name} == {cond.value}) {text}"
            start += size
        if self.v == 2:
            bits = ", ".join(self.cnames[b] for b in cond.clbits)
            raise QasmError(
                f"OpenQASM 2 can only condition on a whole classical register; the condition "
                f"on bits [{bits}] == {cond.value} is not one (export as version 3, or give "
                "those bits their own creg)"
            )
        # No braces: `if (c[0] == 1) x q[0];` is a condition on one instruction, which
        # loads(..., blocks=True) keeps apart from a braced if block.
        for k in reversed(range(len(cond.clbits))):
            bit = self.cnames[cond.clbits[k]]
            text = f"if ({bit} == {(cond.value >> k) & 1}) {text}"
        return text

    # ------------------------------------------------------------ gates
    def args(self, g: Gate, params: tuple[ParamValue, ...] | None = None) -> str:
        ps = g.params if params is None else params
        return "(" + ", ".join(format_value(p, self.v) for p in ps) + ")" if ps else ""

    def call(self, g: Gate) -> str:
        if isinstance(g, CompositeGate):
            extra = qelib1_extras().get(g.name) if self.v == 2 else None
            if extra is not None and extra == g.definition:
                return g.name
            name = self.define(g.name, g.param_names, g.definition)
            return name + self.args(g)
        if isinstance(g, InverseGate):
            return self.inverse_call(g)
        if isinstance(g, UnitaryGate):
            return self.unitary_call(g)
        return self.named_call(g)

    def named_call(self, g: Gate) -> str:
        name, v, nc = g.name, self.v, g.num_controls
        if v == 2:
            if name in _SAME2:
                return name + self.args(g)
            if name in _RENAME2:
                return _RENAME2[name] + self.args(g)
            if name in ("cs", "csdg"):
                return f"cu1({'pi/2' if name == 'cs' else '-pi/2'})"
            if name == "mcx":
                fixed = {1: "cx", 2: "ccx", 3: "c3x", 4: "c4x"}
                return fixed.get(nc) or self.define(f"mcx{nc}", (), _mcx_circuit(nc))
            if name in ("mcp", "mcz"):
                lam = g.params[0] if name == "mcp" else PI
                if nc == 1:
                    return f"cu1({format_value(lam, 2)})"
                return self.define(f"mcphase{nc}", ("lambda",), _mcp_circuit(nc)) + (
                    f"({format_value(lam, 2)})"
                )
        else:
            if name in _SAME3:
                return name + self.args(g)
            if name in ("u", "u3"):
                return "U" + self.args(g)
            if name == "u2":
                return "U" + self.args(g, (PI / 2, *g.params))
            if name == "sxdg":
                return "inv @ sx"
            if name in ("cs", "csdg"):
                return f"ctrl @ {name[1:]}"
            if name in ("ccz", "mcx", "mcz"):
                n = 2 if name == "ccz" else nc
                base = "x" if name == "mcx" else "z"
                if n == 1:
                    return f"c{base}"
                return "ccx" if n == 2 and base == "x" else f"ctrl({n}) @ {base}"
            if name == "mcp":
                p = self.args(g)
                return f"cp{p}" if nc == 1 else f"ctrl({nc}) @ p{p}"
        if name in DEFINITIONS:
            formals, circ = DEFINITIONS[name]
            return self.define(name, formals, circ) + self.args(g)
        raise QasmError(f"gate {name!r} cannot be exported to OpenQASM {v}")  # pragma: no cover

    def inverse_call(self, g: InverseGate) -> str:
        b = g.base_gate
        if self.v == 3:
            return "inv @ " + self.call(b)
        if isinstance(b, CompositeGate):
            inv = b.inverse()
            return self.call(inv)
        if b.name in DEFINITIONS:
            formals, circ = DEFINITIONS[b.name]
            return self.define(f"{b.name}_dg", formals, circ.inverse()) + self.args(b)
        return self.call(b.inverse())

    def unitary_call(self, g: UnitaryGate) -> str:
        if g.num_qubits != 1:
            raise QasmError(
                f"cannot export the {g.num_qubits}-qubit UnitaryGate {g.label!r} to OpenQASM: "
                "only 1-qubit unitaries are written (as u3); decompose it into gates first"
            )
        theta, phi, lam = _zyz(g.base_matrix())
        return ("u3" if self.v == 2 else "U") + self.args(g, (theta, phi, lam))

    def define(self, name: str, formals: tuple[str, ...], circ: Circuit) -> str:
        key = (formals, circ)
        base = name if _IDENT.match(name) else "gate_" + re.sub(r"\W", "_", name)
        candidate, k = base, 0
        while True:
            have = self.defined.get(candidate)
            if have == key:
                return candidate
            if have is None and candidate not in self.reserved:
                break
            k += 1
            candidate = f"{base}_{k}"
        self.defined[candidate] = key
        qn = [f"q{i}" for i in range(circ.num_qubits)]
        while set(qn) & set(formals):
            qn = ["_" + q for q in qn]
        lines = []
        for ins in circ.instructions:
            qs = ", ".join(qn[q] for q in ins.qubits)
            if ins.kind == "barrier":
                lines.append(f"  barrier {qs};")
            elif ins.gate is not None:
                lines.append(f"  {self.call(ins.gate)} {qs};")
        head = candidate + (f"({', '.join(formals)})" if formals else "")
        self.defs.append(f"gate {head} {', '.join(qn)} {{\n" + "\n".join(lines) + "\n}")
        return candidate


def _type(ctype: CType) -> str:
    """A variable's type as written: bits of a block's own become ``uint`` (a ``bit``
    declaration at the top level would read back as a classical register)."""
    if ctype.kind == "bit":
        return f"uint[{ctype.width or 1}]"
    return str(ctype)


def _zyz(m: tuple[tuple[complex, ...], ...]) -> tuple[float, float, float]:
    """(theta, phi, lambda) with m = e^{i gamma} U(theta, phi, lambda)."""
    a, b = m[0]
    c, d = m[1]
    theta = 2 * math.atan2(abs(c), abs(a))
    eps = 1e-12
    if abs(a) > eps and abs(c) > eps:
        g = cmath.phase(a)
        phi = cmath.phase(c) - g
        lam = cmath.phase(-b) - g
    elif abs(a) > eps:  # diagonal
        g = cmath.phase(a)
        phi, lam = 0.0, cmath.phase(d) - g
    else:  # anti-diagonal
        g = cmath.phase(-b)
        phi, lam = cmath.phase(c) - g, 0.0
    return theta, phi, lam


def _mcx_circuit(n: int) -> Circuit:
    c = Circuit(n + 1)
    c.h(n)
    c.mcp(PI, list(range(n)), n)
    c.h(n)
    return c


def _mcp_circuit(n: int) -> Circuit:
    """Exact n-controlled phase: cp(l/2) b,t; C^{n-1}X a,b; cp(-l/2) b,t; C^{n-1}X a,b;
    C^{n-1}P(l/2) a,t with a = the first n-1 controls, b = the last one."""
    lam = Parameter("lambda")
    c = Circuit(n + 1)
    ctrl, b, t = list(range(n - 1)), n - 1, n
    c.cp(lam / 2, b, t)
    c.mcx(ctrl, b)
    c.cp(-lam / 2, b, t)
    c.mcx(ctrl, b)
    c.mcp(lam / 2, ctrl, t)
    return c


def export(circuit: Circuit, version: int) -> str:
    """See :func:`qtcore.qasm.dumps`."""
    return _Exporter(circuit, version).run()
