"""How a run cuts its items into chunks for an executor (``ChunkPlan``, ``run_chunked``).

The plan is checked with made-up costs, so its sizes are exact; the runs on executors
check what does not depend on timing: every item once, in order, whole chunks kept on a
cancel, and chunks that grow once a task is seen to cost far more than its items.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from qtcore.parallel import DISPATCH_SHARE, CancelToken, ChunkPlan, auto_chunks, run_chunked
from qtcore.rng import Rng
from qtcore.sweep import Axis, run_sweep

needs_processes = pytest.mark.skipif(
    sys.platform == "emscripten", reason="Pyodide has no threads or processes"
)


def sizes_of(chunk: Sequence[int]) -> list[int]:
    """Each item's result is the size of the chunk it came in (module level: it pickles)."""
    return [len(chunk)] * len(chunk)


def chunk_sizes(results: list[int]) -> list[int]:
    """The chunk sizes a run used, read back from :func:`sizes_of`'s results."""
    sizes, i = [], 0
    while i < len(results):
        sizes.append(results[i])
        i += results[i]
    return sizes


def plan_sizes(plan: ChunkPlan) -> list[int]:
    return list(iter(plan.next_size, 0))


def test_chunk_plan_before_any_cost_is_known() -> None:
    """Rounds of one chunk per worker, 1/8 of a worker's share at most, shrinking at the end."""
    assert plan_sizes(ChunkPlan(200, 2)) == [13] * 12 + [11, 11, 6, 6, 3, 3, 1, 1, 1, 1]
    assert plan_sizes(ChunkPlan(5, 4)) == [1] * 5
    assert plan_sizes(ChunkPlan(0, 2)) == []
    assert ChunkPlan(200, 2).min_items() == 1


def test_chunk_plan_grows_chunks_for_a_costly_executor() -> None:
    """Items of 4 ms and 10.1 ms per task beyond the work (a Dask round trip): a chunk takes
    at least 10.1 ms / (5 % of 4 ms) = 50.5 -> 51 items, and the last round splits the rest."""
    plan = ChunkPlan(200, 2)
    first = [plan.next_size(), plan.next_size()]
    plan.record(13, 0.052, 0.0621)
    assert plan.item_seconds == pytest.approx(0.004)
    assert plan.overhead == pytest.approx(0.0101)
    assert DISPATCH_SHARE == 0.05 and plan.min_items() == 51
    # 174 left: a round of 51 + 51; 72 left: 2 * 51 >= 72, so 36 + 36
    assert first + plan_sizes(plan) == [13, 13, 51, 51, 36, 36]


def test_chunk_plan_does_not_end_on_a_round_of_a_few_items() -> None:
    """5.7 ms items, 10 ms per task: at least 10 / (5 % of 5.7) = 35.1 -> 36 items. After
    four blind chunks of 13 and a round of 36 + 36, 76 are left: another round of 36 + 36
    would leave 2 + 2, each paying a whole task's cost, so the last round is 38 + 38."""
    plan = ChunkPlan(200, 2)
    blind = [plan.next_size() for _ in range(4)]
    plan.record(13, 13 * 0.0057, 13 * 0.0057 + 0.010)
    assert plan.min_items() == 36
    sizes = blind + plan_sizes(plan)
    assert sizes == [13, 13, 13, 13, 36, 36, 38, 38]
    assert sum(sizes) == 200


def test_chunk_plan_keeps_small_chunks_for_a_cheap_executor() -> None:
    """0.3 ms per task (a local process pool) on 4 ms items: 2 items at least, so only the
    tail of single items changes."""
    plan = ChunkPlan(200, 2)
    first = [plan.next_size(), plan.next_size()]
    plan.record(13, 0.052, 0.0523)
    assert plan.min_items() == 2
    assert first + plan_sizes(plan) == [13] * 12 + [11, 11, 6, 6, 3, 3, 2, 2]


def test_chunk_plan_takes_the_least_overhead_and_the_mean_item() -> None:
    """A task that waited behind another (a long turnaround) does not raise the overhead."""
    plan = ChunkPlan(100, 2)
    plan.record(10, 0.1, 0.15)
    plan.record(30, 0.5, 2.0)  # queued behind a chunk: 1.5 s beyond its work
    plan.record(10, 0.2, 0.22)
    assert plan.overhead == pytest.approx(0.02)
    assert plan.item_seconds == pytest.approx(0.8 / 50)
    # the need is capped at the run's items, whatever the costs
    plan.record(10, 0.0, 1.0)
    assert plan.min_items() <= 100


@pytest.mark.parametrize(("items", "workers"), [(-1, 2), (5, 0), (True, 2), (5, 1.5)])
def test_chunk_plan_bad_input(items: Any, workers: Any) -> None:
    with pytest.raises(ValueError, match="must be an int"):
        ChunkPlan(items, workers)


