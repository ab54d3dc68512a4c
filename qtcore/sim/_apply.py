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


def apply_gates(
    kernel: Kernel[Any],
    s: Any,
    n: int,
    instructions: Iterable[Instruction],
    compiled: dict[int, tuple[Kernel[Any], int, Any]] | None = None,
) -> Any:
    """Applies the gates of ``instructions`` to ``s`` and returns the state.

    Measurements, resets and barriers are skipped: this is the path for circuits whose
    measurements are all terminal (sampled afterwards from the final state).

    Args:
        compiled: where to keep (and find) the program a :class:`GateRuns` kernel compiles
            of these instructions for ``n`` qubits; the caller keeps it only while the
            instructions stay the same (a :class:`~qtcore.sim._plan.CircuitPlan` does),
            keyed by the kernel's ``id``.

    Raises:
        SimulationError: a classically conditioned instruction (those need a trajectory).
    """
    if compiled is not None:
        got = compiled.get(id(kernel))
        if got is not None and got[0] is kernel and got[1] == n:  # checked when compiled
            return kernel.run_compiled(s, n, got[2])  # type: ignore[attr-defined]
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
        if compiled is None:
            return kernel.apply_gates(s, n, gates)
        program = kernel.compile_gates(n, gates)
        compiled[id(kernel)] = (kernel, n, program)
        return kernel.run_compiled(s, n, program)
    for gate, qubits in gates:
        s = kernel.apply_gate(s, n, gate, qubits)
    return s
