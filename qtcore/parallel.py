"""Running independent tasks on any :class:`concurrent.futures.Executor`, in order.

Sweeps (:func:`qtcore.sweep.run_sweep`), Monte-Carlo runs
(:func:`qtcore.montecarlo.monte_carlo`) and shot batches (:func:`run_shot_batches`) are
lists of independent tasks, each with its own derived seed. :func:`run_ordered` runs such a
list either in this process (``executor=None``, one task after another) or on an executor
-- a local :class:`~concurrent.futures.ProcessPoolExecutor`, a thread pool, or a Dask
cluster through ``distributed.Client(address).get_executor()`` -- and hands the results
back **in task order**, so callbacks, tables and estimates are the same whatever the
executor and however many workers it has.

With an executor, at most ``window`` tasks are unfinished (queued or running) at once, and a
new one is submitted as soon as *any* of them finishes: a finished result waits here for
its turn, so one slow task does not leave the other workers idle (at most ``4 * window``
tasks are submitted ahead of the next one handed back). Cancelling, or a caller that has
seen enough (a Monte-Carlo run that reached its target width), stops submitting and cancels
the tasks that have not started; tasks already running on a worker finish there and their
results are dropped. The cancel check is polled while
waiting, so a cancel takes effect within ``poll`` seconds even when every task is slow.

A sweep's points, the batches of a fixed number of Monte-Carlo repetitions and shot
batches go out in chunks (:func:`run_chunked`): a task runs many of them, so the executor's
cost per task -- a fraction of a millisecond on a local pool, milliseconds of scheduler,
messages and CPU on Dask -- is paid once per chunk. :class:`ChunkPlan` sizes the chunks as
the run goes, from what the first ones cost.

A task's function and arguments travel to the workers by pickling (Dask uses
cloudpickle): pass module-level functions or instances of module-level classes, not
lambdas or closures, to a process pool.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from qtcore.errors import ExecutorError, SimulationError
from qtcore.rng import derive_seed
from qtcore.wire import js_safe

if TYPE_CHECKING:
    import concurrent.futures as cf

    from qtcore.circuit import Circuit
    from qtcore.noise import NoiseModel

__all__ = [
    "DISPATCH_SHARE",
    "CancelCheck",
    "CancelToken",
    "ChunkPlan",
    "ShotBatchResult",
    "auto_chunks",
    "auto_chunksize",
    "default_window",
    "is_cancelled",
    "run_chunked",
    "run_ordered",
    "run_shot_batches",
]

T = TypeVar("T")
R = TypeVar("R")


class _Cancellable(Protocol):
    @property
    def cancelled(self) -> bool: ...


CancelCheck = Callable[[], bool] | _Cancellable


class CancelToken:
    """A flag another part of the program sets to stop a sweep or Monte-Carlo run."""

    def __init__(self) -> None:
        self._cancelled = False

    def cancel(self) -> None:
        """Asks the run to stop before its next point."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled


def is_cancelled(cancel: CancelCheck | None) -> bool:
    """Evaluates a cancel callable or token (None = never cancelled)."""
    if cancel is None:
        return False
    if callable(cancel):
        return bool(cancel())
    return bool(cancel.cancelled)


def _workers(executor: cf.Executor) -> int | None:
    workers = getattr(executor, "_max_workers", None)
    if not isinstance(workers, int):
        client = getattr(executor, "_client", None)
        try:
            workers = sum(client.nthreads().values()) if client is not None else None
        except Exception:  # a client that cannot answer: fall back to the default
            workers = None
    return workers if isinstance(workers, int) and workers >= 1 else None


def default_window(executor: cf.Executor) -> int:
    """How many tasks to keep in flight on ``executor``: twice its workers, at least 4.

    The worker count is read where an executor exposes it (``_max_workers`` of the
    standard pools, the client's thread count for Dask's executor); otherwise 16.
    """
    workers = _workers(executor)
    return 16 if workers is None else max(4, 2 * workers)


