"""Simulation: kernels, states, runs and steps.

A kernel (:class:`Kernel`, the contract every state-vector kernel implements) holds a
state and applies operations to it; :func:`get_kernel` picks one by name. Check a new
kernel with :func:`qtcore.testing.assert_kernel_consistent`.
"""

from __future__ import annotations

from qtcore.sim._backend import (
    BACKENDS,
    available_kernels,
    get_kernel,
    numpy_available,
    qubit_limit,
)
from qtcore.sim._kernel import FusionProfile, Kernel
from qtcore.sim._simulator import Result, Step, interpreter, iter_steps, simulate, unitary_of
from qtcore.sim._statevector import StateVector

__all__ = [
    "BACKENDS",
    "FusionProfile",
    "Kernel",
    "Result",
    "StateVector",
    "Step",
    "available_kernels",
    "get_kernel",
    "interpreter",
    "iter_steps",
    "numpy_available",
    "qubit_limit",
    "simulate",
    "unitary_of",
]
