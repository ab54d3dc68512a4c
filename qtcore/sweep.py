"""Parameter sweeps: run one experiment over a grid of parameter values.

An :class:`Axis` is one parameter's values (an explicit grid, ``linspace``,
``logspace`` or a seeded random sample); several axes combine as a Cartesian
``"product"`` (first axis slowest) or are ``"zip"``-ped. Each point runs with its own seed
``derive_seed(seed, "point", ((name, value), ...))`` -- derived from the point's
*values*, so a point's result does not depend on which other points are in the sweep.

Progress is reported as ``progress(done, total, point)`` after each point; cancellation
(a callable returning True, or a :class:`CancelToken`) is checked *between* points, and a
cancelled sweep returns the rows finished so far with ``status == "cancelled"``.
By default no threads: the caller's event loop (the browser worker) decides when to cancel.
Given an ``executor`` (a process pool, a Dask cluster), the points run there and come back
in sweep order (:func:`qtcore.parallel.run_chunked`); the table is the same as without one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qtcore._stable import dumps_stable
from qtcore.errors import ExecutorError
from qtcore.parallel import (
    CancelCheck,
    CancelToken,
    is_cancelled,
    run_chunked,
)
from qtcore.rng import Rng, derive_seed
from qtcore.wire import js_safe

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = [
    "Axis",
    "CancelCheck",
    "CancelToken",
    "SweepResult",
    "SweepRow",
    "flatten",
    "is_cancelled",
    "point_seed",
    "run_sweep",
    "sweep_points",
    "table_column",
    "table_csv",
]


def _finite(name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise ValueError(f"axis {name!r}: values must be finite numbers, got {x!r}")
    return float(x)


def _count(name: str, num: object) -> int:
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"axis {name!r}: the number of points must be an int >= 1, got {num!r}")
    return num


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept parameter and its values.

    Attributes:
        name: parameter name (a scenario field path such as ``sandbox.clock_a.height``).
        values: the values in sweep order.
        spacing: ``"grid"``, ``"linspace"``, ``"logspace"`` or ``"random"``.
    """

    name: str
    values: tuple[float, ...]
    spacing: str = "grid"

    @classmethod
    def grid(cls, name: str, values: Sequence[float]) -> Axis:
        """Explicit values."""
        vals = tuple(_finite(name, v) for v in values)
        if not vals:
            raise ValueError(f"axis {name!r}: a grid needs at least one value")
        return cls(name, vals, "grid")

    @classmethod
    def linspace(cls, name: str, start: float, stop: float, num: int) -> Axis:
        """``num`` evenly spaced values from ``start`` to ``stop`` (both included)."""
        a, b, n = _finite(name, start), _finite(name, stop), _count(name, num)
        if n == 1:
            return cls(name, (a,), "linspace")
        vals = [a + (b - a) * i / (n - 1) for i in range(n - 1)] + [b]
        return cls(name, tuple(vals), "linspace")

    @classmethod
    def logspace(cls, name: str, start: float, stop: float, num: int) -> Axis:
        """``num`` geometrically spaced values from ``start`` to ``stop`` (both > 0, included).

        Unlike NumPy's ``logspace``, ``start`` and ``stop`` are the values, not exponents.
        """
        a, b, n = _finite(name, start), _finite(name, stop), _count(name, num)
        if a <= 0.0 or b <= 0.0:
            raise ValueError(f"axis {name!r}: logspace needs start and stop > 0, got {a}, {b}")
        if n == 1:
            return cls(name, (a,), "logspace")
        la, lb = math.log(a), math.log(b)
        vals = [a] + [math.exp(la + (lb - la) * i / (n - 1)) for i in range(1, n - 1)] + [b]
        return cls(name, tuple(vals), "logspace")

    @classmethod
    def random(
        cls, name: str, low: float, high: float, num: int, *, seed: int, log: bool = False
    ) -> Axis:
        """``num`` seeded uniform samples in [low, high) (log-uniform when ``log``)."""
        a, b, n = _finite(name, low), _finite(name, high), _count(name, num)
        if not a < b:
            raise ValueError(f"axis {name!r}: need low < high, got {a}, {b}")
        if log and a <= 0.0:
            raise ValueError(f"axis {name!r}: a log-uniform sample needs low > 0, got {a}")
        rng = Rng(derive_seed(seed, "axis", name))
        if log:
            la, lb = math.log(a), math.log(b)
            vals = [math.exp(la + (lb - la) * u) for u in rng.randoms(n)]
        else:
            vals = [a + (b - a) * u for u in rng.randoms(n)]
        return cls(name, tuple(vals), "random")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"name": self.name, "values": list(self.values), "spacing": self.spacing}


