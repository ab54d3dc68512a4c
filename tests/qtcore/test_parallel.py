"""Sweeps, Monte-Carlo runs and shot batches on executors: same results as in one process.

The reference for every executor run is the sequential run (``executor=None``), whose
seeds are derived per point / repetition / batch; the shot-batch counts are also checked
against the ``simulate`` calls they are defined to add up. Dask's cluster is in
``test_parallel_dask.py``.
"""

from __future__ import annotations

import functools
import io
import math
import multiprocessing
import operator
import pickle
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from qtcore import Circuit, ExecutorError, NoiseModel, ReadoutError, SimulationError, simulate
from qtcore.cli import _process_pool, main
from qtcore.montecarlo import monte_carlo
from qtcore.ops import Gate, UnitaryGate
from qtcore.ops._gates import InverseGate
from qtcore.parallel import (
    CancelToken,
    auto_chunks,
    auto_chunksize,
    default_window,
    run_ordered,
    run_shot_batches,
)
from qtcore.rng import Rng, derive_seed
from qtcore.scenario import load_scenario, run_scenario
from qtcore.sweep import Axis, run_sweep

needs_processes = pytest.mark.skipif(
    sys.platform == "emscripten", reason="Pyodide has no threads or processes"
)


# Module-level task functions: a process pool's workers import them by name.
def biased_coin(seed: int) -> bool:
    return Rng(seed).random() < 0.3


def noisy_point(point: dict[str, float], seed: int) -> dict[str, Any]:
    rng = Rng(seed)
    return {"y": math.sin(point["x"]) * point["k"], "noise": {"u": rng.random()}}


def noisy_point_1d(point: dict[str, float], seed: int) -> dict[str, Any]:
    return {"y": math.cos(point["x"]), "u": Rng(seed).random()}


def failing_point(point: dict[str, float], seed: int) -> dict[str, Any]:
    if point["x"] == 3.0:
        raise ValueError(f"no point at x = {point['x']}")
    return {"x2": point["x"] ** 2}


def dying_point(point: dict[str, float], seed: int) -> dict[str, Any]:
    if point["x"] == 3.0:
        import os

        os._exit(3)  # the worker process dies, as one killed by the OOM killer would
    return {"x2": point["x"] ** 2}


def _bell_noisy() -> tuple[Circuit, NoiseModel]:
    c = Circuit(2, 2)
    c.h(0).cx(0, 1).measure([0, 1], [0, 1])
    noise = NoiseModel()
    noise.add_readout_error(ReadoutError(0.05, 0.05))
    return c, noise


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(max_workers=2) as p:
        yield p


AXES = [Axis.linspace("x", 0.0, 3.0, 7), Axis.grid("k", [1.0, -2.0, 0.5])]


@needs_processes
@pytest.mark.parametrize("chunksize", [None, 1, 4])
def test_sweep_on_process_pool_equals_sequential(pool: ProcessPoolExecutor, chunksize: int) -> None:
    seq_progress: list[tuple[int, int, dict[str, float]]] = []
    par_progress: list[tuple[int, int, dict[str, float]]] = []
    seq = run_sweep(noisy_point, AXES, seed=17, progress=lambda *a: seq_progress.append(a))
    par = run_sweep(
        noisy_point,
        AXES,
        seed=17,
        executor=pool,
        chunksize=chunksize,
        progress=lambda *a: par_progress.append(a),
    )
    assert par.to_dict() == seq.to_dict()
    assert par_progress == seq_progress  # in sweep order, one call per point
    assert [d for d, _, _ in par_progress] == list(range(1, 22))
    # and the outputs are the function's at the documented seeds
    row = par.rows[5]
    assert row.seed == derive_seed(17, "point", (("k", "0.5"), ("x", "0.5")))
    assert row.outputs["noise.u"] == Rng(row.seed).random()


@needs_processes
def test_monte_carlo_on_process_pool_equals_sequential(pool: ProcessPoolExecutor) -> None:
    for kwargs in (
        {"repetitions": 1000, "batch": 64},
        {"target_width": 0.06, "batch": 50},  # stops at a batch boundary, later ones dropped
        {"target_width": 1e-4, "max_repetitions": 700, "batch": 100},
    ):
        seq = monte_carlo(biased_coin, seed=5, **kwargs)  # type: ignore[arg-type]
        par = monte_carlo(biased_coin, seed=5, executor=pool, **kwargs)  # type: ignore[arg-type]
        assert par.samples == seq.samples
        assert (par.status, par.repetitions, par.estimate) == (
            seq.status,
            seq.repetitions,
            seq.estimate,
        )
    assert seq.status == "max_repetitions" and seq.repetitions == 700


