"""``if`` statements: conditions on classical bits, ``else`` branches and nesting.

qtcore conditions are ``bits == value`` (:class:`~qtcore.circuit.Condition`), checked
per instruction; nested ``if`` statements merge into one condition, and a block may not
read a condition bit it measured itself.
"""

from __future__ import annotations

from qtcore.circuit import Condition
from qtcore.qasm._diagnostics import error_at
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_operands import OperandParser

__all__ = ["ConditionParser"]


class ConditionParser(OperandParser):
    """Reads ``if`` statements; their branches go back through :meth:`statement`."""

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
                raise error_at(
                    f"expected a gate call, measure or reset after the condition, "
                    f"found {t.describe()}",
                    t,
                )
        else:
            self.branch()
        if self.at("else"):
            e = self.take()
            if not single:
                raise error_at(
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
                    raise error_at("the if block is not closed with '}'", self.peek())
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
                    raise error_at("this condition contradicts the enclosing if", tok)
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
            raise error_at(
                "OpenQASM 2 conditions compare a whole register (if (c == 1)); "
                f"'{self.qname(c)}' is one bit",
                c.token,
            )
        op = self.peek()
        if negate or not (op.kind == "op" and op.text in ("==", "!=")):
            if self.version == 2:
                raise error_at(f"expected '==' in the condition, found {op.describe()}", op)
            if not single:
                raise error_at(
                    f"a condition on the {len(bits)}-bit register '{c.token.text}' needs "
                    "'== value'",
                    op,
                )
            return Condition(tuple(bits), 0 if negate else 1), True
        self.take()
        if op.text == "!=" and (self.version == 2 or not single):
            raise error_at("'!=' is only supported on a single bit", op)
        v = self.peek()
        if v.kind == "id" and v.text in ("true", "false") and self.version == 3:
            self.take()
            value = int(v.text == "true")
        else:
            value = int(self.expect_int("the value to compare with").text)
        if value >= 1 << len(bits):
            raise error_at(
                f"value {value} does not fit in the {len(bits)} bit(s) of '{self.qname(c)}'", v
            )
        if op.text == "!=":
            value = 1 - value
        return Condition(tuple(bits), value), single
