"""The WebAssembly kernel (``backend="wasm"``) against the kernel contract and the pure-Python kernel.

Under Pyodide (``node build/pyodide_test.mjs --wheel``) the kernel is the real thing: the
``.wasm`` module shipped in the wheel, instantiated through the ``js`` module. In CPython,
where there is no JavaScript engine, the same C file is compiled as a native shared library
(host clang or cc) and driven through ctypes by the same ``WasmKernel`` class, so the C code
and the Python side are checked on every run; without a C compiler those tests skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qtcore import Circuit, simulate
from qtcore.errors import SimulationError
from qtcore.frames import iter_frames
from qtcore.noise import NoiseModel, amplitude_damping, bit_flip, depolarizing
from qtcore.ops import GATES, Gate
from qtcore.rng import Rng
from qtcore.sim import available_kernels, get_kernel, qubit_limit
from qtcore.sim._fusion import FusedOp, fuse
from qtcore.sim._kernel import GateRuns
from qtcore.sim._kernel_python import PythonKernel
from qtcore.sim._kernel_wasm import WASM_FUSION, NativeModule, WasmKernel, WasmState
from qtcore.testing import (
    assert_kernel_consistent,
    assert_states_close,
    random_circuit,
    random_unitary_gate,
)

PYODIDE = sys.platform == "emscripten"
SOURCE = Path(__file__).resolve().parents[3] / "kernels" / "wasm" / "qtkernel.c"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> WasmKernel:
    if PYODIDE:
        k = get_kernel("wasm")  # must work: the wheel ships the module, Node has SIMD
        assert isinstance(k, WasmKernel)
        return k
    cc = next((c for c in ("clang", "cc", "gcc") if shutil.which(c)), None)
    if cc is None:
        pytest.skip("no C compiler to build the kernel natively (make deps installs clang)")
    lib = tmp_path_factory.mktemp("wasm-native") / "qtkernel.so"
    cmd = [cc, "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(lib), str(SOURCE)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return WasmKernel(NativeModule(str(lib)))


@pytest.mark.parametrize("num_qubits", [3, 4, 7])
def test_wasm_kernel_satisfies_the_contract(kernel: WasmKernel, num_qubits: int) -> None:
    assert_kernel_consistent(kernel, num_qubits=num_qubits)


def _noisy(c: Circuit, rng: Rng) -> Circuit:
    """``c`` with a mid-circuit measurement, a reset and a conditioned gate spliced in."""
    n = c.num_qubits
    out = Circuit(n, n)
    half = len(c.instructions) // 2
    for ins in c.instructions[:half]:
        out.append(ins.gate, ins.qubits)
    q = rng.randrange(n)
    out.measure(q, q)
    out.reset(rng.randrange(n))
    out.append(Gate("h"), [q])
    out.c_if(q, 1)
    for ins in c.instructions[half:]:
        out.append(ins.gate, ins.qubits)
    out.measure_all()
    return out


@pytest.mark.parametrize("seed", range(12))
def test_wasm_matches_python_on_random_circuits(kernel: WasmKernel, seed: int) -> None:
    rng = Rng(1000 + seed)
    n = 1 + seed % 7
    c = random_circuit(n, 40, rng)
    a = simulate(c, 64, seed=seed, backend=kernel)
    b = simulate(c, 64, seed=seed, backend=PythonKernel())
    assert a.kernel == "wasm" and b.kernel == "python"
    assert_states_close(a.state.to_list(), b.state.to_list(), 1e-12)
    assert a.counts == b.counts


def _hide_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes ``import numpy`` fail from now on, as under Pyodide without a vendored NumPy."""
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError):
        import numpy  # noqa: F401


