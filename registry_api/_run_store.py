"""Runs in Postgres: the publish transaction, with no HTTP in it.

:func:`publish_run` is the repository call behind ``POST /api/v1/runs``; the controller maps
its :class:`Published` to a response. Publishing is idempotent by content hash and atomic
with respect to a concurrent delete of the same content:

* a new run and its audit row are inserted by one statement (both or neither), so the common
  case costs two round trips (the history read and the insert) and no transaction;
* when the content exists, the existing row is read ``FOR SHARE``: a delete in flight holds
  the row lock, so the read waits for it and then finds the row gone (the insert is retried,
  making a new run) — it never answers with a run that a committed delete removed. A 200
  "published before" therefore names a run that existed when it was read, and a reply is
  never sent for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from registry_api._anomaly import HISTORY_LIMIT, score_run

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from uuid import UUID

    import asyncpg

    from registry_api._db import Database
    from registry_api._schemas import RunCreate
    from registry_api._security import AuthUser

__all__ = [
    "FULL_COLS",
    "HISTORY_SUBQUERY",
    "Published",
    "created",
    "decode_history",
    "fetch_full",
    "publish_run",
]

FULL_COLS = (
    "r.id, u.username AS owner, r.scenario_name, r.seed, r.qtcore_version, r.kernel, r.tags,"
    " r.runtime_ms, r.content_hash, r.frames_bytes, r.anomaly_score, r.created_at,"
    " r.scenario, r.results, r.anomaly_detail, r.owner_id"
)
#: the ``features`` of an owner's latest :data:`HISTORY_LIMIT` runs under one scenario name, as
#: one JSON array in text (``NULL`` for none; the order does not matter to scoring). One value
#: per history costs Postgres and the instance far less than one row per run (asyncpg makes a
#: record and a jsonb decoder call per row): reading 9 histories of 200 runs, ~3.3 -> ~1.6 ms
#: of instance CPU. ``json_agg`` writes each jsonb as jsonb's own output does.
HISTORY_SUBQUERY = (
    "SELECT json_agg(s.features)::text AS features FROM (SELECT features FROM runs"
    " WHERE owner_id = {owner} AND scenario_name = {name}"
    " ORDER BY created_at DESC LIMIT {limit}) s"
)
_decode = msgspec.json.Decoder()


def decode_history(features: str | None) -> list[Any]:
    """The history rows of a :data:`HISTORY_SUBQUERY` value."""
    return [] if features is None else _decode.decode(features)


#: a delete racing a publish makes the insert retry; two rounds always settle it (the second
#: insert either succeeds or waits on the deleter's lock), the rest is a safety margin
_ATTEMPTS = 5


@dataclass(frozen=True)
class Published:
    """The outcome of :func:`publish_run`.

    Attributes:
        row: The stored run, with the keys of :data:`FULL_COLS`.
        created: ``True`` for a new run, ``False`` when the same content was published before.
    """

    row: Mapping[str, Any]
    created: bool


def created(
    user: AuthUser,
    data: RunCreate,
    run_id: UUID,
    digest: str,
    score: float | None,
    detail: dict[str, Any] | None,
    created_at: datetime,
) -> Published:
    """The :class:`Published` of a run just inserted (its row as :data:`FULL_COLS` reads it)."""
    return Published(
        row={
            "id": run_id,
            "owner": user.username,
            "scenario_name": data.scenario_name,
            "seed": data.seed,
            "qtcore_version": data.qtcore_version,
            "kernel": data.kernel,
            "tags": list(data.tags),
            "runtime_ms": data.runtime_ms,
            "content_hash": digest,
            "frames_bytes": len(data.frames or b""),
            "anomaly_score": score,
            "created_at": created_at,
            "scenario": data.scenario,
            "results": data.results,
            "anomaly_detail": detail,
            "owner_id": user.id,
        },
        created=True,
    )


async def fetch_full(conn: asyncpg.Connection, run_id: UUID) -> asyncpg.Record | None:
    """One run with every column a :class:`~registry_api._schemas.Run` shows."""
    return await conn.fetchrow(
        f"SELECT {FULL_COLS} FROM runs r JOIN users u ON u.id = r.owner_id WHERE r.id = $1",
        run_id,
    )


async def publish_run(
    db: Database,
    user: AuthUser,
    data: RunCreate,
    *,
    run_id: UUID,
    digest: str,
    features: dict[str, float],
) -> Published:
    """Store ``data`` as run ``run_id`` (scored against its owner's history), or find it.

    Args:
        db: The database.
        user: The publishing account (the run's owner).
        data: The validated body.
        run_id: Id for a new run.
        digest: The body's content hash.
        features: The body's anomaly features.

    Returns:
        The new run, or the run published before with the same content.
    """
    audit_detail = {"scenarioName": data.scenario_name, "contentHash": digest}
    async with db.connection() as conn:  # each statement is its own transaction
        # Baselines are per owner: another account's runs under the same name cannot move
        # this account's flags (issue 13, item 14).
        history = await conn.fetchval(
            HISTORY_SUBQUERY.format(owner="$1", name="$2", limit="$3"),
            user.id,
            data.scenario_name,
            HISTORY_LIMIT,
        )
        score, detail = score_run(features, decode_history(history))
        for _ in range(_ATTEMPTS):
            created_at = await conn.fetchval(
                "WITH r AS (INSERT INTO runs (id, owner_id, scenario_name, scenario, seed,"
                " qtcore_version, kernel, results, tags, runtime_ms, frames, frames_bytes,"
                " content_hash, features, anomaly_score, anomaly_detail)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"
                " ON CONFLICT (content_hash) DO NOTHING RETURNING id, created_at),"
                " a AS (INSERT INTO audit_events (actor_id, actor_username, action,"
                " target_type, target_id, detail)"
                " SELECT $2, $17, 'run.publish', 'run', r.id::text, $18 FROM r)"
                " SELECT created_at FROM r",
                run_id,
                user.id,
                data.scenario_name,
                data.scenario,
                data.seed,
                data.qtcore_version,
                data.kernel,
                data.results,
                list(data.tags),
                data.runtime_ms,
                data.frames,
                len(data.frames or b""),
                digest,
                features,
                score,
                detail,
                user.username,
                audit_detail,
            )
            if created_at is not None:
                return created(user, data, run_id, digest, score, detail, created_at)
            existing = await conn.fetchrow(
                f"SELECT {FULL_COLS} FROM runs r JOIN users u ON u.id = r.owner_id"
                " WHERE r.content_hash = $1 FOR SHARE OF r",
                digest,
            )
            if existing is not None:
                return Published(row=existing, created=False)
            # deleted between the insert and the read: insert again
    raise RuntimeError(f"publish of {digest} kept racing deletes ({_ATTEMPTS} attempts)")