def sweep_points(axes: Sequence[Axis], combine: str = "product") -> list[dict[str, float]]:
    """All points of the sweep, in order (product: the first axis varies slowest).

    Raises:
        ValueError: no axes, duplicate names, unknown ``combine`` or zip of unequal axes.
    """
    if not axes:
        raise ValueError("a sweep needs at least one axis")
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate sweep axes in {names}")
    if combine == "zip":
        lengths = {len(a.values) for a in axes}
        if len(lengths) != 1:
            raise ValueError(f"zip needs axes of equal length, got {sorted(lengths)}")
        return [dict(zip(names, vals)) for vals in zip(*(a.values for a in axes))]
    if combine != "product":
        raise ValueError(f"combine must be 'product' or 'zip', got {combine!r}")
    points: list[dict[str, float]] = [{}]
    for axis in axes:
        points = [{**p, axis.name: v} for p in points for v in axis.values]
    return points


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings to ``{"a.b.c": leaf}`` (lists and scalars are leaves)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


@dataclass
class SweepRow:
    """One finished point: its index, parameter values, seed and outputs (flattened)."""

    index: int
    point: dict[str, float]
    seed: int
    outputs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "index": self.index,
            "point": dict(self.point),
            "seed": self.seed,
            "outputs": dict(self.outputs),
        }