def test_run_chunked_without_an_executor_runs_one_item_at_a_time() -> None:
    seen: list[tuple[int, int]] = []
    assert not run_chunked(sizes_of, list(range(5)), on_result=lambda i, r: seen.append((i, r)))
    assert seen == [(i, 1) for i in range(5)]
    with pytest.raises(ValueError, match="chunksize must be an int >= 1 or None, got 0"):
        run_chunked(sizes_of, [1], chunksize=0)


def _after(delay: float, fn: Callable[..., Any], *args: Any) -> Any:
    time.sleep(delay)
    return fn(*args)


class _SlowDispatch(ThreadPoolExecutor):
    """Two threads whose tasks each start 20 ms after they are submitted, as a cluster's
    would: the plan sees 20 ms per task beyond microseconds of work."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(_after, 0.02, fn, *args)


@needs_processes
def test_run_chunked_grows_chunks_once_a_task_costs_more_than_its_items() -> None:
    """40 items on 2 workers start in chunks of 3; once a chunk is back, 20 ms per task on
    items of microseconds asks for more items than are left, so the rest goes out as one
    even round (after the first round, or the second if all four first chunks were
    submitted before any came back). Without learning it would be 3s, then 1s."""
    results: list[int] = []
    with _SlowDispatch() as slow:
        run_chunked(
            sizes_of,
            list(range(40)),
            executor=slow,
            on_result=lambda i, r: results.append(r),
        )
    assert len(results) == 40
    assert chunk_sizes(results) in ([3, 3, 17, 17], [3, 3, 3, 3, 14, 14])
    assert auto_chunks(slow, 40) == [3] * 12 + [1] * 4  # what it would have sent blind


@needs_processes
@pytest.mark.parametrize("executor_kind", ["threads", "processes"])
def test_run_chunked_hands_every_item_back_in_order(executor_kind: str) -> None:
    order: list[int] = []
    make = ThreadPoolExecutor if executor_kind == "threads" else ProcessPoolExecutor
    with make(max_workers=2) as executor:
        for chunksize in (None, 1, 7):
            order.clear()
            assert not run_chunked(
                sizes_of,
                list(range(50)),
                executor=executor,
                chunksize=chunksize,
                on_result=lambda i, r: order.append(i),
            )
            assert order == list(range(50))
        assert not run_chunked(sizes_of, [], executor=executor, on_result=lambda i, r: 1 / 0)


@needs_processes
def test_run_chunked_cancel_keeps_whole_chunks() -> None:
    """A cancel seen while a chunk is handed back keeps that chunk whole: the kept items
    end on a chunk boundary at or after the item that cancelled, and no later chunk."""
    with _SlowDispatch() as slow:
        for cancel_at in (1, 5, 20, 33):
            token = CancelToken()
            results: list[int] = []

            def take(
                i: int, r: int, n: int = cancel_at, t: CancelToken = token, out: list[int] = results
            ) -> None:
                out.append(r)
                if i == n:
                    t.cancel()

            stopped = run_chunked(
                sizes_of, list(range(40)), executor=slow, on_result=take, cancel=token
            )
            sizes = chunk_sizes(results)
            assert sum(sizes) == len(results) > cancel_at
            assert sum(sizes[:-1]) <= cancel_at  # the cancelling item is in the last chunk
            assert stopped == (len(results) < 40)


@needs_processes
def test_run_chunked_cancel_from_another_thread_while_a_chunk_runs(
    cancel_on: Callable[[threading.Event, CancelToken], None],
) -> None:
    release = threading.Event()
    started = threading.Event()
    token = CancelToken()

    def blocked(chunk: Sequence[int]) -> list[int]:
        if 0 in chunk:
            started.set()
            release.wait(timeout=30)
        return list(chunk)

    cancel_on(started, token)
    seen: list[int] = []
    with ThreadPoolExecutor(max_workers=2) as threads:
        stopped = run_chunked(
            blocked,
            list(range(20)),
            executor=threads,
            cancel=token,
            on_result=lambda i, r: seen.append(i),
        )
        assert stopped and seen == []
        release.set()


def wave(point: dict[str, float], seed: int) -> dict[str, float]:
    return {"y": point["x"] ** 2, "u": Rng(seed).random()}


@needs_processes
def test_sweep_in_learned_chunks_reports_every_point_in_order() -> None:
    """However the plan cuts the sweep, progress comes once per point, in sweep order,
    and the table is the one-process table."""
    axes = [Axis.linspace("x", 0.0, 1.0, 30)]
    seen: list[int] = []
    with _SlowDispatch() as slow:
        par = run_sweep(wave, axes, seed=3, executor=slow, progress=lambda d, t, p: seen.append(d))
    assert seen == list(range(1, 31))
    assert par.to_dict() == run_sweep(wave, axes, seed=3).to_dict()
