"""simulate_with_frames: the counts of simulate() and the frames of iter_frames() from one
simulation, the same as the two calls, on every kernel this interpreter has (CPython:
python and numpy; Pyodide: python and wasm). The native build of the wasm kernel is
checked in tests/qtcore/sim/test_kernel_wasm.py."""

from __future__ import annotations

from typing import Any

import pytest

from qtcore import Circuit, Gate, simulate, simulate_with_frames
from qtcore.frames import encode_frames, iter_frames
from qtcore.noise import NoiseModel, bit_flip
from qtcore.rng import Rng
from qtcore.sim import available_kernels
from qtcore.testing import assert_states_close, random_circuit

KERNELS = [name for name, why in available_kernels().items() if why is None]


def assert_same_as_two_calls(c: Circuit, shots: int, seed: int, backend: Any, **kw: Any) -> None:
    """simulate_with_frames equals simulate + iter_frames with the same seed: counts, bits,
    memory and provenance exactly, frames byte for byte, the state to 1e-12."""
    got, frames = simulate_with_frames(c, shots, seed=seed, backend=backend, memory=True, **kw)
    noise = kw.get("noise")
    want = simulate(c, shots, seed=seed, backend=backend, memory=True, noise=noise)
    want_frames = list(iter_frames(c, seed=seed, backend=backend, noise=noise))
    assert got.counts == want.counts
    assert got.memory == want.memory
    assert got.clbits == want.clbits
    assert (got.seed, got.shots, got.kernel, got.method) == (
        want.seed,
        want.shots,
        want.kernel,
        want.method,
    )
    assert_states_close(got.state_vector, want.state_vector, 1e-12)
    assert encode_frames(frames) == encode_frames(want_frames)


@pytest.mark.parametrize("backend", KERNELS)
@pytest.mark.parametrize("seed", range(6))
def test_simulate_with_frames_equals_the_two_calls(backend: str, seed: int) -> None:
    rng = Rng(600 + seed)
    n = [1, 3, 5, 8, 13, 14][seed]
    c = random_circuit(n, 12 if n > 12 else 30, rng)
    if seed % 2:
        c.measure_all()
    assert_same_as_two_calls(c, 300, 11 + seed, backend)


@pytest.mark.parametrize("backend", KERNELS)
def test_simulate_with_frames_runs_once_when_it_can(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A circuit measured at the end runs its gates once: simulate() is not called."""
    import qtcore.frames._iter as it

    c = Circuit(3, 3).h(0).cx(0, 1).ry(0.3, 2).barrier().measure(0, 2).measure(1, 0)
    want = simulate(c, 500, seed=5, backend=backend)

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("simulate() ran a second simulation")

    monkeypatch.setattr(it, "simulate", refuse)
    got, frames = simulate_with_frames(c, 500, seed=5, backend=backend)
    assert got.counts == want.counts and got.clbits == want.clbits
    assert len(frames) == len(c.instructions) + 1
    assert [f.op_name for f in frames[-2:]] == ["measure", "measure"]  # collapsed there
    assert frames[-1].outcome in (0, 1)


@pytest.mark.parametrize("backend", KERNELS)
@pytest.mark.parametrize(
    "case", ["mid-circuit", "gate after a measurement", "noise", "reset", "no shots"]
)
def test_simulate_with_frames_falls_back_to_the_two_calls(backend: str, case: str) -> None:
    c = Circuit(3, 3).h(0).cx(0, 1).rx(0.7, 2)
    kw: dict[str, Any] = {}
    if case == "mid-circuit":
        c.measure(0, 0).h(0).measure(0, 1)
    elif case == "gate after a measurement":  # terminal, but the gate follows it
        c.measure(0, 0).append(Gate("h"), [2]).measure(2, 2)
    elif case == "noise":
        c.measure_all()
        kw["noise"] = NoiseModel().add(bit_flip(0.2), gates=["h", "cx"])
    elif case == "reset":
        c.reset(1).measure(1, 1)
    shots = 0 if case == "no shots" else 400
    assert_same_as_two_calls(c, shots, 77, backend, **kw)


def test_simulate_with_frames_draws_one_seed_for_both() -> None:
    c = Circuit(2).h(0).cx(0, 1).measure_all()
    got, frames = simulate_with_frames(c, 100, backend="python")
    assert encode_frames(frames) == encode_frames(
        list(iter_frames(c, seed=got.seed, backend="python"))
    )
    assert got.counts == simulate(c, 100, seed=got.seed, backend="python").counts
