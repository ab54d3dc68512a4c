"""Small dense-matrix helpers in pure Python (tuples of tuples of complex).

Gate matrices are tiny (at most 2**k x 2**k for a k-qubit gate), so these need no
NumPy and behave identically in CPython and Pyodide.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence

__all__ = [
    "Matrix",
    "apply_on_qubits",
    "dagger",
    "expi",
    "identity",
    "is_diagonal",
    "is_permutation",
    "is_unitary",
    "kron",
    "matmul",
    "permutation_cycles",
    "to_matrix",
]

Matrix = tuple[tuple[complex, ...], ...]


def identity(dim: int) -> Matrix:
    """The ``dim`` x ``dim`` identity."""
    return tuple(tuple(1.0 + 0j if i == j else 0j for j in range(dim)) for i in range(dim))


def to_matrix(rows: Sequence[Sequence[complex | float | int]]) -> Matrix:
    """Converts nested sequences (or a NumPy array) to a square :data:`Matrix`.

    Raises:
        ValueError: when the rows are ragged, not square, or hold non-numbers.
    """
    out = []
    n = len(rows)
    for i, row in enumerate(rows):
        r = tuple(complex(x) for x in row)
        if len(r) != n:
            raise ValueError(f"matrix must be square: row {i} has {len(r)} entries, expected {n}")
        out.append(r)
    return tuple(out)


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """The product ``a @ b``."""
    bt = tuple(zip(*b, strict=True))
    return tuple(
        tuple(sum(x * y for x, y in zip(row, col, strict=True)) for col in bt) for row in a
    )


def dagger(a: Matrix) -> Matrix:
    """The conjugate transpose of ``a``."""
    return tuple(tuple(x.conjugate() for x in col) for col in zip(*a, strict=True))


def kron(a: Matrix, b: Matrix) -> Matrix:
    """The Kronecker product ``a ⊗ b`` (``a`` acts on the more significant bits)."""
    return tuple(tuple(x * y for x in ra for y in rb) for ra in a for rb in b)


def apply_on_qubits(m: Matrix, qubits: Sequence[int], vec: list[complex]) -> None:
    """Multiplies ``vec`` (``2**n`` amplitudes) in place by ``m`` acting on ``qubits``.

    Bit ``j`` of ``m``'s index is qubit ``qubits[j]``; the other qubits are untouched.
    Plain Python for small ``n`` (a gate's own definition, at most a few qubits).
    """
    k = len(qubits)
    dim = 1 << k
    offs = [sum(((i >> j) & 1) << q for j, q in enumerate(qubits)) for i in range(dim)]
    mask = sum(1 << q for q in qubits)
    for base in range(len(vec)):
        if base & mask:
            continue
        sub = [vec[base + o] for o in offs]
        for r in range(dim):
            vec[base + offs[r]] = sum(x * y for x, y in zip(m[r], sub, strict=True))


def is_unitary(a: Matrix, atol: float = 1e-10) -> bool:
    """True when ``a @ a†`` equals the identity within ``atol`` (entry-wise)."""
    n = len(a)
    prod = matmul(a, dagger(a))
    return all(
        abs(prod[i][j] - (1.0 if i == j else 0.0)) <= atol for i in range(n) for j in range(n)
    )


def is_diagonal(a: Matrix, atol: float = 0.0) -> bool:
    """True when every off-diagonal entry is within ``atol`` of zero."""
    return all(abs(a[i][j]) <= atol for i in range(len(a)) for j in range(len(a)) if i != j)


def is_permutation(a: Matrix) -> bool:
    """True when ``a`` is a 0/1 permutation matrix."""
    for row in a:
        ones = [x for x in row if x != 0]
        if len(ones) != 1 or ones[0] != 1:
            return False
    return all(sum(1 for x in col if x != 0) == 1 for col in zip(*a, strict=True))


def expi(phi: float) -> complex:
    """``e^{i phi}`` with exact values at multiples of pi/2 (no 6e-17 residues)."""
    q = phi / (math.pi / 2)
    if q == round(q):
        return (1 + 0j, 1j, -1 + 0j, -1j)[round(q) % 4]
    return cmath.exp(1j * phi)


def permutation_cycles(src: list[int]) -> list[list[int]]:
    """The cycles (length >= 2) of the mapping ``i -> src[i]``.

    For a permutation matrix with ``m[r][src[r]] == 1``, moving amplitudes along each cycle
    (``new[c0] = old[c1], new[c1] = old[c2], ..., new[ck] = old[c0]``) applies the matrix.
    """
    seen = [False] * len(src)
    cycles: list[list[int]] = []
    for start in range(len(src)):
        if seen[start] or src[start] == start:
            continue
        cycle = [start]
        seen[start] = True
        nxt = src[start]
        while nxt != start:
            cycle.append(nxt)
            seen[nxt] = True
            nxt = src[nxt]
        cycles.append(cycle)
    return cycles
