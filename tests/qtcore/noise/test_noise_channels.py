"""Noise channels: Monte-Carlo trajectory averages against an exact density-matrix reference.

The reference below is written independently of qtcore: gate unitaries and Kraus operators
are typed in from Nielsen & Chuang §8.3, and ``rho -> sum_i K_i rho K_i^dagger`` is done with
dense matrices. Every trajectory estimate must agree with it within 5 standard errors (the
standard error is computed from the per-trajectory sample variance, not guessed).
"""

from __future__ import annotations

import cmath
import itertools
import math
import random
from collections.abc import Callable, Sequence

import pytest

from qtcore import Circuit, iter_steps, simulate
from qtcore.noise import (
    Channel,
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    phase_flip,
)
from qtcore.rng import derive_seed

Mat = list[list[complex]]
SEED = 20240611  # logged in every failure message
MAX_SIGMA = 5.0

# ---------------------------------------------------------------- dense reference
I2: Mat = [[1, 0], [0, 1]]
PX: Mat = [[0, 1], [1, 0]]
PY: Mat = [[0, -1j], [1j, 0]]
PZ: Mat = [[1, 0], [0, -1]]
PAULI = {"I": I2, "X": PX, "Y": PY, "Z": PZ}


def ry(t: float) -> Mat:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return [[c, -s], [s, c]]


def rz(t: float) -> Mat:
    return [[cmath.exp(-0.5j * t), 0], [0, cmath.exp(0.5j * t)]]


HAD: Mat = [[1 / math.sqrt(2), 1 / math.sqrt(2)], [1 / math.sqrt(2), -1 / math.sqrt(2)]]
# cx(control=first qubit=LSB of the 2-qubit index, target=second)
CX: Mat = [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]]


def scaled(m: Mat, f: float) -> Mat:
    return [[f * x for x in row] for row in m]


def kraus_ad(g: float) -> list[Mat]:
    return [[[1, 0], [0, math.sqrt(1 - g)]], [[0, math.sqrt(g)], [0, 0]]]


def kraus_pd(lam: float) -> list[Mat]:
    return [[[1, 0], [0, math.sqrt(1 - lam)]], [[0, 0], [0, math.sqrt(lam)]]]


def kraus_pauli(weights: dict[str, float]) -> list[Mat]:
    """Kraus operators of a Pauli channel; labels' rightmost letter acts on the first qubit."""
    k = len(next(iter(weights)))
    p_id = 1 - sum(weights.values())
    ops = [scaled(pauli_string("I" * k), math.sqrt(p_id))]
    ops += [scaled(pauli_string(lb), math.sqrt(p)) for lb, p in weights.items()]
    return ops


def pauli_string(label: str) -> Mat:
    out: Mat = [[1]]
    for ch in label:  # leftmost letter = most significant bit: plain kron order
        out = kron(out, PAULI[ch])
    return out


def kron(a: Mat, b: Mat) -> Mat:
    return [[x * y for x in ra for y in rb] for ra in a for rb in b]


def embed(m: Mat, qubits: Sequence[int], n: int) -> Mat:
    """The 2^n matrix of ``m`` acting on ``qubits`` (qubits[0] = LSB of m's index)."""
    dim = 1 << n
    others = [q for q in range(n) if q not in qubits]

    def sub(i: int) -> int:
        return sum(((i >> q) & 1) << k for k, q in enumerate(qubits))

    return [
        [
            m[sub(i)][sub(j)] if all((i >> q) & 1 == (j >> q) & 1 for q in others) else 0
            for j in range(dim)
        ]
        for i in range(dim)
    ]


def mul(a: Mat, b: Mat) -> Mat:
    return [
        [sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))]
        for i in range(len(a))
    ]


def dag(a: Mat) -> Mat:
    return [[a[j][i].conjugate() for j in range(len(a))] for i in range(len(a[0]))]


def evolve(rho: Mat, ops: list[Mat], qubits: Sequence[int], n: int) -> Mat:
    out = [[0j] * len(rho) for _ in rho]
    for k in ops:
        e = embed(k, qubits, n)
        t = mul(mul(e, rho), dag(e))
        out = [[x + y for x, y in zip(r1, r2)] for r1, r2 in zip(out, t)]
    return out


def zero_dm(n: int) -> Mat:
    rho: Mat = [[0j] * (1 << n) for _ in range(1 << n)]
    rho[0][0] = 1
    return rho


def expect(rho: Mat, label: str) -> float:
    """Tr(P rho) for a Pauli string (rightmost letter = qubit 0)."""
    p = pauli_string(label)
    return sum(p[i][j] * rho[j][i] for i in range(len(rho)) for j in range(len(rho))).real


