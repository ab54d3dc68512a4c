"""``assert_kernel_consistent``: one kernel against the kernel contract and plain references.

Every reference here is written out in plain Python on lists of amplitudes (dense
embedded matrices, explicit sums over basis indices) and shares no code with any
kernel, so a new kernel (a WebAssembly one, say) is checked against the same
independent yardstick as the pure-Python and NumPy kernels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from qtcore.ops import Gate
from qtcore.ops._matrix import Matrix
from qtcore.rng import Rng
from qtcore.sim import FusionProfile, Kernel
from qtcore.testing._reference import (
    apply_dense,
    assert_states_close,
    embed,
    random_gate,
    random_state,
)

__all__ = ["assert_kernel_consistent"]


def _random_matrix(k: int, rng: Rng) -> Matrix:
    dim = 1 << k
    return tuple(tuple(complex(rng.gauss(), rng.gauss()) for _ in range(dim)) for _ in range(dim))


def _pick(rng: Rng, n: int, k: int) -> list[int]:
    pool = list(range(n))
    return [pool.pop(rng.randrange(len(pool))) for _ in range(k)]


def _close(got: float | complex, want: float | complex, atol: float, what: str) -> None:
    assert abs(got - want) <= atol, f"{what}: got {got!r}, expected {want!r} (atol {atol:.0e})"


def _probs(amps: Sequence[complex]) -> list[float]:
    return [z.real * z.real + z.imag * z.imag for z in amps]


def _marginal(amps: Sequence[complex], qargs: Sequence[int]) -> list[float]:
    out = [0.0] * (1 << len(qargs))
    for i, p in enumerate(_probs(amps)):
        out[sum(((i >> q) & 1) << j for j, q in enumerate(qargs))] += p
    return out


def _rdm(amps: Sequence[complex], n: int, qargs: Sequence[int]) -> list[list[complex]]:
    """``rho[a][b] = sum over the other bits r of psi[a, r] conj(psi[b, r])``."""
    dim = 1 << len(qargs)
    rho = [[0j] * dim for _ in range(dim)]
    for i, x in enumerate(amps):
        for j, y in enumerate(amps):
            same_rest = all((i >> q) & 1 == (j >> q) & 1 for q in range(n) if q not in qargs)
            if same_rest:
                a = sum(((i >> q) & 1) << t for t, q in enumerate(qargs))
                b = sum(((j >> q) & 1) << t for t, q in enumerate(qargs))
                rho[a][b] += x * y.conjugate()
    return rho


def _check_state_ops(kernel: Kernel[Any], n: int, rng: Rng, atol: float) -> None:
    dim = 1 << n
    zero = kernel.zeros(n)
    assert kernel.num_qubits(zero) == n, f"num_qubits(zeros({n})) != {n}"
    assert kernel.to_list(zero) == [1 + 0j] + [0j] * (dim - 1), "zeros(n) is not |0...0>"
    for index in (0, 1, dim - 1, rng.randrange(dim)):
        want = [0j] * dim
        want[index] = 1 + 0j
        assert kernel.to_list(kernel.basis_state(n, index)) == want, f"basis_state({index})"
    amps = random_state(n, rng)
    s = kernel.from_amplitudes(amps)
    assert kernel.num_qubits(s) == n
    assert_states_close(kernel.to_list(s), amps, atol)
    kept = kernel.copy(s)
    s = kernel.apply_gate(s, n, Gate("x"), (0,))
    assert_states_close(kernel.to_list(kept), amps, atol)  # the copy did not move
    s = kernel.scale(kernel.from_amplitudes(amps), 0.5 - 2j)
    assert_states_close(kernel.to_list(s), [(0.5 - 2j) * z for z in amps], atol * 3)


def _check_operations(kernel: Kernel[Any], n: int, rng: Rng, atol: float) -> None:
    def check(full: list[list[complex]], op: Callable[..., Any], *args: Any) -> None:
        amps = random_state(n, rng)
        got = kernel.to_list(op(kernel.from_amplitudes(amps), n, *args))
        try:
            assert_states_close(got, apply_dense(full, amps), atol * 8)
        except AssertionError as e:
            raise AssertionError(f"{op.__name__}{tuple(args)!r}: {e}") from None

    for _ in range(12):
        g = random_gate(rng, n)
        qs = _pick(rng, n, g.num_qubits)
        check(embed(g.matrix(), qs, n), kernel.apply_gate, g, qs)
    for k in range(1, min(n, 3) + 1):
        m = _random_matrix(k, rng)
        qs = _pick(rng, n, k)
        check(embed(m, qs, n), kernel.apply_matrix, m, qs)
        rows = [list(r) for r in m]  # any sequence of sequences, not only tuples
        check(embed(m, qs, n), kernel.apply_matrix, rows, qs)
        d = [complex(math.cos(x), math.sin(x)) for x in (rng.random() * 6 for _ in range(1 << k))]
        d[0] = 1 + 0j  # the identity entry a controlled phase has
        dm = tuple(tuple(d[i] if i == j else 0j for j in range(1 << k)) for i in range(1 << k))
        check(embed(dm, qs, n), kernel.apply_diagonal, d, qs)
    for w in range(1, min(n, 3) + 1):
        lo = rng.randrange(n - w + 1)
        src = list(range(1 << w))
        for i in range(len(src) - 1, 0, -1):
            j = rng.randrange(i + 1)
            src[i], src[j] = src[j], src[i]
        dim = 1 << w
        pm = tuple(tuple(1 + 0j if src[r] == c else 0j for c in range(dim)) for r in range(dim))
        check(embed(pm, list(range(lo, lo + w)), n), kernel.apply_permutation, src, lo)


def _check_measurement(kernel: Kernel[Any], n: int, rng: Rng, atol: float) -> None:
    s = kernel.from_amplitudes(random_state(n, rng))
    amps = kernel.to_list(s)  # the references start from the amplitudes as stored
    other = kernel.to_list(kernel.from_amplitudes(random_state(n, rng)))
    _close(kernel.norm_sq(s), math.fsum(_probs(amps)), atol, "norm_sq")
    want_inner = sum(x.conjugate() * y for x, y in zip(amps, other, strict=True))
    _close(kernel.inner(s, kernel.from_amplitudes(other)), want_inner, atol, "inner")
    probs = kernel.probabilities(s)
    assert isinstance(probs, list) and len(probs) == 1 << n, "probabilities: a list of 2**n"
    for i, (p, want_p) in enumerate(zip(probs, _probs(amps), strict=True)):
        _close(p, want_p, atol, f"probabilities[{i}]")
    for q in range(n):
        p1 = math.fsum(p for i, p in enumerate(_probs(amps)) if (i >> q) & 1)
        _close(kernel.prob_one(s, n, q), p1, atol, f"prob_one(q={q})")
        for outcome in (0, 1):
            prob = p1 if outcome else 1.0 - p1
            got = kernel.to_list(kernel.collapse(kernel.from_amplitudes(amps), n, q, outcome, prob))
            f = 1.0 / math.sqrt(prob)
            want = [f * z if (i >> q) & 1 == outcome else 0j for i, z in enumerate(amps)]
            assert_states_close(got, want, atol * 4)
    qargs = _pick(rng, n, min(n, 2))
    for i, (p, want_p) in enumerate(
        zip(kernel.marginal(s, n, qargs), _marginal(amps, qargs), strict=True)
    ):
        _close(p, want_p, atol, f"marginal({qargs})[{i}]")
    rho = kernel.reduced_density_matrix(s, n, qargs)
    want_rho = _rdm(amps, n, qargs)
    for a, row in enumerate(want_rho):
        for b, x in enumerate(row):
            _close(rho[a][b], x, atol, f"reduced_density_matrix({qargs})[{a}][{b}]")
    bloch, marginals = kernel.bloch_and_marginals(s, n)
    assert len(bloch) == len(marginals) == n, "bloch_and_marginals: one entry per qubit"
    for q in range(n):
        r = _rdm(amps, n, [q])
        want_b = (2 * r[0][1].real, -2 * r[0][1].imag, (r[0][0] - r[1][1]).real)
        for axis in range(3):
            _close(bloch[q][axis], want_b[axis], atol, f"bloch[{q}][{'xyz'[axis]}]")
        _close(marginals[q], r[1][1].real, atol, f"marginals[{q}]")
    some = list(reversed(qargs))
    sub_bloch, sub_marginals = kernel.bloch_and_marginals(s, n, some)
    assert len(sub_bloch) == len(sub_marginals) == len(some), (
        f"bloch_and_marginals(qubits={some}): one entry per listed qubit"
    )
    for j, q in enumerate(some):
        assert sub_bloch[j] == bloch[q] and sub_marginals[j] == marginals[q], (
            f"bloch_and_marginals(qubits={some}): qubit {q} differs from the all-qubit call"
        )
    shots = 64
    seed = rng.randrange(1 << 30)
    got_idx = kernel.sample_state(s, shots, Rng(seed))
    running, cum = 0.0, []
    for p in _probs(amps):
        running += p
        cum.append(running)
    want_idx = []
    for u in Rng(seed).randoms(shots):
        x = u * running
        want_idx.append(next((i for i, c in enumerate(cum) if c > x), len(cum) - 1))
    assert got_idx == want_idx, "sample_state: not the inverse-CDF index of each uniform"


def _check_top_states(kernel: Kernel[Any], n: int, rng: Rng, atol: float) -> None:
    s = kernel.from_amplitudes(random_state(n, rng))
    amps = kernel.to_list(s)
    order = sorted(range(1 << n), key=lambda i: -_probs(amps)[i])
    for k in (1, 3, 1 << n):
        idx, probs, top = kernel.top_states(s, n, k)
        assert idx == order[:k], f"top_states(k={k}): indices {idx} != {order[:k]}"
        for i, p, z in zip(idx, probs, top, strict=True):
            _close(p, _probs(amps)[i], atol, f"top_states probability of {i}")
            _close(z, amps[i], atol, f"top_states amplitude of {i}")
    # ties go to the lower index; zero-probability states are left out
    dim = 1 << n
    tied = [0j] * dim
    for i in (dim - 1, 1, dim // 2):
        tied[i] = complex(1 / math.sqrt(3))
    idx, probs, _ = kernel.top_states(kernel.from_amplitudes(tied), n, dim)
    assert idx == sorted({1, dim // 2, dim - 1}), f"top_states ties/zeros: got {idx}"


def assert_kernel_consistent(
    kernel: Kernel[Any], *, num_qubits: int = 4, seed: int = 20240611, atol: float = 1e-12
) -> None:
    """Checks one kernel against the kernel contract (:class:`qtcore.sim.Kernel`).

    Every method is compared with a plain-Python reference on random states, gates,
    matrices, diagonals and permutations (qubits in scrambled order): construction and
    copies, gates, measurement and collapse, sampling (the same uniforms must give the
    same indices as the inverse CDF), reductions (marginals, reduced density matrices,
    Bloch vectors, top-k states with ties and zeros).

    Args:
        kernel: the kernel under test.
        num_qubits: width of the test states (>= 3; the references are dense).
        seed: seed of every random choice (printed in failures through the values).
        atol: tolerance (1e-12 for complex128; about 1e-6 for complex64 kernels).

    Raises:
        AssertionError: naming the first method that disagrees.
    """
    assert isinstance(kernel, Kernel), f"{kernel!r} lacks methods of the kernel contract"
    assert isinstance(kernel.name, str) and kernel.name, "kernel.name must be a non-empty str"
    assert kernel.fusion is None or isinstance(kernel.fusion, FusionProfile), "kernel.fusion"
    assert num_qubits >= 3, "num_qubits must be >= 3"
    rng = Rng(seed)
    for check in (_check_state_ops, _check_operations, _check_measurement, _check_top_states):
        check(kernel, num_qubits, rng, atol)
