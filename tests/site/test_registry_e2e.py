"""The site's registry pages against the real registry (Playwright, Debian's Chromium).

The registry runs as ``python -m registry_api serve --site-dir public`` on a free port, with a
throwaway database on the machine's Postgres and a unique Redis key prefix (both removed
afterwards). Published numbers are checked against qtcore run here in CPython and against
PROTOCOL.md's content hash; the live test compares the frames a viewer received with the
frames the presenter sent, in order, across a dropped connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from qtcore import Circuit, simulate

pytestmark = [pytest.mark.browser, pytest.mark.registry, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery"
READY_TIMEOUT = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _admin_sql_async(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _admin_sql(sql: str) -> None:
    """Run one statement on the admin database (in a thread: Playwright owns this loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin_sql_async(sql)).result()


def _cli(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "registry_api", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"registry_api {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def registry(site_dir: Path, tmp_path_factory: Any) -> Iterator[str]:
    """The real registry serving the built site: its base URL (``http://127.0.0.1:<port>/``)."""
    pytest.importorskip("asyncpg")
    redis = pytest.importorskip("redis")
    name = f"qt_site_e2e_{secrets.token_hex(6)}"
    prefix = f"{name}:"
    try:
        _admin_sql(f'CREATE DATABASE "{name}"')
    except OSError as exc:
        pytest.skip(f"Postgres at {ADMIN_DSN} is not reachable: {exc}")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "JWT_SECRET": secrets.token_urlsafe(32),
        "QT_DATA_DIR": str(tmp_path_factory.mktemp("registry-data")),
        "QT_LOG_LEVEL": "WARNING",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
    }
    log = (tmp_path_factory.mktemp("registry-log") / "serve.log").open("w+")
    proc: subprocess.Popen[bytes] | None = None
    try:
        _cli(
            env, "create-user", "--username", "ada", "--password", PASSWORD, "--role", "researcher"
        )
        _cli(env, "create-user", "--username", "vic", "--password", PASSWORD, "--role", "viewer")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "registry_api",
                "serve",
                "--site-dir",
                str(site_dir),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60  # start-up under CI load
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"the registry exited:\n{log.read()}")
            try:
                if httpx.get(base + "ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "registry not ready after 60 s"
            time.sleep(0.2)
        yield base
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def seen() -> list[str]:
    """URLs requested by the browser contexts of one test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return []


@pytest.fixture
def new_page(browser: Any, seen: list[str]) -> Iterator[Callable[[], Any]]:
    """Makes a page in a browser context of its own (recording requests into ``seen``);
    every context is closed at the end of the test, whether it passed or not."""
    contexts: list[Any] = []

    def make() -> Any:
        ctx = browser.new_context(viewport={"width": 1200, "height": 1000})
        contexts.append(ctx)
        ctx.on("request", lambda r: seen.append(r.url))
        ctx.on("websocket", lambda ws: seen.append(ws.url))
        pg = ctx.new_page()
        pg.qt_errors = []
        pg.on("pageerror", lambda e: pg.qt_errors.append(str(e)))
        return pg

    yield make
    for ctx in contexts:
        ctx.close()


def _open(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("html.qt-ready", state="attached", timeout=READY_TIMEOUT)
    assert not pg.qt_errors, pg.qt_errors


def _sign_in(pg: Any, username: str) -> None:
    dialog = pg.get_by_role("dialog", name="Sign in to the registry")
    dialog.wait_for(timeout=10_000)
    dialog.get_by_label("Username").fill(username)
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    dialog.wait_for(state="detached", timeout=10_000)


def _assert_local(seen: list[str], base: str) -> None:
    assert seen, "no request was recorded"
    local = urlsplit(base).netloc
    foreign = sorted({u for u in seen if urlsplit(u).netloc not in (local, "")})
    assert [u for u in foreign if not u.startswith(("data:", "blob:"))] == []


def _frames(blob: bytes) -> list[dict[str, Any]]:
    """Independent decoder of qtcore's frame stream (FRAMES.md at the root): headers + probabilities."""
    out = []
    at = 0
    while at < len(blob):
        magic, version, _flags, hlen, dlen = struct.unpack_from("<4sHHII", blob, at)
        assert magic == b"QTFR" and version == 1
        header = json.loads(blob[at + 16 : at + 16 + hlen])
        data = at + 16 + hlen
        off, count = header["arrays"]["probabilities"]
        header["probabilities"] = list(struct.unpack_from(f"<{count}d", blob, data + off))
        out.append(header)
        at += 16 + hlen + dlen
    return out


def _token(base: str, username: str) -> str:
    r = httpx.post(base + "api/v1/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["accessToken"])


def test_publish_bell_run_from_the_page(
    new_page: Callable[[], Any], registry: str, seen: list[str]
) -> None:
    pg = new_page()
    _open(pg, registry)
    w = pg.locator("#bell")
    w.get_by_role("button", name="Publish").click()
    _sign_in(pg, "ada")
    link = w.locator(".qtr-run-link")
    link.wait_for(timeout=20_000)
    run_id = link.inner_text()
    token = pg.evaluate("JSON.parse(sessionStorage.getItem('qt-registry-token')).token")
    assert token and token not in pg.url  # kept in sessionStorage, never in the page URL
    page_counts = pg.evaluate("document.getElementById('bell').lastResult.counts")

    auth = {"Authorization": f"Bearer {_token(registry, 'vic')}"}
    run = httpx.get(f"{registry}api/v1/runs/{run_id}", headers=auth).json()
    bell = Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).measure(1, 1)
    expected = simulate(bell, shots=1024, seed=7, backend="python").counts
    assert run["seed"] == 7 and run["results"]["seed"] == 7
    assert run["results"]["counts"] == expected == page_counts
    assert run["scenarioName"] == "bell" and run["owner"] == "ada" and "site" in run["tags"]
    assert run["kernel"] == "wasm" and run["runtimeMs"] > 0  # Chromium has WebAssembly SIMD
    canonical = json.dumps(
        {k: run[k] for k in ("scenario", "seed", "qtcoreVersion", "kernel", "results")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert run["contentHash"] == hashlib.sha256(canonical.encode()).hexdigest()
    # The stored frames: initial state + 4 ops; after H and CX the state is |Φ+⟩.
    blob = httpx.get(f"{registry}api/v1/runs/{run_id}/frames", headers=auth).content
    frames = _frames(blob)
    assert [f["step"] for f in frames] == [-1, 0, 1, 2, 3]
    assert frames[2]["probabilities"] == pytest.approx([0.5, 0, 0, 0.5], abs=1e-12)

    # The Runs page lists it (filtered by tag) and its detail view replays the same frames.
    _open(pg, registry + "registry/runs/?tag=site&scenario=bell")
    row = pg.locator(f'tr[data-run="{run_id}"]')
    row.wait_for(timeout=10_000)
    assert "—" in row.locator(".qtr-score").inner_text()  # fewer than 5 earlier runs
    row.get_by_role("link").click()
    pg.wait_for_function(
        "document.getElementById('runs').player?.frames.length === 5", timeout=10_000
    )
    replay = pg.evaluate(
        "document.getElementById('runs').player.frames.map("
        "(f) => [f.header.step, Array.from(f.arrays.probabilities)])"
    )
    assert replay == [[f["step"], f["probabilities"]] for f in frames]
    pg.screenshot(path=str(ARTIFACTS / "registry-run.png"), full_page=True)

    # A viewer may not publish: the widget says so (403), nothing is stored.
    pg.evaluate("sessionStorage.clear()")
    _open(pg, registry + "quickstart/")
    w = pg.locator("#order")
    w.get_by_role("button", name="Publish").click()
    _sign_in(pg, "vic")
    outcome = w.locator(".qtr-publish-outcome")
    pg.wait_for_function(
        "document.querySelector('#order .qtr-publish-outcome').textContent.includes('researcher')"
    )
    assert "viewer" in outcome.inner_text()
    total = httpx.get(f"{registry}api/v1/runs", headers=auth).json()["total"]
    assert total == 1
    assert not pg.qt_errors, pg.qt_errors
    _assert_local(seen, registry)


def test_static_hosting_says_registry_unavailable(
    new_page: Callable[[], Any], base_url: str, seen: list[str]
) -> None:
    pg = new_page()
    _open(pg, base_url)
    btn = pg.locator("#bell .qtr-publish-btn")
    btn.click()
    pg.wait_for_function(
        "document.querySelector('#bell .qtr-publish-btn').textContent === 'Registry unavailable'"
    )
    assert "unavailable" in pg.locator("#bell .qtr-publish-outcome").inner_text()
    assert pg.locator(".qtr-dialog").count() == 0  # no sign-in against nothing
    _assert_local(seen, base_url)


def test_live_session_viewer_sees_presenter_frames(
    new_page: Callable[[], Any], registry: str, seen: list[str]
) -> None:
    pres = new_page()
    _open(pres, registry + "registry/share/")
    pres.get_by_role("button", name="Share live").click()
    _sign_in(pres, "ada")
    watch_href = pres.locator(".qtr-watch-href").get_attribute("href")
    assert watch_href and "?session=" in watch_href and "token" not in watch_href
    pres.wait_for_function("document.getElementById('share').acked === 5", timeout=20_000)

    view = new_page()
    _open(view, watch_href)
    _sign_in(view, "vic")
    view.wait_for_function("document.getElementById('watch').frames.length === 5", timeout=20_000)

    # The viewer's connection drops; meanwhile the presenter runs with another seed.
    view.evaluate("document.getElementById('watch').dropConnection(1500)")
    seed = pres.locator('#live input[aria-label="Seed"]')
    seed.fill("99")
    seed.press("Tab")
    pres.wait_for_function("document.getElementById('share').acked === 10", timeout=20_000)
    view.wait_for_function("document.getElementById('watch').frames.length === 10", timeout=20_000)
    assert view.evaluate("document.getElementById('watch').reconnects") == 1
    view.screenshot(path=str(ARTIFACTS / "registry-watch.png"), full_page=True)

    pres.get_by_role("button", name="End session").click()
    view.locator(".qtr-ended").wait_for(timeout=10_000)
    assert "Session ended" in view.locator(".qtr-watch-status").inner_text()

    got = view.evaluate(
        "(() => { const w = document.getElementById('watch');"
        " return {seqs: w.seqs, lost: w.lost, frames: w.frames.map((f) =>"
        " [f.header.step, f.header.op ?? null, Array.from(f.arrays.probabilities)])}; })()"
    )
    sent = pres.evaluate(
        "document.getElementById('share').history.map((b) => Array.from(new Uint8Array(b)))"
    )
    expected = [_frames(bytes(b))[0] for b in sent]
    assert got["seqs"] == list(range(10)) and got["lost"] == 0
    assert got["frames"] == [[f["step"], f.get("op"), f["probabilities"]] for f in expected]
    assert [f[0] for f in got["frames"]] == [-1, 0, 1, 2, 3] * 2
    assert got["frames"][2][2] == pytest.approx([0.5, 0, 0, 0.5], abs=1e-12)
    # The API agrees that the session is over.
    auth = {"Authorization": f"Bearer {_token(registry, 'vic')}"}
    sid = watch_href.split("session=")[1]
    assert httpx.get(f"{registry}api/v1/sessions/{sid}", headers=auth).json()["status"] == "ended"
    assert not pres.qt_errors and not view.qt_errors
    _assert_local(seen, registry)
