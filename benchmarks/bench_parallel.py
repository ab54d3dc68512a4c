"""Sweeps beyond one process: the same sweep in one process, on a process pool, on Dask.

The workload is the CLI's ``sweep --param``: a noisy 6-qubit circuit scenario
(depolarizing noise on every CX, run with the simulator's default method) swept over an
angle, ``--points`` points of ``--shots`` shots each. It runs

* ``sequential`` -- ``executor=None``, one point after another in this process;
* ``process-pool`` -- ``concurrent.futures.ProcessPoolExecutor(max_workers=W)``;
* ``dask`` -- a ``distributed.LocalCluster(n_workers=W, processes=True,
  threads_per_worker=1)`` through ``client.get_executor()`` (skipped when ``distributed``
  is not installed);

* ``static-split`` -- the ceiling on this machine at this moment: the pool's worker *k*
  runs points *k*, *k + W*, ... in one task, with no chunks, progress or cancel, and the
  rows are put back together; a configuration's speed-up over the ceiling's is what the
  executor itself loses, whatever share of the cores the machine's load leaves;
  ``dask-split`` (``dask-quiet-split``) is the same split sent as one task per Dask
  worker, timed in turns with the Dask rows: what Dask costs with the fewest tasks, and
  the ceiling to judge Dask's rows against when the machine's load changes between the
  pool's turns and Dask's;
* ``dask-quiet`` -- the same cluster with Dask's background work turned down (worker
  profiling off, event-loop tick and memory monitor every second; see
  ``docs/reference/parallel.md``), a variant of ``dask`` (``--no-dask-quiet`` skips it);
* ``dask-cli`` (``dask-cli-quiet``) -- a cluster started the way that page deploys one:
  ``dask scheduler`` and ``dask worker --nworkers W --nthreads 1`` as processes of their
  own (with the quiet settings in their environment), this process only the client;
  ``--no-dask-cli`` skips them;

checks that every table equals the sequential one (exit 1 if not), and prints the
speed-up and the overhead per point: ``(T_W - T_1 / W) / points``, the time each point
costs beyond perfect scaling. ``T_1`` (column ``1-proc s``) is the one-process time of the
same minutes: a helper process runs the whole sweep alone at the start of every round of
each phase (the pool's, Dask's, quiet Dask's), and each phase keeps its best; a shared
machine's load changes between phases, and this compares every executor with one process
timed beside it. ``vs seq`` is the speed-up over the ``sequential`` row instead. Column ``no-op ms/point`` times the same sweep of points
that do nothing: the executor's dispatch cost alone. The configurations take turns,
``--repeat`` rounds, and each keeps its best time (the machine may be shared); ``median s``
shows the spread. These columns time a warm executor (started, its workers have run a
sweep): the speed-up target is judged on them. A user who runs one sweep also pays for
starting the executor: ``start-up s`` is that (once, before any sweep), ``cold s`` the
first sweep on the fresh workers (imports, first calls; once), and ``cold speed-up``
the warm one-process time over their sum. ``cpu s`` is the CPU time of every process of
the run -- this one (with a LocalCluster's scheduler in it), the workers, and for
``dask-cli`` the scheduler's and the nanny's processes -- during the best
sweep: beside the one-process ``cpu s`` it shows what the executor costs in CPU, which the
machine's load does not hide (Linux; ``-`` elsewhere); ``here s`` is the part of it spent in
this process (the parent, and Dask's scheduler and client). ``tasks`` is how many tasks the
best sweep sent (the chunks :func:`qtcore.parallel.run_chunked` chose), and ``ms/task`` the
time beyond perfect scaling per task: ``(T_W - T_1 / W) / tasks``. Every process runs NumPy
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
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from concurrent.futures import Executor, ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
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


SPLIT = -1  # the "chunk" of the static-split ceiling


def split_part(data: dict[str, Any], values: list[float]) -> list[dict[str, Any]]:
    """One worker's share of the static split: its points, run here one after another."""
    sc = scenario_from_dict(data, "bench_parallel")
    table = run_scenario(sc, axes=[Axis.grid("theta", values)]).outputs["table"]
    return [_row(table["columns"], row) for row in table["rows"]]


def one_process(data: dict[str, Any], axes: list[Axis]) -> float:
    """Seconds the whole sweep takes in this process, one point after another.

    Run in a helper process of its own, in turns with each phase's executors: the
    one-process time of the same minutes, in a process without Dask's threads.
    """
    sc = scenario_from_dict(data, "bench_parallel")
    t0 = time.perf_counter()
    run_scenario(sc, axes=axes)
    return time.perf_counter() - t0


