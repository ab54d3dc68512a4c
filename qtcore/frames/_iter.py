"""Frames from a running circuit: :func:`iter_frames` and :func:`frame_from_state`.

Full frames (``n <= prob_limit``) are derived in pure Python from the amplitudes with
exactly rounded sums (:func:`math.fsum`), so they do not depend on the kernel's
summation order: both kernels give byte-identical frames whenever their amplitudes
agree bit for bit. Summary frames of big NumPy states use NumPy for speed (agreement
with the pure-Python path to ~1e-15).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qtcore.errors import FrameError
from qtcore.frames._codec import MAX_QUBITS, Frame
from qtcore.sim import StateVector, iter_steps

if TYPE_CHECKING:
    from qtcore.circuit import Circuit, Instruction
    from qtcore.noise import NoiseModel

__all__ = ["frame_from_state", "iter_frames"]

Bloch = tuple[float, float, float]


def _halves(xs: Sequence[Any], q: int) -> tuple[list[Any], list[Any]]:
    """Elements whose index has bit ``q`` clear / set, paired position by position."""
    stride = 1 << q
    block = stride << 1
    size = len(xs)
    lo: list[Any] = []
    hi: list[Any] = []
    if stride >= size // block:
        for start in range(0, size, block):
            lo += xs[start : start + stride]
            hi += xs[start + stride : start + block]
    else:
        for off in range(stride):
            lo += xs[off::block]
            hi += xs[off + stride :: block]
    return lo, hi


def _python_derived(
    amps: list[complex], probs: list[float], n: int
) -> tuple[list[Bloch], list[float]]:
    bloch: list[Bloch] = []
    marginals: list[float] = []
    fsum = math.fsum
    for q in range(n):
        lo, hi = _halves(amps, q)
        plo, phi = _halves(probs, q)
        p0, p1 = fsum(plo), fsum(phi)
        # rho01 = sum lo * conj(hi): x = 2 Re rho01, y = -2 Im rho01, z = p0 - p1
        x = 2.0 * fsum(a.real * b.real + a.imag * b.imag for a, b in zip(lo, hi))
        y = 2.0 * fsum(a.real * b.imag - a.imag * b.real for a, b in zip(lo, hi))
        bloch.append((x, y, p0 - p1))
        marginals.append(p1)
    return bloch, marginals


def _python_top(probs: list[float], k: int) -> list[int]:
    # nlargest is stable: equal probabilities keep ascending index order
    return heapq.nlargest(k, range(len(probs)), key=probs.__getitem__)


def _numpy_summary(
    data: Any, n: int, k: int
) -> tuple[list[Bloch], list[float], list[int], list[float], list[complex]]:
    import numpy as np

    p = data.real * data.real + data.imag * data.imag
    bloch: list[Bloch] = []
    marginals: list[float] = []
    for q in range(n):
        a = data.reshape(-1, 2, 1 << q)
        pv = p.reshape(-1, 2, 1 << q)
        p0, p1 = float(pv[:, 0, :].sum()), float(pv[:, 1, :].sum())
        r01 = complex(np.vdot(a[:, 1, :], a[:, 0, :]))  # sum lo * conj(hi)
        bloch.append((2.0 * r01.real, -2.0 * r01.imag, p0 - p1))
        marginals.append(p1)
    size = p.shape[0]
    kth = float(np.partition(p, size - k)[size - k])
    above = np.flatnonzero(p > kth)
    ties = np.flatnonzero(p == kth)[: k - len(above)]
    cand = np.concatenate([above, ties])
    order = cand[np.lexsort((cand, -p[cand]))]
    idx = [int(i) for i in order]
    probs = [float(x) for x in p[order]]
    amps = [complex(z) for z in data[order].tolist()]
    return bloch, marginals, idx, probs, amps


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
    amp_limit: int = 10,
    prob_limit: int = 12,
    top_k: int = 32,
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
    if n <= prob_limit:
        amps = state.to_list()
        probs = [z.real * z.real + z.imag * z.imag for z in amps]
        frame.bloch, frame.marginals = _python_derived(amps, probs, n)
        frame.probabilities = probs
        if n <= amp_limit:
            frame.amplitudes = amps
        return frame
    k = min(top_k, 1 << n)
    if state.kernel.name == "numpy":
        bloch, marginals, idx, top_p, top_a = _numpy_summary(state.data, n, k)
    else:
        amps = state.to_list()
        probs = [z.real * z.real + z.imag * z.imag for z in amps]
        bloch, marginals = _python_derived(amps, probs, n)
        idx = _python_top(probs, k)
        top_p = [probs[i] for i in idx]
        top_a = [amps[i] for i in idx]
    keep = [j for j, pj in enumerate(top_p) if pj > 0.0]
    frame.bloch, frame.marginals = bloch, marginals
    frame.top_indices = [idx[j] for j in keep]
    frame.top_probabilities = [top_p[j] for j in keep]
    frame.top_amplitudes = [top_a[j] for j in keep]
    frame.summary = {
        "reason": (
            f"{n} qubits exceed the probability limit of {prob_limit}: top {len(keep)} of "
            f"{1 << n} basis states by probability, with per-qubit marginals and Bloch vectors"
        ),
        "topK": len(keep),
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
    amp_limit: int = 10,
    prob_limit: int = 12,
    top_k: int = 32,
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
