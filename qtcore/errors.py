"""Errors raised by qtcore.

Every error is a :class:`QtcoreError`; each leaf also subclasses the builtin that
describes it best, so ``except ValueError`` keeps working for callers that do not
know qtcore::

    QtcoreError(Exception)
    ├── CircuitError(QtcoreError, ValueError)       malformed circuit or bad gate use
    │   └── UnboundParameterError(CircuitError)     run with a free symbolic parameter
    ├── GateError(QtcoreError, ValueError)          a gate definition is wrong (non-unitary ...)
    ├── SimulationError(QtcoreError, RuntimeError)  a run could not proceed
    ├── ExecutorError(QtcoreError, RuntimeError)    an executor lost tasks (its cluster went away)
    ├── NoiseError(QtcoreError, ValueError)         invalid noise channel or model
    ├── QasmError(QtcoreError, ValueError)          OpenQASM syntax/semantic error, with line/column
    ├── FrameError(QtcoreError, ValueError)         a frame buffer that cannot be decoded
    ├── RelativityDomainError(QtcoreError, ValueError)  input outside the physical domain
    ├── UnitError(QtcoreError, ValueError)          a quantity string that cannot be parsed
    └── ScenarioError(QtcoreError, ValueError)      invalid scenario file (names file and field)
"""

from __future__ import annotations

__all__ = [
    "CircuitError",
    "ExecutorError",
    "FrameError",
    "GateError",
    "NoiseError",
    "QasmError",
    "QtcoreError",
    "RelativityDomainError",
    "ScenarioError",
    "SimulationError",
    "UnboundParameterError",
    "UnitError",
]


class QtcoreError(Exception):
    """Base class of every error qtcore raises on purpose."""


class CircuitError(QtcoreError, ValueError):
    """A circuit is malformed: qubit out of range, duplicate qubits, wrong parameters."""


class UnboundParameterError(CircuitError):
    """A circuit with a free symbolic parameter was asked to run."""


class GateError(QtcoreError, ValueError):
    """A gate definition is invalid (for example a matrix that is not unitary)."""


class SimulationError(QtcoreError, RuntimeError):
    """A simulation could not be carried out as asked."""


class ExecutorError(QtcoreError, RuntimeError):
    """An executor dropped tasks this run did not cancel: its Dask scheduler went away, a
    pool's worker process died. The run's seeds do not depend on the executor, so running
    it again gives the same results."""


class NoiseError(QtcoreError, ValueError):
    """A noise channel or noise model is invalid."""


class FrameError(QtcoreError, ValueError):
    """A frame buffer is malformed or of an unsupported version."""


class QasmError(QtcoreError, ValueError):
    """An OpenQASM program has a syntax or semantic error.

    Attributes:
        line: 1-based line of the offending token (``None`` when unknown).
        column: 1-based column of the offending token (``None`` when unknown).
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}")


class RelativityDomainError(QtcoreError, ValueError):
    """A relativistic input lies outside the physical domain (v >= c, r <= r_s, ...)."""


class UnitError(QtcoreError, ValueError):
    """A quantity such as ``"7.66 km/s"`` could not be parsed or has the wrong dimension."""


class ScenarioError(QtcoreError, ValueError):
    """A scenario file is invalid; the message names the file, the field and the problem."""
