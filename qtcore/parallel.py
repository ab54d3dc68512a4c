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

A task's function and arguments travel to the workers by pickling (Dask uses
cloudpickle): pass module-level functions or instances of module-level classes, not
lambdas or closures, to a process pool.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from qtcore.errors import SimulationError
from qtcore.rng import derive_seed
from qtcore.wire import js_safe

if TYPE_CHECKING:
    import concurrent.futures as cf

    from qtcore.circuit import Circuit
    from qtcore.noise import NoiseModel

__all__ = [
    "CancelCheck",
    "CancelToken",
    "ShotBatchResult",
    "auto_chunks",
    "auto_chunksize",
    "default_window",
    "is_cancelled",
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
    """How many items each task takes: tasks of :func:`auto_chunksize`, smaller near the end.

    The tasks go out in rounds of one per worker; a task takes ``1 / (2 * workers)`` of the
    items not yet given out, at most :func:`auto_chunksize` and at least one. The last tasks
    are a few items each, so the workers finish close together even when items cost
    unequal times (equal tasks leave one worker alone with the last of them), and the run
    still takes only a few more tasks than equal chunks would.

    Returns:
        the task sizes, in order; they add up to ``items``.
    """
    workers = _workers(executor) or 8
    cap = auto_chunksize(executor, items)
    sizes: list[int] = []
    rest = items
    while rest > 0:
        size = max(1, min(cap, -(-rest // (2 * workers))))
        for _ in range(workers):
            take = min(size, rest)
            if take == 0:
                break
            sizes.append(take)
            rest -= take
    return sizes


def run_ordered(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    *,
    executor: cf.Executor | None = None,
    on_result: Callable[[int, R], bool | None] | None = None,
    cancel: CancelCheck | None = None,
    window: int | None = None,
    poll: float = 0.05,
) -> bool:
    """Runs ``fn(task)`` for every task and hands each result to ``on_result`` in task order.

    Args:
        fn: the task function (picklable when the executor runs other processes).
        tasks: the task arguments, one call each.
        executor: where to run; ``None`` runs the tasks here, one after another.
        on_result: ``on_result(index, result)``, called in this thread in task order;
            returning True stops the run (no later task is handed back).
        cancel: a callable returning True, or a :class:`CancelToken`; checked before each
            task is started and while waiting for one; True stops the run.
        window: most unfinished (queued or running) tasks at once (default
            :func:`default_window`); at most ``4 * window`` are submitted ahead of the next
            one handed back.
        poll: seconds between cancel checks while waiting for a result.

    Returns:
        True if the run stopped because it was cancelled, else False.

    Raises:
        Exception: the first failing task's exception (in task order), after the tasks not
            yet started are cancelled.
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
    futures: dict[int, cf.Future[R]] = {}  # submitted, not yet handed back
    unfinished: set[cf.Future[R]] = set()
    next_task = 0  # the next task to submit
    failed = len(tasks)  # the first task seen to fail: nothing after it is submitted
    try:
        for i in range(len(tasks)):
            while True:
                if is_cancelled(cancel):
                    return True
                for f in [f for f in unfinished if f.done()]:
                    unfinished.discard(f)
                    if not f.cancelled() and f.exception() is not None:
                        failed = min(failed, _index(futures, f))
                while next_task < failed and len(unfinished) < width and next_task - i < ahead:
                    if is_cancelled(cancel):
                        return True
                    future = executor.submit(fn, tasks[next_task])
                    futures[next_task] = future
                    unfinished.add(future)
                    next_task += 1
                if futures[i].done():
                    break
                cf.wait(unfinished, timeout=poll, return_when=cf.FIRST_COMPLETED)
            future = futures.pop(i)
            unfinished.discard(future)
            result = _result(future, fn)
            if on_result is not None and on_result(i, result):
                return False
        return False
    finally:
        for f in futures.values():
            f.cancel()


def _index(futures: dict[int, cf.Future[R]], future: cf.Future[R]) -> int:
    return next(i for i, f in futures.items() if f is future)


def _result(future: cf.Future[R], fn: Callable[..., Any]) -> R:
    """``future.result()``, with a failure to send the task to a worker said plainly."""
    try:
        return future.result()
    except (AttributeError, TypeError, pickle.PicklingError) as e:
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
class _ShotBatch:
    """One batch's work: picklable, so it runs on any executor."""

    circuit: Circuit
    backend: str
    noise: NoiseModel | None
    method: str

    def __call__(self, task: tuple[int, int]) -> tuple[dict[str, int], str, str]:
        from qtcore.sim import simulate

        seed, shots = task
        res = simulate(
            self.circuit,
            shots,
            seed=seed,
            backend=self.backend,
            noise=self.noise,
            method=self.method,
        )
        return res.counts, res.kernel, res.method


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
        executor: where the batches run (``None``: here, one after another).
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

    def take(i: int, out: tuple[dict[str, int], str, str]) -> None:
        counts, result.kernel, result.method = out
        tally.update(counts)
        result.done += tasks[i][1]
        if progress is not None:
            progress(result.done, shots, dict(sorted(tally.items())))

    stopped = run_ordered(
        _ShotBatch(circuit, backend, noise, method),
        tasks,
        executor=executor,
        on_result=take,
        cancel=cancel,
    )
    result.counts = dict(sorted(tally.items()))
    result.status = "cancelled" if stopped else "completed"
    return result
