"""Vendor the pinned Pyodide runtime (and, when available, its NumPy wheel) for self-hosting.

Copies the runtime files of the npm ``pyodide`` package (``node_modules/pyodide``, installed by
``npm ci``) into an output folder served by the site, e.g. ``public/pyodide/``. The npm package
holds no package wheels, so NumPy for WebAssembly is vendored only from a full Pyodide
distribution given with ``--distribution`` (a folder, or the release ``.tar.bz2``), or from the
``PYODIDE_DISTRIBUTION`` environment variable: each wheel and its dependencies are checked
against the sha256 in ``pyodide-lock.json`` -- the distribution's and the runtime's, which must
agree -- before being copied next to the lock file, where ``loadPackage`` finds them. Without a
distribution the script says so and the pages run qtcore's pure-Python kernel.

Usage::

    python build/vendor_pyodide.py public/pyodide [--distribution DIR] [--package numpy]

Files already present with the right sha256 are not copied again. ``qt-vendor.json`` in the
output folder records the Pyodide version, every vendored file with its sha256, and which
package wheels are present (the site reads it to know whether NumPy can be loaded).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["RUNTIME_FILES", "VendorError", "VendorReport", "main", "vendor"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PYODIDE_DIR = ROOT / "node_modules" / "pyodide"
MANIFEST = "qt-vendor.json"
#: What a page needs to start Pyodide (module and classic entry points, the wasm, the stdlib and
#: the lock file that names the package wheels).
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
LOCK = "pyodide-lock.json"


class VendorError(Exception):
    """The runtime or a package wheel cannot be vendored as asked."""


@dataclass
class VendorReport:
    """What one run did."""

    version: str
    python: str
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    packages: dict[str, dict[str, str]] = field(default_factory=dict)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _install(out: Path, name: str, data: bytes, report: VendorReport) -> str:
    """Write ``data`` to ``out/name`` unless an identical file is there; return its sha256."""
    digest = _sha256(data)
    target = out / name
    if target.is_file() and target.stat().st_size == len(data) and _file_sha256(target) == digest:
        report.unchanged.append(name)
        return digest
    partial = target.with_name(f"{name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(target)
    report.copied.append(name)
    return digest


class _Distribution:
    """Read access to a full Pyodide distribution: a folder or a release tarball."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        if location.is_dir():
            return
        if location.is_file() and tarfile.is_tarfile(location):
            self._tar = tarfile.open(location)  # noqa: SIM115 - closed in close()
            for member in self._tar.getmembers():
                if member.isfile():
                    self._members.setdefault(PurePosixPath(member.name).name, member)
            return
        raise VendorError(
            f"distribution {location} is neither a folder nor a tar archive of a Pyodide release"
        )

    def read(self, name: str) -> bytes:
        if self._tar is None:
            path = self.location / name
            if not path.is_file():
                raise VendorError(f"{name} not found in distribution {self.location}")
            return path.read_bytes()
        member = self._members.get(name)
        extracted = self._tar.extractfile(member) if member else None
        if extracted is None:
            raise VendorError(f"{name} not found in distribution archive {self.location}")
        return extracted.read()

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()


def _closure(lock: dict[str, Any], names: list[str]) -> list[str]:
    """Requested packages plus everything they depend on, in a stable order."""
    packages = lock["packages"]
    seen: list[str] = []
    stack = [n.lower() for n in reversed(names)]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in packages:
            raise VendorError(f"package {name!r} is not in the runtime's {LOCK}")
        seen.append(name)
        stack.extend(reversed(packages[name].get("depends", [])))
    return seen


