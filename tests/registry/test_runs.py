"""Runs: publish, idempotency, audit, validation, limits, filters, injection, deletion."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import Settings, _security
from registry_api._db import Database

from ._support import make_frame, run_body
from .conftest import auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _name() -> str:
    return f"scn-{uuid.uuid4().hex[:12]}"


async def _publish(client: AsyncTestClient[Litestar], token: str, body: dict[str, Any]) -> Any:
    return await client.post("/api/v1/runs", json=body, headers=auth(token))


async def test_publish_stores_everything_and_hash(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    frames = make_frame(0) + make_frame(1)
    body = run_body(_name(), frames=base64.b64encode(frames).decode(), tags=["a", "b:c"])
    r = await _publish(client, tokens["alice"], body)
    assert r.status_code == 201, r.text
    run = r.json()
    canonical = json.dumps(
        {k: body[k] for k in ("scenario", "seed", "qtcoreVersion", "kernel", "results")},
        sort_keys=True, separators=(",", ":"),
    )  # fmt: skip
    assert run["contentHash"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert run["owner"] == "alice" and run["tags"] == ["a", "b:c"]
    assert run["scenario"] == body["scenario"] and run["results"] == body["results"]
    assert run["framesBytes"] == len(frames)
    got = await client.get(f"/api/v1/runs/{run['id']}/frames", headers=auth(tokens["vic"]))
    assert got.status_code == 200 and got.content == frames
    assert got.headers["content-type"].startswith("application/octet-stream")


@pytest.mark.parametrize("kernel", ["numpy", "python", "wasm"])
async def test_publish_accepts_every_qtcore_kernel(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], kernel: str
) -> None:
    """The browser publishes with the wasm kernel; the table's check must accept it."""
    r = await _publish(client, tokens["alice"], run_body(_name(), kernel=kernel))
    assert r.status_code == 201, r.text
    got = await client.get(f"/api/v1/runs/{r.json()['id']}", headers=auth(tokens["vic"]))
    assert got.json()["kernel"] == kernel


async def test_publish_idempotent_returns_existing(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    body = run_body(_name())
    first = await _publish(client, tokens["alice"], body)
    again = await _publish(client, tokens["alice"], dict(body, tags=["other"], runtimeMs=99.0))
    by_bob = await _publish(client, tokens["bob"], body)
    assert first.status_code == 201
    assert again.status_code == 200 and by_bob.status_code == 200
    assert again.json()["id"] == first.json()["id"] == by_bob.json()["id"]
    changed = await _publish(client, tokens["alice"], dict(body, seed=body["seed"] + 1))
    assert changed.status_code == 201 and changed.json()["id"] != first.json()["id"]


async def test_publish_writes_one_audit_row(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    r = await _publish(client, tokens["bob"], run_body(_name()))
    run_id = r.json()["id"]
    audit = await client.get("/api/v1/audit?action=run.publish&actor=bob&limit=500",
                             headers=auth(tokens["admin"]))  # fmt: skip
    rows = [e for e in audit.json()["items"] if e["targetId"] == run_id]
    assert len(rows) == 1
    assert rows[0]["actor"] == "bob" and rows[0]["targetType"] == "run"
    assert rows[0]["detail"]["contentHash"] == r.json()["contentHash"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", "seven"),
        ("seed", -1),
        ("kernel", "gpu"),
        ("scenario", [1, 2]),
        ("results", "ok"),
        ("scenarioName", ""),
        ("qtcoreVersion", "1.0; DROP TABLE runs"),
        ("tags", ["has space"]),
        ("runtimeMs", -3),
        ("frames", "***not base64***"),
        ("unexpectedField", 1),
    ],
)
async def test_publish_malformed_field_is_400_naming_field(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], field: str, value: Any
) -> None:
    r = await _publish(client, tokens["alice"], run_body(_name(), **{field: value}))
    assert r.status_code == 400, r.text
    assert field in r.text


async def test_publish_missing_field_is_400_naming_field(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    body = run_body(_name())
    del body["qtcoreVersion"]
    r = await _publish(client, tokens["alice"], body)
    assert r.status_code == 400 and "qtcoreVersion" in r.text


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b'{"scenario": {"a": 1}'])
async def test_publish_malformed_json_is_400(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], raw: bytes
) -> None:
    headers = {**auth(tokens["alice"]), "Content-Type": "application/json"}
    r = await client.post("/api/v1/runs", content=raw, headers=headers)
    assert r.status_code == 400, r.text


