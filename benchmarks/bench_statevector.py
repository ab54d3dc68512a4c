"""State-vector benchmark: qtcore's kernels against Qiskit, Aer, qulacs, Cirq and Kronecker.

Families (see ``README.md``): GHZ(n), QFT(n) and RAND(n) (depth 20: RY/RZ with seeded
random angles on every qubit, then a CX ladder). Every engine runs single-threaded
(``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=QTCORE_THREADS=1`` is set before NumPy is imported,
Aer gets ``max_parallel_threads=1``) -- except with ``--multicore``, which compares qtcore
on 1 and on ``--threads`` threads with Aer and qulacs at their default threading (every
core: only BLAS inside qtcore's threads is kept to one thread). Peers are optional: an engine that does not import is
skipped. Results are checked against qtcore's NumPy state (fidelity > 1 - 1e-9,
converting Cirq's big-endian order).

Usage::

    python benchmarks/bench_statevector.py                 # n = 8 12 16 20 22 24
    python benchmarks/bench_statevector.py --small         # n = 8 10 12 (CI, < 30 s)
    python benchmarks/bench_statevector.py --sizes 20 22 --families rand
    python benchmarks/bench_statevector.py --memory 28     # peak RSS of a 28-qubit run
    python benchmarks/bench_statevector.py --multicore     # n = 20 22 24, all cores
"""

from __future__ import annotations

import os
import sys