def _load_lock(data: bytes, where: str) -> dict[str, Any]:
    try:
        lock = json.loads(data)
    except json.JSONDecodeError as exc:
        raise VendorError(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(lock, dict) or "packages" not in lock or "info" not in lock:
        raise VendorError(f"{where} has no 'info'/'packages': not a Pyodide lock file")
    return lock


def _vendor_packages(
    out: Path, lock: dict[str, Any], dist: _Distribution, names: list[str], report: VendorReport
) -> None:
    dist_lock = _load_lock(dist.read(LOCK), f"{dist.location}/{LOCK}")
    for key in ("python", "abi_version", "platform"):
        ours, theirs = lock["info"].get(key), dist_lock["info"].get(key)
        if ours != theirs:
            raise VendorError(
                f"distribution {dist.location} was built for {key} {theirs!r}, the pinned "
                f"runtime for {ours!r}: use the distribution of Pyodide {report.version}"
            )
    for name in _closure(lock, names):
        entry = lock["packages"][name]
        theirs = dist_lock["packages"].get(name, {})
        if (theirs.get("file_name"), theirs.get("sha256")) != (entry["file_name"], entry["sha256"]):
            raise VendorError(
                f"{name}: the distribution's lock entry ({theirs.get('file_name')}, "
                f"{theirs.get('sha256')}) differs from the runtime's "
                f"({entry['file_name']}, {entry['sha256']})"
            )
        data = dist.read(entry["file_name"])
        actual = _sha256(data)
        if actual != entry["sha256"]:
            raise VendorError(
                f"{entry['file_name']} in {dist.location} has sha256 {actual}, "
                f"but {LOCK} pins {entry['sha256']}: refusing to vendor it"
            )
        _install(out, entry["file_name"], data, report)


def _previous_packages(out: Path) -> dict[str, dict[str, str]]:
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    packages = manifest.get("packages", {})
    return packages if isinstance(packages, dict) else {}


def vendor(
    out: Path,
    pyodide_dir: Path = DEFAULT_PYODIDE_DIR,
    distribution: Path | None = None,
    packages: list[str] | None = None,
    package_base_url: str | None = None,
) -> VendorReport:
    """Copy the runtime (and package wheels from ``distribution``) into ``out``.

    Package wheels vendored by an earlier run stay while they still match the lock file, so a
    later run without ``distribution`` keeps NumPy; ones that no longer match are removed.
    Files this script did not write are never touched.

    Args:
        out: Output folder (created if needed).
        pyodide_dir: The npm ``pyodide`` package folder.
        distribution: A full Pyodide distribution (folder or release tarball), or None.
        packages: Pyodide packages to vendor from ``distribution`` (default: numpy).
        package_base_url: where the operator serves a full Pyodide distribution's package
            wheels (``https://.../``); recorded in the manifest so the pages load NumPy from
            there when it is not vendored. Pyodide checks each wheel against the sha256 in
            the runtime's lock file. ``None``: the pages contact no other host.

    Returns:
        What was copied, left unchanged or removed, and the package wheels present.

    Raises:
        VendorError: If the runtime is missing or a wheel fails verification.
    """
    if package_base_url is not None:
        url = package_base_url.strip()
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
            raise VendorError(f"package base URL must be an http(s) URL, got {package_base_url!r}")
        package_base_url = url if url.endswith("/") else url + "/"
    package_json = pyodide_dir / "package.json"
    missing = [f for f in RUNTIME_FILES if not (pyodide_dir / f).is_file()]
    if not package_json.is_file() or missing:
        raise VendorError(
            f"Pyodide runtime incomplete in {pyodide_dir} (missing: "
            f"{', '.join(missing) or 'package.json'}); run `npm ci` first"
        )
    version = json.loads(package_json.read_text(encoding="utf-8"))["version"]
    lock = _load_lock((pyodide_dir / LOCK).read_bytes(), str(pyodide_dir / LOCK))
    report = VendorReport(version=version, python=str(lock["info"].get("python", "?")))
    out.mkdir(parents=True, exist_ok=True)
    files = {
        name: _install(out, name, (pyodide_dir / name).read_bytes(), report)
        for name in RUNTIME_FILES
    }

    if distribution is not None:
        dist = _Distribution(distribution)
        try:
            _vendor_packages(out, lock, dist, packages or ["numpy"], report)
        finally:
            dist.close()

    # Every lock-listed wheel now in `out` that verifies is available to loadPackage; wheels a
    # previous run wrote that no longer verify (e.g. after a Pyodide upgrade) are removed.
    by_file = {entry["file_name"]: (name, entry) for name, entry in lock["packages"].items()}
    for old in _previous_packages(out).values():
        file_name = old.get("file_name", "")
        if file_name and file_name not in by_file and (out / file_name).is_file():
            (out / file_name).unlink()
            report.removed.append(file_name)
    for file_name, (name, entry) in sorted(by_file.items()):
        path = out / file_name
        if not path.is_file():
            continue
        if _file_sha256(path) == entry["sha256"]:
            report.packages[name] = {
                "file_name": file_name,
                "sha256": entry["sha256"],
                "version": entry["version"],
            }
        elif name in _previous_packages(out):
            path.unlink()
            report.removed.append(file_name)

    manifest = {
        "pyodide_version": version,
        "python": report.python,
        "files": dict(sorted(files.items())),
        "packages": report.packages,
        "numpy": "numpy" in report.packages,
        "packageBaseUrl": package_base_url,
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    manifest_path = out / MANIFEST
    if not manifest_path.is_file() or manifest_path.read_text(encoding="utf-8") != text:
        manifest_path.write_text(text, encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, nargs="?", default=ROOT / "public" / "pyodide")
    parser.add_argument("--pyodide-dir", type=Path, default=DEFAULT_PYODIDE_DIR)
    env_dist = os.environ.get("PYODIDE_DISTRIBUTION")
    parser.add_argument(
        "--distribution",
        type=Path,
        default=Path(env_dist) if env_dist else None,
        help="full Pyodide distribution (folder or .tar.bz2) to take package wheels from "
        "(default: $PYODIDE_DISTRIBUTION)",
    )
    parser.add_argument(
        "--package",
        action="append",
        dest="packages",
        help="Pyodide package to vendor from the distribution, with its dependencies "
        "(repeatable; default: numpy)",
    )
    parser.add_argument(
        "--package-base-url",
        default=os.environ.get("QT_PACKAGE_BASE_URL") or None,
        help="URL where the operator serves Pyodide's package wheels; pages load NumPy from "
        "there when it is not vendored (default: $QT_PACKAGE_BASE_URL; none: no other host)",
    )
    args = parser.parse_args(argv)
    try:
        report = vendor(
            args.out, args.pyodide_dir, args.distribution, args.packages, args.package_base_url
        )
    except VendorError as exc:
        print(f"vendor_pyodide: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"vendor_pyodide: Pyodide {report.version} (Python {report.python}) -> {args.out}: "
        f"{len(report.copied)} copied, {len(report.unchanged)} up to date"
        + (f", {len(report.removed)} stale removed" if report.removed else "")
    )
    if args.distribution is None:
        print(
            "vendor_pyodide: no --distribution given (nor PYODIDE_DISTRIBUTION): no package "
            "wheels vendored from a distribution"
        )
    for name, entry in report.packages.items():
        print(
            f"vendor_pyodide: package {name} {entry['version']} ({entry['file_name']}, sha256 ok)"
        )
    if args.package_base_url and "numpy" not in report.packages:
        print(f"vendor_pyodide: pages load NumPy from the operator's {args.package_base_url}")
    elif "numpy" not in report.packages:
        print(
            "vendor_pyodide: NumPy is not vendored: pages will run qtcore's pure-Python kernel "
            f"(to vendor it: --distribution <Pyodide {report.version} distribution folder>)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
