"""OpenQASM 2.0 and 3 import and export.

>>> from qtcore import qasm
>>> circuit = qasm.loads('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0], q[1];')
>>> print(qasm.dumps(circuit, version=3))  # doctest: +SKIP

``loads`` reads OpenQASM 2.0 (``qelib1.inc``, registers, custom gates, measure, reset,
barrier, ``if``) and the dynamic-circuit subset of OpenQASM 3 (``stdgates.inc``,
``qubit[n]``, ``bit[n]``, ``c[i] = measure q[i]``, gate definitions, the modifiers ``inv``,
``ctrl``, ``negctrl`` and integer ``pow``, ``input float`` parameters, and classical control
flow: ``bit``/``int``/``uint``/``bool``/``float``/``angle`` variables with assignment and
arithmetic, ``const``, ``let`` aliases with slices and ``++``, ``if``/``else`` on any boolean
expression, ``for`` over ranges and sets, ``while`` (capped at
:data:`~qtcore.qasm._parse_control.MAX_ITERATIONS` passes), ``switch``, ``def``
subroutines (expanded at each call), ``box``, ``delay``, ``measure`` inside expressions).
Blocks stay structured (:mod:`qtcore.control`) and are written back by ``dumps(c, 3)``; a
simple ``if`` on a bit or register keeps the flat per-instruction condition. A ``for`` loop whose
body addresses qubits or bits with the loop variable (``cx d[i], a[i]``) is read once per
value of its (constant) range instead: the same gates for every shot. Not read:
``break``/``continue``, ``extern``, ``defcal``, arrays, ``output``, qubit indices that
depend on run-time values (each fails with its line and column).
Every syntax or semantic error is a :class:`~qtcore.errors.QasmError` naming the line
and column of the offending token.
"""

from __future__ import annotations

import os

from qtcore.circuit import Circuit
from qtcore.errors import QasmError
from qtcore.qasm._exporter import export
from qtcore.qasm._parser import parse

__all__ = ["dump", "dumps", "load", "loads"]


def loads(text: str, *, blocks: bool = False) -> Circuit:
    """Reads an OpenQASM program.

    The version comes from the ``OPENQASM 2.0;`` / ``OPENQASM 3;`` header; a program
    without one is read as OpenQASM 3 (as that specification allows).

    Args:
        text: the program's source.
        blocks: keep every OpenQASM 3 ``if`` with a braced body, ``if (c[0] == 1) { x q; }``,
            as an ``if`` block (:class:`~qtcore.control.IfElse`). By default a simple one
            (a bit or register compared with a value, a body of gates, measurements and
            resets) becomes a condition on each of its instructions. An ``if`` without
            braces, ``if (c[0] == 1) x q;`` (what :func:`dumps` writes for a condition on
            one instruction), is a condition either way, so with ``blocks=True`` a circuit
            :func:`dumps` wrote reads back with its blocks and conditions as they were.

    Returns:
        The circuit, with ``qregs``/``cregs`` in declaration order (flat indices follow
        that order; qubit 0 is the first qubit of the first register).

    Raises:
        QasmError: for any syntax or semantic error, with its 1-based line and column.
    """
    return parse(text, blocks=blocks)


def load(path: str | os.PathLike[str]) -> Circuit:
    """Reads an OpenQASM program from the file at ``path`` (UTF-8).

    Only the built-in ``qelib1.inc`` and ``stdgates.inc`` can be included.
    """
    with open(path, encoding="utf-8") as f:
        return loads(f.read())


def dumps(circuit: Circuit, version: int | str = 2) -> str:
    """Writes ``circuit`` as an OpenQASM program.

    Args:
        circuit: the circuit to export.
        version: 2 (OpenQASM 2.0 with ``qelib1.inc``), 3 (OpenQASM 3 with
            ``stdgates.inc``) or ``"auto"``: version 2 when it can express the circuit,
            else version 3 (e.g. a condition on a single bit).

    Returns:
        The program text; :func:`loads` reads it back to a circuit with the same unitary,
        measurements and conditions.

    Raises:
        QasmError: when the circuit cannot be expressed (a multi-qubit
            :class:`~qtcore.UnitaryGate`, a condition on bits that are not a whole
            register in version 2, an unbound parameter in version 2, ...).
    """
    if version == "auto":
        try:
            return export(circuit, 2)
        except QasmError:
            return export(circuit, 3)
    if isinstance(version, bool) or not isinstance(version, int):
        raise QasmError(f"OpenQASM version must be 2, 3 or 'auto', got {version!r}")
    return export(circuit, version)


def dump(circuit: Circuit, path: str | os.PathLike[str], version: int | str = 2) -> None:
    """Writes :func:`dumps` output to the file at ``path`` (UTF-8)."""
    text = dumps(circuit, version)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
