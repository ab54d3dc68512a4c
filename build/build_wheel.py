"""Build the pure ``py3-none-any`` wheel of qtcore, reproducibly, with the standard library only.

The site installs this wheel into Pyodide (micropip or ``unpackArchive``), so it holds the
``qtcore`` package alone: no tests, no registry, no build scripts. Name, summary, licence,
Python requirement, extras and scripts come from ``pyproject.toml``; the version from
``qtcore/_version.py``. Two builds of the same tree are byte-identical: entries are sorted,
every timestamp is fixed (``SOURCE_DATE_EPOCH`` when set, else 1980-01-01), permissions are
normalised and caches (``__pycache__``, ``*.pyc``, dot-files) are left out. RECORD lists the
sha256 and size of every file.

Usage::

    python build/build_wheel.py [--out-dir dist] [--root .]

Prints the wheel's path. An existing identical wheel is left untouched (its mtime too).
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import io
import os
import re
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["build_wheel", "main", "metadata_text", "read_version", "wheel_files"]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "qtcore"
TAG = "py3-none-any"
GENERATOR = "quantumtime build/build_wheel.py"
_EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".orig", ".rej", ".swp")
_VERSION_RE = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?$")
_DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold


class BuildError(Exception):
    """The tree cannot be turned into a wheel (missing package, bad version, ...)."""


def read_version(root: Path) -> str:
    """Return ``__version__`` from ``qtcore/_version.py`` without importing qtcore.

    Raises:
        BuildError: If the file or the assignment is missing or the version is not PEP 440.
    """
    path = root / PACKAGE / "_version.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError as exc:
        raise BuildError(f"{path} not found: it must define __version__") from exc
    for node in tree.body:
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and any(
                isinstance(t, ast.Name) and t.id == "__version__"
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            version = node.value.value
            if not _VERSION_RE.match(version):
                raise BuildError(f"__version__ {version!r} in {path} is not a PEP 440 version")
            return version
    raise BuildError(f'{path} has no `__version__ = "..."` string assignment')


def _normalized_name(name: str) -> str:
    """Wheel file-name form of a project name (PEP 427 / binary distribution format)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def metadata_text(project: dict[str, Any], version: str, root: Path) -> str:
    """Core metadata 2.4 (``METADATA``) for the ``[project]`` table of pyproject.toml."""
    lines = [
        "Metadata-Version: 2.4",
        f"Name: {project['name']}",
        f"Version: {version}",
    ]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    license_ = project.get("license")
    if isinstance(license_, str):
        lines.append(f"License-Expression: {license_}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines.extend(f"Requires-Dist: {req}" for req in project.get("dependencies", []))
    for extra, reqs in sorted(project.get("optional-dependencies", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        lines.extend(f'Requires-Dist: {req}; extra == "{extra}"' for req in reqs)
    body = ""
    readme = project.get("readme")
    if isinstance(readme, str) and (root / readme).is_file():
        content_type = "text/markdown" if readme.endswith(".md") else "text/plain"
        lines.append(f"Description-Content-Type: {content_type}")
        body = "\n" + (root / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n" + body


def wheel_files(root: Path) -> list[Path]:
    """The package's files, relative to ``root``, sorted, without caches or dot-files.

    Raises:
        BuildError: If ``qtcore/__init__.py`` is missing.
    """
    package = root / PACKAGE
    if not (package / "__init__.py").is_file():
        raise BuildError(f"{package / '__init__.py'} not found: nothing to build")
    files = []
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or name.endswith(_EXCLUDED_SUFFIXES):
                continue
            files.append((Path(dirpath) / name).relative_to(root))
    return sorted(files, key=lambda p: p.as_posix())


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _zip_bytes(entries: Iterable[tuple[str, bytes]], epoch: int) -> bytes:
    date_time = time.gmtime(max(epoch, _DEFAULT_EPOCH))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100644 & 0xFFFF) << 16  # regular file, rw-r--r--
            info.create_system = 3  # Unix, so the mode above is honoured
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Build the wheel into ``out_dir`` and return its path.

    Args:
        out_dir: Destination folder (created if needed).
        root: Source tree holding ``pyproject.toml`` and ``qtcore/``.

    Raises:
        BuildError: If pyproject.toml, the package or its version is unusable.
    """
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BuildError(f"{root / 'pyproject.toml'} not found") from exc
    project = pyproject.get("project", {})
    if "name" not in project:
        raise BuildError("pyproject.toml has no [project] name")
    version = read_version(root)
    dist_name = _normalized_name(project["name"])
    dist_info = f"{dist_name}-{version}.dist-info"

    entries: list[tuple[str, bytes]] = [
        (path.as_posix(), (root / path).read_bytes()) for path in wheel_files(root)
    ]
    meta: list[tuple[str, bytes]] = [
        (f"{dist_info}/METADATA", metadata_text(project, version, root).encode()),
        (
            f"{dist_info}/WHEEL",
            (
                f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: {TAG}\n"
            ).encode(),
        ),
    ]
    scripts = project.get("scripts", {})
    if scripts:
        body = "".join(f"{name} = {target}\n" for name, target in sorted(scripts.items()))
        meta.append((f"{dist_info}/entry_points.txt", f"[console_scripts]\n{body}".encode()))
    meta.sort()
    entries.extend(meta)
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", _DEFAULT_EPOCH))
    data = _zip_bytes(entries, epoch)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{dist_name}-{version}-{TAG}.whl"
    if target.is_file() and target.read_bytes() == data:
        return target
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--root", type=Path, default=ROOT, help="source tree (default: repo)")
    args = parser.parse_args(argv)
    try:
        path = build_wheel(args.out_dir, args.root.resolve())
    except BuildError as exc:
        print(f"build_wheel: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