async def test_publish_nul_in_json_string_is_400(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    r = await _publish(client, tokens["alice"], run_body(_name(), results={"x": "a\u0000b"}))
    assert r.status_code == 400, r.text


async def test_publish_oversized_body_is_413(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], settings: Settings
) -> None:
    big = base64.b64encode(b"\0" * settings.max_body_bytes).decode()
    r = await _publish(client, tokens["alice"], run_body(_name(), frames=big))
    assert r.status_code == 413, r.text
    listing = await client.get("/api/v1/runs?limit=1", headers=auth(tokens["vic"]))
    assert listing.status_code == 200


async def test_list_filters_sort_and_paginate(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    name = _name()
    for i, who in enumerate(["alice", "bob", "alice"]):
        r = await _publish(client, tokens[who], run_body(name, runtimeMs=float(10 + i),
                                                          tags=[f"t{i % 2}"]))  # fmt: skip
        assert r.status_code == 201
    h = auth(tokens["vic"])

    async def ids(query: str) -> list[dict[str, Any]]:
        r = await client.get(f"/api/v1/runs?scenarioName={name}&{query}", headers=h)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    assert len(await ids("")) == 3
    assert {x["owner"] for x in await ids("owner=bob")} == {"bob"}
    assert [x["runtimeMs"] for x in await ids("tag=t0&sort=runtimeMs")] == [10.0, 12.0]
    assert [x["runtimeMs"] for x in await ids("sort=-runtimeMs")] == [12.0, 11.0, 10.0]
    page = await client.get(f"/api/v1/runs?scenarioName={name}&limit=2&offset=2&sort=runtimeMs",
                            headers=h)  # fmt: skip
    assert page.json()["total"] == 3 and [x["runtimeMs"] for x in page.json()["items"]] == [12.0]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert await ids(f"until={future}") != []
    assert await ids(f"since={future}") == []
    assert (await client.get("/api/v1/runs?sort=seed;DROP", headers=h)).status_code == 400
    assert (await client.get("/api/v1/runs?limit=0", headers=h)).status_code == 400
    assert (await client.get("/api/v1/runs?limit=201", headers=h)).status_code == 400


INJECTIONS = [
    "' OR '1'='1",
    "alice'--",
    "x'; DROP TABLE runs; --",
    '" OR 1=1 --',
    "1) UNION SELECT password_hash FROM users --",
    "%' OR 'a' LIKE '%",
]


@pytest.mark.parametrize("evil", INJECTIONS)
@pytest.mark.parametrize("param", ["owner", "scenarioName", "tag"])
async def test_list_sql_injection_is_inert(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], settings: Settings,
    param: str, evil: str,
) -> None:  # fmt: skip
    await _publish(client, tokens["alice"], run_body(_name()))
    r = await client.get("/api/v1/runs", params={param: evil}, headers=auth(tokens["vic"]))
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [] and r.json()["total"] == 0
    assert "password" not in r.text
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM runs") > 0
    finally:
        await conn.close()


