"""Frames from a running circuit: :func:`iter_frames` and :func:`frame_from_state`.

Everything a frame shows of the state comes from the kernel that holds it
(``probabilities``, ``to_list``, ``bloch_and_marginals``, ``top_states``), so a kernel
computes it where the state lives and Python copies out only the frame's arrays. The
pure-Python and NumPy kernels sum exactly (:func:`math.fsum`) up to 12 qubits, so their
frames are byte-identical whenever their amplitudes agree bit for bit; above, the
NumPy kernel sums in its own order (agreement to ~1e-15).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qtcore.errors import FrameError
from qtcore.frames._codec import AMP_LIMIT, MAX_QUBITS, PROB_LIMIT, TOP_K, Frame
from qtcore.sim import StateVector, iter_steps

if TYPE_CHECKING:
    from qtcore.circuit import Circuit, Instruction
    from qtcore.noise import NoiseModel

__all__ = ["frame_from_state", "iter_frames"]


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
    frame.bloch, frame.marginals = kernel.bloch_and_marginals(data, n)
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
    backend: str = "auto",
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
        backend: ``"auto"``, ``"numpy"`` or ``"python"``.
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
    return (
        frame_from_state(
            s.state,
            step=s.index,
            instruction=s.instruction,
            clbits=s.clbits,
            executed=s.executed,
            outcome=s.outcome,
            amp_limit=amp_limit,
            prob_limit=prob_limit,
            top_k=top_k,
            meta=meta,
        )
        for s in steps
    )
