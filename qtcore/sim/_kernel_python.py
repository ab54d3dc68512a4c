"""The pure-Python state-vector kernel (no NumPy), for the bare Pyodide runtime.

The state is a ``list[complex]`` of length ``2**n``; qubit ``q`` is bit ``q`` of the
index. Single-qubit gates work on whole list slices with comprehensions (far faster
than per-amplitude indexing in CPython and Pyodide); controlled and multi-qubit
gates visit precomputed base indices, cached per qubit layout.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING

from qtcore.errors import SimulationError
from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix, permutation_cycles, to_matrix
from qtcore.rng import Rng
from qtcore.sim._kernel import Bloch, FusionProfile, Kernel, TopStates
from qtcore.sim._reduce import bloch_and_marginals, top_states

__all__ = ["PythonKernel"]

State = list[complex]
_BASES: dict[tuple[int, tuple[int, ...], tuple[int, ...]], list[int]] = {}


def _bases(n: int, controls: tuple[int, ...], targets: tuple[int, ...]) -> list[int]:
    key = (n, controls, targets)
    got = _BASES.get(key)
    if got is None:
        cm = sum(1 << c for c in controls)
        mask = cm | sum(1 << t for t in targets)
        got = [i for i in range(1 << n) if i & mask == cm]
        if len(_BASES) > 512:
            _BASES.clear()
        _BASES[key] = got
    return got


def _offsets(targets: Sequence[int]) -> list[int]:
    k = len(targets)
    return [sum(((idx >> j) & 1) << targets[j] for j in range(k)) for idx in range(1 << k)]


class PythonKernel:
    """State-vector operations on ``list[complex]``."""

    name = "python"
    fusion: FusionProfile | None = None  # every pass is a Python loop: nothing to gain

    # ------------------------------------------------------------ construction
    def zeros(self, n: int) -> State:
        return self.basis_state(n, 0)

    def basis_state(self, n: int, index: int) -> State:
        s = [0j] * (1 << n)
        s[index] = 1 + 0j
        return s

    def num_qubits(self, s: State) -> int:
        return len(s).bit_length() - 1

    def from_amplitudes(self, amps: Sequence[complex]) -> State:
        return [complex(a) for a in amps]

    def copy(self, s: State) -> State:
        return list(s)

    def to_list(self, s: State) -> list[complex]:
        return list(s)

    # ------------------------------------------------------------ gates
    def apply_gate(self, s: State, n: int, gate: Gate, qubits: Sequence[int]) -> State:
        nc = gate.num_controls
        controls = tuple(qubits[:nc])
        targets = tuple(qubits[nc:])
        base = gate.base_matrix()
        structure = gate.structure
        if not controls and len(targets) == 1:
            if structure == "diagonal":
                return self._diag1(s, targets[0], base[0][0], base[1][1])
            return self._apply1(s, targets[0], base)
        return self._apply_general(s, n, controls, targets, base, structure)

    def apply_matrix(
        self, s: State, n: int, m: Sequence[Sequence[complex]], qubits: Sequence[int]
    ) -> State:
        """Applies a (not necessarily unitary) matrix on ``qubits`` (first = LSB)."""
        if not isinstance(m, tuple):  # a list or an array: Python complex entries
            m = to_matrix(m)
        if len(qubits) == 1:
            return self._apply1(s, qubits[0], m)
        return self._apply_general(s, n, (), tuple(qubits), m, "general")

    def apply_diagonal(
        self, s: State, n: int, d: Sequence[complex], qubits: Sequence[int]
    ) -> State:
        """Multiplies by the diagonal ``d`` (length ``2**k``) on ``qubits`` (first = LSB)."""
        vals = [complex(x) for x in d]
        if len(qubits) == 1:
            return self._diag1(s, qubits[0], vals[0], vals[1])
        offs = _offsets(qubits)
        for b in _bases(n, (), tuple(qubits)):
            for o, x in zip(offs, vals):
                if x != 1:
                    s[b + o] *= x
        return s

    def apply_permutation(self, s: State, n: int, src: Sequence[int], lo: int) -> State:
        """Moves amplitudes within the window ``[lo, lo + w)``: ``new[i] = old[src[i]]``."""
        table = [int(x) for x in src]
        w = len(table).bit_length() - 1
        if len(table) != 1 << w or lo + w > n:
            raise SimulationError(f"window [{lo}, {lo + w}) does not fit {n} qubits")
        targets = tuple(range(lo, lo + w))
        return self._move(s, _bases(n, (), targets), _offsets(targets), table)

    def _apply1(self, s: State, q: int, m: Matrix) -> State:
        (a, b), (c, d) = m
        stride = 1 << q
        block = stride << 1
        size = len(s)
        if stride >= size // block:
            for start in range(0, size, block):
                mid = start + stride
                end = start + block
                x = s[start:mid]
                y = s[mid:end]
                s[start:mid] = [a * u + b * v for u, v in zip(x, y)]
                s[mid:end] = [c * u + d * v for u, v in zip(x, y)]
        else:
            for off in range(stride):
                x = s[off::block]
                y = s[off + stride :: block]
                s[off::block] = [a * u + b * v for u, v in zip(x, y)]
                s[off + stride :: block] = [c * u + d * v for u, v in zip(x, y)]
        return s

    def _diag1(self, s: State, q: int, d0: complex, d1: complex) -> State:
        stride = 1 << q
        block = stride << 1
        size = len(s)
        for half, d in ((0, d0), (stride, d1)):
            if d == 1:
                continue
            if stride >= size // block:
                for start in range(half, size, block):
                    s[start : start + stride] = [d * u for u in s[start : start + stride]]
            else:
                for off in range(half, half + stride):
                    s[off::block] = [d * u for u in s[off::block]]
        return s

    def _apply_general(
        self,
        s: State,
        n: int,
        controls: tuple[int, ...],
        targets: tuple[int, ...],
        m: Matrix,
        structure: str,
    ) -> State:
        bases = _bases(n, controls, targets)
        offs = _offsets(targets)
        dim = len(offs)
        if structure == "diagonal":
            for idx in range(dim):
                d = m[idx][idx]
                if d != 1:
                    o = offs[idx]
                    for b in bases:
                        s[b + o] *= d
            return s
        if structure == "permutation" and dim == 2:
            o = offs[1]
            for b in bases:
                j = b + o
                s[b], s[j] = s[j], s[b]
            return s
        if structure == "permutation":
            return self._permute(s, bases, offs, m)
        if dim == 2:
            (a, bb), (c, d) = m
            o = offs[1]
            for b in bases:
                j = b + o
                u, v = s[b], s[j]
                s[b] = a * u + bb * v
                s[j] = c * u + d * v
            return s
        if dim == 4:
            return self._apply4(s, bases, offs, m)
        rows = [[(col, x) for col, x in enumerate(row) if x != 0] for row in m]
        for b in bases:
            vals = [s[b + o] for o in offs]
            for r in range(dim):
                s[b + offs[r]] = sum(x * vals[col] for col, x in rows[r])
        return s

    def _permute(self, s: State, bases: list[int], offs: list[int], m: Matrix) -> State:
        """A permutation matrix: amplitudes move along its cycles (no arithmetic)."""
        dim = len(offs)
        return self._move(
            s, bases, offs, [next(c for c in range(dim) if m[r][c] != 0) for r in range(dim)]
        )

    def _move(self, s: State, bases: list[int], offs: list[int], src: list[int]) -> State:
        """``new[b + offs[i]] = old[b + offs[src[i]]]`` for every base ``b``."""
        for cycle in permutation_cycles(src):
            if len(cycle) == 2:
                oa, ob = offs[cycle[0]], offs[cycle[1]]
                for b in bases:
                    i, j = b + oa, b + ob
                    s[i], s[j] = s[j], s[i]
                continue
            co = [offs[c] for c in cycle]
            for b in bases:
                first = s[b + co[0]]
                for x, y in pairwise(co):
                    s[b + x] = s[b + y]
                s[b + co[-1]] = first
        return s

    def _apply4(self, s: State, bases: list[int], offs: list[int], m: Matrix) -> State:
        """A dense 4x4 matrix, unrolled (two-qubit gates such as RXX, iSWAP, CU)."""
        (a00, a01, a02, a03), (a10, a11, a12, a13), (a20, a21, a22, a23), (a30, a31, a32, a33) = m
        _, o1, o2, o3 = offs
        for b in bases:
            i1 = b + o1
            i2 = b + o2
            i3 = b + o3
            x0 = s[b]
            x1 = s[i1]
            x2 = s[i2]
            x3 = s[i3]
            s[b] = a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
            s[i1] = a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
            s[i2] = a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
            s[i3] = a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3
        return s

    # ------------------------------------------------------------ measurement
    def probabilities(self, s: State) -> list[float]:
        return [z.real * z.real + z.imag * z.imag for z in s]

    def prob_one(self, s: State, n: int, q: int) -> float:
        stride = 1 << q
        block = stride << 1
        total = 0.0
        for start in range(stride, len(s), block):
            total += math.fsum(z.real * z.real + z.imag * z.imag for z in s[start : start + stride])
        return total

    def collapse(self, s: State, n: int, q: int, outcome: int, prob: float) -> State:
        """Projects qubit ``q`` onto ``outcome`` (whose probability is ``prob``) and renormalises."""
        stride = 1 << q
        block = stride << 1
        f = 1.0 / math.sqrt(prob)
        keep = stride if outcome else 0
        drop = 0 if outcome else stride
        zeros = [0j] * stride
        for start in range(0, len(s), block):
            s[start + drop : start + drop + stride] = zeros
            k = start + keep
            s[k : k + stride] = [f * z for z in s[k : k + stride]]
        return s

    def norm_sq(self, s: State) -> float:
        return math.fsum(z.real * z.real + z.imag * z.imag for z in s)

    def scale(self, s: State, factor: complex) -> State:
        return [factor * z for z in s]

    def inner(self, a: State, b: State) -> complex:
        """``<a|b>``."""
        re = math.fsum((x.conjugate() * y).real for x, y in zip(a, b))
        im = math.fsum((x.conjugate() * y).imag for x, y in zip(a, b))
        return complex(re, im)

    def sample(self, probs: Sequence[float], shots: int, rng: Rng) -> list[int]:
        """``shots`` basis indices drawn from ``probs`` with one uniform per shot."""
        cum = list(accumulate(probs))
        total = cum[-1]
        last = len(cum) - 1
        return [min(bisect_right(cum, u * total), last) for u in rng.randoms(shots)]

    def sample_state(self, s: State, shots: int, rng: Rng) -> list[int]:
        """:meth:`sample` of ``probabilities(s)`` (the NumPy kernel streams this)."""
        return self.sample(self.probabilities(s), shots, rng)

    def marginal(self, s: State, n: int, qargs: Sequence[int]) -> list[float]:
        """Probabilities of ``qargs`` (``qargs[0]`` is the least significant bit)."""
        out = [0.0] * (1 << len(qargs))
        for i, p in enumerate(self.probabilities(s)):
            if p:
                k = 0
                for j, q in enumerate(qargs):
                    k |= ((i >> q) & 1) << j
                out[k] += p
        return out

    def reduced_density_matrix(self, s: State, n: int, qargs: Sequence[int]) -> Matrix:
        """Partial trace over every qubit not in ``qargs`` (``qargs[0]`` = LSB)."""
        k = len(qargs)
        dim = 1 << k
        rest = [q for q in range(n) if q not in qargs]
        offs = _offsets(qargs)
        rho = [[0j] * dim for _ in range(dim)]
        rest_offs = _offsets(rest)
        for ro in rest_offs:
            vec = [s[ro + o] for o in offs]
            for i in range(dim):
                vi = vec[i]
                if vi == 0:
                    continue
                row = rho[i]
                for j in range(dim):
                    row[j] += vi * vec[j].conjugate()
        return tuple(tuple(r) for r in rho)

    # ------------------------------------------------------------ frames
    def bloch_and_marginals(
        self, s: State, n: int, qubits: Sequence[int] | None = None
    ) -> tuple[list[Bloch], list[float]]:
        """Each qubit's (or each of ``qubits``') Bloch vector and P(1), exactly rounded."""
        return bloch_and_marginals(s, self.probabilities(s), n, qubits)

    def top_states(self, s: State, n: int, k: int) -> TopStates:
        """The ``k`` most probable non-zero basis states (ties: lower index first)."""
        return top_states(s, self.probabilities(s), k)


if TYPE_CHECKING:  # mypy checks that the class implements the kernel contract
    _CONTRACT: Kernel[list[complex]] = PythonKernel()
