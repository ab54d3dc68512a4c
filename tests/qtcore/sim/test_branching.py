"""Shot branching: exact outcome distributions, kernel agreement, the fallback and its errors.

The reference distributions come from a density-matrix simulation written here with NumPy
(a density matrix per classical register value, Kraus operators summed exactly), not from
qtcore's simulator. Seeds are fixed and printed in failure messages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from qtcore import Circuit, simulate
from qtcore.errors import SimulationError
from qtcore.noise import (
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    phase_flip,
)
from qtcore.rng import Rng

try:  # the exact reference needs NumPy; the rest also runs on bare Pyodide
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

ONE_QUBIT = ["h", "x", "s", "t", "sx"]
ROTATIONS = ["rx", "ry", "rz"]


# ----------------------------------------------------------------- the reference
def _apply_op(rho: Any, op: Any, qubits: Sequence[int], n: int) -> Any:
    """``op rho op^dagger`` with ``op`` acting on ``qubits`` (qubits[0] = least significant
    bit of op's index), by tensor contraction on a (2,)*2n view."""
    k = len(qubits)
    t = rho.reshape((2,) * (2 * n))
    m = np.asarray(op, dtype=complex).reshape((2,) * (2 * k))
    # axis of qubit q in the row index is n - 1 - q (big-endian reshape)
    rows = [n - 1 - q for q in reversed(qubits)]
    cols = [2 * n - 1 - q for q in reversed(qubits)]
    t = np.tensordot(m, t, axes=(list(range(k, 2 * k)), rows))
    t = np.moveaxis(t, list(range(k)), rows)
    t = np.tensordot(t, m.conj(), axes=(cols, list(range(k, 2 * k))))
    t = np.moveaxis(t, list(range(2 * n - k, 2 * n)), cols)
    return t.reshape(1 << n, 1 << n)


def _projector(q: int, v: int) -> Any:
    return np.diag([1.0, 0.0] if v == 0 else [0.0, 1.0]).astype(complex)


def exact_distribution(circ: Circuit, noise: NoiseModel | None = None) -> dict[str, float]:
    """The exact distribution of the classical register: a density matrix per register value."""
    n, nc = circ.num_qubits, circ.num_clbits
    rho0 = np.zeros((1 << n, 1 << n), dtype=complex)
    rho0[0, 0] = 1.0
    branches: dict[int, Any] = {0: rho0}
    for ins in circ.instructions:
        nxt: dict[int, Any] = {}

        def add(v: int, r: Any, nxt: dict[int, Any] = nxt) -> None:
            nxt[v] = nxt[v] + r if v in nxt else r

        for v, rho in branches.items():
            cond = ins.condition
            if cond is not None:
                val = sum(((v >> c) & 1) << i for i, c in enumerate(cond.clbits))
                if val != cond.value:
                    add(v, rho)
                    continue
            if ins.kind == "gate":
                assert ins.gate is not None
                rho = _apply_op(rho, ins.gate.matrix(), ins.qubits, n)
                if noise is not None:
                    for ch, qs in noise.channels_after(ins.gate, ins.qubits):
                        rho = sum(_apply_op(rho, kr, qs, n) for kr in ch.kraus())
                add(v, rho)
            elif ins.kind == "measure":
                q, c = ins.qubits[0], ins.clbits[0]
                ro = noise.readout_error(q) if noise is not None else None
                for out in (0, 1):
                    r = _apply_op(rho, _projector(q, out), (q,), n)
                    reads = (
                        [(out, 1.0)]
                        if ro is None
                        else [
                            (0, ro.matrix()[0][out]),
                            (1, ro.matrix()[1][out]),
                        ]
                    )
                    for read, w in reads:
                        add((v & ~(1 << c)) | (read << c), w * r)
            elif ins.kind == "reset":
                q = ins.qubits[0]
                lower = np.array([[1, 1], [0, 0]], dtype=complex)  # |0><0| + |0><1|
                k0 = np.array([[1, 0], [0, 0]], dtype=complex)
                k1 = lower - k0
                add(v, _apply_op(rho, k0, (q,), n) + _apply_op(rho, k1, (q,), n))
            else:
                add(v, rho)
        branches = nxt
    out: dict[str, float] = {}
    for v, rho in branches.items():
        p = float(np.trace(rho).real)
        if p > 1e-14:
            key = format(v, f"0{nc}b")
            out[key] = out.get(key, 0.0) + p
    return out


# ----------------------------------------------------------------- random circuits
def random_dynamic_circuit(rng: Rng, n: int, nc: int, length: int) -> Circuit:
    c = Circuit(n, nc)
    for _ in range(length):
        r = rng.random()
        if r < 0.35:
            c._g(ONE_QUBIT[rng.randrange(len(ONE_QUBIT))], (rng.randrange(n),))
        elif r < 0.5:
            c._g(ROTATIONS[rng.randrange(3)], (rng.randrange(n),), (rng.random() * 3,))
        elif r < 0.65 and n > 1:
            a = rng.randrange(n)
            b = (a + 1 + rng.randrange(n - 1)) % n
            c.cx(a, b)
        elif r < 0.8:
            c.measure(rng.randrange(n), rng.randrange(nc))
        elif r < 0.88:
            c.reset(rng.randrange(n))
        else:
            c._g(ONE_QUBIT[rng.randrange(len(ONE_QUBIT))], (rng.randrange(n),))
            bits = sorted({rng.randrange(nc) for _ in range(2)})
            c.c_if(bits, rng.randrange(1 << len(bits)))
    for q in range(min(n, nc)):
        c.measure(q, q)
    return c


def random_noise(rng: Rng) -> NoiseModel:
    pick = rng.randrange(4)
    nm = NoiseModel()
    if pick == 0:
        nm.add(depolarizing(0.1)).add(amplitude_damping(0.2), gates=["h", "x", "rx"])
    elif pick == 1:
        nm.add(phase_damping(0.3)).add(bit_flip(0.05)).add_readout_error(ReadoutError(0.03, 0.1))
    elif pick == 2:
        nm.add(depolarizing2(0.08), gates=["cx"]).add(phase_flip(0.1), gates=["h", "s"])
    else:
        nm.add(amplitude_damping(0.15)).add_readout_error(ReadoutError(0.05, 0.02), qubits=[0])
    return nm


def chi_square(counts: dict[str, int], probs: dict[str, float], shots: int) -> tuple[float, int]:
    """Pearson's statistic and its degrees of freedom; bins below 5 expected are pooled."""
    for k in counts:
        assert probs.get(k, 0.0) > 0.0, f"outcome {k} has probability 0 but was counted"
    stat, dof, pool_o, pool_e = 0.0, -1, 0, 0.0
    for k, p in probs.items():
        e, o = shots * p, counts.get(k, 0)
        if e < 5:
            pool_o, pool_e = pool_o + o, pool_e + e
            continue
        stat += (o - e) ** 2 / e
        dof += 1
    if pool_e > 0:
        stat += (pool_o - pool_e) ** 2 / max(pool_e, 1e-300)
        dof += 1
    return stat, max(dof, 0)


def six_sigma(counts: dict[str, int], probs: dict[str, float], shots: int) -> list[str]:
    bad = []
    for k in set(counts) | set(probs):
        p, o = probs.get(k, 0.0), counts.get(k, 0)
        sd = math.sqrt(shots * p * (1 - p))
        if abs(o - shots * p) > 6 * sd + 1e-9:
            bad.append(f"{k}: {o} vs {shots * p:.1f} +- {sd:.1f}")
    return bad


# ----------------------------------------------------------------- the tests
def test_rng_binomial_matches_the_exact_pmf() -> None:
    rng = Rng(2024)
    for n, p, draws in [
        (12, 0.3, 20000),
        (40, 0.93, 20000),
        (5000, 0.5, 3000),
        (300, 0.002, 20000),
    ]:
        pmf = {  # in log space: comb(5000, k) overflows a float
            k: math.exp(
                math.lgamma(n + 1)
                - math.lgamma(k + 1)
                - math.lgamma(n - k + 1)
                + k * math.log(p)
                + (n - k) * math.log1p(-p)
            )
            for k in range(n + 1)
        }
        counts: dict[str, int] = {}
        for _ in range(draws):
            k = rng.binomial(n, p)
            assert 0 <= k <= n
            counts[str(k)] = counts.get(str(k), 0) + 1
        probs = {str(k): v for k, v in pmf.items() if v > 1e-300}
        stat, dof = chi_square(counts, probs, draws)
        assert (stat - dof) / math.sqrt(2 * max(dof, 1)) < 6, (n, p, stat, dof)
        assert not six_sigma(counts, probs, draws), (n, p)


def test_rng_binomial_edges_and_errors() -> None:
    rng = Rng(1)
    state = rng._random.getstate()
    assert rng.binomial(0, 0.5) == 0
    assert rng._random.getstate() == state, "n == 0 draws nothing"
    assert rng.binomial(7, 0.0) == 0 and rng.binomial(7, 1.0) == 7
    with pytest.raises(ValueError, match="p must be in"):
        rng.binomial(3, 1.5)
    with pytest.raises(ValueError, match="p must be in"):
        rng.binomial(3, float("nan"))
    with pytest.raises(ValueError, match="non-negative int"):
        rng.binomial(-1, 0.5)
    with pytest.raises(ValueError, match="sum to zero"):
        rng.multinomial(3, [0.0, 0.0])
    assert sum(Rng(3).multinomial(1000, [0.2, 0.0, 0.5, 0.3])) == 1000
    assert Rng(3).multinomial(1000, [0.2, 0.0, 0.5, 0.3])[1] == 0


@pytest.mark.numpy
def test_branching_matches_exact_distributions_of_random_dynamic_circuits() -> None:
    """60 random circuits with mid-circuit measurement, reset, conditions and noise: the
    summed chi-square is within 6 sigma of its degrees of freedom and every outcome count
    within 6 sigma of its expectation."""
    rng = Rng(11)
    total_stat, total_dof, failures, branched = 0.0, 0, [], 0
    shots = 4000
    for i in range(60):
        n = 1 + rng.randrange(3)
        nc = 1 + rng.randrange(3)
        circ = random_dynamic_circuit(rng, n, nc, 6 + rng.randrange(10))
        noise = random_noise(rng) if i % 2 else None
        probs = exact_distribution(circ, noise)
        assert abs(sum(probs.values()) - 1) < 1e-9
        seed = 1000 + i
        res = simulate(circ, shots, seed=seed, noise=noise, backend="numpy")
        branched += res.method == "branching"
        assert sum(res.counts.values()) == shots
        stat, dof = chi_square(res.counts, probs, shots)
        total_stat, total_dof = total_stat + stat, total_dof + dof
        bad = six_sigma(res.counts, probs, shots)
        if bad:
            failures.append(f"circuit {i} seed {seed}: {bad}\n{circ.draw()}")
    assert not failures, failures
    assert branched >= 50, "most random circuits are dynamic"
    z = (total_stat - total_dof) / math.sqrt(2 * total_dof)
    assert abs(z) < 6, f"chi-square {total_stat:.1f} on {total_dof} dof (z = {z:.2f})"


@pytest.mark.numpy
def test_trajectories_match_the_same_exact_distributions() -> None:
    """The per-shot fallback is held to the same reference (fewer, smaller circuits)."""
    rng = Rng(12)
    for i in range(12):
        circ = random_dynamic_circuit(rng, 2, 2, 8)
        noise = random_noise(rng)
        probs = exact_distribution(circ, noise)
        res = simulate(circ, 1500, seed=i, noise=noise, method="trajectories")
        assert res.method == "trajectories"
        assert not six_sigma(res.counts, probs, 1500), (i, circ.draw())


@pytest.mark.numpy
def test_teleportation_delivers_the_state_exactly() -> None:
    """The receiver's qubit measured after the corrections reads 1 with sin^2(theta/2)."""
    theta = 1.1
    c = Circuit(3, 3).ry(theta, 0).h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1)
    c.x(2).c_if(1, 1).z(2).c_if(0, 1).measure(2, 2)
    shots = 20000
    res = simulate(c, shots, seed=8)
    ones = sum(v for k, v in res.counts.items() if k[0] == "1")
    p = math.sin(theta / 2) ** 2
    assert abs(ones - shots * p) < 6 * math.sqrt(shots * p * (1 - p))
    # the two sender bits are uniform and independent of the receiver's
    assert not six_sigma(res.counts, exact_distribution(c), shots)


