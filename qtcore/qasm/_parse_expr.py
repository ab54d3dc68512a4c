"""Parameter expressions of gate calls: ``+ - * /``, powers, constants and functions.

The grammar follows the program's version: ``^`` is the power in OpenQASM 2.0 and
``**`` in OpenQASM 3, where ``^`` is XOR; OpenQASM 2.0 knows only the constant ``pi``
and no ``arc*`` functions.
"""

from __future__ import annotations

from collections.abc import Callable

from qtcore.qasm._diagnostics import error_at
from qtcore.qasm._expression import CONSTANTS, FUNCTIONS, Expr
from qtcore.qasm._parse_base import ParserBase

__all__ = ["ExpressionParser"]


class ExpressionParser(ParserBase):
    """Reads parameter expressions into :class:`~qtcore.qasm._expression.Expr` trees."""

    def expr(self) -> Expr:
        """``term (('+' | '-') term)*``, left-associative."""
        return self.binary(("+", "-"), self.term)

    def term(self) -> Expr:
        """``unary (('*' | '/') unary)*``, left-associative."""
        return self.binary(("*", "/"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Callable[[], Expr]) -> Expr:
        """A left-associative chain of ``operand`` joined by any of ``ops``."""
        node = operand()
        while any(self.at(op) for op in ops):
            t = self.take()
            node = Expr("bin", t, t.text, (node, operand()))
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
            raise error_at("'^' is bitwise XOR in OpenQASM 3; write '**' for a power", t)
        if t.kind == "op" and t.text == "**":
            raise error_at("'**' is not OpenQASM 2.0; write '^' for a power", t)
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
        raise error_at(f"expected a number, a parameter or '(', found {t.describe()}", t)
