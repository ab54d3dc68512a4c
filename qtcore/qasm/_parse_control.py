"""OpenQASM 3 classical control flow: variables, expressions, blocks, loops and subroutines.

Structured statements become :mod:`qtcore.control` blocks (``if``/``else`` with any
boolean condition, ``while``, ``for``, ``switch``, assignments), which the simulator runs
per branch of shots. A simple ``if`` (a bit or register compared with a value, a body of
gates, measurements and resets) keeps its old flat form, a condition on each instruction,
so existing programs read as before.

* ``const`` values are folded where they are read; ``let`` aliases name a list of qubits
  or bits (slices ``q[a:b]``, ``q[a:s:b]``, sets ``q[{0, 2}]`` and concatenation ``++``).
* ``def`` subroutines are expanded at each call (qubit arguments become aliases, classical
  arguments and local variables fresh variables), ``return`` assigns the call's target.
* ``box`` runs its body; ``delay`` and ``barrier`` do nothing to the state.
* ``measure`` inside an expression measures into a fresh classical variable first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qtcore.circuit import Instruction
from qtcore.control import (
    FUNCS,
    Assign,
    Binary,
    Bits,
    Block,
    Cast,
    CExpr,
    Const,
    CType,
    For,
    Func,
    IfElse,
    Switch,
    Unary,
    Var,
    VarBit,
    While,
    block_qubits,
    evaluate,
)
from qtcore.errors import CircuitError, QasmError
from qtcore.qasm._diagnostics import did_you_mean, error_at
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_conditions import ConditionParser
from qtcore.qasm._syntax import Arg

__all__ = ["MAX_ITERATIONS", "ControlParser"]

MAX_ITERATIONS = 1000
"""The iteration cap of every ``while`` loop read from OpenQASM."""

CLASSICAL_TYPES = ("int", "uint", "bool", "float", "angle")
_CONSTANTS = {
    "pi": math.pi,
    "π": math.pi,
    "tau": math.tau,
    "τ": math.tau,
    "euler": math.e,
    "ℇ": math.e,
}
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", "<=", ">", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
)
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "&=": "&", "|=": "|", "^=": "^",
             "<<=": "<<", ">>=": ">>"}  # fmt: skip


class _Structured(Exception):
    """Raised inside a flat ``if`` body that needs a structured block instead."""


class _Unroll(Exception):
    """Raised when a qubit or bit index depends on the variable of an enclosing ``for``."""

    def __init__(self, var: str) -> None:
        super().__init__(var)
        self.var = var


def _vars(e: CExpr) -> set[str]:
    if isinstance(e, Var):
        return {e.name}
    if isinstance(e, Unary | Cast):
        return _vars(e.x)
    if isinstance(e, Binary):
        return _vars(e.a) | _vars(e.b)
    if isinstance(e, Func):
        return set().union(*(_vars(a) for a in e.args)) if e.args else set()
    return set()


@dataclass
class Def:
    """A ``def`` subroutine: its parameters and the token range of its body."""

    name: Token
    params: list[tuple[str, str, int]]  # (name, "qubit" | classical type, width)
    returns: CType | None
    body_start: int
    body_end: int


class ControlParser(ConditionParser):
    """Classical declarations and expressions, structured blocks, aliases, subroutines."""

    def init_control(self) -> None:
        """Nothing to add: the classical state lives in :class:`ParserBase`."""

    # ------------------------------------------------------------ names
    def fresh(self, base: str) -> str:
        self.hidden += 1
        return f"_{base}_{self.hidden}"

    def var_name(self, name: str) -> str:
        return self.renames.get(name, name)

    def declared(self, name: str) -> bool:
        return (
            name in self.st.qregs or name in self.st.cregs or name in self.inputs
            or name in self.consts or name in self.cvars or name in self.aliases
            or name in self.defs
        )  # fmt: skip

    def check_new(self, tok: Token) -> None:
        if self.declared(tok.text) and tok.text not in self.renames:
            raise error_at(f"'{tok.text}' is already declared", tok)

    # ------------------------------------------------------------ operands with slices
    def selection(self, tok: Token) -> tuple[list[int] | None, Token | None]:
        """After ``name``: ``[i]``, ``[a:b]``, ``[a:s:b]`` or ``[{i, j}]`` as positions."""
        if not self.at("["):
            return None, None
        self.take()
        open_ = self.peek()
        if self.accept("{"):
            items = self.comma_list(lambda: self.const_int("an index"))
            self.expect("}", "after the index set")
            self.expect("]", "after the index set")
            return items, open_
        first = self.const_int("an index")
        if not self.accept(":"):
            self.expect("]", "after the index")
            return [first], open_
        second = self.const_int("a range bound")
        if self.accept(":"):
            third = self.const_int("a range bound")
            start, step, stop = first, second, third
        else:
            start, step, stop = first, 1, second
        self.expect("]", "after the range")
        if step == 0:
            raise error_at("a range step must not be 0", open_)
        out = list(range(start, stop + (1 if step > 0 else -1), step))
        return out, open_

    def register_list(self, quantum: bool, what: str) -> tuple[list[int], Token]:
        """``name[sel] (++ name[sel])*`` as flat indices."""
        out: list[int] = []
        first: Token | None = None
        while True:
            tok = self.expect_id(f"a {'qubit' if quantum else 'bit'} register in {what}")
            first = first or tok
            base = self.flat_of(tok, quantum, what)
            sel, at = self.selection(tok)
            if sel is None:
                out += base
            else:
                for p in sel:
                    if not -len(base) <= p < len(base):
                        raise error_at(
                            f"index {p} out of range for '{tok.text}' of size {len(base)}",
                            at or tok,
                        )
                    out.append(base[p])
            if not self.accept("++"):
                return out, first

    def flat_of(self, tok: Token, quantum: bool, what: str) -> list[int]:
        name = tok.text
        if name in self.aliases:
            q, idx = self.aliases[name]
            if q != quantum:
                raise error_at(f"'{name}' is not a {'qubit' if quantum else 'bit'} alias", tok)
            return list(idx)
        return self.resolve(Arg(tok), quantum, what)

    # ------------------------------------------------------------ constants
    def const_int(self, what: str) -> int:
        tok = self.peek()
        e = self.cexpr()
        try:
            v = evaluate(e, [], {})
        except CircuitError:
            loops = [v for v in _vars(e) if v in self.loop_vars]
            if loops:
                raise _Unroll(loops[0]) from None
            raise error_at(f"{what} must be a constant integer expression", tok) from None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise error_at(f"{what} must be an integer, got {v!r}", tok)
        return v

    # ------------------------------------------------------------ expressions
    def cexpr(self, level: int = 0) -> CExpr:
        """A classical expression, by precedence climbing over :data:`_LEVELS`."""
        if level == len(_LEVELS):
            return self.cunary()
        node = self.cexpr(level + 1)
        while self.peek().kind == "op" and self.peek().text in _LEVELS[level]:
            op = self.take().text
            node = self.fold(Binary(op, node, self.cexpr(level + 1)))
        return node

    def fold(self, e: CExpr) -> CExpr:
        """Constant subexpressions become literals."""
        if isinstance(e, Binary) and isinstance(e.a, Const) and isinstance(e.b, Const):
            try:
                return Const(evaluate(e, [], {}))
            except CircuitError:
                return e
        if isinstance(e, Unary) and isinstance(e.x, Const):
            return Const(evaluate(e, [], {}))
        return e

    def cunary(self) -> CExpr:
        t = self.peek()
        if t.kind == "op" and t.text in ("-", "!", "~"):
            self.take()
            return self.fold(Unary(t.text, self.cunary()))
        if t.kind == "op" and t.text == "+":
            self.take()
            return self.cunary()
        base = self.catom()
        if self.at("**"):
            self.take()
            return self.fold(Binary("**", base, self.cunary()))
        return base

    def catom(self) -> CExpr:
        t = self.peek()
        if t.kind == "int":
            self.take()
            return Const(int(t.text))
        if t.kind == "real":
            self.take()
            return Const(float(t.text))
        if t.kind == "op" and t.text == "(":
            self.take()
            e = self.cexpr()
            self.expect(")", "to close the parenthesis")
            return e
        if t.kind != "id":
            raise error_at(f"expected a classical expression, found {t.describe()}", t)
        name = t.text
        if name in ("true", "false"):
            self.take()
            return Const(name == "true")
        if name in _CONSTANTS and not self.declared(name):
            self.take()
            return Const(_CONSTANTS[name])
        if name == "measure":
            return self.measure_expr()
        if name in CLASSICAL_TYPES or name == "bit":
            self.take()
            ctype = self.ctype_rest(t)
            self.expect("(", f"after the type '{ctype}' (a cast such as int[2](c))")
            x = self.cexpr()
            self.expect(")", "to close the cast")
            return self.fold(Cast(ctype, x)) if isinstance(x, Const) else Cast(ctype, x)
        if name in FUNCS and self.peek(1).text == "(":
            self.take()
            self.take()
            args = tuple(self.comma_list(self.cexpr))
            self.expect(")", f"to close the call of '{name}'")
            f = Func(name, args)
            if all(isinstance(a, Const) for a in args):
                return Const(evaluate(f, [], {}))
            return f
        self.take()
        real = self.var_name(name)
        if real in self.consts:
            return Const(self.consts[real])
        if real in self.cvars:
            if self.at("["):
                sel, at = self.selection(t)
                assert sel is not None
                if len(sel) != 1:
                    raise error_at("only one bit of a classical variable can be read", at or t)
                return Binary("&", Binary(">>", Var(real), Const(sel[0])), Const(1))
            return Var(real)
        if name in self.st.cregs or (name in self.aliases and not self.aliases[name][0]):
            base = self.flat_of(t, False, "an expression")
            sel, at = self.selection(t)
            bits = base if sel is None else [base[p] for p in sel]
            return Bits(tuple(bits))
        if name in self.inputs:
            raise error_at(
                f"'{name}' is an input angle: it can be a gate parameter, not part of a "
                "classical condition",
                t,
            )
        known = [*self.cvars, *self.consts, *self.st.cregs, "measure"]
        raise error_at(f"unknown classical name '{name}'{did_you_mean(name, known)}", t)

    def ctype_rest(self, kw: Token) -> CType:
        """After a type word: an optional ``[width]``."""
        width = None
        if self.accept("["):
            width = self.const_int(f"the width of '{kw.text}'")
            self.expect("]", "after the width")
            if width < 1:
                raise error_at(f"a width must be at least 1, got {width}", kw)
        kind = kw.text
        if kind == "float":
            width = None  # float[64] and float[32] both run as Python floats
        return CType(kind, width)

    def measure_expr(self) -> CExpr:
        """``measure q[i]`` inside an expression: measured into a fresh variable."""
        kw = self.take()
        qubits, _ = self.register_list(True, "measure")
        name = self.fresh("m")
        self.cvars[name] = CType("uint", len(qubits))
        self.emit_block("assign", Assign(name, Const(0), CType("uint", len(qubits))), kw)
        for i, q in enumerate(qubits):
            self.emit(Instruction("measure", (q,), block=VarBit(name, i)), kw)
        return Var(name)

    # ------------------------------------------------------------ emitting blocks
    def emit_block(self, kind: str, block: Block, tok: Token) -> None:
        if self.flat:
            raise _Structured
        try:
            ins = Instruction(kind, block_qubits(block), block=block)
        except CircuitError as e:
            raise error_at(str(e), tok) from None
        self.st.instructions.append(ins)

    def body(self, what: str) -> tuple[Instruction, ...]:
        """A block ``{ ... }`` or a single statement, read into its own instruction list."""
        saved = self.st.instructions
        self.st.instructions = []
        flat, cond = self.flat, self.cond
        self.flat, self.cond = False, None
        try:
            if self.accept("{"):
                while not self.accept("}"):
                    if self.peek().kind == "eof":
                        raise error_at(f"the {what} block is not closed with '}}'", self.peek())
                    self.statement()
            else:
                self.statement()
            return tuple(self.st.instructions)
        finally:
            self.st.instructions = saved
            self.flat, self.cond = flat, cond

    # ------------------------------------------------------------ statements
    def local_bits(self, name: Token, size: int) -> None:
        """``bit[n] b [= value];`` inside a subroutine or a block: a classical variable."""
        real = self.fresh(name.text)
        self.renames[name.text] = real
        ct = CType("bit", size)
        self.cvars[real] = ct
        value: CExpr = Const(0)
        if self.accept("="):
            value = self.measure_expr() if self.at("measure") else self.bit_value(size)
        self.end("the bit declaration")
        self.emit_block("assign", Assign(real, value, ct), name)

    def bit_value(self, size: int) -> CExpr:
        t = self.peek()
        if t.kind == "string":
            self.take()
            text = t.text
            if len(text) != size or set(text) - {"0", "1"}:
                raise error_at(f'expected a string of {size} binary digit(s), found "{t.text}"', t)
            return Const(int(text, 2))
        return self.cexpr()

    def bit_init(self, name: Token, size: int) -> None:
        """The value after ``bit[n] name =``."""
        reg = self.st.cregs[name.text]
        target = tuple(range(reg.start, reg.start + reg.size))
        if self.at("measure"):
            kw = self.take()
            qubits, qtok = self.register_list(True, "measure")
            self.end("the bit declaration")
            if len(qubits) != size:
                raise error_at(f"cannot measure {len(qubits)} qubit(s) into {size} bit(s)", qtok)
            for q, c in zip(qubits, target, strict=True):
                self.emit(Instruction("measure", (q,), clbits=(c,)), kw)
            return
        value = self.bit_value(size)
        self.end("the bit declaration")
        if isinstance(value, Const) and value.value == 0:
            return  # bits start at 0
        self.emit_block("assign", Assign(target, value), name)

    def classical_decl(self) -> None:
        """``[const] type[width] name [= value];`` for int, uint, bool, float, angle."""
        const = self.accept("const")
        kw = self.expect_id("a type after 'const'") if const else self.take()
        if kw.text not in CLASSICAL_TYPES and kw.text != "bit":
            raise error_at(
                f"unsupported type '{kw.text}' (allowed: {', '.join(CLASSICAL_TYPES)})", kw
            )
        ctype = self.ctype_rest(kw)
        name = self.expect_id(f"a name in the '{ctype}' declaration")
        self.check_new(name)
        if self.flat:
            raise _Structured
        if const:
            self.expect("=", f"after the constant '{name.text}' (a const needs a value)")
            vtok = self.peek()
            e = self.cexpr()
            self.end(f"the const declaration of '{name.text}'")
            if not isinstance(e, Const):
                raise error_at(
                    f"the value of const '{name.text}' is not a constant expression", vtok
                )
            self.consts[name.text] = ctype.coerce(e.value)
            return
        real = name.text
        if self.in_def is not None:
            real = self.fresh(name.text)
            self.renames[name.text] = real
        self.cvars[real] = ctype
        value: CExpr = Const(0)
        if self.accept("="):
            if self.at("measure"):
                value = self.measure_expr()
            else:
                value = self.cexpr()
        self.end(f"the '{ctype}' declaration")
        self.emit_block("assign", Assign(real, value, ctype), name)

    def let_stmt(self) -> None:
        kw = self.take()
        name = self.expect_id("the alias name after 'let'")
        self.check_new(name)
        self.expect("=", f"after the alias name '{name.text}'")
        first = self.peek()
        quantum = first.kind == "id" and (
            first.text in self.st.qregs
            or (first.text in self.aliases and self.aliases[first.text][0])
        )
        idx, _ = self.register_list(quantum, "a let alias")
        self.end("the let alias")
        if len(set(idx)) != len(idx):
            raise error_at(
                f"the alias '{name.text}' names a {'qubit' if quantum else 'bit'} twice", kw
            )
        self.aliases[name.text] = (quantum, idx)

    def if_block(self) -> None:
        """A structured ``if`` (called when the flat form does not apply)."""
        kw = self.take()
        self.expect("(", "after 'if'")
        cond = self.cexpr()
        self.expect(")", "after the condition")
        then = self.body("if")
        orelse: tuple[Instruction, ...] = ()
        if self.accept("else"):
            orelse = self.body("else")
        self.emit_block("if", IfElse(cond, then, orelse), kw)

    def if_stmt(self) -> None:
        if self.version == 2:
            super().if_stmt()
            return
        if self.keep_blocks and self.braced_if():
            if self.flat:  # nested inside a flat if: the outer one must be structured too
                raise _Structured
            self.if_block()
            return
        start, n = self.i, len(self.st.instructions)
        saved = (self.cond, self.cond_bits, self.written, self.flat, self.hidden)
        try:
            self.flat = True
            super().if_stmt()
            self.flat = saved[3]
            return
        except (_Structured, QasmError):
            self.i = start
            del self.st.instructions[n:]
            self.cond, self.cond_bits, self.written, self.flat, self.hidden = saved
        if self.flat:  # nested inside a flat if: the outer one must be structured too
            raise _Structured
        self.if_block()

    def braced_if(self) -> bool:
        """True when the ``if`` at the cursor has a ``{ ... }`` body (its condition skipped)."""
        k, depth = self.i + 1, 0
        while k < len(self.toks) and self.toks[k].kind != "eof":
            text = self.toks[k].text
            depth += text == "("
            depth -= text == ")"
            k += 1
            if depth == 0:
                break
        return k < len(self.toks) and self.toks[k].text == "{"

    def while_stmt(self) -> None:
        kw = self.take()
        if self.flat:
            raise _Structured
        self.expect("(", "after 'while'")
        outer = self.st.instructions
        self.st.instructions = []  # a measurement in the condition runs before every check
        try:
            cond = self.cexpr()
        finally:
            pre = tuple(self.st.instructions)
            self.st.instructions = outer
        self.expect(")", "after the condition")
        body = self.body("while")
        self.st.instructions.extend(pre)
        self.emit_block("while", While(cond, body + pre, MAX_ITERATIONS), kw)

    def for_stmt(self) -> None:
        kw = self.take()
        if self.flat:
            raise _Structured
        ctype = CType("int")
        t = self.peek()
        if (
            t.kind == "id"
            and (t.text in CLASSICAL_TYPES or t.text == "bit")
            and self.peek(1).text != "in"
        ):
            self.take()
            ctype = self.ctype_rest(t)
        name = self.expect_id("the loop variable")
        self.expect("in", f"after the loop variable '{name.text}'")
        values: tuple[CExpr, ...] | None = None
        rng: tuple[CExpr, CExpr, CExpr] | None = None
        if self.accept("{"):
            values = tuple(self.comma_list(self.cexpr))
            self.expect("}", "after the set of values")
        elif self.accept("["):
            a = self.cexpr()
            self.expect(":", "in the range [start:stop] or [start:step:stop]")
            b = self.cexpr()
            if self.accept(":"):
                rng = (a, b, self.cexpr())
            else:
                rng = (a, Const(1), b)
            self.expect("]", "after the range")
        else:
            raise error_at(
                f"expected a range [a:b] or a set {{...}} after 'in', found {self.peek().describe()}",
                self.peek(),
            )
        real = name.text
        outer = self.renames.get(name.text)
        if self.in_def is not None or self.declared(name.text):
            real = self.fresh(name.text)
            self.renames[name.text] = real
        self.cvars[real] = ctype
        body_start = self.i
        self.loop_vars.add(real)
        try:
            try:
                body = self.body("for")
            except _Unroll as u:
                if u.var != real:
                    raise
                self.unroll(kw, real, ctype, values, rng, body_start)
                return
        finally:
            self.loop_vars.discard(real)
            if outer is None:
                self.renames.pop(name.text, None)
            else:
                self.renames[name.text] = outer
        self.emit_block("for", For(real, ctype, values, rng, body), kw)

    def unroll(
        self,
        kw: Token,
        var: str,
        ctype: CType,
        values: tuple[CExpr, ...] | None,
        rng: tuple[CExpr, CExpr, CExpr] | None,
        body_start: int,
    ) -> None:
        """A ``for`` whose body indexes qubits or bits with the loop variable: its body is
        read once per value (the same for every shot), with the variable as a constant."""
        try:
            loop = For(var, ctype, values, rng, ())
            vals = loop.iterate([], {})
        except CircuitError:
            raise error_at(
                f"the loop indexes qubits or bits with '{var}', so its range must be constant",
                kw,
            ) from None
        del self.cvars[var]
        self.loop_vars.discard(var)
        end = body_start
        for v in vals:
            self.consts[var] = ctype.coerce(v)
            self.i = body_start
            self.st.instructions.extend(self.body("for"))
            end = self.i
        self.consts.pop(var, None)
        if not vals:  # skip the body unread
            self.i = body_start
            self.skip_body()
            end = self.i
        self.i = end

    def skip_body(self) -> None:
        """Skips a block ``{ ... }`` or one statement without reading it."""
        if self.at("{"):
            depth = 0
            while True:
                t = self.take()
                if t.kind == "eof":
                    raise error_at("the for block is not closed with '}'", t)
                if t.kind == "op" and t.text == "{":
                    depth += 1
                elif t.kind == "op" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        return
        self.skip_until(";")

    def switch_stmt(self) -> None:
        kw = self.take()
        if self.flat:
            raise _Structured
        self.expect("(", "after 'switch'")
        target = self.cexpr()
        self.expect(")", "after the switch target")
        self.expect("{", "to open the switch cases")
        cases: list[tuple[tuple[CExpr, ...], tuple[Instruction, ...]]] = []
        default: tuple[Instruction, ...] = ()
        seen_default = False
        while not self.accept("}"):
            t = self.peek()
            if self.accept("case"):
                vals = tuple(self.comma_list(self.cexpr))
                if not self.at("{"):
                    raise error_at("a case body must be a block '{ ... }'", self.peek())
                cases.append((vals, self.body("case")))
            elif self.accept("default"):
                if seen_default:
                    raise error_at("a switch has only one default", t)
                seen_default = True
                default = self.body("default")
            else:
                raise error_at(
                    f"expected 'case', 'default' or '}}' in the switch, found {t.describe()}", t
                )
        if not cases:
            raise error_at("a switch needs at least one case", kw)
        self.emit_block("switch", Switch(target, tuple(cases), default), kw)

    def box_stmt(self) -> None:
        self.take()
        if self.accept("["):
            self.skip_until("]")
        self.expect("{", "to open the box")
        while not self.accept("}"):
            if self.peek().kind == "eof":
                raise error_at("the box is not closed with '}'", self.peek())
            self.statement()

    def delay_stmt(self) -> None:
        kw = self.take()
        self.expect("[", "after 'delay' (delay[100ns] q;)")
        self.skip_until("]")
        if not self.at(";"):
            for a in self.arg_list(body=False):
                self.resolve(a, True, "delay")
        self.end("delay")
        del kw

    def skip_until(self, closing: str) -> None:
        while not self.accept(closing):
            if self.peek().kind == "eof":
                raise error_at(f"missing '{closing}'", self.peek())
            self.take()

    # ------------------------------------------------------------ assignment
    def is_classical_target(self, name: str) -> bool:
        real = self.var_name(name)
        return (
            real in self.cvars
            or real in self.consts
            or name in self.st.cregs
            or (name in self.aliases and not self.aliases[name][0])
        )

    def assignment(self) -> None:
        """``target (= | op=) (measure q | call | expression);``."""
        tok = self.peek()
        real = self.var_name(tok.text)
        if real in self.consts:
            raise error_at(f"'{tok.text}' is a const and cannot be assigned", tok)
        target: str | tuple[int, ...]
        bit_of_var: int | None = None
        if real in self.cvars:
            self.take()
            target = real
            if self.at("["):
                sel, at = self.selection(tok)
                assert sel is not None
                if len(sel) != 1:
                    raise error_at("assign one bit of a classical variable at a time", at or tok)
                bit_of_var = sel[0]
        else:
            bits, _ = self.register_list(False, "an assignment")
            target = tuple(bits)
        op = self.peek()
        if not (op.kind == "op" and (op.text == "=" or op.text in _COMPOUND)):
            raise error_at(f"expected '=' in the assignment, found {op.describe()}", op)
        self.take()
        if self.at("measure") and op.text == "=":
            kw = self.take()
            qubits, qtok = self.register_list(True, "measure")
            self.end("measure")
            if isinstance(target, tuple):
                if len(qubits) != len(target):
                    raise error_at(
                        f"cannot measure {len(qubits)} qubit(s) into {len(target)} bit(s)", qtok
                    )
                for q, c in zip(qubits, target, strict=True):
                    self.emit(Instruction("measure", (q,), clbits=(c,)), kw)
                return
            if bit_of_var is not None:
                if len(qubits) != 1:
                    raise error_at("measure one qubit into one bit of a variable", qtok)
                self.emit(
                    Instruction("measure", (qubits[0],), block=VarBit(target, bit_of_var)), kw
                )
                return
            for i, q in enumerate(qubits):
                self.emit(Instruction("measure", (q,), block=VarBit(target, i)), kw)
            return
        if self.flat:
            raise _Structured
        if self.peek().kind == "id" and self.peek().text in self.defs:
            if op.text != "=":
                raise error_at("a subroutine's result can only be assigned with '='", op)
            self.call_def(target)
            return
        value = self.cexpr()
        self.end("the assignment")
        if op.text != "=":
            current: CExpr = Var(target) if isinstance(target, str) else Bits(target)
            value = Binary(_COMPOUND[op.text], current, value)
        if bit_of_var is not None:
            assert isinstance(target, str)
            mask = Const(~(1 << bit_of_var))
            value = Binary(
                "|",
                Binary("&", Var(target), mask),
                Binary("<<", Binary("&", value, Const(1)), Const(bit_of_var)),
            )
        self.emit_block("assign", Assign(target, value), tok)

    # ------------------------------------------------------------ subroutines
    def def_stmt(self) -> None:
        kw = self.take()
        if self.flat or self.in_def is not None or self.st.instructions is not self.top:
            raise error_at("'def' is only allowed at the top level of the program", kw)
        name = self.expect_id("the subroutine's name")
        self.check_new(name)
        if not self.at("("):
            raise error_at(
                f"expected '(' after the subroutine name '{name.text}': write "
                f"def {name.text}(qubit[2] a, ...) (the older 'def {name.text} qubit[2]:a' form is "
                "not read)",
                self.peek(),
            )
        self.take()
        params: list[tuple[str, str, int]] = []
        if not self.at(")"):
            while True:
                t = self.expect_id("a parameter type (qubit, bit, int, uint, bool, float, angle)")
                if t.text == "qubit":
                    width = 0
                    if self.accept("["):
                        width = self.const_int("the qubit array size")
                        self.expect("]", "after the size")
                    p = self.expect_id("the parameter's name")
                    params.append((p.text, "qubit", width))
                elif t.text in CLASSICAL_TYPES or t.text == "bit":
                    ct = self.ctype_rest(t)
                    p = self.expect_id("the parameter's name")
                    params.append((p.text, ct.kind, ct.width or 0))
                else:
                    raise error_at(f"unsupported parameter type '{t.text}'", t)
                if not self.accept(","):
                    break
        self.expect(")", "after the parameters")
        returns = None
        if self.accept("->"):
            rt = self.expect_id("the return type")
            if rt.text not in CLASSICAL_TYPES and rt.text != "bit":
                raise error_at(f"unsupported return type '{rt.text}'", rt)
            returns = self.ctype_rest(rt)
        open_ = self.expect("{", "to open the subroutine body")
        start = self.i
        depth = 1
        while depth:
            t = self.take()
            if t.kind == "eof":
                raise error_at("the subroutine body is not closed with '}'", open_)
            if t.kind == "op" and t.text == "{":
                depth += 1
            elif t.kind == "op" and t.text == "}":
                depth -= 1
        self.defs[name.text] = Def(name, params, returns, start, self.i - 1)

    def call_stmt(self) -> None:
        self.call_def(None)

    def call_def(self, target: str | tuple[int, ...] | None) -> None:
        """Expands a call ``name(args);`` in place (qubit args become aliases)."""
        tok = self.take()
        d = self.defs[tok.text]
        self.expect("(", f"after the subroutine name '{tok.text}'")
        args: list[tuple[str, object, Token]] = []
        for pname, kind, width in d.params:
            if args:
                self.expect(",", f"between the arguments of '{tok.text}'")
            at = self.peek()
            if kind == "qubit":
                qs, _ = self.register_list(True, f"the call of '{tok.text}'")
                want = width or 1
                if len(qs) != want:
                    raise error_at(f"'{pname}' takes {want} qubit(s), got {len(qs)}", at)
                args.append((pname, qs, at))
            else:
                args.append((pname, self.cexpr(), at))
        self.expect(")", f"after the arguments of '{tok.text}'")
        self.end(f"the call of '{tok.text}'")
        if target is not None and d.returns is None:
            raise error_at(f"'{tok.text}' returns nothing to assign", tok)
        # expand the body with the parameters bound
        saved = (self.i, dict(self.aliases), dict(self.renames), self.in_def, self.return_target)
        for (pname, kind, width), (_, value, at) in zip(d.params, args, strict=True):
            if kind == "qubit":
                assert isinstance(value, list)
                self.aliases[pname] = (True, value)
            else:
                real = self.fresh(pname)
                ct = CType(kind, width or None)
                self.cvars[real] = ct
                self.renames[pname] = real
                assert not isinstance(value, list)
                self.emit_block("assign", Assign(real, value, ct), at)  # type: ignore[arg-type]
        self.in_def = d
        self.return_target = None if target is None else ("t", target)
        self.i = d.body_start
        try:
            while self.i < d.body_end:
                if self.at("return"):
                    self.return_stmt()
                    continue
                self.statement()
        finally:
            self.i, self.aliases, self.renames, self.in_def, self.return_target = saved

    def return_stmt(self) -> None:
        kw = self.take()
        if self.in_def is None:
            raise error_at("'return' outside a subroutine", kw)
        if self.at(";"):
            self.take()
            self.i = self.in_def.body_end
            return
        value = self.cexpr()
        self.end("return")
        if self.i != self.in_def.body_end:
            raise error_at("'return' must be the last statement of the subroutine", kw)
        if self.return_target is not None:
            target = self.return_target[1]
            self.emit_block("assign", Assign(target, value), kw)
