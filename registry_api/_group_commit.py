"""Group commit for publishes: concurrent runs stored by one statement, one WAL flush.

Storing one run alone costs Postgres a history read and an insert whose commit waits for its
own WAL flush (~270 µs of the ~350 µs of Postgres CPU an insert takes here), and the instance
three round trips. Under load many publishes are in flight at once. :class:`GroupCommit`
queues them and stores each queue as a *batch* on one pooled connection:

1. one history read for every (owner, scenario name) in the batch;
2. each run scored against its owner's history, in Python, as :func:`publish_run` does (runs
   of one batch are concurrent, so none is scored against another, as before);
3. one ``INSERT ... SELECT FROM unnest(...) ON CONFLICT (content_hash) DO NOTHING`` with the
   audit rows in the same statement: one transaction, so every run of the batch and its audit
   row are stored, or none is;
4. the runs the insert skipped (their content exists) read ``FOR SHARE`` as
   :func:`publish_run` reads them; one whose row a racing delete removed is published alone.

Nothing is delayed on purpose, but for live viewers: a publish that finds no batch in flight
is stored at once; while ``flushes`` batches are in flight, later ones queue and go together
in the next batch. While this instance sends live frames late (its cores are saturated),
each batch first waits for them, a bounded time (:class:`~registry_api._pressure.FanoutPressure`).
Every reply stays true: a run is answered 201 only after the statement that stored it has
committed (durably: ``synchronous_commit`` is untouched). If a batch fails for a reason other
than an unreachable database (a value Postgres refuses, a deadlock, a bug), nothing of it was
stored, and each of its runs is published alone, so each gets its own outcome and a bad run
fails only itself. An unreachable database fails every run of the batch with the 503 that
:class:`~registry_api._db.Database` chooses.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry_api import _run_store
from registry_api._anomaly import HISTORY_LIMIT, score_run
from registry_api._db import ServiceUnavailableError
from registry_api._run_store import FULL_COLS, Published

if TYPE_CHECKING:
    from uuid import UUID

    from registry_api._db import Database
    from registry_api._pressure import FanoutPressure
    from registry_api._schemas import RunCreate
    from registry_api._security import AuthUser

__all__ = ["GroupCommit"]

_log = logging.getLogger("registry_api.runs")

# A run's tags travel joined by commas (a tag has none: ``Tag``'s pattern), since an array
# parameter cannot hold arrays of different lengths. Rows are inserted in content-hash order, so two batches that share contents (two instances)
# wait for each other in one order and never deadlock.
_INSERT = (
    "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::jsonb[],"
    " $5::bigint[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::float8[],"
    " $11::bytea[], $12::int[], $13::text[], $14::jsonb[], $15::float8[], $16::jsonb[],"
    " $17::text[], $18::jsonb[]) AS v(id, owner_id, scenario_name, scenario, seed,"
    " qtcore_version, kernel, results, tags, runtime_ms, frames, frames_bytes, content_hash,"
    " features, anomaly_score, anomaly_detail, username, audit)),"
    " r AS (INSERT INTO runs (id, owner_id, scenario_name, scenario, seed, qtcore_version,"
    " kernel, results, tags, runtime_ms, frames, frames_bytes, content_hash, features,"
    " anomaly_score, anomaly_detail)"
    " SELECT id, owner_id, scenario_name, scenario, seed, qtcore_version, kernel, results,"
    " string_to_array(v.tags, ','), runtime_ms, frames, frames_bytes,"
    " content_hash, features, anomaly_score, anomaly_detail FROM v ORDER BY content_hash"
    " ON CONFLICT (content_hash) DO NOTHING RETURNING id, created_at),"
    " a AS (INSERT INTO audit_events (actor_id, actor_username, action, target_type,"
    " target_id, detail)"
    " SELECT v.owner_id, v.username, 'run.publish', 'run', r.id::text, v.audit"
    " FROM r JOIN v ON v.id = r.id)"
    " SELECT id, created_at FROM r"
)
# one row per key: its history as one JSON array (see _run_store.HISTORY_SUBQUERY)
_HISTORY = (
    "SELECT k.i, h.features FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY"
    " AS k(owner_id, scenario_name, i) CROSS JOIN LATERAL ({}) h"
).format(_run_store.HISTORY_SUBQUERY.format(owner="k.owner_id", name="k.scenario_name", limit="$3"))
_EXISTING = (
    f"SELECT {FULL_COLS} FROM runs r JOIN users u ON u.id = r.owner_id"
    " WHERE r.content_hash = ANY($1::text[]) FOR SHARE OF r"
)


@dataclass(eq=False)
class _Pending:
    user: AuthUser
    data: RunCreate
    run_id: UUID
    digest: str
    features: dict[str, float]
    done: asyncio.Future[Published] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, result: Published | BaseException) -> None:
        if self.done.done():  # the request went away (cancelled): nobody to tell
            return
        if isinstance(result, BaseException):
            self.done.set_exception(result)
        else:
            self.done.set_result(result)


class GroupCommit:
    """Stores concurrent publishes in batches (see the module docstring).

    Args:
        db: The database (not bound to a request's connection: a batch takes its own).
        max_batch: Most runs in one batch; 1 stores every run alone (:func:`publish_run`).
        flushes: Batches in flight at once (each on its own pooled connection).
        pressure: Live viewers' lag, which each batch waits out first (``None``: never waits).
    """

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 64,
        flushes: int = 2,
        pressure: FanoutPressure | None = None,
    ) -> None:
        if max_batch < 1 or flushes < 1:
            raise ValueError(f"max_batch={max_batch} and flushes={flushes} must be >= 1")
        self.db = db
        self.max_batch = max_batch
        self.flushes = flushes
        self.pressure = pressure
        self._queue: list[_Pending] = []
        self._flushing = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: sizes of the batches stored so far (tests and the benchmark read it)
        self.batch_sizes: list[int] = []

    async def publish(
        self,
        user: AuthUser,
        data: RunCreate,
        *,
        run_id: UUID,
        digest: str,
        features: dict[str, float],
    ) -> Published:
        """Store ``data`` as run ``run_id``, or find the run with its content (see
        :func:`~registry_api._run_store.publish_run`, whose contract this keeps)."""
        if self.max_batch == 1:
            return await _run_store.publish_run(
                self.db, user, data, run_id=run_id, digest=digest, features=features
            )
        pending = _Pending(user, data, run_id, digest, features)
        self._queue.append(pending)
        if self._flushing < self.flushes:
            self._flushing += 1
            task = asyncio.create_task(self._flush(), name="publish:flush")
            self._tasks.add(task)  # a reference, so the task is not collected mid-flight
            task.add_done_callback(self._tasks.discard)
        return await pending.done

    async def _flush(self) -> None:
        try:
            await self._drain()
        finally:
            # counted down in the step that found the queue empty (not in a done callback,
            # which runs later): a run queued after that step starts a flush of its own
            self._flushing -= 1

    async def _drain(self) -> None:
        while self._queue:
            if self.pressure is not None:
                try:
                    await self.pressure.hold()  # runs queued meanwhile join this batch
                except BaseException:  # cancelled (shutdown): no request waits for ever
                    queued, self._queue = self._queue, []
                    for p in queued:
                        p.settle(
                            ServiceUnavailableError(detail="shutting down; nothing was written")
                        )
                    raise
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            try:
                await self._store(batch)
            except Exception as exc:  # a bug here: its runs fail (500), the next batch goes on
                _log.exception("publish batch failed")
                for p in batch:
                    p.settle(exc)
            except BaseException:  # cancelled (shutdown): no request waits for ever
                for p in batch:
                    p.settle(ServiceUnavailableError(
                        detail="shutting down; the run may or may not have been stored"))  # fmt: skip
                raise

    async def _store(self, batch: list[_Pending]) -> None:
        self.batch_sizes.append(len(batch))
        if len(batch) == 1:
            await self._alone(batch[0])
            return
        try:
            outcomes = await self._store_batch(batch)
        except ServiceUnavailableError as exc:  # Postgres unreachable: the same 503 for all
            for p in batch:
                p.settle(exc)
            return
        except Exception as exc:  # nothing was stored: find out run by run
            _log.info("publish batch failed; publishing its runs alone",
                      extra={"runs": len(batch), "error": repr(exc)[:300]})  # fmt: skip
            outcomes = [None] * len(batch)
        alone = []
        for p, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                alone.append(self._alone(p))
            else:
                p.settle(outcome)
        if alone:
            await asyncio.gather(*alone)

    async def _alone(self, p: _Pending) -> None:
        try:
            result = await _run_store.publish_run(
                self.db, p.user, p.data, run_id=p.run_id, digest=p.digest, features=p.features
            )
        except Exception as exc:
            p.settle(exc)
        else:
            p.settle(result)

    async def _store_batch(self, batch: list[_Pending]) -> list[Published | None]:
        """Store ``batch`` with one history read and one insert; ``None``: publish alone."""
        keys = list(dict.fromkeys((p.user.id, p.data.scenario_name) for p in batch))
        async with self.db.connection() as conn:
            rows = await conn.fetch(
                _HISTORY, [k[0] for k in keys], [k[1] for k in keys], HISTORY_LIMIT
            )
            history: dict[tuple[int, str], list[Any]] = {
                keys[r["i"] - 1]: _run_store.decode_history(r["features"]) for r in rows
            }
            scored = [
                score_run(p.features, history[(p.user.id, p.data.scenario_name)]) for p in batch
            ]
            columns: list[list[Any]] = [[] for _ in range(18)]
            for p, (score, detail) in zip(batch, scored, strict=True):
                d = p.data
                row = (
                    p.run_id, p.user.id, d.scenario_name, d.scenario, d.seed, d.qtcore_version,
                    d.kernel, d.results, ",".join(d.tags), d.runtime_ms, d.frames,
                    len(d.frames or b""), p.digest, p.features, score, detail,
                    p.user.username, {"scenarioName": d.scenario_name, "contentHash": p.digest},
                )  # fmt: skip
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
            stored = {r["id"]: r["created_at"] for r in await conn.fetch(_INSERT, *columns)}
            skipped = [p.digest for p in batch if p.run_id not in stored]
            existing = {}
            if skipped:
                existing = {r["content_hash"]: r for r in await conn.fetch(_EXISTING, skipped)}
        out: list[Published | None] = []
        for p, (score, detail) in zip(batch, scored, strict=True):
            if p.run_id in stored:
                out.append(_run_store.created(
                    p.user, p.data, p.run_id, p.digest, score, detail, stored[p.run_id]
                ))  # fmt: skip
            elif p.digest in existing:
                out.append(Published(row=existing[p.digest], created=False))
            else:  # deleted between the insert and the read: publish_run inserts again
                out.append(None)
        return out