@needs_processes
def test_shot_batches_sum_their_simulate_calls(pool: ProcessPoolExecutor) -> None:
    circ, noise = _bell_noisy()
    seq = run_shot_batches(circ, 2500, seed=3, batch_shots=400, noise=noise)
    par = run_shot_batches(circ, 2500, seed=3, batch_shots=400, noise=noise, executor=pool)
    assert par.to_dict() == seq.to_dict()
    expected: Counter[str] = Counter()
    for b in range(7):  # 6 batches of 400 and one of 100
        n = 400 if b < 6 else 100
        expected.update(simulate(circ, n, seed=derive_seed(3, "shots", b), noise=noise).counts)
    assert seq.counts == dict(sorted(expected.items()))
    assert seq.batches == 7 and seq.done == 2500 and seq.method == "branching"
    per_shot = run_shot_batches(
        circ, 2500, seed=3, batch_shots=400, noise=noise, method="trajectories", executor=pool
    )
    assert per_shot.method == "trajectories" and sum(per_shot.counts.values()) == 2500
    # readout error 5 %: the bits disagree with probability 2 * 0.95 * 0.05 = 0.095
    disagree = (seq.counts.get("01", 0) + seq.counts.get("10", 0)) / 2500
    assert abs(disagree - 0.095) < 6 * math.sqrt(0.095 * 0.905 / 2500)


def test_shot_batches_bad_input_and_cancel() -> None:
    circ, _ = _bell_noisy()
    with pytest.raises(SimulationError, match="batch_shots must be an integer >= 1"):
        run_shot_batches(circ, 10, seed=1, batch_shots=0)
    with pytest.raises(SimulationError, match="shots must be an integer >= 1, got True"):
        run_shot_batches(circ, True, seed=1, batch_shots=5)
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int, counts: dict[str, int]) -> None:
        seen.append(done)
        assert sum(counts.values()) == done
        if done >= 20:
            token.cancel()

    res = run_shot_batches(circ, 100, seed=1, batch_shots=10, progress=progress, cancel=token)
    assert res.status == "cancelled" and res.done == 20 and seen == [10, 20]
    assert sum(res.counts.values()) == 20


@needs_processes
def test_scenarios_on_process_pool_equal_sequential(pool: ProcessPoolExecutor) -> None:
    for name in ("sweep_rotation_angle", "sweep_interferometer_height", "noisy_bell"):
        sc = load_scenario(f"scenarios/{name}.toml")
        seq = run_scenario(sc)
        par = run_scenario(sc, executor=pool, chunksize=3)
        assert par.to_json() == seq.to_json()
        assert par.passed


@needs_processes
def test_cancel_stops_submitting_and_keeps_the_finished_prefix(
    pool: ProcessPoolExecutor,
) -> None:
    # (executor, chunksize, rows kept): a cancel is seen between tasks, so with chunks of 2
    # the chunk that was being handed back when it came is kept whole.
    for executor, chunksize, kept in ((None, None, 3), (pool, 1, 3), (pool, 2, 4)):
        token = CancelToken()

        def progress(done: int, total: int, point: dict[str, float], t: Any = token) -> None:
            if done == 3:
                t.cancel()

        res = run_sweep(
            noisy_point,
            AXES,
            seed=1,
            executor=executor,
            chunksize=chunksize,
            progress=progress,
            cancel=token,
        )
        assert res.status == "cancelled" and [r.index for r in res.rows] == list(range(kept))


@needs_processes
def test_cancel_while_every_task_is_still_running() -> None:
    """A cancel set by another thread ends the wait; the blocked tasks are left running."""
    release = threading.Event()
    started = threading.Semaphore(0)
    token = CancelToken()

    def blocked(_: int) -> int:
        started.release()
        release.wait(timeout=60)
        return 0

    def cancel_when_started() -> None:
        started.acquire(timeout=60)
        started.acquire(timeout=60)
        token.cancel()

    canceller = threading.Thread(target=cancel_when_started)
    canceller.start()
    with ThreadPoolExecutor(max_workers=2) as threads:
        results: list[int] = []
        stopped = run_ordered(
            blocked,
            list(range(10)),
            executor=threads,
            cancel=token,
            on_result=lambda i, r: results.append(i),
            window=2,
        )
        assert stopped and results == []
        assert not release.is_set()  # returned while both tasks were still blocked
        release.set()
    canceller.join()