async def test_audit_sql_injection_is_inert(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    for evil in INJECTIONS:
        r = await client.get("/api/v1/audit", params={"action": evil, "actor": evil},
                             headers=auth(tokens["admin"]))  # fmt: skip
        assert r.status_code == 200 and r.json()["total"] == 0


async def test_anomaly_flags_outlier_against_history(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    name = _name()
    fidelities = [0.990, 0.991, 0.989, 0.992, 0.990, 0.988]
    for i, f in enumerate(fidelities):
        r = await _publish(
            client, tokens["alice"], run_body(name, results={"fidelity": f}, runtimeMs=10.0 + i % 2)
        )
        assert r.status_code == 201
        assert (r.json()["anomalyScore"] is None) == (i < 5)  # needs 5 earlier runs
    odd = await _publish(
        client, tokens["alice"], run_body(name, results={"fidelity": 0.5}, runtimeMs=10.0)
    )
    body = odd.json()
    # independent check: median 0.990, MAD 0.001 -> z = 0.6745 * 0.49 / 0.001
    assert body["anomalous"] is True
    assert body["anomalyScore"] == pytest.approx(0.6745 * 0.490 / 0.001, rel=1e-6)
    assert "fidelity" in body["anomalyDetail"]["topFields"]
    normal = await _publish(
        client, tokens["alice"], run_body(name, results={"fidelity": 0.9905}, runtimeMs=10.0)
    )
    assert normal.json()["anomalous"] is False
    h = auth(tokens["vic"])
    flagged = await client.get(f"/api/v1/runs?scenarioName={name}&anomalous=true", headers=h)
    assert [x["id"] for x in flagged.json()["items"]] == [body["id"]]
    calm = await client.get(f"/api/v1/runs?scenarioName={name}&anomalous=false", headers=h)
    assert calm.json()["total"] == 7
    above = await client.get(f"/api/v1/runs?scenarioName={name}&minAnomaly=100", headers=h)
    assert [x["id"] for x in above.json()["items"]] == [body["id"]]


async def test_delete_own_run_and_audit(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    run_id = (await _publish(client, tokens["bob"], run_body(_name()))).json()["id"]
    assert (await client.delete(f"/api/v1/runs/{run_id}",
                                headers=auth(tokens["alice"]))).status_code == 403  # fmt: skip
    assert (await client.delete(f"/api/v1/runs/{run_id}",
                                headers=auth(tokens["bob"]))).status_code == 204  # fmt: skip
    assert (await client.get(f"/api/v1/runs/{run_id}",
                             headers=auth(tokens["bob"]))).status_code == 404  # fmt: skip
    assert (await client.delete(f"/api/v1/runs/{run_id}",
                                headers=auth(tokens["bob"]))).status_code == 404  # fmt: skip
    audit = await client.get("/api/v1/audit?action=run.delete", headers=auth(tokens["admin"]))
    assert any(e["targetId"] == run_id and e["actor"] == "bob" for e in audit.json()["items"])


async def test_publish_is_atomic_when_audit_fails(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], settings: Settings
) -> None:
    name = _name()
    conn = await asyncpg.connect(settings.database_url)
    try:  # make the audit insert (only) fail for this scenario name
        await conn.execute(
            "ALTER TABLE audit_events ADD CONSTRAINT qt_test_reject CHECK"
            f" (detail->>'scenarioName' IS DISTINCT FROM '{name}')"
        )
        r = await _publish(client, tokens["alice"], run_body(name))
        assert r.status_code == 500, r.text
        assert await conn.fetchval("SELECT count(*) FROM runs WHERE scenario_name=$1", name) == 0
    finally:
        await conn.execute("ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS qt_test_reject")
        await conn.close()
    r = await _publish(client, tokens["alice"], run_body(name))
    assert r.status_code == 201


async def test_unknown_ids_are_404(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    h = auth(tokens["admin"])
    missing = uuid.uuid4()
    for path in (f"/api/v1/runs/{missing}", f"/api/v1/runs/{missing}/frames",
                 f"/api/v1/sessions/{missing}", "/api/v1/users/987654"):  # fmt: skip
        assert (await client.get(path, headers=h)).status_code == 404
    assert (await client.get("/api/v1/runs/not-a-uuid", headers=h)).status_code in (400, 404)


@contextlib.contextmanager
def _pool_use(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[int], list[str]]]:
    """Count pooled connections taken and statements run through :class:`Database`."""
    taken: list[int] = []
    statements: list[str] = []
    original = Database.connection

    @contextlib.asynccontextmanager
    async def counted(self: Database) -> AsyncIterator[asyncpg.Connection]:
        async with original(self) as conn:
            if self._bound is not None:  # a request's held connection, counted when taken
                yield conn
                return
            taken.append(id(conn))
            conn.add_query_logger(log)
            try:
                yield conn
            finally:
                conn.remove_query_logger(log)

    def log(query: Any) -> None:
        statements.append(query.query)

    monkeypatch.setattr(Database, "connection", counted)
    yield taken, statements
    monkeypatch.undo()


async def test_publish_reads_user_then_stores_run_on_its_own_connection(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone publish reads its user on one pooled connection and gives it back; its history
    and run go in two statements on the connection of its group commit (a request waiting for
    its batch holds none); a repeat finds the stored run there too, and its user in the
    instance's account cache (whose clock is stopped here)."""
    body = run_body(_name())
    now = time.monotonic()
    with pytest.MonkeyPatch.context() as frozen:
        frozen.setattr(_security, "_monotonic", lambda: now)
        client.app.state.user_cache.forget()
        with _pool_use(monkeypatch) as (taken, statements):
            r = await _publish(client, tokens["alice"], body)
        assert r.status_code == 201, r.text
        assert len(taken) == 2
        assert [q.split()[0] for q in statements] == ["SELECT", "SELECT", "WITH"]
        assert "FROM users" in statements[0] and "FROM runs" in statements[1]
        with _pool_use(monkeypatch) as (taken, statements):
            again = await _publish(client, tokens["alice"], body)
        assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
        assert len(taken) == 1 and not any("FROM users" in q for q in statements)
        assert len(statements) == 3
        with _pool_use(monkeypatch) as (taken, statements):
            listed = await client.get("/api/v1/runs?limit=1", headers=auth(tokens["vic"]))
        # the user read and both statements on the one connection the request holds
        assert listed.status_code == 200 and len(taken) == 1 and len(statements) == 3
