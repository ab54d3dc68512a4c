"""Qubit and bit operands: reading ``name`` / ``name[i]``, resolving them to flat
indices, broadcasting over registers, and emitting instructions under the enclosing
``if``.
"""

from __future__ import annotations

from qtcore.circuit import Instruction
from qtcore.qasm._diagnostics import did_you_mean, error_at
from qtcore.qasm._lexer import Token
from qtcore.qasm._parse_expr import ExpressionParser
from qtcore.qasm._syntax import PHYSICAL_QUBITS, Arg

__all__ = ["OperandParser"]


class OperandParser(ExpressionParser):
    """Reads operands and turns them into instructions on flat indices."""

    def arg_list(self, body: bool) -> list[Arg]:
        return self.comma_list(lambda: self.arg(body))

    def arg(self, body: bool) -> Arg:
        t = self.peek()
        if t.kind == "op" and t.text == "$":
            raise error_at(PHYSICAL_QUBITS, t)
        tok = self.expect_id("a qubit argument")
        if not self.at("["):
            return Arg(tok)
        if body:
            raise error_at(
                f"gate bodies refer to qubit arguments by name, not '{tok.text}[...]'",
                self.peek(),
            )
        if self.version == 3 and not (
            self.peek(1).kind == "int" and self.peek(2).kind == "op" and self.peek(2).text == "]"
        ):
            at = self.peek()
            sel, _ = self.selection(tok)
            assert sel is not None
            return Arg(tok, None, at, tuple(sel))
        self.take()
        idx = self.expect_int(f"an index into '{tok.text}'")
        if self.at(":") or self.at(","):
            raise error_at("register slices and index sets are not supported", self.peek())
        self.expect("]", "after the index")
        return Arg(tok, int(idx.text), idx)

    def const_int(self, what: str) -> int:
        """A constant integer expression (OpenQASM 3 reader only)."""
        return int(self.expect_int(what).text)

    def selection(self, tok: Token) -> tuple[list[int] | None, Token | None]:
        """Positions selected by ``[...]`` after ``tok`` (OpenQASM 3 reader only)."""
        raise error_at("register slices and index sets are not supported", self.peek())

    def qname(self, a: Arg) -> str:
        if a.select is not None:
            return f"{a.token.text}[{', '.join(map(str, a.select))}]"
        return a.token.text if a.index is None else f"{a.token.text}[{a.index}]"

    def resolve(self, arg: Arg, quantum: bool, what: str) -> list[int]:
        aliases: dict[str, tuple[bool, list[int]]] = getattr(self, "aliases", {})
        alias = aliases.get(arg.token.text)
        if alias is not None and alias[0] == quantum:
            base = alias[1]
            if arg.select is not None:
                picks = list(arg.select)
            elif arg.index is not None:
                picks = [arg.index]
            else:
                return list(base)
            for p in picks:
                if not -len(base) <= p < len(base):
                    raise error_at(
                        f"index {p} out of range for '{arg.token.text}' of size {len(base)}",
                        arg.index_token or arg.token,
                    )
            return [base[p] for p in picks]
        if arg.select is not None:
            whole = self.resolve(Arg(arg.token), quantum, what)
            for p in arg.select:
                if not -len(whole) <= p < len(whole):
                    raise error_at(
                        f"index {p} out of range for '{arg.token.text}' of size {len(whole)}",
                        arg.index_token or arg.token,
                    )
            return [whole[p] for p in arg.select]
        table = self.st.qregs if quantum else self.st.cregs
        other = self.st.cregs if quantum else self.st.qregs
        name = arg.token.text
        reg = table.get(name)
        if reg is None:
            kind = "quantum" if quantum else "classical"
            if name in other:
                raise error_at(
                    f"'{name}' is a {'classical' if quantum else 'quantum'} "
                    f"register; {what} needs a {kind} one",
                    arg.token,
                )
            raise error_at(
                f"undeclared {kind} register '{name}'{did_you_mean(name, list(table))}", arg.token
            )
        if arg.index is None:
            return list(range(reg.start, reg.start + reg.size))
        assert arg.index_token is not None
        if reg.scalar:
            raise error_at(
                f"'{name}' is a single {'qubit' if quantum else 'bit'}, not indexable",
                arg.index_token,
            )
        if arg.index >= reg.size:
            raise error_at(
                f"index {arg.index} out of range for register '{name}' of size {reg.size} "
                f"(valid: 0..{reg.size - 1})",
                arg.index_token,
            )
        return [reg.start + arg.index]

    def broadcast(self, args: list[Arg], quantum: list[bool], what: str) -> list[list[int]]:
        lists = [self.resolve(a, q, what) for a, q in zip(args, quantum, strict=True)]
        size = 1
        first: Arg | None = None
        for a, lst in zip(args, lists, strict=True):
            if a.index is None and not self.is_scalar(a, lists):
                if first is not None and len(lst) != size:
                    raise error_at(
                        f"registers '{first.token.text}' (size {size}) and '{a.token.text}' "
                        f"(size {len(lst)}) have different sizes",
                        a.token,
                    )
                if first is None:
                    first, size = a, len(lst)
        return [[lst[k] if len(lst) > 1 else lst[0] for lst in lists] for k in range(size)]

    def is_scalar(self, a: Arg, lists: list[list[int]]) -> bool:
        if a.select is not None:
            return False
        aliases: dict[str, tuple[bool, list[int]]] = getattr(self, "aliases", {})
        if a.token.text in aliases:
            return len(aliases[a.token.text][1]) == 1 and a.index is None
        reg = self.st.qregs.get(a.token.text) or self.st.cregs.get(a.token.text)
        return reg is not None and reg.scalar

    def emit(self, ins: Instruction, tok: Token) -> None:
        if self.cond is not None:
            if ins.kind == "barrier":
                raise error_at("a barrier cannot be conditioned", tok)
            if self.written & self.cond_bits:
                raise error_at(
                    "this statement would see a condition bit measured earlier in the same "
                    "if block (qtcore evaluates conditions per statement); split the block",
                    tok,
                )
            if ins.kind == "measure":
                self.written |= set(ins.clbits)
            ins = Instruction(ins.kind, ins.qubits, ins.gate, ins.clbits, self.cond)
        self.st.instructions.append(ins)
