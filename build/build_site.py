"""Build the static site into ``public/``: qtcore wheel, Pyodide runtime, front end, pages.

Steps (each skipped when its output is up to date):

1. the qtcore wheel (``python -m build --wheel`` with hatchling -> ``dist/``, reproducible:
   ``SOURCE_DATE_EPOCH`` defaults to 1980-01-01), staged with an ``index.json`` under
   ``.cache/site/vendor/wheels/``;
2. the Pyodide runtime from the pinned npm package (``build/vendor_pyodide.py`` or
   ``build/vendor_pyodide.mjs``; ``npm ci`` first when ``node_modules/pyodide`` is missing)
   into ``.cache/site/vendor/pyodide/``; NumPy's wasm wheel is vendored too when a Pyodide
   distribution is given (``--distribution`` or ``$PYODIDE_DISTRIBUTION``);
3. the runtime's ``python_stdlib.zip`` with the modules a page imports before its first frame
   precompiled (``build/compile_stdlib.mjs``, ``build/stdlib_pyc.py``) into
   ``.cache/site/vendor/stdlib/``, redone when the runtime's zip, the wheel, the bridge or
   those scripts change;
4. ``mkdocs build`` (strict) into ``public/``; the ``docs/hooks/qt_assets.py`` hook adds
   ``site/`` (as ``qt/``), the staged runtime (with the precompiled stdlib zip) and wheel,
   and the scenario library.

The mkdocs step is skipped when a fingerprint of every input (docs, site, scenarios, qtcore,
the staged vendor folder, mkdocs.yml) matches the one stored in ``public/.qt-build.json``.

Usage::

    python build/build_site.py [--out public] [--force] [--distribution DIR]

Prints the output folder.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["build_site", "fingerprint", "main"]

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "site"
VENDOR = CACHE / "vendor"
STAMP = ".qt-build.json"
#: mkdocs.yml's site_url when QT_SITE_URL is unset (where `make serve` listens by default).
DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
INPUTS = ("mkdocs.yml", "docs", "site", "scenarios", "qtcore", "build/build_site.py")
WHEEL_EPOCH = "315532800"  # 1980-01-01: the wheel's timestamps unless SOURCE_DATE_EPOCH is set


class SiteBuildError(Exception):
    """A step of the site build failed; the message says which and why."""


def _log(msg: str) -> None:
    print(f"build_site: {msg}", flush=True)


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SiteBuildError(
            f"{what} failed ({' '.join(cmd)}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


def _iter_files(paths: Iterable[Path]) -> Iterable[Path]:
    for base in paths:
        if base.is_file():
            yield base
        elif base.is_dir():
            for p in sorted(base.rglob("*")):
                if (
                    p.is_file()
                    and "__pycache__" not in p.parts
                    and ".ipynb_checkpoints" not in p.parts
                ):
                    yield p


def fingerprint(paths: Iterable[Path]) -> str:
    """sha256 over the relative path, size and mtime of every file under ``paths``."""
    h = hashlib.sha256()
    for p in _iter_files(paths):
        st = p.stat()
        rel = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def stage_wheel() -> Path:
    """Build (or reuse) the qtcore wheel and stage it with ``wheels/index.json``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", WHEEL_EPOCH)}
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist", "."]
    out = _run(cmd, "wheel build", env)
    built = re.findall(r"^Successfully built (\S+\.whl)$", out, re.MULTILINE)
    if not built:
        raise SiteBuildError(f"wheel build printed no wheel name:\n{out[-2000:]}")
    wheel = ROOT / "dist" / built[-1]
    dest = VENDOR / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / wheel.name
    data = wheel.read_bytes()
    if not target.is_file() or target.read_bytes() != data:
        for old in dest.glob("qtcore-*.whl"):
            old.unlink()
        shutil.copy2(wheel, target)
    index = {
        "qtcore": wheel.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    text = json.dumps(index, indent=2, sort_keys=True) + "\n"
    idx = dest / "index.json"
    if not idx.is_file() or idx.read_text(encoding="utf-8") != text:
        idx.write_text(text, encoding="utf-8")
    _log(f"wheel {wheel.name} ({len(data) // 1024} KiB)")
    return target


def stage_pyodide(distribution: str | None) -> dict[str, object]:
    """Vendor the Pyodide runtime (and NumPy when a distribution is given)."""
    if not (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        _log("node_modules/pyodide missing: running npm ci")
        _run(["npm", "ci", "--no-audit", "--no-fund"], "npm ci")
    dest = VENDOR / "pyodide"
    cmd = [sys.executable, str(ROOT / "build" / "vendor_pyodide.py"), str(dest)]
    if distribution:
        cmd += ["--distribution", distribution]
    for line in _run(cmd, "Pyodide vendoring").splitlines():
        _log(line)
    manifest = dest / "qt-vendor.json"
    info: dict[str, object] = json.loads(manifest.read_text(encoding="utf-8"))
    numpy = "with NumPy (fusion)" if info.get("numpy") else "without NumPy (not vendored)"
    _log(
        f"Pyodide {info.get('pyodide_version')}: pages will run the WebAssembly kernel, "
        f"{numpy}; pure Python where the browser lacks WebAssembly SIMD"
    )
    return info


def stage_stdlib(wheel: Path) -> Path:
    """Pyodide's stdlib zip with what a page imports before its first frame as ``.pyc``.

    Compiling those modules from source took 2-3 s of every page load (issue 9)."""
    dest = VENDOR / "stdlib"
    target = dest / "python_stdlib.zip"
    inputs = [
        ROOT / "node_modules" / "pyodide" / "python_stdlib.zip",
        wheel,
        ROOT / "site" / "worker" / "bridge.py",
        ROOT / "build" / "compile_stdlib.mjs",
        ROOT / "build" / "stdlib_pyc.py",
    ]
    key = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in inputs))
    stamp = dest / "inputs.sha256"
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == key.hexdigest():
        return target
    dest.mkdir(parents=True, exist_ok=True)
    partial = dest / "python_stdlib.zip.part"
    cmd = ["node", str(ROOT / "build" / "compile_stdlib.mjs"), "--wheel", str(wheel)]
    for line in _run([*cmd, "--out", str(partial)], "stdlib precompile").splitlines():
        _log(line)
    partial.replace(target)
    stamp.write_text(key.hexdigest() + "\n")
    return target