# ---------------------------------------------------------------- trajectory estimates
def trajectory_stats(
    circuit: Circuit, model: NoiseModel, labels: Sequence[str], shots: int, seed: int
) -> list[tuple[float, float]]:
    """(mean, standard error) of each Pauli expectation over ``shots`` trajectories."""
    sums = [0.0] * len(labels)
    sq = [0.0] * len(labels)
    for i in range(shots):
        *_, last = iter_steps(circuit, seed=derive_seed(seed, i), backend="python", noise=model)
        for k, lb in enumerate(labels):
            v = last.state.expectation_value(lb)
            sums[k] += v
            sq[k] += v * v
    out = []
    for s, s2 in zip(sums, sq):
        mean = s / shots
        var = max(s2 / shots - mean * mean, 0.0) * shots / (shots - 1)
        out.append((mean, math.sqrt(var / shots)))
    return out


def assert_agrees(
    stats: list[tuple[float, float]], exact: list[float], labels: Sequence[str], what: str
) -> list[float]:
    sigmas = []
    for (mean, sem), ex, lb in zip(stats, exact, labels):
        if sem < 1e-12:  # deterministic observable: must be exact
            assert abs(mean - ex) < 1e-9, f"{what} <{lb}> = {mean} != {ex} (seed {SEED})"
            sigmas.append(0.0)
            continue
        z = abs(mean - ex) / sem
        sigmas.append(z)
        assert z < MAX_SIGMA, (
            f"{what} <{lb}>: trajectories {mean:.5f} +- {sem:.5f}, exact {ex:.5f} "
            f"({z:.2f} sigma, seed {SEED})"
        )
    return sigmas


ONE_QUBIT = ["X", "Y", "Z"]

# (channel, reference Kraus operators)
SINGLE: list[tuple[str, Callable[[], Channel], list[Mat]]] = [
    (
        "depolarizing",
        lambda: depolarizing(0.3),
        kraus_pauli({"X": 0.1, "Y": 0.1, "Z": 0.1}),
    ),
    ("bit_flip", lambda: bit_flip(0.2), kraus_pauli({"X": 0.2})),
    ("phase_flip", lambda: phase_flip(0.25), kraus_pauli({"Z": 0.25})),
    ("amplitude_damping", lambda: amplitude_damping(0.4), kraus_ad(0.4)),
    ("phase_damping", lambda: phase_damping(0.5), kraus_pd(0.5)),
]


@pytest.mark.parametrize(("name", "make", "kraus"), SINGLE, ids=[s[0] for s in SINGLE])
def test_channel_single_qubit_matches_density_matrix(
    name: str, make: Callable[[], Channel], kraus: list[Mat]
) -> None:
    # ry(1.1) -> noise -> rz(0.7) -> id -> noise -> id -> noise: noise after ry and id only
    c = Circuit(1).ry(1.1, 0).rz(0.7, 0).id(0).id(0)
    model = NoiseModel().add(make(), gates=["ry", "id"])
    rho = zero_dm(1)
    rho = evolve(rho, [ry(1.1)], [0], 1)
    rho = evolve(rho, kraus, [0], 1)
    rho = evolve(rho, [rz(0.7)], [0], 1)
    rho = evolve(rho, kraus, [0], 1)
    rho = evolve(rho, kraus, [0], 1)
    exact = [expect(rho, lb) for lb in ONE_QUBIT]
    stats = trajectory_stats(c, model, ONE_QUBIT, 8000, derive_seed(SEED, name))
    assert_agrees(stats, exact, ONE_QUBIT, name)


def test_channel_depolarizing_shrinks_bloch_vector_by_one_minus_4p_over_3() -> None:
    # analytic: r -> (1 - 4p/3) r, independent of the density-matrix helper
    p = 0.3
    c = Circuit(1).ry(1.1, 0)
    model = NoiseModel().add(depolarizing(p))
    stats = trajectory_stats(c, model, ONE_QUBIT, 8000, derive_seed(SEED, "dep-analytic"))
    f = 1 - 4 * p / 3
    exact = [f * math.sin(1.1), 0.0, f * math.cos(1.1)]
    assert_agrees(stats, exact, ONE_QUBIT, "depolarizing analytic")


def test_channel_amplitude_damping_of_one_decays_to_gamma_analytically() -> None:
    # |1> under amplitude damping: P(1) = 1 - gamma, so <Z> = 2 gamma - 1
    gamma = 0.35
    c = Circuit(1).x(0)
    model = NoiseModel().add(amplitude_damping(gamma), gates=["x"])
    ((mean, sem),) = trajectory_stats(c, model, ["Z"], 8000, derive_seed(SEED, "ad-analytic"))
    assert abs(mean - (2 * gamma - 1)) < MAX_SIGMA * sem


TWO_QUBIT = ["XX", "YY", "ZZ", "IZ", "ZI", "XI", "IX", "XY", "ZX"]