def _row(columns: list[str], row: list[Any]) -> dict[str, Any]:
    """A row's cells by column, without the outcomes it never saw.

    A sweep table gives a row ``counts.B = 0`` for each outcome another of its rows saw;
    the static split's parts are tables of their own, with other rows.
    """
    return {
        c: v
        for c, v in zip(columns, row)
        if c != "index" and v is not None and not (c.startswith("counts.") and v == 0)
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[tuple[Executor, float, list[int]]]:
    """A started process pool, its start-up seconds and its worker pids."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pids = sorted(set(pool.map(_pid, range(workers * 4))))  # start every worker
        startup = time.perf_counter() - t0
        # Which workers a task lands on is up to the pool: read them from the pool
        yield pool, startup, sorted(getattr(pool, "_processes", {}) or pids)


def _pid(_: int) -> int:
    return os.getpid()


# Dask's background work, turned down for ``dask-quiet``: the statistical profiler samples
# each worker's task thread every 10 ms, event loops wake every 20 ms to check they are
# not blocked, and the memory monitor polls every 100 ms. On 2 cores an idle cluster of
# 2 workers spent about 13 % of one core on these (1.5 % turned down).
QUIET_DASK = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextlib.contextmanager
def dask_cluster(
    workers: int, *, quiet: bool = False
) -> Iterator[tuple[Executor, float, list[int]] | None]:
    """A LocalCluster's executor, its start-up seconds and its worker pids.

    None without ``distributed``. ``quiet`` applies :data:`QUIET_DASK`.
    """
    try:
        import dask
        import distributed
    except ImportError:
        print("dask: skipped (distributed is not installed)", file=sys.stderr)
        yield None
        return
    t0 = time.perf_counter()
    with (
        dask.config.set(QUIET_DASK if quiet else {}),
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
        startup = time.perf_counter() - t0
        yield executor, startup, sorted(client.run(os.getpid).values())


#: :data:`QUIET_DASK` as the environment variables ``docs/reference/parallel.md`` sets for
#: a scheduler and workers started from a shell (``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED``
#: and so on: Dask reads ``__`` as a dot and ``_`` as ``-``).
QUIET_ENV = {
    "DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
    for key, value in QUIET_DASK.items()
}


@contextlib.contextmanager
def dask_cli_cluster(
    workers: int, *, quiet: bool = False
) -> Iterator[tuple[Executor, float, list[int]] | None]:
    """A cluster started the way ``docs/reference/parallel.md`` deploys one, on this machine.

    ``dask scheduler`` and ``dask worker --nworkers W --nthreads 1`` run as processes of
    their own (a ``LocalCluster`` runs its scheduler and nannies in this process), with
    :data:`QUIET_ENV` in their environment when ``quiet``; this process is only the client.
    Yields the client's executor, the start-up seconds, and the pids of the workers, their
    nanny and the scheduler. None without ``distributed``.
    """
    try:
        import dask
        import distributed
    except ImportError:
        print("dask: skipped (distributed is not installed)", file=sys.stderr)
        yield None
        return
    import subprocess
    import tempfile

    env = {**os.environ, **(QUIET_ENV if quiet else {})}
    dask_cli = [sys.executable, "-m", "dask"]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        file = os.path.join(tmp, "scheduler.json")
        log = stack.enter_context(open(os.path.join(tmp, "log"), "w+", encoding="utf-8"))
        procs: list[subprocess.Popen[bytes]] = []

        def stop() -> None:
            for proc in reversed(procs):  # the workers first, then the scheduler
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

        stack.callback(stop)
        common = ["--scheduler-file", file, "--no-dashboard"]
        procs.append(
            subprocess.Popen(
                [*dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0", *common],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 60
        while not os.path.exists(file):
            if procs[0].poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"dask scheduler did not start:\n{log.read()[-2000:]}")
            time.sleep(0.05)
        procs.append(
            subprocess.Popen(
                [*dask_cli, "worker", "--nworkers", str(workers), "--nthreads", "1", *common],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        stack.enter_context(dask.config.set(QUIET_DASK if quiet else {}))
        client = stack.enter_context(
            distributed.Client(scheduler_file=file, set_as_default=False, timeout=60)
        )
        client.wait_for_workers(workers, timeout=60)
        executor = client.get_executor(pure=False)
        list(executor.map(abs, range(workers * 4)))
        startup = time.perf_counter() - t0
        pids = [*client.run(os.getpid).values(), *(proc.pid for proc in procs)]
        yield executor, startup, sorted(pids)  # the stack closes the client, then stops them


@contextlib.contextmanager
def counting(executor: Executor | None) -> Iterator[list[int]]:
    """Counts the tasks submitted to ``executor`` meanwhile (its ``submit``, wrapped)."""
    count = [0]
    if executor is None:
        yield count
        return
    submit = executor.submit

    def counted(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return submit(fn, *args, **kwargs)

    executor.submit = counted  # type: ignore[method-assign]
    try:
        yield count
    finally:
        del executor.submit


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU seconds of these processes so far (None where /proc is missing)."""
    total = 0.0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


Config = tuple[str, "Executor | None", int]


@dataclass
class Row:
    """One configuration's figures."""

    config: Config
    best: float = math.inf
    times: list[float] = field(default_factory=list)
    null: float = math.inf
    cpu: float | None = None  # CPU seconds of every process in the best sweep
    cpu_here: float | None = None  # of this process alone
    tasks: int | None = None  # tasks the best sweep sent
    ref: float = math.inf  # the one-process time in the same turns (best)
    startup: float | None = None
    cold: float | None = None


class Bench:
    """Runs configurations in turns and keeps each one's best time."""

    def __init__(
        self,
        data: dict[str, Any],
        axes: list[Axis],
        repeat: int,
        workers: int,
        helper: Executor,
    ) -> None:
        self.data, self.axes, self.repeat, self.workers = data, axes, repeat, workers
        self.helper = helper  # one process that times the one-process sweep in each turn
        self.sc = scenario_from_dict(data, "bench_parallel")
        self.reference: str | None = None
        self.reference_rows: list[dict[str, Any]] = []
        self.null_reference = run_sweep(null_point, axes, seed=1).to_dict()
        self.failures = 0
        self.rows: list[Row] = []

    def split(self, executor: Executor, workers: int) -> float:
        """The ceiling: worker k runs points k, k + W, ... in one task, nothing else."""
        values = list(self.axes[0].values)

        def run() -> list[dict[str, Any]]:
            parts = [
                executor.submit(split_part, self.data, values[k::workers]) for k in range(workers)
            ]
            rows: list[dict[str, Any]] = [{}] * len(values)
            for k, part in enumerate(parts):
                rows[k::workers] = part.result()
            return rows

        t, rows = timed(run)
        self.failures += rows != self.reference_rows
        return t

    def sweep(self, executor: Executor | None, chunk: int) -> tuple[float, str]:
        if chunk == SPLIT:
            assert executor is not None
            return self.split(executor, self.workers), ""
        t, res = timed(
            lambda: run_scenario(
                self.sc, axes=self.axes, executor=executor, chunksize=chunk or None
            )
        )
        text = res.to_json()
        if self.reference is None:
            self.reference = text
            table = res.outputs["table"]
            self.reference_rows = [_row(table["columns"], row) for row in table["rows"]]
        self.failures += text != self.reference
        return t, text

    def run(
        self, configs: list[Config], pids: Sequence[int] = (), startup: float | None = None
    ) -> None:
        """Times ``configs`` in turns; their executors share the workers ``pids``."""
        names = ", ".join(dict.fromkeys(name for name, _, _ in configs))
        print(f"timing {names}: load {os.getloadavg()[0]:.2f}", flush=True)
        rows = [Row(c) for c in configs]
        first = next((row for row in rows if row.config[1] is not None), None)
        if first is not None and startup is not None:  # the first sweep on fresh workers
            first.startup = startup
            first.cold = self.sweep(first.config[1], first.config[2])[0]
        warm = [Axis.linspace("theta", 0.0, 1.0, 8)]
        for _, executor, _ in configs:  # imports and first calls in every process, untimed
            run_scenario(self.sc, axes=warm, executor=executor, chunksize=1)
        if self.reference is None and rows[0].config[2] == SPLIT:
            raise ValueError("the static split needs a reference sweep timed before it")
        every = [os.getpid(), *pids]
        self.helper.submit(one_process, self.data, warm).result()
        ref = math.inf
        for _ in range(self.repeat):
            ref = min(ref, self.helper.submit(one_process, self.data, self.axes).result())
            for row in rows:
                _, executor, chunk = row.config
                cpu0, here0 = cpu_seconds(every), cpu_seconds(every[:1])
                with counting(executor) as tasks:
                    t, _ = self.sweep(executor, chunk)
                cpu1, here1 = cpu_seconds(every), cpu_seconds(every[:1])
                row.times.append(t)
                if t < row.best:
                    row.best = t
                    row.cpu = None if cpu0 is None or cpu1 is None else cpu1 - cpu0
                    row.cpu_here = None if here0 is None or here1 is None else here1 - here0
                    row.tasks = tasks[0] if executor is not None else None
                if chunk == SPLIT:
                    continue
                t, res = timed(
                    lambda e=executor, c=chunk: run_sweep(
                        null_point, self.axes, seed=1, executor=e, chunksize=c or None
                    )
                )
                self.failures += res.to_dict() != self.null_reference
                row.null = min(row.null, t)
        for row in rows:
            row.ref = ref
        self.rows += rows


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
        help="points per task to try (0: automatic, smaller near the end)",
    )
    p.add_argument("--repeat", type=int, default=3, help="rounds; the best time is kept")
    p.add_argument("--no-dask", action="store_true", help="process pool only")
    p.add_argument(
        "--no-dask-quiet", action="store_true", help="skip the quiet variants of Dask's rows"
    )
    p.add_argument(
        "--no-dask-cli",
        action="store_true",
        help="skip the clusters started with `dask scheduler` / `dask worker`",
    )
    args = p.parse_args(argv)
    if args.small:
        args.points, args.shots, args.repeat = 24, 20, 1
    data = workload(args.qubits, args.shots)
    sc = scenario_from_dict(data, "bench_parallel")
    axes = [Axis.linspace("theta", 0.0, 3.0, args.points)]
    method = run_scenario(sc).outputs["method"]
    print(
        f"sweep: {args.points} points x {args.shots} shots, noisy {args.qubits}-qubit circuit "
        f"(method {method}); {args.workers} workers; best of {args.repeat}; "
        f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}"
    )
    # Dask's LocalCluster runs its scheduler in this process, on a thread that takes the
    # GIL: the one-process and pool runs are timed before it starts, so it cannot slow them.
    # A helper process times the one-process sweep in every phase's turns as well.
    with ProcessPoolExecutor(max_workers=1) as helper:
        bench = Bench(data, axes, args.repeat, args.workers, helper)
        with process_pool(args.workers) as (pool, startup, pids):
            configs = [("process-pool", pool, c) for c in args.chunksize]
            bench.run(
                [("sequential", None, 0), *configs, ("static-split", pool, SPLIT)], pids, startup
            )
        for name, quiet, start, skipped in (
            ("dask", False, dask_cluster, False),
            ("dask-quiet", True, dask_cluster, False),
            ("dask-cli", False, dask_cli_cluster, args.no_dask_cli),
            ("dask-cli-quiet", True, dask_cli_cluster, args.no_dask_cli),
        ):
            if skipped or args.no_dask or (quiet and args.no_dask_quiet):
                continue
            with start(args.workers, quiet=quiet) as found:
                if found is not None:
                    executor, startup, pids = found
                    configs = [(name, executor, c) for c in args.chunksize]
                    bench.run([*configs, (f"{name}-split", executor, SPLIT)], pids, startup)
    seq = bench.rows[0]
    print()
    print(
        f"{'executor':<20} {'workers':>7} {'chunk':>5} {'time s':>8} {'1-proc s':>8} "
        f"{'speed-up':>8} {'vs seq':>6} "
        f"{'ms/point':>9} {'overhead ms/point':>17} {'no-op ms/point':>14} "
        f"{'median s':>8} {'cpu s':>6} {'here s':>6} {'tasks':>5} {'ms/task':>7} "
        f"{'start-up s':>10} {'cold s':>6} {'cold speed-up':>13}"
    )
    for row in bench.rows:
        (name, executor, chunk), t, ref = row.config, row.best, row.ref
        workers = 1 if executor is None else args.workers
        label = "-" if executor is None or chunk == SPLIT else chunk or "auto"
        overhead = "-" if executor is None else f"{1e3 * (t - ref / workers) / args.points:.2f}"
        cpu = "-" if row.cpu is None else f"{row.cpu:.2f}"
        here = "-" if row.cpu_here is None else f"{row.cpu_here:.2f}"
        tasks = "-" if not row.tasks else str(row.tasks)
        per_task = "-" if not row.tasks else f"{1e3 * (t - ref / workers) / row.tasks:.1f}"
        null = "-" if math.isinf(row.null) else f"{1e3 * row.null / args.points:.3f}"
        startup = "-" if row.startup is None else f"{row.startup:.2f}"
        cold = "-" if row.cold is None else f"{row.cold:.2f}"
        cold_speedup = (
            "-"
            if row.startup is None or row.cold is None
            else f"{ref / (row.startup + row.cold):.2f}"
        )
        print(
            f"{name:<20} {workers:>7} {label:>5} {t:>8.2f} {ref:>8.2f} "
            f"{ref / t:>8.2f} {seq.best / t:>6.2f} "
            f"{1e3 * t / args.points:>9.2f} {overhead:>17} {null:>14} "
            f"{statistics.median(row.times):>8.2f} {cpu:>6} {here:>6} {tasks:>5} {per_task:>7} "
            f"{startup:>10} {cold:>6} "
            f"{cold_speedup:>13}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if bench.failures:
        print(f"FAILED: {bench.failures} run(s) gave a table different from the sequential one")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
