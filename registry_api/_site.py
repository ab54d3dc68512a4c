"""The built site at ``/``: Litestar's static files, revalidated and gzip-compressed once.

Litestar 2.25's static files router answers every request with ``200`` and the whole file (it
sends an ``ETag`` but never compares it), and the app's ``CompressionConfig`` gzips each
response again, at level 9: 1-2 s of CPU per request for Pyodide's 9.6 MB WebAssembly. A 200
replaces the browser's cache entry and, with it, the code Chromium compiled for that response,
so every warm visit through ``make serve`` downloaded and compiled Pyodide again. Neither the
router nor the compression middleware has an option for conditional requests or precompressed
bodies, so :func:`create_site_router` keeps Litestar's file resolution
(:class:`~litestar.static_files.StaticFiles`: confinement to the directory, ``index.html`` for
folders, ``404.html``) and adds what ``build/serve_static.py`` does for the standalone server:

* ``Cache-Control: no-cache``, an ``ETag`` per file version *and encoding* (``-gzip``
  suffix: the two bodies differ) and ``Last-Modified``; a request whose ``If-None-Match`` (or,
  without it, ``If-Modified-Since``) matches gets ``304 Not Modified``;
* text and WebAssembly gzip-compressed (level 6) once per file version and kept in memory
  (bounded, least recently used first out), with ``Vary: Accept-Encoding`` on every answer for
  them; the app's compression middleware skips these routes (``opt`` key
  :data:`SKIP_COMPRESSION`).
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import mimetypes
import os
from collections import OrderedDict
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, cast

import anyio.to_thread
from litestar import Request, Router, get, head
from litestar.file_system import BaseLocalFileSystem
from litestar.params import FromPath
from litestar.response.base import ASGIResponse
from litestar.response.file import ASGIFileResponse
from litestar.static_files import StaticFiles

if TYPE_CHECKING:
    from litestar.datastructures import Headers

__all__ = ["COMPRESSIBLE", "SKIP_COMPRESSION", "SiteFiles", "accepts_gzip", "create_site_router"]

#: Suffixes sent gzip-compressed to clients that accept it (archives are compressed already).
COMPRESSIBLE = frozenset(
    {".html", ".js", ".mjs", ".css", ".json", ".wasm", ".py", ".toml", ".svg", ".xml", ".txt"}
)
#: ``opt`` key with which the site's routes opt out of the app's compression middleware.
SKIP_COMPRESSION = "skip_compression"
#: Bodies under this size go out as they are (as the app's ``CompressionConfig.minimum_size``).
MIN_GZIP_BYTES = 1024
#: Compressed bodies kept in memory, in bytes (the whole site compresses to about 5 MB).
GZIP_CACHE_BYTES = 64 * 1024 * 1024

_Key = tuple[str, int, int]


def accepts_gzip(header: str | None) -> bool:
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


def _compress(path: str) -> bytes:
    with open(path, "rb") as f:
        return gzip.compress(f.read(), compresslevel=6, mtime=0)


class SiteFiles:
    """Answers for the built site's files: validators, ``304``, gzip from a memory cache.

    Args:
        directory: The built site.
        cache_bytes: Upper bound of the compressed bodies kept in memory.
    """

    def __init__(self, directory: Path, cache_bytes: int = GZIP_CACHE_BYTES) -> None:
        self.static = StaticFiles(
            is_html_mode=True, directories=[directory], file_system=BaseLocalFileSystem()
        )
        self.cache_bytes = cache_bytes
        self.cached_bytes = 0
        self._gzip: OrderedDict[_Key, bytes] = OrderedDict()
        self._pending: dict[_Key, asyncio.Future[bytes]] = {}
        #: How many times a file was compressed (tests check that it is once per version).
        self.compressions = 0

    async def gzipped(self, path: str, mtime_ns: int, size: int) -> bytes:
        """``path`` gzip-compressed, from the cache or compressed once (off the event loop)."""
        key = (path, mtime_ns, size)
        hit = self._gzip.get(key)
        if hit is not None:
            self._gzip.move_to_end(key)
            return hit
        pending = self._pending.get(key)
        if pending is not None:  # another request is compressing it: wait for that
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            self.compressions += 1
            body = await anyio.to_thread.run_sync(_compress, path)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            del self._pending[key]
        future.set_result(body)
        if len(body) <= self.cache_bytes:
            self._gzip[key] = body
            self.cached_bytes += len(body)
            while self.cached_bytes > self.cache_bytes:
                _, old = self._gzip.popitem(last=False)
                self.cached_bytes -= len(old)
        return body

    async def respond(self, headers: Headers, path: str, *, head: bool) -> ASGIResponse:
        """The answer to a GET (``head=False``) or HEAD of ``path`` with request ``headers``."""
        found: ASGIFileResponse = await self.static.handle(path=path, is_head_response=head)
        file_path = str(found.file_path)
        stat = os.stat(file_path)
        name = os.path.basename(file_path)
        compressible = os.path.splitext(name)[1].lower() in COMPRESSIBLE
        use_gzip = (
            compressible
            and stat.st_size >= MIN_GZIP_BYTES
            and accepts_gzip(headers.get("accept-encoding"))
        )
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}{"-gzip" if use_gzip else ""}"'
        extra = {
            "cache-control": "no-cache",
            "etag": etag,
            "last-modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }
        if compressible:
            extra["vary"] = "Accept-Encoding"
        if found.status_code == 200 and _not_modified(headers, stat, etag):
            return ASGIResponse(status_code=304, headers=extra)
        if not use_gzip:
            for name, value in extra.items():
                found.headers[name] = value
            return found
        body = await self.gzipped(file_path, stat.st_mtime_ns, stat.st_size)
        extra["content-encoding"] = "gzip"
        extra["content-length"] = str(len(body))
        extra["content-type"] = _content_type(name)
        extra["content-disposition"] = found.headers["content-disposition"]
        return ASGIResponse(
            body=b"" if head else body,
            content_length=len(body),
            status_code=found.status_code,
            headers=extra,
            is_head_response=head,
        )


def _content_type(name: str) -> str:
    """``Content-Type`` of file ``name`` as Litestar's file responses send it."""
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def _not_modified(headers: Headers, stat: os.stat_result, etag: str) -> bool:
    """Whether the request's validators match this version of the file (RFC 9110 13.2.2:
    ``If-None-Match`` first; ``If-Modified-Since`` only without it, to the second)."""
    match = headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # not a date: send the file
    if when.tzinfo is None:
        return False
    return int(stat.st_mtime) <= when.timestamp()


def create_site_router(directory: Path, *, opt: dict[str, Any] | None = None) -> Router:
    """A router serving ``directory`` at ``/`` in HTML mode (as Litestar's
    ``create_static_files_router(path="/", html_mode=True)``), through :class:`SiteFiles`.

    Args:
        directory: The built site.
        opt: Extra ``opt`` for the routes (``exclude_from_auth``, ...).

    Returns:
        The router; its ``SiteFiles`` is ``router.opt["site_files"]``.
    """
    site = SiteFiles(directory)

    @get("{file_path:path}", name="site")
    async def get_file(
        request: Request[Any, Any, Any], file_path: FromPath[PurePath]
    ) -> ASGIResponse:
        return await site.respond(request.headers, file_path.as_posix(), head=False)

    # Litestar accepts only file responses (or none) from HEAD handlers; a gzip answer is a
    # plain ASGIResponse with the headers and no body, which Litestar sends the same way.
    @head("/{file_path:path}", name="site/head")
    async def head_file(
        request: Request[Any, Any, Any], file_path: FromPath[PurePath]
    ) -> ASGIFileResponse:
        response = await site.respond(request.headers, file_path.as_posix(), head=True)
        return cast("ASGIFileResponse", response)

    @get("/", name="site/index")
    async def index(request: Request[Any, Any, Any]) -> ASGIResponse:
        return await site.respond(request.headers, "/", head=False)

    return Router(
        path="/",
        route_handlers=[get_file, head_file, index],
        include_in_schema=False,
        opt={**(opt or {}), SKIP_COMPRESSION: True, "site_files": site},
    )