def _family(family: str, n: int) -> Circuit:
    c = Circuit(n)
    rng = Rng(5)
    if family == "rand":
        for _ in range(3):
            for q in range(n):
                c.ry(rng.random() * 6, q).rz(rng.random() * 6, q)
            for q in range(n - 1):
                c.cx(q, q + 1)
    else:
        for j in reversed(range(n)):
            c.h(j)
            for k in reversed(range(j)):
                c.cp(3.141592653589793 / 2 ** (j - k), k, j)
        for q in range(n // 2):
            c.swap(q, n - 1 - q)
    return c


@pytest.mark.parametrize("family", ["rand", "qft"])
def test_wasm_matches_python_at_14_qubits_as_one_program(kernel: WasmKernel, family: str) -> None:
    """The kernel declares no fusion (with or without NumPy): a measurement-free circuit
    runs as one program."""
    n = 14
    c = _family(family, n)
    assert kernel.fusion is None
    a = simulate(c, 100, seed=2, backend=kernel)
    b = simulate(c, 100, seed=2, backend=PythonKernel())
    assert_states_close(a.state.to_list(), b.state.to_list(), 1e-12)
    assert a.counts == b.counts


def _run_program(kernel: WasmKernel, ops: list[FusedOp], n: int) -> WasmState:
    s = kernel.zeros(n)
    for op in ops:
        if op.kind != "instruction":
            s = op.apply(kernel, s, n)
    return s


@pytest.mark.parametrize("numpy", ["importable", "hidden"])
@pytest.mark.parametrize("family", ["rand", "qft"])
def test_wasm_runs_fused_programs_built_with_or_without_numpy(
    kernel: WasmKernel, family: str, numpy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's dense, diagonal and permutation passes run fusion's programs, built with
    NumPy or (NumPy hidden, as under Pyodide) in plain Python: same amplitudes (1e-12) and
    samples as the pure-Python kernel running the gates one by one."""
    if numpy == "hidden":
        _hide_numpy(monkeypatch)
    elif PYODIDE:
        pytest.skip("Pyodide has no NumPy here")
    n = 14
    c = _family(family, n)
    ops = fuse(c.instructions, n, WASM_FUSION)
    assert sum(o.kind == "matrix" for o in ops) > 0
    assert len(ops) < len(c.instructions) / 4  # fused
    if numpy == "hidden":
        assert not any(hasattr(o.data, "dtype") for o in ops)
    s = _run_program(kernel, ops, n)
    ref = simulate(c, backend=PythonKernel()).state
    assert_states_close(kernel.to_list(s), ref.to_list(), 1e-12)
    py = PythonKernel()
    assert kernel.sample_state(s, 200, Rng(2)) == py.sample_state(ref.data, 200, Rng(2))


@pytest.mark.parametrize("seed", range(4))
def test_fusion_without_numpy_builds_the_program_numpy_builds(seed: int) -> None:
    """The plain-Python fusion groups the same gates into the same ops as NumPy's, and
    its matrices, diagonals and permutation tables agree with NumPy's to 1e-13."""
    np = pytest.importorskip("numpy")
    from qtcore.sim._kernel_numpy import NUMPY_FUSION

    rng = Rng(3000 + seed)
    n = 9 + seed
    c = random_circuit(n, 150, rng)
    for j in reversed(range(n)):  # a QFT: held-back H, CP ladders moved into matrices
        c.h(j)
        for k in reversed(range(j)):
            c.cp(rng.random() * 6, k, j)
    for q in range(n - 1):  # a CX ladder and a SWAP network: permutation windows
        c.cx(q, q + 1)
    for q in range(n // 2):
        c.swap(q, n - 1 - q)
    kinds = set()
    for profile in (WASM_FUSION, NUMPY_FUSION):
        with_np = fuse(c.instructions, n, profile, use_numpy=True)
        plain = fuse(c.instructions, n, profile, use_numpy=False)
        assert [(o.kind, o.qubits, o.count, o.gate) for o in plain] == [
            (o.kind, o.qubits, o.count, o.gate) for o in with_np
        ]
        for a, b in zip(plain, with_np, strict=True):
            kinds.add(a.kind)
            if b.data is None:
                assert a.data is None
                continue
            assert not hasattr(a.data, "dtype")  # lists, nothing from NumPy
            want = np.asarray(b.data)
            got = np.asarray(a.data, dtype=want.dtype)
            assert got.shape == want.shape
            assert np.allclose(got, want, rtol=0, atol=1e-13), a.kind
    assert {"matrix", "diagonal", "permutation"} <= kinds


@pytest.mark.parametrize("seed", range(8))
def test_wasm_matches_python_with_mid_circuit_measurement_and_noise(
    kernel: WasmKernel, seed: int
) -> None:
    rng = Rng(2000 + seed)
    n = 2 + seed % 4
    c = _noisy(random_circuit(n, 16, rng), rng)
    noise = (
        NoiseModel()
        .add(depolarizing(0.05))
        .add(amplitude_damping(0.1), gates=["h", "x"])
        .add(bit_flip(0.02), gates=["cx"])
    )
    for model in (None, noise):
        a = simulate(c, 48, seed=seed, backend=kernel, noise=model, memory=True)
        b = simulate(c, 48, seed=seed, backend=PythonKernel(), noise=model, memory=True)
        assert a.counts == b.counts
        assert a.memory == b.memory
        assert_states_close(a.state.to_list(), b.state.to_list(), 1e-12)


def test_wasm_frames_match_python_frames(kernel: WasmKernel) -> None:
    """Frames are the same, field by field: Bloch vectors bit for bit up to 12 qubits."""
    c = _noisy(random_circuit(5, 20, Rng(7)), Rng(8))
    fa = list(iter_frames(c, seed=3, backend=kernel))  # type: ignore[arg-type]
    fb = list(iter_frames(c, seed=3, backend=PythonKernel()))  # type: ignore[arg-type]
    assert len(fa) == len(fb) == len(c.instructions) + 1
    for x, y in zip(fa, fb, strict=True):
        assert x.kernel == "wasm"
        assert x.outcome == y.outcome and x.clbits == y.clbits
        assert x.bloch == y.bloch and x.marginals == y.marginals
        assert x.probabilities == y.probabilities
        assert_states_close(x.amplitudes or [], y.amplitudes or [], 1e-12)


def test_wasm_summary_frames_at_14_qubits(kernel: WasmKernel) -> None:
    """Above the probability limit, frames list the top states: the same ones as Python's."""
    c = Circuit(14)
    for q in range(14):
        c.ry(0.3 + 0.1 * q, q)
    for q in range(13):
        c.cx(q, q + 1)
    (fa,) = list(iter_frames(c, seed=1, backend=kernel, prob_limit=12, amp_limit=10))[-1:]  # type: ignore[arg-type]
    (fb,) = list(iter_frames(c, seed=1, backend=PythonKernel(), prob_limit=12, amp_limit=10))[-1:]  # type: ignore[arg-type]
    assert fa.top_indices == fb.top_indices and fa.top_indices
    assert max(abs(p - q) for p, q in zip(fa.top_probabilities, fb.top_probabilities)) < 1e-12
    for ba, bb in zip(fa.bloch, fb.bloch, strict=True):
        assert max(abs(p - q) for p, q in zip(ba, bb)) < 1e-12


def test_wasm_kernel_rejects_bad_arguments(kernel: WasmKernel) -> None:
    s = kernel.zeros(3)
    with pytest.raises(SimulationError, match="not distinct qubits"):
        kernel.apply_matrix(s, 3, ((0, 1), (1, 0)), [3])
    with pytest.raises(SimulationError, match="must be 4x4"):
        kernel.apply_matrix(s, 3, ((0, 1), (1, 0)), [0, 1])
    with pytest.raises(SimulationError, match="each index of its window once"):
        kernel.apply_permutation(s, 3, [0, 0], 1)
    with pytest.raises(SimulationError, match="basis index 8 out of range"):
        kernel.basis_state(3, 8)
    with pytest.raises(SimulationError, match="0 to 27 qubits"):
        kernel.zeros(28)


def test_wasm_states_are_freed_and_reused(kernel: WasmKernel) -> None:
    """Dropped handles return their memory: a loop of 1 MiB states does not grow the heap."""
    ptrs = set()
    for _ in range(20):
        s = kernel.zeros(16)
        ptrs.add(s.ptr)
        del s
    assert len(ptrs) <= 2


def test_backend_wasm_outside_pyodide_says_where_it_runs() -> None:
    if PYODIDE:
        assert available_kernels()["wasm"] is None
        if os.environ.get("QTCORE_KERNEL", "") == "":
            assert get_kernel("auto").name == "wasm"
        return
    with pytest.raises(SimulationError, match="runs under Pyodide"):
        get_kernel("wasm")
    reason = available_kernels()["wasm"]
    assert reason is not None and "Pyodide" in reason
    assert get_kernel("auto").name in ("numpy", "python")


def test_qubit_limit_of_the_wasm_kernel_fits_the_address_space(kernel: WasmKernel) -> None:
    """State + copy + probabilities (40 B per amplitude) in 4 GiB: 26 qubits, not 27."""
    n, why = qubit_limit(kernel)
    assert 40 * 2**n <= 4 * 2**30 < 40 * 2 ** (n + 1)
    assert n == 26 and "4 GiB WebAssembly address space" in why


def test_wasm_bloch_of_a_wide_random_state_matches_python(kernel: WasmKernel) -> None:
    """15 qubits: low qubits summed block by block in cache, high ones streamed."""
    from qtcore.testing import random_state

    amps = random_state(15, Rng(31))
    bw, mw = kernel.bloch_and_marginals(kernel.from_amplitudes(amps), 15)
    bp, mp = PythonKernel().bloch_and_marginals(list(amps), 15)
    for q in range(15):
        assert max(abs(a - b) for a, b in zip(bw[q], bp[q], strict=True)) < 1e-12, q
        assert abs(mw[q] - mp[q]) < 1e-12, q


@pytest.mark.parametrize("n", [9, 15])
def test_wasm_bloch_of_some_qubits_is_the_all_qubit_call_bit_for_bit(
    kernel: WasmKernel, n: int
) -> None:
    """Exact sums (9 qubits) and blocked ones (15): a qubit's numbers are the same bits
    whichever other qubits are asked for, so a frame may recompute just a gate's qubits."""
    from qtcore.testing import random_state

    s = kernel.from_amplitudes(random_state(n, Rng(40 + n)))
    bloch, marginals = kernel.bloch_and_marginals(s, n)
    for qs in ([n - 1, 0], [3], [n - 2, 2, 12 % n], list(range(n))):
        got_b, got_m = kernel.bloch_and_marginals(s, n, qs)
        assert got_b == [bloch[q] for q in qs] and got_m == [marginals[q] for q in qs], qs
    with pytest.raises(SimulationError, match="not distinct qubits"):
        kernel.bloch_and_marginals(s, n, [1, 1])
    with pytest.raises(SimulationError, match="not distinct qubits"):
        kernel.bloch_and_marginals(s, n, [n])


def test_wasm_frames_of_a_wide_circuit_match_python_frames(kernel: WasmKernel) -> None:
    """13 qubits, where a gate's frame recomputes the gate's qubits only: the same Bloch
    vectors, marginals and top states as the pure-Python kernel's frames."""
    c = _noisy(random_circuit(13, 16, Rng(77), unitaries=False), Rng(78))
    fa = list(iter_frames(c, seed=5, backend=kernel))  # type: ignore[arg-type]
    fb = list(iter_frames(c, seed=5, backend=PythonKernel()))  # type: ignore[arg-type]
    for x, y in zip(fa, fb, strict=True):
        assert x.outcome == y.outcome  # top indices of tied states may swap: compare values
        tp, tq = x.top_probabilities or [], y.top_probabilities or []
        assert len(tp) == len(tq) and all(abs(p - q) < 1e-12 for p, q in zip(tp, tq))
        assert x.bloch is not None and y.bloch is not None
        for bx, by in zip(x.bloch, y.bloch, strict=True):
            assert max(abs(p - q) for p, q in zip(bx, by, strict=True)) < 1e-12, x.op
        assert max(abs(p - q) for p, q in zip(x.marginals or [], y.marginals or [])) < 1e-12


def test_wasm_runs_control_flow_as_the_python_kernel_does(kernel: WasmKernel) -> None:
    """A while loop on a measurement, a classical counter and an if on it (issue 11): the
    same branches, counts and per-shot memory with either kernel for a seed."""
    from qtcore.qasm import loads

    circ = loads(
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nint[8] n = 0;\n'
        "h q[0];\nc[0] = measure q[0];\n"
        "while (c[0] == 0) { reset q[0]; h q[0]; c[0] = measure q[0]; n += 1; }\n"
        "if (n > 1) { ry(0.7) q[1]; }\nc[1] = measure q[1];\n"
    )
    noise = NoiseModel().add(depolarizing(0.05))
    for model in (None, noise):
        a = simulate(circ, 400, seed=5, backend=kernel, noise=model, memory=True)
        b = simulate(circ, 400, seed=5, backend=PythonKernel(), noise=model, memory=True)
        assert a.method == b.method == "branching"
        assert a.counts == b.counts and a.memory == b.memory


@pytest.mark.parametrize("numpy", ["importable", "hidden"])
def test_wasm_fused_qft_at_20_qubits_is_the_fourier_transform(
    kernel: WasmKernel, numpy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 20-qubit QFT fuses into CP ladders wider than the kernel's 12-qubit tables unless
    fusion keeps to the profile's ``max_op_qubits``; the result is the analytic transform
    ``|x> -> sum_y exp(2 pi i x y / N) |y> / sqrt(N)``."""
    import cmath
    import math

    if numpy == "hidden":
        _hide_numpy(monkeypatch)
    elif PYODIDE:
        pytest.skip("Pyodide has no NumPy here")
    n, x = 20, 0b1011_0010_1110_0101_0011
    c = Circuit(n)
    for q in range(n):
        if x >> q & 1:
            c.x(q)
    c.barrier()  # the QFT fuses as it does on |0...0>
    for j in reversed(range(n)):
        c.h(j)
        for k in reversed(range(j)):
            c.cp(math.pi / 2 ** (j - k), k, j)
    for q in range(n // 2):
        c.swap(q, n - 1 - q)
    assert WASM_FUSION.max_op_qubits == 12
    ops = fuse(c.instructions, n, WASM_FUSION)
    assert max(len(o.qubits) for o in ops if o.kind != "instruction") <= 12
    assert any(o.kind == "diagonal" and len(o.qubits) == 12 for o in ops)
    amps = kernel.to_list(_run_program(kernel, ops, n))
    big = 1 << n
    for y in sorted({(i * 2654435761) % big for i in range(64)} | {0, big - 1}):
        want = cmath.exp(2j * math.pi * x * y / big) / math.sqrt(big)
        assert abs(amps[y] - want) < 1e-12, y


def _random_amplitudes(n: int, rng: Rng) -> list[complex]:
    amps = [complex(rng.gauss(), rng.gauss()) for _ in range(1 << n)]
    norm = sum(abs(z) ** 2 for z in amps) ** 0.5
    return [z / norm for z in amps]


def _controlled_gates(rng: Rng) -> list[Gate]:
    """Every gate of the set with controls (variadic ones with 1 and 2), random angles."""
    out = []
    for spec in GATES.values():
        counts = [1, 2] if spec.variadic else [spec.num_controls]
        for nc in counts:
            if nc == 0:
                continue
            params = [rng.random() * 4 - 2 for _ in range(spec.num_params)]
            out.append(Gate(spec.name, params, nc if spec.variadic else None))
    return out


def test_wasm_controlled_gates_with_controls_above_below_and_between_targets(
    kernel: WasmKernel,
) -> None:
    """Controlled passes touch only the control=1 subspace: each controlled gate of the set,
    on every placement of its qubits among 5 (controls above, below and between the
    targets), against the pure-Python kernel on a random state."""
    rng = Rng(77)
    n = 5
    ref = PythonKernel()
    amps = _random_amplitudes(n, rng)
    gates = _controlled_gates(rng)
    assert {g.name for g in gates} >= {"cx", "cz", "cp", "ch", "ccx", "cswap", "mcx"}
    for g in gates:
        for qubits in itertools.permutations(range(n), g.num_qubits):
            got = kernel.to_list(kernel.apply_gate(kernel.from_amplitudes(amps), n, g, qubits))
            want = ref.to_list(ref.apply_gate(ref.from_amplitudes(amps), n, g, qubits))
            assert_states_close(got, want, 1e-12)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_wasm_dense_and_diagonal_passes_on_scattered_qubits(kernel: WasmKernel, k: int) -> None:
    """Dense k-qubit matrices and diagonals (entries of 1 skipped) on qubits in any order."""
    rng = Rng(300 + k)
    n = 7
    ref = PythonKernel()
    amps = _random_amplitudes(n, rng)
    for _ in range(4):
        qs = list(range(n))
        qubits = [qs.pop(rng.randrange(len(qs))) for _ in range(k)]
        m = random_unitary_gate(k, rng).base_matrix()
        d = [
            1.0 if rng.random() < 0.5 else complex(rng.gauss(), rng.gauss()) for _ in range(1 << k)
        ]
        for apply in ("apply_matrix", "apply_diagonal"):
            arg = m if apply == "apply_matrix" else d
            got = getattr(kernel, apply)(kernel.from_amplitudes(amps), n, arg, qubits)
            want = getattr(ref, apply)(ref.from_amplitudes(amps), n, arg, qubits)
            assert_states_close(kernel.to_list(got), ref.to_list(want), 1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_wasm_program_equals_gate_by_gate_and_python(kernel: WasmKernel, seed: int) -> None:
    """``apply_gates`` (one call for the whole list) gives gate-by-gate's bits exactly, and
    the pure-Python kernel's state, on random circuits over the whole gate set."""
    rng = Rng(500 + seed)
    n = 2 + seed
    c = random_circuit(n, 60, rng)
    gates = [(ins.gate, ins.qubits) for ins in c.instructions if ins.gate is not None]
    amps = _random_amplitudes(n, rng)
    program = kernel.apply_gates(kernel.from_amplitudes(amps), n, gates)
    one_by_one = kernel.from_amplitudes(amps)
    for g, qs in gates:
        one_by_one = kernel.apply_gate(one_by_one, n, g, qs)
    assert kernel.to_list(program) == kernel.to_list(one_by_one)
    ref = PythonKernel()
    want = ref.from_amplitudes(amps)
    for g, qs in gates:
        want = ref.apply_gate(want, n, g, qs)
    assert_states_close(kernel.to_list(program), ref.to_list(want), 1e-12)
    assert isinstance(kernel, GateRuns)


def _merges(prev: tuple[Gate, tuple[int, ...]], gate: Gate, qubits: tuple[int, ...]) -> bool:
    """Whether a program above 14 qubits merges ``gate`` into ``prev`` (one 2x2)."""

    def single(g: Gate, qs: tuple[int, ...]) -> bool:
        return len(qs) == 1 and g.structure != "permutation"

    return single(*prev) and single(gate, qubits) and prev[1] == qubits


@pytest.mark.parametrize("seed", range(2))
def test_wasm_program_blocks_runs_on_low_qubits_without_changing_bits(
    kernel: WasmKernel, seed: int
) -> None:
    """Above 14 qubits a program applies runs of gates on low qubits block by block (C:
    RUN_BLOCK_BITS); every amplitude must see the same operations in the same order.
    (Diagonals, and one-qubit gates after one on the same qubit, are left out: those may
    become one table or one 2x2, see the next tests.)"""
    rng = Rng(900 + seed)
    n = 16
    c = random_circuit(n, 160, rng)
    for q in range(n - 1):  # a ladder: runs on low qubits broken by gates on high ones
        c.cx(q, q + 1).cry(0.25 * q, n - 1 - q, q)
    gates: list[tuple[Gate, tuple[int, ...]]] = []
    for ins in c.instructions:
        assert ins.gate is not None
        if ins.gate.structure == "diagonal" or (gates and _merges(gates[-1], ins.gate, ins.qubits)):
            continue
        gates.append((ins.gate, ins.qubits))
    amps = _random_amplitudes(n, rng)
    program = kernel.apply_gates(kernel.from_amplitudes(amps), n, gates)
    one_by_one = kernel.from_amplitudes(amps)
    for g, qs in gates:
        one_by_one = kernel.apply_gate(one_by_one, n, g, qs)
    assert kernel.to_list(program) == kernel.to_list(one_by_one)


@pytest.mark.parametrize("seed", range(3))
def test_wasm_program_sweeps_runs_of_diagonals_once(kernel: WasmKernel, seed: int) -> None:
    """Above 14 qubits a program turns runs of diagonal gates touching a high qubit into one
    table and one sweep (C: DIAG_RUN_BITS qubits per table); the state agrees with gate by
    gate to 1e-12, with H layers and a QFT's phase ladders splitting the runs."""
    rng = Rng(950 + seed)
    n = 16
    diagonal = [s for s in GATES.values() if s.structure == "diagonal"]
    c = Circuit(n)
    for _ in range(6):
        c.h(rng.randrange(n))
        for _ in range(1 + rng.randrange(14)):
            spec = diagonal[rng.randrange(len(diagonal))]
            params = [rng.random() * 6 - 3 for _ in range(spec.num_params)]
            g = Gate(spec.name, params, 1 + rng.randrange(2) if spec.variadic else None)
            qs = list(range(n))
            c.append(g, [qs.pop(rng.randrange(len(qs))) for _ in range(g.num_qubits)])
    for k in reversed(range(n - 1)):  # a QFT ladder: 15 phases on qubit 15, two tables
        c.cp(3.141592653589793 / 2 ** (n - 1 - k), k, n - 1)
    gates = [(ins.gate, ins.qubits) for ins in c.instructions if ins.gate is not None]
    amps = _random_amplitudes(n, rng)
    program = kernel.apply_gates(kernel.from_amplitudes(amps), n, gates)
    one_by_one = kernel.from_amplitudes(amps)
    for g, qs in gates:
        one_by_one = kernel.apply_gate(one_by_one, n, g, qs)
    assert_states_close(kernel.to_list(program), kernel.to_list(one_by_one), 1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_wasm_program_merges_one_qubit_gates_on_the_same_qubit(
    kernel: WasmKernel, seed: int
) -> None:
    """Above 14 qubits consecutive one-qubit matrices and diagonals on one qubit become one
    2x2 (in order: the later one times the earlier); chains of them, mixed with X (not
    merged) and controlled gates that end a chain, agree with gate by gate to 1e-12."""
    rng = Rng(970 + seed)
    n = 16
    singles = [
        s for s in GATES.values() if s.num_controls == 0 and s.num_targets == 1 and s.name != "id"
    ]
    c = Circuit(n)
    for _ in range(60):
        q = (0, 3, 13, 14, 15)[rng.randrange(5)]
        for _ in range(1 + rng.randrange(4)):
            spec = singles[rng.randrange(len(singles))]
            c.append(Gate(spec.name, [rng.random() * 6 - 3 for _ in range(spec.num_params)]), [q])
        if rng.random() < 0.3:
            c.cx(q, (q + 1) % n)
    gates = [(ins.gate, ins.qubits) for ins in c.instructions if ins.gate is not None]
    assert sum(_merges(a, *b) for a, b in itertools.pairwise(gates)) > 40
    amps = _random_amplitudes(n, rng)
    program = kernel.apply_gates(kernel.from_amplitudes(amps), n, gates)
    one_by_one = kernel.from_amplitudes(amps)
    for g, qs in gates:
        one_by_one = kernel.apply_gate(one_by_one, n, g, qs)
    assert_states_close(kernel.to_list(program), kernel.to_list(one_by_one), 1e-12)


def test_wasm_outputs_do_not_rely_on_zeroed_scratch(kernel: WasmKernel) -> None:
    """Output areas are reserved in scratch, not zeroed first: with garbage left there,
    samples, marginals, density matrices, inner products and top states still match the
    pure-Python kernel."""
    rng = Rng(31)
    n = 6
    ref = PythonKernel()
    amps = _random_amplitudes(n, rng)
    s, r = kernel.from_amplitudes(amps), ref.from_amplitudes(amps)
    size = 1 << 16
    kernel.module.write(kernel._scratch_for(size), bytes([0xA5]) * size)
    assert kernel.sample_state(s, 50, Rng(3)) == ref.sample_state(r, 50, Rng(3))
    for got, want in zip(kernel.marginal(s, n, [4, 1]), ref.marginal(r, n, [4, 1]), strict=True):
        assert abs(got - want) < 1e-12
    rho = kernel.reduced_density_matrix(s, n, [0, 5])
    rho_ref = ref.reduced_density_matrix(r, n, [0, 5])
    for row, row_ref in zip(rho, rho_ref, strict=True):
        assert_states_close(row, row_ref, 1e-12)
    assert abs(kernel.inner(s, s) - ref.inner(r, r)) < 1e-12
    idx, probs, top = kernel.top_states(s, n, 7)
    idx_ref, probs_ref, top_ref = ref.top_states(r, n, 7)
    assert idx == idx_ref
    assert all(abs(a - b) < 1e-12 for a, b in zip(probs, probs_ref, strict=True))
    assert_states_close(top, top_ref, 1e-12)
    with pytest.raises(AssertionError, match="reserved parts come last"):
        kernel._put(16, b"x")


def test_wasm_reruns_a_compiled_circuit_and_recompiles_a_changed_one(kernel: WasmKernel) -> None:
    """simulate() compiles a circuit's program once and runs it again on later calls (the
    same bits each time); an edit to the circuit gives a new program, not the old one."""
    rng = Rng(77)
    c = random_circuit(15, 60, rng)  # above 14 qubits: qt_run merges records in scratch
    first = simulate(c, backend=kernel).state_vector
    again = simulate(c, backend=kernel).state_vector
    assert first == again
    ref = PythonKernel()
    assert_states_close(first, simulate(c, backend=ref).state_vector, 1e-12)
    c.ry(0.25, 3).rz(1.5, 3).cx(3, 14)
    changed = simulate(c, backend=kernel).state_vector
    assert_states_close(changed, simulate(c, backend=ref).state_vector, 1e-12)
    assert max(abs(a - b) for a, b in zip(first, changed, strict=True)) > 1e-3


@pytest.mark.parametrize("name", ["h", "ry", "x", "rx", "u", "sx"])
def test_wasm_one_qubit_gates_on_every_qubit_give_pythons_values(
    kernel: WasmKernel, name: str
) -> None:
    """One-qubit passes (real matrices such as H and RY take a path with half the products;
    qubit 0 runs as one flat loop) equal the pure-Python kernel's amplitudes exactly, on
    every qubit of a random state (a zero may differ in sign only: -0.0 == 0.0)."""
    rng = Rng(4100 + len(name))
    n = 6
    ref = PythonKernel()
    amps = _random_amplitudes(n, rng)
    spec = GATES[name]
    g = Gate(name, [6.0 * rng.random() - 3.0 for _ in range(spec.num_params)])
    for q in range(n):
        got = kernel.to_list(kernel.apply_gate(kernel.from_amplitudes(amps), n, g, [q]))
        want = ref.to_list(ref.apply_gate(ref.from_amplitudes(amps), n, g, [q]))
        assert got == want, (name, q)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 11, 14])
def test_wasm_program_composes_runs_of_x_cx_and_swap(kernel: WasmKernel, n: int) -> None:
    """Up to 14 qubits a program moves the amplitudes of each run of X, CX and SWAP once
    (one composed map of the index bits): the same bits as gate by gate and as the
    pure-Python kernel, for runs of every length, broken by gates that are not such maps
    (CCX, CZ, H) and by lone ones."""
    rng = Rng(900 + n)
    print(f"seed {900 + n}")
    gates: list[tuple[Gate, tuple[int, ...]]] = []
    for _ in range(40 if n < 14 else 25):
        r = rng.random()
        qs = list(range(n))
        pick = [qs.pop(rng.randrange(len(qs))) for _ in range(min(n, 3))]
        if r < 0.35 and n >= 2:
            gates.append((Gate("cx"), (pick[0], pick[1])))
        elif r < 0.55:
            gates.append((Gate("x"), (pick[0],)))
        elif r < 0.7 and n >= 2:
            gates.append((Gate("swap"), (pick[0], pick[1])))
        elif r < 0.8 and n >= 3:
            gates.append((Gate("ccx"), (pick[0], pick[1], pick[2])))
        elif r < 0.9 and n >= 2:
            gates.append((Gate("cz"), (pick[0], pick[1])))
        else:
            gates.append((Gate("h"), (pick[0],)))
    amps = _random_amplitudes(n, rng)
    program = kernel.to_list(kernel.apply_gates(kernel.from_amplitudes(amps), n, gates))
    one_by_one = kernel.from_amplitudes(amps)
    ref = PythonKernel()
    want = ref.from_amplitudes(amps)
    for g, qs in gates:
        one_by_one = kernel.apply_gate(one_by_one, n, g, qs)
        want = ref.apply_gate(want, n, g, qs)
    assert program == kernel.to_list(one_by_one)
    assert program == ref.to_list(want)
    ladder = [(Gate("h"), (0,))] + [(Gate("cx"), (q, q + 1)) for q in range(n - 1)]
    ghz = kernel.to_list(kernel.apply_gates(kernel.zeros(n), n, ladder))
    assert ghz[0] == ghz[-1] and abs(ghz[0] - 2**-0.5) < 1e-15
    assert sum(abs(z) for z in ghz[1:-1]) == 0


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_wasm_top_states_match_python_with_ties_and_zeros(kernel: WasmKernel, n: int) -> None:
    """The top-k scan tests four amplitudes at a time against the worst kept probability:
    the same states, in the same order (ties: lower index first), as the pure-Python
    kernel, for random states, equal probabilities everywhere, zeros among them and k
    beyond the number of non-zero states."""
    rng = Rng(5200 + n)
    ref = PythonKernel()
    size = 1 << n
    uniform = [complex(size**-0.5)] * size
    sparse = [0j] * size
    for i in range(0, size, 3):
        sparse[i] = complex(rng.gauss(), 0.0) if rng.random() < 0.5 else 1j
    rising = [complex(i + 1) for i in range(size)]  # every index beats the kept ones
    for amps in (_random_amplitudes(n, rng), uniform, sparse, rising):
        for k in (1, 3, 4, 32, size, size + 5):
            got = kernel.top_states(kernel.from_amplitudes(amps), n, k)
            want = ref.top_states(ref.from_amplitudes(amps), n, k)
            assert got == want, (k, amps[:4])


def _sparse_friendly(n: int, num_gates: int, rng: Rng) -> Circuit:
    """Mostly permutations, phases and controlled gates, with a few Hadamards, rotations
    and dense unitaries: a state that stays sparse for a while, then fills up."""
    c = Circuit(n)
    names = ["x", "cx", "ccx", "swap", "cswap", "cz", "cp", "rz", "t", "s", "crx", "cu", "h"]
    for _ in range(num_gates):
        roll = rng.random()
        if roll < 0.04 and n >= 2:
            g: Gate = random_unitary_gate(2, rng)
        elif roll < 0.12:
            g = Gate("ry", [6.0 * rng.random() - 3.0])
        else:
            name = names[rng.randrange(len(names))]
            spec = GATES[name]
            if spec.num_controls + spec.num_targets > n:
                continue
            g = Gate(name, [6.0 * rng.random() - 3.0 for _ in range(spec.num_params)])
        qs = list(range(n))
        c.append(g, [qs.pop(rng.randrange(len(qs))) for _ in range(g.num_qubits)])
    return c


@pytest.mark.parametrize("seed", range(16))
def test_wasm_fresh_run_starts_sparse_with_the_dense_runs_bits(
    kernel: WasmKernel, seed: int
) -> None:
    """A compiled run from a fresh basis state starts on a sparse list of amplitudes and
    writes the state out when it fills up: the amplitudes are those of the same program
    run on the written-out basis state, bit for bit (-0.0 == 0.0), and the pure-Python
    kernel's to 1e-12; at every width, from every kind of basis state."""
    rng = Rng(9100 + seed)
    n = [1, 2, 3, 5, 8, 11, 14, 15][seed % 8]
    c = _sparse_friendly(n, 6 + 5 * (seed % 6), rng) if seed % 4 else random_circuit(n, 30, rng)
    gates = [(i.gate, i.qubits) for i in c.instructions]
    index = rng.randrange(1 << n)
    program = kernel.compile_gates(n, gates)
    fresh = kernel.run_compiled(kernel.basis_state(n, index), n, program)
    written = kernel.basis_state(n, index)
    assert written.ptr  # writes |index> out: the program then runs densely
    dense = kernel.run_compiled(written, n, program)
    assert kernel.to_list(fresh) == kernel.to_list(dense)
    ref = PythonKernel()
    if n <= 11:
        want = ref.basis_state(n, index)
        for g, qs in gates:
            want = ref.apply_gate(want, n, g, qs)
        assert_states_close(kernel.to_list(fresh), ref.to_list(want), 1e-12)


@pytest.mark.parametrize("n", [3, 14, 15])
def test_wasm_fresh_run_ignores_what_the_memory_held(kernel: WasmKernel, n: int) -> None:
    """A fresh state's memory is never read: a state reused from a dropped one (full of
    another run's amplitudes) gives a GHZ state exactly."""
    c = Circuit(n).h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    gates = [(i.gate, i.qubits) for i in c.instructions]
    old = kernel.from_amplitudes([complex(0.5, -0.25)] * (1 << n))
    del old  # kept by the kernel for the next state of this width
    s = kernel.run_compiled(kernel.zeros(n), n, kernel.compile_gates(n, gates))
    amps = kernel.to_list(s)
    r = 1 / 2**0.5
    assert amps[0] == complex(r, 0) and amps[-1] == complex(r, 0)
    assert all(z == 0 for z in amps[1:-1])
    assert kernel.norm_sq(kernel.copy(kernel.zeros(n))) == 1.0


@pytest.mark.parametrize("n", [4, 14, 15])
def test_wasm_simulate_with_frames_equals_the_two_calls(kernel: WasmKernel, n: int) -> None:
    """One simulation for counts and frames: the counts, bits and frames of simulate() and
    iter_frames() with the same seed; the state bit for bit up to 14 qubits (the program
    runs gate by gate there), to 1e-12 above (it merges one-qubit runs)."""
    from qtcore import simulate_with_frames
    from qtcore.frames import encode_frames

    rng = Rng(4400 + n)
    c = random_circuit(n, 14, rng)
    c.measure_all()
    got, frames = simulate_with_frames(c, 500, seed=n, backend=kernel, memory=True)
    want = simulate(c, 500, seed=n, backend=kernel, memory=True)
    assert got.counts == want.counts and got.memory == want.memory
    assert got.clbits == want.clbits and got.kernel == "wasm"
    if n <= 14:
        assert got.state_vector == want.state_vector
    assert_states_close(got.state_vector, want.state_vector, 1e-12)
    want_frames = list(iter_frames(c, seed=n, backend=kernel))
    assert encode_frames(frames) == encode_frames(want_frames)
