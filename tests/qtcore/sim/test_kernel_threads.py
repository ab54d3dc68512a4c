"""The NumPy kernel on several threads: the same blocks, so the same amplitudes, bit for bit.

Every path of the kernel (diagonal, permutation, window permutation, real 1-qubit, dense
ranges, generic tensordot) runs with ``threads=1`` and with ``threads=3`` at
``min_parallel=1`` (so even small states split), under the default and the narrowed path
limits; the threaded state must equal the one-thread state exactly and the pure-Python
kernel's to 1e-12 (an independent implementation).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from qtcore import Circuit, simulate
from qtcore.errors import SimulationError
from qtcore.ops import GATES, Gate

pytestmark = pytest.mark.numpy

SEED = 20261203


def _cases(n: int, rng: random.Random) -> list[tuple[Gate, tuple[int, ...]]]:
    cases = []
    for name, spec in GATES.items():
        for nc in [1, 2, 3] if spec.variadic else [spec.num_controls]:
            k = nc + spec.num_targets
            if k > n:
                continue
            for _ in range(2):
                params = [rng.uniform(-math.pi, math.pi) for _ in range(spec.num_params)]
                cases.append(
                    (
                        Gate(name, params, nc if spec.variadic else None),
                        tuple(rng.sample(range(n), k)),
                    )
                )
    return cases


def _circuit(n: int, size: int, rng: random.Random) -> Circuit:
    c = Circuit(n)
    cases = _cases(n, rng)
    for _ in range(size):
        g, qs = rng.choice(cases)
        c.append(g, qs)
    # the families of the benchmark: a CX ladder, Hadamards on every qubit, a CP fan
    c.h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    for q in range(n):
        c.h(q)
    for q in range(1, n):
        c.cp(math.pi / (1 << q), 0, q)
    return c


@pytest.fixture(params=["default", "narrow"])
def path_limits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``narrow`` shrinks the kernel's thresholds so small states reach every path."""
    import qtcore.sim._kernel_numpy as kn

    if request.param == "narrow":
        monkeypatch.setattr(kn, "_LOW_BITS", 3)
        monkeypatch.setattr(kn, "_MAX_SPAN", 2)
        monkeypatch.setattr(kn, "_MAX_DIAG_BITS", 4)
        monkeypatch.setattr(kn, "_REAL_1Q_MIN", 2)
        monkeypatch.setattr(kn, "_HADAMARD_MIN", 1)
        monkeypatch.setattr(kn, "_PERM_LOW_BITS", 3)
    kn.clear_plans()
    yield str(request.param)
    kn.clear_plans()


@pytest.fixture
def submissions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the shares handed to the kernel's thread pool (so a split is seen to happen)."""
    import qtcore.sim._kernel_numpy as kn

    seen: list[int] = []
    real = kn._pool

    class Counting:
        def submit(self, fn: Any, *args: Any) -> Any:
            seen.append(1)
            return real().submit(fn, *args)

    monkeypatch.setattr(kn, "_pool", Counting)
    return seen


@pytest.mark.parametrize(("n", "chunk"), [(7, 64), (10, 64), (10, 256)])
def test_threaded_gates_equal_one_thread(
    n: int, chunk: int, path_limits: str, submissions: list[int]
) -> None:
    from qtcore.sim._kernel_numpy import NumpyKernel
    from qtcore.sim._kernel_python import PythonKernel

    rng = random.Random(SEED + n + chunk)
    c = _circuit(n, 120, rng)
    one = NumpyKernel(chunk=chunk, threads=1)
    three = NumpyKernel(chunk=chunk, threads=3, min_parallel=1)
    py = PythonKernel()
    s1, s3, sp = one.zeros(n), three.zeros(n), py.zeros(n)
    for ins in c.instructions:
        assert ins.gate is not None
        s1 = one.apply_gate(s1, n, ins.gate, ins.qubits)
        s3 = three.apply_gate(s3, n, ins.gate, ins.qubits)
        sp = py.apply_gate(sp, n, ins.gate, ins.qubits)
        assert (s1 == s3).all(), f"after {ins.gate!r} on {ins.qubits}"
    assert submissions  # the threaded kernel did split its passes
    assert max(abs(a - b) for a, b in zip(s1.tolist(), sp)) < 1e-12


