"""The Makefile's order on a fresh machine: what a recipe needs is installed before it runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _dry_run(target: str) -> list[str]:
    """The commands ``make`` would run for ``target`` with every prerequisite out of date."""
    out = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def _index(lines: list[str], needle: str) -> int:
    hits = [i for i, line in enumerate(lines) if needle in line]
    assert hits, f"no command containing {needle!r} in:\n" + "\n".join(lines)
    return hits[0]


def test_makefile_installs_the_compiler_before_the_editable_install() -> None:
    # `pip install -e .` runs hatch_build.py, which compiles the wasm kernel with clang:
    # on a machine without clang the venv step failed before `compiler` ever ran.
    lines = _dry_run(".venv/.installed")
    assert _index(lines, "apt-get install -y -qq clang lld") < _index(lines, "pip install -q -e .")


def test_makefile_test_target_installs_compiler_before_anything_builds_the_package() -> None:
    lines = _dry_run("test")
    compiler = _index(lines, "apt-get install -y -qq clang lld")
    assert compiler < _index(lines, "pip install -q -e .")
    assert compiler < _index(lines, "python -m build --wheel")
