"""Simulation results against analytic expectations."""

from __future__ import annotations

import math
from typing import Any

import pytest

from qtcore import Circuit, StateVector, simulate
from qtcore.errors import SimulationError


def _binom_sigma(n: int, p: float) -> float:
    return math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_simulate_bell_state_amplitudes(backend: str, backends: tuple[str, ...]) -> None:
    if backend not in backends:
        pytest.skip("numpy missing")
    s = simulate(Circuit(2).h(0).cx(0, 1), backend=backend).state.to_list()
    r = 1 / math.sqrt(2)
    assert [abs(x - y) < 1e-15 for x, y in zip(s, [r, 0, 0, r], strict=True)] == [True] * 4


def test_simulate_ghz_counts_seeded_and_balanced(backends: tuple[str, ...]) -> None:
    n, shots = 5, 4000
    c = Circuit(n, n).h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    c.measure(list(range(n)), list(range(n)))
    results = [simulate(c, shots, seed=11, backend=b).counts for b in backends]
    assert all(r == results[0] for r in results)
    counts = results[0]
    assert set(counts) == {"0" * n, "1" * n}
    assert abs(counts["1" * n] - shots / 2) < 5 * _binom_sigma(shots, 0.5)


def test_simulate_bitstring_order_qubit0_rightmost() -> None:
    r = simulate(Circuit(3, 3).x(0).measure([0, 1, 2], [0, 1, 2]), 10, seed=1)
    assert r.counts == {"001": 10}
    r = simulate(Circuit(3).x(2), 5, seed=1)
    assert r.counts == {"100": 5}


def test_simulate_measure_maps_to_named_clbit() -> None:
    r = simulate(Circuit(2, 2).x(0).measure(0, 1), 7, seed=2)
    assert r.counts == {"10": 7}


def test_simulate_teleportation_transfers_state(backends: tuple[str, ...]) -> None:
    theta = 1.234
    c = Circuit(3, 2)
    c.ry(theta, 0)  # state to teleport from q0 to q2
    c.h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1)
    c.x(2).c_if(1, 1).z(2).c_if(0, 1)
    for b in backends:
        for seed in range(6):
            st = simulate(c, seed=seed, backend=b).state
            x, y, z = st.bloch_vector(2)
            assert abs(z - math.cos(theta)) < 1e-12
            assert abs(x - math.sin(theta)) < 1e-12
            assert abs(y) < 1e-12


def test_simulate_reset_returns_zero(backends: tuple[str, ...]) -> None:
    c = Circuit(1, 1).h(0).reset(0).measure(0, 0)
    for b in backends:
        assert simulate(c, 200, seed=5, backend=b).counts == {"0": 200}


