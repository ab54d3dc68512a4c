"""Kernel fast paths against an independent dense reference (n <= 6).

The reference builds each gate's full ``2**n x 2**n`` matrix as a sum of Kronecker
products of 2x2 factors (pure Python, written here, sharing no code with the
kernels) and multiplies it into the state. Every NumPy path (in-place dense blocks,
batched BLAS, widened ranges, chunked tensordot, diagonal broadcast, sub-view and
gather permutations, fusion) and every pure-Python path is checked against it.
"""

from __future__ import annotations

import cmath
import math
import random
from collections.abc import Iterator, Sequence

import pytest

from qtcore import Circuit
from qtcore.ops import GATES, Gate
from qtcore.sim._kernel_python import PythonKernel

Mat = list[list[complex]]
SEED = 20240611
TOL = 1e-12


# ---------------------------------------------------------------- reference
def _kron(a: Mat, b: Mat) -> Mat:
    return [[x * y for x in ra for y in rb] for ra in a for rb in b]


def _unit(i: int, j: int) -> Mat:
    m: Mat = [[0j, 0j], [0j, 0j]]
    m[i][j] = 1 + 0j
    return m


_I2: Mat = [[1 + 0j, 0j], [0j, 1 + 0j]]


def full_matrix(g: Sequence[Sequence[complex]], qubits: Sequence[int], n: int) -> Mat:
    """``sum_ab g[a][b] (x)_q F_q`` with ``F_q = |a_j><b_j|`` on ``qubits[j]``, else I."""
    dim = 1 << n
    out: Mat = [[0j] * dim for _ in range(dim)]
    k = len(qubits)
    for a in range(1 << k):
        for b in range(1 << k):
            x = complex(g[a][b])
            if x == 0:
                continue
            term: Mat = [[1 + 0j]]
            for q in range(n - 1, -1, -1):  # qubit n-1 is the most significant factor
                if q in qubits:
                    j = qubits.index(q)
                    f = _unit((a >> j) & 1, (b >> j) & 1)
                else:
                    f = _I2
                term = _kron(term, f)
            for r in range(dim):
                row = term[r]
                for c in range(dim):
                    if row[c]:
                        out[r][c] += x * row[c]
    return out


def mat_vec(m: Mat, v: Sequence[complex]) -> list[complex]:
    return [sum(x * y for x, y in zip(row, v, strict=True)) for row in m]


def random_state(n: int, rng: random.Random) -> list[complex]:
    v = [complex(rng.gauss(0, 1), rng.gauss(0, 1)) for _ in range(1 << n)]
    norm = math.sqrt(sum(abs(z) ** 2 for z in v))
    return [z / norm for z in v]


def random_matrix(k: int, rng: random.Random) -> list[list[complex]]:
    d = 1 << k
    return [[complex(rng.gauss(0, 1), rng.gauss(0, 1)) for _ in range(d)] for _ in range(d)]


def max_diff(a: Sequence[complex], b: Sequence[complex]) -> float:
    return max(abs(complex(x) - complex(y)) for x, y in zip(a, b, strict=True))


def gate_cases(n: int, rng: random.Random) -> Iterator[tuple[Gate, tuple[int, ...]]]:
    """Every gate of the registry on a few random qubit placements."""
    for name, spec in GATES.items():
        counts = [1, 2, 3] if spec.variadic else [spec.num_controls]
        for nc in counts:
            k = nc + spec.num_targets
            if k > n:
                continue
            for _ in range(3):
                params = [rng.uniform(-math.pi, math.pi) for _ in range(spec.num_params)]
                g = Gate(name, params, nc if spec.variadic else None)
                yield g, tuple(rng.sample(range(n), k))


def random_circuit(n: int, size: int, rng: random.Random) -> Circuit:
    c = Circuit(n)
    cases = list(gate_cases(n, rng))
    for _ in range(size):
        g, qs = rng.choice(cases)
        c.append(g, qs)
    return c


# ---------------------------------------------------------------- python kernel
@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_python_kernel_gates_match_kronecker_reference(n: int) -> None:
    rng = random.Random(SEED + n)
    k = PythonKernel()
    for g, qs in gate_cases(n, rng):
        v = random_state(n, rng)
        want = mat_vec(full_matrix(g.matrix(), qs, n), v)
        got = k.apply_gate(k.from_amplitudes(v), n, g, qs)
        assert max_diff(got, want) < TOL, (g, qs)