class _CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts its submissions."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@needs_processes
def test_a_slow_first_task_does_not_hold_back_the_others() -> None:
    """The window counts unfinished tasks: finished ones wait for their turn, and meanwhile
    the free worker takes the next task (here task 2, which the first task waits for)."""
    second_ran = threading.Event()

    def task(i: int) -> bool:
        if i == 0:
            return second_ran.wait(timeout=30)  # False if task 2 never ran meanwhile
        if i == 2:
            second_ran.set()
        return True

    handed: list[tuple[int, bool]] = []
    with ThreadPoolExecutor(max_workers=2) as threads:
        run_ordered(
            task, list(range(6)), executor=threads, window=2, on_result=lambda *a: handed.append(a)
        )
    assert handed == [(i, True) for i in range(6)]


@needs_processes
def test_tasks_submitted_ahead_of_a_slow_one_are_bounded() -> None:
    """While the first task runs, the others finish, but at most 4 * window are submitted
    ahead of it (a Monte-Carlo run that stops at its first batch wastes little)."""
    release = threading.Event()
    seen: list[int] = []

    def task(i: int) -> int:
        if i == 0:
            release.wait(timeout=30)
        return i

    def cancel(executor: _CountingExecutor) -> bool:
        if not release.is_set():  # polled while waiting: release once submitting stopped
            seen.append(executor.submitted)
            if len(seen) >= 5 and len(set(seen[-5:])) == 1:
                release.set()
        return False

    with _CountingExecutor(2) as spy:
        handed: list[int] = []
        run_ordered(
            task,
            list(range(40)),
            executor=spy,
            window=2,
            poll=0.01,
            cancel=lambda: cancel(spy),
            on_result=lambda i, r: handed.append(r),
        )
    assert handed == list(range(40))
    assert seen[-1] == max(seen) == 8  # 4 * window submitted, no more, while task 0 ran


@needs_processes
def test_no_task_after_a_failed_one_is_submitted() -> None:
    """Task 1 fails while task 0 still runs: task 0 is handed back, then task 1's error is
    raised, and no task after task 1 was ever started."""
    release = threading.Event()
    seen: list[int] = []

    def task(i: int) -> int:
        if i == 0:
            release.wait(timeout=30)
        if i == 1:
            raise ValueError("task 1 fails")
        return i

    def cancel(executor: _CountingExecutor) -> bool:
        seen.append(executor.submitted)
        if len(seen) >= 5 and len(set(seen[-5:])) == 1:
            release.set()
        return False

    handed: list[int] = []
    with _CountingExecutor(2) as spy, pytest.raises(ValueError, match="task 1 fails"):
        run_ordered(
            task,
            list(range(50)),
            executor=spy,
            window=2,
            poll=0.01,
            cancel=lambda: cancel(spy),
            on_result=lambda i, r: handed.append(r),
        )
    assert handed == [0]
    assert spy.submitted == 2


@needs_processes
def test_failing_point_raises_in_sweep_order(pool: ProcessPoolExecutor) -> None:
    axes = [Axis.linspace("x", 0.0, 5.0, 6)]
    rows: list[int] = []
    for executor in (None, pool):
        rows.clear()
        with pytest.raises(ValueError, match=r"no point at x = 3\.0"):
            run_sweep(
                failing_point,
                axes,
                seed=1,
                executor=executor,
                on_row=lambda r: rows.append(r.index),
            )
        assert rows == [0, 1, 2]


@needs_processes
def test_a_lambda_on_a_process_pool_is_a_clear_error(pool: ProcessPoolExecutor) -> None:
    with pytest.raises(TypeError, match="needs a module-level function") as info:
        run_sweep(lambda p, s: {"y": p["x"]}, AXES, seed=1, executor=pool)
    assert "<lambda>" in str(info.value)
    # an AttributeError raised by the task itself is not mistaken for one
    with pytest.raises(AttributeError, match="no_such_attribute"):
        run_ordered(operator.attrgetter("no_such_attribute"), ["text"], executor=pool)


