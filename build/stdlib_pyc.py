"""Precompile the standard-library modules a page imports before its first frame.

The npm ``pyodide`` package ships ``python_stdlib.zip`` as source (``.py`` only), so every page
load compiles each module Pyodide and qtcore import, in WebAssembly: about 2-3 s of the first
frame on this machine (issue 9). ``build/compile_stdlib.mjs`` boots the pinned Pyodide, imports
what the worker imports and runs one circuit, asks :func:`loaded_from` which modules came out of
the zip, and has :func:`precompile` replace exactly those ``.py`` files by ``.pyc`` files
compiled by that same Pyodide (its Python version and magic number).

The ``.pyc`` files are hash-based and unchecked (PEP 552): nothing depends on timestamps, and
the output is the same for the same inputs. The rest of the zip is copied entry by entry, so
modules imported later still load from source. Modules loaded from bytecode keep their line
numbers in tracebacks, without the source line's text (the source is not shipped).

Runs under Pyodide (the build) and CPython (the tests); the standard library only.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
import zipimport
from collections.abc import Iterable
from importlib import _bootstrap_external  # type: ignore[attr-defined]

__all__ = ["StdlibError", "loaded_from", "precompile"]


class StdlibError(Exception):
    """The stdlib zip cannot be precompiled as asked."""


def loaded_from(archive: str, modules: dict[str, object] | None = None) -> list[str]:
    """The zip members (``encodings/__init__.py``) of the modules (default: ``sys.modules``)
    imported from ``archive`` by its zip importer (frozen modules, whose ``__file__`` also
    names the zip, are left out)."""
    prefix = archive.rstrip("/") + "/"
    names = set()
    for module in list((sys.modules if modules is None else modules).values()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        loader = getattr(spec, "loader", None)
        if origin.startswith(prefix) and isinstance(loader, zipimport.zipimporter):
            names.add(origin[len(prefix) :])
    return sorted(names)


def precompile(data: bytes, names: Iterable[str], archive: str) -> tuple[bytes, list[str]]:
    """``data`` (a stdlib zip) with each member of ``names`` replaced by its ``.pyc``.

    ``archive`` is the zip's path on ``sys.path`` at run time (``/lib/python314.zip``): code
    objects name their file as the zip importer would. Returns the new zip and the members
    compiled. A name the zip lacks, or one that is not a ``.py`` file, is an error.
    """
    wanted = set(names)
    for name in sorted(wanted):
        if not name.endswith(".py"):
            raise StdlibError(f"{name}: only .py members can be precompiled")
    out = io.BytesIO()
    done: list[str] = []
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        members = {info.filename for info in zin.infolist()}
        missing = sorted(wanted - members)
        if missing:
            raise StdlibError(f"not in the stdlib zip: {', '.join(missing)}")
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename not in wanted:
                zout.writestr(info, body)
                continue
            try:
                code = compile(
                    body, f"{archive}/{info.filename}", "exec", dont_inherit=True, optimize=0
                )
            except SyntaxError as exc:
                raise StdlibError(f"{info.filename} does not compile: {exc}") from exc
            pyc = _bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(body), checked=False
            )
            entry = zipfile.ZipInfo(info.filename[:-3] + ".pyc", date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            zout.writestr(entry, bytes(pyc))
            done.append(info.filename)
    return out.getvalue(), done
