"""Group commit: concurrent publishes stored by one statement, each reply still true."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
import pytest_asyncio

from registry_api import Settings
from registry_api._anomaly import HISTORY_LIMIT, extract_features, score_run
from registry_api._db import Database, ServiceUnavailableError
from registry_api._group_commit import _HISTORY, GroupCommit
from registry_api._run_store import HISTORY_SUBQUERY, Published, decode_history, fetch_full
from registry_api._runs import content_hash
from registry_api._schemas import RunCreate
from registry_api._security import AuthUser

from ._support import run_body

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    """A pool on the session's test database."""
    assert settings.database_url is not None
    database = Database(settings.database_url, min_size=1, max_size=4)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


def _user(user_ids: dict[str, int], name: str) -> AuthUser:
    return AuthUser(id=user_ids[name], username=name, role="researcher")


def _name() -> str:
    return f"gc-{uuid.uuid4().hex[:12]}"


async def _publish(gc: GroupCommit, user: AuthUser, body: dict[str, Any]) -> Published:
    data = msgspec.json.decode(msgspec.json.encode(body), type=RunCreate)
    return await gc.publish(
        user,
        data,
        run_id=uuid.uuid4(),
        digest=content_hash(data),
        features=extract_features(data.results, data.runtime_ms),
    )


async def test_concurrent_publishes_are_stored_by_one_batch(
    db: Database, user_ids: dict[str, int]
) -> None:
    """20 runs published at once go in one batch; each reply is the run as stored, with its
    audit row, frames and tags."""
    gc = GroupCommit(db, flushes=1)
    alice = _user(user_ids, "alice")
    name = _name()
    bodies = [run_body(name, tags=["t", f"n{i}"] if i % 2 else [],
                       frames="UVRGUg==" if i == 3 else None) for i in range(20)]  # fmt: skip
    results = await asyncio.gather(*(_publish(gc, alice, b) for b in bodies))
    assert gc.batch_sizes == [20]
    assert len({r.row["created_at"] for r in results}) == 1  # one statement stored them all
    async with db.connection() as conn:
        for body, published in zip(bodies, results, strict=True):
            assert published.created
            stored = await fetch_full(conn, published.row["id"])
            assert stored is not None
            assert {k: stored[k] for k in published.row} == dict(published.row)
            assert stored["seed"] == body["seed"] and list(stored["tags"]) == body["tags"]
        frames = await conn.fetchval("SELECT frames FROM runs WHERE id = $1", results[3].row["id"])
        assert frames == b"QTFR"
        audits = await conn.fetch(
            "SELECT actor_id, actor_username, target_id, detail FROM audit_events"
            " WHERE action = 'run.publish' AND detail->>'scenarioName' = $1",
            name,
        )
    assert sorted(a["target_id"] for a in audits) == sorted(str(r.row["id"]) for r in results)
    for a in audits:
        assert a["actor_id"] == alice.id and a["actor_username"] == "alice"
    by_id = {str(r.row["id"]): r.row["content_hash"] for r in results}
    assert all(a["detail"]["contentHash"] == by_id[a["target_id"]] for a in audits)


async def test_batch_answers_repeats_with_the_stored_run(
    db: Database, user_ids: dict[str, int]
) -> None:
    """Content twice in one batch makes one run (the other reply is 200 with its id); content
    stored before is answered with the run stored before."""
    alice = _user(user_ids, "alice")
    before = run_body(_name())
    first = await _publish(GroupCommit(db, max_batch=1), alice, before)
    twice = run_body(_name())
    gc = GroupCommit(db, flushes=1)
    a, b, c, d = await asyncio.gather(
        _publish(gc, alice, twice), _publish(gc, alice, twice), _publish(gc, alice, before),
        _publish(gc, alice, run_body(_name())),
    )  # fmt: skip
    assert gc.batch_sizes == [4]
    assert sorted([a.created, b.created]) == [False, True]
    assert a.row["id"] == b.row["id"]
    assert not c.created and c.row["id"] == first.row["id"]
    assert c.row["created_at"] == first.row["created_at"]
    assert d.created
    async with db.connection() as conn:
        n = await conn.fetchval(
            "SELECT count(*) FROM runs WHERE content_hash = $1", a.row["content_hash"]
        )
    assert n == 1


