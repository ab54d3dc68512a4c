"""qtcore: quantum circuits, relativity calculators and a quantum-time sandbox.

Runs unchanged in CPython and in the browser under Pyodide; NumPy is used when it
imports, otherwise a pure-Python kernel gives the same results.

Subpackages: :mod:`qtcore.qasm` (OpenQASM 2/3), :mod:`qtcore.relativity`,
:mod:`qtcore.units`, :mod:`qtcore.sandbox`, :mod:`qtcore.sweep`,
:mod:`qtcore.montecarlo`, :mod:`qtcore.parallel` (executors, shot batches),
:mod:`qtcore.scenario`, :mod:`qtcore.noise`,
:mod:`qtcore.frames`; ``python -m qtcore`` is the command line.

Qubit order: qubit 0 is the least significant bit of a basis index and the
rightmost character of a bitstring (Qiskit's convention).
"""

from __future__ import annotations

from qtcore._parameter import Parameter, ParameterExpression
from qtcore._version import __version__
from qtcore.circuit import Circuit, CompositeGate, Condition, Instruction
from qtcore.errors import (
    CircuitError,
    ExecutorError,
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
from qtcore.frames import Frame, decode_frames, encode_frames, iter_frames, simulate_with_frames
from qtcore.noise import NoiseModel, ReadoutError
from qtcore.ops import GATES, Gate, UnitaryGate
from qtcore.rng import Rng
from qtcore.sim import Result, StateVector, Step, iter_steps, simulate, unitary_of

__all__ = [
    "GATES",
    "Circuit",
    "CircuitError",
    "CompositeGate",
    "Condition",
    "ExecutorError",
    "Frame",
    "FrameError",
    "Gate",
    "GateError",
    "Instruction",
    "NoiseError",
    "NoiseModel",
    "Parameter",
    "ParameterExpression",
    "QasmError",
    "QtcoreError",
    "ReadoutError",
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
    "decode_frames",
    "encode_frames",
    "iter_frames",
    "iter_steps",
    "simulate",
    "simulate_with_frames",
    "unitary_of",
]
