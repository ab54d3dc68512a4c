"""Admin user management and the audit log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry_api import create_app
from registry_api._db import apply_migrations
from registry_api._security import ISSUER, make_jwt_auth

from ._support import run_body, start_in_process
from .conftest import ADMIN_DSN, auth

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_users_create_update_delete_audited(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    h = auth(tokens["admin"])
    name = f"u-{uuid.uuid4().hex[:10]}"
    r = await client.post("/api/v1/users", json={"username": name, "password": "12345678x",
                                                 "role": "researcher"}, headers=h)  # fmt: skip
    assert r.status_code == 201 and "password" not in r.text.lower()
    uid = r.json()["id"]
    assert (await client.post("/api/v1/token", json={"username": name, "password": "12345678x"})
            ).status_code == 200  # fmt: skip
    r = await client.patch(f"/api/v1/users/{uid}", json={"password": "new password!"}, headers=h)
    assert r.status_code == 200 and r.json()["role"] == "researcher"
    assert (await client.post("/api/v1/token", json={"username": name, "password": "12345678x"})
            ).status_code == 401  # fmt: skip
    assert (await client.delete(f"/api/v1/users/{uid}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/users/{uid}", headers=h)).status_code == 404
    audit = (await client.get("/api/v1/audit?actor=admin&limit=500", headers=h)).json()["items"]
    actions = [e["action"] for e in audit if e["targetId"] == str(uid)]
    assert actions == ["user.delete", "user.update", "user.create"]
    upd = next(e for e in audit if e["targetId"] == str(uid) and e["action"] == "user.update")
    assert upd["detail"]["passwordChanged"] is True and "new password" not in str(upd)


async def test_users_conflicts(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], user_ids: dict[str, int]
) -> None:
    h = auth(tokens["admin"])
    dup = await client.post("/api/v1/users", json={"username": "alice", "password": "12345678x"},
                            headers=h)  # fmt: skip
    assert dup.status_code == 409
    me = user_ids["admin"]
    assert (await client.delete(f"/api/v1/users/{me}", headers=h)).status_code == 409
    assert (await client.patch(f"/api/v1/users/{me}", json={"role": "viewer"},
                               headers=h)).status_code == 409  # fmt: skip
    assert (await client.patch(f"/api/v1/users/{me}", json={"active": False},
                               headers=h)).status_code == 409  # fmt: skip
    await client.post("/api/v1/runs", json=run_body("owned"), headers=auth(tokens["bob"]))
    r = await client.delete(f"/api/v1/users/{user_ids['bob']}", headers=h)
    assert r.status_code == 409 and "deactivate" in r.text


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ab", "password": "12345678x"},
        {"username": "has space", "password": "12345678x"},
        {"username": "okname", "password": "short"},
        {"username": "okname2", "password": "12345678x", "role": "root"},
        {"username": "okname3", "password": "12345678x", "isAdmin": True},
    ],
)
async def test_users_create_validation_400(
    client: AsyncTestClient[Litestar], tokens: dict[str, str], body: dict[str, object]
) -> None:
    r = await client.post("/api/v1/users", json=body, headers=auth(tokens["admin"]))
    assert r.status_code == 400, r.text


async def test_sessions_lifecycle_audited(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    h = auth(tokens["alice"])
    s = await client.post("/api/v1/sessions", json={"title": "t", "scenarioName": "bell"},
                          headers=h)  # fmt: skip
    sid = s.json()["id"]
    assert s.json()["watchPath"] == f"/api/v1/sessions/{sid}/watch"
    listed = await client.get("/api/v1/sessions", headers=auth(tokens["vic"]))
    assert sid in [x["id"] for x in listed.json()]
    assert (await client.delete(f"/api/v1/sessions/{sid}", headers=h)).status_code == 204
    got = (await client.get(f"/api/v1/sessions/{sid}", headers=h)).json()
    assert got["status"] == "ended" and got["endedAt"] is not None
    listed = await client.get("/api/v1/sessions?status=ended", headers=auth(tokens["vic"]))
    assert sid in [x["id"] for x in listed.json()]
    audit = await client.get("/api/v1/audit?limit=500", headers=auth(tokens["admin"]))
    acts = sorted(e["action"] for e in audit.json()["items"] if e["targetId"] == sid)
    assert acts == ["session.end", "session.open"]


async def test_password_change_revokes_earlier_tokens(
    client: AsyncTestClient[Litestar], tokens: dict[str, str]
) -> None:
    h = auth(tokens["admin"])
    name = f"pw-{uuid.uuid4().hex[:10]}"
    made = await client.post("/api/v1/users", json={"username": name, "password": "first-pass-1",
                                                    "role": "viewer"}, headers=h)  # fmt: skip
    uid = made.json()["id"]
    login = {"username": name, "password": "first-pass-1"}
    old = (await client.post("/api/v1/token", json=login)).json()["accessToken"]
    assert (await client.get("/api/v1/me", headers=auth(old))).status_code == 200
    # a role change keeps the token (the role is re-read per request) ...
    await client.patch(f"/api/v1/users/{uid}", json={"role": "researcher"}, headers=h)
    assert (await client.get("/api/v1/me", headers=auth(old))).json()["role"] == "researcher"
    # ... a new password revokes it
    await client.patch(f"/api/v1/users/{uid}", json={"password": "second-pass-2"}, headers=h)
    r = await client.get("/api/v1/me", headers=auth(old))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    login["password"] = "second-pass-2"
    new = (await client.post("/api/v1/token", json=login)).json()["accessToken"]
    assert (await client.get("/api/v1/me", headers=auth(new))).status_code == 200


@pytest_asyncio.fixture(loop_scope="session")
async def two_admin_registry(replace_settings: Any) -> AsyncIterator[Any]:
    """A client on a fresh database whose only admins are two new accounts (and their tokens)."""
    name = f"qt_test_admins_{uuid.uuid4().hex[:8]}"
    admin_conn = await asyncpg.connect(ADMIN_DSN)
    await admin_conn.execute(f'CREATE DATABASE "{name}"')
    await admin_conn.close()
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        ids = [
            await conn.fetchval(
                "INSERT INTO users (username, password_hash, role) VALUES ($1, 'x', 'admin')"
                " RETURNING id",
                who,
            )
            for who in ("root1", "root2")
        ]
    finally:
        await conn.close()
    # user_cache_seconds=0: the test restores the admins straight in the database between
    # rounds, a change requests would otherwise see only USER_CACHE_SECONDS later
    settings = replace_settings(database_url=dsn, user_cache_seconds=0)
    jwt = make_jwt_auth(settings.jwt_secret, 900)
    toks = [
        jwt.create_token(identifier=str(i), token_issuer=ISSUER, token_audience=ISSUER) for i in ids
    ]
    # a real server: the in-process test client runs requests one after the other
    server, task, port = await start_in_process(create_app(settings))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            yield c, [str(i) for i in ids], toks, dsn
    finally:
        server.should_exit = True
        await task
        admin_conn = await asyncpg.connect(ADMIN_DSN)
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin_conn.close()


@pytest.mark.parametrize("change", [{"role": "researcher"}, {"active": False}, None])
async def test_two_admins_demoting_each_other_leave_one_admin(
    two_admin_registry: Any, change: dict[str, Any] | None
) -> None:
    """Both requests race 15 times; every time exactly one wins and one admin is left."""
    c, ids, toks, dsn = two_admin_registry
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(15):
            await conn.execute("UPDATE users SET role = 'admin', active = true")

            async def act(me: int) -> int:
                other, h = ids[1 - me], auth(toks[me])
                if change is None:
                    r = await c.delete(f"/api/v1/users/{other}", headers=h)
                else:
                    r = await c.patch(f"/api/v1/users/{other}", json=change, headers=h)
                return int(r.status_code)

            codes = sorted(await asyncio.gather(act(0), act(1)))
            left = await conn.fetchval("SELECT count(*) FROM users WHERE role = 'admin' AND active")
            assert left == 1, codes
            assert codes[0] in (200, 204) and codes[1] in (401, 403, 409), codes
            if change is None:  # re-create the deleted admin for the next round
                await conn.execute("DELETE FROM audit_events")
                for i, who in enumerate(("root1", "root2")):
                    await conn.execute(
                        "INSERT INTO users (id, username, password_hash, role) VALUES"
                        " ($1, $2, 'x', 'admin') ON CONFLICT (id) DO NOTHING",
                        int(ids[i]), who,
                    )  # fmt: skip
    finally:
        await conn.close()
