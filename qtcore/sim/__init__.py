"""Simulation: kernels, states, runs and steps."""

from __future__ import annotations

from qtcore.sim._backend import BACKENDS, get_kernel, numpy_available
from qtcore.sim._simulator import Result, Step, interpreter, iter_steps, simulate, unitary_of
from qtcore.sim._statevector import StateVector

__all__ = [
    "BACKENDS",
    "Result",
    "StateVector",
    "Step",
    "get_kernel",
    "interpreter",
    "iter_steps",
    "numpy_available",
    "simulate",
    "unitary_of",
]