def test_simulate_mid_circuit_counts_match_born_rule() -> None:
    # measure q0 after RY(theta); conditional X on q1 copies the result
    theta, shots = 1.1, 3000
    c = Circuit(2, 2).ry(theta, 0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    counts = simulate(c, shots, seed=9).counts
    p1 = math.sin(theta / 2) ** 2
    assert set(counts) <= {"00", "11"}
    assert abs(counts.get("11", 0) - shots * p1) < 5 * _binom_sigma(shots, p1)


def test_simulate_memory_in_shot_order() -> None:
    r = simulate(Circuit(1, 1).h(0).measure(0, 0), 50, seed=3, memory=True)
    assert r.memory is not None and len(r.memory) == 50
    assert r.counts == {k: r.memory.count(k) for k in set(r.memory)}


def test_simulate_rejects_bad_arguments() -> None:
    c = Circuit(1)
    with pytest.raises(SimulationError, match="shots"):
        simulate(c, -1)
    with pytest.raises(SimulationError, match="unknown backend"):
        simulate(c, backend="gpu")
    with pytest.raises(ValueError, match="seed"):
        simulate(c, seed=-5)
    with pytest.raises(SimulationError, match="initial state has 2 qubits"):
        simulate(c, initial_state="01")


def test_simulate_initial_state_label() -> None:
    st = simulate(Circuit(2).h(0), initial_state="0+").state
    assert abs(st.probabilities()[0] - 1) < 1e-12


def test_statevector_analysis_bell(backends: tuple[str, ...]) -> None:
    for b in backends:
        st = simulate(Circuit(2).h(0).cx(0, 1), backend=b).state
        assert abs(st.entropy([0]) - 1.0) < 1e-12
        assert all(abs(v) < 1e-12 for v in st.bloch_vector(0))
        assert abs(st.expectation_value("ZZ") - 1) < 1e-12
        assert abs(st.expectation_value("XX") - 1) < 1e-12
        assert abs(st.expectation_value("YY") + 1) < 1e-12
        assert abs(st.expectation_value("-ZI") - 0) < 1e-12
        assert st.probabilities_dict(atol=1e-12) == pytest.approx({"00": 0.5, "11": 0.5})


def test_statevector_bloch_of_product_state(backends: tuple[str, ...]) -> None:
    for b in backends:
        st = StateVector.from_label("r+0", backend=b)
        assert st.bloch_vector(0) == pytest.approx((0, 0, 1), abs=1e-12)
        assert st.bloch_vector(1) == pytest.approx((1, 0, 0), abs=1e-12)
        assert st.bloch_vector(2) == pytest.approx((0, 1, 0), abs=1e-12)
        assert st.entropy([0, 1]) == pytest.approx(0, abs=1e-10)


def test_statevector_marginals_and_fidelity(backends: tuple[str, ...]) -> None:
    theta = 0.8
    for b in backends:
        st = simulate(Circuit(3).ry(theta, 2).x(0), backend=b).state
        p1 = math.sin(theta / 2) ** 2
        assert st.probabilities([2]) == pytest.approx([1 - p1, p1], abs=1e-12)
        assert st.probabilities([0, 2]) == pytest.approx([0, 1 - p1, 0, p1], abs=1e-12)
        other = StateVector.from_label("001", backend=b)
        assert st.fidelity(other) == pytest.approx(1 - p1, abs=1e-12)


def test_statevector_evolve_applies_the_gates_on_a_copy(backends: tuple[str, ...]) -> None:
    # |0+> --CX(1->0), RY(theta) on 1--> cos-sin Bell-like state, against the closed form
    theta = 0.7
    for b in backends:
        start = StateVector.from_label("+0", backend=b)
        c = Circuit(2).cx(1, 0).barrier().ry(theta, 1)
        out = start.evolve(c)
        assert out.kernel is start.kernel and out is not start
        r = 1 / math.sqrt(2)
        c2, s2 = math.cos(theta / 2), math.sin(theta / 2)
        want = [r * c2, -r * s2, r * s2, r * c2]  # RY (x) I applied to (|00> + |11>)/sqrt2
        assert out.to_list() == pytest.approx(want, abs=1e-12)
        assert start.to_list() == pytest.approx([r, 0, r, 0], abs=1e-12)  # unchanged
        composite = Circuit(2).append(Circuit(2).cx(1, 0).to_gate("bell_cx"), [0, 1])
        assert start.evolve(composite).to_list() == pytest.approx([r, 0, 0, r], abs=1e-12)


def test_statevector_evolve_refuses_what_is_not_a_unitary_circuit() -> None:
    from qtcore import Parameter
    from qtcore.errors import UnboundParameterError

    st = StateVector.zero(2)
    with pytest.raises(SimulationError, match="unitary circuits only"):
        st.evolve(Circuit(2, 1).h(0).measure(0, 0))
    with pytest.raises(SimulationError, match="unitary circuits only"):
        st.evolve(Circuit(2).reset(0))
    with pytest.raises(SimulationError, match="circuit has 3 qubits, the state has 2"):
        st.evolve(Circuit(3))
    with pytest.raises(UnboundParameterError, match=r"\['t'\]"):
        st.evolve(Circuit(2).rx(Parameter("t"), 0))
    with pytest.raises(SimulationError, match="expected a Circuit"):
        st.evolve("h q[0];")  # type: ignore[arg-type]


def test_statevector_bloch_vectors_agree_with_reduced_density_matrices(
    backends: tuple[str, ...],
) -> None:
    from qtcore.analysis import bloch_from_rdm
    from qtcore.rng import Rng
    from qtcore.testing import random_state

    amps = random_state(5, Rng(77))
    for b in backends:
        st = StateVector(amps, backend=b)
        for q, v in enumerate(st.bloch_vectors()):
            assert v == pytest.approx(bloch_from_rdm(st.reduced_density_matrix([q])), abs=1e-12)


def test_statevector_rejects_unnormalised() -> None:
    with pytest.raises(SimulationError, match="normalised"):
        StateVector([1, 1])


@pytest.mark.numpy
def test_simulate_fused_path_matches_python_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    # from the NumPy kernel's fusion threshold on, simulate fuses (the kernel's profile
    # says so, nothing checks its name); the pure-Python kernel applies gate by gate
    from qtcore.rng import Rng
    from qtcore.sim import _fusion, get_kernel
    from qtcore.testing import assert_states_close, random_circuit

    profile = get_kernel("numpy").fusion
    assert profile is not None and get_kernel("python").fusion is None
    calls: list[int] = []
    real = _fusion.run_fused

    def spy(kernel: Any, s: Any, n: int, instructions: Any) -> Any:
        calls.append(n)
        return real(kernel, s, n, instructions)

    monkeypatch.setattr(_fusion, "run_fused", spy)
    small = random_circuit(profile.min_qubits - 1, 20, Rng(2023))
    simulate(small, backend="numpy")
    assert calls == []  # below the threshold: gate by gate
    c = random_circuit(profile.min_qubits, 60, Rng(2024))
    a = simulate(c, backend="numpy").state.to_list()
    assert calls == [profile.min_qubits]
    b = simulate(c, backend="python").state.to_list()
    assert calls == [profile.min_qubits]
    assert_states_close(a, b, 1e-10)


@pytest.mark.numpy
@pytest.mark.parametrize("x", [0, 1, 12345, (1 << 15) - 1])
def test_simulate_fused_qft_is_the_discrete_fourier_transform(x: int) -> None:
    """QFT|x> = sum_k exp(2 pi i x k / N) |k> / sqrt(N), on the fused path (15 qubits).

    Exercises what fusion does to a QFT: X gates preparing |x> held back and merged,
    Hadamards merged across CP ladders, ladders as diagonals, SWAPs in window passes.
    """
    import cmath

    n = 15
    size = 1 << n
    c = Circuit(n)
    for q in range(n):
        if x >> q & 1:
            c.x(q)
    for j in reversed(range(n)):
        c.h(j)
        for k in reversed(range(j)):
            c.cp(math.pi / 2 ** (j - k), k, j)
    for q in range(n // 2):
        c.swap(q, n - 1 - q)
    got = simulate(c, backend="numpy").state.to_list()
    norm = 1 / math.sqrt(size)
    worst = max(
        abs(got[k] - norm * cmath.exp(2j * math.pi * ((x * k) % size) / size)) for k in range(size)
    )
    assert worst < 1e-12


@pytest.mark.numpy
@pytest.mark.parametrize("n", [15, 17])
def test_simulate_fused_ghz_is_exact(n: int) -> None:
    """GHZ(n) on the fused path: |0...0> and |1...1> at 1/sqrt(2), nothing elsewhere."""
    c = Circuit(n).h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    amps = simulate(c, backend="numpy").state.to_list()
    r = 1 / math.sqrt(2)
    assert abs(amps[0] - r) < 1e-15 and abs(amps[-1] - r) < 1e-15
    assert max(abs(z) for z in amps[1:-1]) == 0


@pytest.mark.numpy
def test_simulate_single_precision_is_close_and_opt_in() -> None:
    c = Circuit(6).h(0)
    for q in range(5):
        c.cx(q, q + 1).rz(0.3 * q, q)
    single = simulate(c, backend="numpy", precision="single").state
    double = simulate(c, backend="numpy").state
    assert str(single.data.dtype) == "complex64"
    assert abs(single.fidelity(double) - 1) < 1e-6
    with pytest.raises(SimulationError, match="single precision needs the NumPy kernel"):
        simulate(c, backend="python", precision="single")
    with pytest.raises(SimulationError, match="unknown precision"):
        simulate(c, precision="half")
