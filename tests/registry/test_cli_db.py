"""Migrations bookkeeping and the command-line interface."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import asyncpg
import pytest

from registry_api import Settings
from registry_api._db import apply_migrations, list_migrations

from ._support import ROOT

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_migrations_recorded_once_and_guarded(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        assert await apply_migrations(conn) == []  # the fixture already applied them
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY 1")
        assert [r["version"] for r in rows] == [v for v, _ in list_migrations()]
        async with conn.transaction():
            tx = conn.transaction()
            await tx.start()
            await conn.execute("UPDATE schema_migrations SET checksum = 'tampered'")
            with pytest.raises(RuntimeError, match="edited after being applied"):
                await apply_migrations(conn)
            await tx.rollback()
    finally:
        await conn.close()


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url or "",
           "REDIS_URL": settings.redis_url or "", "JWT_SECRET": settings.jwt_secret,
           "QT_LOG_LEVEL": "WARNING"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "registry_api", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip


async def test_cli_migrate_and_create_users(settings: Settings) -> None:
    out = _cli(settings, "migrate")
    assert out.returncode == 0 and "up to date" in out.stdout
    out = _cli(settings, "create-admin", "--username", "cli-admin", "--password-stdin",
               stdin="cli password 1\n")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "'admin'" in out.stdout
    out = _cli(settings, "create-user", "--username", "cli-res", "--role", "researcher",
               "--password", "cli password 2")  # fmt: skip
    assert out.returncode == 0, out.stderr
    again = _cli(settings, "create-user", "--username", "cli-res", "--role", "researcher",
                 "--password", "cli password 4")  # fmt: skip
    assert again.returncode == 0, again.stderr
    bad = _cli(settings, "create-user", "--username", "x", "--password", "cli password 3")
    assert bad.returncode == 2 and "username" in bad.stderr
    conn = await asyncpg.connect(settings.database_url)
    try:
        roles = dict(await conn.fetch(
            "SELECT username, role FROM users WHERE username LIKE 'cli-%'"))  # fmt: skip
        audited = await conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE actor_username = 'cli'"
            " AND action = 'user.create'"
        )
        resets = await conn.fetch(
            "SELECT detail FROM audit_events WHERE actor_username = 'cli'"
            " AND action = 'user.update' AND detail->>'username' = 'cli-res'"
        )
    finally:
        await conn.close()
    assert roles == {"cli-admin": "admin", "cli-res": "researcher"}
    assert audited >= 2
    assert len(resets) == 1 and json.loads(resets[0]["detail"])["passwordChanged"] is True


async def test_no_index_is_a_prefix_of_another(settings: Settings) -> None:
    """Every btree index on a table earns its upkeep: none indexes a leading part of another's
    columns (a publish updates every index on ``runs``)."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT t.relname AS tab, i.relname AS idx, ix.indkey::int2[] AS cols,"
            " pg_get_expr(ix.indpred, ix.indrelid) AS pred FROM pg_index ix"
            " JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid"
            " JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = 'public' AND am.amname = 'btree' AND NOT ix.indisunique"
        )
    finally:
        await conn.close()
    redundant = [
        (a["tab"], a["idx"], b["idx"])
        for a in rows
        for b in rows
        if a["idx"] != b["idx"] and a["tab"] == b["tab"] and a["pred"] is None
        and len(a["cols"]) < len(b["cols"]) and list(b["cols"][: len(a["cols"])]) == list(a["cols"])
    ]  # fmt: skip
    assert any(r["idx"] == "runs_owner_scenario_created_idx" for r in rows)
    assert redundant == []
