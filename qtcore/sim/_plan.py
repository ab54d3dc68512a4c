"""What :func:`~qtcore.sim.simulate` works out about a circuit, kept while it is unchanged.

Validating a circuit (free parameters), finding its measurements and whether they are all
terminal, expanding composite gates and compiling the gate list for a kernel all walk
every instruction: under Pyodide that is about 1 us per gate per walk, more than the
WebAssembly kernel takes to apply a gate on 14 qubits. A page or a benchmark runs the same
circuit again and again, so :func:`plan_of` keeps one :class:`CircuitPlan` per live
circuit and hands it back while the circuit holds the same instructions (the same
objects, or equal ones) and the same widths.

The cache holds circuits weakly (an entry goes when its circuit is collected) and at most
:data:`MAX_PLANS` of them. A plan never holds its circuit, only the instruction tuple it
was made from (instructions and gates are immutable).
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import TYPE_CHECKING, Any

from qtcore.circuit import Circuit, Instruction
from qtcore.control import walk

if TYPE_CHECKING:
    from qtcore.sim._kernel import Kernel

__all__ = ["MAX_PLANS", "CircuitPlan", "plan_of"]

MAX_PLANS = 64
"""Most circuits whose plans are kept at once (the oldest goes first)."""


class CircuitPlan:
    """A circuit's facts that :func:`~qtcore.sim.simulate` needs on every run.

    Attributes:
        instructions: the circuit's instructions when the plan was made.
        parameters: its free parameters (``Circuit.parameters``).
        measures: its measurements, control-flow bodies included, in order.
        mid_circuit: ``Circuit.has_mid_circuit_measurement``.
        compiled: what :func:`~qtcore.sim._apply.apply_gates` compiled of the gates, per
            kernel (kept here so it goes when the circuit changes).
    """

    __slots__ = ("compiled", "instructions", "measures", "mid_circuit", "parameters")

    def __init__(self, circuit: Circuit, instructions: tuple[Instruction, ...]) -> None:
        self.instructions = instructions
        self.parameters = circuit.parameters
        self.measures = tuple(i for i in walk(instructions) if i.kind == "measure")
        self.mid_circuit = circuit.has_mid_circuit_measurement
        self.compiled: dict[int, tuple[Kernel[Any], int, Any]] = {}


_PLANS: dict[int, tuple[weakref.ref[Circuit], int, int, CircuitPlan]] = {}
_LOCK = threading.Lock()


def _forget(key: int, ref: weakref.ref[Circuit]) -> None:
    with _LOCK:
        got = _PLANS.get(key)
        if got is not None and got[0] is ref:
            del _PLANS[key]


def plan_of(circuit: Circuit) -> CircuitPlan:
    """The plan of ``circuit`` as it is now: the cached one if the circuit has not changed
    since it was made, else a new one (which replaces it)."""
    key = id(circuit)
    instructions = tuple(circuit.instructions)
    got = _PLANS.get(key)
    if got is not None:
        ref, nq, nc, plan = got
        if (
            ref() is circuit
            and nq == circuit.num_qubits
            and nc == circuit.num_clbits
            and plan.instructions == instructions  # identity first: fast when unchanged
        ):
            return plan
    plan = CircuitPlan(circuit, instructions)
    ref = weakref.ref(circuit, functools.partial(_forget, key))
    with _LOCK:
        _PLANS.pop(key, None)
        while len(_PLANS) >= MAX_PLANS:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = (ref, circuit.num_qubits, circuit.num_clbits, plan)
    return plan