@pytest.mark.parametrize("k_q", [1, 2, 3])
def test_python_kernel_apply_matrix_non_unitary(k_q: int) -> None:
    rng = random.Random(SEED + 10 * k_q)
    n = 5
    k = PythonKernel()
    for _ in range(5):
        m = random_matrix(k_q, rng)
        qs = tuple(rng.sample(range(n), k_q))
        v = random_state(n, rng)
        want = mat_vec(full_matrix(m, qs, n), v)
        got = k.apply_matrix(k.from_amplitudes(v), n, tuple(tuple(r) for r in m), qs)
        assert max_diff(got, want) < 1e-11


def test_python_kernel_random_circuit_matches_reference() -> None:
    n = 6
    rng = random.Random(SEED)
    c = random_circuit(n, 60, rng)
    k = PythonKernel()
    s = k.zeros(n)
    want: list[complex] = [1 + 0j] + [0j] * ((1 << n) - 1)
    for ins in c.instructions:
        assert ins.gate is not None
        s = k.apply_gate(s, n, ins.gate, ins.qubits)
        want = mat_vec(full_matrix(ins.gate.matrix(), ins.qubits, n), want)
    assert max_diff(s, want) < TOL


# ---------------------------------------------------------------- numpy kernel
def _numpy_kernels() -> list[object]:
    import numpy

    from qtcore.sim._kernel_numpy import NumpyKernel

    return [NumpyKernel(), NumpyKernel(chunk=64), NumpyKernel(dtype=numpy.complex128, chunk=128)]


@pytest.fixture(params=["default", "narrow"])
def path_limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``narrow`` shrinks the kernel's thresholds so n <= 6 reaches every path."""
    if request.param == "narrow":
        import qtcore.sim._kernel_numpy as kn

        monkeypatch.setattr(kn, "_LOW_BITS", 3)
        monkeypatch.setattr(kn, "_MAX_SPAN", 2)
        monkeypatch.setattr(kn, "_MAX_DIAG_BITS", 4)
        monkeypatch.setattr(kn, "_REAL_1Q_MIN", 2)
        monkeypatch.setattr(kn, "_HADAMARD_MIN", 1)
        kn.clear_plans()  # gate plans are cached per gate: rebuild them under these limits
        yield str(request.param)
        kn.clear_plans()
        return
    yield str(request.param)


@pytest.mark.numpy
@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_numpy_kernel_gates_match_kronecker_reference(n: int, path_limits: str) -> None:
    rng = random.Random(SEED + n)
    for kern in _numpy_kernels():
        for g, qs in gate_cases(n, rng):
            v = random_state(n, rng)
            want = mat_vec(full_matrix(g.matrix(), qs, n), v)
            got = kern.apply_gate(kern.from_amplitudes(v), n, g, qs)  # type: ignore[attr-defined]
            assert max_diff(got, want) < TOL, (path_limits, g, qs)


@pytest.mark.numpy
@pytest.mark.parametrize("k_q", [1, 2, 3, 4])
def test_numpy_kernel_apply_matrix_any_qubits(k_q: int, path_limits: str) -> None:
    import numpy

    rng = random.Random(SEED + k_q)
    n = 6
    for kern in _numpy_kernels():
        for _ in range(6):
            m = random_matrix(k_q, rng)
            qs = tuple(rng.sample(range(n), k_q))
            v = random_state(n, rng)
            want = mat_vec(full_matrix(m, qs, n), v)
            got = kern.apply_matrix(kern.from_amplitudes(v), n, numpy.array(m), qs)  # type: ignore[attr-defined]
            assert max_diff(got, want) < 1e-11, (path_limits, qs)


@pytest.mark.numpy
@pytest.mark.parametrize("k_q", [1, 2, 4, 6])
def test_numpy_kernel_apply_diagonal(k_q: int, path_limits: str) -> None:
    rng = random.Random(SEED - k_q)
    n = 6
    for kern in _numpy_kernels():
        d = [cmath.exp(1j * rng.uniform(-3, 3)) for _ in range(1 << k_q)]
        qs = tuple(rng.sample(range(n), k_q))
        dm = [[d[i] if i == j else 0j for j in range(len(d))] for i in range(len(d))]
        v = random_state(n, rng)
        want = mat_vec(full_matrix(dm, qs, n), v)
        got = kern.apply_diagonal(kern.from_amplitudes(v), n, d, qs)  # type: ignore[attr-defined]
        assert max_diff(got, want) < TOL


