"""The NumPy state-vector kernel.

The state is a contiguous complex array of length ``2**n`` (``complex128`` by
default, ``complex64`` on request); qubit ``q`` is bit ``q`` of the index. No
``2**n x 2**n`` matrix is ever built and no full-size temporary is allocated: every
operation works in place, block by block, through one bounded scratch buffer
(``chunk`` amplitudes, 512 KiB by default, so it stays in the L2 cache).

Paths, cheapest first:

* **diagonal** gates (Z, S, T, RZ, P, CZ, CP, RZZ, fused diagonals): one in-place
  broadcast multiply. The diagonal is first widened over the low qubits so the
  inner loop runs over at least ``2**10`` contiguous amplitudes.
* **permutation** gates (X, CX, CCX, SWAP, CSWAP, MCX): sub-views of the state are
  swapped block by block (no arithmetic); permutations of low qubits become one
  gather per block within the contiguous low block.
* fused **window permutations** (:meth:`NumpyKernel.apply_permutation`: a CX ladder or
  SWAP network on up to 10 adjacent qubits, one source table): one gather per block
  for low windows, long runs moved along the table's cycles for high ones.
* **dense** k-qubit matrices: widened (Kronecker products with identities on the
  qubits in between) to a contiguous qubit range ``[q, q + w)``, the state is viewed
  as ``(2**(n-q-w), 2**w, 2**q)`` and each block is one BLAS call: ``block @ M.T``
  when ``q == 0`` (a contiguous ``(rows, 2**w)`` block), a batched ``M @ block``
  otherwise. Matrices whose qubits are far apart use a chunked ``tensordot``.

Gate fusion (:mod:`qtcore.sim._fusion`) feeds this kernel k-qubit matrices and
diagonals through :meth:`NumpyKernel.apply_matrix` and
:meth:`NumpyKernel.apply_diagonal`.

**Threads.** NumPy and BLAS release the GIL inside each call, so on a large state
(``min_parallel`` amplitudes or more, 2**16 by default) every pass above hands its blocks
to ``threads`` threads, each with its own scratch block: the same operations on the same
blocks, so the result is bit-for-bit the one-thread result. ``threads`` defaults to the
environment variable ``QTCORE_THREADS``, else to the CPUs this process may use (1 under
Pyodide). Reductions (norms, probabilities, sampling) stay on one thread, in one order.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from qtcore.errors import SimulationError
from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix, permutation_cycles
from qtcore.rng import Rng
from qtcore.sim._dense import (
    as_array,
    diagonal_controls,
    embed_diagonal,
    embed_matrix,
    window_source,
)
from qtcore.sim._kernel import Bloch, FusionProfile, Kernel, TopStates
from qtcore.sim._reduce import EXACT_MAX_QUBITS, bloch_qubits
from qtcore.sim._reduce import bloch_and_marginals as exact_bloch_and_marginals

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_MIN_PARALLEL",
    "NUMPY_FUSION",
    "NumpyKernel",
    "clear_plans",
    "default_threads",
]

State = Any  # np.ndarray[complex128 | complex64]
_Plan = Callable[[Any, Any], Any]  # plan(kernel, state): one prepared operation, in place

DEFAULT_CHUNK = 1 << 15
"""Amplitudes per scratch block (512 KiB of complex128)."""

DEFAULT_MIN_PARALLEL = 1 << 16
"""Smallest state (amplitudes) whose passes are split over threads: below it, handing
blocks to threads costs more than the pass (~0.3 ms at 2**16 amplitudes)."""

_SHARES_PER_THREAD = 4  # shares of a pass per thread (see NumpyKernel._split)
_POOL: dict[int, ThreadPoolExecutor] = {}  # by process id: a forked child starts its own
_POOL_LOCK = threading.Lock()


def default_threads() -> int:
    """``QTCORE_THREADS`` if set, else the CPUs this process may run on (1 under Pyodide).

    Raises:
        SimulationError: ``QTCORE_THREADS`` is not a whole number >= 1.
    """
    env = os.environ.get("QTCORE_THREADS", "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise SimulationError(f"QTCORE_THREADS must be a whole number >= 1, got {env!r}")
        return value
    if sys.platform == "emscripten":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _pool() -> ThreadPoolExecutor:
    """The threads every NumPy kernel of this process shares (started lazily).

    Keyed by process id: a process forked after the pool started (a process pool's
    worker) inherits the pool object but not its threads, and would wait forever.
    """
    pid = os.getpid()
    with _POOL_LOCK:
        pool = _POOL.get(pid)
        if pool is None:
            _POOL.clear()
            pool = _POOL[pid] = ThreadPoolExecutor(
                max_workers=64, thread_name_prefix="qtcore-kernel"
            )
        return pool


_MAX_SPAN = 6  # widest contiguous range a dense matrix is widened to
_LOW_BITS = 10  # diagonals are widened over qubits 0..9 (contiguous inner loop)
_MAX_DIAG_BITS = 18  # cap of a widened diagonal (2**18 entries)
_REAL_1Q_MIN = 11  # real 1-qubit matrices on qubits >= this take the float-view path ...
_HADAMARD_MIN = 3  # ... Hadamard-like ones from this qubit on ...
_HADAMARD_BLAS = (7, 11)  # ... except on these qubits, where batched BLAS is faster
_PERM_LOW_BITS = 0  # permutations of qubits below this take the gather path
_PERM_RUN_BITS = 6  # a fused permutation moves runs of >= 2**this amplitudes, else gathers
_SMALL_WIDEN = 4  # in a state of <= chunk amplitudes, 1-qubit matrices on q < 4 widen to q = 0
_MAX_PLANS = 2048  # gate plans kept (the cache is cleared when full) ...
_MAX_PLAN_BYTES = 16 << 20  # ... or when their arrays would exceed this many bytes

_PLANS: dict[tuple[Any, ...], _Plan] = {}
_plan_bytes = [0]

# Measured cost (ms at n=24, one core) of one dense pass: width w with q = 0 ...
_COST_LOW = {1: 32.0, 2: 32.0, 3: 45.0, 4: 61.0, 5: 99.0, 6: 166.0}
# ... and batched with the range starting at q = 1, 2, 3, >= 4.
_COST_BATCHED = {
    1: {1: 174.0, 2: 106.0, 3: 79.0, 4: 95.0, 5: 152.0, 6: 300.0},
    2: {1: 86.0, 2: 62.0, 3: 51.0, 4: 71.0, 5: 127.0, 6: 250.0},
    3: {1: 50.0, 2: 45.0, 3: 52.0, 4: 65.0, 5: 105.0, 6: 200.0},
    4: {1: 35.0, 2: 38.0, 3: 45.0, 4: 58.0, 5: 90.0, 6: 170.0},
}

NUMPY_FUSION = FusionProfile(
    min_qubits=15,  # below, building fused matrices costs more than the passes they save
    dense_cost=_COST_LOW,  # fused matrices are widened down to qubit 0 where that is cheaper
    diagonal_cost=12.0,  # ms at n = 24, one diagonal pass
    permutation_cost=12.0,  # ms at n = 24, one CX-like permutation
    max_span=_MAX_SPAN,
    perm_max_width=10,
    perm_gather_bits=15,  # 2**15 = DEFAULT_CHUNK: a window below it is one gather per block
    perm_run_bits=_PERM_RUN_BITS,
)
"""How gate fusion should group gates for this kernel (its measured pass costs)."""


@lru_cache(maxsize=1024)
def _diag_of(m: Matrix, dtype: str) -> Any:
    a = np.array([m[i][i] for i in range(len(m))], dtype=dtype)
    a.flags.writeable = False
    return a


def _controlled_diagonal(base_diag: Any, nc: int) -> Any:
    """Diagonal of a gate with ``nc`` low-bit controls and diagonal base ``base_diag``."""
    nt = len(base_diag)
    out = np.ones(nt << nc, dtype=base_diag.dtype)
    out[(1 << nc) - 1 :: 1 << nc] = base_diag
    return out


def _with_controls_above(d: Any, k: int, nc: int) -> Any:
    """``d`` (on bits ``0..k-1``) with ``nc`` controls at bits ``k..k+nc-1`` (1 if one is 0)."""
    out = np.ones(1 << (k + nc), dtype=d.dtype)
    out[((1 << nc) - 1) << k :] = d
    return out


def _controlled_view(s: State, n: int, controls: Sequence[int]) -> tuple[Any, dict[int, int]]:
    """The ``(2,)*n`` view with control axes fixed at 1, and each other qubit's axis."""
    t = s.reshape((2,) * n)
    if controls:
        idx: list[Any] = [slice(None)] * n
        for c in controls:
            idx[n - 1 - c] = 1
        t = t[(*idx, Ellipsis)]
    axis_of: dict[int, int] = {}
    for q in range(n - 1, -1, -1):
        if q not in controls:
            axis_of[q] = len(axis_of)
    return t, axis_of


