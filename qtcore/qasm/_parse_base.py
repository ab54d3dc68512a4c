"""The reader's state and its token cursor, shared by every part of the grammar.

The grammar is split by concern into classes that build on this one (expressions,
operands, gate calls, declarations, conditions); :class:`~qtcore.qasm._parser.Parser`
combines them and dispatches statements.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from qtcore._parameter import Parameter, ParamValue
from qtcore.circuit import Condition, Instruction
from qtcore.control import CType
from qtcore.qasm._diagnostics import error_at
from qtcore.qasm._lexer import Token, tokenize
from qtcore.qasm._syntax import Entry, ProgramState

__all__ = ["ParserBase"]

T = TypeVar("T")


class ParserBase:
    """Tokens, the position in them, and what the program has declared so far.

    Attributes:
        version: 2 or 3 once the header is read (0 before).
        gates: gates in scope by name (include files and ``gate`` definitions).
        includes: include files read so far.
        inputs: ``input`` parameters by name.
        st: registers and instructions.
        cond: the condition of the enclosing ``if`` (``None`` outside one).
        cond_bits: the classical bits of ``cond``.
        written: bits measured so far inside the enclosing ``if``.
    """

    def __init__(self, text: str, version: int | None = None) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.version = version or 0
        self.gates: dict[str, Entry] = {}
        self.includes: set[str] = set()
        self.inputs: dict[str, ParamValue] = {}
        self.st = ProgramState()
        self.cond: Condition | None = None
        self.cond_bits: set[int] = set()
        self.written: set[int] = set()
        # OpenQASM 3 classical state (see qtcore.qasm._parse_control)
        self.consts: dict[str, float | int | bool] = {}
        self.cvars: dict[str, CType] = {}
        self.aliases: dict[str, tuple[bool, list[int]]] = {}
        self.defs: dict[str, Any] = {}
        self.renames: dict[str, str] = {}
        self.flat = False
        self.keep_blocks = False  # every braced OpenQASM 3 `if` becomes an IfElse block
        self.hidden = 0
        self.in_def: Any = None
        self.return_target: Any = None
        self.top: list[Instruction] = self.st.instructions
        self.loop_vars: set[str] = set()

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
        if self.at(text):
            return self.take()
        t = self.peek()
        raise error_at(f"expected '{text}' {context}, found {t.describe()}", t)

    def expect_id(self, what: str) -> Token:
        t = self.peek()
        if t.kind != "id":
            raise error_at(f"expected {what}, found {t.describe()}", t)
        return self.take()

    def expect_int(self, what: str) -> Token:
        t = self.peek()
        if t.kind != "int":
            raise error_at(f"expected {what} (a non-negative integer), found {t.describe()}", t)
        return self.take()

    def end(self, what: str) -> None:
        self.expect(";", f"after {what}")

    def comma_list(self, item: Callable[[], T]) -> list[T]:
        """``item (',' item)*``."""
        items = [item()]
        while self.accept(","):
            items.append(item())
        return items

    def statement(self) -> None:
        """Reads one statement; :class:`~qtcore.qasm._parser.Parser` implements it."""
        raise NotImplementedError

    def param_env(self) -> dict[str, ParamValue]:
        """What gate parameters may name: inputs, consts (folded), classical variables."""
        env: dict[str, ParamValue] = dict(self.inputs)
        for k, value in self.consts.items():
            env[k] = float(value)
        for k in self.cvars:
            env[k] = Parameter(k)
        for k, real in self.renames.items():
            if real in self.cvars:
                env[k] = Parameter(real)
            elif real in self.consts:
                env[k] = float(self.consts[real])
        return env

    def local_bits(self, name: Token, size: int) -> None:
        """A block's or subroutine's ``bit`` declaration (the control-flow reader)."""
        raise NotImplementedError

    def bit_init(self, name: Token, size: int) -> None:
        """The initial value of a ``bit`` register (the control-flow reader)."""
        raise NotImplementedError
