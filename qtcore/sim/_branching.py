"""Shot branching: all shots of a dynamic circuit run together, split only where they differ.

A *branch* is a state, a number of shots and the classical bits those shots share. At a
measurement, reset, noise channel or readout error the branch's shots are split among the
outcomes by an exact multinomial draw (:meth:`qtcore.rng.Rng.multinomial`, sequential
binomials with one uniform each) with the outcome probabilities of that branch's state;
each non-empty outcome continues as its own branch (a copy of the state, projected or
hit by the Kraus operator of that outcome and renormalised). Classical conditions are
evaluated per branch. Measurements at the end of the circuit are sampled from each final
branch state (:meth:`Kernel.sample_state`), as for a circuit without mid-circuit
measurement. The cost grows with the number of distinct branches (at most
``min(shots, outcomes)``), not with the number of shots.

Branches are run depth first, so the states alive at once are the current one plus the
outcomes waiting at the sites above it: at most one per extra outcome of each site on
the way, and never more than the shots. :func:`branch_memory` bounds that before the
run, which is how :func:`qtcore.sim.simulate` decides to fall back to per-shot
trajectories.

Every kernel draws the same uniforms in the same order (the order of sites, outcomes in
increasing order, branches depth first), so a seed gives the same counts with any kernel
and interpreter, as with trajectories; the counts for a seed differ from those of
trajectories, which is why the method is part of every result's provenance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qtcore.circuit import CompositeGate, Condition, Instruction
from qtcore.ops import X
from qtcore.sim._apply import apply_gates

if TYPE_CHECKING:
    from qtcore.noise import NoiseModel
    from qtcore.noise._channels import Channel, ReadoutError
    from qtcore.rng import Rng
    from qtcore.sim._kernel import Kernel

__all__ = ["Program", "branch_memory", "compile_program", "run_branches", "tally_leaf"]


@dataclass(frozen=True)
class _Op:
    """One step of a compiled program.

    ``kind``: ``"gates"`` (a run of unconditioned gates, fused where the kernel asks),
    ``"gate"`` (one conditioned gate), ``"channel"``, ``"measure"``, ``"reset"``.
    """

    kind: str
    condition: Condition | None = None
    gates: tuple[Instruction, ...] = ()
    channel: Channel | None = None
    qubits: tuple[int, ...] = ()
    clbit: int = 0
    readout: ReadoutError | None = None


@dataclass(frozen=True)
class Program:
    """A circuit compiled for branching: the dynamic part and the terminal measurements.

    Attributes:
        ops: the steps run per branch.
        tail: ``(qubit, clbit, readout error)`` of the measurements sampled at the end.
        splits: the most extra outcomes (outcomes - 1) on any path through ``ops``.
    """

    ops: tuple[_Op, ...]
    tail: tuple[tuple[int, int, ReadoutError | None], ...]
    splits: int


def _primitive(ins: Instruction) -> list[Instruction]:
    g = ins.gate
    if not isinstance(g, CompositeGate):
        return [ins]
    out: list[Instruction] = []
    for sub in g.bound_definition().instructions:
        if sub.kind == "gate":
            mapped = Instruction(
                "gate", tuple(ins.qubits[q] for q in sub.qubits), sub.gate, (), ins.condition
            )
            out += _primitive(mapped)
    return out


def _tail_start(instructions: Sequence[Instruction]) -> int:
    """Index from which every instruction is an unconditioned measurement (or barrier) of
    a qubit nothing touches afterwards: those are sampled from each final state."""
    start = len(instructions)
    seen: set[int] = set()
    for i in range(len(instructions) - 1, -1, -1):
        ins = instructions[i]
        if ins.kind == "barrier":
            start = i
            continue
        if ins.kind != "measure" or ins.condition is not None or ins.qubits[0] in seen:
            break
        seen.add(ins.qubits[0])
        start = i
    return start


def compile_program(instructions: Sequence[Instruction], noise: NoiseModel | None) -> Program:
    """Flattens composite gates, attaches noise after each gate, groups runs of plain gates
    and splits off the terminal measurements."""
    start = _tail_start(instructions)
    ops: list[_Op] = []
    run: list[Instruction] = []
    splits = 0

    def flush() -> None:
        if run:
            ops.append(_Op("gates", gates=tuple(run)))
            run.clear()

    for ins in instructions[:start]:
        if ins.kind == "barrier":
            continue
        if ins.kind == "gate":
            for g in _primitive(ins):
                assert g.gate is not None
                plan = noise.channels_after(g.gate, g.qubits) if noise is not None else []
                if g.condition is None and not plan:
                    run.append(g)
                    continue
                flush()
                if g.condition is None:
                    run.append(g)
                    flush()
                else:
                    ops.append(_Op("gate", g.condition, gates=(g,)))
                for ch, qs in plan:
                    ops.append(_Op("channel", g.condition, channel=ch, qubits=qs))
                    splits += ch.num_outcomes() - 1
            continue
        flush()
        q = ins.qubits[0]
        if ins.kind == "measure":
            ro = noise.readout_error(q) if noise is not None else None
            ops.append(_Op("measure", ins.condition, qubits=(q,), clbit=ins.clbits[0], readout=ro))
            splits += 1 if ro is None else 3
        else:  # reset
            ops.append(_Op("reset", ins.condition, qubits=(q,)))
            splits += 1
    flush()
    tail = tuple(
        (ins.qubits[0], ins.clbits[0], noise.readout_error(ins.qubits[0]) if noise else None)
        for ins in instructions[start:]
        if ins.kind == "measure"
    )
    return Program(tuple(ops), tail, splits)


def branch_memory(program: Program, n: int, shots: int, itemsize: int = 16) -> int:
    """An upper bound, in bytes, of the states alive at once while branching ``shots``."""
    pending = min(program.splits, max(shots - 1, 0))
    return (pending + 2) * (itemsize << n)


Leaf = Callable[[Any, int, list[int]], None]


def run_branches(
    kernel: Kernel[Any],
    n: int,
    program: Program,
    s0: Any,
    shots: int,
    bits0: list[int],
    rng: Rng,
    leaf: Leaf,
) -> None:
    """Runs ``shots`` shots of ``program`` from ``s0`` as branches, depth first.

    ``leaf(state, shots, clbits)`` is called once per final branch, in a fixed order.
    """
    ops = program.ops
    end = len(ops)
    stack: list[tuple[int, Any, int, list[int]]] = [(0, s0, shots, bits0)]
    while stack:
        pc, s, k, bits = stack.pop()
        while pc < end:
            op = ops[pc]
            pc += 1
            if op.condition is not None and not op.condition.holds(bits):
                continue
            kind = op.kind
            if kind == "gates":
                s = apply_gates(kernel, s, n, op.gates)
                continue
            if kind == "gate":
                g = op.gates[0]
                assert g.gate is not None
                s = kernel.apply_gate(s, n, g.gate, g.qubits)
                continue
            if kind == "channel":
                assert op.channel is not None
                ch = op.channel
                weights = ch.outcome_weights(kernel, s, n, op.qubits)
                split = rng.multinomial(k, weights)
                live = [i for i, c in enumerate(split) if c]
                for i in reversed(live[1:]):
                    t = ch.apply_outcome(kernel, kernel.copy(s), n, op.qubits, i, weights)
                    stack.append((pc, t, split[i], list(bits)))
                s = ch.apply_outcome(kernel, s, n, op.qubits, live[0], weights)
                k = split[live[0]]
                continue
            q = op.qubits[0]
            p1 = min(max(kernel.prob_one(s, n, q), 0.0), 1.0)  # rounding only
            k1 = rng.binomial(k, p1)
            parts = [(0, k - k1, 1.0 - p1), (1, k1, p1)]
            live_parts = [t for t in parts if t[1]]
            children: list[tuple[Any, int, list[int]]] = []
            for j, (outcome, count, prob) in enumerate(live_parts):
                t = s if j == len(live_parts) - 1 else kernel.copy(s)
                t = kernel.collapse(t, n, q, outcome, prob)
                b = bits if j == len(live_parts) - 1 else list(bits)
                if kind == "reset":
                    if outcome:
                        t = kernel.apply_gate(t, n, X, (q,))
                    children.append((t, count, b))
                    continue
                ro = op.readout
                if ro is None:
                    b[op.clbit] = outcome
                    children.append((t, count, b))
                    continue
                flip = ro.p01 if outcome == 0 else ro.p10
                flipped = rng.binomial(count, flip)
                kept = count - flipped
                if kept and flipped:
                    b2 = list(b)
                    b[op.clbit] = outcome
                    b2[op.clbit] = 1 - outcome
                    children += [(t, kept, b), (kernel.copy(t), flipped, b2)]
                else:
                    b[op.clbit] = outcome if kept else 1 - outcome
                    children.append((t, count, b))
            for t, count, b in reversed(children[1:]):
                stack.append((pc, t, count, b))
            s, k, bits = children[0]
        leaf(s, k, bits)


def tally_leaf(
    kernel: Kernel[Any],
    program: Program,
    rng: Rng,
    width: int,
    measured: bool,
    counts: Counter[str],
    memory: list[str] | None,
) -> Callable[[Any, int, list[int]], list[int]]:
    """A leaf callback that samples the terminal measurements into ``counts`` (and
    ``memory``, branch by branch); it returns the classical bits of the branch's last shot.

    Without any measurement in the circuit the counts are over the qubits.
    """
    tail = program.tail
    noisy = any(ro is not None for _, _, ro in tail)

    def leaf(s: Any, k: int, bits: list[int]) -> list[int]:
        if not measured:
            keys = kernel.sample_state(s, k, rng)
        else:
            base = 0
            for c, b in enumerate(bits):
                base |= b << c
            if not tail:
                keys = [base] * k
            elif noisy:  # readout errors: one uniform per shot and noisy qubit
                keys = []
                for b in kernel.sample_state(s, k, rng):
                    v = base
                    for q, c, ro in tail:
                        out = (b >> q) & 1
                        if ro is not None:
                            out = ro.apply(out, rng)
                        v = v | (1 << c) if out else v & ~(1 << c)
                    keys.append(v)
            else:
                idx = kernel.sample_state(s, k, rng)
                lut = {b: _map(base, b, tail) for b in set(idx)}
                keys = [lut[b] for b in idx]
        for v, c in Counter(keys).items():
            counts[format(v, f"0{width}b")] += c
        if memory is not None:
            memory.extend(format(v, f"0{width}b") for v in keys)
        last = keys[-1]
        return [(last >> c) & 1 for c in range(len(bits))] if measured and tail else bits

    return leaf


def _map(base: int, b: int, tail: Sequence[tuple[int, int, Any]]) -> int:
    v = base
    for q, c, _ in tail:
        v = v | (1 << c) if (b >> q) & 1 else v & ~(1 << c)
    return v
