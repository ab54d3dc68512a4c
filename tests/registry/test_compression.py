"""The registry serves the site (and its API) gzip-compressed to clients that accept it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _site(root: Path) -> dict[str, bytes]:
    files = {
        "index.html": b"<!doctype html><title>QuantumTime</title>" + b"<p>qubit</p>" * 400,
        "qt/js/app.js": b"export const answer = 42;\n" * 300,
        "pyodide/pyodide.asm.wasm": b"\x00asm\x01\x00\x00\x00" + bytes(range(256)) * 64,
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


async def test_site_assets_go_out_gzipped_when_accepted(settings: Settings, tmp_path: Path) -> None:
    files = _site(tmp_path)
    app = create_app(settings, site_dir=tmp_path)
    async with AsyncTestClient(app=app) as client:
        for url, name in [
            ("/", "index.html"),
            ("/qt/js/app.js", "qt/js/app.js"),
            ("/pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.wasm"),
        ]:
            r = await client.get(url, headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200, url
            assert r.headers["content-encoding"] == "gzip", url
            assert r.content == files[name], url  # httpx undid the gzip: same bytes
            assert int(r.headers["content-length"]) < len(files[name]) / 2, url
            plain = await client.get(url, headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in plain.headers, url
            assert plain.content == files[name], url
        # The raw body really is gzip: decompress it by hand.
        async with client.stream(
            "GET", "/qt/js/app.js", headers={"Accept-Encoding": "gzip"}
        ) as stream:
            raw = b"".join([chunk async for chunk in stream.aiter_raw()])
        assert gzip.decompress(raw) == files["qt/js/app.js"]
