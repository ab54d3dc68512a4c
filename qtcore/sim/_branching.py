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
from qtcore.control import Assign, For, IfElse, Switch, While, bodies, evaluate
from qtcore.errors import CircuitError, SimulationError
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
    block: Any = None  # assign/if/while/for/switch: the qtcore.control block
    bodies: tuple[
        tuple[_Op, ...], ...
    ] = ()  # compiled bodies (if: then, else; switch: cases, default)
    source: Instruction | None = None  # the circuit's instruction (for steps and errors)


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
        if (
            ins.kind != "measure"
            or ins.condition is not None
            or ins.block is not None
            or ins.qubits[0] in seen
        ):
            break
        seen.add(ins.qubits[0])
        start = i
    return start


def compile_program(
    instructions: Sequence[Instruction],
    noise: NoiseModel | None,
    variables: frozenset[str] = frozenset(),
    sample_tail: bool = True,
) -> Program:
    """Flattens composite gates, attaches noise after each gate, groups runs of plain gates,
    compiles control-flow bodies and (``sample_tail``) splits off the terminal measurements.

    ``variables``: classical variable names; a gate whose parameters name one is bound
    when it runs.
    """
    start = _tail_start(instructions) if sample_tail else len(instructions)
    ops, splits = _compile(instructions[:start], noise, variables)
    tail = tuple(
        (ins.qubits[0], ins.clbits[0], noise.readout_error(ins.qubits[0]) if noise else None)
        for ins in instructions[start:]
        if ins.kind == "measure"
    )
    return Program(tuple(ops), tail, splits)


def _compile(
    instructions: Sequence[Instruction], noise: NoiseModel | None, variables: frozenset[str]
) -> tuple[list[_Op], int]:
    ops: list[_Op] = []
    run: list[Instruction] = []
    splits = 0

    def flush() -> None:
        if run:
            ops.append(_Op("gates", gates=tuple(run)))
            run.clear()

    for ins in instructions:
        if ins.kind == "barrier":
            continue
        if ins.block is not None and ins.kind != "measure":
            flush()
            b = ins.block
            subs: list[tuple[Instruction, ...]] = bodies(b)
            compiled = []
            inner = 0
            for body in subs:
                body_ops, body_splits = _compile(body, noise, variables)
                compiled.append(tuple(body_ops))
                inner = max(inner, body_splits)
            if isinstance(b, While):
                inner *= b.max_iterations
            elif isinstance(b, For):
                inner *= max(1, len(b.values) if b.values is not None else 64)
            splits += inner
            ops.append(_Op(ins.kind, ins.condition, block=b, bodies=tuple(compiled), source=ins))
            continue
        if ins.kind == "gate":
            for g in _primitive(ins):
                assert g.gate is not None
                plan = noise.channels_after(g.gate, g.qubits) if noise is not None else []
                dynamic = bool(variables and g.gate.parameters & variables)
                if g.condition is None and not plan and not dynamic:
                    run.append(g)
                    continue
                flush()
                ops.append(_Op("cgate" if dynamic else "gate", g.condition, gates=(g,), source=g))
                for ch, qs in plan:
                    ops.append(_Op("channel", g.condition, channel=ch, qubits=qs, source=g))
                    splits += ch.num_outcomes() - 1
            continue
        flush()
        q = ins.qubits[0]
        if ins.kind == "measure":
            ro = noise.readout_error(q) if noise is not None else None
            ops.append(
                _Op(
                    "measure",
                    ins.condition,
                    qubits=(q,),
                    clbit=ins.clbits[0] if ins.clbits else -1,  # -1: into a variable (block)
                    readout=ro,
                    block=ins.block,
                    source=ins,
                )
            )
            splits += 1 if ro is None else 3
        else:  # reset
            ops.append(_Op("reset", ins.condition, qubits=(q,), source=ins))
            splits += 1
    flush()
    return ops, splits


def branch_memory(program: Program, n: int, shots: int, itemsize: int = 16) -> int:
    """An upper bound, in bytes, of the states alive at once while branching ``shots``."""
    pending = min(program.splits, max(shots - 1, 0))
    return (pending + 2) * (itemsize << n)