@needs_processes
def test_bad_window_and_chunksize() -> None:
    with (
        ThreadPoolExecutor(max_workers=1) as threads,
        pytest.raises(ValueError, match="window must be an int >= 1, got 0"),
    ):
        run_ordered(abs, [1], executor=threads, window=0)
    with pytest.raises(ValueError, match="chunksize must be an int >= 1 or None, got 0"):
        run_sweep(noisy_point, AXES, seed=1, chunksize=0)


@needs_processes
def test_auto_chunksize_gives_each_worker_about_eight_tasks(pool: ProcessPoolExecutor) -> None:
    assert auto_chunksize(pool, 200) == 13  # ceil(200 / 16): 16 tasks for 2 workers
    assert auto_chunksize(pool, 5) == 1
    assert default_window(pool) == 4
    with ThreadPoolExecutor(max_workers=3) as threads:
        assert auto_chunksize(threads, 240) == 10 and default_window(threads) == 6


@needs_processes
def test_auto_chunks_shrink_near_the_end(pool: ProcessPoolExecutor) -> None:
    # 2 workers: rounds of 2 tasks, each min(13, ceil(left / 4)) of the 200 points left
    assert auto_chunks(pool, 200) == [13] * 12 + [11, 11, 6, 6, 3, 3, 1, 1, 1, 1]
    assert auto_chunks(pool, 40) == [3] * 12 + [1] * 4
    assert auto_chunks(pool, 1) == [1]
    for workers in (1, 2, 3, 8):
        with ThreadPoolExecutor(max_workers=workers) as threads:
            for items in (1, 2, 7, 50, 199, 1000):
                sizes = auto_chunks(threads, items)
                assert sum(sizes) == items and min(sizes) >= 1
                assert sizes == sorted(sizes, reverse=True)
                assert sizes[0] == auto_chunksize(threads, items)
                assert sizes[-1] == 1  # the last task is one item


@needs_processes
def test_auto_chunks_cancel_keeps_a_finished_prefix(pool: ProcessPoolExecutor) -> None:
    """A cancel seen while a chunk is handed back keeps that chunk whole, in order; how
    large the chunks are depends on what they cost (test_parallel_chunks.py checks the
    chunk boundaries)."""
    axes = [Axis.linspace("x", 0.0, 3.9, 40)]
    full = run_sweep(noisy_point_1d, axes, seed=4)
    for cancel_at in (2, 20, 37):
        token = CancelToken()

        def progress(
            done: int, total: int, point: dict[str, float], n: int = cancel_at, t: Any = token
        ) -> None:
            if done == n:
                t.cancel()

        res = run_sweep(
            noisy_point_1d, axes, seed=4, executor=pool, progress=progress, cancel=token
        )
        kept = len(res.rows)
        assert kept >= cancel_at
        assert res.status == ("cancelled" if kept < 40 else "completed")
        assert [r.to_dict() for r in res.rows] == [r.to_dict() for r in full.rows[:kept]]


@needs_processes
def test_cancel_mid_chunk_drops_the_unfinished_chunk(
    cancel_on: Callable[[threading.Event, CancelToken], None],
) -> None:
    """A cancel from another thread while a chunk is half done returns at once with the
    chunks finished before it; the half-done chunk's finished points are dropped."""
    blocked = threading.Event()
    release = threading.Event()
    token = CancelToken()

    def point(p: dict[str, float], seed: int) -> dict[str, Any]:
        if p["x"] == 4.0:  # the second point of the second chunk (3, 4, 5)
            blocked.set()
            release.wait(timeout=30)
        return {"y": p["x"]}

    cancel_on(blocked, token)
    seen: list[int] = []
    with ThreadPoolExecutor(max_workers=1) as threads:
        res = run_sweep(
            point,
            [Axis.linspace("x", 0.0, 8.0, 9)],
            seed=2,
            executor=threads,
            chunksize=3,
            cancel=token,
            progress=lambda d, t, p: seen.append(d),
        )
        assert not release.is_set()  # returned while point 4 was still running
        release.set()
    assert res.status == "cancelled" and [r.index for r in res.rows] == [0, 1, 2]
    assert seen == [1, 2, 3]