@pytest.mark.numpy
def test_counts_are_identical_with_every_kernel() -> None:
    rng = Rng(13)
    for i in range(25):
        circ = random_dynamic_circuit(rng, 1 + rng.randrange(4), 3, 12)
        noise = random_noise(rng) if i % 3 else None
        a = simulate(circ, 3000, seed=i, noise=noise, backend="numpy", memory=True)
        assert a.kernel == "numpy"
        b = simulate(circ, 3000, seed=i, noise=noise, backend="python", memory=True)
        assert a.method == b.method
        assert a.counts == b.counts, i
        assert a.memory == b.memory and a.clbits == b.clbits


def test_memory_lists_every_shot_in_a_shuffled_order() -> None:
    c = Circuit(2, 2).h(0).measure(0, 0).cx(0, 1).measure(1, 1)
    res = simulate(c, 400, seed=4, memory=True)
    assert res.memory is not None and len(res.memory) == 400
    assert {k: res.memory.count(k) for k in res.counts} == res.counts
    assert res.memory != sorted(res.memory), "branches are not listed one after another"
    assert res.clbits == [int(ch) for ch in reversed(res.memory[-1])]


def test_branch_count_not_shots_sets_the_cost() -> None:
    """A deterministic mid-circuit measurement never splits: one branch, one sample call."""
    c = Circuit(3, 3).x(0).measure(0, 0).h(1).c_if(0, 1).measure(1, 1).measure(2, 2)
    calls: list[int] = []
    from qtcore.sim._kernel_python import PythonKernel

    class Counting(PythonKernel):
        def sample_state(self, s: Any, shots: int, rng: Rng) -> list[int]:
            calls.append(shots)
            return super().sample_state(s, shots, rng)

    res = simulate(c, 10000, seed=3, backend=Counting())
    assert calls == [10000]
    assert set(res.counts) == {"001", "011"}


def test_memory_budget_falls_back_to_trajectories_and_says_so() -> None:
    c = Circuit(2, 2).h(0).measure(0, 0).h(0).measure(0, 1).measure(1, 0)
    assert simulate(c, 100, seed=1).method == "branching"
    low = simulate(c, 100, seed=1, memory_budget=16)
    assert low.method == "trajectories"
    assert low.counts == simulate(c, 100, seed=1, method="trajectories").counts
    with pytest.raises(SimulationError, match="memory_budget of 16"):
        simulate(c, 100, seed=1, method="branching", memory_budget=16)
    with pytest.raises(SimulationError, match="method must be one of"):
        simulate(c, 100, seed=1, method="shots")
    with pytest.raises(SimulationError, match="memory_budget must be"):
        simulate(c, 100, seed=1, memory_budget=-1)
    # a dynamic circuit without measurement: counts are over the qubits, as before
    d = Circuit(2).h(0).reset(0).x(0).h(1)
    res = simulate(d, 400, seed=2)
    assert res.method == "branching" and set(res.counts) == {"01", "11"}