def clear_plans() -> None:
    """Forgets every cached gate plan (needed after changing this module's path limits)."""
    _PLANS.clear()
    _plan_bytes[0] = 0


def _cached_plan(key: tuple[Any, ...], build: Callable[[], tuple[_Plan, int]]) -> _Plan:
    """The plan cached under ``key``, built (and its arrays counted) on a miss."""
    plan = _PLANS.get(key)
    if plan is None:
        plan, nbytes = build()
        if len(_PLANS) >= _MAX_PLANS or _plan_bytes[0] + nbytes > _MAX_PLAN_BYTES:
            clear_plans()
        _PLANS[key] = plan
        _plan_bytes[0] += nbytes
    return plan


def _dense_cost(q: int, w: int) -> float:
    if q == 0:
        return _COST_LOW.get(w, 1e9)
    return _COST_BATCHED[min(q, 4)].get(w, 1e9)


class NumpyKernel:
    """State-vector operations on NumPy arrays.

    Args:
        dtype: ``numpy.complex128`` (default) or ``numpy.complex64`` (half the memory,
            about 1e-7 relative precision).
        chunk: amplitudes per scratch block (a power of two, at least 64).
        threads: threads for the passes over a large state (default
            :func:`default_threads`: ``QTCORE_THREADS``, else every CPU available).
        min_parallel: states of fewer amplitudes run on one thread.

    Raises:
        SimulationError: unsupported dtype, chunk, threads or min_parallel.
    """

    name = "numpy"
    fusion: FusionProfile | None = NUMPY_FUSION

    def __init__(
        self,
        dtype: Any = np.complex128,
        chunk: int = DEFAULT_CHUNK,
        *,
        threads: int | None = None,
        min_parallel: int = DEFAULT_MIN_PARALLEL,
    ) -> None:
        dt = np.dtype(dtype)
        if dt not in (np.dtype(np.complex128), np.dtype(np.complex64)):
            raise SimulationError(f"dtype must be complex128 or complex64, got {dt}")
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 64:
            raise SimulationError(f"chunk must be an integer >= 64, got {chunk!r}")
        if chunk & (chunk - 1):
            raise SimulationError(f"chunk must be a power of two, got {chunk}")
        if threads is None:
            threads = default_threads()
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise SimulationError(f"threads must be an integer >= 1, got {threads!r}")
        if isinstance(min_parallel, bool) or not isinstance(min_parallel, int) or min_parallel < 1:
            raise SimulationError(f"min_parallel must be an integer >= 1, got {min_parallel!r}")
        self.dtype = dt
        self.chunk = chunk
        self.threads = threads
        self.min_parallel = min_parallel
        self._dt = dt.str
        # scratch per thread: the kernel's own threads, and callers that share one kernel
        # between threads (a thread pool running sweeps), never write into each other's
        self._local = threading.local()

    def _buf(self, size: int) -> Any:
        """A 1-D scratch view of ``size`` <= max(chunk, size) amplitudes (reused, per thread)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None or scratch.size < size:
            scratch = self._local.scratch = np.empty(max(size, self.chunk), dtype=self.dtype)
        return scratch[:size]

    def _split(self, size: int, count: int, work: Callable[[int, int], None]) -> None:
        """Runs ``work(start, stop)`` over ``count`` independent items of a pass over a state
        of ``size`` amplitudes: here, or on ``threads`` threads (this one included).

        The items are cut into up to ``_SHARES_PER_THREAD`` contiguous shares per thread,
        which the threads take in turn as they finish, so one thread that the system
        deschedules (a busy machine) delays the pass by a small share, not by a whole
        thread's part. ``work`` takes its scratch from :meth:`_buf`.
        """
        t = min(self.threads, count)
        if t <= 1 or size < self.min_parallel:
            work(0, count)
            return
        shares = min(count, t * _SHARES_PER_THREAD)
        bounds = [count * i // shares for i in range(shares + 1)]
        taken = itertools.count()  # next() on it is atomic under the GIL

        def worker() -> None:
            for i in iter(taken.__next__, shares):
                if i > shares:
                    return
                work(bounds[i], bounds[i + 1])

        pool = _pool()
        futures = [pool.submit(worker) for _ in range(t - 1)]
        try:
            worker()
        finally:
            for f in futures:
                f.result()

    # ------------------------------------------------------------ construction
    def zeros(self, n: int) -> State:
        # np.empty + fill, not np.zeros: calloc'ed pages are mapped lazily, and faulting
        # them in 4 KiB at a time during the first gate costs ~1 s at 24 qubits, while
        # an explicit fill maps them at once (as transparent huge pages where enabled).
        s = np.empty(1 << n, dtype=self.dtype)
        s.fill(0)
        s[0] = 1.0
        return s

    def basis_state(self, n: int, index: int) -> State:
        s = self.zeros(n)
        s[0] = 0.0
        s[index] = 1.0
        return s

    def num_qubits(self, s: State) -> int:
        return int(s.size).bit_length() - 1

    def from_amplitudes(self, amps: Sequence[complex]) -> State:
        return np.array(amps, dtype=self.dtype)

    def copy(self, s: State) -> State:
        return s.copy()

    def to_list(self, s: State) -> list[complex]:
        return [complex(z) for z in s.tolist()]

    # ------------------------------------------------------------ gates
    def apply_gate(self, s: State, n: int, gate: Gate, qubits: Sequence[int]) -> State:
        """Applies ``gate`` on ``qubits`` (first = LSB).

        The work that depends only on the gate, its qubits and ``n`` (matrix arrays,
        embedded and widened tables, view shapes and indices, the path) is done once
        and kept as a plan, keyed by the gate (equal gates share one), so a repeated
        gate costs little more than its passes over the state.
        """
        qs = tuple(qubits)
        key = (gate, qs, n, self._dt, self.chunk)
        return _cached_plan(key, lambda: self._gate_plan(n, gate, qs))(self, s)

    def _gate_plan(self, n: int, gate: Gate, qubits: tuple[int, ...]) -> tuple[_Plan, int]:
        """The plan of :meth:`apply_gate` and the bytes of the arrays it holds."""
        nc = gate.num_controls
        structure = gate.structure
        if structure == "diagonal":
            d = _diag_of(gate.base_matrix(), self._dt)
            if nc:
                d = _controlled_diagonal(d, nc)
            return self._diagonal_plan(n, d, qubits)
        if structure == "permutation":
            return self._permute_plan(n, qubits[:nc], qubits[nc:], gate.base_matrix())
        if nc and max(qubits) - min(qubits) >= _MAX_SPAN:
            base = as_array(gate.base_matrix(), self._dt)
            controls, targets = qubits[:nc], qubits[nc:]
            return (lambda k, s: k._dense_generic(s, n, base, controls, targets)), base.nbytes
        return self._matrix_plan(n, as_array(gate.matrix(), self._dt), qubits)

    def apply_matrix(self, s: State, n: int, m: Matrix | Any, qubits: Sequence[int]) -> State:
        """Applies a (not necessarily unitary) matrix on ``qubits`` (first = LSB).

        ``m`` is a :data:`Matrix` or a ``2**k x 2**k`` NumPy array.
        """
        a = as_array(m, self._dt) if isinstance(m, tuple) else np.asarray(m, dtype=self.dtype)
        return self._matrix_plan(n, a, qubits)[0](self, s)

    def _matrix_plan(self, n: int, a: Any, qubits: Sequence[int]) -> tuple[_Plan, int]:
        """The plan of :meth:`apply_matrix` for the array ``a``."""
        # a state within one scratch block: no blocking, and the per-call overhead of the
        # BLAS path is lower than the float-view path's (measured at n = 10 .. 14)
        small = (1 << n) <= self.chunk
        if len(qubits) == 1 and not small and qubits[0] >= _HADAMARD_MIN and not np.any(a.imag):
            r = a.real
            q0 = qubits[0]
            hadamard = r[0, 0] == r[0, 1] == r[1, 0] == -r[1, 1]
            blas = _HADAMARD_BLAS[0] <= q0 < _HADAMARD_BLAS[1]
            if q0 >= _REAL_1Q_MIN or (hadamard and not blas):
                return (lambda k, s: k._real_1q(s, r, q0)), r.nbytes
        lo, hi = min(qubits), max(qubits)
        span = hi - lo + 1
        if span > _MAX_SPAN:
            qs = tuple(qubits)
            return (lambda k, s: k._dense_generic(s, n, a, (), qs)), a.nbytes
        # choose where the contiguous range starts: at lo, or widened down to qubit 0
        start = lo
        if lo and span + lo <= _MAX_SPAN and _dense_cost(0, span + lo) <= _dense_cost(lo, span):
            start = 0
        elif small and len(qubits) == 1 and lo + 1 <= _SMALL_WIDEN:
            start = 0  # one (2**n / 2**w, 2**w) product beats 2**(n-w) tiny batched ones
        width = hi - start + 1
        positions = [q - start for q in qubits]
        if positions != list(range(width)):
            a = embed_matrix(a, positions, width)
        mt = np.ascontiguousarray(a.T) if start == 0 else a
        return (lambda k, s: k._dense_range(s, mt, start, width, transposed=True)), mt.nbytes

    def apply_diagonal(self, s: State, n: int, d: Any, qubits: Sequence[int]) -> State:
        """Multiplies by the diagonal ``d`` (length ``2**k``) on ``qubits`` (first = LSB).

        Qubits on which ``d`` acts as a control (``d == 1`` wherever that qubit's bit is
        0: both qubits of CZ/CP, the controls of MCP/CRZ, the shared qubit of a fused
        CP ladder) are not multiplied at all: the control axes of the state are fixed at
        1 and only that sub-view (half the state per control, a quarter for CP) is
        touched, in one strided in-place multiply.
        """
        return self._diagonal_plan(n, d, qubits)[0](self, s)

    def _diagonal_plan(self, n: int, d: Any, qubits: Sequence[int]) -> tuple[_Plan, int]:
        """The plan of :meth:`apply_diagonal`: a view shape, an index and a factor."""
        d = np.asarray(d, dtype=self.dtype)
        qubits = list(qubits)
        controls = diagonal_controls(d, len(qubits))
        b = min(n, _LOW_BITS)
        if controls:
            # fix the control bits at 1: the rest of ``d`` is a diagonal on the other qubits
            k = len(qubits)
            t = d.reshape((2,) * k)
            idx: list[Any] = [slice(None)] * k
            for j in controls:
                idx[k - 1 - j] = 1
            d = np.ascontiguousarray(t[tuple(idx)]).reshape(-1)
            cqs = [qubits[j] for j in controls]
            qubits = [q for j, q in enumerate(qubits) if j not in controls]
            if not qubits:
                # a pure phase on the sub-view where every control is 1
                b = 0
            high_ctrl = [c for c in cqs if c >= b]
            low_ctrl = [c for c in cqs if c < b]
            if low_ctrl:  # kept in the table (1 where the control is 0)
                d = _with_controls_above(d, len(qubits), len(low_ctrl))
                qubits = qubits + low_ctrl
        else:
            high_ctrl = []
        while b > 0 and b + sum(1 for q in qubits if q >= b) > _MAX_DIAG_BITS:
            b -= 1
        high = sorted((q for q in qubits if q >= b), reverse=True)
        special = sorted([*high, *high_ctrl], reverse=True)
        # widened diagonal over bits: [0, b) then the high qubits ascending
        order = list(range(b)) + high[::-1]
        pos = {q: order.index(q) for q in qubits}
        wide = embed_diagonal(d, [pos[q] for q in qubits], len(order)) if qubits else d
        # state view: special qubits get their own axis; gaps in between are merged
        shape: list[int] = []
        dshape: list[int] = []
        sel: list[Any] = []
        top = n
        for q in special:
            gap = top - q - 1
            if gap:
                shape.append(1 << gap)
                dshape.append(1)
                sel.append(slice(None))
            shape.append(2)
            if q in high_ctrl:
                sel.append(1)
            else:
                dshape.append(2)
                sel.append(slice(None))
            top = q
        gap = top - b
        if gap:
            shape.append(1 << gap)
            dshape.append(1)
            sel.append(slice(None))
        if b:
            shape.append(1 << b)
            dshape.append(1 << b)
            sel.append(slice(None))
        factor: Any = d[0] if not qubits else wide.reshape(dshape)
        tshape = tuple(shape)
        index = (*sel, Ellipsis)
        multiply = np.multiply
        # threads take slices of the view's first axis (and of the factor's, if it varies)
        split_factor = bool(qubits) and dshape[0] > 1

        def run(k: NumpyKernel, s: State) -> State:
            view = s.reshape(tshape)[index]
            if k.threads == 1 or s.size < k.min_parallel or view.ndim == 0:
                multiply(view, factor, out=view)
                return s

            def work(a: int, b: int) -> None:
                part = view[a:b]
                multiply(part, factor[a:b] if split_factor else factor, out=part)

            k._split(s.size, view.shape[0], work)
            return s

        return run, int(np.asarray(factor).nbytes)

    # ------------------------------------------------------------ dense paths
    def _real_1q(self, s: State, m: Any, q: int) -> State:
        """A real 2x2 ``m`` (H, RY, X-like ...) on qubit ``q``: elementwise on float views.

        Works block by block on the two halves ``a0`` (bit ``q`` = 0) and ``a1``; the
        real and imaginary parts are multiplied by the same real entries, so the float
        view of a block is transformed directly (no complex products, no BLAS call).
        Hadamard-like matrices (``m = r [[1, 1], [1, -1]]``) take four operations.
        """
        (m00, m01), (m10, m11) = (float(x) for x in m[0]), (float(x) for x in m[1])
        inner = 1 << q
        v = s.reshape(-1, 2, inner)
        cap = max(self.chunk // 2, inner) if inner <= self.chunk // 2 else self.chunk // 2
        buf = self._buf(2 * cap).view(np.float64 if s.dtype == np.complex128 else np.float32)
        hadamard = m00 == m01 == m10 == -m11
        if inner >= cap:
            blocks = [
                (v[h, 0, c : c + cap], v[h, 1, c : c + cap])
                for h in range(v.shape[0])
                for c in range(0, inner, cap)
            ]
        else:
            rows = cap // inner
            blocks = [(v[r : r + rows, 0], v[r : r + rows, 1]) for r in range(0, v.shape[0], rows)]
        fdt = buf.dtype

        def work(start: int, stop: int) -> None:
            buf = self._buf(2 * cap).view(fdt)  # this thread's scratch
            for b0, b1 in blocks[start:stop]:
                x, y = b0.view(fdt), b1.view(fdt)
                t = buf[: x.size].reshape(x.shape)
                if hadamard:
                    np.add(x, y, out=t)
                    np.subtract(x, y, out=y)
                    y *= m00
                    np.multiply(t, m00, out=x)
                    continue
                u = buf[x.size : 2 * x.size].reshape(x.shape)
                np.multiply(x, m00, out=t)
                np.multiply(y, m01, out=u)
                t += u
                np.multiply(x, m10, out=u)
                y *= m11
                y += u
                x[...] = t

        self._split(s.size, len(blocks), work)
        return s

    def _dense_range(self, s: State, m: Any, q: int, w: int, transposed: bool = False) -> State:
        """``m`` (``2**w`` square) on the contiguous qubits ``q .. q+w-1``.

        With ``transposed``, ``m`` is already ``m.T`` (contiguous) when ``q == 0``.
        """
        dim = 1 << w
        cap = max(self.chunk, dim)
        if q == 0:
            v = s.reshape(-1, dim)
            mt = m if transposed else np.ascontiguousarray(m.T)
            rows = cap // dim
            total = v.shape[0]

            def rows_0(start: int, stop: int) -> None:
                buf = self._buf(rows * dim).reshape(rows, dim)
                for r in range(start * rows, min(stop * rows, total), rows):
                    blk = v[r : r + rows]
                    out = buf if blk.shape[0] == rows else buf[: blk.shape[0]]
                    np.matmul(blk, mt, out=out)
                    blk[...] = out

            self._split(s.size, -(-total // rows), rows_0)
            return s
        inner = 1 << q
        v = s.reshape(-1, dim, inner)
        if dim * inner <= cap:
            rows = cap // (dim * inner)
            total = v.shape[0]

            def rows_q(start: int, stop: int) -> None:
                buf = self._buf(rows * dim * inner).reshape(rows, dim, inner)
                for h in range(start * rows, min(stop * rows, total), rows):
                    blk = v[h : h + rows]
                    out = buf if blk.shape[0] == rows else buf[: blk.shape[0]]
                    np.matmul(m, blk, out=out)
                    blk[...] = out

            self._split(s.size, -(-total // rows), rows_q)
            return s
        cols = cap // dim
        per_row = inner // cols

        def columns(start: int, stop: int) -> None:
            buf = self._buf(dim * cols).reshape(dim, cols)
            for i in range(start, stop):
                h, c = divmod(i, per_row)
                blk = v[h][:, c * cols : (c + 1) * cols]
                np.matmul(m, blk, out=buf)
                blk[...] = buf

        self._split(s.size, v.shape[0] * per_row, columns)
        return s

    def _blocks(self, view: Any, free_axes: Sequence[int]) -> tuple[list[int], list[Any]]:
        """Fixes leading ``free_axes`` of ``view`` until a block has <= chunk elements.

        Returns:
            The fixed axes and one index tuple per block.
        """
        size = view.size
        fixed: list[int] = []
        for ax in free_axes:
            if size <= self.chunk:
                break
            fixed.append(ax)
            size //= view.shape[ax]
        out = []
        for vals in itertools.product(*(range(view.shape[a]) for a in fixed)):
            idx: list[Any] = [slice(None)] * view.ndim
            for a, v in zip(fixed, vals, strict=True):
                idx[a] = v
            out.append((*idx, Ellipsis))
        return fixed, out

    def _dense_generic(
        self, s: State, n: int, m: Any, controls: Sequence[int], targets: Sequence[int]
    ) -> State:
        """``m`` on ``targets`` (first = LSB) where all ``controls`` are 1, block by block."""
        view, axis_of = _controlled_view(s, n, controls)
        k = len(targets)
        mt = m.reshape((2,) * (2 * k))
        tgt_axes = [axis_of[targets[k - 1 - i]] for i in range(k)]  # matrix bit k-1 first
        free = [a for a in range(view.ndim) if a not in tgt_axes]
        fixed, blocks = self._blocks(view, free)
        kept = [a for a in range(view.ndim) if a not in fixed]
        in_axes = [kept.index(a) for a in tgt_axes]
        contract = list(range(k, 2 * k))

        def work(start: int, stop: int) -> None:
            for bidx in blocks[start:stop]:
                blk = view[bidx]
                res = np.tensordot(mt, blk, axes=(contract, in_axes))
                blk[...] = np.moveaxis(res, list(range(k)), in_axes)

        self._split(s.size, len(blocks), work)
        return s

    # ------------------------------------------------------------ permutations
    def _permute_plan(
        self, n: int, controls: Sequence[int], targets: Sequence[int], base: Matrix
    ) -> tuple[_Plan, int]:
        """A permutation ``base`` on ``targets`` (first = LSB) where all controls are 1.

        The plan swaps sub-views along each cycle, block by block; a permutation of
        qubits below ``_PERM_LOW_BITS`` is a window gather instead.
        """
        k = len(targets)
        dim = 1 << k
        src = [next(c for c in range(dim) if base[r][c] != 0) for r in range(dim)]
        qubits = list(controls) + list(targets)
        if max(qubits) < _PERM_LOW_BITS and n >= _LOW_BITS:
            nc, ones = len(controls), (1 << len(controls)) - 1
            full_src = [  # over (controls, targets): src where every control bit is 1
                (src[r >> nc] << nc) | ones if r & ones == ones else r
                for r in range(1 << len(qubits))
            ]
            return self._window_perm_plan(n, window_source(full_src, qubits, _LOW_BITS), 0)
        full = (2,) * n
        # a stand-in of the state's (2,)*n view: only shapes are read from it
        stub = np.broadcast_to(np.zeros((), dtype=self.dtype), full)

        def sub(i: int) -> tuple[Any, ...]:
            sl: list[Any] = [slice(None)] * n
            for c in controls:
                sl[n - 1 - c] = 1
            for j, q in enumerate(targets):
                sl[n - 1 - q] = (i >> j) & 1
            return (*sl, Ellipsis)

        cycles = [[sub(i) for i in cycle] for cycle in permutation_cycles(src)]
        if not cycles:
            return (lambda k, s: s), 0
        first = stub[cycles[0][0]]
        blocks = self._blocks(first, range(first.ndim))[1]
        bshape = first[blocks[0]].shape
        bsize = first[blocks[0]].size

        def run(k: NumpyKernel, s: State) -> State:
            t = s.reshape(full)
            cycle_views = [[t[ix] for ix in cyc] for cyc in cycles]

            def work(start: int, stop: int) -> None:
                tmp = k._buf(bsize).reshape(bshape)
                for views in cycle_views:  # cycles and blocks touch disjoint amplitudes
                    head, last = views[0], views[-1]
                    for bidx in blocks[start:stop]:
                        tmp[...] = head[bidx]
                        for a, b in itertools.pairwise(views):
                            a[bidx] = b[bidx]
                        last[bidx] = tmp

            k._split(s.size, len(blocks), work)
            return s

        return run, 0

    def apply_permutation(self, s: State, n: int, src: Any, lo: int) -> State:
        """Moves amplitudes within the qubit window ``[lo, lo + w)``: ``new[i] = old[src[i]]``.

        ``src`` (length ``2**w``) is read on the window's bits; the other bits are kept.
        A fused run of permutation gates (a CX ladder, SWAP networks) costs one pass:

        * a window inside one scratch block (``2**(lo + w) <= chunk``): every block is one
          gather (``np.take``) through a block-wide index table;
        * otherwise the state is viewed as ``(2**(n-lo-w), 2**w, 2**lo)`` and the
          ``2**lo``-long runs are moved along the permutation's cycles, block by block.
        """
        src = np.asarray(src, dtype=np.intp)
        key = ("perm", src.tobytes(), lo, n, self._dt, self.chunk)
        return _cached_plan(key, lambda: self._window_perm_plan(n, src, lo))(self, s)

    def _window_perm_plan(self, n: int, src: Any, lo: int) -> tuple[_Plan, int]:
        dim = len(src)
        w = dim.bit_length() - 1
        if lo + w > n or dim != 1 << w:
            raise SimulationError(f"window [{lo}, {lo + w}) does not fit {n} qubits")
        size = min(1 << n, max(self.chunk, 1 << (lo + w)))
        if (1 << (lo + w)) <= self.chunk or lo < _PERM_RUN_BITS:
            base = np.arange(size, dtype=np.intp)
            field = (dim - 1) << lo
            idx = (base & ~field) | (src[(base & field) >> lo] << lo)
            idx.flags.writeable = False

            def gather(k: NumpyKernel, s: State) -> State:
                def work(first: int, stop: int) -> None:
                    buf = k._buf(size)
                    for start in range(first * size, stop * size, size):
                        blk = s[start : start + size]
                        # every index is in range by construction; "clip" skips the bounds
                        # check that makes the default mode about 1.5x slower
                        np.take(blk, idx, out=buf, mode="clip")
                        blk[...] = buf

                k._split(s.size, s.size // size, work)
                return s

            return gather, idx.nbytes
        cycles = permutation_cycles([int(x) for x in src])
        inner = 1 << lo
        cols = min(inner, self.chunk)

        per_row = inner // cols

        def move(k: NumpyKernel, s: State) -> State:
            v = s.reshape(-1, dim, inner)

            def work(start: int, stop: int) -> None:
                tmp = k._buf(cols)
                for i in range(start, stop):
                    h, c = divmod(i, per_row)
                    blk = v[h][:, c * cols : (c + 1) * cols]
                    for cyc in cycles:
                        tmp[...] = blk[cyc[0]]
                        for a, b in itertools.pairwise(cyc):
                            blk[a] = blk[b]
                        blk[cyc[-1]] = tmp

            k._split(s.size, v.shape[0] * per_row, work)
            return s

        return move, 0

    # ------------------------------------------------------------ measurement
    def probabilities(self, s: State) -> list[float]:
        """``|amplitude|**2`` as Python floats (see :meth:`probability_array`)."""
        return self.probability_array(s).tolist()  # type: ignore[no-any-return]

    def probability_array(self, s: State) -> Any:
        """``|amplitude|**2`` as float64, computed block by block (no extra temporaries)."""
        p = np.empty(s.size, dtype=np.float64)
        step = self.chunk
        tmp = np.empty(min(step, s.size), dtype=np.float64)
        for i in range(0, s.size, step):
            self._block_probs(s[i : i + step], p[i : i + step], tmp)
        return p

    def _dot(self, a: Any, b: Any) -> complex:
        """``sum(conj(a) * b)`` over 2-D views, block by block, accumulated in complex128.

        Blocks keep ``np.vdot`` from copying a strided view whole, and summing the
        block results in double precision keeps complex64 states' norms exact to ~1e-7.
        """
        rows, cols = a.shape
        total = 0j
        if cols >= self.chunk:
            for r in range(rows):
                for c in range(0, cols, self.chunk):
                    total += complex(np.vdot(a[r, c : c + self.chunk], b[r, c : c + self.chunk]))
            return total
        step = max(1, self.chunk // cols)
        for r in range(0, rows, step):
            total += complex(np.vdot(a[r : r + step], b[r : r + step]))
        return total

    def prob_one(self, s: State, n: int, q: int) -> float:
        v = s.reshape(-1, 2, 1 << q)[:, 1, :]
        return self._dot(v, v).real

    def collapse(self, s: State, n: int, q: int, outcome: int, prob: float) -> State:
        v = s.reshape(-1, 2, 1 << q)
        v[:, 1 - outcome, :] = 0
        v[:, outcome, :] *= 1.0 / np.sqrt(prob)
        return s

    def norm_sq(self, s: State) -> float:
        v = s.reshape(-1, min(s.size, self.chunk))
        return self._dot(v, v).real

    def scale(self, s: State, factor: complex) -> State:
        s *= factor
        return s

    def inner(self, a: State, b: State) -> complex:
        """``<a|b>``."""
        width = min(a.size, self.chunk)
        return self._dot(a.reshape(-1, width), b.reshape(-1, width))

    def sample(self, probs: Any, shots: int, rng: Rng) -> list[int]:
        """``shots`` basis indices drawn from ``probs`` with one uniform per shot."""
        cum = np.cumsum(np.asarray(probs, dtype=np.float64))
        u = np.array(rng.randoms(shots), dtype=np.float64) * cum[-1]
        idx = np.searchsorted(cum, u, side="right")
        return [int(i) for i in np.minimum(idx, len(cum) - 1)]

    def _block_probs(self, blk: Any, out: Any, tmp: Any) -> Any:
        """``|blk|**2`` into ``out`` (float64), the same operations as :meth:`probabilities`."""
        t = tmp[: blk.size]
        np.multiply(blk.real, blk.real, out=out)
        np.multiply(blk.imag, blk.imag, out=t)
        out += t
        return out

    def sample_state(self, s: State, shots: int, rng: Rng) -> list[int]:
        """:meth:`sample` of ``probabilities(s)`` without materialising the probabilities.

        Draws the same uniforms and returns the same indices, bit for bit: the running
        sum is the same sequential float64 sum (each block's cumulative sum starts from
        the exact running total before it), so every comparison sees the same value.
        Two passes over the state, block by block: the running total at each block's
        end, then a search inside only the blocks some uniform falls in. Extra memory:
        two blocks of floats plus one float per block.
        """
        step = min(self.chunk, s.size)
        nblk = -(-s.size // step)
        p = np.empty(step, dtype=np.float64)
        tmp = np.empty(step, dtype=np.float64)
        ends = np.empty(nblk, dtype=np.float64)
        carry = 0.0
        for b in range(nblk):
            blk = self._block_probs(s[b * step : (b + 1) * step], p, tmp)
            blk[0] += carry
            np.cumsum(blk, out=blk)
            carry = float(blk[-1])
            ends[b] = carry
        u = np.array(rng.randoms(shots), dtype=np.float64) * carry
        out = np.full(shots, s.size - 1, dtype=np.intp)
        where = np.searchsorted(ends, u, side="right")
        order = np.argsort(where, kind="stable")
        bounds = np.searchsorted(where[order], np.arange(nblk + 1), side="left")
        for b in range(nblk):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            if lo == hi:
                continue
            sl = s[b * step : (b + 1) * step]
            cum = self._block_probs(sl, p, tmp)
            cum[0] += float(ends[b - 1]) if b else 0.0
            np.cumsum(cum, out=cum)
            sel = order[lo:hi]
            out[sel] = np.minimum(np.searchsorted(cum, u[sel], side="right") + b * step, s.size - 1)
        return [int(i) for i in out]

    def marginal(self, s: State, n: int, qargs: Sequence[int]) -> list[float]:
        """Probabilities of ``qargs`` (``qargs[0]`` is the least significant bit)."""
        p = self.probability_array(s).reshape((2,) * n)
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

    # ------------------------------------------------------------ frames
    def bloch_and_marginals(
        self, s: State, n: int, qubits: Sequence[int] | None = None
    ) -> tuple[list[Bloch], list[float]]:
        """Each qubit's (or each of ``qubits``') Bloch vector and P(1): exact sums up to
        ``EXACT_MAX_QUBITS`` (bit-identical to the pure-Python kernel), one NumPy pass per
        qubit above."""
        if n <= EXACT_MAX_QUBITS:
            amps = self.to_list(s)
            return exact_bloch_and_marginals(
                amps, [z.real * z.real + z.imag * z.imag for z in amps], n, qubits
            )
        qs = bloch_qubits(n, qubits)
        p = self.probability_array(s)
        bloch: list[Bloch] = []
        marginals: list[float] = []
        for q in qs:
            a = s.reshape(-1, 2, 1 << q)
            pv = p.reshape(-1, 2, 1 << q)
            p0, p1 = float(pv[:, 0, :].sum()), float(pv[:, 1, :].sum())
            r01 = self._dot(a[:, 1, :], a[:, 0, :])  # sum lo * conj(hi)
            bloch.append((2.0 * r01.real, -2.0 * r01.imag, p0 - p1))
            marginals.append(p1)
        return bloch, marginals

    def top_states(self, s: State, n: int, k: int) -> TopStates:
        """The ``k`` most probable non-zero basis states (ties: lower index first)."""
        p = self.probability_array(s)
        size = p.shape[0]
        k = min(k, size)
        if k <= 0:
            return [], [], []
        kth = float(np.partition(p, size - k)[size - k])
        above = np.flatnonzero(p > kth)
        ties = np.flatnonzero(p == kth)[: k - len(above)]
        cand = np.concatenate([above, ties])
        order = cand[np.lexsort((cand, -p[cand]))]
        order = order[p[order] > 0.0]
        idx = [int(i) for i in order]
        return idx, p[order].tolist(), [complex(z) for z in s[order].tolist()]


if TYPE_CHECKING:  # mypy checks that the class implements the kernel contract
    import numpy.typing as npt

    _CONTRACT: Kernel[npt.NDArray[np.complexfloating[Any, Any]]] = NumpyKernel()