async def test_bad_run_fails_alone_and_the_rest_are_stored(
    db: Database, user_ids: dict[str, int]
) -> None:
    """A run Postgres refuses (NUL in a JSON string) fails with its own error; the batch's
    other runs are stored, each once."""
    alice = _user(user_ids, "alice")
    name = _name()
    gc = GroupCommit(db, flushes=1)
    bodies = [run_body(name) for _ in range(4)]
    bodies.insert(2, run_body(name, results={"x": "a\u0000b"}))
    outcomes = await asyncio.gather(
        *(_publish(gc, alice, b) for b in bodies), return_exceptions=True
    )
    assert gc.batch_sizes[0] == 5
    assert isinstance(outcomes[2], asyncpg.DataError)
    good = [o for i, o in enumerate(outcomes) if i != 2]
    assert all(isinstance(o, Published) and o.created for o in good)
    async with db.connection() as conn:
        n = await conn.fetchval("SELECT count(*) FROM runs WHERE scenario_name = $1", name)
    assert n == 4


async def test_batch_scores_each_run_against_its_owner_history(
    db: Database, user_ids: dict[str, int]
) -> None:
    """One batch holds alice's and bob's runs under one scenario name: each is scored against
    its own owner's earlier runs only, exactly as alone."""
    alice, bob = _user(user_ids, "alice"), _user(user_ids, "bob")
    name = _name()
    alone = GroupCommit(db, max_batch=1)
    for i in range(6):
        await _publish(alone, alice, run_body(name, results={"fidelity": 0.999 + i / 1e4}))
        await _publish(alone, bob, run_body(name, results={"fidelity": 0.5 + i / 1e3}))
    async with db.connection() as conn:
        history = {
            who.id: [
                r["features"]
                for r in await conn.fetch(
                    "SELECT features FROM runs WHERE owner_id = $1 AND scenario_name = $2",
                    who.id,
                    name,
                )
            ]
            for who in (alice, bob)
        }
    gc = GroupCommit(db, flushes=1)
    odd = run_body(name, results={"fidelity": 0.5})
    usual = run_body(name, results={"fidelity": 0.5})
    a, b = await asyncio.gather(_publish(gc, alice, odd), _publish(gc, bob, usual))
    assert gc.batch_sizes == [2]
    for published, who in ((a, alice), (b, bob)):
        features = extract_features(published.row["results"], published.row["runtime_ms"])
        score, detail = score_run(features, history[who.id])
        assert published.row["anomaly_score"] == score
        assert published.row["anomaly_detail"] == detail
    assert a.row["anomaly_score"] is not None and a.row["anomaly_score"] > 100
    assert b.row["anomaly_score"] is not None and b.row["anomaly_score"] < 3


