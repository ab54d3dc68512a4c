"""Audit log writes: one row per write, inside the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg

    from registry_api._security import AuthUser

__all__ = ["record"]


async def record(
    conn: asyncpg.Connection,
    actor: AuthUser | None,
    action: str,
    target_type: str,
    target_id: str | None,
    detail: dict[str, Any] | None = None,
    *,
    via: str = "cli",
) -> None:
    """Insert an audit event using ``conn`` (call it inside the write's transaction).

    Args:
        conn: The connection holding the write's transaction.
        actor: Who did it (``None``: the CLI or the service itself, named by ``via``).
        action: Dotted verb, e.g. ``run.publish``.
        target_type: ``run``, ``user`` or ``session``.
        target_id: The target's id.
        detail: Small JSON-able context (never secrets).
        via: ``actor_username`` recorded when ``actor`` is ``None``.
    """
    await conn.execute(
        "INSERT INTO audit_events (actor_id, actor_username, action, target_type, target_id,"
        " detail) VALUES ($1, $2, $3, $4, $5, $6)",
        actor.id if actor else None,
        actor.username if actor else via,
        action,
        target_type,
        target_id,
        detail or {},
    )
