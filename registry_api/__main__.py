"""``python -m registry_api {serve,migrate,create-admin,create-user}``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys
from pathlib import Path
from typing import Any

from registry_api._settings import Settings

__all__ = ["main", "server_options"]


def _resolve(settings: Settings) -> tuple[Settings, object | None]:
    """Fill missing DATABASE_URL / REDIS_URL with embedded servers."""
    if settings.database_url and settings.redis_url:
        return settings, None
    from registry_api._embedded import EmbeddedServices

    emb = EmbeddedServices(settings.data_dir)
    db = settings.database_url or emb.postgres_url()
    rd = settings.redis_url or emb.redis_url()
    return dataclasses.replace(settings, database_url=db, redis_url=rd), emb


async def _migrate(dsn: str) -> list[str]:
    import asyncpg

    from registry_api._db import apply_migrations

    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


async def _create_user(dsn: str, username: str, password: str, role: str) -> int:
    import asyncpg
    import msgspec

    from registry_api import _audit
    from registry_api._db import _init_connection, apply_migrations
    from registry_api._schemas import UserCreate
    from registry_api._security import hash_password

    msgspec.convert({"username": username, "password": password, "role": role}, UserCreate)
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        await _init_connection(conn)
        hashed = await hash_password(password)
        async with conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)"
                " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
                " role = EXCLUDED.role, active = true,"
                " token_version = users.token_version + 1"  # the reset revokes older tokens
                " RETURNING id, (xmax = 0) AS inserted",
                username,
                hashed,
                role,
            )
            uid: int = row["id"]
            # a re-run resets the password/role of an existing account: audit it as an update
            action = "user.create" if row["inserted"] else "user.update"
            detail: dict[str, object] = {"username": username, "role": role, "via": "cli"}
            if not row["inserted"]:
                detail.update(active=True, passwordChanged=True)
            await _audit.record(conn, None, action, "user", str(uid), detail)
        return uid
    finally:
        await conn.close()


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m registry_api", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the API (and the built site)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--site-dir", type=Path, default=None, help="built MkDocs site for /")
    serve.add_argument("--workers", type=int, default=1)
    sub.add_parser("migrate", help="apply pending SQL migrations")
    for name, helptext in (("create-admin", "create an admin"), ("create-user", "create a user")):
        p = sub.add_parser(name, help=helptext + " (or reset its password)")
        p.add_argument("--username", required=True)
        grp = p.add_mutually_exclusive_group()
        grp.add_argument("--password")
        grp.add_argument("--password-stdin", action="store_true")
        if name == "create-user":
            p.add_argument("--role", choices=["viewer", "researcher", "admin"], default="viewer")
    args = parser.parse_args(argv)

    import msgspec

    settings, emb = _resolve(Settings.from_env())
    assert settings.database_url and settings.redis_url
    if args.cmd == "migrate":
        done = asyncio.run(_migrate(settings.database_url))
        print(f"applied: {', '.join(done) or 'nothing (up to date)'}")
        return 0
    if args.cmd in ("create-admin", "create-user"):
        role = "admin" if args.cmd == "create-admin" else args.role
        try:
            uid = asyncio.run(
                _create_user(settings.database_url, args.username, _password(args), role)
            )
        except msgspec.ValidationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"user {args.username!r} (id {uid}) has role {role!r}")
        return 0
    return _serve(settings, args, emb)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options that bound request heads and their arrival time (httptools with a head
    limit and a read deadline) and pick who may set ``X-Forwarded-For``."""
    proxies = list(settings.trusted_proxies)
    from registry_api._http import bounded_httptools

    return {
        "http": bounded_httptools(settings.max_header_bytes),
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }


def _serve(settings: Settings, args: argparse.Namespace, emb: object | None) -> int:
    import uvicorn

    from registry_api import create_app

    if args.site_dir is not None and not (args.site_dir / "index.html").exists():
        print(f"error: --site-dir {args.site_dir} has no index.html; build the site first",
              file=sys.stderr)  # fmt: skip
        return 2
    asyncio.run(_migrate(settings.database_url or ""))
    app = create_app(settings, site_dir=args.site_dir)
    if emb is not None:
        from registry_api._embedded import EmbeddedServices

        assert isinstance(emb, EmbeddedServices)

        async def stop_embedded() -> None:
            await asyncio.to_thread(emb.stop)

        app.state.after_shutdown = [stop_embedded]  # runs after the pool and Redis close
    base = f"http://{args.host}:{args.port}"
    mode = "embedded Postgres + Redis under " + str(settings.data_dir) if emb else "external"
    print(f"QuantumTime registry ({mode})")
    if args.site_dir is not None:
        print(f"  site:     {base}/")
    print(f"  API:      {base}/api/v1/")
    print(f"  OpenAPI:  {base}/api/schema")
    print(f"  health:   {base}/health   ready: {base}/ready   metrics: {base}/metrics")
    print("  create a user:  python -m registry_api create-admin --username admin --password-stdin")
    print("                  python -m registry_api create-user --username ada --role researcher")
    sys.stdout.flush()
    from registry_api._logging import uvicorn_log_config

    # No permessage-deflate: frames are binary and barely compress, and compressing a large
    # frame for every viewer that asks for it would let one viewer spend a core.
    # The request head and its arrival time are bounded (registry_api._http), and forwarding
    # headers are believed only from TRUSTED_PROXIES (uvicorn trusts 127.0.0.1 by default).
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                log_config=uvicorn_log_config(), timeout_graceful_shutdown=10,
                ws_per_message_deflate=False, **server_options(settings))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