def auto_chunksize(executor: cf.Executor, items: int) -> int:
    """The largest task :func:`auto_chunks` makes: about 1/8 of each worker's share.

    Fewer, larger tasks cost less dispatch per item (a Dask task costs milliseconds);
    eight per worker still keep progress moving.
    """
    workers = _workers(executor) or 8
    return max(1, -(-items // (8 * workers)))


def auto_chunks(executor: cf.Executor, items: int) -> list[int]:
    """How many items each task takes before anything is known of their cost.

    The tasks go out in rounds of one per worker; a task takes ``1 / (2 * workers)`` of the
    items not yet given out, at most :func:`auto_chunksize` and at least one. The last tasks
    are a few items each, so the workers finish close together even when items cost
    unequal times (equal tasks leave one worker alone with the last of them), and the run
    still takes only a few more tasks than equal chunks would. :func:`run_chunked` starts
    this way and then sizes the chunks from what the first ones cost (:class:`ChunkPlan`).

    Returns:
        the task sizes, in order; they add up to ``items``.
    """
    plan = ChunkPlan(items, _workers(executor) or 8)
    return list(iter(plan.next_size, 0))


#: The largest share of a chunk's time that sending it and taking its result back may
#: take when :class:`ChunkPlan` sizes the chunks: 5 %.
DISPATCH_SHARE = 0.05


class ChunkPlan:
    """Sizes the chunks of a run from what the finished ones cost.

    Chunks go out in rounds of one per worker. A round's chunks take ``1 / (2 * workers)``
    of the items not yet given out (the chunks shrink near the end, so the workers finish
    together), at most ``ceil(items / (8 * workers))`` (progress keeps moving) and at least
    one item. Once a chunk has finished (:meth:`record`), a chunk also takes at least
    enough items that the executor's cost per task -- the time from submitting a task to
    its result, less the time it ran on the worker (the least seen so far) -- is at most
    :data:`DISPATCH_SHARE` of its work: a process pool's fraction of a millisecond allows
    chunks of an item or two, a Dask cluster's milliseconds ask for larger ones. When a
    round of such chunks would use up the rest, or leave the round after it chunks of less
    than half that least size, the last round splits the rest evenly (so a run does not
    end on a round of a few items, each paying a whole task's cost).

    Args:
        items: how many items the run has (>= 0).
        workers: how many run at once (>= 1).
    """

    def __init__(self, items: int, workers: int) -> None:
        for name, value, least in (("items", items, 0), ("workers", workers, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        self.items = items
        self.workers = workers
        self.cap = max(1, -(-items // (8 * workers)))
        self.given = 0  # items handed out in chunks so far
        self.overhead: float | None = None  # least seconds a task took beyond its work
        self._work = 0.0  # seconds the recorded chunks ran
        self._timed = 0  # items in them
        self._size = 0  # this round's chunk size
        self._left = 0  # chunks of this round not yet handed out

    @property
    def item_seconds(self) -> float | None:
        """Mean seconds an item of the recorded chunks ran (None before any)."""
        return self._work / self._timed if self._timed else None

    def record(self, items: int, seconds: float, turnaround: float) -> None:
        """Learns from a finished chunk.

        Args:
            items: the chunk's items.
            seconds: how long it ran (timed where it ran).
            turnaround: seconds from submitting it to its result being here.
        """
        self._work += max(0.0, seconds)
        self._timed += items
        extra = max(0.0, turnaround - seconds)
        self.overhead = extra if self.overhead is None else min(self.overhead, extra)

    def min_items(self) -> int:
        """Fewest items a chunk takes so the task's overhead stays within its share."""
        per_item = self.item_seconds
        if per_item is None or self.overhead is None:
            return 1
        need = self.overhead / (DISPATCH_SHARE * max(per_item, 1e-9))
        return max(1, math.ceil(min(need, float(self.items))))

    def next_size(self) -> int:
        """The next chunk's size; 0 once every item is given out."""
        rest = self.items - self.given
        if rest <= 0:
            return 0
        if self._left == 0:  # a new round: one chunk per worker
            least = self.min_items()
            size = max(min(self.cap, -(-rest // (2 * self.workers))), least)
            # the last round takes the rest evenly: when this round would use it up, or
            # leave the round after it chunks of less than half the least size
            after = rest - size * self.workers
            if after <= 0 or 2 * -(-after // self.workers) < least:
                size = -(-rest // self.workers)
            self._size, self._left = size, self.workers
        size = min(self._size, rest)
        self._left -= 1
        self.given += size
        return size


def run_ordered(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    executor: cf.Executor | None = None,
    on_result: Callable[[int, R], bool | None] | None = None,
    cancel: CancelCheck | None = None,
    window: int | None = None,
    poll: float = 0.05,
    on_submit: Callable[[int, cf.Future[R]], None] | None = None,
) -> bool:
    """Runs ``fn(task)`` for every task and hands each result to ``on_result`` in task order.

    Args:
        fn: the task function (picklable when the executor runs other processes).
        tasks: the task arguments, one call each, taken from the iterable only as each task
            is submitted (a generator may size a task from the results handed back so far).
        executor: where to run; ``None`` runs the tasks here, one after another.
        on_result: ``on_result(index, result)``, called in this thread in task order;
            returning True stops the run (no later task is handed back).
        cancel: a callable returning True, or a :class:`CancelToken`; checked before each
            task is started and while waiting for one; True stops the run.
        window: most unfinished (queued or running) tasks at once (default
            :func:`default_window`); at most ``4 * window`` are submitted ahead of the next
            one handed back.
        poll: seconds between cancel checks while waiting for a result.
        on_submit: ``on_submit(index, future)``, called in this thread as each task is
            submitted to the executor (not without one).

    Returns:
        True if the run stopped because it was cancelled, else False.

    Raises:
        Exception: the first failing task's exception (in task order), after the tasks not
            yet started are cancelled.
        ExecutorError: the executor refused a task, or cancelled one this run had sent it
            (its Dask scheduler went away), or broke (a pool's worker process died).
        ValueError: ``window`` < 1 or ``poll`` <= 0.
    """
    if executor is None:
        for i, task in enumerate(tasks):
            if is_cancelled(cancel):
                return True
            result = fn(task)
            if on_result is not None and on_result(i, result):
                return False
        return False
    import concurrent.futures as cf  # here, not at import: the browser never needs it

    width = default_window(executor) if window is None else window
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"window must be an int >= 1, got {window!r}")
    if not poll > 0.0:
        raise ValueError(f"poll must be > 0 seconds, got {poll!r}")
    ahead = 4 * width  # most tasks submitted and not yet handed back
    todo: Iterator[T] = iter(tasks)
    peeked: list[T] = []  # a task taken from ``todo`` to learn whether any is left
    exhausted = False
    futures: dict[int, cf.Future[R]] = {}  # submitted, not yet handed back
    unfinished: set[cf.Future[R]] = set()
    next_task = 0  # the next task to submit
    failed = math.inf  # the first task seen to fail: nothing after it is submitted
    i = 0  # the next task to hand back

    def more() -> bool:
        """Whether a task is left (taking one from ``todo`` into ``peeked`` to find out)."""
        nonlocal exhausted
        if not peeked and not exhausted:
            peeked.extend(itertools.islice(todo, 1))
            exhausted = not peeked
        return bool(peeked)

    try:
        while True:
            while True:
                if i == next_task and not more():  # all handed back: finished, even if
                    return False  # cancelled meanwhile
                if is_cancelled(cancel):
                    return True
                for f in [f for f in unfinished if f.done()]:
                    unfinished.discard(f)
                    if not f.cancelled() and f.exception() is not None:
                        failed = min(failed, _index(futures, f))
                while (
                    not exhausted
                    and next_task < failed
                    and len(unfinished) < width
                    and next_task - i < ahead
                ):
                    if is_cancelled(cancel):
                        return True
                    if not more():
                        break
                    try:
                        future = executor.submit(fn, peeked.pop())
                    except Exception as e:  # closed or broken: a Dask client, a pool
                        raise ExecutorError(
                            f"the executor refused a task: {type(e).__name__}: {e}"
                        ) from e
                    futures[next_task] = future
                    unfinished.add(future)
                    if on_submit is not None:
                        on_submit(next_task, future)
                    next_task += 1
                if futures[i].done():
                    break
                cf.wait(unfinished, timeout=poll, return_when=cf.FIRST_COMPLETED)
            future = futures.pop(i)
            unfinished.discard(future)
            result = _result(future, fn)
            if on_result is not None and on_result(i, result):
                return False
            i += 1
    finally:
        for f in futures.values():
            f.cancel()


@dataclass(frozen=True)
class _TimedChunk:
    """Runs a chunk function and says how long it ran (picklable when ``fn`` is)."""

    fn: Callable[[Sequence[Any]], list[Any]]

    def __call__(self, chunk: Sequence[Any]) -> tuple[list[Any], float]:
        start = time.perf_counter()
        out = self.fn(chunk)
        return out, time.perf_counter() - start


def run_chunked(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    executor: cf.Executor | None = None,
    on_result: Callable[[int, R], bool | None] | None = None,
    cancel: CancelCheck | None = None,
    chunksize: int | None = None,
) -> bool:
    """Runs ``fn(chunk)`` over chunks of ``items`` and hands each item's result back in order.

    ``fn`` takes a list of items and returns one result per item, so a task carries many
    items and the executor's cost per task (milliseconds on Dask) is paid once per chunk.
    Without an executor every item is its own chunk, run here one after another.

    Args:
        fn: the chunk function (picklable when the executor runs other processes).
        items: the items, in order.
        executor: where the chunks run (:func:`run_ordered`); ``None``: here.
        on_result: ``on_result(index, result)`` for each item, in item order, in this
            thread; returning True stops the run.
        cancel: a callable returning True, or a :class:`CancelToken`; checked before each
            chunk is submitted and while waiting (a chunk not yet handed back is dropped
            whole; one being handed back is kept whole).
        chunksize: items per chunk; ``None`` sizes them as they go (:class:`ChunkPlan`):
            small at first, then from what the first chunks cost. Ignored without an
            executor.

    Returns:
        True if the run stopped because it was cancelled, else False.

    Raises:
        ValueError: ``chunksize`` not an int >= 1 or None.
        Exception: the first failing chunk's exception.
    """
    if chunksize is not None and (
        isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1
    ):
        raise ValueError(f"chunksize must be an int >= 1 or None, got {chunksize!r}")
    n = len(items)
    plan: ChunkPlan | None = None
    if executor is None:
        sizes: Iterator[int] = iter([1] * n)
    elif chunksize is None:
        plan = ChunkPlan(n, _workers(executor) or 8)
        sizes = iter(plan.next_size, 0)
    else:
        sizes = iter([min(chunksize, n - i) for i in range(0, n, chunksize)])
    starts: list[int] = []  # chunk -> its first item
    submitted: dict[int, tuple[float, cf.Future[tuple[list[R], float]]]] = {}
    finished: dict[int, float] = {}  # chunk -> when its future finished (done callbacks)

    def learn() -> None:
        """Tells the plan what every chunk finished since the last call cost."""
        assert plan is not None
        for c in [c for c, (_, f) in submitted.items() if f.done()]:
            sent, future = submitted.pop(c)
            # waiters wake before done callbacks run: a chunk seen done may not be stamped
            done = finished.pop(c, time.perf_counter())
            if not future.cancelled() and future.exception() is None:
                out, seconds = future.result()
                plan.record(len(out), seconds, done - sent)

    def chunks() -> Iterator[Sequence[T]]:
        start = 0
        for size in sizes:
            starts.append(start)
            yield items[start : start + size]
            start += size
            if plan is not None:
                learn()

    def on_submit(c: int, future: cf.Future[tuple[list[R], float]]) -> None:
        submitted[c] = (time.perf_counter(), future)
        future.add_done_callback(lambda _f: finished.__setitem__(c, time.perf_counter()))

    def take(c: int, out: tuple[list[R], float]) -> bool:
        for j, result in enumerate(out[0]):
            if on_result is not None and on_result(starts[c] + j, result):
                return True
        return False

    return run_ordered(
        _TimedChunk(fn),
        chunks(),
        executor=executor,
        on_result=take,
        cancel=cancel,
        on_submit=on_submit if plan is not None else None,
    )


def _index(futures: dict[int, cf.Future[R]], future: cf.Future[R]) -> int:
    return next(i for i, f in futures.items() if f is future)


def _result(future: cf.Future[R], fn: Callable[..., Any]) -> R:
    """``future.result()``, with a failure to send the task to a worker or a lost executor
    said plainly."""
    import concurrent.futures as cf  # here, not at import: the browser never needs it

    try:
        return future.result()
    except cf.CancelledError:  # not by this run: it cancels only what it will not hand back
        raise ExecutorError(
            "the executor cancelled a task this run had sent it: its scheduler or workers "
            "went away (a Dask cluster that closed or lost its connection, a pool shut down)"
        ) from None
    except cf.BrokenExecutor as e:  # a pool's worker process died
        raise ExecutorError(f"the executor broke: {e}") from e
    except Exception as e:
        import pickle  # here, not at import: the browser never sends tasks to other processes

        if not isinstance(e, (AttributeError, TypeError, pickle.PicklingError)):
            raise
        text = str(e)
        if isinstance(e, pickle.PicklingError) or text.startswith(
            ("Can't pickle", "cannot pickle", "Can't get local object")
        ):
            raise TypeError(
                f"the task {fn!r} could not be sent to the executor's workers ({text}); "
                "a process pool needs a module-level function or an instance of a "
                "module-level class, not a lambda or a nested function"
            ) from e
        raise


@dataclass
class ShotBatchResult:
    """Counts of a circuit run in seeded batches of shots (:func:`run_shot_batches`).

    Attributes:
        shots: shots asked for.
        seed: the parent seed; batch ``b`` ran with ``derive_seed(seed, "shots", b)``.
        batch_shots: shots per batch (the last batch may have fewer).
        counts: ``{bitstring: count}`` over the finished batches, sorted by bitstring.
        done: shots in the finished batches.
        kernel: the kernel the batches ran on.
        method: the simulator's method (``"sampled"``, ``"branching"``, ...).
        status: ``"completed"`` or ``"cancelled"``.
    """

    shots: int
    seed: int
    batch_shots: int
    counts: dict[str, int] = field(default_factory=dict)
    done: int = 0
    kernel: str = ""
    method: str = ""
    status: str = "completed"

    @property
    def batches(self) -> int:
        """Number of batches the shots are split into."""
        return -(-self.shots // self.batch_shots)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (plus ``batches``)."""
        return {
            "shots": self.shots,
            "seed": self.seed,
            "batch_shots": self.batch_shots,
            "batches": self.batches,
            "counts": dict(self.counts),
            "done": self.done,
            "kernel": self.kernel,
            "method": self.method,
            "status": self.status,
        }

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form: :meth:`to_dict` with camelCase keys, the seed JS-safe."""
        out: dict[str, Any] = js_safe(
            {
                "shots": self.shots,
                "seed": self.seed,
                "batchShots": self.batch_shots,
                "batches": self.batches,
                "counts": dict(self.counts),
                "done": self.done,
                "kernel": self.kernel,
                "method": self.method,
                "status": self.status,
            }
        )
        return out


@dataclass(frozen=True)
class _ShotBatches:
    """A chunk of batches' work: picklable, so it runs on any executor."""

    circuit: Circuit
    backend: str
    noise: NoiseModel | None
    method: str

    def __call__(self, tasks: Sequence[tuple[int, int]]) -> list[tuple[dict[str, int], str, str]]:
        from qtcore.sim import simulate

        out = []
        for seed, shots in tasks:
            res = simulate(
                self.circuit,
                shots,
                seed=seed,
                backend=self.backend,
                noise=self.noise,
                method=self.method,
            )
            out.append((res.counts, res.kernel, res.method))
        return out


def run_shot_batches(
    circuit: Circuit,
    shots: int,
    *,
    seed: int,
    batch_shots: int,
    backend: str = "auto",
    noise: NoiseModel | None = None,
    method: str = "auto",
    executor: cf.Executor | None = None,
    progress: Callable[[int, int, dict[str, int]], None] | None = None,
    cancel: CancelCheck | None = None,
) -> ShotBatchResult:
    """Runs ``shots`` shots of ``circuit`` as batches of ``batch_shots``, each seeded on its own.

    Batch ``b`` runs ``simulate(circuit, n_b, seed=derive_seed(seed, "shots", b))``, so the
    counts depend on ``seed`` and ``batch_shots`` only -- not on the executor or its number
    of workers -- and equal the sum of those ``simulate`` calls. (They differ from one
    ``simulate(circuit, shots, seed=seed)`` call, whose shots share one random stream.)

    Args:
        circuit: a circuit with every parameter bound.
        shots: total shots (>= 1).
        seed: parent seed.
        batch_shots: shots per batch (>= 1); the last batch takes the remainder.
        backend: ``"auto"``, ``"numpy"`` or ``"python"`` (by name: it travels to workers).
        noise: a noise model, as for :func:`~qtcore.sim.simulate`.
        method: the simulator's method for each batch, as for :func:`~qtcore.sim.simulate`.
        executor: where the batches run (``None``: here, one after another); a task runs
            as many batches as keep the executor's cost per task small
            (:func:`run_chunked`).
        progress: ``progress(done_shots, shots, counts_so_far)`` after each batch, in order.
        cancel: a callable returning True, or a :class:`CancelToken`, checked between
            batches; the finished batches' counts are kept.

    Raises:
        SimulationError: bad ``shots``, ``batch_shots`` or ``backend``.
    """
    for name, value in (("shots", shots), ("batch_shots", batch_shots)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SimulationError(f"{name} must be an integer >= 1, got {value!r}")
    if not isinstance(backend, str):
        raise SimulationError(
            f"backend must be a kernel name for batched shots, got {type(backend).__name__}"
        )
    result = ShotBatchResult(shots, seed, batch_shots)
    tasks = [
        (derive_seed(seed, "shots", b), min(batch_shots, shots - b * batch_shots))
        for b in range(result.batches)
    ]
    tally: Counter[str] = Counter()

    cancelled = False

    def take(i: int, out: tuple[dict[str, int], str, str]) -> bool:
        nonlocal cancelled
        counts, result.kernel, result.method = out
        tally.update(counts)
        result.done += tasks[i][1]
        if progress is not None:
            progress(result.done, shots, dict(sorted(tally.items())))
        # between batches, also between the batches of one task
        cancelled = i + 1 < len(tasks) and is_cancelled(cancel)
        return cancelled

    stopped = run_chunked(
        _ShotBatches(circuit, backend, noise, method),
        tasks,
        executor=executor,
        on_result=take,
        cancel=cancel,
    )
    result.counts = dict(sorted(tally.items()))
    result.status = "cancelled" if stopped or cancelled else "completed"
    return result
