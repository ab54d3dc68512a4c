"""iter_frames: frames of real circuits checked against analytic states."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from qtcore import Circuit, FrameError
from qtcore.frames import (
    Frame,
    decode_frames,
    encode_frame,
    encode_frames,
    frame_from_state,
    iter_frames,
)
from qtcore.noise import NoiseModel, amplitude_damping, bit_flip
from qtcore.rng import Rng
from qtcore.sim import iter_steps
from qtcore.sim._kernel_python import PythonKernel
from qtcore.testing import random_circuit

SEED = 424242
R2 = 1 / math.sqrt(2)


def _close(a: list[float], b: list[float], tol: float = 1e-12) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


def test_frames_bell_circuit_probabilities_and_bloch() -> None:
    c = Circuit(2).h(0).cx(0, 1)
    fs = list(iter_frames(c, seed=SEED, backend="python"))
    assert [f.step for f in fs] == [-1, 0, 1]
    assert [f.op for f in fs] == [None, "h q[0]", "cx q[0], q[1]"]
    assert [f.op_name for f in fs] == [None, "h", "cx"]
    assert fs[2].qubits == [0, 1]
    assert fs[0].probabilities == [1.0, 0.0, 0.0, 0.0]
    assert fs[1].probabilities is not None and _close(fs[1].probabilities, [0.5, 0.5, 0, 0])
    assert fs[2].probabilities is not None and _close(fs[2].probabilities, [0.5, 0, 0, 0.5])
    assert fs[1].bloch is not None and _close(list(fs[1].bloch[0]), [1, 0, 0])
    assert _close(list(fs[1].bloch[1]), [0, 0, 1])
    assert fs[2].bloch is not None
    for v in fs[2].bloch:  # maximally entangled: each reduced state is I/2
        assert math.hypot(*v) < 1e-12
    assert fs[2].marginals is not None and _close(fs[2].marginals, [0.5, 0.5])
    amps = fs[2].amplitudes
    assert amps is not None and all(abs(a - b) < 1e-12 for a, b in zip(amps, [R2, 0, 0, R2]))
    assert all(f.flags == 1 and f.summary is None for f in fs)
    assert decode_frames(encode_frames(fs)) == fs


def test_frames_bloch_of_y_eigenstate_and_measurement_fields() -> None:
    # |+i> = S H |0>: Bloch (0, 1, 0); then measure into c[1] with a recorded outcome
    c = Circuit(1, 2).h(0).s(0).measure(0, 1).x(0).c_if(1, 0)
    fs = list(iter_frames(c, seed=SEED, backend="python"))
    assert fs[2].bloch is not None and _close(list(fs[2].bloch[0]), [0, 1, 0])
    meas = fs[3]
    assert meas.op == "measure q[0] -> c[1]" and meas.op_name == "measure"
    assert meas.outcome in (0, 1) and meas.clbits == [0, meas.outcome]
    cond = fs[4]
    assert cond.executed is (meas.outcome == 0)
    assert cond.probabilities == [0.0, 1.0]  # either x ran on |0> or it was skipped on |1>


def _product_circuit(n: int) -> tuple[Circuit, list[float]]:
    thetas = [0.15 + 0.19 * q for q in range(n)]  # distinct, in (0, pi): no ties
    c = Circuit(n)
    for q, t in enumerate(thetas):
        c.ry(t, q)
    return c, thetas


@pytest.mark.parametrize("backend", ["python", pytest.param("numpy", marks=pytest.mark.numpy)])
def test_frames_fourteen_qubits_give_a_correct_summary(backend: str) -> None:
    n = 14
    c, thetas = _product_circuit(n)
    last = list(iter_frames(c, seed=SEED, backend=backend))[-1]
    assert last.flags == 2 and last.summary is not None
    assert last.probabilities is None and last.amplitudes is None
    assert last.summary["topK"] == 32 and last.summary["numQubits"] == n
    assert "14 qubits" in last.summary["reason"] and "top 32" in last.summary["reason"]
    # analytic product state: amplitude of |b> = prod_q (cos or sin)(theta_q / 2)
    cos = [math.cos(t / 2) for t in thetas]
    sin = [math.sin(t / 2) for t in thetas]
    amp = [math.prod(sin[q] if (i >> q) & 1 else cos[q] for q in range(n)) for i in range(1 << n)]
    order = sorted(range(1 << n), key=lambda i: -(amp[i] ** 2))[:32]
    assert last.top_indices == order
    assert last.top_probabilities is not None and last.top_amplitudes is not None
    assert _close(last.top_probabilities, [amp[i] ** 2 for i in order], 1e-14)
    assert all(abs(z - amp[i]) < 1e-14 for z, i in zip(last.top_amplitudes, order))
    assert last.marginals is not None and _close(last.marginals, [s * s for s in sin])
    assert last.bloch is not None
    for (x, y, z), t in zip(last.bloch, thetas):
        assert _close([x, y, z], [math.sin(t), 0.0, math.cos(t)])
    back = decode_frames(encode_frame(last))[0]
    assert back == last


def test_frames_summary_drops_zero_probabilities_and_orders_ties_by_index() -> None:
    # GHZ on 13 qubits with prob_limit 12: two states of probability 1/2, nothing else
    n = 13
    c = Circuit(n).h(0)
    for q in range(1, n):
        c.cx(0, q)
    fs = list(iter_frames(c, seed=SEED, backend="python"))
    first, last = fs[0], fs[-1]
    assert first.top_indices == [0] and first.summary is not None and first.summary["topK"] == 1
    assert last.top_indices == [0, (1 << n) - 1]
    assert last.top_probabilities is not None and _close(last.top_probabilities, [0.5, 0.5])
    assert last.marginals is not None and _close(last.marginals, [0.5] * n)


def test_frames_between_amp_and_prob_limits_have_probabilities_only() -> None:
    c = Circuit(3).h(2)
    f = list(iter_frames(c, seed=SEED, backend="python", amp_limit=2, prob_limit=3))[-1]
    assert f.flags == 0 and f.amplitudes is None and f.summary is None
    assert f.probabilities is not None and _close(f.probabilities, [0.5, 0, 0, 0, 0.5, 0, 0, 0])
    g = list(iter_frames(c, seed=SEED, backend="python", amp_limit=0, prob_limit=0, top_k=1))
    assert g[-1].flags == 2 and g[-1].top_indices == [0]  # tie 0 vs 4: lower index first


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amp_limit": -1}, "amp_limit must be in"),
        ({"prob_limit": 65}, "prob_limit must be in"),
        ({"top_k": 0}, "top_k must be in"),
        ({"top_k": 2.5}, "top_k must be an integer"),
        ({"amp_limit": True}, "amp_limit must be an integer"),
        ({"amp_limit": 12, "prob_limit": 11}, "must not exceed prob_limit"),
    ],
)
def test_frames_invalid_limits_raise_at_call(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(FrameError, match=match):
        iter_frames(Circuit(1), seed=1, **kwargs)  # type: ignore[arg-type]


def test_frames_meta_and_noise_are_carried() -> None:
    c = Circuit(1, 1).x(0).measure(0, 0)
    noise = NoiseModel().add(bit_flip(1.0), gates=["x"])
    fs = list(iter_frames(c, seed=SEED, backend="python", noise=noise, meta={"seed": SEED}))
    assert fs[1].probabilities == [1.0, 0.0]  # x then a certain bit flip
    assert fs[2].clbits == [0] and fs[2].outcome == 0
    assert all(f.meta == {"seed": SEED} for f in fs)
    assert decode_frames(encode_frames(fs)) == fs


def _midcircuit() -> Circuit:
    c = Circuit(3, 3).h(0).cx(0, 1).rx(0.3, 2).ry(1.234, 1).s(2).measure(0, 0)
    c.x(2).c_if(0, 1).cz(1, 2).sx(2).h(2).cry(0.7, 2, 0).measure(1, 1).ch(0, 2).swap(0, 2)
    return c.measure(2, 2)


@pytest.mark.numpy
def test_frames_both_kernels_give_identical_bytes() -> None:
    # the same seeded trajectory through either kernel gives the same frame bytes,
    # apart from the kernel name in the header
    for seed in range(SEED, SEED + 5):
        py = list(iter_frames(_midcircuit(), seed=seed, backend="python"))
        np_ = list(iter_frames(_midcircuit(), seed=seed, backend="numpy"))
        assert {f.kernel for f in py} == {"python"} and {f.kernel for f in np_} == {"numpy"}

        def same(fs: list[Frame]) -> bytes:
            return encode_frames(dataclasses.replace(f, kernel="any") for f in fs)

        assert same(py) == same(np_), f"seed {seed}"


class _CountingKernel(PythonKernel):
    """The pure-Python kernel, recording which qubits each Bloch call asks for."""

    def __init__(self) -> None:
        self.asked: list[list[int] | None] = []

    def bloch_and_marginals(self, s: Any, n: int, qubits: Any = None) -> Any:
        self.asked.append(None if qubits is None else list(qubits))
        return super().bloch_and_marginals(s, n, qubits)


def _wide_circuit() -> Circuit:
    """13 qubits (above the exact-sum width): gates, a barrier, an entangled pair whose
    partner a mid-circuit measurement collapses, a condition, a reset."""
    c = Circuit(13, 1)
    for ins in random_circuit(13, 14, Rng(SEED), unitaries=False).instructions:
        assert ins.gate is not None
        c.append(ins.gate, ins.qubits)
    c.barrier().reset(0).reset(12).h(0).cx(0, 12).measure(0, 0).x(5).c_if(0, 1).x(6).c_if(
        0, 0
    ).reset(3)
    return c.ry(0.4, 3).cz(3, 12)


def test_frames_wide_recompute_only_changed_qubits_and_match_full_frames() -> None:
    """Above 12 qubits a gate's frame asks the kernel for the gate's qubits only; every
    frame's Bloch vectors and marginals still equal a full recomputation of that step."""
    c = _wide_circuit()
    kernel = _CountingKernel()
    frames = list(iter_frames(c, seed=SEED, backend=kernel))  # type: ignore[arg-type]
    full = [frame_from_state(s.state) for s in iter_steps(c, seed=SEED, backend="python")]
    assert len(frames) == len(full) == len(c.instructions) + 1
    for f, g in zip(frames, full, strict=True):
        assert f.bloch is not None and g.bloch is not None and f.marginals is not None
        for a, b in zip(f.bloch, g.bloch, strict=True):
            assert _close(list(a), list(b)), f.op
        assert g.marginals is not None and _close(f.marginals, g.marginals), f.op
    # the measured partner of the entangled pair: (0, 0, 0) before, a pole after
    pair, measured = frames[len(c.instructions) - 6], frames[len(c.instructions) - 5]
    assert pair.op == "cx q[0], q[12]" and measured.op_name == "measure"
    assert pair.bloch is not None and measured.bloch is not None
    assert math.hypot(*pair.bloch[12]) < 1e-12
    assert abs(abs(measured.bloch[12][2]) - 1.0) < 1e-12
    # a gate: its qubits; a measurement or reset: every qubit a gate touched since the
    # start or since that qubit's own measurement or reset (the others are in a basis state)
    want: list[list[int] | None] = [None]
    entangled: set[int] = set()
    for f, ins in zip(frames[1:], c.instructions, strict=True):
        if ins.kind in ("measure", "reset"):
            want.append(sorted(entangled | set(ins.qubits)))
            entangled.discard(ins.qubits[0])
        elif ins.kind == "gate" and f.executed:
            want.append(sorted(ins.qubits))
            entangled.update(ins.qubits)
    assert len(want) == len(frames) - 2  # the barrier and the skipped x ask for nothing
    assert [c.instructions[i].name for i in (15, 16, 17)] == ["reset", "reset", "h"]
    assert [len(w or ()) for w in want[15:18]] == [10, 9, 1]  # (no barrier in want)
    assert kernel.asked == want


@pytest.mark.parametrize("width", [12, 13])
def test_frames_recompute_every_qubit_with_noise_or_up_to_12_qubits(width: int) -> None:
    """Noise makes a gate non-unitary on the whole state, and up to 12 qubits frames keep
    equal to frame_from_state byte for byte: both ask for every qubit at every step."""
    c = random_circuit(width, 6, Rng(SEED), unitaries=False)
    kernel = _CountingKernel()
    noise = NoiseModel().add(amplitude_damping(0.3)) if width == 13 else None
    frames = list(iter_frames(c, seed=SEED, backend=kernel, noise=noise))  # type: ignore[arg-type]
    assert len(frames) == 7 and kernel.asked == [None] * 7
