"""The small-matrix arithmetic gate fusion needs, with NumPy or in plain Python.

Gate fusion (:mod:`qtcore.sim._fusion`) decides how gates are grouped on its own; the
products it builds (``2**k x 2**k`` matrices with ``k`` at most 6, diagonals, permutation
tables of a qubit window) go through one of these two classes, which compute the same
things:

* :class:`NumpyAlgebra`: arrays, used wherever NumPy imports (the NumPy kernel's path,
  unchanged);
* :class:`PythonAlgebra`: lists of Python complex numbers, for fusing where NumPy is
  missing (Pyodide without a vendored NumPy). A matrix is a list of rows.

Both multiply the same factors in the same order; sums within one matrix product may
be added in a different order, so their results agree to rounding (about 1e-16).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from qtcore.ops import Gate

__all__ = ["Algebra", "NumpyAlgebra", "PythonAlgebra", "algebra"]

Factor = tuple[Any, tuple[int, ...], set[int]]  # diagonal, its qubits, its control qubits


class Algebra:
    """What fusion asks of its arithmetic (see the two implementations)."""

    name = ""

    def gate_matrix(self, gate: Gate) -> Any:
        """The gate's full matrix (equal gates may share it; never modified)."""
        raise NotImplementedError

    def gate_diagonal(self, gate: Gate) -> tuple[Any, list[int]]:
        """A diagonal gate's diagonal and the positions where it acts as a control."""
        raise NotImplementedError

    def identity1(self) -> Any:
        """The 1x1 identity (an empty matrix group)."""
        raise NotImplementedError

    def matmul(self, a: Any, b: Any) -> Any:
        """``a @ b`` for two matrices of the same size."""
        raise NotImplementedError

    def dim(self, m: Any) -> int:
        """The number of rows of ``m``."""
        raise NotImplementedError

    def widen(self, m: Any, reps: int) -> Any:
        """``kron(I_reps, m)``: ``m`` with ``log2(reps)`` new most significant bits."""
        raise NotImplementedError

    def left_multiply(self, m: Any, g: Any, positions: Sequence[int], width: int) -> Any:
        """``G @ m``, ``G`` = ``g`` with bit ``j`` of its index at ``positions[j]`` of ``width``."""
        raise NotImplementedError

    def scale_rows(self, m: Any, d: Any, positions: Sequence[int], width: int) -> Any:
        """``diag(D) @ m``, ``D`` = the diagonal ``d`` widened as in :meth:`left_multiply`."""
        raise NotImplementedError

    def diagonal_controls(self, d: Any, k: int) -> list[int]:
        """Positions ``j`` where ``d`` is exactly 1 whenever bit ``j`` is 0."""
        raise NotImplementedError

    def diagonal_product(self, factors: Sequence[Factor], qubits: Sequence[int]) -> Any:
        """The product of diagonal factors, bit ``j`` of its index at ``qubits[j]``."""
        raise NotImplementedError

    def window_table(self, gates: Sequence[tuple[Gate, tuple[int, ...]]], lo: int, w: int) -> Any:
        """The source table (``new[i] = old[t[i]]``) of permutation gates on ``[lo, lo+w)``."""
        raise NotImplementedError


