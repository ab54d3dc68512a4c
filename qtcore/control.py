"""Structured classical control flow: expressions, variables and blocks inside a circuit.

A circuit's instruction list may hold, besides gates, measurements, resets and barriers,
instructions whose :attr:`~qtcore.circuit.Instruction.block` describes control flow:

========== ===================================================================
kind       block
========== ===================================================================
``assign`` :class:`Assign`: a classical variable or classical bits take a value
``if``     :class:`IfElse`: a body, or another, depending on a condition
``while``  :class:`While`: a body repeated while a condition holds (capped)
``for``    :class:`For`: a body run once per value of a range or a set
``switch`` :class:`Switch`: the body of the case whose values match a target
========== ===================================================================

Bodies are tuples of instructions (blocks nest). The blocks stay structured: the
simulator evaluates conditions per branch of shots at run time, they are not unrolled
per shot. Expressions (:data:`CExpr`) read classical bits (:class:`Bits`: one bit, or
several read as an unsigned integer, first bit least significant) and classical
variables (:class:`Var`); a gate parameter may name a classical variable (a symbolic
parameter of the same name), bound to the variable's value when the gate runs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qtcore.errors import CircuitError

if TYPE_CHECKING:
    from qtcore.circuit import Instruction

__all__ = [
    "TYPES",
    "Assign",
    "Binary",
    "Bits",
    "CExpr",
    "CType",
    "Cast",
    "Const",
    "For",
    "Func",
    "IfElse",
    "Switch",
    "Unary",
    "Var",
    "VarBit",
    "While",
    "block_exprs",
    "block_from_json",
    "block_qubits",
    "block_to_json",
    "bodies",
    "describe_block",
    "evaluate",
    "expr_bits",
    "expr_from_json",
    "expr_to_json",
    "format_expr",
    "map_gates",
    "walk",
]

TYPES = ("bit", "bool", "int", "uint", "float", "angle")
"""Classical types a variable may have."""

Value = int | float | bool


@dataclass(frozen=True)
class CType:
    """A classical type: ``kind`` in :data:`TYPES` and an optional bit ``width``."""

    kind: str
    width: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in TYPES:
            raise CircuitError(f"unknown classical type {self.kind!r}; allowed: {list(TYPES)}")
        if self.width is not None and (not isinstance(self.width, int) or self.width < 1):
            raise CircuitError(f"a classical type's width must be >= 1, got {self.width!r}")

    def coerce(self, v: Value) -> Value:
        """``v`` converted to this type (integers wrap to the width, as in OpenQASM)."""
        k = self.kind
        if k == "bool":
            return bool(v)
        if k == "float":
            return float(v)
        if k == "angle":
            return math.fmod(float(v), 2 * math.pi) % (2 * math.pi)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise CircuitError(f"cannot store {v!r} in a {self}")
            v = int(v)  # truncation toward zero, as OpenQASM casts
        iv = int(v)
        w = self.width if self.width is not None else (1 if k == "bit" else None)
        if w is None:
            return iv
        iv &= (1 << w) - 1
        if k == "int" and iv >> (w - 1):
            iv -= 1 << w
        return iv

    def __str__(self) -> str:
        return self.kind if self.width is None else f"{self.kind}[{self.width}]"


@dataclass(frozen=True)
class Const:
    """A literal."""

    value: Value


@dataclass(frozen=True)
class Bits:
    """Classical bits read as an unsigned integer (first bit least significant)."""

    clbits: tuple[int, ...]


@dataclass(frozen=True)
class Var:
    """A classical variable."""

    name: str


@dataclass(frozen=True)
class Unary:
    """``op x`` with ``op`` in ``- ! ~``."""

    op: str
    x: CExpr


@dataclass(frozen=True)
class Binary:
    """``a op b``."""

    op: str
    a: CExpr
    b: CExpr


@dataclass(frozen=True)
class Func:
    """A built-in function call (``sin``, ``cos``, ``tan``, ``arcsin``, ``arccos``,
    ``arctan``, ``exp``, ``log``, ``sqrt``, ``abs``, ``floor``, ``ceil``, ``mod``, ``popcount``)."""

    name: str
    args: tuple[CExpr, ...]


@dataclass(frozen=True)
class Cast:
    """``type(x)``: ``int[2](flags)``, ``float(n)``, ``bool(b)``."""

    type: CType
    x: CExpr


CExpr = Const | Bits | Var | Unary | Binary | Func | Cast
"""A classical expression."""


def _div(a: Value, b: Value) -> Value:
    if b == 0:
        raise CircuitError("division by zero in a classical expression")
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return int(a / b)  # OpenQASM integer division truncates toward zero
    return a / b


def _mod(a: Value, b: Value) -> Value:
    if b == 0:
        raise CircuitError("modulo by zero in a classical expression")
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))


BINARY: dict[str, Callable[[Any, Any], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _div,
    "%": _mod,
    "**": operator.pow,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
"""Binary operators (``&&`` and ``||`` short-circuit and are handled apart)."""

FUNCS: dict[str, Callable[..., Value]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "arcsin": math.asin,
    "arccos": math.acos,
    "arctan": math.atan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "floor": math.floor,
    "ceiling": math.ceil,
    "mod": _mod,
    "popcount": lambda x: bin(int(x) & ((1 << 64) - 1)).count("1"),
}


def evaluate(e: CExpr, bits: Sequence[int], env: Mapping[str, Value]) -> Value:
    """The value of ``e`` with classical bits ``bits`` and variables ``env``.

    Raises:
        CircuitError: an unknown variable, a division by zero or a bad operand.
    """
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Bits):
        v = 0
        for i, b in enumerate(e.clbits):
            v |= bits[b] << i
        return v
    if isinstance(e, Var):
        try:
            return env[e.name]
        except KeyError:
            raise CircuitError(f"classical variable {e.name!r} is read before it is set") from None
    if isinstance(e, Unary):
        x = evaluate(e.x, bits, env)
        if e.op == "-":
            return -x
        if e.op == "!":
            return not x
        return ~int(x)
    if isinstance(e, Binary):
        if e.op == "&&":
            return bool(evaluate(e.a, bits, env)) and bool(evaluate(e.b, bits, env))
        if e.op == "||":
            return bool(evaluate(e.a, bits, env)) or bool(evaluate(e.b, bits, env))
        lhs, rhs = evaluate(e.a, bits, env), evaluate(e.b, bits, env)
        try:
            return BINARY[e.op](lhs, rhs)
        except (TypeError, ValueError, OverflowError) as err:
            raise CircuitError(f"cannot evaluate {lhs!r} {e.op} {rhs!r}: {err}") from None
    if isinstance(e, Func):
        args = [evaluate(a, bits, env) for a in e.args]
        try:
            return FUNCS[e.name](*args)
        except (TypeError, ValueError, OverflowError) as err:
            raise CircuitError(f"cannot evaluate {e.name}{tuple(args)}: {err}") from None
    return e.type.coerce(evaluate(e.x, bits, env))


@dataclass(frozen=True)
class Assign:
    """``target = value``: a variable (``declare`` gives its type on first assignment) or
    classical bits (the value's bits, first bit least significant)."""

    target: str | tuple[int, ...]
    value: CExpr
    type: CType | None = None


@dataclass(frozen=True)
class IfElse:
    """``if (condition) { then } else { orelse }``."""

    condition: CExpr
    then: tuple[Instruction, ...]
    orelse: tuple[Instruction, ...] = ()


@dataclass(frozen=True)
class While:
    """``while (condition) { body }``; more than ``max_iterations`` passes is an error."""

    condition: CExpr
    body: tuple[Instruction, ...]
    max_iterations: int = 1000


@dataclass(frozen=True)
class For:
    """``for type var in values { body }``: ``values`` is a set of expressions or a range
    ``(start, step, stop)`` with ``stop`` included, as OpenQASM ranges are."""

    var: str
    type: CType
    values: tuple[CExpr, ...] | None
    range: tuple[CExpr, CExpr, CExpr] | None
    body: tuple[Instruction, ...]

    def iterate(self, bits: Sequence[int], env: Mapping[str, Value]) -> list[Value]:
        """The loop's values for this branch's classical state."""
        if self.values is not None:
            return [evaluate(v, bits, env) for v in self.values]
        assert self.range is not None
        start, step, stop = (evaluate(x, bits, env) for x in self.range)
        if step == 0:
            raise CircuitError("a for-loop range has step 0")
        out: list[Value] = []
        v = start
        while (step > 0 and v <= stop) or (step < 0 and v >= stop):
            out.append(v)
            v += step
            if len(out) > 1_000_000:
                raise CircuitError("a for-loop range has more than 1,000,000 values")
        return out


@dataclass(frozen=True)
class Switch:
    """``switch (target) { case v, w { ... } default { ... } }``."""

    target: CExpr
    cases: tuple[tuple[tuple[CExpr, ...], tuple[Instruction, ...]], ...]
    default: tuple[Instruction, ...] = ()


@dataclass(frozen=True)
class VarBit:
    """The target of a measurement into a classical variable: bit ``index`` of ``var``
    (a ``measure`` instruction with this block and no classical bits)."""

    var: str
    index: int = 0


Block = Assign | IfElse | While | For | Switch | VarBit
"""What a control-flow instruction carries."""


def bodies(block: Block) -> list[tuple[Instruction, ...]]:
    """Every nested body of ``block``."""
    if isinstance(block, IfElse):
        return [block.then, block.orelse]
    if isinstance(block, While | For):
        return [block.body]
    if isinstance(block, Switch):
        return [body for _, body in block.cases] + [block.default]
    return []


_PREC = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9,
    "*": 10, "/": 10, "%": 10, "**": 12,
}  # fmt: skip