def test_channel_depolarizing2_matches_density_matrix() -> None:
    p = 0.3
    labels = ["".join(t) for t in itertools.product("IXYZ", repeat=2)][1:]
    kraus = kraus_pauli(dict.fromkeys(labels, p / 15))
    c = Circuit(2).ry(0.9, 0).h(1).cx(0, 1)
    model = NoiseModel().add(depolarizing2(p), gates=["cx"])
    rho = zero_dm(2)
    rho = evolve(rho, [ry(0.9)], [0], 2)
    rho = evolve(rho, [HAD], [1], 2)
    rho = evolve(rho, [CX], [0, 1], 2)
    rho = evolve(rho, kraus, [0, 1], 2)
    exact = [expect(rho, lb) for lb in TWO_QUBIT]
    stats = trajectory_stats(c, model, TWO_QUBIT, 8000, derive_seed(SEED, "dep2"))
    assert_agrees(stats, exact, TWO_QUBIT, "depolarizing2")


def test_channel_one_qubit_after_cx_acts_on_each_gate_qubit() -> None:
    gamma = 0.3
    c = Circuit(2).h(0).cx(0, 1)
    model = NoiseModel().add(amplitude_damping(gamma), gates=["cx"])
    rho = zero_dm(2)
    rho = evolve(rho, [HAD], [0], 2)
    rho = evolve(rho, [CX], [0, 1], 2)
    rho = evolve(rho, kraus_ad(gamma), [0], 2)
    rho = evolve(rho, kraus_ad(gamma), [1], 2)
    exact = [expect(rho, lb) for lb in TWO_QUBIT]
    stats = trajectory_stats(c, model, TWO_QUBIT, 8000, derive_seed(SEED, "ad-cx"))
    assert_agrees(stats, exact, TWO_QUBIT, "amplitude damping after cx")


def test_channel_qubit_filter_limits_noise_to_listed_qubits() -> None:
    p = 0.4
    c = Circuit(2).h(0).h(1)
    model = NoiseModel().add(phase_flip(p), qubits=[1])
    stats = trajectory_stats(c, model, ["IX", "XI"], 4000, derive_seed(SEED, "filter"))
    # qubit 0 untouched (<X0> = 1 exactly); qubit 1 dephased: <X1> = 1 - 2p
    assert_agrees(stats, [1.0, 1 - 2 * p], ["IX", "XI"], "qubit filter")


def test_readout_error_counts_match_binomial() -> None:
    p01, p10 = 0.07, 0.15
    shots = 20000
    c = Circuit(2, 2).x(0).measure(0, 0).measure(1, 1)
    model = NoiseModel().add_readout_error(ReadoutError(p01, p10))
    counts = simulate(c, shots, seed=SEED, backend="python", noise=model).counts
    # clbit 0 (rightmost) read from a true 1, clbit 1 from a true 0
    exact = {
        "01": (1 - p10) * (1 - p01),
        "00": p10 * (1 - p01),
        "11": (1 - p10) * p01,
        "10": p10 * p01,
    }
    assert sum(counts.values()) == shots
    for key, pk in exact.items():
        sigma = math.sqrt(shots * pk * (1 - pk))
        got = counts.get(key, 0)
        assert abs(got - shots * pk) < MAX_SIGMA * sigma, (key, got, shots * pk, SEED)


def test_readout_error_per_qubit_overrides_default() -> None:
    c = Circuit(2, 2).measure(0, 0).measure(1, 1)
    model = (
        NoiseModel()
        .add_readout_error(ReadoutError(1.0, 0.0))
        .add_readout_error(ReadoutError(0.0, 0.0), qubits=[1])
    )
    counts = simulate(c, 50, seed=SEED, backend="python", noise=model).counts
    assert counts == {"01": 50}


def test_channel_kraus_operators_are_complete_and_match_reference() -> None:
    rng = random.Random(SEED)
    # a random full-rank 1-qubit density matrix
    a = [[complex(rng.gauss(0, 1), rng.gauss(0, 1)) for _ in range(2)] for _ in range(2)]
    rho = mul(a, dag(a))
    tr = (rho[0][0] + rho[1][1]).real
    rho = scaled(rho, 1 / tr)
    for _, make, ref in SINGLE:
        ch = make()
        ks = [[list(r) for r in k] for k in ch.kraus()]
        total = [[sum(mul(dag(k), k)[i][j] for k in ks) for j in range(2)] for i in range(2)]
        assert all(abs(total[i][j] - I2[i][j]) < 1e-12 for i in range(2) for j in range(2))
        got = evolve(rho, ks, [0], 1)
        want = evolve(rho, ref, [0], 1)
        assert all(abs(got[i][j] - want[i][j]) < 1e-12 for i in range(2) for j in range(2))