class NumpyAlgebra(Algebra):
    """Fusion's arithmetic on NumPy arrays (complex128)."""

    name = "numpy"

    def __init__(self) -> None:
        import numpy as np

        from qtcore.sim import _dense

        self.np = np
        self.dense = _dense
        self.gate_matrix = lru_cache(maxsize=4096)(self._gate_matrix)  # type: ignore[method-assign]
        self.gate_diagonal = lru_cache(maxsize=4096)(self._gate_diagonal)  # type: ignore[method-assign]

    def _gate_matrix(self, gate: Gate) -> Any:
        return self.dense.as_array(gate.matrix(), "<c16")

    def _gate_diagonal(self, gate: Gate) -> tuple[Any, list[int]]:
        d = self.np.diagonal(self.gate_matrix(gate)).copy()
        d.flags.writeable = False
        return d, self.dense.diagonal_controls(d, len(d).bit_length() - 1)

    def identity1(self) -> Any:
        return self.np.ones((1, 1), self.np.complex128)

    def matmul(self, a: Any, b: Any) -> Any:
        return a @ b

    def dim(self, m: Any) -> int:
        return int(m.shape[0])

    def widen(self, m: Any, reps: int) -> Any:
        np = self.np
        dim = m.shape[0]
        out = np.zeros((reps, dim, reps, dim), dtype=np.complex128)
        r = np.arange(reps)
        out[r, :, r, :] = m
        return out.reshape(reps * dim, reps * dim)

    def left_multiply(self, m: Any, g: Any, positions: Sequence[int], width: int) -> Any:
        return self.dense.embed_matrix(g, positions, width) @ m

    def scale_rows(self, m: Any, d: Any, positions: Sequence[int], width: int) -> Any:
        return self.dense.embed_diagonal(d, positions, width)[:, None] * m

    def diagonal_controls(self, d: Any, k: int) -> list[int]:
        return self.dense.diagonal_controls(d, k)

    def diagonal_product(self, factors: Sequence[Factor], qubits: Sequence[int]) -> Any:
        np = self.np
        qubits = list(qubits)
        width = len(qubits)
        out = np.ones(1 << width, dtype=np.complex128)
        grid = out.reshape((2,) * width)
        for d, qs, ctrl in factors:
            pos = [qubits.index(q) for q in qs]
            if len(ctrl) == len(qs):  # CZ, CP, MCP: one phase where every bit is 1
                idx: list[Any] = [slice(None)] * width
                for j in pos:
                    idx[width - 1 - j] = 1
                grid[tuple(idx)] *= d[-1]
            else:
                out *= self.dense.embed_diagonal(d, pos, width)
        return out

    def window_table(self, gates: Sequence[tuple[Gate, tuple[int, ...]]], lo: int, w: int) -> Any:
        src = self.np.arange(1 << w, dtype=self.np.intp)
        for g, qs in gates:
            local = [next(c for c, x in enumerate(row) if x != 0) for row in g.matrix()]
            src = src[self.dense.window_source(local, [q - lo for q in qs], w)]
        return src


@lru_cache(maxsize=512)
def _sub_index(width: int, positions: tuple[int, ...]) -> tuple[int, ...]:
    """For each ``width``-bit index, the index read at ``positions`` (bit ``j`` at ``positions[j]``)."""
    sub = [0]
    coef = [0] * width
    for j, p in enumerate(positions):
        coef[p] = 1 << j
    for c in coef:  # bit b doubles the table: the upper half adds coef[b]
        sub += [x + c for x in sub]
    return tuple(sub)


@lru_cache(maxsize=512)
def _spread(positions: tuple[int, ...]) -> tuple[int, ...]:
    """For each ``k``-bit index, its bits placed at ``positions``."""
    k = len(positions)
    return tuple(sum(1 << positions[j] for j in range(k) if a >> j & 1) for a in range(1 << k))


