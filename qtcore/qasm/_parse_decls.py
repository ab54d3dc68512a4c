"""Declarations: ``include``, registers, ``input`` parameters and ``gate`` definitions.

A ``gate`` definition is checked when it is read: its body is expanded once with
symbolic parameters into the :class:`~qtcore.Circuit` a plain call wraps as a
:class:`~qtcore.CompositeGate`.
"""

from __future__ import annotations

from collections.abc import Mapping

from qtcore._parameter import Parameter, ParamValue
from qtcore.circuit import Circuit, Instruction
from qtcore.qasm._diagnostics import did_you_mean, error_at
from qtcore.qasm._expression import CONSTANTS
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_calls import CallParser
from qtcore.qasm._stdlib import QELIB1, QELIB1_SOURCE, STDGATES, StdGate
from qtcore.qasm._syntax import MODIFIERS, Arg, BodyItem, Custom, Fixed, Reg

__all__ = ["DeclarationParser"]


class DeclarationParser(CallParser):
    """Reads declarations into the parser's registers, inputs and gate table."""

    def include(self) -> None:
        self.take()
        f = self.peek()
        if f.kind != "string":
            raise error_at(f"expected a file name in quotes after include, found {f.describe()}", f)
        self.take()
        self.end("include")
        if f.text in self.includes:
            return
        if f.text == "qelib1.inc":
            self.add_library(f.text, QELIB1)
            self.load_source(QELIB1_SOURCE)
        elif f.text == "stdgates.inc" and self.version == 3:
            self.add_library(f.text, STDGATES)
        else:
            allowed = '"qelib1.inc"' if self.version == 2 else '"stdgates.inc" or "qelib1.inc"'
            raise error_at(
                f'cannot include "{f.text}": only the built-in {allowed} can be included '
                "(paste the file's gate definitions into the program instead)",
                f,
            )

    def add_library(self, file: str, library: Mapping[str, StdGate]) -> None:
        self.includes.add(file)
        for name, std in library.items():
            self.gates.setdefault(name, Fixed(std, file))

    def load_source(self, source: str) -> None:
        sub = type(self)(source, 2)
        sub.gates = self.gates
        sub.includes = {"qelib1.inc"}
        while sub.peek().kind != "eof":
            sub.statement()

    def declare(self, name: Token) -> None:
        n = name.text
        for table in (self.st.qregs, self.st.cregs):
            if n in table:
                old = table[n].token
                raise error_at(f"'{n}' is already declared (line {old.line})", name)
        if n in self.inputs:
            raise error_at(f"'{n}' is already declared as an input parameter", name)

    def add_reg(self, quantum: bool, name: Token, size: int, scalar: bool) -> None:
        self.declare(name)
        if quantum:
            self.st.qregs[name.text] = Reg(name.text, self.st.nq, size, name, scalar)
            self.st.nq += size
        else:
            self.st.cregs[name.text] = Reg(name.text, self.st.nc, size, name, scalar)
            self.st.nc += size

    def reg_size(self) -> int:
        """``size ']'`` after a register's ``[`` (a const expression in OpenQASM 3)."""
        tok = self.peek()
        if self.version == 3 and tok.kind != "int":
            size = self.const_int("the register size")
        else:
            size = int(self.expect_int("the register size").text)
        if size < 1:
            raise error_at(f"register size must be at least 1, got {size}", tok)
        self.expect("]", "after the register size")
        return size

    def reg_old(self) -> None:
        kw = self.take()
        name = self.expect_id(f"a register name after '{kw.text}'")
        self.expect("[", f"after the register name '{name.text}' (e.g. {kw.text} q[2];)")
        size = self.reg_size()
        self.end(f"the {kw.text} declaration")
        self.add_reg(kw.text == "qreg", name, size, False)

    def reg_new(self) -> None:
        kw = self.take()
        size, scalar = 1, True
        if self.accept("["):
            size = self.reg_size()
            scalar = False
        name = self.expect_id(f"a name in the '{kw.text}' declaration")
        if kw.text == "qubit" and (self.in_def is not None or self.st.instructions is not self.top):
            raise error_at("'qubit' is not allowed inside a block or a subroutine", kw)
        if kw.text == "bit" and (self.in_def is not None or self.st.instructions is not self.top):
            self.local_bits(name, size)  # a subroutine's or a block's own bits: a variable
            return
        if self.at("=") and kw.text == "qubit":
            raise error_at("a qubit cannot be initialised in its declaration; use reset", name)
        if self.at("="):
            self.add_reg(False, name, size, scalar)
            self.take()
            self.bit_init(name, size)
            return
        self.end(f"the {kw.text} declaration")
        self.add_reg(kw.text == "qubit", name, size, scalar)

    def input_decl(self) -> None:
        self.take()
        ty = self.expect_id("a type after 'input' (float or angle)")
        if ty.text not in ("float", "angle"):
            raise error_at(f"input of type '{ty.text}' is not supported (use float or angle)", ty)
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
        raise error_at(
            f"opaque gate '{name.text}' cannot be simulated: qtcore needs a 'gate' definition "
            "with a body",
            t,
        )

    # ------------------------------------------------------------ gate definitions
    def gate_def(self) -> None:
        self.take()
        if self.cond is not None:
            raise error_at("a gate definition cannot appear inside an if block", self.peek())
        name = self.expect_id("a gate name after 'gate'")
        if name.text in self.gates:
            old = self.gates[name.text]
            where = f"line {old.token.line}" if isinstance(old, Custom) else f"{old.origin}"
            raise error_at(f"gate '{name.text}' is already defined ({where})", name)
        if name.text in MODIFIERS and self.version == 3:
            raise error_at(f"'{name.text}' is a gate modifier and cannot name a gate", name)
        params: list[Token] = []
        if self.accept("("):
            if not self.at(")"):
                params = self.comma_list(lambda: self.expect_id("a parameter name"))
            self.expect(")", "after the gate's parameter names")
        qubits = [self.expect_id(f"a qubit argument name for gate '{name.text}'")]
        while self.accept(","):
            qubits.append(self.expect_id("a qubit argument name"))
        seen: dict[str, Token] = {}
        for tok in (*params, *qubits):
            if tok.text in seen:
                raise error_at(
                    f"'{tok.text}' is used twice in the definition of '{name.text}'", tok
                )
            if tok.text in CONSTANTS:
                raise error_at(f"'{tok.text}' is a constant and cannot name an argument", tok)
            seen[tok.text] = tok
        self.expect("{", f"to open the body of gate '{name.text}'")
        body: list[BodyItem] = []
        while not self.accept("}"):
            t = self.peek()
            if t.kind == "eof":
                raise error_at(f"the body of gate '{name.text}' is not closed with '}}'", t)
            if t.kind == "id" and t.text == "barrier":
                self.take()
                args = self.arg_list(body=True)
                self.end("barrier")
                body.append(tuple(args))
                continue
            if t.kind == "id" and t.text in ("measure", "reset", "if", "gate", "qreg", "creg"):
                raise error_at(
                    f"'{t.text}' is not allowed in a gate body (only gate calls and barrier)", t
                )
            body.append(self.gate_call(body=True))
            self.end("the gate call")
        custom = Custom(
            name.text, name, tuple(p.text for p in params), tuple(q.text for q in qubits), body
        )
        custom.definition = self.build_definition(custom)
        self.gates[name.text] = custom

    def build_definition(self, custom: Custom) -> Circuit:
        env: dict[str, ParamValue] = {p: Parameter(p) for p in custom.params}
        circ = Circuit(len(custom.qubits), name=custom.name)
        for item in custom.body:
            if isinstance(item, tuple):
                qs = [self.body_qubit(custom, a) for a in item]
                circ.instructions.append(Instruction("barrier", tuple(dict.fromkeys(qs))))
                continue
            local = [self.body_qubit(custom, a) for a in item.args]
            self.check_distinct(item, local)
            circ.instructions.extend(self.gate_instructions(item, env, local))
        return circ

    def body_qubit(self, custom: Custom, arg: Arg) -> int:
        if arg.token.text not in custom.qubits:
            raise error_at(
                f"unknown qubit '{arg.token.text}' in gate '{custom.name}'"
                f"{did_you_mean(arg.token.text, list(custom.qubits))}; its qubit arguments are "
                f"{', '.join(custom.qubits)}",
                arg.token,
            )
        return custom.qubits.index(arg.token.text)
