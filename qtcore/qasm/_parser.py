"""A recursive-descent reader for OpenQASM 2.0 and the common subset of OpenQASM 3.

The program is read statement by statement into flat qubit/classical-bit indices
(registers in declaration order). Custom ``gate`` bodies are kept as syntax trees:
a plain call becomes a :class:`~qtcore.CompositeGate`; under gate modifiers the body
is expanded and modified op by op, exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches

from qtcore._parameter import Parameter, ParamValue
from qtcore.circuit import Circuit, CompositeGate, Condition, Instruction
from qtcore.errors import CircuitError, GateError, QasmError
from qtcore.ops import Gate
from qtcore.qasm._expression import CONSTANTS, FUNCTIONS, Expr, evaluate
from qtcore.qasm._lexer import Token, tokenize
from qtcore.qasm._stdlib import (
    QELIB1,
    QELIB1_SOURCE,
    STDGATES,
    Op,
    StdGate,
    control_ops,
    invert_ops,
)

__all__ = ["parse"]

_V3_ONLY = {"qubit", "bit", "input", "inv", "ctrl", "negctrl", "pow", "gphase"}
_V3_UNSUPPORTED = {
    "for",
    "while",
    "def",
    "return",
    "const",
    "float",
    "int",
    "uint",
    "angle",
    "bool",
    "complex",
    "duration",
    "stretch",
    "let",
    "box",
    "delay",
    "cal",
    "defcal",
    "defcalgrammar",
    "extern",
    "array",
    "output",
    "switch",
    "break",
    "continue",
    "end",
    "pragma",
}
_MODIFIERS = ("inv", "ctrl", "negctrl", "pow")


@dataclass(frozen=True)
class _Reg:
    name: str
    start: int
    size: int
    token: Token
    scalar: bool = False


@dataclass(frozen=True)
class _Arg:
    token: Token
    index: int | None = None
    index_token: Token | None = None


@dataclass(frozen=True)
class _Mod:
    kind: str
    token: Token
    arg: Expr | None = None


@dataclass(frozen=True)
class _Call:
    name: Token
    mods: tuple[_Mod, ...]
    params: tuple[Expr, ...]
    args: tuple[_Arg, ...]
    paren: Token | None = None


@dataclass
class _Custom:
    name: str
    token: Token
    params: tuple[str, ...]
    qubits: tuple[str, ...]
    body: list[_Call | tuple[_Arg, ...]]
    definition: Circuit | None = None


@dataclass
class _Fixed:
    """A gate whose ops come from a builder (standard include files)."""

    std: StdGate
    origin: str


_Entry = _Custom | _Fixed


@dataclass
class _State:
    qregs: dict[str, _Reg] = field(default_factory=dict)
    cregs: dict[str, _Reg] = field(default_factory=dict)
    nq: int = 0
    nc: int = 0
    instructions: list[Instruction] = field(default_factory=list)


def _err(msg: str, tok: Token) -> QasmError:
    return QasmError(msg, tok.line, tok.column)


def _hint(name: str, names: list[str]) -> str:
    near = get_close_matches(name, names, n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


class _Parser:
    def __init__(self, text: str, version: int | None = None) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.version = version or 0
        self.gates: dict[str, _Entry] = {}
        self.includes: set[str] = set()
        self.inputs: dict[str, ParamValue] = {}
        self.st = _State()
        self.cond: Condition | None = None
        self.cond_bits: set[int] = set()
        self.written: set[int] = set()

    # ------------------------------------------------------------ tokens
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, text: str) -> bool:
        t = self.peek()
        return t.kind in ("op", "id") and t.text == text

    def accept(self, text: str) -> Token | None:
        return self.take() if self.at(text) else None

    def expect(self, text: str, context: str) -> Token:
        t = self.peek()
        if t.kind in ("op", "id") and t.text == text:
            return self.take()
        raise _err(f"expected '{text}' {context}, found {t.describe()}", t)

    def expect_id(self, what: str) -> Token:
        t = self.peek()
        if t.kind != "id":
            raise _err(f"expected {what}, found {t.describe()}", t)
        return self.take()

    def expect_int(self, what: str) -> Token:
        t = self.peek()
        if t.kind != "int":
            raise _err(f"expected {what} (a non-negative integer), found {t.describe()}", t)
        return self.take()

    def end(self, what: str) -> None:
        self.expect(";", f"after {what}")

    # ------------------------------------------------------------ program
    def program(self) -> Circuit:
        self.header()
        while self.peek().kind != "eof":
            self.statement()
        return self.build()

    def header(self) -> None:
        t = self.peek()
        if t.kind == "id" and t.text == "OPENQASM":
            self.take()
            v = self.peek()
            if v.kind not in ("int", "real"):
                raise _err(f"expected a version number after OPENQASM, found {v.describe()}", v)
            self.take()
            major = v.text.split(".")[0]
            if v.text in ("2", "2.0"):
                self.version = 2
            elif major == "3":
                self.version = 3
            else:
                raise _err(f"unsupported OpenQASM version '{v.text}' (supported: 2.0, 3.x)", v)
            self.end("the version statement")
        elif not self.version:
            self.version = 3

    def statement(self) -> None:
        t = self.peek()
        if t.kind != "id":
            if t.text == "$":
                raise _err("physical qubits ('$0') are not supported; declare a register", t)
            raise _err(f"expected a statement, found {t.describe()}", t)
        word = t.text
        if word == "OPENQASM":
            raise _err("the OPENQASM version statement must come first", t)
        if self.version == 2 and word in _V3_ONLY:
            raise _err(f"'{word}' needs OpenQASM 3 (this program is OpenQASM 2.0)", t)
        if self.version == 3 and word in _V3_UNSUPPORTED:
            raise _err(
                f"unsupported OpenQASM 3 statement '{word}': qtcore reads registers, gates, "
                "gate modifiers, measure, reset, barrier, simple if and 'input' angles",
                t,
            )
        handler = {
            "include": self.include,
            "qreg": self.reg_old,
            "creg": self.reg_old,
            "qubit": self.reg_new,
            "bit": self.reg_new,
            "gate": self.gate_def,
            "opaque": self.opaque,
            "measure": self.measure_arrow,
            "reset": self.reset,
            "barrier": self.barrier,
            "if": self.if_stmt,
            "input": self.input_decl,
        }.get(word)
        if handler is not None:
            if self.cond is not None and word in (
                "include",
                "qreg",
                "creg",
                "qubit",
                "bit",
                "input",
                "gate",
                "opaque",
            ):
                raise _err(f"'{word}' is not allowed inside an if statement", t)
            handler()
            return
        if word == "else":
            raise _err("'else' without a matching 'if'", t)
        nxt = self.peek(1)
        if self.version == 3 and nxt.kind == "op" and nxt.text in ("=", "["):
            self.measure_assign()
            return
        self.gate_call_stmt()

    # ------------------------------------------------------------ declarations
    def include(self) -> None:
        self.take()
        f = self.peek()
        if f.kind != "string":
            raise _err(f"expected a file name in quotes after include, found {f.describe()}", f)
        self.take()
        self.end("include")
        if f.text in self.includes:
            return
        if f.text == "qelib1.inc":
            self.includes.add(f.text)
            for name, std in QELIB1.items():
                self.gates.setdefault(name, _Fixed(std, f.text))
            self.load_source(QELIB1_SOURCE)
        elif f.text == "stdgates.inc" and self.version == 3:
            self.includes.add(f.text)
            for name, std in STDGATES.items():
                self.gates.setdefault(name, _Fixed(std, f.text))
        else:
            allowed = '"qelib1.inc"' if self.version == 2 else '"stdgates.inc" or "qelib1.inc"'
            raise _err(
                f'cannot include "{f.text}": only the built-in {allowed} can be included '
                "(paste the file's gate definitions into the program instead)",
                f,
            )

    def load_source(self, source: str) -> None:
        sub = _Parser(source, 2)
        sub.gates = self.gates
        sub.includes = {"qelib1.inc"}
        while sub.peek().kind != "eof":
            sub.statement()

    def declare(self, name: Token) -> None:
        n = name.text
        for table in (self.st.qregs, self.st.cregs):
            if n in table:
                old = table[n].token
                raise _err(f"'{n}' is already declared (line {old.line})", name)
        if n in self.inputs:
            raise _err(f"'{n}' is already declared as an input parameter", name)

    def add_reg(self, quantum: bool, name: Token, size: int, scalar: bool) -> None:
        self.declare(name)
        if quantum:
            self.st.qregs[name.text] = _Reg(name.text, self.st.nq, size, name, scalar)
            self.st.nq += size
        else:
            self.st.cregs[name.text] = _Reg(name.text, self.st.nc, size, name, scalar)
            self.st.nc += size

    def reg_size(self, tok: Token) -> int:
        size = int(tok.text)
        if size < 1:
            raise _err(f"register size must be at least 1, got {size}", tok)
        return size

    def reg_old(self) -> None:
        kw = self.take()
        name = self.expect_id(f"a register name after '{kw.text}'")
        self.expect("[", f"after the register name '{name.text}' (e.g. {kw.text} q[2];)")
        size = self.reg_size(self.expect_int("the register size"))
        self.expect("]", "after the register size")
        self.end(f"the {kw.text} declaration")
        self.add_reg(kw.text == "qreg", name, size, False)

    def reg_new(self) -> None:
        kw = self.take()
        size, scalar = 1, True
        if self.accept("["):
            size = self.reg_size(self.expect_int("the register size"))
            self.expect("]", "after the register size")
            scalar = False
        name = self.expect_id(f"a name in the '{kw.text}' declaration")
        if self.at("="):
            raise _err(f"initialising a '{kw.text}' in its declaration is not supported", name)
        self.end(f"the {kw.text} declaration")
        self.add_reg(kw.text == "qubit", name, size, scalar)

    def input_decl(self) -> None:
        self.take()
        ty = self.expect_id("a type after 'input' (float or angle)")
        if ty.text not in ("float", "angle"):
            raise _err(f"input of type '{ty.text}' is not supported (use float or angle)", ty)
        if self.accept("["):
            self.expect_int("a bit width")
            self.expect("]", "after the bit width")
        name = self.expect_id("the input parameter's name")
        self.declare(name)
        self.end("the input declaration")
        self.inputs[name.text] = Parameter(name.text)

    def opaque(self) -> None:
        t = self.take()
        name = self.peek()
        raise _err(
            f"opaque gate '{name.text}' cannot be simulated: qtcore needs a 'gate' definition "
            "with a body",
            t,
        )

    # ------------------------------------------------------------ gate definitions
    def gate_def(self) -> None:
        self.take()
        if self.cond is not None:
            raise _err("a gate definition cannot appear inside an if block", self.peek())
        name = self.expect_id("a gate name after 'gate'")
        if name.text in self.gates:
            old = self.gates[name.text]
            where = f"line {old.token.line}" if isinstance(old, _Custom) else f"{old.origin}"
            raise _err(f"gate '{name.text}' is already defined ({where})", name)
        if name.text in _MODIFIERS and self.version == 3:
            raise _err(f"'{name.text}' is a gate modifier and cannot name a gate", name)
        params: list[Token] = []
        if self.accept("("):
            if not self.at(")"):
                params.append(self.expect_id("a parameter name"))
                while self.accept(","):
                    params.append(self.expect_id("a parameter name"))
            self.expect(")", "after the gate's parameter names")
        qubits = [self.expect_id(f"a qubit argument name for gate '{name.text}'")]
        while self.accept(","):
            qubits.append(self.expect_id("a qubit argument name"))
        seen: dict[str, Token] = {}
        for tok in (*params, *qubits):
            if tok.text in seen:
                raise _err(f"'{tok.text}' is used twice in the definition of '{name.text}'", tok)
            if tok.text in CONSTANTS:
                raise _err(f"'{tok.text}' is a constant and cannot name an argument", tok)
            seen[tok.text] = tok
        self.expect("{", f"to open the body of gate '{name.text}'")
        body: list[_Call | tuple[_Arg, ...]] = []
        while not self.accept("}"):
            t = self.peek()
            if t.kind == "eof":
                raise _err(f"the body of gate '{name.text}' is not closed with '}}'", t)
            if t.kind == "id" and t.text == "barrier":
                self.take()
                args = self.arg_list(body=True)
                self.end("barrier")
                body.append(tuple(args))
                continue
            if t.kind == "id" and t.text in ("measure", "reset", "if", "gate", "qreg", "creg"):
                raise _err(
                    f"'{t.text}' is not allowed in a gate body (only gate calls and barrier)", t
                )
            body.append(self.gate_call(body=True))
            self.end("the gate call")
        custom = _Custom(
            name.text, name, tuple(p.text for p in params), tuple(q.text for q in qubits), body
        )
        custom.definition = self.build_definition(custom)
        self.gates[name.text] = custom

    def build_definition(self, custom: _Custom) -> Circuit:
        env: dict[str, ParamValue] = {p: Parameter(p) for p in custom.params}
        circ = Circuit(len(custom.qubits), name=custom.name)
        for item in custom.body:
            if isinstance(item, tuple):
                qs = [self.body_qubit(custom, a) for a in item]
                circ.instructions.append(Instruction("barrier", tuple(dict.fromkeys(qs))))
                continue
            local = [self.body_qubit(custom, a) for a in item.args]
            self.check_distinct(item, local)
            for op in self.call_ops(item, env, len(local)):
                if op.gate is not None:
                    circ.instructions.append(
                        Instruction("gate", tuple(local[q] for q in op.qubits), op.gate)
                    )
        return circ

    def body_qubit(self, custom: _Custom, arg: _Arg) -> int:
        if arg.token.text not in custom.qubits:
            raise _err(
                f"unknown qubit '{arg.token.text}' in gate '{custom.name}'"
                f"{_hint(arg.token.text, list(custom.qubits))}; its qubit arguments are "
                f"{', '.join(custom.qubits)}",
                arg.token,
            )
        return custom.qubits.index(arg.token.text)

    # ------------------------------------------------------------ gate calls
    def gate_call(self, body: bool) -> _Call:
        mods: list[_Mod] = []
        while self.version == 3 and self.peek().kind == "id" and self.peek().text in _MODIFIERS:
            m = self.take()
            arg: Expr | None = None
            if self.accept("("):
                arg = self.expr()
                self.expect(")", f"after the argument of '{m.text}'")
            elif m.text == "pow":
                raise _err("'pow' needs an exponent, e.g. pow(2) @", self.peek())
            self.expect("@", f"after the gate modifier '{m.text}'")
            mods.append(_Mod(m.text, m, arg))
        name = self.expect_id("a gate name" if not mods else "a gate name after '@'")
        params: list[Expr] = []
        paren = None
        if self.at("("):
            paren = self.take()
            if not self.at(")"):
                params.append(self.expr())
                while self.accept(","):
                    params.append(self.expr())
            self.expect(")", f"after the parameters of '{name.text}'")
        args = self.arg_list(body) if not self.at(";") else []
        return _Call(name, tuple(mods), tuple(params), tuple(args), paren)

    def arg_list(self, body: bool) -> list[_Arg]:
        args = [self.arg(body)]
        while self.accept(","):
            args.append(self.arg(body))
        return args

    def arg(self, body: bool) -> _Arg:
        t = self.peek()
        if t.kind == "op" and t.text == "$":
            raise _err("physical qubits ('$0') are not supported; declare a register", t)
        tok = self.expect_id("a qubit argument")
        if not self.at("["):
            return _Arg(tok)
        if body:
            raise _err(
                f"gate bodies refer to qubit arguments by name, not '{tok.text}[...]'",
                self.peek(),
            )
        self.take()
        idx = self.expect_int(f"an index into '{tok.text}'")
        if self.at(":") or self.at(","):
            raise _err("register slices and index sets are not supported", self.peek())
        self.expect("]", "after the index")
        return _Arg(tok, int(idx.text), idx)

    def lookup_gate(self, name: Token) -> _Entry:
        entry = self.gates.get(name.text)
        if entry is None:
            if name.text in ("U", "CX") and self.version == 2:
                return _Fixed(QELIB1[name.text], "built-in")
            if name.text in ("U", "gphase") and self.version == 3:
                return _Fixed(STDGATES[name.text], "built-in")
            names = [*self.gates, "U", "CX" if self.version == 2 else "gphase"]
            hint = _hint(name.text, names)
            lib = "qelib1.inc" if self.version == 2 else "stdgates.inc"
            std = QELIB1 if self.version == 2 else STDGATES
            if not hint and lib not in self.includes and name.text in std:
                hint = f' (add include "{lib}";)'
            if not hint and (name.text in self.st.qregs or name.text in self.st.cregs):
                hint = " (it is a register, not a gate)"
            raise _err(f"unknown gate '{name.text}'{hint}", name)
        return entry

    def entry_arity(self, entry: _Entry) -> tuple[int, int]:
        if isinstance(entry, _Fixed):
            return entry.std.num_params, entry.std.num_qubits
        return len(entry.params), len(entry.qubits)

    def count_controls(self, call: _Call, env: Mapping[str, ParamValue]) -> int:
        total = 0
        for m in call.mods:
            if m.kind in ("ctrl", "negctrl"):
                total += self.int_arg(m, env, 1, minimum=1)
        return total

    def int_arg(self, m: _Mod, env: Mapping[str, ParamValue], default: int, minimum: int) -> int:
        if m.arg is None:
            return default
        v = evaluate(m.arg, env)
        if not isinstance(v, float) or not v.is_integer() or v < minimum:
            need = "a positive integer" if minimum == 1 else "an integer"
            raise _err(f"'{m.kind}' needs {need}, got {v}", m.arg.token)
        return int(v)

    def check_call(self, call: _Call, env: Mapping[str, ParamValue], nargs: int) -> _Entry:
        entry = self.lookup_gate(call.name)
        np_, nq = self.entry_arity(entry)
        if len(call.params) != np_:
            where = call.paren or call.name
            raise _err(
                f"gate '{call.name.text}' takes {np_} parameter(s), got {len(call.params)}", where
            )
        want = nq + self.count_controls(call, env)
        if nargs != want:
            raise _err(
                f"gate '{call.name.text}' takes {want} qubit argument(s), got {nargs}", call.name
            )
        return entry

    def check_distinct(self, call: _Call, qubits: list[int]) -> None:
        seen: set[int] = set()
        for a, q in zip(call.args, qubits, strict=True):
            if q in seen:
                raise _err(f"duplicate qubit {self.qname(a)} in gate '{call.name.text}'", a.token)
            seen.add(q)

    def qname(self, a: _Arg) -> str:
        return a.token.text if a.index is None else f"{a.token.text}[{a.index}]"

    def call_ops(
        self, call: _Call, env: Mapping[str, ParamValue], nargs: int, flatten: bool = False
    ) -> list[Op]:
        entry = self.check_call(call, env, nargs)
        params = tuple(evaluate(e, env) for e in call.params)
        flatten = flatten or bool(call.mods)
        try:
            ops = self.entry_ops(entry, params, flatten)
            for m in reversed(call.mods):
                ops = self.apply_mod(m, ops, env)
        except (CircuitError, GateError) as e:
            raise _err(f"gate '{call.name.text}': {e}", call.name) from None
        return ops

    def entry_ops(self, entry: _Entry, params: tuple[ParamValue, ...], flatten: bool) -> list[Op]:
        if isinstance(entry, _Fixed):
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
            for op in self.call_ops(item, env, len(local), flatten=True):
                out.append(Op(op.gate, tuple(local[q] for q in op.qubits), op.phase))
        return out

    def apply_mod(self, m: _Mod, ops: list[Op], env: Mapping[str, ParamValue]) -> list[Op]:
        if m.kind == "inv":
            if m.arg is not None:
                raise _err("'inv' takes no argument", m.arg.token)
            return invert_ops(ops)
        if m.kind == "pow":
            k = self.int_arg(m, env, 1, minimum=-(10**6))
            if abs(k) > 1000:
                raise _err(f"pow({k}) is too large (at most 1000 repetitions)", m.token)
            base = invert_ops(ops) if k < 0 else ops
            return base * abs(k)
        n = self.int_arg(m, env, 1, minimum=1)
        ctrl = control_ops(ops, n)
        if m.kind == "negctrl":
            flips = [Op(Gate("x"), (q,)) for q in range(n)]
            return [*flips, *ctrl, *flips]
        return ctrl

    def resolve(self, arg: _Arg, quantum: bool, what: str) -> list[int]:
        table = self.st.qregs if quantum else self.st.cregs
        other = self.st.cregs if quantum else self.st.qregs
        name = arg.token.text
        reg = table.get(name)
        if reg is None:
            kind = "quantum" if quantum else "classical"
            if name in other:
                raise _err(
                    f"'{name}' is a {'classical' if quantum else 'quantum'} "
                    f"register; {what} needs a {kind} one",
                    arg.token,
                )
            raise _err(f"undeclared {kind} register '{name}'{_hint(name, list(table))}", arg.token)
        if arg.index is None:
            return list(range(reg.start, reg.start + reg.size))
        assert arg.index_token is not None
        if reg.scalar:
            raise _err(
                f"'{name}' is a single {'qubit' if quantum else 'bit'}, not indexable",
                arg.index_token,
            )
        if arg.index >= reg.size:
            raise _err(
                f"index {arg.index} out of range for register '{name}' of size {reg.size} "
                f"(valid: 0..{reg.size - 1})",
                arg.index_token,
            )
        return [reg.start + arg.index]

    def broadcast(self, args: list[_Arg], quantum: list[bool], what: str) -> list[list[int]]:
        lists = [self.resolve(a, q, what) for a, q in zip(args, quantum, strict=True)]
        size = 1
        first: _Arg | None = None
        for a, lst in zip(args, lists, strict=True):
            if a.index is None and not self.is_scalar(a, lists):
                if first is not None and len(lst) != size:
                    raise _err(
                        f"registers '{first.token.text}' (size {size}) and '{a.token.text}' "
                        f"(size {len(lst)}) have different sizes",
                        a.token,
                    )
                if first is None:
                    first, size = a, len(lst)
        return [[lst[k] if len(lst) > 1 else lst[0] for lst in lists] for k in range(size)]

    def is_scalar(self, a: _Arg, lists: list[list[int]]) -> bool:
        reg = self.st.qregs.get(a.token.text) or self.st.cregs.get(a.token.text)
        return reg is not None and reg.scalar

    def emit(self, ins: Instruction, tok: Token) -> None:
        if self.cond is not None:
            if ins.kind == "barrier":
                raise _err("a barrier cannot be conditioned", tok)
            if self.written & self.cond_bits:
                raise _err(
                    "this statement would see a condition bit measured earlier in the same "
                    "if block (qtcore evaluates conditions per statement); split the block",
                    tok,
                )
            if ins.kind == "measure":
                self.written |= set(ins.clbits)
            ins = Instruction(ins.kind, ins.qubits, ins.gate, ins.clbits, self.cond)
        self.st.instructions.append(ins)

    def gate_call_stmt(self) -> None:
        call = self.gate_call(body=False)
        self.end(f"the call of '{call.name.text}'")
        env = self.inputs
        self.check_call(call, env, len(call.args))
        for qubits in self.broadcast(list(call.args), [True] * len(call.args), "a gate"):
            self.check_distinct(call, qubits)
            for op in self.call_ops(call, env, len(qubits)):
                if op.gate is not None:
                    mapped = tuple(qubits[q] for q in op.qubits)
                    self.emit(Instruction("gate", mapped, op.gate), call.name)

    # ------------------------------------------------------------ other statements
    def measure_arrow(self) -> None:
        kw = self.take()
        q = self.arg(body=False)
        if not self.at("->") and self.version == 3 and self.at(";"):
            raise _err(
                "'measure' without a target bit is not supported; use 'c = measure q;'", self.peek()
            )
        self.expect("->", "after the measured qubit(s) (measure q -> c;)")
        c = self.arg(body=False)
        self.end("measure")
        self.measure(q, c, kw)

    def measure_assign(self) -> None:
        c = self.arg(body=False)
        self.expect("=", "in the measurement assignment")
        kw = self.expect("measure", "after '=' (only 'c = measure q;' assignments are supported)")
        q = self.arg(body=False)
        self.end("measure")
        self.measure(q, c, kw)

    def measure(self, q: _Arg, c: _Arg, kw: Token) -> None:
        qs = self.resolve(q, True, "measure")
        cs = self.resolve(c, False, "measure")
        if len(qs) != len(cs):
            raise _err(
                f"cannot measure {len(qs)} qubit(s) {self.qname(q)} into {len(cs)} bit(s) "
                f"{self.qname(c)}",
                c.token,
            )
        for qq, cc in zip(qs, cs, strict=True):
            self.emit(Instruction("measure", (qq,), clbits=(cc,)), kw)

    def reset(self) -> None:
        kw = self.take()
        args = self.arg_list(body=False)
        self.end("reset")
        for a in args:
            for q in self.resolve(a, True, "reset"):
                self.emit(Instruction("reset", (q,)), kw)

    def barrier(self) -> None:
        kw = self.take()
        if self.at(";") and self.version == 3:
            self.take()
            qs = list(range(self.st.nq))
        else:
            args = self.arg_list(body=False)
            self.end("barrier")
            qs = [q for a in args for q in self.resolve(a, True, "barrier")]
        if qs:
            self.emit(Instruction("barrier", tuple(dict.fromkeys(qs))), kw)

    # ------------------------------------------------------------ if
    def if_stmt(self) -> None:
        kw = self.take()
        self.expect("(", "after 'if'")
        cond, single = self.condition()
        self.expect(")", "after the condition")
        outer, outer_bits, outer_written = self.cond, self.cond_bits, self.written
        self.written = set()
        self.cond = self.merge(outer, cond, kw)
        self.cond_bits = outer_bits | set(cond.clbits)
        if self.version == 2:
            t = self.peek()
            if t.kind == "id" and (
                t.text in ("measure", "reset") or t.text in self.gates or t.text in ("U", "CX")
            ):
                self.statement()
            else:
                raise _err(
                    f"expected a gate call, measure or reset after the condition, "
                    f"found {t.describe()}",
                    t,
                )
        else:
            self.branch()
        if self.at("else"):
            e = self.take()
            if not single:
                raise _err(
                    "'else' needs a single-bit condition (qtcore conditions are 'bits == value')",
                    e,
                )
            flipped = Condition(cond.clbits, 1 - cond.value)
            self.cond = self.merge(outer, flipped, e)
            self.written = set()
            self.branch()
        self.cond, self.cond_bits = outer, outer_bits
        self.written = outer_written | self.written

    def branch(self) -> None:
        if self.accept("{"):
            while not self.accept("}"):
                if self.peek().kind == "eof":
                    raise _err("the if block is not closed with '}'", self.peek())
                self.statement()
        else:
            self.statement()

    def merge(self, outer: Condition | None, inner: Condition, tok: Token) -> Condition:
        if outer is None:
            return inner
        bits = list(outer.clbits)
        value = outer.value
        for k, b in enumerate(inner.clbits):
            bit = (inner.value >> k) & 1
            if b in bits:
                if (value >> bits.index(b)) & 1 != bit:
                    raise _err("this condition contradicts the enclosing if", tok)
                continue
            value |= bit << len(bits)
            bits.append(b)
        return Condition(tuple(bits), value)

    def condition(self) -> tuple[Condition, bool]:
        negate = False
        if self.version == 3 and self.at("!"):
            self.take()
            negate = True
        c = self.arg(body=False)
        bits = self.resolve(c, False, "a condition")
        single = len(bits) == 1
        if self.version == 2 and c.index is not None:
            raise _err(
                "OpenQASM 2 conditions compare a whole register (if (c == 1)); "
                f"'{self.qname(c)}' is one bit",
                c.token,
            )
        op = self.peek()
        if negate or not (op.kind == "op" and op.text in ("==", "!=")):
            if self.version == 2:
                raise _err(f"expected '==' in the condition, found {op.describe()}", op)
            if not single:
                raise _err(
                    f"a condition on the {len(bits)}-bit register '{c.token.text}' needs "
                    "'== value'",
                    op,
                )
            return Condition(tuple(bits), 0 if negate else 1), True
        self.take()
        if op.text == "!=" and (self.version == 2 or not single):
            raise _err("'!=' is only supported on a single bit", op)
        v = self.peek()
        if v.kind == "id" and v.text in ("true", "false") and self.version == 3:
            self.take()
            value = int(v.text == "true")
        else:
            value = int(self.expect_int("the value to compare with").text)
        if value >= 1 << len(bits):
            raise _err(
                f"value {value} does not fit in the {len(bits)} bit(s) of '{self.qname(c)}'", v
            )
        if op.text == "!=":
            value = 1 - value
        return Condition(tuple(bits), value), single

    # ------------------------------------------------------------ expressions
    def expr(self) -> Expr:
        node = self.term()
        while self.at("+") or self.at("-"):
            t = self.take()
            node = Expr("bin", t, t.text, (node, self.term()))
        return node

    def term(self) -> Expr:
        node = self.unary()
        while self.at("*") or self.at("/"):
            t = self.take()
            node = Expr("bin", t, t.text, (node, self.unary()))
        return node

    def unary(self) -> Expr:
        if self.at("-"):
            t = self.take()
            return Expr("neg", t, args=(self.unary(),))
        if self.at("+"):
            self.take()
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        t = self.peek()
        pow_op = "^" if self.version == 2 else "**"
        if t.kind == "op" and t.text == pow_op:
            self.take()
            return Expr("bin", t, "pow", (base, self.unary()))
        if t.kind == "op" and t.text == "^":
            raise _err("'^' is bitwise XOR in OpenQASM 3; write '**' for a power", t)
        if t.kind == "op" and t.text == "**":
            raise _err("'**' is not OpenQASM 2.0; write '^' for a power", t)
        return base

    def atom(self) -> Expr:
        t = self.peek()
        if t.kind in ("int", "real"):
            self.take()
            return Expr("num", t, float(t.text))
        if t.kind == "op" and t.text == "(":
            self.take()
            node = self.expr()
            self.expect(")", "to close the parenthesis")
            return node
        if t.kind == "id":
            self.take()
            consts = ("pi",) if self.version == 2 else tuple(CONSTANTS)
            funcs = [f for f in FUNCTIONS if self.version == 3 or not f.startswith("arc")]
            if t.text in consts:
                return Expr("const", t, t.text)
            if t.text in funcs:
                self.expect("(", f"after the function '{t.text}'")
                arg = self.expr()
                self.expect(")", f"to close the argument of '{t.text}'")
                return Expr("call", t, t.text, (arg,))
            return Expr("name", t, t.text)
        raise _err(f"expected a number, a parameter or '(', found {t.describe()}", t)

    # ------------------------------------------------------------ result
    def build(self) -> Circuit:
        if self.st.nq == 0:
            raise _err("the program declares no qubits", self.peek())
        circ = Circuit(
            self.st.nq,
            self.st.nc,
            name="qasm",
            instructions=list(self.st.instructions),
            qregs=[(r.name, r.size) for r in self.st.qregs.values()],
            cregs=[(r.name, r.size) for r in self.st.cregs.values()],
        )
        return circ


def parse(text: str) -> Circuit:
    """Reads an OpenQASM 2.0 or 3 program (see :func:`qtcore.qasm.loads`)."""
    if not isinstance(text, str):
        raise QasmError(f"expected the program as a str, got {type(text).__name__}")
    return _Parser(text).program()
