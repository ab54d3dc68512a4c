"""build/serve_static.py: gzip to clients that accept it, the exact bytes to those that do not."""

from __future__ import annotations

import gzip
import importlib.util
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "serve_static", ROOT / "build" / "serve_static.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SERVE = _module()
FILES = {
    "index.html": b"<!doctype html><title>t</title>" + b"<p>clock</p>" * 500,
    "sandbox/index.html": b"<!doctype html><title>s</title>" + b"<p>qubit</p>" * 500,
    "qt/js/main.js": b"export const answer = 42;\n" * 400,
    "pyodide/pyodide.asm.wasm": b"\x00asm\x01\x00\x00\x00" + bytes(range(256)) * 64,
    "qtcore.whl": b"PK\x03\x04" + b"zipped already" * 300,
    "sitemap.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset>'
    b"<url><loc>http://127.0.0.1:8000/</loc></url>"
    b"<url><loc>http://127.0.0.1:8000/sandbox/</loc></url></urlset>\n",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("public")
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    server, _ = SERVE.start_server(root)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/"
    server.shutdown()


def _get(url: str, encoding: str | None) -> tuple[dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(req, timeout=30) as r:  # urllib never decompresses
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


@pytest.mark.parametrize(
    ("path", "name", "ctype"),
    [
        ("", "index.html", "text/html"),
        ("sandbox/", "sandbox/index.html", "text/html"),
        ("qt/js/main.js", "qt/js/main.js", "text/javascript"),
        ("pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.wasm", "application/wasm"),
    ],
)
def test_compressible_files_go_out_gzipped(base: str, path: str, name: str, ctype: str) -> None:
    headers, body = _get(base + path, "br, gzip;q=0.8")
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"].startswith(ctype)
    assert headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(body) < len(FILES[name]) / 2
    assert gzip.decompress(body) == FILES[name]
    # Served again from the cache: the same bytes.
    assert _get(base + path, "gzip")[1] == body


@pytest.mark.parametrize("encoding", [None, "identity", "gzip;q=0", "br"])
def test_clients_without_gzip_get_the_file_as_is(base: str, encoding: str | None) -> None:
    headers, body = _get(base + "qt/js/main.js", encoding)
    assert "content-encoding" not in headers
    assert body == FILES["qt/js/main.js"]


def test_archives_are_not_compressed_again(base: str) -> None:
    headers, body = _get(base + "qtcore.whl", "gzip")
    assert "content-encoding" not in headers
    assert body == FILES["qtcore.whl"]


def test_a_missing_file_is_still_a_404(base: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(base + "nope.js", "gzip")
    assert err.value.code == 404


def test_sitemap_names_this_servers_origin(base: str) -> None:
    """Material's instant navigation matches links against the sitemap, port included."""
    _, body = _get(base + "sitemap.xml", "gzip")
    assert body.count(b"<loc>" + base.encode()) == 2
    assert b"<loc>" + base.encode() + b"sandbox/</loc>" in body
    assert b":8000" not in body


def test_site_url_default_is_the_one_build_site_fingerprints() -> None:
    """mkdocs.yml's default site_url and build_site.py's DEFAULT_SITE_URL must agree, or
    `make serve` (which exports it) and a plain build would rebuild each other's site."""
    import re

    yml = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    script = (ROOT / "build" / "build_site.py").read_text(encoding="utf-8")
    configured = re.search(r'^site_url: !ENV \[QT_SITE_URL, "([^"]+)"\]$', yml, re.MULTILINE)
    default = re.search(r'^DEFAULT_SITE_URL = "([^"]+)"$', script, re.MULTILINE)
    assert configured and default
    assert configured.group(1) == default.group(1) == "http://127.0.0.1:8000/"


def _status(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


@pytest.mark.parametrize("path", ["pyodide/pyodide.asm.wasm", "qt/js/main.js", ""])
@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_an_unchanged_compressed_file_is_not_sent_again(
    base: str, path: str, validator: str
) -> None:
    """A warm visit revalidates: the gzip path answers 304 as the plain one does. A 200 with
    the same bytes replaces Chromium's cache entry and drops the WebAssembly it compiled, so
    each warm visit compiled Pyodide again (issue 9: warm first frame 2.9 s, was 1.75 s)."""
    status, headers, body = _status(base + path, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    ask = {"etag": "If-None-Match", "last-modified": "If-Modified-Since"}[validator]
    status, again, body = _status(base + path, {"Accept-Encoding": "gzip", ask: headers[validator]})
    assert (status, body) == (304, b"")
    assert again["etag"] == headers["etag"]


def test_a_changed_or_unknown_version_is_sent_in_full(base: str, tmp_path: Path) -> None:
    url = base + "qt/js/main.js"
    headers = _status(url, {"Accept-Encoding": "gzip"})[1]
    for ask in (
        {"If-None-Match": '"someone-else"'},
        {"If-None-Match": '"someone-else"', "If-Modified-Since": headers["last-modified"]},
        {"If-Modified-Since": "Thu, 01 Jan 1981 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
    ):
        status, _, body = _status(url, {"Accept-Encoding": "gzip", **ask})
        assert status == 200, ask
        assert gzip.decompress(body) == FILES["qt/js/main.js"]


def test_the_plain_and_gzip_versions_have_different_etags(base: str) -> None:
    """A cache must not answer a client without gzip with the compressed bytes' tag."""
    gz = _status(base + "qt/js/main.js", {"Accept-Encoding": "gzip"})[1]
    status, plain, body = _status(
        base + "qt/js/main.js", {"Accept-Encoding": "identity", "If-None-Match": gz["etag"]}
    )
    assert status == 200 and body == FILES["qt/js/main.js"]
    assert plain.get("etag") != gz["etag"]
