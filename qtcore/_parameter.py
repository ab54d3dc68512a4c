"""Symbolic gate parameters, bound later (for sweeps).

``Parameter("theta")`` is a named free symbol; arithmetic with numbers and other
parameters (``+ - * /``, unary minus) builds a :class:`ParameterExpression`.
A circuit holding expressions is bound with ``circuit.bind({"theta": 0.3})``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Union

from qtcore.errors import CircuitError, UnboundParameterError

__all__ = ["ParamValue", "Parameter", "ParameterExpression", "bind_value", "is_symbolic"]

_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
_FUNCS1: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "ln": math.log,
    "sqrt": math.sqrt,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}
"""Functions of one free parameter a parameter string may use (see :mod:`qtcore._expr`)."""


class ParameterExpression:
    """An arithmetic expression of parameters and numbers."""

    __slots__ = ("_args", "_op")

    def __init__(self, op: str, args: tuple[ParamValue, ...]) -> None:
        self._op = op
        self._args = args

    @property
    def parameters(self) -> frozenset[str]:
        """Names of the free parameters in this expression."""
        names: set[str] = set()
        for a in self._args:
            if isinstance(a, ParameterExpression):
                names |= a.parameters
        return frozenset(names)

    def bind(self, values: Mapping[str, float]) -> ParamValue:
        """Substitutes ``values``; returns a float when nothing free remains."""
        args = tuple(bind_value(a, values) for a in self._args)
        if any(isinstance(a, ParameterExpression) for a in args):
            return ParameterExpression(self._op, args)
        nums = [float(a) for a in args]  # type: ignore[arg-type]
        if self._op == "neg":
            return -nums[0]
        if self._op == "/" and nums[1] == 0.0:
            raise CircuitError(f"division by zero while binding {self}")
        try:
            if self._op in _FUNCS1:
                value = _FUNCS1[self._op](nums[0])
            else:
                value = _OPS[self._op](nums[0], nums[1])
        except (ValueError, OverflowError, ZeroDivisionError) as e:
            raise CircuitError(f"cannot evaluate {self} with {dict(values)}: {e}") from None
        if isinstance(value, complex) or not math.isfinite(value):
            raise CircuitError(f"{self} is not a finite real number for {dict(values)}")
        return value

    def _bin(self, op: str, other: object, reverse: bool = False) -> ParameterExpression:
        if not isinstance(other, (int, float, ParameterExpression)) or isinstance(other, bool):
            return NotImplemented  # type: ignore[no-any-return]
        args: tuple[ParamValue, ParamValue] = (other, self) if reverse else (self, other)
        return ParameterExpression(op, args)

    def __add__(self, o: object) -> ParameterExpression:
        return self._bin("+", o)

    def __radd__(self, o: object) -> ParameterExpression:
        return self._bin("+", o, True)

    def __sub__(self, o: object) -> ParameterExpression:
        return self._bin("-", o)

    def __rsub__(self, o: object) -> ParameterExpression:
        return self._bin("-", o, True)

    def __mul__(self, o: object) -> ParameterExpression:
        return self._bin("*", o)

    def __rmul__(self, o: object) -> ParameterExpression:
        return self._bin("*", o, True)

    def __truediv__(self, o: object) -> ParameterExpression:
        return self._bin("/", o)

    def __rtruediv__(self, o: object) -> ParameterExpression:
        return self._bin("/", o, True)

    def __neg__(self) -> ParameterExpression:
        return ParameterExpression("neg", (self,))

    def __str__(self) -> str:
        if self._op == "neg":
            return f"-({self._args[0]})"
        if self._op in _FUNCS1:
            return f"{self._op}({_fmt(self._args[0])})"
        a, b = (_fmt(x) for x in self._args)
        if self._op == "**":  # -1.0 ** t would read back as -(1.0 ** t)
            a, b = (f"({s})" if s.startswith("-") else s for s in (a, b))
        return f"({a} {self._op} {b})"

    def __repr__(self) -> str:
        return f"ParameterExpression({self})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ParameterExpression)
            and type(other) is type(self)
            and self._op == other._op
            and self._args == other._args
        )

    def __hash__(self) -> int:
        return hash((self._op, self._args))


class Parameter(ParameterExpression):
    """A named free parameter.

    Args:
        name: an identifier (letters, digits, underscore; not starting with a digit).
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise CircuitError(f"parameter name must be an identifier, got {name!r}")
        super().__init__("param", ())
        self.name = name

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset({self.name})

    def bind(self, values: Mapping[str, float]) -> ParamValue:
        if self.name not in values:
            return self
        v = values[self.name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CircuitError(f"value for parameter {self.name!r} must be a number, got {v!r}")
        if not math.isfinite(v):
            raise CircuitError(f"value for parameter {self.name!r} must be finite, got {v!r}")
        return float(v)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameter) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("param", self.name))


ParamValue = Union[float, ParameterExpression]  # noqa: UP007 (runtime alias, 3.11-safe)


def _fmt(x: ParamValue) -> str:
    return str(x) if isinstance(x, ParameterExpression) else repr(x)


def is_symbolic(value: object) -> bool:
    """True when ``value`` still contains a free parameter."""
    return isinstance(value, ParameterExpression)


def bind_value(value: ParamValue, values: Mapping[str, float]) -> ParamValue:
    """Binds ``value`` (a number or expression) against ``values``."""
    if isinstance(value, ParameterExpression):
        return value.bind(values)
    return value


def require_number(value: ParamValue, where: str) -> float:
    """Returns ``value`` as a float or raises :class:`UnboundParameterError`."""
    if isinstance(value, ParameterExpression):
        raise UnboundParameterError(
            f"{where} has unbound parameter(s) {sorted(value.parameters)}; "
            "bind them first with circuit.bind({...})"
        )
    return float(value)
