"""Fetch the pure-Python wheels that the Pyodide test run installs (pytest, hypothesis, ...).

The npm ``pyodide`` package ships the interpreter and the standard library only; the test
runner (``build/pyodide_test.mjs``) unpacks these wheels into Pyodide's site-packages so that
pytest runs offline. This script downloads them once with pip (from the package index, the
only network access the build makes), checks every file against the sha256 pinned below and
writes ``manifest.json`` next to them, which the runner reads and verifies again.

Usage::

    python build/fetch_test_wheels.py [--dest .cache/test-wheels]

It does nothing when every pinned wheel is already present with the right hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PINS", "Pin", "fetch", "main"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / ".cache" / "test-wheels"
#: The Python version of the pinned Pyodide (npm ``pyodide`` 314.0.7 ships CPython 3.14.2).
PYTHON_VERSION = "3.14"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Pin:
    """One wheel: distribution name, exact version, file name and sha256 of the file."""

    name: str
    version: str
    file_name: str
    sha256: str


# Pure ``py3-none-any`` wheels only (Pyodide cannot load CPython extension wheels). Versions
# follow the project's venv where a pure wheel exists; hypothesis' newer releases ship compiled
# wheels only, so the last pure release is pinned. To bump: edit name/version, run
# ``pip download --only-binary=:all: --no-deps --python-version 3.14 --platform any
# --implementation py NAME==VERSION`` and paste the file name and its sha256.
# Columns: name, version, file name, then the file's sha256 on the next line.
_PIN_TABLE = """
pytest            9.2.0    pytest-9.2.0-py3-none-any.whl
    07acdcf88ec174f907dc01af70bf52d49b014bbab03faeeade31c96b18c2e588
pluggy            1.7.0    pluggy-1.7.0-py3-none-any.whl
    7dd7b0d8832ba3cb632c306926ded123429211b83641b35dc5c41ad2d34f9bec
iniconfig         2.3.1    iniconfig-2.3.1-py3-none-any.whl
    9121e2c1fdb355232495be3194c8dfe87ccc2d5dee45947b78e68f499790d7a7
packaging         26.4     packaging-26.4-py3-none-any.whl
    81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2
pygments          2.21.0   pygments-2.21.0-py3-none-any.whl
    2363c69b61c4a97c838da3b130dcd6468f4848992b21a82f2a63ec34377137d9
hypothesis        6.155.7  hypothesis-6.155.7-py3-none-any.whl
    9f634bdb1f9e9b8ab6ba09431cf2deedb750c96978125a6fb3c5a0f6c6db4131
sortedcontainers  2.4.0    sortedcontainers-2.4.0-py2.py3-none-any.whl
    a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0
attrs             26.1.0   attrs-26.1.0-py3-none-any.whl
    c647aa4a12dfbad9333ca4e71fe62ddc36f4e63b2d260a37a8b83d2f043ac309
mpmath            1.4.1    mpmath-1.4.1-py3-none-any.whl
    dc4f0ea2304480d4a9a48a94c1020571558ade522b44a6912efac63a586e140f
"""


def _parse_pins(table: str) -> tuple[Pin, ...]:
    words = table.split()
    return tuple(Pin(*words[i : i + 4]) for i in range(0, len(words), 4))


PINS: tuple[Pin, ...] = _parse_pins(_PIN_TABLE)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _missing(dest: Path) -> list[Pin]:
    """Return the pins whose file is absent from ``dest`` or has the wrong hash."""
    missing = []
    for pin in PINS:
        path = dest / pin.file_name
        if not path.is_file() or _sha256(path) != pin.sha256:
            missing.append(pin)
    return missing


def _write_manifest(dest: Path) -> None:
    manifest = {
        "python_version": PYTHON_VERSION,
        "wheels": [
            {"name": p.name, "version": p.version, "file_name": p.file_name, "sha256": p.sha256}
            for p in PINS
        ],
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    path = dest / MANIFEST
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def fetch(dest: Path) -> list[Pin]:
    """Make ``dest`` hold every pinned wheel, downloading only what is missing.

    Args:
        dest: Folder for the wheels and ``manifest.json``.

    Returns:
        The pins that had to be downloaded (empty when everything was up to date).

    Raises:
        RuntimeError: If pip fails or a downloaded file does not match its pinned sha256.
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing = _missing(dest)
    if missing:
        for pin in missing:  # a corrupt or stale copy would make pip skip the download
            (dest / pin.file_name).unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            for pin in missing:
                req.write(f"{pin.name}=={pin.version} --hash=sha256:{pin.sha256}\n")
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
            "--no-deps",
            "--require-hashes",
            "--python-version",
            PYTHON_VERSION,
            "--platform",
            "any",
            "--implementation",
            "py",
            "--dest",
            str(dest),
            "-r",
            req.name,
        ]
        try:
            result = subprocess.run(cmd, check=False)
        finally:
            Path(req.name).unlink(missing_ok=True)
        if result.returncode != 0:
            names = ", ".join(f"{p.name}=={p.version}" for p in missing)
            raise RuntimeError(f"pip download failed (exit {result.returncode}) for: {names}")
        still = _missing(dest)
        if still:
            bad = ", ".join(p.file_name for p in still)
            raise RuntimeError(f"after download, missing or wrong sha256: {bad}")
    _write_manifest(dest)
    return missing


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help=f"folder for the wheels (default: {DEFAULT_DEST.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    try:
        fetched = fetch(args.dest)
    except RuntimeError as exc:
        print(f"fetch_test_wheels: error: {exc}", file=sys.stderr)
        return 1
    state = f"fetched {len(fetched)}" if fetched else "up to date"
    print(f"fetch_test_wheels: {len(PINS)} wheels in {args.dest} ({state})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