Leaf = Callable[[Any, int, list[int]], None]
Step = Callable[[Any, Any, list[int], bool, "int | None"], None]
"""``on_step(instruction, state, clbits, executed, outcome)`` after each operation."""

# A frame of the continuation: (ops, next pc, loop, parent frame). ``loop`` is None for
# the top level, an if or a switch body, ("while", op, passes) or ("for", op, values, i).
Frame = tuple[tuple[_Op, ...], int, Any, Any]


def run_branches(
    kernel: Kernel[Any],
    n: int,
    program: Program,
    s0: Any,
    shots: int,
    bits0: list[int],
    rng: Rng,
    leaf: Leaf,
    on_step: Step | None = None,
) -> None:
    """Runs ``shots`` shots of ``program`` from ``s0`` as branches, depth first.

    ``leaf(state, shots, clbits)`` is called once per final branch, in a fixed order.
    A branch carries its continuation (the frames of the blocks it is inside), its
    classical bits and its classical variables; all three are copied when it splits.

    Raises:
        SimulationError: a while loop past its iteration cap, or a classical expression
            that cannot be evaluated (a division by zero, a variable read before set).
    """
    top: Frame = (program.ops, 0, None, None)
    stack: list[tuple[Frame, Any, int, list[int], dict[str, Any]]] = [(top, s0, shots, bits0, {})]
    while stack:
        frame, s, k, bits, env = stack.pop()
        while frame is not None:
            ops, pc, loop, parent = frame
            if pc == len(ops):
                frame = _end_of_body(frame, bits, env)
                continue
            op = ops[pc]
            frame = (ops, pc + 1, loop, parent)
            if op.condition is not None and not op.condition.holds(bits):
                if on_step is not None and op.source is not None:
                    on_step(op.source, s, bits, False, None)
                continue
            kind = op.kind
            if kind == "gates":
                s = apply_gates(kernel, s, n, op.gates)
                if on_step is not None:
                    for g in op.gates:
                        on_step(g, s, bits, True, None)
                continue
            if kind == "gate" or kind == "cgate":
                g = op.gates[0]
                gate = g.gate
                assert gate is not None
                if kind == "cgate":
                    gate = gate.bind({v: float(env[v]) for v in gate.parameters if v in env})
                s = kernel.apply_gate(s, n, gate, g.qubits)
                if on_step is not None:
                    on_step(g, s, bits, True, None)
                continue
            if kind in _BLOCKS:
                frame = _enter(op, frame, bits, env)
                if on_step is not None and op.source is not None:
                    on_step(op.source, s, bits, True, None)
                continue
            if kind == "channel":
                assert op.channel is not None
                ch = op.channel
                weights = ch.outcome_weights(kernel, s, n, op.qubits)
                split = rng.multinomial(k, weights)
                live = [i for i, c in enumerate(split) if c]
                for i in reversed(live[1:]):
                    t = ch.apply_outcome(kernel, kernel.copy(s), n, op.qubits, i, weights)
                    stack.append((frame, t, split[i], list(bits), dict(env)))
                s = ch.apply_outcome(kernel, s, n, op.qubits, live[0], weights)
                k = split[live[0]]
                continue
            q = op.qubits[0]
            p1 = min(max(kernel.prob_one(s, n, q), 0.0), 1.0)  # rounding only
            k1 = rng.binomial(k, p1)
            parts = [(0, k - k1, 1.0 - p1), (1, k1, p1)]
            live_parts = [t for t in parts if t[1]]
            children: list[tuple[Any, int, list[int], int]] = []  # state, shots, bits, read
            for j, (outcome, count, prob) in enumerate(live_parts):
                t = s if j == len(live_parts) - 1 else kernel.copy(s)
                t = kernel.collapse(t, n, q, outcome, prob)
                b = bits if j == len(live_parts) - 1 else list(bits)
                if kind == "reset":
                    if outcome:
                        t = kernel.apply_gate(t, n, X, (q,))
                    children.append((t, count, b, outcome))
                    continue
                ro = op.readout
                if ro is None:
                    children.append((t, count, b, outcome))
                    continue
                flip = ro.p01 if outcome == 0 else ro.p10
                flipped = rng.binomial(count, flip)
                kept = count - flipped
                if kept and flipped:
                    children += [
                        (t, kept, b, outcome),
                        (kernel.copy(t), flipped, list(b), 1 - outcome),
                    ]
                else:
                    children.append((t, count, b, outcome if kept else 1 - outcome))
            envs = [env] + [dict(env) for _ in children[1:]]
            if kind == "measure":
                for (_, _, b, read), e in zip(children, envs, strict=True):
                    if op.clbit >= 0:
                        b[op.clbit] = read
                    else:  # into bit `index` of a classical variable
                        vb = op.block
                        old = int(e.get(vb.var, 0))
                        e[vb.var] = old | (1 << vb.index) if read else old & ~(1 << vb.index)
            for (t, count, b, _), e in reversed(list(zip(children[1:], envs[1:], strict=True))):
                stack.append((frame, t, count, b, e))
            s, k, bits, recorded = children[0]
            if on_step is not None and op.source is not None:
                on_step(op.source, s, bits, True, recorded)
        leaf(s, k, bits)