MULTICORE = "--multicore" in sys.argv
# one thread everywhere, except that --multicore leaves Aer's and qulacs' OpenMP alone
# (they use every core by default) and gives qtcore its threads explicitly
_PINNED = ["OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]
if not MULTICORE:
    _PINNED += ["OMP_NUM_THREADS", "QULACS_NUM_THREADS", "QTCORE_THREADS"]
for _var in _PINNED:
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qtcore import Circuit  # noqa: E402
from qtcore.ops import GATES, Gate  # noqa: E402
from qtcore.sim._kernel_python import PythonKernel  # noqa: E402

try:  # absent under bare Pyodide: only --pure runs there
    import numpy as np

    from qtcore.sim._fusion import fuse, run_fused
    from qtcore.sim._kernel_numpy import NumpyKernel
except ImportError:  # pragma: no cover
    np = None

Op = tuple[str, tuple[float, ...], tuple[int, ...]]  # (name, params, qubits)

DEFAULT_SIZES = [8, 12, 16, 20, 22, 24]
SMALL_SIZES = [8, 10, 12]
PY_MAX = 14
NAIVE_MAX = 12
NAIVE_FULL_MAX = 8  # above this the naive time is extrapolated from a sample of gates
WARM_MAX = 16  # up to this size every engine runs once untimed before the timed rounds


# ---------------------------------------------------------------- circuits
def ghz(n: int) -> list[Op]:
    """H on qubit 0, then a CX ladder."""
    return [("h", (), (0,))] + [("cx", (), (q, q + 1)) for q in range(n - 1)]


def qft(n: int) -> list[Op]:
    """The textbook QFT (Qiskit's ``QFT(n)`` gate order, final swaps included)."""
    ops: list[Op] = []
    for j in reversed(range(n)):
        ops.append(("h", (), (j,)))
        for k in reversed(range(j)):
            ops.append(("cp", (math.pi / 2 ** (j - k),), (k, j)))
    for q in range(n // 2):
        ops.append(("swap", (), (q, n - 1 - q)))
    return ops


def rand(n: int, depth: int = 20, seed: int = 1234) -> list[Op]:
    """``depth`` layers of RY, RZ (seeded angles) on every qubit, then a CX ladder."""
    rng = random.Random(seed + n)
    ops: list[Op] = []
    for _ in range(depth):
        for q in range(n):
            ops.append(("ry", (rng.uniform(0, 2 * math.pi),), (q,)))
            ops.append(("rz", (rng.uniform(0, 2 * math.pi),), (q,)))
        for q in range(n - 1):
            ops.append(("cx", (), (q, q + 1)))
    return ops


FAMILIES: dict[str, Callable[[int], list[Op]]] = {"ghz": ghz, "qft": qft, "rand": rand}


def to_qtcore(n: int, ops: list[Op]) -> Circuit:
    c = Circuit(n)
    for name, params, qubits in ops:
        getattr(c, name)(*params, *qubits)
    return c


# ---------------------------------------------------------------- engines
def run_qt_numpy(n: int, ops: list[Op], threads: int | None = None) -> tuple[Any, dict[str, Any]]:
    """qtcore NumPy kernel, fused from its profile's ``min_qubits`` on (as ``simulate`` does)."""
    c = to_qtcore(n, ops)
    k = NumpyKernel(threads=threads)
    s = k.zeros(n)
    assert k.fusion is not None
    if n < k.fusion.min_qubits:
        for ins in c.instructions:
            assert ins.gate is not None
            s = k.apply_gate(s, n, ins.gate, ins.qubits)
        return s, {"flops": [0.0] * len(c.instructions)}  # one pass per gate
    prog = fuse(c.instructions, n, k.fusion)
    for op in prog:
        s = op.apply(k, s, n)
    return s, {"flops": pass_flops(prog, n)}


def pass_flops(prog: list[Any], n: int) -> list[float]:
    """Floating-point operations of each pass of a fused program.

    A dense ``2**k x 2**k`` matrix costs ``2**k`` complex multiply-adds (8 flops) per
    amplitude; diagonal and permutation passes are counted as free (memory-bound).
    """
    return [float(8 * (1 << len(op.qubits)) << n) if op.kind == "matrix" else 0.0 for op in prog]


def run_qt_numpy_nofuse(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    c = to_qtcore(n, ops)
    k = NumpyKernel()
    s = k.zeros(n)
    for ins in c.instructions:
        assert ins.gate is not None
        s = k.apply_gate(s, n, ins.gate, ins.qubits)
    return s, {}


def run_qt_python(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    c = to_qtcore(n, ops)
    k = PythonKernel()
    s = k.zeros(n)
    for ins in c.instructions:
        assert ins.gate is not None
        s = k.apply_gate(s, n, ins.gate, ins.qubits)
    return np.array(s), {}


def _qiskit_circuit(n: int, ops: list[Op]) -> Any:
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n)
    for name, params, qubits in ops:
        getattr(qc, name)(*params, *qubits)
    return qc


def run_qiskit(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    from qiskit.quantum_info import Statevector

    qc = _qiskit_circuit(n, ops)
    return np.asarray(Statevector(qc).data), {}


def run_aer(n: int, ops: list[Op], threads: int = 1) -> tuple[Any, dict[str, Any]]:
    """Aer's statevector method on ``threads`` threads (0: its default, every core)."""
    from qiskit_aer import AerSimulator

    qc = _qiskit_circuit(n, ops)
    qc.save_statevector()
    sim = AerSimulator(method="statevector", max_parallel_threads=threads)
    res = sim.run(qc, shots=1).result()
    return np.asarray(res.get_statevector(qc).data), {}


def run_qulacs(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    import qulacs
    from qulacs import gate as qg

    state = qulacs.QuantumState(n)
    circ = qulacs.QuantumCircuit(n)
    for name, params, qubits in ops:
        if name == "h":
            circ.add_H_gate(qubits[0])
        elif name == "cx":
            circ.add_CNOT_gate(qubits[0], qubits[1])
        elif name == "swap":
            circ.add_SWAP_gate(qubits[0], qubits[1])
        elif name == "ry":  # qulacs RY(t) = exp(+i t Y / 2)
            circ.add_RY_gate(qubits[0], -params[0])
        elif name == "rz":
            circ.add_RZ_gate(qubits[0], -params[0])
        elif name == "cp":
            g = qg.DenseMatrix(
                qubits[1], [[1, 0], [0, complex(math.cos(params[0]), math.sin(params[0]))]]
            )
            g.add_control_qubit(qubits[0], 1)
            circ.add_gate(g)
        else:
            raise ValueError(name)
    circ.update_quantum_state(state)
    return np.asarray(state.get_vector()), {}


def run_cirq(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    import cirq

    qs = cirq.LineQubit.range(n)
    gates = {
        "h": lambda p: cirq.H,
        "cx": lambda p: cirq.CNOT,
        "swap": lambda p: cirq.SWAP,
        "ry": lambda p: cirq.ry(p[0]),
        "rz": lambda p: cirq.rz(p[0]),
        "cp": lambda p: cirq.CZPowGate(exponent=p[0] / math.pi),
    }
    circ = cirq.Circuit(
        gates[name](params).on(*(qs[q] for q in qubits)) for name, params, qubits in ops
    )
    sim = cirq.Simulator(dtype=np.complex128)
    # Cirq is big-endian: list the qubits from n-1 down to 0 to get qtcore's order
    res = sim.simulate(circ, qubit_order=list(reversed(qs)))
    return np.asarray(res.final_state_vector), {}


def _naive_gate(n: int, name: str, params: tuple[float, ...], qubits: tuple[int, ...]) -> Any:
    """The full 2**n x 2**n matrix of one gate, as a sum of Kronecker products."""
    i2 = np.eye(2, dtype=complex)
    p0 = np.diag([1, 0]).astype(complex)
    p1 = np.diag([0, 1]).astype(complex)
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    y = np.array([[0, -1j], [1j, 0]], dtype=complex)
    z = np.diag([1, -1]).astype(complex)

    def term(factors: dict[int, Any]) -> Any:
        out = np.ones((1, 1), dtype=complex)
        for q in reversed(range(n)):  # qubit n-1 is the most significant factor
            out = np.kron(out, factors.get(q, i2))
        return out

    if name == "h":
        return term({qubits[0]: np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)})
    if name == "ry":
        c, s = math.cos(params[0] / 2), math.sin(params[0] / 2)
        return term({qubits[0]: np.array([[c, -s], [s, c]], dtype=complex)})
    if name == "rz":
        e = complex(math.cos(params[0] / 2), math.sin(params[0] / 2))
        return term({qubits[0]: np.diag([e.conjugate(), e])})
    if name == "cx":
        c, t = qubits
        return term({c: p0}) + term({c: p1, t: x})
    if name == "cp":
        c, t = qubits
        ph = np.diag([1, complex(math.cos(params[0]), math.sin(params[0]))])
        return term({c: p0}) + term({c: p1, t: ph})
    if name == "swap":
        a, b = qubits
        return (term({}) + term({a: x, b: x}) + term({a: y, b: y}) + term({a: z, b: z})) / 2
    raise ValueError(name)


def run_naive(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    s = np.zeros(1 << n, dtype=complex)
    s[0] = 1
    sample = ops if n <= NAIVE_FULL_MAX else ops[: max(3, 60 >> max(0, n - 9))]
    t0 = time.perf_counter()
    for name, params, qubits in sample:
        s = _naive_gate(n, name, params, qubits) @ s
    dt = time.perf_counter() - t0
    if len(sample) < len(ops):
        return None, {"time": dt * len(ops) / len(sample), "extrapolated": True}
    return s, {}


def run_qt_threads(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    """qtcore's NumPy kernel on ``--threads`` threads (``--multicore``)."""
    return run_qt_numpy(n, ops, threads=QT_THREADS[0])


def run_aer_default(n: int, ops: list[Op]) -> tuple[Any, dict[str, Any]]:
    """Aer with its default threading (``max_parallel_threads=0``: every core)."""
    return run_aer(n, ops, threads=0)


QT_THREADS = [2]  # set by --threads

ENGINES: dict[str, tuple[Callable[[int, list[Op]], tuple[Any, dict[str, Any]]], int, str]] = {
    # name: (runner, max n, import probe)
    "qt-numpy": (run_qt_numpy, 40, "numpy"),
    "qt-np-nofuse": (run_qt_numpy_nofuse, 40, "numpy"),
    "qt-python": (run_qt_python, PY_MAX, "numpy"),
    "qiskit-sv": (run_qiskit, 40, "qiskit"),
    "aer": (run_aer, 40, "qiskit_aer"),
    "qulacs": (run_qulacs, 40, "qulacs"),
    "cirq": (run_cirq, 40, "cirq"),
    "kron": (run_naive, NAIVE_MAX, "numpy"),
    # --multicore: qtcore on --threads threads; Aer and qulacs at their default threading
    "qt-threads": (run_qt_threads, 40, "numpy"),
    "aer-mt": (run_aer_default, 40, "qiskit_aer"),
    "qulacs-mt": (run_qulacs, 40, "qulacs"),
}
SINGLE_ENGINES = ["qt-numpy", "qt-np-nofuse", "qt-python", "qiskit-sv", "aer", "qulacs", "cirq"]
SINGLE_ENGINES += ["kron"]
MULTICORE_ENGINES = ["qt-numpy", "qt-threads", "aer-mt", "qulacs-mt"]
MULTICORE_SIZES = [20, 22, 24]


def available(probe: str) -> bool:
    try:
        __import__(probe)
    except Exception:
        return False
    return True


# ---------------------------------------------------------------- machine
def bandwidth() -> dict[str, float]:
    """Streamed GB/s of an in-place scale and of a copy (read + write counted)."""
    a = np.ones(1 << 24, dtype=np.complex128)
    b = np.empty_like(a)
    best_scale = best_copy = math.inf
    for _ in range(5):
        t = time.perf_counter()
        np.multiply(a, 1.0, out=a)
        best_scale = min(best_scale, time.perf_counter() - t)
        t = time.perf_counter()
        np.copyto(b, a)
        best_copy = min(best_copy, time.perf_counter() - t)
    return {"scale": 2 * a.nbytes / best_scale / 1e9, "copy": 2 * a.nbytes / best_copy / 1e9}


def blas_gflops() -> float:
    """Single-thread GFlop/s of the kernel's dense pass: ``(2**18, 16) @ (16, 16)`` complex."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1 << 18, 16)) + 1j * rng.standard_normal((1 << 18, 16))
    m = rng.standard_normal((16, 16)) + 1j * rng.standard_normal((16, 16))
    out = np.empty_like(a)
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        np.matmul(a, m, out=out)
        best = min(best, time.perf_counter() - t)
    return 8 * a.size * 16 / best / 1e9


def pass_bound_ms(n: int, gbps: float) -> float:
    """Time of one read + write of the complex128 state at ``gbps``."""
    return 2 * 16 * (1 << n) / (gbps * 1e9) * 1e3


# ---------------------------------------------------------------- running
def fidelity(a: Any, b: Any) -> float:
    return float(abs(np.vdot(a, b)) ** 2 / (np.vdot(a, a).real * np.vdot(b, b).real))


def time_engine(
    fn: Callable[[int, list[Op]], tuple[Any, dict[str, Any]]], n: int, ops: list[Op]
) -> tuple[float, Any, dict[str, Any]]:
    """One timed run: seconds (or the engine's own extrapolated time), state, info."""
    t = time.perf_counter()
    state, info = fn(n, ops)
    return info.get("time", time.perf_counter() - t), state, info


def reps_for(n: int, reps: int | None) -> int:
    """Repetitions per engine: 3 up to n = 20, 2 at 21-22, 1 beyond (unless given)."""
    if reps is not None:
        return reps
    return 3 if n <= 20 else 2 if n <= 22 else 1


def run_table(
    sizes: list[int],
    families: list[str],
    engines: list[str],
    gbps: float,
    gflops: float,
    reps: int | None = None,
    ratio_ref: str = "qt-numpy",
) -> int:
    cols = [e for e in engines if available(ENGINES[e][2])]
    missing = [e for e in engines if e not in cols]
    if missing:
        print(f"# skipped (not importable): {', '.join(missing)}")
    head = f"{'family':6} {'n':>3} " + " ".join(f"{c:>12}" for c in cols)
    head += f" {'passes':>6} {'ms/pass':>8} {'bound':>7} {'x bound':>7} {'x roof':>6}"
    print(head)
    print("-" * len(head))
    failures = 0
    ratios: list[str] = []
    for fam in families:
        for n in sizes:
            ops = FAMILIES[fam](n)
            times: dict[str, float] = {}
            ref: Any = None
            passes = 0
            flops: list[float] = []
            notes: list[str] = []
            runnable = [e for e in cols if n <= ENGINES[e][1]]
            if n <= WARM_MAX:  # small states: compare warm engines (plans, caches, imports)
                for e in runnable:
                    if e != "kron":
                        with contextlib.suppress(Exception):  # the timed runs report it
                            ENGINES[e][0](n, ops)
            # round-robin repetitions: a burst of load on this shared machine then hits
            # every engine alike, and each engine keeps its best time
            for rep in range(reps_for(n, reps)):
                # the first round runs qtcore first (the reference state); later rounds
                # run in a seeded shuffled order, so no engine always follows the same one
                order = list(runnable)
                if rep:
                    random.Random(rep).shuffle(order)
                for e in order:
                    if e not in runnable:
                        continue
                    try:
                        t, st, info = time_engine(ENGINES[e][0], n, ops)
                    except Exception as exc:  # a peer failing must not stop the table
                        notes.append(f"{e}: {type(exc).__name__}: {exc}")
                        runnable.remove(e)
                        continue
                    times[e] = min(times.get(e, math.inf), t)
                    if info.get("extrapolated"):
                        runnable.remove(e)  # already a sampled estimate: one is enough
                        notes.append(f"{e} extrapolated from a sample of gates")
                    if e == "qt-numpy":
                        ref = st
                        flops = info["flops"]  # one entry per pass
                        passes = len(flops)
                    elif st is not None and ref is not None and e in runnable:
                        f = fidelity(ref, st)
                        if not f > 1 - 1e-9:
                            failures += 1
                            notes.append(f"MISMATCH {e}: fidelity {f:.12f}")
                            runnable.remove(e)
            row = f"{fam:6} {n:>3} "
            row += " ".join(f"{_fmt(times.get(c)):>12}" for c in cols)
            qt = times.get("qt-numpy")
            if qt is not None and passes:
                per = qt / passes * 1e3
                bound = pass_bound_ms(n, gbps)
                row += f" {passes:>6} {per:>8.2f} {bound:>7.2f} {per / bound:>7.1f}"
                # roofline: a pass takes the longer of streaming the state once and, for a
                # dense pass, its multiply-adds at the measured zgemm rate
                roof = sum(max(bound / 1e3, f / (gflops * 1e9)) for f in flops)
                row += f" {qt / roof:>6.1f}"
            print(row, flush=True)
            for note in notes:
                print(f"#   {note}")
            ref_time = times.get(ratio_ref)
            if ref_time:
                ratios.append(
                    f"{fam:6} {n:>3} "
                    + " ".join(
                        f"{c}={times[c] / ref_time:.3g}x"
                        for c in cols
                        if c in times and c != ratio_ref
                    )
                )
    print(f"\nratios (engine time / {ratio_ref} time; > 1 means {ratio_ref} is faster):")
    for r in ratios:
        print("  " + r)
    return failures


def _fmt(t: float | None) -> str:
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f}us"
    if t < 1:
        return f"{t * 1e3:.1f}ms"
    return f"{t:.2f}s"


def memory_child(n: int, dtype: str, depth: int, shots: int = 0) -> None:
    """Runs a RAND-like circuit and prints peak RSS (child process of --memory)."""
    import resource

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    k = NumpyKernel(dtype=np.dtype(dtype))
    c = to_qtcore(n, rand(n, depth=depth))
    t = time.perf_counter()
    s = run_fused(k, k.zeros(n), n, c.instructions)
    dt = time.perf_counter() - t
    norm = k.norm_sq(s)
    sampled = ""
    if shots:
        from qtcore.rng import Rng

        t = time.perf_counter()
        idx = k.sample_state(s, shots, Rng(1))  # what simulate(..., shots) runs
        sampled = f" shots={len(idx)} in {time.perf_counter() - t:.1f}s"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    state = s.nbytes
    print(
        f"n={n} dtype={dtype} depth={depth} gates={len(c.instructions)} time={dt:.1f}s "
        f"norm={norm:.12f}{sampled}\n  state {state / 2**30:.3f} GiB, peak RSS {peak / 2**30:.3f} GiB "
        f"= {peak / state:.3f}x the state (interpreter+NumPy before the run: "
        f"{base / 1024:.0f} MiB)"
    )


PURE_GATES = ["h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz", "p", "u", "cx", "cy", "cz"]
PURE_GATES += [
    "ch",
    "cp",
    "crx",
    "cry",
    "crz",
    "swap",
    "iswap",
    "rxx",
    "ryy",
    "rzz",
    "ccx",
    "cswap",
]


def pure_circuit(n: int, size: int, seed: int) -> Circuit:
    """``size`` gates drawn from the whole gate set on random qubits (seeded)."""
    rng = random.Random(seed)
    c = Circuit(n)
    for _ in range(size):
        name = rng.choice(PURE_GATES)
        spec = GATES[name]
        params = [rng.uniform(-math.pi, math.pi) for _ in range(spec.num_params)]
        c.append(Gate(name, params), rng.sample(range(n), spec.num_controls + spec.num_targets))
    return c


def run_pure(n: int = 14, size: int = 100) -> int:
    """Times the pure-Python kernel (works without NumPy, e.g. under Pyodide)."""
    impl = "pyodide" if sys.platform == "emscripten" else sys.implementation.name
    print(f"# pure-Python kernel, {impl} {sys.version.split()[0]}")
    k = PythonKernel()
    for label, c in (
        (f"random {size} gates (whole gate set)", pure_circuit(n, size, 7)),
        (f"RAND({n}) first {size} gates", to_qtcore(n, rand(n)[:size])),
    ):
        best = math.inf
        s: Any = None
        for _ in range(3):
            t = time.perf_counter()
            s = k.zeros(n)
            for ins in c.instructions:
                assert ins.gate is not None
                s = k.apply_gate(s, n, ins.gate, ins.qubits)
            best = min(best, time.perf_counter() - t)
        check = ""
        if np is not None:
            nk = NumpyKernel()
            ref = nk.zeros(n)
            for ins in c.instructions:
                assert ins.gate is not None
                ref = nk.apply_gate(ref, n, ins.gate, ins.qubits)
            check = f", max |diff| vs NumPy kernel {float(np.abs(np.array(s) - ref).max()):.1e}"
        print(f"n={n} {label}: {best:.3f} s ({best / size * 1e3:.2f} ms/gate){check}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--small", action="store_true", help="n = 8 10 12 (CI)")
    ap.add_argument("--sizes", type=int, nargs="+", help="qubit counts")
    ap.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=list(FAMILIES))
    ap.add_argument("--engines", nargs="+", choices=list(ENGINES), help="columns to run")
    ap.add_argument(
        "--multicore",
        action="store_true",
        help="qtcore on 1 and --threads threads vs Aer and qulacs on every core (n = 20 22 24)",
    )
    ap.add_argument("--threads", type=int, default=2, help="--multicore: qtcore's threads")
    ap.add_argument("--memory", type=int, metavar="N", help="peak-RSS check at N qubits")
    ap.add_argument("--dtype", default="complex128", choices=["complex128", "complex64"])
    ap.add_argument("--depth", type=int, default=2, help="layers of the --memory circuit")
    ap.add_argument("--shots", type=int, default=0, help="--memory: also sample this many shots")
    ap.add_argument("--pure", action="store_true", help="pure-Python kernel, 14 qubits")
    ap.add_argument("--reps", type=int, help="runs per engine (default 3 / 2 / 1 by size)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.pure:
        return run_pure()
    if np is None:
        print("NumPy is not installed: only --pure can run", file=sys.stderr)
        return 2
    if args.memory is not None:
        if args.child:
            memory_child(args.memory, args.dtype, args.depth, args.shots)
            return 0
        cmd = [sys.executable, __file__, "--memory", str(args.memory), "--child"]
        cmd += ["--dtype", args.dtype, "--depth", str(args.depth), "--shots", str(args.shots)]
        import subprocess

        return subprocess.call(cmd)
    engines = args.engines or (MULTICORE_ENGINES if args.multicore else SINGLE_ENGINES)
    default_sizes = MULTICORE_SIZES if args.multicore else DEFAULT_SIZES
    sizes = args.sizes or (SMALL_SIZES if args.small else default_sizes)
    bw = bandwidth()
    gflops = blas_gflops()
    if args.multicore:
        QT_THREADS[0] = args.threads
        print(
            f"# multicore: qt-numpy = qtcore on 1 thread, qt-threads = on {args.threads} "
            f"threads (threads=); aer-mt and qulacs-mt at their default threading "
            f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}); "
            f"{len(os.sched_getaffinity(0))} cpus, load {os.getloadavg()[0]:.1f}"
        )
    print(
        f"# numpy {np.__version__}, BLAS single thread; measured bandwidth: in-place scale "
        f"{bw['scale']:.1f} GB/s, copy {bw['copy']:.1f} GB/s; bound = 2*16*2^n B at "
        f"{bw['scale']:.1f} GB/s\n# dense pass (zgemm 16x16) {gflops:.1f} GFlop/s; x roof = "
        f"time / sum over passes of max(bound, the pass's flops / that rate); best of "
        f"{args.reps or '3/2/1'} "
        "round-robin runs per engine (n <= 20 / 22 / more)"
    )
    ratio_ref = "qt-threads" if args.multicore else "qt-numpy"
    failures = run_table(
        sizes, args.families, engines, bw["scale"], gflops, args.reps, ratio_ref=ratio_ref
    )
    if failures:
        print(f"{failures} result(s) disagree with qtcore", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