async def test_history_read_as_one_array_is_the_latest_rows(
    db: Database, user_ids: dict[str, int]
) -> None:
    """A history read as one JSON array holds exactly the features the per-row read gives
    (the latest HISTORY_LIMIT runs of that owner and name, odd stored values included: numbers
    beyond the float range, ints, bools, text, nulls, nesting); a key without runs reads []."""
    alice, bob = _user(user_ids, "alice"), _user(user_ids, "bob")
    name = _name()
    odd: list[Any] = [1.7e308, -1.7e308, 10**400, 7, 0, True, None, "12", [1.0], {"y": 1}]
    async with db.connection() as conn:
        for i in range(HISTORY_LIMIT + 30):
            features = {"fidelity": 0.99 + i / 1e5, "runtimeMs": 10.0 + i % 3}
            if i % 9 == 0:
                features["odd"] = odd[(i // 9) % len(odd)]
            await conn.execute(
                "INSERT INTO runs (id, owner_id, scenario_name, scenario, seed, qtcore_version,"
                " kernel, results, runtime_ms, content_hash, features, created_at)"
                " VALUES ($1, $2, $3, '{}', $4, '0', 'python', '{}', 0, $5, $6,"
                " now() - $4::bigint * interval '1 second')",
                uuid.uuid4(), alice.id, name, i, uuid.uuid4().hex, features,
            )  # fmt: skip
        rows = await conn.fetch(
            "SELECT features FROM runs WHERE owner_id = $1 AND scenario_name = $2"
            " ORDER BY created_at DESC LIMIT $3",
            alice.id,
            name,
            HISTORY_LIMIT,
        )
        one = await conn.fetchval(
            HISTORY_SUBQUERY.format(owner="$1", name="$2", limit="$3"),
            alice.id,
            name,
            HISTORY_LIMIT,
        )
        batch = await conn.fetch(_HISTORY, [alice.id, bob.id], [name, name], HISTORY_LIMIT)
    expected = sorted(msgspec.json.encode(r["features"]) for r in rows)
    assert len(expected) == HISTORY_LIMIT
    assert any(b"17" + b"0" * 300 in e for e in expected)  # 1.7e308 comes back as an int
    assert sorted(map(msgspec.json.encode, decode_history(one))) == expected
    by_key = {r["i"]: decode_history(r["features"]) for r in batch}
    assert sorted(map(msgspec.json.encode, by_key[1])) == expected
    assert by_key[2] == []


async def test_unreachable_database_fails_every_run_of_the_batch(
    settings: Settings, user_ids: dict[str, int]
) -> None:
    """With the pool gone, each run of the batch gets the database's 503; none is stored."""
    assert settings.database_url is not None
    closed = Database(settings.database_url, min_size=1, max_size=2)
    await closed.connect()
    await closed.close()
    gc = GroupCommit(closed, flushes=1)
    alice = _user(user_ids, "alice")
    name = _name()
    outcomes = await asyncio.gather(
        *(_publish(gc, alice, run_body(name)) for _ in range(3)), return_exceptions=True
    )
    assert gc.batch_sizes == [3]
    assert all(isinstance(o, ServiceUnavailableError) and o.status_code == 503 for o in outcomes)
    conn = await asyncpg.connect(settings.database_url)
    try:
        n = await conn.fetchval("SELECT count(*) FROM runs WHERE scenario_name = $1", name)
    finally:
        await conn.close()
    assert n == 0


async def test_a_waiter_that_leaves_does_not_disturb_its_batch(
    db: Database, user_ids: dict[str, int]
) -> None:
    """A request cancelled while its batch is in flight leaves the others' replies intact."""
    alice = _user(user_ids, "alice")
    gc = GroupCommit(db, flushes=1)
    tasks = [asyncio.create_task(_publish(gc, alice, run_body(_name()))) for _ in range(6)]
    await asyncio.sleep(0)  # all queued, the batch started
    tasks[1].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert all(isinstance(o, Published) and o.created for i, o in enumerate(done) if i != 1)
    follow = await _publish(gc, alice, run_body(_name()))  # the flusher is not stuck
    assert follow.created


async def test_publishes_one_after_another_each_go_at_once(
    db: Database, user_ids: dict[str, int]
) -> None:
    """A publish made right after the previous one returned is stored too (the flush that
    stored the previous one has ended; a new one starts), each in a batch of its own."""
    alice = _user(user_ids, "alice")
    gc = GroupCommit(db)
    for _ in range(3):
        published = await asyncio.wait_for(_publish(gc, alice, run_body(_name())), 20)
        assert published.created
    assert gc.batch_sizes == [1, 1, 1]


async def test_group_commit_refuses_empty_batches() -> None:
    """Sizes below 1 are refused, naming both values."""
    with pytest.raises(ValueError, match="max_batch=0 and flushes=2"):
        GroupCommit(Database("postgresql://unused"), max_batch=0)


class _Behind:
    """A pressure that is behind until ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.holds = 0

    def behind(self) -> bool:
        return not self.release.is_set()

    async def hold(self) -> float:
        self.holds += 1
        await self.release.wait()
        return 0.0


async def test_publishes_wait_while_live_viewers_are_behind(
    db: Database, user_ids: dict[str, int]
) -> None:
    """A batch waits out the pressure; the runs queued meanwhile go with it, in one batch."""
    pressure = _Behind()
    gc = GroupCommit(db, flushes=1, pressure=pressure)  # type: ignore[arg-type]
    alice = _user(user_ids, "alice")
    name = _name()
    first = asyncio.ensure_future(_publish(gc, alice, run_body(name)))
    await asyncio.sleep(0.05)
    assert pressure.holds == 1 and not first.done() and gc.batch_sizes == []
    rest = [asyncio.ensure_future(_publish(gc, alice, run_body(name))) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in rest) and gc.batch_sizes == []
    pressure.release.set()
    results = await asyncio.gather(first, *rest)
    assert all(r.created for r in results)
    assert gc.batch_sizes == [6]


async def test_publishes_queued_behind_the_pressure_get_503_at_shutdown(
    db: Database, user_ids: dict[str, int]
) -> None:
    pressure = _Behind()
    gc = GroupCommit(db, flushes=1, pressure=pressure)  # type: ignore[arg-type]
    waiting = asyncio.ensure_future(_publish(gc, _user(user_ids, "alice"), run_body(_name())))
    await asyncio.sleep(0.05)
    for task in list(gc._tasks):
        task.cancel()
    with pytest.raises(ServiceUnavailableError, match="nothing was written"):
        await asyncio.wait_for(waiting, 5)