def format_expr(
    e: CExpr, bit: Callable[[tuple[int, ...]], str] | None = None, prec: int = 0
) -> str:
    """``e`` in OpenQASM 3 syntax; ``bit`` names classical bits (``c[0]`` by default)."""
    name = bit or (
        lambda bs: f"c[{bs[0]}]" if len(bs) == 1 else "{" + ", ".join(f"c[{b}]" for b in bs) + "}"
    )
    if isinstance(e, Const):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return repr(v) if math.isfinite(v) else ("pi" if v == math.pi else repr(v))
        return str(v) if v >= 0 else f"({v})"
    if isinstance(e, Bits):
        return name(e.clbits)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, Unary):
        return f"{e.op}{format_expr(e.x, bit, 11)}"
    if isinstance(e, Binary):
        p = _PREC[e.op]
        right = p + 1 if e.op != "**" else p
        text = f"{format_expr(e.a, bit, p)} {e.op} {format_expr(e.b, bit, right)}"
        return f"({text})" if p < prec else text
    if isinstance(e, Func):
        return f"{e.name}(" + ", ".join(format_expr(a, bit) for a in e.args) + ")"
    return f"{e.type}({format_expr(e.x, bit)})"


def describe_block(kind: str, block: Block) -> str:
    """A one-line summary of a control-flow instruction (bodies as op counts)."""

    def ops(body: tuple[Instruction, ...]) -> str:
        return f"{{{len(body)} op{'s' if len(body) != 1 else ''}}}"

    if isinstance(block, VarBit):
        return f"measure q[{kind}] -> {block.var}[{block.index}]"
    if isinstance(block, Assign):
        target = block.target if isinstance(block.target, str) else format_expr(Bits(block.target))
        decl = f"{block.type} " if block.type is not None else ""
        return f"{decl}{target} = {format_expr(block.value)}"
    if isinstance(block, IfElse):
        text = f"if ({format_expr(block.condition)}) {ops(block.then)}"
        return text + (f" else {ops(block.orelse)}" if block.orelse else "")
    if isinstance(block, While):
        return f"while ({format_expr(block.condition)}) {ops(block.body)}"
    if isinstance(block, For):
        if block.values is not None:
            it = "{" + ", ".join(format_expr(v) for v in block.values) + "}"
        else:
            assert block.range is not None
            a, s, b = (format_expr(x) for x in block.range)
            it = f"[{a}:{s}:{b}]"
        return f"for {block.type} {block.var} in {it} {ops(block.body)}"
    cases = " ".join(
        "case " + ", ".join(format_expr(v) for v in vals) + f" {ops(body)}"
        for vals, body in block.cases
    )
    default = f" default {ops(block.default)}" if block.default else ""
    return f"switch ({format_expr(block.target)}) {{{cases}{default}}}"