_BLOCKS = ("assign", "if", "while", "for", "switch")


def _eval(e: Any, bits: list[int], env: dict[str, Any]) -> Any:
    try:
        return evaluate(e, bits, env)
    except CircuitError as err:
        raise SimulationError(str(err)) from None


def _enter(op: _Op, frame: Frame, bits: list[int], env: dict[str, Any]) -> Frame:
    """The frame to continue with after control-flow instruction ``op``."""
    b = op.block
    if isinstance(b, Assign):
        v = _eval(b.value, bits, env)
        if isinstance(b.target, str):
            if b.type is not None:
                v = b.type.coerce(v)
            elif b.target in env:  # keep the declared type's wrapping
                t = env.get(_TYPE_KEY + b.target)
                v = t.coerce(v) if t is not None else v
            env[b.target] = v
            if b.type is not None:
                env[_TYPE_KEY + b.target] = b.type
        else:
            iv = int(v)
            for i, c in enumerate(b.target):
                bits[c] = (iv >> i) & 1
        return frame
    if isinstance(b, IfElse):
        body = op.bodies[0] if _eval(b.condition, bits, env) else op.bodies[1]
        return (body, 0, None, frame) if body else frame
    if isinstance(b, While):
        if not _eval(b.condition, bits, env):
            return frame
        return (op.bodies[0], 0, ("while", op, 1), frame)
    if isinstance(b, For):
        values = (
            b.iterate(bits, env) if b.values is None else [_eval(v, bits, env) for v in b.values]
        )
        if not values:
            return frame
        env[b.var] = b.type.coerce(values[0])
        return (op.bodies[0], 0, ("for", op, values, 0), frame)
    assert isinstance(b, Switch)
    target = _eval(b.target, bits, env)
    for i, (vals, _) in enumerate(b.cases):
        if any(_eval(v, bits, env) == target for v in vals):
            body = op.bodies[i]
            return (body, 0, None, frame) if body else frame
    body = op.bodies[-1]
    return (body, 0, None, frame) if body else frame


_TYPE_KEY = "\0type:"  # env entries holding a variable's declared type (not a valid name)


def _end_of_body(frame: Frame, bits: list[int], env: dict[str, Any]) -> Any:
    ops, _, loop, parent = frame
    if loop is None:
        return parent
    if loop[0] == "while":
        op, passes = loop[1], loop[2]
        b = op.block
        if not _eval(b.condition, bits, env):
            return parent
        if passes >= b.max_iterations:
            where = op.source.describe() if op.source is not None else "while"
            raise SimulationError(
                f"{where}: still looping after {b.max_iterations} iterations (the cap); "
                "raise While.max_iterations if the loop is meant to run longer"
            )
        return (ops, 0, ("while", op, passes + 1), parent)
    op, values, i = loop[1], loop[2], loop[3]
    if i + 1 >= len(values):
        return parent
    env[op.block.var] = op.block.type.coerce(values[i + 1])
    return (ops, 0, ("for", op, values, i + 1), parent)


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
