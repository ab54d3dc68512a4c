"""Parameter expressions of OpenQASM programs: a small tree, evaluated on demand.

Gate bodies are kept as trees so a custom gate can be expanded with numeric or symbolic
arguments. Functions of a free parameter (``sin(theta)``) and powers become
:class:`FuncExpression`, a :class:`~qtcore.ParameterExpression` that binds like the
others, so ``Circuit.bind`` keeps working on imported gates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from qtcore._parameter import Parameter, ParameterExpression, ParamValue, bind_value
from qtcore.errors import CircuitError
from qtcore.qasm._diagnostics import did_you_mean, error_at
from qtcore.qasm._lexer import Token

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "Expr",
    "FuncExpression",
    "evaluate",
    "format_value",
    "substitute",
]

FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
    "arcsin": math.asin,
    "arccos": math.acos,
    "arctan": math.atan,
}
"""Functions of one real argument (``arc*`` only in OpenQASM 3)."""

CONSTANTS: dict[str, float] = {
    "pi": math.pi,
    "π": math.pi,
    "tau": math.tau,
    "τ": math.tau,
    "euler": math.e,
    "ℇ": math.e,
}
"""Named constants (only ``pi`` in OpenQASM 2)."""


def _pow(a: float, b: float) -> float:
    return float(a**b)


_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "pow": _pow,
}


class FuncExpression(ParameterExpression):
    """``f(x)`` or ``x ** y`` where an argument holds a free parameter."""

    __slots__ = ()

    def bind(self, values: Mapping[str, float]) -> ParamValue:
        args = tuple(bind_value(a, values) for a in self._args)
        if any(isinstance(a, ParameterExpression) for a in args):
            return FuncExpression(self._op, args)
        nums = [float(a) for a in args]  # type: ignore[arg-type]
        try:
            if self._op == "pow":
                value = _pow(nums[0], nums[1])
            else:
                value = FUNCTIONS[self._op](nums[0])
        except (ValueError, OverflowError, ZeroDivisionError) as e:
            raise CircuitError(f"cannot evaluate {self} with {dict(values)}: {e}") from None
        if isinstance(value, complex) or not math.isfinite(value):
            raise CircuitError(f"{self} is not a finite real number for {dict(values)}")
        return value

    def __str__(self) -> str:
        if self._op == "pow":
            return f"({_text(self._args[0])} ** {_text(self._args[1])})"
        return f"{self._op}({_text(self._args[0])})"


def _text(x: ParamValue) -> str:
    return str(x) if isinstance(x, ParameterExpression) else repr(x)


@dataclass(frozen=True)
class Expr:
    """A node of a parameter expression.

    Attributes:
        kind: ``"num"``, ``"const"``, ``"name"``, ``"neg"``, ``"bin"`` or ``"call"``.
        token: where the node starts (for error messages).
        value: the number (``num``), the name (``const``/``name``/``call``) or the
            operator (``bin``: ``+ - * / pow``).
        args: operands.
    """

    kind: str
    token: Token
    value: float | str = 0.0
    args: tuple[Expr, ...] = ()

    def names(self) -> set[str]:
        """Free names used by this expression."""
        out = {str(self.value)} if self.kind == "name" else set()
        for a in self.args:
            out |= a.names()
        return out


def evaluate(node: Expr, env: Mapping[str, ParamValue]) -> ParamValue:
    """The value of ``node`` with names looked up in ``env``.

    Raises:
        QasmError: unknown name, division by zero, or a result that is not a finite real.
    """
    k = node.kind
    if k == "num":
        return float(node.value)
    if k == "const":
        return CONSTANTS[str(node.value)]
    if k == "name":
        name = str(node.value)
        if name not in env:
            hint = did_you_mean(name, env)
            allowed = f"; parameters in scope: {', '.join(env)}" if env and not hint else ""
            raise error_at(f"unknown parameter '{name}'{hint}{allowed}", node.token)
        return env[name]
    if k == "neg":
        return -evaluate(node.args[0], env)
    if k == "bin":
        a = evaluate(node.args[0], env)
        b = evaluate(node.args[1], env)
        op = str(node.value)
        if isinstance(a, ParameterExpression) or isinstance(b, ParameterExpression):
            if op == "pow":
                return FuncExpression("pow", (a, b))
            if op == "/" and not isinstance(b, ParameterExpression) and b == 0:
                raise error_at("division by zero", node.args[1].token)
            return _symbolic(op, a, b)
        return _checked(lambda: _BINARY[op](float(a), float(b)), node)
    # call
    arg = evaluate(node.args[0], env)
    fname = str(node.value)
    if isinstance(arg, ParameterExpression):
        return FuncExpression(fname, (arg,))
    return _checked(lambda: FUNCTIONS[fname](float(arg)), node)


def _symbolic(op: str, a: ParamValue, b: ParamValue) -> ParamValue:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b


def _checked(fn: Callable[[], float], node: Expr) -> float:
    try:
        value = fn()
    except ZeroDivisionError:
        raise error_at("division by zero", node.args[-1].token) from None
    except (ValueError, OverflowError) as e:
        raise error_at(f"cannot evaluate expression: {e}", node.token) from None
    if isinstance(value, complex) or not math.isfinite(value):
        raise error_at("expression is not a finite real number", node.token)
    return float(value)


def substitute(value: ParamValue, mapping: Mapping[str, ParamValue]) -> ParamValue:
    """Replaces parameters in ``value`` by expressions or numbers from ``mapping``."""
    if not isinstance(value, ParameterExpression):
        return value
    if isinstance(value, Parameter):
        return mapping.get(value.name, value)
    args = tuple(substitute(a, mapping) for a in value._args)
    op = value._op
    if isinstance(value, FuncExpression):
        return FuncExpression(op, args).bind({})
    if op == "neg":
        return -args[0]
    a, b = args
    if isinstance(a, ParameterExpression) or isinstance(b, ParameterExpression):
        return _symbolic(op, a, b)
    return _BINARY[op](a, b)


_PI_DENOMINATORS = (1, 2, 3, 4, 6, 8, 12, 16, 32, 64)


def format_value(value: ParamValue, version: int) -> str:
    """OpenQASM text for a number or an expression; reading it back gives the same float.

    Multiples of pi are written as such when that reproduces the float exactly.
    """
    if isinstance(value, Parameter):
        return value.name
    if isinstance(value, ParameterExpression):
        args = [format_value(a, version) for a in value._args]
        op = value._op
        if isinstance(value, FuncExpression):
            if op == "pow":
                return f"({args[0]}){'^' if version == 2 else '**'}({args[1]})"
            return f"{op}({args[0]})"
        if op == "neg":
            return f"-({args[0]})"
        return f"({args[0]} {op} {args[1]})"
    return format_float(value)


def format_float(x: float) -> str:
    """A float as OpenQASM text (``pi/2``, ``-3*pi/4`` or a round-trip exact decimal)."""
    if x == 0.0:
        return "0" if math.copysign(1.0, x) > 0 else "-0.0"
    for d in _PI_DENOMINATORS:
        n = round(abs(x) * d / math.pi)
        if n == 0 or n > 64:
            continue
        if (n * math.pi) / d == abs(x):
            num = "pi" if n == 1 else f"{n}*pi"
            text = num if d == 1 else f"{num}/{d}"
            return ("-" if x < 0 else "") + text
    text = repr(x)
    if "." not in text:
        mant, _, exp = text.partition("e")
        text = f"{mant}.0" + (f"e{exp}" if exp else "")
    return text
