"""Serve the built site (``public/``) on 127.0.0.1 with the right MIME types.

Usage::

    python build/serve_static.py [--dir public] [--port 8000] [--build]

``--build`` runs ``build/build_site.py`` first (which skips what is up to date). Prints the
URL. Any static server works for the site; this one makes sure ``.mjs`` and ``.wasm`` get
JavaScript and WebAssembly MIME types, that nothing is cached between test runs, and that text
and WebAssembly go out gzip-compressed to clients that accept it (the Pyodide runtime is about
a third of its size compressed). Compressed bodies are kept in memory per file version.

Every file is revalidated (``Cache-Control: no-cache``) and an unchanged one answers
``304 Not Modified``, compressed or not: a 200 with the same bytes would replace the browser's
cache entry and, with it, the compiled code Chromium keeps for that response, so a warm visit
would compile Pyodide's 9.6 MB of WebAssembly again.
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import gzip
import http.server
import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["COMPRESSIBLE", "QuietHandler", "main", "start_server"]

ROOT = Path(__file__).resolve().parent.parent
MIME = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".py": "text/x-python",
    ".toml": "text/plain",
    ".svg": "image/svg+xml",
}

#: Suffixes sent gzip-compressed when the client accepts it (archives are compressed already).
COMPRESSIBLE = frozenset(
    {".html", ".js", ".mjs", ".css", ".json", ".wasm", ".py", ".toml", ".svg", ".xml", ".txt"}
)
_GZIP_CACHE: dict[tuple[str, int, int], bytes] = {}
_GZIP_LOCK = threading.Lock()


def _gzipped(path: str, stat: os.stat_result) -> bytes:
    """``path`` gzip-compressed (level 6, no timestamp), cached for this file version."""
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _GZIP_LOCK:
        hit = _GZIP_CACHE.get(key)
    if hit is None:
        with open(path, "rb") as f:
            hit = gzip.compress(f.read(), compresslevel=6, mtime=0)
        with _GZIP_LOCK:
            _GZIP_CACHE[key] = hit
    return hit


def _accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``gzip`` or ``*`` with q > 0)."""
    for part in (header or "").split(","):
        coding, *params = (x.strip() for x in part.split(";"))
        if coding.lower() not in ("gzip", "*"):
            continue
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        return q > 0
    return False


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with explicit MIME types and gzip; logs only errors."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME,
    }

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self) -> Any:
        """A compressible file, gzip-compressed, when the client accepts gzip; else as is."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if os.path.basename(path) == "sitemap.xml" and os.path.isfile(path):
            return self._sitemap(path)
        suffix = os.path.splitext(path)[1].lower()
        if (
            suffix not in COMPRESSIBLE
            or not os.path.isfile(path)
            or not _accepts_gzip(self.headers.get("Accept-Encoding"))
        ):
            return super().send_head()
        stat = os.stat(path)
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}-gzip"'
        if self._not_modified(stat, etag):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return None
        body = _gzipped(path, stat)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", self.date_time_string(stat.st_mtime))
        self.end_headers()
        return io.BytesIO(body)

    def _not_modified(self, stat: os.stat_result, etag: str) -> bool:
        """Whether the request's validators match this version of the file (RFC 9110 13.2.2:
        ``If-None-Match`` first; ``If-Modified-Since`` only without it, to the second)."""
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {t.strip().removeprefix("W/") for t in match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # not a date: send the file
        if when.tzinfo is None:
            return False
        return int(stat.st_mtime) <= when.timestamp()

    def _sitemap(self, path: str) -> io.BytesIO:
        """sitemap.xml with this server's origin in place of ``site_url``'s.

        Material's instant navigation follows only links whose URL is in the sitemap, matched
        with the sitemap's port; served on another port (tests, ``--port``) every click would
        reload the page and restart Pyodide.
        """
        with open(path, "rb") as f:
            body = f.read()
        host = self.headers.get("Host", "")
        built = re.search(rb"<loc>(https?://[^/<]+)/", body)
        if built and re.fullmatch(
            r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", host
        ):
            body = body.replace(b"<loc>" + built.group(1), b"<loc>http://" + host.encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:
        if len(args) > 1 and str(args[1]).startswith(("4", "5")):
            super().log_message(format, *args)


def start_server(
    directory: Path, port: int = 0, host: str = "127.0.0.1"
) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    """Start a threaded static server on ``host:port`` (0 = a free port) in a daemon thread."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name="qt-static", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "public")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--build", action="store_true", help="run build/build_site.py first")
    args = parser.parse_args(argv)
    if args.build:
        subprocess.run([sys.executable, str(ROOT / "build" / "build_site.py")], check=True)
    if not (args.dir / "index.html").is_file():
        print(
            f"serve_static: {args.dir} has no index.html; run build/build_site.py", file=sys.stderr
        )
        return 1
    server, thread = start_server(args.dir, args.port, args.host)
    host, port = server.server_address[:2]
    print(f"Serving {args.dir} at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
