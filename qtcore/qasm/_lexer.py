"""Tokens of OpenQASM 2.0 and the OpenQASM 3 subset qtcore reads.

Every token carries its 1-based line and column so that errors can point at it.
Comments (``//`` to the end of the line and ``/* ... */``) and white space are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qtcore.errors import QasmError

__all__ = ["Token", "tokenize"]


@dataclass(frozen=True)
class Token:
    """One lexical token.

    Attributes:
        kind: ``"id"``, ``"int"``, ``"real"``, ``"string"``, ``"op"`` or ``"eof"``.
        text: the token's source text (a string literal without its quotes).
        line: 1-based line.
        column: 1-based column.
    """

    kind: str
    text: str
    line: int
    column: int

    def describe(self) -> str:
        """The token as an error message shows it."""
        if self.kind == "eof":
            return "end of input"
        if self.kind == "string":
            return f'"{self.text}"'
        return f"'{self.text}'"


_PATTERN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)
  | (?P<int>\d+)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<id>[^\W\d]\w*)
  | (?P<op>->|<<=|>>=|\+\+|==|!=|<=|>=|<<|>>|\*\*|&&|\|\||[-+*/&|^%]=|[;,()\[\]{}+\-*/^@=:<>!~&|%$.])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    """Splits ``text`` into tokens, ending with an ``eof`` token.

    Raises:
        QasmError: on a character no token starts with, or an unterminated comment.
    """
    tokens: list[Token] = []
    pos = 0
    line = 1
    line_start = 0
    n = len(text)
    while pos < n:
        m = _PATTERN.match(text, pos)
        col = pos - line_start + 1
        if m is None:
            ch = text[pos]
            if ch in "\"'":
                raise QasmError(f"unterminated string starting with {ch}", line, col)
            raise QasmError(f"unexpected character {ch!r}", line, col)
        kind = m.lastgroup or ""
        if kind == "nl":
            line += 1
            line_start = m.end()
        elif kind == "bcomment":
            end = text.find("*/", m.end())
            if end < 0:
                raise QasmError("unterminated comment '/*' (missing '*/')", line, col)
            body = text[pos:end]
            newlines = body.count("\n")
            if newlines:
                line += newlines
                line_start = pos + body.rfind("\n") + 1
            pos = end + 2
            continue
        elif kind == "string":
            tokens.append(Token("string", m.group()[1:-1], line, col))
        elif kind not in ("ws", "lcomment"):
            tokens.append(Token(kind, m.group(), line, col))
        pos = m.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens
