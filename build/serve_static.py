"""Serve the built site (``public/``) on 127.0.0.1 with the right MIME types.

Usage::

    python build/serve_static.py [--dir public] [--port 8000] [--build]

``--build`` runs ``build/build_site.py`` first (which skips what is up to date). Prints the
URL. Any static server works for the site; this one only makes sure ``.mjs`` and ``.wasm``
get JavaScript and WebAssembly MIME types and that nothing is cached between test runs.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["QuietHandler", "main", "start_server"]

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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with explicit MIME types; logs only errors."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **MIME,
    }

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

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
