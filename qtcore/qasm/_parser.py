"""A recursive-descent reader for OpenQASM 2.0 and the common subset of OpenQASM 3.

The program is read statement by statement into flat qubit/classical-bit indices
(registers in declaration order). Custom ``gate`` bodies are kept as syntax trees:
a plain call becomes a :class:`~qtcore.CompositeGate`; under gate modifiers the body
is expanded and modified op by op, exactly.

The grammar is split by concern: :mod:`._parse_base` (state and tokens),
:mod:`._parse_expr` (parameter expressions), :mod:`._parse_operands` (qubit and bit
arguments), :mod:`._parse_calls` (gate calls and modifiers), :mod:`._parse_decls`
(declarations and ``gate`` definitions) and :mod:`._parse_conditions` (``if``); this
module dispatches statements and reads measure, reset and barrier.
"""

from __future__ import annotations

from qtcore.circuit import Circuit, Instruction
from qtcore.control import VarBit
from qtcore.errors import QasmError
from qtcore.qasm._diagnostics import error_at
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_control import ControlParser
from qtcore.qasm._parse_decls import DeclarationParser
from qtcore.qasm._syntax import PHYSICAL_QUBITS, V3_ONLY, V3_UNSUPPORTED, Arg

__all__ = ["Parser", "parse"]

_DECLARATIONS = ("include", "qreg", "creg", "qubit", "bit", "input", "gate", "opaque")
"""Statements that are not allowed inside an ``if``."""


class Parser(DeclarationParser, ControlParser):
    """The whole reader: header, statement dispatch, measure/reset/barrier, result."""

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
                raise error_at(f"expected a version number after OPENQASM, found {v.describe()}", v)
            self.take()
            major = v.text.split(".")[0]
            if v.text in ("2", "2.0"):
                self.version = 2
            elif major == "3":
                self.version = 3
            else:
                raise error_at(f"unsupported OpenQASM version '{v.text}' (supported: 2.0, 3.x)", v)
            self.end("the version statement")
        elif not self.version:
            self.version = 3

    def statement(self) -> None:
        t = self.peek()
        if t.kind != "id":
            if t.text == "$":
                raise error_at(PHYSICAL_QUBITS, t)
            raise error_at(f"expected a statement, found {t.describe()}", t)
        word = t.text
        if word == "OPENQASM":
            raise error_at("the OPENQASM version statement must come first", t)
        if self.version == 2 and word in V3_ONLY:
            raise error_at(f"'{word}' needs OpenQASM 3 (this program is OpenQASM 2.0)", t)
        if self.version == 3 and word in V3_UNSUPPORTED:
            raise error_at(
                f"unsupported OpenQASM 3 statement '{word}': qtcore reads registers, gates, "
                "gate modifiers, measure, reset, barrier, delay, box, classical variables, "
                "const, let, if/else, for, while, switch, def and 'input' angles",
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
        if handler is None and self.version == 3:
            handler = {
                "const": self.classical_decl,
                "int": self.classical_decl,
                "uint": self.classical_decl,
                "bool": self.classical_decl,
                "float": self.classical_decl,
                "angle": self.classical_decl,
                "let": self.let_stmt,
                "for": self.for_stmt,
                "while": self.while_stmt,
                "switch": self.switch_stmt,
                "def": self.def_stmt,
                "box": self.box_stmt,
                "delay": self.delay_stmt,
                "return": self.return_stmt,
            }.get(word)
            if word in self.defs and handler is None:
                handler = self.call_stmt
        if handler is not None:
            if self.cond is not None and word in _DECLARATIONS:
                raise error_at(f"'{word}' is not allowed inside an if statement", t)
            handler()
            return
        if word == "else":
            raise error_at("'else' without a matching 'if'", t)
        nxt = self.peek(1)
        if (
            self.version == 3
            and nxt.kind == "op"
            and (nxt.text in ("=", "[") or nxt.text.endswith("="))
            and nxt.text not in ("==", "!=", "<=", ">=")
            and self.is_classical_target(word)
        ):
            self.assignment()
            return
        if self.version == 3 and nxt.kind == "op" and nxt.text == "=" and word in self.aliases:
            raise error_at(f"'{word}' is a qubit alias and cannot be assigned", t)
        self.gate_call_stmt()

    # ------------------------------------------------------------ other statements
    def measure_arrow(self) -> None:
        if self.version == 3:
            self.measure_arrow3()
            return
        kw = self.take()
        q = self.arg(body=False)
        if not self.at("->") and self.version == 3 and self.at(";"):
            raise error_at(
                "'measure' without a target bit is not supported; use 'c = measure q;'", self.peek()
            )
        self.expect("->", "after the measured qubit(s) (measure q -> c;)")
        c = self.arg(body=False)
        self.end("measure")
        self.measure(q, c, kw)

    def measure_arrow3(self) -> None:
        kw = self.take()
        qubits, _ = self.register_list(True, "measure")
        if self.at(";"):
            raise error_at(
                "'measure' without a target bit is not supported; use 'c = measure q;'", self.peek()
            )
        self.expect("->", "after the measured qubit(s) (measure q -> c;)")
        t = self.peek()
        real = self.var_name(t.text) if t.kind == "id" else ""
        if real in self.cvars:
            self.take()
            sel, _ = self.selection(t)
            self.end("measure")
            idx = list(range(len(qubits))) if sel is None else sel
            if len(idx) != len(qubits):
                raise error_at(f"cannot measure {len(qubits)} qubit(s) into {len(idx)} bit(s)", t)
            for q, i in zip(qubits, idx, strict=True):
                self.emit(Instruction("measure", (q,), block=VarBit(real, i)), kw)
            return
        bits, ctok = self.register_list(False, "measure")
        self.end("measure")
        if len(qubits) != len(bits):
            raise error_at(f"cannot measure {len(qubits)} qubit(s) into {len(bits)} bit(s)", ctok)
        for q, c in zip(qubits, bits, strict=True):
            self.emit(Instruction("measure", (q,), clbits=(c,)), kw)

    def measure_assign(self) -> None:
        c = self.arg(body=False)
        self.expect("=", "in the measurement assignment")
        kw = self.expect("measure", "after '=' (only 'c = measure q;' assignments are supported)")
        q = self.arg(body=False)
        self.end("measure")
        self.measure(q, c, kw)

    def measure(self, q: Arg, c: Arg, kw: Token) -> None:
        qs = self.resolve(q, True, "measure")
        cs = self.resolve(c, False, "measure")
        if len(qs) != len(cs):
            raise error_at(
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

    # ------------------------------------------------------------ result
    def build(self) -> Circuit:
        if self.st.nq == 0:
            raise error_at("the program declares no qubits", self.peek())
        circ = Circuit(
            self.st.nq,
            self.st.nc,
            name="qasm",
            instructions=list(self.st.instructions),
            qregs=[(r.name, r.size) for r in self.st.qregs.values()],
            cregs=[(r.name, r.size) for r in self.st.cregs.values()],
        )
        return circ


def parse(text: str, blocks: bool = False) -> Circuit:
    """Reads an OpenQASM 2.0 or 3 program (see :func:`qtcore.qasm.loads`)."""
    if not isinstance(text, str):
        raise QasmError(f"expected the program as a str, got {type(text).__name__}")
    parser = Parser(text)
    parser.keep_blocks = blocks
    return parser.program()
