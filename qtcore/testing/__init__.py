"""Public consistency checks and reference implementations for tests (like ``cirq.testing``).

* :func:`assert_kernel_consistent` checks a state-vector kernel (any implementation of
  :class:`qtcore.sim.Kernel`) method by method against plain-Python references;
* :func:`assert_gate_consistent` checks a gate's matrix, inverse, kernels and repr;
* the references (:func:`embed`, :func:`apply_dense`, :func:`dense_unitary`) and random
  inputs (:func:`random_state`, :func:`random_gate`, :func:`random_circuit`) are naive
  on purpose and independent of the kernels: use them only for small ``n``.
"""

from __future__ import annotations

from qtcore.testing._kernels import assert_kernel_consistent
from qtcore.testing._reference import (
    apply_dense,
    assert_gate_consistent,
    assert_states_close,
    dense_unitary,
    embed,
    random_circuit,
    random_gate,
    random_state,
    random_unitary_gate,
)

__all__ = [
    "apply_dense",
    "assert_gate_consistent",
    "assert_kernel_consistent",
    "assert_states_close",
    "dense_unitary",
    "embed",
    "random_circuit",
    "random_gate",
    "random_state",
    "random_unitary_gate",
]