def map_gates(instructions: Sequence[Instruction], fn: Callable[[Any], Any]) -> list[Instruction]:
    """The instructions with ``fn`` applied to every gate, inside bodies too."""
    from dataclasses import replace

    out = []
    for ins in instructions:
        if ins.gate is not None:
            ins = replace(ins, gate=fn(ins.gate))
        b = ins.block
        if isinstance(b, IfElse):
            ins = replace(
                ins,
                block=replace(
                    b, then=tuple(map_gates(b.then, fn)), orelse=tuple(map_gates(b.orelse, fn))
                ),
            )
        elif isinstance(b, While | For):
            ins = replace(ins, block=replace(b, body=tuple(map_gates(b.body, fn))))
        elif isinstance(b, Switch):
            cases = tuple((v, tuple(map_gates(body, fn))) for v, body in b.cases)
            ins = replace(
                ins, block=replace(b, cases=cases, default=tuple(map_gates(b.default, fn)))
            )
        out.append(ins)
    return out


def walk(instructions: Iterable[Instruction]) -> Iterator[Instruction]:
    """Every instruction, depth first, including those inside control-flow bodies."""
    for ins in instructions:
        yield ins
        if ins.block is not None:
            for body in bodies(ins.block):
                yield from walk(body)


def block_qubits(block: Block) -> tuple[int, ...]:
    """The qubits that ``block``'s bodies touch, sorted."""
    qubits: set[int] = set()
    for body in bodies(block):
        for ins in walk(body):
            qubits.update(ins.qubits)
    return tuple(sorted(qubits))


