"""Gate calls: the OpenQASM 3 modifiers, arity checks, and expansion into ops.

A call of a standard gate becomes the ops its builder gives; a plain call of a custom
gate becomes one :class:`~qtcore.CompositeGate`; under modifiers a custom gate's body
is expanded op by op, then ``inv``, ``pow``, ``ctrl`` and ``negctrl`` are applied
innermost first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qtcore._parameter import ParamValue
from qtcore.circuit import CompositeGate, Instruction
from qtcore.errors import CircuitError, GateError
from qtcore.ops import Gate
from qtcore.qasm._diagnostics import did_you_mean, error_at
from qtcore.qasm._expression import Expr, evaluate
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_operands import OperandParser
from qtcore.qasm._stdlib import QELIB1, STDGATES, Op, control_ops, invert_ops, remap_ops
from qtcore.qasm._syntax import MODIFIERS, V2_STATEMENTS, V3_ONLY, Call, Entry, Fixed, Mod

__all__ = ["CallParser"]

STATEMENT_WORDS_V2 = sorted(V2_STATEMENTS)
"""Words that start an OpenQASM 2 statement (suggested for a misspelt one)."""
STATEMENT_WORDS = sorted(V2_STATEMENTS | (V3_ONLY - {*MODIFIERS, "gphase"}) | {"else"})
"""Words that start an OpenQASM 3 statement (suggested for a misspelt one)."""


class CallParser(OperandParser):
    """Reads gate calls and turns them into ops and instructions."""

    def gate_call(self, body: bool) -> Call:
        mods: list[Mod] = []
        while self.version == 3 and self.peek().kind == "id" and self.peek().text in MODIFIERS:
            m = self.take()
            arg: Expr | None = None
            if self.accept("("):
                arg = self.expr()
                self.expect(")", f"after the argument of '{m.text}'")
            elif m.text == "pow":
                raise error_at("'pow' needs an exponent, e.g. pow(2) @", self.peek())
            self.expect("@", f"after the gate modifier '{m.text}'")
            mods.append(Mod(m.text, m, arg))
        name = self.expect_id("a gate name" if not mods else "a gate name after '@'")
        # before its arguments: a misspelt word ('swich (c) { ... }') is an unknown name,
        # not a call whose arguments are wrong
        self.lookup_gate(name, statement=not body and not mods)
        params: list[Expr] = []
        paren = None
        if self.at("("):
            paren = self.take()
            if not self.at(")"):
                params = self.comma_list(self.expr)
            self.expect(")", f"after the parameters of '{name.text}'")
        args = self.arg_list(body) if not self.at(";") else []
        return Call(name, tuple(mods), tuple(params), tuple(args), paren)

    def lookup_gate(self, name: Token, statement: bool = False) -> Entry:
        """The gate ``name`` names; a QasmError at it when none does.

        ``statement``: the name starts a statement, so a misspelt keyword is suggested too.
        """
        entry = self.gates.get(name.text)
        if entry is None:
            if name.text in ("U", "CX") and self.version == 2:
                return Fixed(QELIB1[name.text], "built-in")
            if name.text in ("U", "gphase") and self.version == 3:
                return Fixed(STDGATES[name.text], "built-in")
            names = [*self.gates, "U", "CX" if self.version == 2 else "gphase"]
            hint = did_you_mean(name.text, names)
            lib = "qelib1.inc" if self.version == 2 else "stdgates.inc"
            std = QELIB1 if self.version == 2 else STDGATES
            if not hint and lib not in self.includes and name.text in std:
                hint = f' (add include "{lib}";)'
            if not hint and (name.text in self.st.qregs or name.text in self.st.cregs):
                hint = " (it is a register, not a gate)"
            if not hint and statement:
                words = STATEMENT_WORDS if self.version == 3 else STATEMENT_WORDS_V2
                hint = did_you_mean(name.text, words, cutoff=0.75)  # not 'foo' for 'for'
                if hint:
                    raise error_at(f"unknown statement or gate '{name.text}'{hint}", name)
            raise error_at(f"unknown gate '{name.text}'{hint}", name)
        return entry

    def entry_arity(self, entry: Entry) -> tuple[int, int]:
        if isinstance(entry, Fixed):
            return entry.std.num_params, entry.std.num_qubits
        return len(entry.params), len(entry.qubits)

    def count_controls(self, call: Call, env: Mapping[str, ParamValue]) -> int:
        total = 0
        for m in call.mods:
            if m.kind in ("ctrl", "negctrl"):
                total += self.int_arg(m, env, 1, minimum=1)
        return total

    def int_arg(self, m: Mod, env: Mapping[str, ParamValue], default: int, minimum: int) -> int:
        if m.arg is None:
            return default
        v = evaluate(m.arg, env)
        if not isinstance(v, float) or not v.is_integer() or v < minimum:
            need = "a positive integer" if minimum == 1 else "an integer"
            raise error_at(f"'{m.kind}' needs {need}, got {v}", m.arg.token)
        return int(v)

    def check_call(self, call: Call, env: Mapping[str, ParamValue], nargs: int) -> Entry:
        entry = self.lookup_gate(call.name)
        np_, nq = self.entry_arity(entry)
        if len(call.params) != np_:
            where = call.paren or call.name
            raise error_at(
                f"gate '{call.name.text}' takes {np_} parameter(s), got {len(call.params)}", where
            )
        want = nq + self.count_controls(call, env)
        if nargs != want:
            raise error_at(
                f"gate '{call.name.text}' takes {want} qubit argument(s), got {nargs}", call.name
            )
        return entry

    def check_distinct(self, call: Call, qubits: list[int]) -> None:
        seen: set[int] = set()
        for a, q in zip(call.args, qubits, strict=True):
            if q in seen:
                raise error_at(
                    f"duplicate qubit {self.qname(a)} in gate '{call.name.text}'", a.token
                )
            seen.add(q)

    def call_ops(
        self, call: Call, env: Mapping[str, ParamValue], nargs: int, flatten: bool = False
    ) -> list[Op]:
        entry = self.check_call(call, env, nargs)
        params = tuple(evaluate(e, env) for e in call.params)
        flatten = flatten or bool(call.mods)
        try:
            ops = self.entry_ops(entry, params, flatten)
            for m in reversed(call.mods):
                ops = self.apply_mod(m, ops, env)
        except (CircuitError, GateError) as e:
            raise error_at(f"gate '{call.name.text}': {e}", call.name) from None
        return ops

    def entry_ops(self, entry: Entry, params: tuple[ParamValue, ...], flatten: bool) -> list[Op]:
        if isinstance(entry, Fixed):
            return entry.std.build(params)
        if not flatten:
            assert entry.definition is not None
            g = CompositeGate(entry.name, entry.definition, params, entry.params)
            return [Op(g, tuple(range(len(entry.qubits))))]
        env = dict(zip(entry.params, params, strict=True))
        out: list[Op] = []
        for item in entry.body:
            if isinstance(item, tuple):
                continue
            local = [entry.qubits.index(a.token.text) for a in item.args]
            out.extend(remap_ops(self.call_ops(item, env, len(local), flatten=True), local))
        return out

    def apply_mod(self, m: Mod, ops: list[Op], env: Mapping[str, ParamValue]) -> list[Op]:
        if m.kind == "inv":
            if m.arg is not None:
                raise error_at("'inv' takes no argument", m.arg.token)
            return invert_ops(ops)
        if m.kind == "pow":
            k = self.int_arg(m, env, 1, minimum=-(10**6))
            if abs(k) > 1000:
                raise error_at(f"pow({k}) is too large (at most 1000 repetitions)", m.token)
            base = invert_ops(ops) if k < 0 else ops
            return base * abs(k)
        n = self.int_arg(m, env, 1, minimum=1)
        ctrl = control_ops(ops, n)
        if m.kind == "negctrl":
            flips = [Op(Gate("x"), (q,)) for q in range(n)]
            return [*flips, *ctrl, *flips]
        return ctrl

    def gate_call_stmt(self) -> None:
        call = self.gate_call(body=False)
        self.end(f"the call of '{call.name.text}'")
        env = self.param_env()
        self.check_call(call, env, len(call.args))
        for qubits in self.broadcast(list(call.args), [True] * len(call.args), "a gate"):
            self.check_distinct(call, qubits)
            for ins in self.gate_instructions(call, env, qubits):
                self.emit(ins, call.name)

    def gate_instructions(
        self, call: Call, env: Mapping[str, ParamValue], qubits: Sequence[int]
    ) -> list[Instruction]:
        """The gate instructions of ``call`` on ``qubits`` (global phases dropped)."""
        return [
            Instruction("gate", tuple(qubits[q] for q in op.qubits), op.gate)
            for op in self.call_ops(call, env, len(qubits))
            if op.gate is not None
        ]