class PythonAlgebra(Algebra):
    """Fusion's arithmetic on lists of Python complex numbers (a matrix: a list of rows)."""

    name = "python"

    def __init__(self) -> None:
        self.gate_matrix = lru_cache(maxsize=4096)(self._gate_matrix)  # type: ignore[method-assign]
        self.gate_diagonal = lru_cache(maxsize=4096)(self._gate_diagonal)  # type: ignore[method-assign]

    def _gate_matrix(self, gate: Gate) -> Any:
        return tuple(tuple(complex(z) for z in row) for row in gate.matrix())

    def _gate_diagonal(self, gate: Gate) -> tuple[Any, list[int]]:
        m = self.gate_matrix(gate)
        d = tuple(m[i][i] for i in range(len(m)))
        return d, self.diagonal_controls(d, len(d).bit_length() - 1)

    def identity1(self) -> Any:
        return [[1 + 0j]]

    def matmul(self, a: Any, b: Any) -> Any:
        cols = list(zip(*b))
        return [[sum(x * y for x, y in zip(row, col)) for col in cols] for row in a]

    def dim(self, m: Any) -> int:
        return len(m)

    def widen(self, m: Any, reps: int) -> Any:
        dim = len(m)
        out: list[list[complex]] = []
        for r in range(reps):
            left, right = [0j] * (r * dim), [0j] * ((reps - 1 - r) * dim)
            out.extend(left + list(row) + right for row in m)
        return out

    def left_multiply(self, m: Any, g: Any, positions: Sequence[int], width: int) -> Any:
        spread = _spread(tuple(positions))
        mask = spread[-1]
        terms = [[(b, z) for b, z in enumerate(row) if z != 0] for row in g]  # gates are sparse
        out: list[Any] = [None] * len(m)
        for base in range(1 << width):
            if base & mask:
                continue
            rows = [m[base | s] for s in spread]  # the rows G mixes
            for a, s in enumerate(spread):
                t = terms[a]
                if not t:
                    new = [0j] * len(rows[0])
                elif len(t) == 1:
                    (b0, z0), r0 = t[0], rows[t[0][0]]
                    new = list(r0) if z0 == 1 else [z0 * x for x in r0]
                elif len(t) == 2:
                    (b0, z0), (b1, z1) = t
                    new = [z0 * x + z1 * y for x, y in zip(rows[b0], rows[b1])]
                else:
                    new = [
                        sum(z * x for (_, z), x in zip(t, col))
                        for col in zip(*(rows[b] for b, _ in t))
                    ]
                out[base | s] = new
        return out

    def scale_rows(self, m: Any, d: Any, positions: Sequence[int], width: int) -> Any:
        sub = _sub_index(width, tuple(positions))
        return [[d[sub[r]] * z for z in row] for r, row in enumerate(m)]

    def diagonal_controls(self, d: Any, k: int) -> list[int]:
        vals = list(d)
        return [j for j in range(k) if all(vals[i] == 1 for i in range(1 << k) if not i >> j & 1)]

    def diagonal_product(self, factors: Sequence[Factor], qubits: Sequence[int]) -> Any:
        qubits = list(qubits)
        width = len(qubits)
        out = [1 + 0j] * (1 << width)
        for d, qs, ctrl in factors:
            pos = [qubits.index(q) for q in qs]
            if len(ctrl) == len(qs):  # CZ, CP, MCP: one phase where every bit is 1
                mask = sum(1 << j for j in pos)
                phase = d[-1]
                for r in _spread(tuple(j for j in range(width) if not mask >> j & 1)):
                    out[r | mask] *= phase
            else:
                sub = _sub_index(width, tuple(pos))
                out = [z * d[sub[i]] for i, z in enumerate(out)]
        return out

    def window_table(self, gates: Sequence[tuple[Gate, tuple[int, ...]]], lo: int, w: int) -> Any:
        src = list(range(1 << w))
        for g, qs in gates:
            local = [next(c for c, x in enumerate(row) if x != 0) for row in g.matrix()]
            positions = tuple(q - lo for q in qs)
            sub = _sub_index(w, positions)
            spread = _spread(positions)
            mask = spread[-1]
            table = [(i & ~mask) | spread[local[sub[i]]] for i in range(1 << w)]
            src = [src[t] for t in table]  # new[i] = prev[gate[i]]
        return src


_ALGEBRAS: dict[str, Algebra] = {}


def algebra(use_numpy: bool | None = None) -> Algebra:
    """The arithmetic to fuse with: NumPy's where it imports (or ``use_numpy``), else Python's.

    Raises:
        ImportError: ``use_numpy`` is True and NumPy does not import.
    """
    if use_numpy is None:
        try:
            import numpy  # noqa: F401
        except ImportError:
            use_numpy = False
        else:
            use_numpy = True
    key = "numpy" if use_numpy else "python"
    got = _ALGEBRAS.get(key)
    if got is None:
        got = _ALGEBRAS[key] = NumpyAlgebra() if use_numpy else PythonAlgebra()
    return got
