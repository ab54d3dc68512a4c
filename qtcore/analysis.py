"""Quantities derived from states: Bloch vectors, entropies, fidelities, Pauli strings.

Pure Python; the heavy parts (reduced density matrices, marginals) come from the
kernel that holds the state, so these run the same under either kernel.
"""

from __future__ import annotations

import math

from qtcore.ops._matrix import Matrix

__all__ = [
    "bloch_from_rdm",
    "hermitian_eigvals",
    "parse_pauli",
    "purity",
    "von_neumann_entropy",
]


def bloch_from_rdm(rho: Matrix) -> tuple[float, float, float]:
    """The Bloch vector (x, y, z) of a single-qubit density matrix.

    ``rho = (I + x X + y Y + z Z) / 2``, so ``x = 2 Re rho01``, ``y = -2 Im rho01``
    and ``z = rho00 - rho11``.
    """
    r01 = rho[0][1]
    return (2 * r01.real, -2 * r01.imag, (rho[0][0] - rho[1][1]).real)


def purity(rho: Matrix) -> float:
    """``Tr(rho^2)``."""
    return math.fsum(abs(x) ** 2 for row in rho for x in row)


def hermitian_eigvals(rho: Matrix, tol: float = 1e-14, max_sweeps: int = 100) -> list[float]:
    """Eigenvalues of a Hermitian matrix, ascending (cyclic Jacobi; pure Python).

    A complex Hermitian ``A + iB`` is embedded as the real symmetric
    ``[[A, -B], [B, A]]``, whose spectrum is each eigenvalue twice.
    """
    n = len(rho)
    m = 2 * n
    a = [[0.0] * m for _ in range(m)]
    for i in range(n):
        for j in range(n):
            z = rho[i][j]
            a[i][j] = a[i + n][j + n] = z.real
            a[i + n][j] = z.imag
            a[i][j + n] = -z.imag
    for _ in range(max_sweeps):
        off = math.fsum(a[i][j] ** 2 for i in range(m) for j in range(m) if i != j)
        if off < tol * tol:
            break
        for p in range(m - 1):
            for q in range(p + 1, m):
                apq = a[p][q]
                if abs(apq) < 1e-300:
                    continue
                theta = (a[q][q] - a[p][p]) / (2 * apq)
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                s = t * c
                for k in range(m):
                    akp, akq = a[k][p], a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                for k in range(m):
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
    vals = sorted(a[i][i] for i in range(m))
    return [0.5 * (vals[2 * i] + vals[2 * i + 1]) for i in range(n)]


def von_neumann_entropy(rho: Matrix, base: float = 2.0) -> float:
    """``-Tr(rho log rho)`` in bits by default (eigenvalues below 1e-15 contribute 0)."""
    try:
        import numpy as np

        vals = [float(v) for v in np.linalg.eigvalsh(np.array(rho, dtype=complex))]
    except ImportError:
        vals = hermitian_eigvals(rho)
    return -math.fsum(v * math.log(v, base) for v in vals if v > 1e-15) + 0.0


def parse_pauli(pauli: str | dict[int, str], num_qubits: int) -> list[tuple[int, str]]:
    """``(qubit, letter)`` pairs of a Pauli string.

    Args:
        pauli: a string such as ``"XZI"`` (rightmost letter = qubit 0, like bitstrings),
            optionally with a leading ``+``/``-`` sign handled by the caller, or a dict
            ``{qubit: "X"}``.
        num_qubits: the state's qubit count.

    Raises:
        ValueError: for letters other than I, X, Y, Z or a length mismatch.
    """
    if isinstance(pauli, dict):
        items = sorted(pauli.items())
    else:
        if len(pauli) != num_qubits:
            raise ValueError(
                f"Pauli string {pauli!r} has {len(pauli)} letters for {num_qubits} qubits"
            )
        items = [(num_qubits - 1 - i, ch) for i, ch in enumerate(pauli)]
    out: list[tuple[int, str]] = []
    for q, ch in items:
        ch = ch.upper()
        if ch not in "IXYZ" or len(ch) != 1:
            raise ValueError(f"Pauli letter must be I, X, Y or Z, got {ch!r} on qubit {q}")
        if not 0 <= q < num_qubits:
            raise ValueError(f"qubit {q} out of range for {num_qubits} qubits")
        if ch != "I":
            out.append((q, ch))
    return out
