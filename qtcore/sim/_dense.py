"""NumPy helpers for small dense operators, shared by the NumPy kernel and gate fusion.

Tables here are tiny next to a state (at most ``2**18`` entries), cached where they are
rebuilt often, and read-only once cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from qtcore.ops._matrix import Matrix

__all__ = [
    "as_array",
    "diagonal_controls",
    "embed_diagonal",
    "embed_matrix",
    "sub_index",
    "window_source",
]


@lru_cache(maxsize=512)
def sub_index(size_bits: int, positions: tuple[int, ...]) -> Any:
    """For each index of a ``size_bits``-bit space, the k-bit index read at ``positions``.

    Built by doubling (bit ``b`` of the index adds ``1 << j`` when ``b == positions[j]``):
    about ``2**(size_bits + 1)`` element writes in all, so an 18-bit table costs well
    under a millisecond.
    """
    coef = [0] * size_bits
    for j, p in enumerate(positions):
        coef[p] = 1 << j
    sub = np.zeros(1 << size_bits, dtype=np.intp)
    for b, c in enumerate(coef):
        half = 1 << b
        np.add(sub[:half], c, out=sub[half : 2 * half])
    sub.flags.writeable = False
    return sub


@lru_cache(maxsize=512)
def _embed_plan(width: int, positions: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """Row/column gather indices and the same-other-bits mask of :func:`embed_matrix`."""
    sub = sub_index(width, positions)
    mask = sum(1 << p for p in positions)
    rest = np.arange(1 << width) & ~mask
    same = rest[:, None] == rest[None, :]
    same.flags.writeable = False
    return sub[:, None], sub[None, :], same


def embed_matrix(m: Any, positions: Sequence[int], width: int) -> Any:
    """Widens ``m`` (bit ``j`` of its index at bit ``positions[j]``) to ``width`` bits.

    The result acts as the identity on the other bits. ``positions`` may be in any
    order, so this also reorders a matrix's qubits.

    Args:
        m: a ``2**k x 2**k`` array.
        positions: ``k`` distinct bit positions in ``range(width)``.
        width: number of bits of the result.

    Returns:
        The ``2**width x 2**width`` array.
    """
    rows, cols, same = _embed_plan(width, tuple(positions))
    out = m[rows, cols]
    out *= same
    return out


def embed_diagonal(d: Any, positions: Sequence[int], width: int) -> Any:
    """Widens the diagonal ``d`` (bit ``j`` at bit ``positions[j]``) to ``width`` bits."""
    return d[sub_index(width, tuple(positions))]


@lru_cache(maxsize=1024)
def as_array(m: Matrix, dtype: str) -> Any:
    """``m`` as a read-only array of ``dtype`` (equal matrices share one)."""
    a = np.array(m, dtype=dtype)
    a.flags.writeable = False
    return a


def diagonal_controls(d: Any, k: int) -> list[int]:
    """Positions ``j`` (bit ``j`` of ``d``'s index) where ``d`` is exactly 1 when bit ``j`` is 0."""
    if k == 0:
        return []
    if k <= 6:  # small tables (every gate's own diagonal): plain Python is cheaper
        vals = d.tolist()
        return [j for j in range(k) if all(vals[i] == 1 for i in range(1 << k) if not i >> j & 1)]
    t = d.reshape((2,) * k)
    return [j for j in range(k) if bool(np.all(t.take(0, axis=k - 1 - j) == 1))]


def window_source(src: Sequence[int], positions: Sequence[int], width: int) -> Any:
    """A permutation gate's source table widened to a ``width``-bit window.

    ``src`` is the gate's own table over its qubits (``new[r] = old[src[r]]``, controls
    included), bit ``j`` of its index sits at bit ``positions[j]`` of the window; the
    other bits are kept. Returns the window's table, ``new[i] = old[table[i]]``.
    """
    idx = np.arange(1 << width, dtype=np.intp)
    moved = np.asarray(src, dtype=np.intp)[sub_index(width, tuple(positions))]
    table = idx.copy()
    for j, p in enumerate(positions):
        table &= ~(1 << p)
        table |= ((moved >> j) & 1) << p
    return table
