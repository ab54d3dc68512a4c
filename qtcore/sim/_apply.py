"""Applying a circuit's gates to a state: composite gates expanded, fused where it pays.

Whether gates are fused is the kernel's call: a kernel with a
:attr:`~qtcore.sim._kernel.Kernel.fusion` profile gets fused programs from
``profile.min_qubits`` qubits on, any other kernel gets the gates one by one (in one
call, for a kernel that runs whole lists of gates: :class:`~qtcore.sim._kernel.GateRuns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qtcore.circuit import Instruction, expand_composites
from qtcore.errors import SimulationError
from qtcore.sim._kernel import GateRuns, Kernel

__all__ = ["apply_gates"]


def apply_gates(kernel: Kernel[Any], s: Any, n: int, instructions: Iterable[Instruction]) -> Any:
    """Applies the gates of ``instructions`` to ``s`` and returns the state.

    Measurements, resets and barriers are skipped: this is the path for circuits whose
    measurements are all terminal (sampled afterwards from the final state).

    Raises:
        SimulationError: a classically conditioned instruction (those need a trajectory).
    """
    instructions = list(instructions)
    for ins in instructions:
        if ins.condition is not None:
            raise SimulationError(
                f"{ins.describe()}: a classically conditioned instruction needs a trajectory"
            )
    profile = kernel.fusion
    if profile is not None and n >= profile.min_qubits:
        from qtcore.sim._fusion import run_fused

        return run_fused(kernel, s, n, instructions)
    gates = [
        (ins.gate, ins.qubits)
        for ins in expand_composites(instructions)
        if ins.kind == "gate" and ins.gate is not None
    ]
    if isinstance(kernel, GateRuns):
        return kernel.apply_gates(s, n, gates)
    for gate, qubits in gates:
        s = kernel.apply_gate(s, n, gate, qubits)
    return s