def expr_bits(e: CExpr) -> tuple[int, ...]:
    """The classical bits that ``e`` reads, sorted."""
    if isinstance(e, Bits):
        return tuple(sorted(set(e.clbits)))
    if isinstance(e, Unary | Cast):
        return expr_bits(e.x)
    if isinstance(e, Binary):
        return tuple(sorted(set(expr_bits(e.a)) | set(expr_bits(e.b))))
    if isinstance(e, Func):
        return tuple(sorted({b for a in e.args for b in expr_bits(a)}))
    return ()


def block_exprs(block: Block) -> list[CExpr]:
    """The expressions ``block`` itself evaluates (not those inside its bodies)."""
    if isinstance(block, Assign):
        return [block.value]
    if isinstance(block, IfElse | While):
        return [block.condition]
    if isinstance(block, For):
        return list(block.values if block.values is not None else block.range or ())
    if isinstance(block, Switch):
        return [block.target, *(v for vals, _ in block.cases for v in vals)]
    return []


# ------------------------------------------------------------------ JSON form
def expr_to_json(e: CExpr) -> Any:
    """``e`` as JSON: ``{"const": v}``, ``{"bits": [...]}``, ``{"var": name}``,
    ``{"op": op, "args": [...]}``, ``{"func": name, "args": [...]}``,
    ``{"cast": kind, "width": w, "arg": x}``."""
    if isinstance(e, Const):
        return {"const": e.value}
    if isinstance(e, Bits):
        return {"bits": list(e.clbits)}
    if isinstance(e, Var):
        return {"var": e.name}
    if isinstance(e, Unary):
        return {"op": e.op, "args": [expr_to_json(e.x)]}
    if isinstance(e, Binary):
        return {"op": e.op, "args": [expr_to_json(e.a), expr_to_json(e.b)]}
    if isinstance(e, Func):
        return {"func": e.name, "args": [expr_to_json(a) for a in e.args]}
    return {"cast": e.type.kind, "width": e.type.width, "arg": expr_to_json(e.x)}


def expr_from_json(d: Any) -> CExpr:
    """The inverse of :func:`expr_to_json`.

    Raises:
        CircuitError: a malformed expression (the message says which form was expected).
    """
    if not isinstance(d, Mapping):
        raise CircuitError(f"an expression must be an object, got {d!r}")
    try:
        if "const" in d:
            v = d["const"]
            if isinstance(v, bool | int | float):
                return Const(v)
            raise CircuitError(f"a constant must be a number or a bool, got {v!r}")
        if "bits" in d:
            return Bits(tuple(int(b) for b in d["bits"]))
        if "var" in d:
            return Var(str(d["var"]))
        if "func" in d:
            if d["func"] not in FUNCS:
                raise CircuitError(f"unknown function {d['func']!r}; allowed: {sorted(FUNCS)}")
            return Func(d["func"], tuple(expr_from_json(a) for a in d["args"]))
        if "cast" in d:
            return Cast(CType(d["cast"], d.get("width")), expr_from_json(d["arg"]))
        op, args = d["op"], d["args"]
        if len(args) == 1 and op in ("-", "!", "~"):
            return Unary(op, expr_from_json(args[0]))
        if len(args) == 2 and (op in BINARY or op in ("&&", "||")):
            return Binary(op, expr_from_json(args[0]), expr_from_json(args[1]))
        raise CircuitError(f"unknown operator {op!r} with {len(args)} operand(s)")
    except (KeyError, TypeError, ValueError) as e:
        raise CircuitError(f"malformed expression {dict(d)!r}: {e}") from None