@pytest.mark.parametrize("n", [8, 11])
def test_threaded_fused_program_equals_one_thread(
    n: int, path_limits: str, submissions: list[int]
) -> None:
    import numpy as np

    from qtcore.sim._fusion import fuse
    from qtcore.sim._kernel_numpy import NUMPY_FUSION, NumpyKernel

    rng = random.Random(SEED - n)
    c = _circuit(n, 150, rng)
    prog = fuse(c.instructions, n, NUMPY_FUSION)
    kinds = {op.kind for op in prog}
    assert {"matrix", "diagonal", "permutation"} <= kinds, kinds
    states = []
    for kern in (
        NumpyKernel(chunk=64, threads=1),
        NumpyKernel(chunk=64, threads=2, min_parallel=1),
    ):
        s = kern.zeros(n)
        for op in prog:
            s = op.apply(kern, s, n)
        states.append(s)
    assert submissions
    np.testing.assert_array_equal(states[0], states[1])
    # and the wide window permutation and generic paths, called directly
    src = list(range(1 << 4))
    rng.shuffle(src)
    a, b = states[0].copy(), states[1].copy()
    NumpyKernel(chunk=64, threads=1).apply_permutation(a, n, src, n - 4)
    NumpyKernel(chunk=64, threads=2, min_parallel=1).apply_permutation(b, n, src, n - 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, states[0])  # the permutation did move amplitudes


def test_simulate_at_17_qubits_with_default_limits_equals_one_thread() -> None:
    """Above min_parallel with the default chunk: the way a user runs a large state."""
    import numpy as np

    from qtcore.sim._kernel_numpy import NumpyKernel

    n = 17
    rng = random.Random(SEED)
    c = Circuit(n)
    for layer in range(3):
        for q in range(n):
            c.ry(rng.uniform(-3, 3), q).rz(rng.uniform(-3, 3), q)
        for q in range(layer, n - 1):
            c.cx(q, q + 1)
    c.h(n - 1).cp(0.3, 0, n - 1).swap(2, n - 2).ccx(0, 5, n - 1)
    one = simulate(c, backend=NumpyKernel(threads=1)).state.data
    two = simulate(c, backend=NumpyKernel(threads=2)).state.data
    np.testing.assert_array_equal(one, two)
    assert abs(np.vdot(one, one) - 1.0) < 1e-12


def test_threads_from_environment_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from qtcore.sim._kernel_numpy import NumpyKernel, default_threads

    monkeypatch.setenv("QTCORE_THREADS", "3")
    assert default_threads() == 3 and NumpyKernel().threads == 3
    assert NumpyKernel(threads=1).threads == 1  # the argument wins
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("QTCORE_THREADS", bad)
        with pytest.raises(SimulationError, match="QTCORE_THREADS must be a whole number >= 1"):
            NumpyKernel()
    monkeypatch.delenv("QTCORE_THREADS")
    assert default_threads() >= 1
    for kwargs, message in (
        ({"threads": 0}, "threads must be an integer >= 1, got 0"),
        ({"threads": True}, "threads must be an integer >= 1, got True"),
        ({"min_parallel": 0}, "min_parallel must be an integer >= 1, got 0"),
    ):
        with pytest.raises(SimulationError, match=message):
            NumpyKernel(**kwargs)


def test_one_kernel_shared_by_caller_threads() -> None:
    """Scratch blocks are per thread: callers running one kernel at once do not collide."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from qtcore.sim._kernel_numpy import NumpyKernel

    kern = NumpyKernel(chunk=64, threads=2, min_parallel=1)
    n = 10
    circuits = [_circuit(n, 60, random.Random(SEED + i)) for i in range(4)]

    def run(c: Circuit) -> Any:
        s = kern.zeros(n)
        for ins in c.instructions:
            assert ins.gate is not None
            s = kern.apply_gate(s, n, ins.gate, ins.qubits)
        return s

    alone = [run(c) for c in circuits]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(run, circuits))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def _threaded_norm_in_child(n: int) -> float:
    import numpy as np

    from qtcore.sim._kernel_numpy import NumpyKernel

    kern = NumpyKernel(threads=2, min_parallel=1)
    c = _circuit(n, 40, random.Random(SEED))
    s = kern.zeros(n)
    for ins in c.instructions:
        assert ins.gate is not None
        s = kern.apply_gate(s, n, ins.gate, ins.qubits)
    return float(np.vdot(s, s).real)


def test_forked_process_starts_its_own_kernel_threads() -> None:
    """A process forked after the pool started inherits the pool but not its threads."""
    import multiprocessing

    assert abs(_threaded_norm_in_child(9) - 1.0) < 1e-12  # the pool now runs here
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as child:
        norm = child.apply_async(_threaded_norm_in_child, (9,)).get(timeout=120)
    assert abs(norm - 1.0) < 1e-12
