"""Error helpers shared by the OpenQASM reader: errors at a token, spelling hints."""

from __future__ import annotations

from collections.abc import Iterable

from qtcore.errors import QasmError
from qtcore.qasm._lexer import Token

__all__ = ["did_you_mean", "error_at"]


def error_at(msg: str, tok: Token) -> QasmError:
    """A :class:`~qtcore.errors.QasmError` at ``tok``'s line and column."""
    return QasmError(msg, tok.line, tok.column)


def did_you_mean(name: str, names: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``names`` to ``name``, or ``""``."""
    from difflib import get_close_matches  # here: only a misspelt name needs it

    near = get_close_matches(name, list(names), n=1, cutoff=cutoff)
    return f" (did you mean '{near[0]}'?)" if near else ""
