"""The registry serves the site (and its API) gzip-compressed to clients that accept it."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from registry_api import Settings, create_app
from registry_api._edge import DEFAULT_SITE_CSP

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


def _assert_secure(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == DEFAULT_SITE_CSP


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
async def test_unchanged_site_files_answer_304(
    settings: Settings, tmp_path: Path, encoding: str
) -> None:
    """A warm visit revalidates: a 200 would replace the cache entry and Chromium's compiled
    wasm with it, so an unchanged file must answer 304 (both validators, both encodings)."""
    _site(tmp_path)
    app = create_app(settings, site_dir=tmp_path)
    async with AsyncTestClient(app=app) as client:
        for url in ("/", "/qt/js/app.js", "/pyodide/pyodide.asm.wasm"):
            accept = {"Accept-Encoding": encoding}
            first = await client.get(url, headers=accept)
            assert first.status_code == 200, url
            assert first.headers["cache-control"] == "no-cache", url
            assert first.headers["vary"] == "Accept-Encoding", url
            etag, modified = first.headers["etag"], first.headers["last-modified"]
            assert etag.endswith('-gzip"') == (encoding == "gzip"), etag
            for validator in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
                again = await client.get(url, headers={**accept, **validator})
                assert again.status_code == 304, (url, validator)
                assert again.content == b"", url
                assert again.headers["etag"] == etag, url
                assert again.headers["vary"] == "Accept-Encoding", url
                assert "content-encoding" not in again.headers, url
                _assert_secure(again.headers)
            # The other encoding's tag names other bytes: send them.
            other = etag.replace('-gzip"', '"') if encoding == "gzip" else etag[:-1] + '-gzip"'
            miss = await client.get(url, headers={**accept, "If-None-Match": other})
            assert miss.status_code == 200, url
            assert miss.content == first.content, url


async def test_changed_site_file_is_sent_again(settings: Settings, tmp_path: Path) -> None:
    files = _site(tmp_path)
    app = create_app(settings, site_dir=tmp_path)
    wasm = tmp_path / "pyodide/pyodide.asm.wasm"
    async with AsyncTestClient(app=app) as client:
        url, gz = "/pyodide/pyodide.asm.wasm", {"Accept-Encoding": "gzip"}
        first = await client.get(url, headers=gz)
        wasm.write_bytes(files["pyodide/pyodide.asm.wasm"] + b"\x01")
        st = wasm.stat()
        os.utime(wasm, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))  # a later build
        again = await client.get(url, headers={**gz, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 200
        assert again.headers["etag"] != first.headers["etag"]
        assert again.content == files["pyodide/pyodide.asm.wasm"] + b"\x01"


async def test_site_file_is_compressed_once_per_version(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 9.6 MB wasm took 1-2 s of gzip per request; now once per file version."""
    import registry_api._site as site

    files = _site(tmp_path)
    compressed: list[str] = []
    original = site._compress

    def counted(path: str) -> bytes:
        compressed.append(path)
        return original(path)

    monkeypatch.setattr(site, "_compress", counted)
    app = create_app(settings, site_dir=tmp_path)
    url, gz = "/pyodide/pyodide.asm.wasm", {"Accept-Encoding": "gzip"}
    async with AsyncTestClient(app=app) as client:
        bodies = []
        for _ in range(3):
            async with client.stream("GET", url, headers=gz) as stream:
                assert stream.headers["content-encoding"] == "gzip"
                assert stream.headers["content-type"] == "application/wasm"
                raw = b"".join([chunk async for chunk in stream.aiter_raw()])
                assert int(stream.headers["content-length"]) == len(raw)
                _assert_secure(stream.headers)
            bodies.append(raw)
        assert gzip.decompress(bodies[0]) == files["pyodide/pyodide.asm.wasm"]
        assert bodies[0] == bodies[1] == bodies[2]  # the same bytes, once compressed
        assert len(compressed) == 1
        head = await client.head(url, headers=gz)
        assert head.status_code == 200
        assert head.headers["content-length"] == str(len(bodies[0]))
        assert head.content == b""
        assert len(compressed) == 1


async def test_site_missing_file_gets_the_404_page(settings: Settings, tmp_path: Path) -> None:
    _site(tmp_path)
    (tmp_path / "404.html").write_bytes(b"<!doctype html><p>not here</p>" * 50)
    (tmp_path.parent / "secret.txt").write_bytes(b"nope")
    app = create_app(settings, site_dir=tmp_path)
    async with AsyncTestClient(app=app) as client:
        for url in ("/no/such/page/", "/..%2fsecret.txt"):
            r = await client.get(url, headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 404, url
            assert b"nope" not in r.content, url
        r = await client.get("/no/such/page/", headers={"Accept-Encoding": "gzip"})
        assert r.content == (tmp_path / "404.html").read_bytes()
        _assert_secure(r.headers)
