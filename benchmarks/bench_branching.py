"""Dynamic-circuit benchmark: shot branching against per-shot trajectories and Qiskit Aer.

Circuits (all at ``--shots``, default 20,000):

* ``coin12``: the 12-qubit counterfeit-coin circuit (11 coins and an ancilla; the query
  parity is measured mid-circuit and the next gates are conditioned on it);
* ``rus12``: repeat-until-success on 12 qubits (10 spectators in superposition; up to 8
  rounds of reset, H T CX H on an ancilla and a target, measure, each round conditioned
  on the previous rounds having failed);
* ``qec9``: a distance-5 bit-flip repetition code (5 data, 4 ancillas), 3 rounds of
  syndrome measurement with reset and syndrome-conditioned corrections, with a 0.2 %
  bit flip after every gate;
* the dynamic circuits of the scenario library (mid-circuit measurement, classical
  control or noise): ``teleportation``, ``noisy_bell``.

Engines, one thread each, in the same run: qtcore's NumPy and pure-Python kernels with
``method="branching"`` and ``method="trajectories"``; Aer's statevector method per shot
and with ``shot_branching_enable=True`` when ``qiskit-aer`` imports (``pip install --group
bench``). Per-shot runs (qtcore's and Aer's) are timed on a fraction of the shots and
scaled linearly (per-shot cost is linear in shots), marked ``*``. Nothing is asserted
about time; the script exits non-zero when an engine's counts are inconsistent with
qtcore's pure-Python branching counts (a classical bit's frequency of 1 differs by more
than 6 standard deviations).

Usage::

    python benchmarks/bench_branching.py            # 20,000 shots, every engine
    python benchmarks/bench_branching.py --small    # 2,000 shots (CI, a few seconds)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "QTCORE_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qtcore import Circuit, simulate  # noqa: E402
from qtcore.noise import NoiseModel, bit_flip  # noqa: E402
from qtcore.scenario import load_scenario  # noqa: E402
from qtcore.sim import numpy_available  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
Case = tuple[str, Circuit, NoiseModel | None]


def coin(n_coins: int = 11, false_coin: int = 6) -> Circuit:
    anc = n_coins
    c = Circuit(n_coins + 1, n_coins + 1, name="coin")
    for q in range(n_coins):
        c.h(q)
    for q in range(n_coins):
        c.cx(q, anc)
    c.measure(anc, anc)  # the parity of the queried subset, mid-circuit
    c.x(anc).c_if(anc, 0).h(anc).c_if(anc, 0)
    for q in range(n_coins):
        c.h(q).c_if(anc, 0)
    c.barrier()
    c.cx(false_coin, anc)  # the balance tips on the false coin
    for q in range(n_coins):
        c.h(q)
    for q in range(n_coins):
        c.measure(q, q)
    return c


def rus(spectators: int = 10, rounds: int = 8) -> Circuit:
    anc, tgt, flag = spectators, spectators + 1, spectators
    c = Circuit(spectators + 2, spectators + 1, name="rus")
    for q in range(spectators):
        c.h(q)
    for _ in range(rounds):  # flag == 0: not succeeded yet
        c.reset(anc).c_if(flag, 0)
        c.h(anc).c_if(flag, 0).t(anc).c_if(flag, 0).cx(anc, tgt).c_if(flag, 0)
        c.h(anc).c_if(flag, 0).t(tgt).c_if(flag, 0)
        c.measure(anc, flag).c_if(flag, 0)
    for q in range(spectators):
        c.measure(q, q)
    return c


def qec(distance: int = 5, rounds: int = 3) -> Circuit:
    d = distance
    anc = list(range(d, 2 * d - 1))
    c = Circuit(2 * d - 1, (d - 1) + d, name="qec")
    syn = list(range(d - 1))
    c.x(0).x(1).x(2).x(3).x(4)  # logical |1>
    for _ in range(rounds):
        for i, a in enumerate(anc):
            c.reset(a)
            c.cx(i, a).cx(i + 1, a)
        for i, a in enumerate(anc):
            c.measure(a, syn[i])
        # a single flip on data qubit j lights syndromes j-1 and j
        for j in range(d):
            value = (1 << (j - 1) if j > 0 else 0) | (1 << j if j < d - 1 else 0)
            c.x(j).c_if(syn, value)
    for j in range(d):
        c.measure(j, d - 1 + j)
    return c


def cases() -> list[Case]:
    noise = NoiseModel().add(bit_flip(0.002))
    out: list[Case] = [("coin12", coin(), None), ("rus12", rus(), None), ("qec9", qec(), noise)]
    for name in ("teleportation", "noisy_bell"):
        sc = load_scenario(str(ROOT / "scenarios" / f"{name}.toml"))
        out.append((name, sc.circuit(), sc.noise()))
    return out


# ---------------------------------------------------------------- Aer
def to_qiskit(circ: Circuit) -> Any:
    from qiskit import QuantumCircuit
    from qiskit.circuit.classical import expr

    qc = QuantumCircuit(circ.num_qubits, circ.num_clbits)
    for ins in circ.instructions:

        def emit(target: Any, ins: Any = ins) -> None:
            if ins.kind == "measure":
                target.measure(ins.qubits[0], ins.clbits[0])
            elif ins.kind == "reset":
                target.reset(ins.qubits[0])
            elif ins.kind == "barrier":
                target.barrier()
            else:
                getattr(target, ins.gate.name)(*[float(p) for p in ins.gate.params], *ins.qubits)

        cond = ins.condition
        if cond is None:
            emit(qc)
            continue
        e: Any
        if len(cond.clbits) == 1:
            e = (qc.clbits[cond.clbits[0]], cond.value)
        else:
            terms = [
                expr.lift(qc.clbits[b]) if (cond.value >> i) & 1 else expr.logic_not(qc.clbits[b])
                for i, b in enumerate(cond.clbits)
            ]
            e = terms[0]
            for term in terms[1:]:
                e = expr.logic_and(e, term)
        with qc.if_test(e):
            emit(qc)
    return qc


def aer_noise(noise: NoiseModel | None) -> Any:
    if noise is None:
        return None
    from qiskit_aer.noise import NoiseModel as AerNoise
    from qiskit_aer.noise import ReadoutError, pauli_error

    nm = AerNoise()
    d = noise.to_dict()
    for ch in d.get("channels", []):
        assert ch["type"] == "bit_flip" and "gates" not in ch and "qubits" not in ch, ch
        err = pauli_error([("X", ch["p"]), ("I", 1 - ch["p"])])
        nm.add_all_qubit_quantum_error(err, ["h", "x", "t"])
        nm.add_all_qubit_quantum_error(err.tensor(err), ["cx"])
    for ro in d.get("readout", []):
        p01, p10 = ro["p01"], ro["p10"]
        nm.add_all_qubit_readout_error(ReadoutError([[1 - p01, p01], [p10, 1 - p10]]))
    return nm


def aer_runner(branching: bool) -> Callable[[Circuit, NoiseModel | None, int], dict[str, int]]:
    from qiskit_aer import AerSimulator

    def run(circ: Circuit, noise: NoiseModel | None, shots: int) -> dict[str, int]:
        sim = AerSimulator(
            method="statevector",
            max_parallel_threads=1,
            shot_branching_enable=branching,
            noise_model=aer_noise(noise),
        )
        qc = run.cache.get(id(circ))  # type: ignore[attr-defined]
        if qc is None:
            qc = run.cache[id(circ)] = to_qiskit(circ)  # type: ignore[attr-defined]
        counts = sim.run(qc, shots=shots, seed_simulator=7).result().get_counts()
        return {k.replace(" ", ""): v for k, v in counts.items()}

    run.cache = {}  # type: ignore[attr-defined]
    return run


# ---------------------------------------------------------------- engines
def qt_runner(
    backend: str, method: str
) -> Callable[[Circuit, NoiseModel | None, int], dict[str, int]]:
    def run(circ: Circuit, noise: NoiseModel | None, shots: int) -> dict[str, int]:
        res = simulate(circ, shots, seed=7, backend=backend, noise=noise, method=method)
        assert res.method in (method, "sampled"), res.method
        return res.counts

    return run


def marginal_z(a: dict[str, int], b: dict[str, int]) -> float:
    """The largest |difference| of a classical bit's frequency of 1 between two runs, in
    standard deviations of that difference (outcome spaces are too big to compare whole)."""
    na, nb = sum(a.values()), sum(b.values())
    width = len(next(iter(a)))
    worst = 0.0
    for bit in range(width):
        pa = sum(v for k, v in a.items() if k[width - 1 - bit] == "1") / na
        pb = sum(v for k, v in b.items() if k[width - 1 - bit] == "1") / nb
        p = (pa * na + pb * nb) / (na + nb)
        sd = math.sqrt(p * (1 - p) * (1 / na + 1 / nb))
        if sd > 0:
            worst = max(worst, abs(pa - pb) / sd)
        elif pa != pb:
            return math.inf
    return worst


def timed(fn: Callable[..., dict[str, int]], *args: Any) -> tuple[float, dict[str, int]]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="2,000 shots, short per-shot runs (CI)")
    ap.add_argument("--shots", type=int, default=None)
    ap.add_argument("--no-aer", action="store_true", help="skip Qiskit Aer even if it imports")
    args = ap.parse_args()
    shots = args.shots or (2000 if args.small else 20000)
    # per-shot runs: time this many shots at most and scale (marked *)
    per_shot_cap = {"numpy": 200 if args.small else 2000, "python": 50 if args.small else 500}

    engines: list[tuple[str, Callable[..., dict[str, int]], int | None]] = []
    if numpy_available():
        engines += [
            ("qt-np-branch", qt_runner("numpy", "branching"), None),
            ("qt-np-shots", qt_runner("numpy", "trajectories"), per_shot_cap["numpy"]),
        ]
    engines += [
        ("qt-py-branch", qt_runner("python", "branching"), None),
        ("qt-py-shots", qt_runner("python", "trajectories"), per_shot_cap["python"]),
    ]
    if not args.no_aer:
        try:
            import qiskit_aer  # noqa: F401

            engines += [
                ("aer-shots", aer_runner(False), per_shot_cap["numpy"]),
                ("aer-branch", aer_runner(True), None),
            ]
        except ImportError:
            print("qiskit-aer not installed: Aer columns skipped (pip install --group bench)")

    print(
        f"shots {shots}; times in s, best of {1 if args.small else 3}; * = timed on fewer "
        "shots and scaled linearly"
    )
    names = [e[0] for e in engines]
    print(f"{'circuit':<14}{'qubits':>7}{'branches':>9}  " + "".join(f"{n:>13}" for n in names))
    bad = []
    for label, circ, noise in cases():
        ref = simulate(circ, shots, seed=7, backend="python", noise=noise, method="branching")
        cells = []
        for name, run, cap in engines:
            k = shots if cap is None else min(shots, cap)
            reps = 1 if (args.small or cap is not None) else 3
            best = math.inf
            counts: dict[str, int] = {}
            for _ in range(reps):
                dt, counts = timed(run, circ, noise, k)
                best = min(best, dt)
            t = best * shots / k
            z = marginal_z(counts, ref.counts)
            if z > 6:
                bad.append(f"{label} {name}: a bit's frequency differs by {z:.1f} sigma")
            cells.append(f"{t:>10.3f}{'*' if k < shots else ' '}")
        branches = _count_branches(circ, noise, shots)
        print(
            f"{label:<14}{circ.num_qubits:>7}{branches:>9}  " + "".join(f"{c:>13}" for c in cells)
        )
    for b in bad:
        print("INCONSISTENT:", b)
    return 1 if bad else 0


def _count_branches(circ: Circuit, noise: NoiseModel | None, shots: int) -> int:
    from qtcore.rng import Rng
    from qtcore.sim import get_kernel
    from qtcore.sim._branching import compile_program, run_branches

    kernel = get_kernel("python")
    leaves = [0]

    def leaf(s: Any, k: int, bits: list[int]) -> None:
        leaves[0] += 1

    program = compile_program(circ.instructions, noise)
    run_branches(
        kernel,
        circ.num_qubits,
        program,
        kernel.zeros(circ.num_qubits),
        shots,
        [0] * circ.num_clbits,
        Rng(7),
        leaf,
    )
    return leaves[0]


if __name__ == "__main__":
    sys.exit(main())