def test_gates_pickle_to_workers() -> None:
    c = Circuit(3)
    c.h(0).rx(0.25, 1).cx(0, 2)
    c.append(Gate("mcx", (), num_controls=2), [0, 1, 2])
    c.append(UnitaryGate([[0, 1j], [1j, 0]], label="ix"), [1])
    c.append(InverseGate(Gate("iswap")), [0, 1])
    sub = Circuit(2)
    sub.h(0).cx(0, 1)
    c.append(sub.to_gate("bell"), [1, 2])
    back = pickle.loads(pickle.dumps(c))
    assert back == c
    a = simulate(c).state_vector
    b = simulate(back).state_vector
    assert max(abs(x - y) for x, y in zip(a, b)) == 0.0


@needs_processes
def test_cli_workers_equal_sequential(tmp_path: Any) -> None:
    def run(*argv: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        assert main(list(argv), stdout=out, stderr=err) == 0, err.getvalue()
        return out.getvalue()

    sweep = ["sweep", "sweep_rotation_angle", "--format", "csv"]
    assert run(*sweep, "--workers", "2", "--chunksize", "3") == run(*sweep)
    assert run("run", "noisy_bell", "--format", "json", "--workers", "2") == run(
        "run", "noisy_bell", "--format", "json"
    )
    qasm = tmp_path / "bell.qasm"
    qasm.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
    )
    batched = ["run", str(qasm), "--shots", "3000", "--shot-batch", "700", "--format", "json"]
    assert run(*batched, "--workers", "2") == run(*batched)


@needs_processes
def test_cli_pool_from_a_fork_server_starts_with_qtcore_loaded() -> None:
    """Python 3.14 starts pool workers from a fork server on Linux: the CLI's pool has the
    server import qtcore once, so a worker has it before its first task needs it."""
    loaded = functools.partial(
        eval,
        "sorted(m for m in __import__('sys').modules if m in ('qtcore.scenario', 'qtcore.sim'))",
    )
    with _process_pool(2, "forkserver") as pool:
        assert pool.submit(loaded).result() == ["qtcore.scenario", "qtcore.sim"]
        sc = load_scenario("scenarios/sweep_rotation_angle.toml")
        assert run_scenario(sc, executor=pool).to_json() == run_scenario(sc).to_json()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as plain:
        assert plain.submit(loaded).result() == []  # what the preload saves


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "noisy_bell", "--workers", "0"], "--workers: expected a whole number >= 1"),
        (["run", "noisy_bell", "--workers", "2", "--scheduler", "x:1"], "not both"),
        (["run", "noisy_bell", "--shot-batch", "10"], "--shot-batch applies to .qasm files"),
        (["sweep", "sweep_rotation_angle", "--chunksize", "-1"], "--chunksize: expected"),
        (["run", "noisy_bell", "--scheduler", "x", "--connect-timeout", "0"], "seconds > 0"),
    ],
)
def test_cli_worker_options_reject_bad_values(argv: list[str], message: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=out, stderr=err) == 2
    assert message in err.getvalue() and "Traceback" not in err.getvalue()