def _ctype(t: CType | None) -> Any:
    return None if t is None else [t.kind, t.width]


def _ctype_from(d: Any) -> CType | None:
    if d is None:
        return None
    if not isinstance(d, list | tuple) or len(d) != 2:
        raise CircuitError(f"a classical type is [kind, width], got {d!r}")
    return CType(str(d[0]), d[1])


BodyOut = Callable[[tuple["Instruction", ...]], list[Any]]
BodyIn = Callable[[Any], tuple["Instruction", ...]]


def block_to_json(block: Block, body: BodyOut) -> dict[str, Any]:
    """A block as JSON; ``body`` writes a body (a list of op dicts)."""
    if isinstance(block, Assign):
        t = block.target if isinstance(block.target, str) else list(block.target)
        return {"target": t, "value": expr_to_json(block.value), "type": _ctype(block.type)}
    if isinstance(block, IfElse):
        return {
            "condition": expr_to_json(block.condition),
            "then": body(block.then),
            "else": body(block.orelse),
        }
    if isinstance(block, While):
        return {
            "condition": expr_to_json(block.condition),
            "body": body(block.body),
            "max_iterations": block.max_iterations,
        }
    if isinstance(block, For):
        return {
            "var": block.var,
            "type": _ctype(block.type),
            "values": None if block.values is None else [expr_to_json(v) for v in block.values],
            "range": None if block.range is None else [expr_to_json(v) for v in block.range],
            "body": body(block.body),
        }
    if isinstance(block, Switch):
        return {
            "target": expr_to_json(block.target),
            "cases": [
                {"values": [expr_to_json(v) for v in vals], "body": body(b)}
                for vals, b in block.cases
            ],
            "default": body(block.default),
        }
    return {"var": block.var, "index": block.index}


def block_from_json(kind: str, d: Any, body: BodyIn) -> Block:
    """The inverse of :func:`block_to_json` for an instruction of ``kind``.

    Raises:
        CircuitError: a malformed block.
    """
    if not isinstance(d, Mapping):
        raise CircuitError(f"a {kind} block must be an object, got {d!r}")
    try:
        if kind == "assign":
            t = d["target"]
            target = t if isinstance(t, str) else tuple(int(c) for c in t)
            return Assign(target, expr_from_json(d["value"]), _ctype_from(d.get("type")))
        if kind == "if":
            return IfElse(expr_from_json(d["condition"]), body(d["then"]), body(d.get("else", [])))
        if kind == "while":
            cap = d.get("max_iterations", 1000)
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise CircuitError(f"max_iterations must be a positive integer, got {cap!r}")
            return While(expr_from_json(d["condition"]), body(d["body"]), cap)
        if kind == "for":
            ct = _ctype_from(d.get("type")) or CType("int")
            values = d.get("values")
            rng = d.get("range")
            if (values is None) == (rng is None):
                raise CircuitError("a for block needs exactly one of 'values' and 'range'")
            vals = None if values is None else tuple(expr_from_json(v) for v in values)
            r = None
            if rng is not None:
                if len(rng) != 3:
                    raise CircuitError("a for range is [start, step, stop]")
                r = (expr_from_json(rng[0]), expr_from_json(rng[1]), expr_from_json(rng[2]))
            return For(str(d["var"]), ct, vals, r, body(d["body"]))
        if kind == "switch":
            cases = tuple(
                (tuple(expr_from_json(v) for v in c["values"]), body(c["body"])) for c in d["cases"]
            )
            return Switch(expr_from_json(d["target"]), cases, body(d.get("default", [])))
    except (KeyError, TypeError) as e:
        raise CircuitError(f"malformed {kind} block: missing or bad {e}") from None
    raise CircuitError(f"unknown block kind {kind!r}")
