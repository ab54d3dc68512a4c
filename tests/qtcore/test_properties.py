"""Property tests over random circuits of the whole gate set (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtcore import Circuit, simulate, unitary_of
from qtcore.ops import is_unitary
from qtcore.rng import Rng
from qtcore.testing import apply_dense, assert_states_close, dense_unitary, random_circuit

circuits = st.builds(
    lambda n, g, seed: random_circuit(n, g, Rng(seed)),
    st.integers(1, 4),
    st.integers(0, 25),
    st.integers(0, 2**32),
)


@settings(max_examples=60, deadline=None)
@given(circuits)
def test_property_python_kernel_matches_dense_reference(c: Circuit) -> None:
    e0 = [1 + 0j] + [0j] * ((1 << c.num_qubits) - 1)
    want = apply_dense(dense_unitary(c), e0)
    got = simulate(c, backend="python").state.to_list()
    assert_states_close(got, want, 1e-10)


@pytest.mark.numpy
@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        lambda n, g, seed: random_circuit(n, g, Rng(seed)),
        st.integers(1, 7),
        st.integers(0, 40),
        st.integers(0, 2**32),
    )
)
def test_property_kernels_agree(c: Circuit) -> None:
    a = simulate(c, backend="python").state.to_list()
    b = simulate(c, backend="numpy").state.to_list()
    assert_states_close(a, b, 1e-10)


@settings(max_examples=40, deadline=None)
@given(circuits)
def test_property_unitary_and_norm(c: Circuit) -> None:
    assert is_unitary(unitary_of(c), 1e-10)
    st_ = simulate(c, initial_state=None, backend="python").state
    assert abs(st_.kernel.norm_sq(st_.data) - 1) < 1e-12


@settings(max_examples=40, deadline=None)
@given(circuits)
def test_property_circuit_then_inverse_is_identity(c: Circuit) -> None:
    u = unitary_of(c + c.inverse())
    dim = 1 << c.num_qubits
    worst = max(abs(u[i][j] - (1 if i == j else 0)) for i in range(dim) for j in range(dim))
    assert worst < 1e-10


@pytest.mark.numpy
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 200))
def test_property_seeded_trajectories_identical_across_kernels(seed: int, shots: int) -> None:
    c = (
        Circuit(3, 3)
        .h(0).ry(0.9, 1).measure(0, 0).cx(1, 2).x(2).c_if(0, 1)
        .reset(1).h(1).measure(1, 1).measure(2, 2)
    )  # fmt: skip
    a = simulate(c, shots, seed=seed, backend="python", memory=True)
    b = simulate(c, shots, seed=seed, backend="numpy", memory=True)
    assert a.memory == b.memory
