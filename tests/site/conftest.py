"""Fixtures for the browser tests: build the site once, serve it, drive Debian's Chromium.

Every request the browser makes during the session is recorded in ``requests_seen``; the
last test asserts that none went to a host other than the local server.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "public"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _load_serve_static() -> Any:
    spec = importlib.util.spec_from_file_location(
        "serve_static", ROOT / "build" / "serve_static.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """``public/``, built (or found up to date) by build/build_site.py."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    if shutil.which("npm") is None and not (ROOT / "node_modules" / "pyodide").is_dir():
        pytest.skip("npm is missing and node_modules/pyodide is not installed")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "build" / "build_site.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"site build failed:\n{proc.stdout}\n{proc.stderr}"
    return PUBLIC


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 from a thread."""
    server, _ = _load_serve_static().start_server(site_dir)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/"
    server.shutdown()


@pytest.fixture(scope="session")
def requests_seen() -> list[str]:
    """Every URL the browser requested during the session."""
    return []


@pytest.fixture(scope="session")
def browser(base_url: str) -> Iterator[Any]:
    """Debian's Chromium through Playwright (never downloads a browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any, requests_seen: list[str]) -> Iterator[Any]:
    """A fresh browser context whose requests are recorded."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000})
    ctx.on("request", lambda r: requests_seen.append(r.url))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A page whose uncaught errors fail the test."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.qt_errors = errors  # type: ignore[attr-defined]
    return pg
