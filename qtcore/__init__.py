"""qtcore: quantum circuits, relativity calculators and a quantum-time sandbox.

Runs unchanged in CPython and in the browser under Pyodide; NumPy is used when it
imports, otherwise a pure-Python kernel gives the same results.

Qubit order: qubit 0 is the least significant bit of a basis index and the
rightmost character of a bitstring (Qiskit's convention).
"""

from __future__ import annotations

from qtcore._parameter import Parameter, ParameterExpression
from qtcore._version import __version__
from qtcore.circuit import Circuit, CompositeGate, Condition, Instruction
from qtcore.errors import (
    CircuitError,
    FrameError,
    GateError,
    NoiseError,
    QasmError,
    QtcoreError,
    RelativityDomainError,
    ScenarioError,
    SimulationError,
    UnboundParameterError,
    UnitError,
)
from qtcore.ops import GATES, Gate, UnitaryGate
from qtcore.rng import Rng
from qtcore.sim import Result, StateVector, Step, iter_steps, simulate, unitary_of

__all__ = [
    "GATES",
    "Circuit",
    "CircuitError",
    "CompositeGate",
    "Condition",
    "FrameError",
    "Gate",
    "GateError",
    "Instruction",
    "NoiseError",
    "Parameter",
    "ParameterExpression",
    "QasmError",
    "QtcoreError",
    "RelativityDomainError",
    "Result",
    "Rng",
    "ScenarioError",
    "SimulationError",
    "StateVector",
    "Step",
    "UnboundParameterError",
    "UnitError",
    "UnitaryGate",
    "__version__",
    "iter_steps",
    "simulate",
    "unitary_of",
]