@dataclass
class SweepResult:
    """The table a sweep produced.

    Attributes:
        axes: the swept axes.
        combine: ``"product"`` or ``"zip"``.
        seed: the parent seed.
        total: number of points asked for.
        rows: finished rows, in sweep order.
        status: ``"completed"`` or ``"cancelled"``.
    """

    axes: list[Axis]
    combine: str
    seed: int
    total: int
    rows: list[SweepRow] = field(default_factory=list)
    status: str = "completed"

    @property
    def cancelled(self) -> bool:
        """True when the sweep stopped early."""
        return self.status == "cancelled"

    @property
    def columns(self) -> list[str]:
        """Parameter names then output names (first-seen order)."""
        # An insertion-ordered dict, not a list: a sweep of counts has thousands of output
        # names, and a list lookup per name per row made this quadratic.
        cols = dict.fromkeys(a.name for a in self.axes)
        for row in self.rows:
            cols.update(dict.fromkeys(row.outputs))
        return list(cols)

    def column(self, name: str) -> list[Any]:
        """The values of one column, row by row (None where a row lacks it)."""
        return [
            row.point[name] if name in row.point else row.outputs.get(name) for row in self.rows
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready table: axes, columns, rows (as lists in column order), status."""
        cols = self.columns
        return {
            "axes": [a.to_dict() for a in self.axes],
            "combine": self.combine,
            "seed": self.seed,
            "total": self.total,
            "done": len(self.rows),
            "status": self.status,
            "columns": ["index", "seed", *cols],
            "rows": [[r.index, r.seed, *self._cells(r, cols)] for r in self.rows],
        }

    @staticmethod
    def _cells(row: SweepRow, cols: list[str]) -> list[Any]:
        return [row.point[c] if c in row.point else row.outputs.get(c) for c in cols]

    def to_wire(self) -> dict[str, Any]:
        """The site's wire form: the :meth:`to_dict` table (its keys are already single words)
        with the 63-bit point seeds as decimal strings (:func:`qtcore.wire.js_safe`).

        Column names are values, not keys: parameter paths and output paths as a scenario
        file writes them (``"theta"``, ``"counts.01"``).
        """
        safe: dict[str, Any] = js_safe(self.to_dict())
        return safe

    def to_json(self) -> str:
        """Stable JSON (see :func:`qtcore.scenario.dumps_stable`)."""
        return dumps_stable(self.to_dict())

    def to_csv(self) -> str:
        """CSV with a header row; floats as ``repr`` (shortest round-trip)."""
        return table_csv(self.to_dict())


def table_column(table: Mapping[str, Any], name: str) -> list[Any]:
    """The values of column ``name`` of a sweep table (:meth:`SweepResult.to_dict` form).

    Raises:
        KeyError: no such column (the message lists the columns there are).
    """
    columns = list(table["columns"])
    if name not in columns:
        raise KeyError(f"no column {name!r} in the sweep table; columns: {', '.join(columns)}")
    i = columns.index(name)
    return [row[i] for row in table["rows"]]


def table_csv(table: Mapping[str, Any]) -> str:
    """CSV text of a sweep table (:meth:`SweepResult.to_dict` form)."""
    import csv  # here, not at import: the browser never writes CSV
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["rows"]:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list | dict):
        return json.dumps(v, sort_keys=True)
    return str(v)


@dataclass(frozen=True)
class _PointChunk:
    """Runs a sweep's function on a chunk of points (picklable when ``func`` is)."""

    func: Callable[[dict[str, float], int], Mapping[str, Any]]

    def __call__(self, chunk: Sequence[tuple[dict[str, float], int]]) -> list[dict[str, Any]]:
        return [flatten(self.func(dict(point), point_seed)) for point, point_seed in chunk]


def point_seed(seed: int, point: Mapping[str, float]) -> int:
    """The seed of one sweep point: derived from the parent seed and the point's values."""
    key = tuple((name, repr(point[name])) for name in sorted(point))
    return derive_seed(seed, "point", key)


def run_sweep(
    func: Callable[[dict[str, float], int], Mapping[str, Any]],
    axes: Sequence[Axis],
    *,
    seed: int,
    combine: str = "product",
    progress: Callable[[int, int, dict[str, float]], None] | None = None,
    cancel: CancelCheck | None = None,
    on_row: Callable[[SweepRow], None] | None = None,
    executor: Executor | None = None,
    chunksize: int | None = None,
) -> SweepResult:
    """Runs ``func(point, point_seed)`` at every point of the sweep.

    Every point's seed is derived from ``seed`` and the point's values alone, so the table
    is the same whether the points run here one after another or on an ``executor`` with
    any number of workers, and whatever the ``chunksize``.

    Args:
        func: returns the point's outputs (nested mappings are flattened to dotted names).
            With an executor that runs other processes it must be picklable: a
            module-level function or an instance of a module-level class.
        axes: the swept parameters.
        seed: parent seed; each point's seed is derived from it and the point's values.
        combine: ``"product"`` or ``"zip"``.
        progress: called as ``progress(done, total, point)`` after each point, in sweep
            order (in this thread, also with an executor).
        cancel: callable or :class:`CancelToken`, checked before each point (with an
            executor: before each chunk is submitted and while waiting for results).
        on_row: called with each finished :class:`SweepRow` (before ``progress``), for
            callers that show results as they arrive.
        executor: any :class:`concurrent.futures.Executor` (a process pool, a Dask
            cluster's ``client.get_executor()``); ``None`` runs the points here.
        chunksize: points per task sent to the executor: more points per task, less
            overhead per point, coarser progress. ``None``: sized as the sweep goes
            (:class:`qtcore.parallel.ChunkPlan`): at most 1/8 of each worker's share,
            smaller near the end so the workers finish together, and large enough that
            the executor's cost per task stays a small share of its work (larger tasks
            on a Dask cluster than on a local pool). Ignored without an executor.

    Returns:
        a :class:`SweepResult` (``status == "cancelled"`` if stopped early; its rows are
        the points finished in sweep order up to the first one not finished).

    Raises:
        ValueError: bad axes, ``combine`` or ``chunksize``.
        ExecutorError: the executor dropped tasks (its cluster went away).
    """
    pts = sweep_points(axes, combine)
    result = SweepResult(list(axes), combine, seed, len(pts))
    seeded = [(point, point_seed(seed, point)) for point in pts]

    def take(i: int, out: dict[str, Any]) -> None:
        point, p_seed = seeded[i]
        row = SweepRow(i, dict(point), p_seed, out)
        result.rows.append(row)
        if on_row is not None:
            on_row(row)
        if progress is not None:
            progress(i + 1, len(pts), dict(point))

    try:
        cancelled = run_chunked(
            _PointChunk(func),
            seeded,
            executor=executor,
            on_result=take,
            cancel=cancel,
            chunksize=chunksize,
        )
    except ExecutorError as e:
        raise ExecutorError(
            f"{str(e).rstrip('.')}; the sweep stopped after {len(result.rows)} of {len(pts)} "
            "points (running it again gives the same table)"
        ) from e
    if cancelled:
        result.status = "cancelled"
    return result
