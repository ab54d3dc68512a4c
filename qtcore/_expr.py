"""A tiny, safe arithmetic parser for parameter strings such as ``"pi/2"`` or ``"2*theta"``.

Grammar: numbers, ``pi``, ``tau``, ``e``, identifiers (free parameters), ``+ - * / **``,
unary minus, parentheses, and the functions ``sin cos tan exp ln sqrt asin acos atan``.
Used by scenario files and circuit dictionaries; the OpenQASM reader has its own
parser that also reports line and column.
"""

from __future__ import annotations

import math
import re

from qtcore._parameter import _FUNCS1, Parameter, ParameterExpression, ParamValue

__all__ = ["parse_param"]

_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\*\*|[-+*/()]))"
)
_CONST = {"pi": math.pi, "tau": math.tau, "e": math.e}
_FUNCS = _FUNCS1  # one table: what a parameter string may call is what it can evaluate


def parse_param(text: str) -> ParamValue:
    """Parses ``text`` into a float, or a symbolic expression when it names parameters.

    Raises:
        ValueError: with the position of the first character that does not fit.
    """
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    text = str(text)
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot parse parameter {text!r} at character {pos + 1}")
        kind = "num" if m.group(1) else "name" if m.group(2) else "op"
        tokens.append((kind, m.group(m.lastindex or 0), m.start(m.lastindex or 0)))
        pos = m.end()
    i = 0

    def peek() -> tuple[str, str, int] | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> tuple[str, str, int]:
        nonlocal i
        if i >= len(tokens):
            raise ValueError(f"parameter {text!r} ends too early")
        i += 1
        return tokens[i - 1]

    def expr() -> ParamValue:
        v = term()
        while (t := peek()) and t[1] in "+-" and t[0] == "op":
            take()
            r = term()
            v = v + r if t[1] == "+" else v - r
        return v

    def term() -> ParamValue:
        v = unary()
        while (t := peek()) and t[0] == "op" and t[1] in ("*", "/"):
            take()
            r = unary()
            if t[1] == "/" and not isinstance(r, ParameterExpression) and r == 0:
                raise ValueError(f"division by zero in parameter {text!r}")
            v = v * r if t[1] == "*" else v / r
        return v

    def unary() -> ParamValue:
        t = peek()
        if t and t[0] == "op" and t[1] in "+-":
            take()
            v = unary()
            return -v if t[1] == "-" else v
        return power()

    def power() -> ParamValue:
        base = atom()
        t = peek()
        if t and t[1] == "**":
            take()
            ex = unary()
            if isinstance(base, ParameterExpression) or isinstance(ex, ParameterExpression):
                return ParameterExpression("**", (base, ex))
            return float(base**ex)
        return base

    def atom() -> ParamValue:
        kind, val, at = take()
        if kind == "num":
            return float(val)
        if kind == "name":
            if val in _FUNCS:
                if not (peek() and peek()[1] == "("):  # type: ignore[index]
                    raise ValueError(f"function {val} needs parentheses in {text!r}")
                take()
                arg = expr()
                _expect(")")
                if isinstance(arg, ParameterExpression):
                    return ParameterExpression(val, (arg,))
                return _FUNCS[val](arg)
            if val in _CONST:
                return _CONST[val]
            return Parameter(val)
        if val == "(":
            v = expr()
            _expect(")")
            return v
        raise ValueError(f"unexpected {val!r} at character {at + 1} of parameter {text!r}")

    def _expect(sym: str) -> None:
        t = take()
        if t[1] != sym:
            raise ValueError(f"expected {sym!r} at character {t[2] + 1} of {text!r}")

    if not tokens:
        raise ValueError("empty parameter")
    value = expr()
    if i != len(tokens):
        raise ValueError(f"unexpected {tokens[i][1]!r} at character {tokens[i][2] + 1} of {text!r}")
    return value
