"""Every malformed program raises QasmError at the offending token's line and column."""

from __future__ import annotations

import pytest

from qtcore.errors import QasmError
from qtcore.qasm import loads

H2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
H3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\n'

# (program, line, column, words the message must contain)
CASES_V2 = [
    (H2 + "hh q[0];", 5, 1, ["unknown gate 'hh'", "did you mean 'h'"]),
    (H2 + "h q[0];\n  cxx q[0], q[1];", 6, 3, ["unknown gate 'cxx'", "'cx'"]),
    (H2 + "h q[3];", 5, 5, ["index 3 out of range", "'q'", "size 3", "0..2"]),
    (H2 + "h r[0];", 5, 3, ["undeclared quantum register 'r'"]),
    (H2 + "h qq[0];", 5, 3, ["undeclared", "'qq'", "did you mean 'q'"]),
    (H2 + "h c[0];", 5, 3, ["'c' is a classical register"]),
    (H2 + "h q[0]\ncx q[0], q[1];", 6, 1, ["expected ';'", "found 'cx'"]),
    (H2 + "cx q[0], q[0];", 5, 10, ["duplicate qubit q[0]", "'cx'"]),
    (H2 + "ccx q[1], q[2], q[1];", 5, 17, ["duplicate qubit q[1]"]),
    (H2 + "cx q[0];", 5, 1, ["'cx' takes 2 qubit argument(s), got 1"]),
    (H2 + "h q[0], q[1];", 5, 1, ["'h' takes 1 qubit argument(s), got 2"]),
    (H2 + "rx q[0];", 5, 1, ["'rx' takes 1 parameter(s), got 0"]),
    (H2 + "u3(1, 2) q[0];", 5, 3, ["'u3' takes 3 parameter(s), got 2"]),
    (H2 + "h(0.5) q[0];", 5, 2, ["'h' takes 0 parameter(s), got 1"]),
    (H2 + "rx(pi/0) q[0];", 5, 7, ["division by zero"]),
    (H2 + "rx(sqrt(-1)) q[0];", 5, 4, ["cannot evaluate"]),
    (H2 + "rx(theta) q[0];", 5, 4, ["unknown parameter 'theta'"]),
    (H2 + "rx(pi*) q[0];", 5, 7, ["expected a number", "')'"]),
    (H2 + "rx(pi q[0];", 5, 7, ["expected ')'", "'q'"]),
    (H2 + "measure q[0] c[0];", 5, 14, ["expected '->'", "'c'"]),
    (H2 + "measure q -> c[0];", 5, 14, ["cannot measure 3 qubit(s)", "1 bit(s)"]),
    (H2 + "measure q[0] -> q[1];", 5, 17, ["'q' is a quantum register"]),
    (H2 + "qreg r[2];\ncx q, r;", 6, 7, ["'q' (size 3)", "'r' (size 2)", "different sizes"]),
    (H2 + "qreg q[2];", 5, 6, ["'q' is already declared (line 3)"]),
    (H2 + "creg q[2];", 5, 6, ["'q' is already declared"]),
    (H2 + "qreg r[0];", 5, 8, ["register size must be at least 1"]),
    (H2 + "qreg r;", 5, 7, ["expected '['"]),
    (H2 + "if (c[0] == 1) x q[0];", 5, 5, ["whole register", "'c[0]' is one bit"]),
    (H2 + "if (c == 8) x q[0];", 5, 10, ["value 8 does not fit", "3 bit(s)"]),
    (H2 + "if (c = 1) x q[0];", 5, 7, ["expected '=='"]),
    (H2 + "if (d == 1) x q[0];", 5, 5, ["undeclared classical register 'd'"]),
    (H2 + "if (c == 1) barrier q;", 5, 13, ["expected a gate call, measure or reset"]),
    (H2 + "opaque magic(a) q;", 5, 1, ["opaque gate 'magic'", "cannot be simulated"]),
    (H2 + "gate g a { h b; }", 5, 14, ["unknown qubit 'b'", "gate 'g'"]),
    (H2 + "gate g a { h a[0]; }", 5, 15, ["by name"]),
    (H2 + "gate g(t) a { rx(s) a; }", 5, 18, ["unknown parameter 's'"]),
    (H2 + "gate g a { measure a -> c[0]; }", 5, 12, ["'measure' is not allowed in a gate body"]),
    (H2 + "gate g a, a { h a; }", 5, 11, ["'a' is used twice"]),
    (H2 + "gate h a { x a; }", 5, 6, ["gate 'h' is already defined (qelib1.inc)"]),
    (H2 + "gate g a { x a; }\ngate g b { y b; }", 6, 6, ["gate 'g' is already defined (line 5)"]),
    (H2 + "gate g a { x a;", 5, 16, ["not closed"]),
    (H2 + "gate g a { cx a, a; }", 5, 18, ["duplicate qubit a"]),
    (H2 + "gate g a, b { cx a; }", 5, 15, ["'cx' takes 2 qubit argument(s), got 1"]),
    (H2 + "gate g a { g a; }", 5, 12, ["unknown gate 'g'"]),
    (H2 + "g q[0];", 5, 1, ["unknown gate 'g'"]),
    (H2 + "barier q;", 5, 1, ["unknown statement or gate 'barier' (did you mean 'barrier'?)"]),
    (H2 + 'include "other.inc";', 5, 9, ['cannot include "other.inc"']),
    (H2 + "h q[0]; # comment", 5, 9, ["unexpected character '#'"]),
    (H2 + "/* never closed\nh q[0];", 5, 1, ["unterminated comment"]),
    (H2 + "qubit[2] r;", 5, 1, ["needs OpenQASM 3"]),
    (H2 + "rx(2**2) q[0];", 5, 5, ["write '^' for a power"]),
    (H2 + "x q[0];\nOPENQASM 2.0;", 6, 1, ["must come first"]),
    ("OPENQASM 4.0;\nqreg q[1];", 1, 10, ["unsupported OpenQASM version '4.0'"]),
    ("OPENQASM 2.0\nqreg q[1];", 2, 1, ["expected ';'", "version"]),
    ("OPENQASM 2.0;\ncreg c[2];", 2, 11, ["declares no qubits"]),
    ("OPENQASM 2.0;\nqreg q[1];\nU(0, 0, 0) q[0]; CX q[0], q[0];", 3, 27, ["duplicate"]),
    ("OPENQASM 2.0;\nqreg q[2];\nh q[0];", 3, 1, ["unknown gate 'h'", 'include "qelib1.inc"']),
    ('OPENQASM 2.0;\ninclude "qelib1.inc;\nqreg q[1];', 2, 9, ["unterminated string"]),
]