class CountingThreads(ThreadPoolExecutor):
    """A thread pool that counts the tasks submitted to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.tasks = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.tasks += 1
        return super().submit(fn, *args, **kwargs)


@needs_processes
def test_fixed_monte_carlo_and_shot_batches_send_chunks_of_batches() -> None:
    circ, noise = _bell_noisy()
    seq_progress: list[tuple[int, int, Any]] = []
    seq = monte_carlo(
        biased_coin, seed=6, repetitions=2000, batch=10, progress=lambda *a: seq_progress.append(a)
    )
    seq_shots = run_shot_batches(circ, 4000, seed=2, batch_shots=50, noise=noise)
    with CountingThreads() as threads:
        par_progress: list[tuple[int, int, Any]] = []
        par = monte_carlo(
            biased_coin,
            seed=6,
            repetitions=2000,
            batch=10,
            executor=threads,
            progress=lambda *a: par_progress.append(a),
        )
        mc_tasks, threads.tasks = threads.tasks, 0
        shots = run_shot_batches(circ, 4000, seed=2, batch_shots=50, noise=noise, executor=threads)
        shot_tasks = threads.tasks
    assert par.samples == seq.samples and par.estimate == seq.estimate
    assert par_progress == seq_progress and len(par_progress) == 200  # once per batch
    assert shots.to_dict() == seq_shots.to_dict()
    # 200 batches of 10 repetitions, 80 shot batches: several per task (the first tasks
    # take 13 and 5, later ones as many as the pool's cost per task asks for)
    assert 2 <= mc_tasks < 200 and 2 <= shot_tasks < 80


@needs_processes
def test_cancel_stops_between_batches_of_one_task() -> None:
    circ, _ = _bell_noisy()
    token = CancelToken()

    def progress(done: int, total: int, est: object) -> None:
        if done >= 30:
            token.cancel()

    with CountingThreads() as threads:
        # 100 batches: the first tasks take 7 batches each
        res = monte_carlo(
            biased_coin,
            seed=2,
            repetitions=1000,
            batch=10,
            progress=progress,
            cancel=token,
            executor=threads,
        )
        assert res.status == "cancelled" and res.repetitions == 30
        token = CancelToken()
        shots = run_shot_batches(
            circ, 1000, seed=1, batch_shots=10, progress=progress, cancel=token, executor=threads
        )
    assert shots.status == "cancelled" and shots.done == 30
    assert sum(shots.counts.values()) == 30


class ClosingThreads(ThreadPoolExecutor):
    """Runs the first ``keep`` tasks; the ones after come back cancelled, as a Dask
    cluster's futures do when its scheduler goes away (or, with ``refuse``, are refused,
    as by a Dask client that has closed)."""

    def __init__(self, keep: int, *, refuse: bool = False) -> None:
        super().__init__(max_workers=2)
        self.keep = keep
        self.refuse = refuse

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if self.keep > 0:
            self.keep -= 1
            return super().submit(fn, *args, **kwargs)
        if self.refuse:
            raise RuntimeError("Client is closed. Can't send update-graph message.")
        lost: Future[Any] = Future()
        lost.cancel()
        return lost


@needs_processes
def test_an_executor_that_drops_tasks_is_a_clear_error() -> None:
    # Before, the run ended in a bare CancelledError traceback.
    axis = [Axis.linspace("x", 0.0, 9.0, 10)]
    with ClosingThreads(keep=4) as lost, pytest.raises(ExecutorError) as info:
        run_sweep(noisy_point_1d, axis, seed=1, executor=lost, chunksize=1)
    assert str(info.value).startswith("the executor cancelled a task this run had sent it")
    assert "; the sweep stopped after 4 of 10 points (running it again" in str(info.value)
    with ClosingThreads(keep=3, refuse=True) as lost, pytest.raises(ExecutorError) as info:
        run_sweep(noisy_point_1d, axis, seed=1, executor=lost, chunksize=1)
    # 0 to 3 points: the 4th task is sent when a worker is free, maybe before any came back
    assert re.fullmatch(
        r"the executor refused a task: RuntimeError: Client is closed\. Can't send "
        r"update-graph message; the sweep stopped after [0-3] of 10 points \(running it "
        r"again gives the same table\)",
        str(info.value),
    ), str(info.value)
    with ClosingThreads(keep=0) as lost, pytest.raises(ExecutorError, match="cancelled a task"):
        monte_carlo(biased_coin, seed=3, repetitions=50, executor=lost)


@needs_processes
def test_a_pool_whose_worker_dies_is_a_clear_error() -> None:
    axis = [Axis.linspace("x", 0.0, 3.0, 4)]
    with ProcessPoolExecutor(max_workers=2) as broken, pytest.raises(ExecutorError) as info:
        run_sweep(dying_point, axis, seed=1, executor=broken, chunksize=1)
    message = str(info.value)
    assert message.startswith("the executor broke: A process in the process pool was terminated")
    assert re.search(r"; the sweep stopped after [0-3] of 4 points", message), message


@needs_processes
def test_cli_says_the_executor_broke_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import qtcore.cli

    monkeypatch.setattr(qtcore.cli, "_process_pool", lambda workers: ClosingThreads(keep=2))
    out, err = io.StringIO(), io.StringIO()
    argv = ["sweep", "sweep_rotation_angle", "--workers", "2", "--chunksize", "1"]
    assert main(argv, stdout=out, stderr=err) == 2
    assert "qtcore: error: the executor cancelled a task" in err.getvalue()
    assert "; the sweep stopped after 2 of 8 points" in err.getvalue()
    assert "Traceback" not in err.getvalue() and out.getvalue() == ""
