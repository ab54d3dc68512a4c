"""Frames from a running circuit: :func:`iter_frames` and :func:`frame_from_state`.

Everything a frame shows of the state comes from the kernel that holds it
(``probabilities``, ``to_list``, ``bloch_and_marginals``, ``top_states``), so a kernel
computes it where the state lives and Python copies out only the frame's arrays. The
pure-Python and NumPy kernels sum exactly (:func:`math.fsum`) up to 12 qubits, so their
frames are byte-identical whenever their amplitudes agree bit for bit; above, the
NumPy kernel sums in its own order (agreement to ~1e-15).

Above 12 qubits, :func:`iter_frames` recomputes after a gate only the Bloch vectors and
marginals of the gate's qubits: a unitary on some qubits leaves the reduced state of every
other qubit unchanged, so their numbers carry over from the previous frame (they differ
from a recomputation by rounding only, ~1e-16). A measurement or reset recomputes every
qubit except those known to be in a basis state (a product with the rest). Every qubit's
Bloch vector costs a pass over the state, which at 20 qubits made it most of a frame's
cost. With noise or control flow every frame recomputes every qubit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qtcore.errors import FrameError
from qtcore.frames._codec import AMP_LIMIT, MAX_QUBITS, PROB_LIMIT, TOP_K, Frame
from qtcore.rng import check_seed, fresh_seed
from qtcore.sim import Result, StateVector, iter_steps, simulate
from qtcore.sim._reduce import EXACT_MAX_QUBITS
from qtcore.sim._simulator import sampled_result

if TYPE_CHECKING:
    from qtcore.circuit import Circuit, Instruction
    from qtcore.noise import NoiseModel
    from qtcore.sim import Step
    from qtcore.sim._kernel import Kernel

__all__ = ["frame_from_state", "iter_frames", "simulate_with_frames"]

Reduced = tuple[list[tuple[float, float, float]], list[float]]


def _check_limits(amp_limit: object, prob_limit: object, top_k: object) -> None:
    for name, value, high in (
        ("amp_limit", amp_limit, MAX_QUBITS),
        ("prob_limit", prob_limit, MAX_QUBITS),
        ("top_k", top_k, None),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise FrameError(f"{name} must be an integer, got {value!r}")
        low = 1 if name == "top_k" else 0
        if value < low or (high is not None and value > high):
            allowed = f"[{low}, {high}]" if high is not None else f">= {low}"
            raise FrameError(f"{name} must be in {allowed}, got {value}")
    assert isinstance(amp_limit, int) and isinstance(prob_limit, int)
    if amp_limit > prob_limit:
        raise FrameError(f"amp_limit {amp_limit} must not exceed prob_limit {prob_limit}")


def frame_from_state(
    state: StateVector,
    *,
    step: int = -1,
    instruction: Instruction | None = None,
    clbits: Sequence[int] = (),
    executed: bool = True,
    outcome: int | None = None,
    amp_limit: int = AMP_LIMIT,
    prob_limit: int = PROB_LIMIT,
    top_k: int = TOP_K,
    meta: Mapping[str, Any] | None = None,
) -> Frame:
    """Builds the frame of one state.

    Up to ``amp_limit`` qubits the frame carries amplitudes, up to ``prob_limit``
    probabilities; always Bloch vectors and marginals. Beyond ``prob_limit`` it is a
    summary: the ``top_k`` basis states by probability (zero-probability states left
    out; ties by ascending index) with their amplitudes, and ``summary`` says so.

    Raises:
        FrameError: invalid limits.
    """
    _check_limits(amp_limit, prob_limit, top_k)
    return _frame(
        state, step, instruction, clbits, executed, outcome, amp_limit, prob_limit, top_k, meta
    )


def _frame(
    state: StateVector,
    step: int,
    instruction: Instruction | None,
    clbits: Sequence[int],
    executed: bool,
    outcome: int | None,
    amp_limit: int,
    prob_limit: int,
    top_k: int,
    meta: Mapping[str, Any] | None,
    reduced: Reduced | None = None,
) -> Frame:
    """:func:`frame_from_state` with checked limits; ``reduced``: the Bloch vectors and
    marginals when the caller has them (else the kernel computes them)."""
    n = state.num_qubits
    frame = Frame(
        step=step,
        num_qubits=n,
        num_clbits=len(clbits),
        op=None if instruction is None else instruction.describe(),
        op_name=None if instruction is None else instruction.name,
        qubits=[] if instruction is None else list(instruction.qubits),
        executed=executed,
        outcome=outcome,
        clbits=[int(b) for b in clbits],
        kernel=state.kernel.name,
        meta=None if meta is None else dict(meta),
    )
    kernel, data = state.kernel, state.data
    if reduced is None:
        frame.bloch, frame.marginals = kernel.bloch_and_marginals(data, n)
    else:
        frame.bloch, frame.marginals = list(reduced[0]), list(reduced[1])
    if n <= prob_limit:
        frame.probabilities = kernel.probabilities(data)
        if n <= amp_limit:
            frame.amplitudes = kernel.to_list(data)
        return frame
    idx, top_p, top_a = kernel.top_states(data, n, min(top_k, 1 << n))
    frame.top_indices, frame.top_probabilities, frame.top_amplitudes = idx, top_p, top_a
    frame.summary = {
        "reason": (
            f"{n} qubits exceed the probability limit of {prob_limit}: top {len(idx)} of "
            f"{1 << n} basis states by probability, with per-qubit marginals and Bloch vectors"
        ),
        "topK": len(idx),
        "numQubits": n,
    }
    return frame


def iter_frames(
    circuit: Circuit,
    *,
    seed: int | None = None,
    backend: str | Kernel[Any] = "auto",
    noise: NoiseModel | None = None,
    initial_state: StateVector | Sequence[complex] | str | None = None,
    amp_limit: int = AMP_LIMIT,
    prob_limit: int = PROB_LIMIT,
    top_k: int = TOP_K,
    meta: Mapping[str, Any] | None = None,
) -> Iterator[Frame]:
    """One :class:`Frame` per step of one seeded trajectory (the first is step -1).

    Args:
        circuit: a circuit with every parameter bound.
        seed: seed of the trajectory (measurement outcomes, noise branches).
        backend: ``"auto"``, ``"wasm"``, ``"numpy"``, ``"python"`` or a kernel object.
        noise: an optional :class:`~qtcore.noise.NoiseModel`.
        initial_state: a state, amplitudes or a label such as ``"01+"``.
        amp_limit: largest width whose frames carry amplitudes.
        prob_limit: largest width whose frames carry all probabilities; wider states
            give summary frames.
        top_k: how many basis states a summary frame lists.
        meta: a JSON-ready mapping copied into every frame's header.

    Raises:
        FrameError: invalid limits (checked at the call, before any frame).
    """
    _check_limits(amp_limit, prob_limit, top_k)
    steps = iter_steps(
        circuit, seed=seed, backend=backend, noise=noise, initial_state=initial_state
    )
    local = noise is None and not circuit.has_control_flow and circuit.num_qubits > EXACT_MAX_QUBITS
    basis = set(range(circuit.num_qubits)) if initial_state is None else set()
    return _frames(steps, local, basis, amp_limit, prob_limit, top_k, meta)


def simulate_with_frames(
    circuit: Circuit,
    shots: int = 0,
    *,
    seed: int | None = None,
    backend: str | Kernel[Any] = "auto",
    noise: NoiseModel | None = None,
    initial_state: StateVector | Sequence[complex] | str | None = None,
    memory: bool = False,
    amp_limit: int = AMP_LIMIT,
    prob_limit: int = PROB_LIMIT,
    top_k: int = TOP_K,
    meta: Mapping[str, Any] | None = None,
) -> tuple[Result, list[Frame]]:
    """The counts and the frames of a circuit, from one simulation where that is possible.

    Returns what ``simulate(circuit, shots, seed=seed, ...)`` and
    ``list(iter_frames(circuit, seed=seed, ...))`` return (for an unseeded call, one seed
    drawn for both). When the circuit has no noise, no mid-circuit measurement and no
    gate after its first measurement, the gates run once: the frames come from the
    gate-by-gate trajectory, and the shots are sampled, as :func:`~qtcore.simulate`
    samples them, from its state after the last gate. The counts, the classical bits and
    the frames are then those of the two calls; the final state agrees with
    ``simulate``'s to rounding (``simulate`` may fuse or merge gates: bit for bit with
    the pure-Python kernel, and with the wasm kernel up to 14 qubits). Otherwise the two
    calls run.

    Raises:
        FrameError: invalid limits (checked first).
        SimulationError: what :func:`~qtcore.simulate` raises.
    """
    _check_limits(amp_limit, prob_limit, top_k)
    seed = fresh_seed() if seed is None else check_seed(seed)
    frame_args: dict[str, Any] = {
        "amp_limit": amp_limit,
        "prob_limit": prob_limit,
        "top_k": top_k,
        "meta": meta,
    }
    first = _first_measure(circuit, noise)
    if first is None:
        result = simulate(
            circuit,
            shots,
            seed=seed,
            backend=backend,
            noise=noise,
            initial_state=initial_state,
            memory=memory,
        )
        two = iter_frames(
            circuit,
            seed=seed,
            backend=backend,
            noise=noise,
            initial_state=initial_state,
            **frame_args,
        )
        return result, list(two)
    final: list[StateVector] = []

    def tap(steps: Iterator[Step]) -> Iterator[Step]:
        for st in steps:
            if st.index == first - 1:  # after the last gate: the state simulate samples
                final.append(st.state.copy() if first < len(circuit.instructions) else st.state)
            yield st

    steps = tap(iter_steps(circuit, seed=seed, backend=backend, initial_state=initial_state))
    # as iter_frames decides (an empty noise model, like none, runs one trajectory here)
    local = noise is None and not circuit.has_control_flow
    local = local and circuit.num_qubits > EXACT_MAX_QUBITS
    basis = set(range(circuit.num_qubits)) if initial_state is None else set()
    one = list(_frames(steps, local, basis, amp_limit, prob_limit, top_k, meta))
    return sampled_result(circuit, final[0], shots, seed, memory), one


def _first_measure(circuit: Circuit, noise: NoiseModel | None) -> int | None:
    """Where the measurements of ``circuit`` start (its length if it has none) when one
    trajectory gives both its frames and its samples: no noise, no mid-circuit
    measurement, nothing but measurements and barriers from the first measurement on.
    ``None`` otherwise."""
    if (noise is not None and not noise.is_empty()) or circuit.has_mid_circuit_measurement:
        return None
    instructions = circuit.instructions
    first = next((i for i, ins in enumerate(instructions) if ins.kind == "measure"), None)
    if first is None:
        return len(instructions)
    if any(ins.kind not in ("measure", "barrier") for ins in instructions[first:]):
        return None
    return first


def _frames(
    steps: Iterator[Step],
    local: bool,
    basis: set[int],
    amp_limit: int,
    prob_limit: int,
    top_k: int,
    meta: Mapping[str, Any] | None,
) -> Iterator[Frame]:
    """The frames of ``steps``. With ``local``, a frame recomputes the Bloch vectors and
    marginals of the qubits whose reduced state the step may have changed: a gate's qubits;
    for a measurement or reset, every qubit but those in ``basis`` (qubits in an exact
    basis state, a product with the rest: untouched since the start or since their own
    measurement or reset), whose reduced state a projection elsewhere cannot change."""
    reduced: Reduced | None = None
    for s in steps:
        ins, state = s.instruction, s.state
        n = state.num_qubits
        changed: list[int] | None = None  # None: every qubit
        if local and reduced is not None and ins is not None:
            if not s.executed or ins.kind == "barrier":
                changed = []  # the state did not change
            elif ins.kind == "gate":
                changed = sorted(set(ins.qubits))
                basis.difference_update(changed)
            elif ins.kind in ("measure", "reset"):
                (q,) = ins.qubits
                basis.discard(q)
                changed = [i for i in range(n) if i not in basis]
                basis.add(q)  # collapsed: amplitudes with the other value of bit q are 0
        if not local:
            reduced = None
        elif changed is None or reduced is None:
            reduced = state.kernel.bloch_and_marginals(state.data, n)
        elif changed:
            bloch, marginals = list(reduced[0]), list(reduced[1])
            got_b, got_m = state.kernel.bloch_and_marginals(state.data, n, changed)
            for q, b, m in zip(changed, got_b, got_m, strict=True):
                bloch[q], marginals[q] = b, m
            reduced = bloch, marginals
        yield _frame(
            state,
            s.index,
            ins,
            s.clbits,
            s.executed,
            s.outcome,
            amp_limit,
            prob_limit,
            top_k,
            meta,
            reduced,
        )
