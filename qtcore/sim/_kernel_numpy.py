"""The NumPy state-vector kernel.

The state is a contiguous ``complex128`` array of length ``2**n``. A k-qubit gate is
applied through views of the state reshaped to ``(2,)*n`` (axis ``n-1-q`` is qubit
``q``), never by building a ``2**n x 2**n`` matrix. Controls are taken as a basic
-indexing view (control axes fixed at 1), so a controlled gate touches only the
amplitudes it changes; diagonal gates are scaled in place and permutations are
swaps of sub-views.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix
from qtcore.rng import Rng

__all__ = ["NumpyKernel"]

State = Any  # np.ndarray[complex128]


@lru_cache(maxsize=1024)
def _array(m: Matrix) -> Any:
    return np.array(m, dtype=np.complex128)


def _view_and_axes(
    s: State, n: int, controls: Sequence[int], targets: Sequence[int]
) -> tuple[Any, list[int]]:
    t = s.reshape((2,) * n)
    if not controls:
        return t, [n - 1 - q for q in targets]
    idx: list[Any] = [slice(None)] * n
    for c in controls:
        idx[n - 1 - c] = 1
    view = t[tuple(idx)]
    axes = [(n - 1 - q) - sum(1 for c in controls if c > q) for q in targets]
    return view, axes


def _sub(view: Any, axes: Sequence[int], bits: Sequence[int]) -> Any:
    idx: list[Any] = [slice(None)] * view.ndim
    for a, b in zip(axes, bits, strict=True):
        idx[a] = b
    return view[(*idx, Ellipsis)]  # Ellipsis keeps a 0-d result a writable view


class NumpyKernel:
    """State-vector operations on NumPy arrays."""

    name = "numpy"

    def zeros(self, n: int) -> State:
        s = np.zeros(1 << n, dtype=np.complex128)
        s[0] = 1.0
        return s

    def from_amplitudes(self, amps: Sequence[complex]) -> State:
        return np.array(amps, dtype=np.complex128)

    def copy(self, s: State) -> State:
        return s.copy()

    def to_list(self, s: State) -> list[complex]:
        return [complex(z) for z in s.tolist()]

    # ------------------------------------------------------------ gates
    def apply_gate(self, s: State, n: int, gate: Gate, qubits: Sequence[int]) -> State:
        nc = gate.num_controls
        return self._apply(s, n, qubits[:nc], qubits[nc:], gate.base_matrix(), gate.structure)

    def apply_matrix(self, s: State, n: int, m: Matrix, qubits: Sequence[int]) -> State:
        """Applies a (not necessarily unitary) matrix on ``qubits`` (first = LSB)."""
        return self._apply(s, n, (), qubits, m, "general")

    def _apply(
        self,
        s: State,
        n: int,
        controls: Sequence[int],
        targets: Sequence[int],
        m: Matrix,
        structure: str,
    ) -> State:
        view, axes = _view_and_axes(s, n, controls, targets)
        k = len(targets)
        if structure == "diagonal":
            for idx in range(1 << k):
                d = m[idx][idx]
                if d != 1:
                    sub = _sub(view, axes, [(idx >> j) & 1 for j in range(k)])
                    sub *= d
            return s
        if k == 1:
            v0 = _sub(view, axes, (0,))
            v1 = _sub(view, axes, (1,))
            if structure == "permutation":
                tmp = v0.copy()
                v0[...] = v1
                v1[...] = tmp
                return s
            (a, b), (c, d) = m
            new0 = v0 * a
            new0 += v1 * b
            v1 *= d
            v1 += v0 * c
            v0[...] = new0
            return s
        if structure == "permutation" and k == 2 and m[1][2] == 1:  # swap
            v01 = _sub(view, axes, (1, 0))
            v10 = _sub(view, axes, (0, 1))
            tmp = v01.copy()
            v01[...] = v10
            v10[...] = tmp
            return s
        mt = _array(m).reshape((2,) * (2 * k))
        # matrix row/col axes run from bit k-1 down to bit 0
        in_axes = [axes[k - 1 - i] for i in range(k)]
        res = np.tensordot(mt, view, axes=(list(range(k, 2 * k)), in_axes))
        view[...] = np.moveaxis(res, list(range(k)), in_axes)
        return s

    # ------------------------------------------------------------ measurement
    def probabilities(self, s: State) -> Any:
        return s.real * s.real + s.imag * s.imag

    def prob_one(self, s: State, n: int, q: int) -> float:
        v = s.reshape(-1, 2, 1 << q)[:, 1, :]
        return float(np.vdot(v, v).real)

    def collapse(self, s: State, n: int, q: int, outcome: int, prob: float) -> State:
        v = s.reshape(-1, 2, 1 << q)
        v[:, 1 - outcome, :] = 0
        v[:, outcome, :] *= 1.0 / np.sqrt(prob)
        return s

    def norm_sq(self, s: State) -> float:
        return float(np.vdot(s, s).real)

    def scale(self, s: State, factor: complex) -> State:
        s *= factor
        return s

    def inner(self, a: State, b: State) -> complex:
        """``<a|b>``."""
        return complex(np.vdot(a, b))

    def sample(self, probs: Any, shots: int, rng: Rng) -> list[int]:
        """``shots`` basis indices drawn from ``probs`` with one uniform per shot."""
        cum = np.cumsum(np.asarray(probs, dtype=np.float64))
        u = np.array(rng.randoms(shots), dtype=np.float64) * cum[-1]
        idx = np.searchsorted(cum, u, side="right")
        return [int(i) for i in np.minimum(idx, len(cum) - 1)]

    def marginal(self, s: State, n: int, qargs: Sequence[int]) -> list[float]:
        """Probabilities of ``qargs`` (``qargs[0]`` is the least significant bit)."""
        p = self.probabilities(s).reshape((2,) * n)
        keep = [n - 1 - q for q in reversed(qargs)]
        other = tuple(a for a in range(n) if a not in keep)
        summed = p.sum(axis=other) if other else p
        # remaining axes are in increasing axis order; reorder to keep's order
        order = sorted(keep)
        summed = np.transpose(summed, [order.index(a) for a in keep])
        return [float(x) for x in summed.reshape(-1)]

    def reduced_density_matrix(self, s: State, n: int, qargs: Sequence[int]) -> Matrix:
        """Partial trace over every qubit not in ``qargs`` (``qargs[0]`` = LSB)."""
        k = len(qargs)
        t = s.reshape((2,) * n)
        keep = [n - 1 - q for q in reversed(qargs)]
        rest = [a for a in range(n) if a not in keep]
        a = np.transpose(t, keep + rest).reshape(1 << k, -1)
        rho = a @ a.conj().T
        return tuple(tuple(complex(x) for x in row) for row in rho.tolist())