CASES_V3 = [
    (H3 + "hh q[0];", 5, 1, ["unknown gate 'hh'", "'h'"]),
    (H3 + "c[0] = measure q[5];", 5, 18, ["index 5 out of range"]),
    (H3 + "c[0] = measur q[0];", 5, 8, ["unknown classical name 'measur'", "'measure'"]),
    (H3 + "c = measure r;", 5, 13, ["undeclared quantum register 'r'"]),
    (H3 + "complex[float[64]] z;", 5, 1, ["unsupported OpenQASM 3 statement 'complex'"]),
    (H3 + "const int n;", 5, 12, ["a const needs a value"]),
    (H3 + "int n = 2;\nfor int i in [0:n] { h q[i]; }", 6, 1, ["range must be constant"]),
    (H3 + "int n = 2;\nh q[n];", 6, 5, ["must be a constant integer"]),
    (H3 + "while (c[0]) { break; }", 5, 16, ["unsupported", "'break'"]),
    (H3 + "int x = y + 1;", 5, 9, ["unknown classical name 'y'"]),
    (H3 + "def f qubit[2]:a { }", 5, 7, ["expected '('", "older"]),
    (H3 + "switch (c) { }", 5, 1, ["at least one case"]),
    (H3 + "switch (c) { case 1 x q[0]; }", 5, 21, ["a case body must be a block"]),
    (H3 + "let a = q[0] ++ q[0];", 5, 1, ["names a qubit twice"]),
    (H3 + "const int n = 2;\nn = 3;", 6, 1, ["is a const"]),
    (H3 + "uint[0] u;", 5, 1, ["at least 1"]),
    (H3 + "let a = q[1:2];\nh a[2];", 6, 5, ["index 2 out of range", "'a'"]),
    (H3 + "while (c[0] ==) x q[0];", 5, 15, ["expected a classical expression"]),
    (H3 + "int x = 1;\nrx(x) q[0];\nx = measure r;", 7, 13, ["undeclared quantum register 'r'"]),
    (H3 + "ctrl @ x q[0];", 5, 8, ["'x' takes 2 qubit argument(s), got 1"]),
    (H3 + "ctrl(0) @ x q[0], q[1];", 5, 6, ["'ctrl' needs a positive integer"]),
    (H3 + "pow(0.5) @ x q[0];", 5, 5, ["'pow' needs an integer"]),
    (H3 + "pow @ x q[0];", 5, 5, ["'pow' needs an exponent"]),
    (H3 + "inv x q[0];", 5, 5, ["expected '@'"]),
    (H3 + "rx(2^3) q[0];", 5, 5, ["bitwise XOR", "'**'"]),
    (H3 + "if (c[0] == 1) { x q[0];", 5, 25, ["not closed"]),
    (H3 + "if (c[0]) qubit r;", 5, 11, ["not allowed inside a block"]),
    (H3 + "else x q[0];", 5, 1, ["'else' without a matching 'if'"]),
    (H3 + "qubit q;", 5, 7, ["'q' is already declared"]),
    (H3 + "qubit r;\nh r[0];", 6, 5, ["single qubit, not indexable"]),
    (H3 + "h $0;", 5, 3, ["physical qubits"]),
    (H3 + "measure q[0];", 5, 13, ["without a target"]),
    (H3 + "u(1, 2, 3) q[0];", 5, 1, ["unknown gate 'u'", "did you mean"]),
    (H3 + "sxdg q[0];", 5, 1, ["unknown gate 'sxdg'"]),
    (H3 + "input int n;", 5, 7, ["input of type 'int' is not supported"]),
    (H3 + 'bit[2] d = "011";', 5, 12, ["2 binary digit(s)"]),
    (H3 + "gate g(a) x { ctrl(2) @ ry(a) x; }", 5, 25, ["'ry' takes 3 qubit argument(s)"]),
    (H3 + "gate inv x { h x; }", 5, 6, ["gate modifier"]),
    ('OPENQASM 3;\ninclude "qelib1.inc";\nqubit q;\nfoo q;', 4, 1, ["unknown gate 'foo'"]),
    ("OPENQASM 3;\nqubit q;\nh q;", 3, 1, ["unknown gate 'h'", 'include "stdgates.inc"']),
    # a misspelt keyword is an unknown word where it starts, not a call with bad arguments
    # (these said "expected a qubit argument, found '{'" at column 11, and "expected ')'
    # after the parameters of 'whlie'")
    (
        H3 + "swich (c) { case 0 { x q[0]; } }",
        5,
        1,
        ["unknown statement or gate 'swich' (did you mean 'switch'?)"],
    ),
    (
        H3 + "whlie (c[0] == 0) { x q[0]; }",
        5,
        1,
        ["unknown statement or gate 'whlie' (did you mean 'while'?)"],
    ),
    (H3 + "mesure q[0];", 5, 1, ["unknown statement or gate 'mesure' (did you mean 'measure'?)"]),
    (H3 + "ctrl @ hx q[0], q[1];", 5, 8, ["unknown gate 'hx' (did you mean 'x'?)"]),
]


@pytest.mark.parametrize(("text", "line", "column", "words"), CASES_V2 + CASES_V3)
def test_qasm_error_location_and_message(
    text: str, line: int, column: int, words: list[str]
) -> None:
    with pytest.raises(QasmError) as info:
        loads(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    for w in words:
        assert w in err.message, (w, err.message)
    assert str(err).startswith(f"line {line}, column {column}: ")


def test_qasm_error_is_value_error() -> None:
    with pytest.raises(ValueError, match="unknown gate"):
        loads(H2 + "hx q[0];")


def test_qasm_error_rejects_non_text() -> None:
    with pytest.raises(QasmError, match="expected the program as a str"):
        loads(b"OPENQASM 2.0;")  # type: ignore[arg-type]
