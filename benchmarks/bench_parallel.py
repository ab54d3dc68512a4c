"""Sweeps beyond one process: the same sweep in one process, on a process pool, on Dask.

The workload is the CLI's ``sweep --param``: a noisy 6-qubit circuit scenario
(depolarizing noise on every CX, run with the simulator's default method) swept over an
angle, ``--points`` points of ``--shots`` shots each. It runs

* ``sequential`` -- ``executor=None``, one point after another in this process;
* ``process-pool`` -- ``concurrent.futures.ProcessPoolExecutor(max_workers=W)``;
* ``dask`` -- a ``distributed.LocalCluster(n_workers=W, processes=True,
  threads_per_worker=1)`` through ``client.get_executor()`` (skipped when ``distributed``
  is not installed);

checks that every table equals the sequential one (exit 1 if not), and prints the
speed-up and the overhead per point: ``(T_W - T_1 / W) / points``, the time each point
costs beyond perfect scaling. Column ``no-op ms/point`` times the same sweep of points
that do nothing: the executor's dispatch cost alone. The configurations take turns,
``--repeat`` rounds, and each keeps its best time (the machine may be shared). Pool and
cluster start-up is timed on its own, not in the sweeps. Every process runs NumPy
single-threaded.

Usage::

    python benchmarks/bench_parallel.py            # 200 points x 100 shots, 2 workers
    python benchmarks/bench_parallel.py --small    # 24 points x 20 shots (CI)
    python benchmarks/bench_parallel.py --workers 4 --points 400
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "QTCORE_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from concurrent.futures import Executor, ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qtcore.scenario import run_scenario, scenario_from_dict  # noqa: E402
from qtcore.sweep import Axis, run_sweep  # noqa: E402


def workload(num_qubits: int, shots: int) -> dict[str, Any]:
    """A circuit scenario: RY(theta) layer, CX ladder, RZ layer, CX ladder, measure all."""
    ops: list[dict[str, Any]] = []
    for layer in range(2):
        for q in range(num_qubits):
            name = "ry" if layer == 0 else "rz"
            ops.append({"op": name, "params": [f"theta * {q + 1}"], "qubits": [q]})
        for q in range(num_qubits - 1):
            ops.append({"op": "cx", "qubits": [q, q + 1]})
    ops.append(
        {"op": "measure", "qubits": list(range(num_qubits)), "clbits": list(range(num_qubits))}
    )
    return {
        "name": "bench_parallel",
        "title": "noisy RY/CX circuit",
        "kind": "circuit",
        "seed": 2026,
        "shots": shots,
        "parameters": {"theta": 0.0},
        "circuit": {"num_qubits": num_qubits, "num_clbits": num_qubits, "ops": ops},
        "noise": {"depolarizing": {"p": 0.01, "gates": ["cx"]}},
        "report": ["counts"],
    }


def null_point(point: dict[str, float], seed: int) -> dict[str, Any]:
    """A point that does nothing: what remains is the executor's cost per point."""
    return {"seed_low_bits": seed & 0xFF}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[tuple[Executor, float]]:
    """A started process pool and its start-up seconds."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(abs, range(workers * 4)))  # start every worker process
        yield pool, time.perf_counter() - t0


@contextlib.contextmanager
def dask_cluster(workers: int) -> Iterator[tuple[Executor, float] | None]:
    """A LocalCluster's executor and its start-up seconds (None without ``distributed``)."""
    try:
        import distributed
    except ImportError:
        print("dask: skipped (distributed is not installed)", file=sys.stderr)
        yield None
        return
    t0 = time.perf_counter()
    with (
        distributed.LocalCluster(
            n_workers=workers,
            processes=True,
            threads_per_worker=1,
            dashboard_address=":0",
            silence_logs=40,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        client.wait_for_workers(workers)
        executor = client.get_executor(pure=False)
        list(executor.map(abs, range(workers * 4)))
        yield executor, time.perf_counter() - t0


Config = tuple[str, "Executor | None", int]


class Bench:
    """Runs configurations in turns and keeps each one's best time."""

    def __init__(self, sc: Any, axes: list[Axis], repeat: int) -> None:
        self.sc, self.axes, self.repeat = sc, axes, repeat
        self.reference: str | None = None
        self.null_reference = run_sweep(null_point, axes, seed=1).to_dict()
        self.failures = 0
        self.rows: list[tuple[Config, float, float]] = []  # config, sweep s, null sweep s

    def run(self, configs: list[Config]) -> None:
        warm = [Axis.linspace("theta", 0.0, 1.0, 8)]
        for _, executor, _ in configs:  # imports and first calls in every process, untimed
            run_scenario(self.sc, axes=warm, executor=executor, chunksize=1)
        best = [math.inf] * len(configs)
        null = [math.inf] * len(configs)
        for _ in range(self.repeat):
            for i, (_, executor, chunk) in enumerate(configs):
                t, res = timed(
                    lambda e=executor, c=chunk: run_scenario(
                        self.sc, axes=self.axes, executor=e, chunksize=c or None
                    )
                )
                text = res.to_json()
                self.reference = text if self.reference is None else self.reference
                self.failures += text != self.reference
                best[i] = min(best[i], t)
                t, res = timed(
                    lambda e=executor, c=chunk: run_sweep(
                        null_point, self.axes, seed=1, executor=e, chunksize=c or None
                    )
                )
                self.failures += res.to_dict() != self.null_reference
                null[i] = min(null[i], t)
        self.rows += list(zip(configs, best, null))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--small", action="store_true", help="24 points x 20 shots (CI)")
    p.add_argument("--points", type=int, default=200)
    p.add_argument("--shots", type=int, default=100)
    p.add_argument("--qubits", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--chunksize",
        type=int,
        nargs="+",
        default=[0, 1],
        help="points per task to try (0: automatic, about 8 tasks per worker)",
    )
    p.add_argument("--repeat", type=int, default=3, help="rounds; the best time is kept")
    p.add_argument("--no-dask", action="store_true", help="process pool only")
    args = p.parse_args(argv)
    if args.small:
        args.points, args.shots, args.repeat = 24, 20, 1
    sc = scenario_from_dict(workload(args.qubits, args.shots), "bench_parallel")
    axes = [Axis.linspace("theta", 0.0, 3.0, args.points)]
    method = run_scenario(sc).outputs["method"]
    print(
        f"sweep: {args.points} points x {args.shots} shots, noisy {args.qubits}-qubit circuit "
        f"(method {method}); {args.workers} workers; best of {args.repeat}; "
        f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}"
    )
    bench = Bench(sc, axes, args.repeat)
    # Dask's LocalCluster runs its scheduler in this process, on a thread that takes the
    # GIL: the one-process and pool runs are timed before it starts, so it cannot slow them.
    with process_pool(args.workers) as (pool, startup):
        print(f"process-pool start-up: {startup:.2f} s (not in the sweep times)")
        bench.run([("sequential", None, 0)] + [("process-pool", pool, c) for c in args.chunksize])
    if not args.no_dask:
        with dask_cluster(args.workers) as found:
            if found is not None:
                executor, startup = found
                print(f"dask LocalCluster start-up: {startup:.2f} s (not in the sweep times)")
                bench.run([("dask", executor, c) for c in args.chunksize])
    seq_time = bench.rows[0][1]
    print()
    print(
        f"{'executor':<13} {'workers':>7} {'chunk':>5} {'time s':>8} {'speed-up':>8} "
        f"{'ms/point':>9} {'overhead ms/point':>17} {'no-op ms/point':>14}"
    )
    for (name, executor, chunk), t, null in bench.rows:
        workers = 1 if executor is None else args.workers
        label = "-" if executor is None else chunk or "auto"
        overhead = (
            "-" if executor is None else f"{1e3 * (t - seq_time / workers) / args.points:.2f}"
        )
        print(
            f"{name:<13} {workers:>7} {label:>5} {t:>8.2f} {seq_time / t:>8.2f} "
            f"{1e3 * t / args.points:>9.2f} {overhead:>17} {1e3 * null / args.points:>14.3f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if bench.failures:
        print(f"FAILED: {bench.failures} run(s) gave a table different from the sequential one")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