def build_site(out: Path, force: bool = False, distribution: str | None = None) -> Path:
    """Run every stale step; returns the output folder."""
    t0 = time.perf_counter()
    VENDOR.mkdir(parents=True, exist_ok=True)
    wheel = stage_wheel()
    stage_pyodide(distribution)
    stage_stdlib(wheel)
    # QT_SITE_URL is mkdocs.yml's site_url (sitemap.xml, instant navigation): part of the build.
    print_fp = fingerprint([ROOT / p for p in INPUTS] + [VENDOR])
    print_fp += f"|site_url={os.environ.get('QT_SITE_URL') or DEFAULT_SITE_URL}"
    stamp = out / STAMP
    if not force and stamp.is_file() and (out / "index.html").is_file():
        try:
            if json.loads(stamp.read_text(encoding="utf-8")).get("inputs") == print_fp:
                _log(f"{out} is up to date")
                return out
        except json.JSONDecodeError:
            pass
    env = dict(os.environ)
    env["QT_VENDOR_DIR"] = str(VENDOR)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if not env.get("QTCORE_KERNEL"):
        env.pop("QTCORE_KERNEL", None)
    _log("mkdocs build (strict) ...")
    out_text = _run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(out)],
        "mkdocs build",
        env=env,
    )
    for line in out_text.splitlines()[-5:]:
        _log(line)
    stamp.write_text(json.dumps({"inputs": print_fp}) + "\n", encoding="utf-8")
    _log(f"built {out} in {time.perf_counter() - t0:.1f} s")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "public")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--distribution",
        default=os.environ.get("PYODIDE_DISTRIBUTION"),
        help="full Pyodide distribution to vendor NumPy from (default: $PYODIDE_DISTRIBUTION)",
    )
    args = parser.parse_args(argv)
    # One build at a time: two pytest workers (or `make serve` beside a test run) would
    # otherwise write the same vendored files and replace each other's half-written ones.
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        with (CACHE / "build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            out = build_site(args.out.resolve(), args.force, args.distribution)
    except SiteBuildError as exc:
        print(f"build_site: error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
