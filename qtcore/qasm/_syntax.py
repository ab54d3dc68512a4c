"""Keyword sets and the syntax records the OpenQASM reader builds.

A custom ``gate`` keeps its body as :class:`Call` records (and barriers as tuples of
:class:`Arg`), so it can be expanded later with numeric or symbolic parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qtcore.circuit import Circuit, Instruction
from qtcore.qasm._expression import Expr
from qtcore.qasm._lexer import Token
from qtcore.qasm._stdlib import StdGate

__all__ = [
    "MODIFIERS",
    "PHYSICAL_QUBITS",
    "V2_STATEMENTS",
    "V3_ONLY",
    "V3_UNSUPPORTED",
    "Arg",
    "BodyItem",
    "Call",
    "Custom",
    "Entry",
    "Fixed",
    "Mod",
    "ProgramState",
    "Reg",
]

V2_STATEMENTS = {"include", "qreg", "creg", "gate", "opaque", "measure", "reset", "barrier", "if"}
"""Words that start an OpenQASM 2.0 statement (OpenQASM 3 has them too)."""

V3_ONLY = {
    "qubit", "bit", "input", "inv", "ctrl", "negctrl", "pow", "gphase", "const", "let", "for",
    "while", "switch", "def", "box", "delay", "int", "uint", "bool", "float", "angle", "return",
}  # fmt: skip
"""Statement words that OpenQASM 2.0 does not have."""

V3_UNSUPPORTED = {
    "complex",
    "duration",
    "stretch",
    "cal",
    "defcal",
    "defcalgrammar",
    "extern",
    "array",
    "output",
    "break",
    "continue",
    "end",
    "pragma",
}
"""OpenQASM 3 statement words outside the subset qtcore reads."""

MODIFIERS = ("inv", "ctrl", "negctrl", "pow")
"""OpenQASM 3 gate modifiers."""

PHYSICAL_QUBITS = "physical qubits ('$0') are not supported; declare a register"
"""The message for a ``$n`` physical qubit, wherever it appears."""


@dataclass(frozen=True)
class Reg:
    """A declared register: flat indices ``start .. start + size - 1``."""

    name: str
    start: int
    size: int
    token: Token
    scalar: bool = False


@dataclass(frozen=True)
class Arg:
    """A qubit or bit argument: ``name`` or ``name[index]``."""

    token: Token
    index: int | None = None
    index_token: Token | None = None
    select: tuple[int, ...] | None = None  # a slice or index set: positions in the register


@dataclass(frozen=True)
class Mod:
    """A gate modifier (``inv``, ``ctrl``, ``negctrl``, ``pow``) and its argument."""

    kind: str
    token: Token
    arg: Expr | None = None


@dataclass(frozen=True)
class Call:
    """A gate call: modifiers, name, parameter expressions and arguments."""

    name: Token
    mods: tuple[Mod, ...]
    params: tuple[Expr, ...]
    args: tuple[Arg, ...]
    paren: Token | None = None


BodyItem = Call | tuple[Arg, ...]
"""One statement of a gate body: a gate call, or a barrier's arguments."""


@dataclass
class Custom:
    """A gate defined by a ``gate`` statement of the program."""

    name: str
    token: Token
    params: tuple[str, ...]
    qubits: tuple[str, ...]
    body: list[BodyItem]
    definition: Circuit | None = None


@dataclass
class Fixed:
    """A gate whose ops come from a builder (standard include files)."""

    std: StdGate
    origin: str


Entry = Custom | Fixed


@dataclass
class ProgramState:
    """Registers declared so far and the instructions read so far."""

    qregs: dict[str, Reg] = field(default_factory=dict)
    cregs: dict[str, Reg] = field(default_factory=dict)
    nq: int = 0
    nc: int = 0
    instructions: list[Instruction] = field(default_factory=list)