@pytest.mark.numpy
@pytest.mark.parametrize("gather_bits", [0, 10])
def test_numpy_kernel_low_permutation_gather_at_ten_qubits(
    gather_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Low-qubit permutations (sub-view swaps, or the gather path): compare with python."""
    import qtcore.sim._kernel_numpy as kn
    from qtcore.sim._kernel_numpy import NumpyKernel

    monkeypatch.setattr(kn, "_PERM_LOW_BITS", gather_bits)
    monkeypatch.setattr(kn, "_PLANS", {})  # plans built under this limit stay in this test
    n = 11
    rng = random.Random(SEED)
    v = random_state(n, rng)
    pk, nk = PythonKernel(), NumpyKernel(chunk=256)
    for name, qs in [
        ("x", (3,)),
        ("cx", (0, 9)),
        ("cx", (9, 2)),
        ("swap", (1, 7)),
        ("ccx", (4, 0, 8)),
        ("cswap", (2, 5, 9)),
        ("cx", (10, 0)),
    ]:
        g = Gate(name)
        ref = pk.apply_gate(pk.from_amplitudes(v), n, g, qs)
        got = nk.apply_gate(nk.from_amplitudes(v), n, g, qs)
        assert max_diff(got, ref) < TOL, (name, qs)
        # a permutation only moves amplitudes: the multiset of values is unchanged
        assert sorted(abs(z) for z in got) == sorted(abs(z) for z in v)


@pytest.mark.numpy
@pytest.mark.parametrize("n", [3, 5])
def test_numpy_kernel_cached_gate_plans_match_reference(n: int) -> None:
    """A gate applied again (an equal new object, other states, other kernels) reuses its
    cached plan; every application must still match the reference."""
    import numpy

    from qtcore.sim._kernel_numpy import NumpyKernel, clear_plans

    clear_plans()
    rng = random.Random(SEED * 3 + n)
    cases = list(gate_cases(n, rng))
    kernels = [NumpyKernel(), NumpyKernel(chunk=64), NumpyKernel(dtype=numpy.complex64)]
    for rep in range(3):
        for g, qs in cases:
            again = g if rep == 0 else Gate(g.name, g.params, g.num_controls)
            v = random_state(n, rng)
            want = mat_vec(full_matrix(g.matrix(), qs, n), v)
            for kern in kernels:
                got = kern.apply_gate(kern.from_amplitudes(v), n, again, qs)
                tol = TOL if kern.dtype == numpy.complex128 else 1e-5
                assert max_diff(got, want) < tol, (rep, g, qs, kern.dtype, kern.chunk)


@pytest.mark.numpy
@pytest.mark.parametrize("width", [0, 1, 3, 7])
def test_numpy_sub_index_reads_bits_at_positions(width: int) -> None:
    from qtcore.sim._dense import sub_index

    rng = random.Random(SEED + width)
    for k in range(width + 1):
        pos = tuple(rng.sample(range(width), k))
        want = [sum(((x >> p) & 1) << j for j, p in enumerate(pos)) for x in range(1 << width)]
        assert sub_index(width, pos).tolist() == want, pos


@pytest.mark.numpy
@pytest.mark.parametrize("k", [1, 3, 6, 7, 9])
def test_numpy_diagonal_controls_are_the_bits_where_zero_means_one(k: int) -> None:
    import numpy

    from qtcore.sim._dense import diagonal_controls

    rng = random.Random(SEED + 7 * k)
    for _ in range(4):
        ctrl = set(rng.sample(range(k), rng.randint(0, k)))
        # 1 wherever some control bit is 0, a random phase elsewhere
        d = [
            1 + 0j if any(not (i >> j) & 1 for j in ctrl) else cmath.exp(1j * rng.uniform(0.1, 3))
            for i in range(1 << k)
        ]
        assert diagonal_controls(numpy.array(d), k) == sorted(ctrl)


@pytest.mark.numpy
@pytest.mark.parametrize("chunk", [64, 1 << 15])
def test_numpy_kernel_real_1q_paths_above_and_within_one_block(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real 1-qubit matrices: float-view path when the state spans several scratch
    blocks (chunk 64 at n = 7), BLAS paths when it fits in one."""
    import qtcore.sim._kernel_numpy as kn

    monkeypatch.setattr(kn, "_REAL_1Q_MIN", 2)
    monkeypatch.setattr(kn, "_PLANS", {})
    n = 7
    rng = random.Random(SEED + chunk)
    kern = kn.NumpyKernel(chunk=chunk)
    for q in range(n):
        for g in (Gate("ry", [rng.uniform(-3, 3)]), Gate("h"), Gate("x")):
            v = random_state(n, rng)
            want = mat_vec(full_matrix(g.matrix(), (q,), n), v)
            got = kern.apply_matrix(kern.from_amplitudes(v), n, g.matrix(), (q,))
            assert max_diff(got, want) < TOL, (g, q)


@pytest.mark.numpy
def test_numpy_kernel_zeros_is_basis_state_zero() -> None:
    from qtcore.sim._kernel_numpy import NumpyKernel

    s = NumpyKernel().zeros(12)
    assert s[0] == 1 and not s[1:].any()


@pytest.mark.numpy
def test_numpy_kernel_complex64_is_close() -> None:
    import numpy

    from qtcore.sim._kernel_numpy import NumpyKernel

    n = 6
    rng = random.Random(SEED)
    c = random_circuit(n, 40, rng)
    k32 = NumpyKernel(dtype=numpy.complex64)
    s = k32.zeros(n)
    want: list[complex] = [1 + 0j] + [0j] * ((1 << n) - 1)
    for ins in c.instructions:
        assert ins.gate is not None
        s = k32.apply_gate(s, n, ins.gate, ins.qubits)
        want = mat_vec(full_matrix(ins.gate.matrix(), ins.qubits, n), want)
    assert s.dtype == numpy.complex64
    assert max_diff(s, want) < 1e-5


@pytest.mark.numpy
@pytest.mark.parametrize(("dtype", "chunk"), [("float64", 1 << 15), ("complex128", 100)])
def test_numpy_kernel_rejects_bad_options(dtype: str, chunk: int) -> None:
    from qtcore.errors import SimulationError
    from qtcore.sim._kernel_numpy import NumpyKernel

    with pytest.raises(SimulationError, match=r"dtype|chunk"):
        NumpyKernel(dtype=dtype, chunk=chunk)


# ---------------------------------------------------------------- fusion
@pytest.mark.numpy
@pytest.mark.parametrize("max_qubits", [2, 3, 5])
def test_fusion_matches_reference(max_qubits: int, path_limits: str) -> None:
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    n = 6
    rng = random.Random(SEED + max_qubits)
    c = random_circuit(n, 80, rng)
    c.barrier()
    c.h(0).cx(0, 1).cz(1, 2).rz(0.3, 2)
    prog = fuse(c.instructions, n, NUMPY_FUSION, max_qubits=max_qubits)
    gates = [i for i in c.instructions if i.kind == "gate"]
    assert sum(op.count for op in prog) == len(gates)
    assert [op.kind for op in prog].count("instruction") == 1  # the barrier
    wide = [op for op in prog if len(op.qubits) > max_qubits and op.kind == "matrix"]
    assert not wide  # wider gates are kept as they are
    want: list[complex] = [1 + 0j] + [0j] * ((1 << n) - 1)
    for ins in gates:
        assert ins.gate is not None
        want = mat_vec(full_matrix(ins.gate.matrix(), ins.qubits, n), want)
    kern = NumpyKernel(chunk=64)
    s = kern.zeros(n)
    for op in prog:
        if op.kind != "instruction":
            s = op.apply(kern, s, n)
    assert len(prog) < len(gates)
    assert max_diff(s, want) < 1e-11


@pytest.mark.numpy
def test_fusion_keeps_conditioned_gates_in_place() -> None:
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION

    c = Circuit(3, 1).h(0).h(1).measure(0, 0).x(2).c_if(0, 1).h(1).cx(1, 2)
    kinds = [op.kind for op in fuse(c.instructions, 3, NUMPY_FUSION)]
    assert kinds.count("instruction") == 2
    first, second = (i for i, kd in enumerate(kinds) if kd == "instruction")
    assert second == first + 1  # nothing was moved across the measurement


@pytest.mark.numpy
def test_fusion_rejects_bad_width() -> None:
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION

    with pytest.raises(ValueError, match="max_qubits"):
        fuse([], 3, NUMPY_FUSION, max_qubits=9)


@pytest.mark.numpy
@pytest.mark.parametrize("n", [1, 3, 7, 9])
def test_numpy_kernel_reductions_match_direct_sums(n: int) -> None:
    """norm, inner product, P(1) and probabilities, block by block, against plain sums."""
    import numpy

    from qtcore.sim._kernel_numpy import NumpyKernel

    rng = random.Random(SEED * n)
    a, b = random_state(n, rng), random_state(n, rng)
    for dtype, tol in ((numpy.complex128, 1e-13), (numpy.complex64, 1e-6)):
        for chunk in (64, 1 << 15):
            k = NumpyKernel(dtype=dtype, chunk=chunk)
            sa, sb = k.from_amplitudes(a), k.from_amplitudes(b)
            xa = [complex(z) for z in sa]  # the amplitudes as stored (rounded for complex64)
            xb = [complex(z) for z in sb]
            assert abs(k.norm_sq(sa) - math.fsum(abs(z) ** 2 for z in xa)) < tol
            want = sum(x.conjugate() * y for x, y in zip(xa, xb, strict=True))
            assert abs(k.inner(sa, sb) - want) < tol
            for q in range(n):
                p1 = math.fsum(abs(z) ** 2 for i, z in enumerate(xa) if (i >> q) & 1)
                assert abs(k.prob_one(sa, n, q) - p1) < tol
            probs = k.probability_array(sa)
            assert probs.dtype == numpy.float64
            assert max(abs(p - abs(z) ** 2) for p, z in zip(probs, xa, strict=True)) < tol
            assert k.probabilities(sa) == probs.tolist()


@pytest.mark.numpy
@pytest.mark.parametrize("n", [3, 6])
def test_numpy_kernel_controlled_diagonal_touches_only_control_subspace(
    n: int, path_limits: str
) -> None:
    """Diagonals that are 1 wherever some qubits are 0 (CP ladders, MCP-like tables)."""
    rng = random.Random(SEED + 7 * n)
    for kern in _numpy_kernels():
        for _ in range(8):
            k_q = rng.randint(1, n)
            qs = tuple(rng.sample(range(n), k_q))
            ctrl = set(rng.sample(range(k_q), rng.randint(1, k_q)))
            d = [
                cmath.exp(1j * rng.uniform(-3, 3)) if all((i >> j) & 1 for j in ctrl) else 1 + 0j
                for i in range(1 << k_q)
            ]
            dm = [[d[i] if i == j else 0j for j in range(len(d))] for i in range(len(d))]
            v = random_state(n, rng)
            want = mat_vec(full_matrix(dm, qs, n), v)
            got = kern.apply_diagonal(kern.from_amplitudes(v), n, d, qs)  # type: ignore[attr-defined]
            assert max_diff(got, want) < TOL, (path_limits, qs, ctrl)


def _qft_circuit(n: int) -> Circuit:
    c = Circuit(n)
    for j in reversed(range(n)):
        c.h(j)
        for k in reversed(range(j)):
            c.cp(math.pi / 2 ** (j - k), k, j)
    return c


@pytest.mark.numpy
@pytest.mark.parametrize(("max_qubits", "matrices"), [(2, [2, 2, 2]), (4, [4, 2])])
def test_fusion_qft_merges_hadamards_and_keeps_ladders_diagonal(
    max_qubits: int, matrices: list[int]
) -> None:
    """QFT: consecutive Hadamards and the phases between them share one dense pass.

    ``CP(j-1, j)`` moves out of ``H(j)``'s ladder into the dense group, so ``H(j-1)``
    can join it; the rest of every ladder stays in diagonal passes.
    """
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    n = 6
    c = _qft_circuit(n)
    prog = fuse(c.instructions, n, NUMPY_FUSION, max_qubits=max_qubits, max_diagonal_qubits=3)
    assert [len(op.qubits) for op in prog if op.kind == "matrix"] == matrices
    assert {op.kind for op in prog} == {"matrix", "diagonal"}
    assert sum(op.count for op in prog) == len(c.instructions)
    kern = NumpyKernel(chunk=64)
    s = kern.zeros(n)
    for op in prog:
        s = op.apply(kern, s, n)
    # QFT|0> is the uniform superposition
    assert max(abs(z - 1 / math.sqrt(1 << n)) for z in s) < TOL


@pytest.mark.numpy
@pytest.mark.parametrize("seed", range(12))
def test_fusion_moving_phases_into_dense_groups_is_exact(seed: int) -> None:
    """Random mixes of 1-qubit gates and diagonals (CP, CZ, RZZ, CCZ-like MCP) with a few
    non-diagonal 2-qubit gates: the fused program equals the gate-by-gate product."""
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    rng = random.Random(SEED + 100 + seed)
    n = 6
    c = Circuit(n)
    for _ in range(70):
        r = rng.random()
        qs = rng.sample(range(n), 3)
        if r < 0.3:
            getattr(c, rng.choice(["h", "h", "sx", "t"]))(qs[0])
        elif r < 0.4:
            c.ry(rng.uniform(-3, 3), qs[0])
        elif r < 0.6:
            c.cp(rng.uniform(-3, 3), qs[0], qs[1])
        elif r < 0.7:
            c.cz(qs[0], qs[1])
        elif r < 0.8:
            c.rzz(rng.uniform(-3, 3), qs[0], qs[1])
        elif r < 0.88:
            c.mcp(rng.uniform(-3, 3), [qs[0], qs[1]], qs[2])
        elif r < 0.95:
            c.cx(qs[0], qs[1])
        else:
            c.swap(qs[0], qs[1])
    want: list[complex] = [1 + 0j] + [0j] * ((1 << n) - 1)
    for ins in c.instructions:
        assert ins.gate is not None
        want = mat_vec(full_matrix(ins.gate.matrix(), ins.qubits, n), want)
    kern = NumpyKernel(chunk=64)
    for max_qubits in (2, 3, 4):
        prog = fuse(c.instructions, n, NUMPY_FUSION, max_qubits=max_qubits, max_diagonal_qubits=3)
        assert sum(op.count for op in prog) == len(c.instructions)
        s = kern.zeros(n)
        for op in prog:
            s = op.apply(kern, s, n)
        assert max_diff(s, want) < 1e-11, (seed, max_qubits)


@pytest.mark.numpy
@pytest.mark.parametrize("n", [1, 4, 9])
def test_sample_state_streams_the_same_draws(n: int) -> None:
    """Block-wise sampling gives the indices of a plain running-sum search, bit for bit."""
    from bisect import bisect_right

    from qtcore.rng import Rng
    from qtcore.sim._kernel_numpy import NumpyKernel

    rng = random.Random(SEED + n)
    v = random_state(n, rng)
    v = [0j if rng.random() < 0.3 else z for z in v]  # zero runs: ties in the running sum
    shots = 3000
    # reference: running sum in index order, first index whose sum exceeds u * total
    cum, acc = [], 0.0
    for z in v:
        acc += z.real * z.real + z.imag * z.imag
        cum.append(acc)
    us = Rng(11).randoms(shots)
    want = [min(bisect_right(cum, u * cum[-1]), len(v) - 1) for u in us]
    pk = PythonKernel()
    assert pk.sample_state(pk.from_amplitudes(v), shots, Rng(11)) == want
    for chunk in (64, 1 << 15):
        nk = NumpyKernel(chunk=chunk)
        got = nk.sample_state(nk.from_amplitudes(v), shots, Rng(11))
        assert got == want
        assert got == nk.sample(nk.probabilities(nk.from_amplitudes(v)), shots, Rng(11))


@pytest.mark.numpy
def test_simulate_shots_counts_identical_between_kernels() -> None:
    from qtcore import simulate

    rng = random.Random(SEED)
    c = random_circuit(7, 40, rng)
    a = simulate(c, 2000, seed=5, backend="numpy")
    b = simulate(c, 2000, seed=5, backend="python")
    assert a.counts == b.counts and sum(a.counts.values()) == 2000


# ---------------------------------------------------------------- fused permutations
@pytest.mark.numpy
@pytest.mark.parametrize("chunk", [64, 1 << 15])
@pytest.mark.parametrize(
    ("n", "lo", "w"), [(4, 0, 4), (9, 0, 5), (9, 2, 6), (12, 6, 6), (13, 7, 5)]
)
def test_apply_permutation_moves_window_amplitudes(n: int, lo: int, w: int, chunk: int) -> None:
    """``new[i] = old[src[window bits of i]]`` with the other bits kept, on both paths."""
    import numpy

    from qtcore.sim._kernel_numpy import NumpyKernel

    rng = random.Random(SEED + 31 * n + lo + w)
    src = list(range(1 << w))
    rng.shuffle(src)
    v = random_state(n, rng)
    kern = NumpyKernel(chunk=chunk)
    got = kern.apply_permutation(kern.from_amplitudes(v), n, numpy.array(src), lo)
    field = ((1 << w) - 1) << lo
    want = [v[(i & ~field) | (src[(i & field) >> lo] << lo)] for i in range(1 << n)]
    assert max_diff(got, want) == 0


@pytest.mark.numpy
def test_apply_permutation_rejects_a_window_outside_the_state() -> None:
    import numpy

    from qtcore.errors import SimulationError
    from qtcore.sim._kernel_numpy import NumpyKernel

    kern = NumpyKernel()
    with pytest.raises(SimulationError, match="window"):
        kern.apply_permutation(kern.zeros(3), 3, numpy.arange(8), 1)


@pytest.mark.numpy
def test_fusion_turns_a_cx_ladder_into_window_passes() -> None:
    """GHZ(14): H + CX(0, 1) dense, then the rest of the ladder in two window passes."""
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    n = 14
    c = Circuit(n).h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    prog = fuse(c.instructions, n, NUMPY_FUSION)
    assert [op.kind for op in prog] == ["matrix", "permutation", "permutation"]
    assert sum(op.count for op in prog) == len(c.instructions)
    kern = NumpyKernel()
    s = kern.zeros(n)
    for op in prog:
        s = op.apply(kern, s, n)
    amps = kern.to_list(s)
    r = 1 / math.sqrt(2)
    assert abs(amps[0] - r) < TOL and abs(amps[-1] - r) < TOL
    assert max(abs(z) for z in amps[1:-1]) == 0


@pytest.mark.numpy
@pytest.mark.parametrize("seed", range(8))
def test_fusion_of_permutation_runs_is_exact(seed: int) -> None:
    """Random CX / SWAP / CCX / CSWAP / X runs with a few rotations in between."""
    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    rng = random.Random(SEED + 200 + seed)
    n = 9
    c = Circuit(n)
    for _ in range(60):
        r = rng.random()
        a, b, d = (rng.randrange(n) for _ in range(3))
        near = sorted({a, min(n - 1, a + 1 + rng.randrange(2)), min(n - 1, a + 2)})
        if r < 0.1:
            c.ry(rng.uniform(-3, 3), b)
        elif r < 0.45 and len(near) >= 2:
            c.cx(near[0], near[1]) if rng.random() < 0.5 else c.cx(near[1], near[0])
        elif r < 0.6 and len(near) >= 2:
            c.swap(near[0], near[-1])
        elif r < 0.75 and len(near) == 3:
            c.ccx(near[0], near[2], near[1])
        elif r < 0.85 and len(near) == 3:
            c.cswap(near[1], near[0], near[2])
        elif r < 0.95:
            c.x(d)
        else:
            c.cx(a, b) if a != b else c.x(a)
    start = random_state(n, rng)
    ref = PythonKernel()  # the independent kernel, itself checked against full matrices
    want = ref.from_amplitudes(start)
    for ins in c.instructions:
        assert ins.gate is not None
        want = ref.apply_gate(want, n, ins.gate, ins.qubits)
    for chunk in (64, 1 << 15):
        kern = NumpyKernel(chunk=chunk)
        prog = fuse(c.instructions, n, NUMPY_FUSION)
        assert sum(op.count for op in prog) == len(c.instructions)
        s = kern.from_amplitudes(start)
        for op in prog:
            s = op.apply(kern, s, n)
        assert max_diff(s, want) < 1e-12, (seed, chunk)
