"""Tests for build/vendor_pyodide.py on a fake runtime and distribution (and the real one)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build" / "vendor_pyodide.py"
INFO = {
    "abi_version": "2026_0",
    "arch": "wasm32",
    "platform": "emscripten_5_0_3",
    "python": "3.14.2",
}
NUMPY_WHEEL = b"fake numpy wheel bytes"
DEP_WHEEL = b"fake dependency wheel bytes"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_qt_vendor_pyodide", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


vendor_pyodide = _load_script()


def _entry(name: str, data: bytes, depends: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "version": "1.0",
        "file_name": f"{name}-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "sha256": hashlib.sha256(data).hexdigest(),
        "depends": depends,
    }


def _lock(info: dict[str, str] = INFO) -> dict[str, Any]:
    return {
        "info": info,
        "packages": {
            "numpy": _entry("numpy", NUMPY_WHEEL, ["fakedep"]),
            "fakedep": _entry("fakedep", DEP_WHEEL, []),
            "other": _entry("other", b"other", []),
        },
    }


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    directory = tmp_path / "node_modules" / "pyodide"
    directory.mkdir(parents=True)
    (directory / "package.json").write_text(json.dumps({"version": "314.0.7"}))
    for name in vendor_pyodide.RUNTIME_FILES:
        (directory / name).write_bytes(f"runtime file {name}".encode())
    (directory / "pyodide-lock.json").write_text(json.dumps(_lock()))
    return directory


@pytest.fixture
def distribution(tmp_path: Path) -> Path:
    directory = tmp_path / "dist-full"
    directory.mkdir()
    (directory / "pyodide-lock.json").write_text(json.dumps(_lock()))
    lock = _lock()["packages"]
    (directory / lock["numpy"]["file_name"]).write_bytes(NUMPY_WHEEL)
    (directory / lock["fakedep"]["file_name"]).write_bytes(DEP_WHEEL)
    return directory


def test_vendor_runtime_copies_files_and_is_idempotent(runtime: Path, tmp_path: Path) -> None:
    out = tmp_path / "public" / "pyodide"
    first = vendor_pyodide.vendor(out, runtime)
    assert sorted(first.copied) == sorted(vendor_pyodide.RUNTIME_FILES)
    for name in vendor_pyodide.RUNTIME_FILES:
        assert (out / name).read_bytes() == (runtime / name).read_bytes()
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = vendor_pyodide.vendor(out, runtime)
    assert second.copied == []
    assert sorted(second.unchanged) == sorted(vendor_pyodide.RUNTIME_FILES)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    manifest = json.loads((out / "qt-vendor.json").read_text())
    assert manifest["numpy"] is False
    assert manifest["pyodide_version"] == "314.0.7"
    wasm_sha = hashlib.sha256((runtime / "pyodide.asm.wasm").read_bytes()).hexdigest()
    assert manifest["files"]["pyodide.asm.wasm"] == wasm_sha


def test_vendor_numpy_with_dependencies_verified(
    runtime: Path, distribution: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    report = vendor_pyodide.vendor(out, runtime, distribution)
    lock = _lock()["packages"]
    assert (out / lock["numpy"]["file_name"]).read_bytes() == NUMPY_WHEEL
    assert (out / lock["fakedep"]["file_name"]).read_bytes() == DEP_WHEEL
    assert not (out / lock["other"]["file_name"]).exists()
    assert sorted(report.packages) == ["fakedep", "numpy"]
    assert json.loads((out / "qt-vendor.json").read_text())["numpy"] is True
    # A later run without a distribution keeps the verified wheels.
    again = vendor_pyodide.vendor(out, runtime)
    assert sorted(again.packages) == ["fakedep", "numpy"]


def test_vendor_from_release_tarball(runtime: Path, distribution: Path, tmp_path: Path) -> None:
    archive = tmp_path / "pyodide-314.0.7.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(distribution, arcname="pyodide")
    report = vendor_pyodide.vendor(tmp_path / "out", runtime, archive)
    assert sorted(report.packages) == ["fakedep", "numpy"]


def test_vendor_rejects_tampered_wheel(runtime: Path, distribution: Path, tmp_path: Path) -> None:
    lock = _lock()["packages"]
    (distribution / lock["numpy"]["file_name"]).write_bytes(b"tampered")
    out = tmp_path / "out"
    with pytest.raises(vendor_pyodide.VendorError, match="refusing"):
        vendor_pyodide.vendor(out, runtime, distribution)
    assert not (out / lock["numpy"]["file_name"]).exists()


def test_vendor_rejects_distribution_of_other_python(
    runtime: Path, distribution: Path, tmp_path: Path
) -> None:
    (distribution / "pyodide-lock.json").write_text(json.dumps(_lock({**INFO, "python": "3.13.2"})))
    with pytest.raises(vendor_pyodide.VendorError, match=r"3\.13\.2"):
        vendor_pyodide.vendor(tmp_path / "out", runtime, distribution)


def test_vendor_removes_its_stale_wheel_but_not_foreign_files(
    runtime: Path, distribution: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    vendor_pyodide.vendor(out, runtime, distribution)
    numpy_file = out / _lock()["packages"]["numpy"]["file_name"]
    numpy_file.write_bytes(b"corrupted later")
    (out / "qtcore-0.1.0-py3-none-any.whl").write_bytes(b"not ours")
    report = vendor_pyodide.vendor(out, runtime)
    assert numpy_file.name in report.removed
    assert not numpy_file.exists()
    assert (out / "qtcore-0.1.0-py3-none-any.whl").exists()
    assert "numpy" not in report.packages


def test_vendor_cli_without_runtime_fails_clearly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "o"), "--pyodide-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "npm ci" in result.stderr


def test_vendor_cli_says_pure_python_kernel_without_numpy(runtime: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "o"), "--pyodide-dir", str(runtime)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert "pure-Python kernel" in result.stdout


@pytest.mark.skipif(
    not (ROOT / "node_modules" / "pyodide" / "pyodide.asm.wasm").is_file(),
    reason="npm pyodide package not installed (npm ci)",
)
def test_vendor_real_npm_runtime(tmp_path: Path) -> None:
    report = vendor_pyodide.vendor(tmp_path / "pyodide")
    assert report.version == "314.0.7"
    assert report.python.startswith("3.14")
    assert report.packages == {}


def test_vendor_records_operator_package_url(runtime: Path, tmp_path: Path) -> None:
    out = tmp_path / "pyodide"
    vendor_pyodide.vendor(out, runtime, package_base_url="https://pkgs.example.org/pyodide/v314")
    manifest = json.loads((out / "qt-vendor.json").read_text())
    assert manifest["packageBaseUrl"] == "https://pkgs.example.org/pyodide/v314/"
    assert manifest["numpy"] is False
    vendor_pyodide.vendor(out, runtime)  # without it, the pages contact no other host
    assert json.loads((out / "qt-vendor.json").read_text())["packageBaseUrl"] is None


@pytest.mark.parametrize("bad", ["ftp://x.org/", "not a url", "https:// spaced.org/", ""])
def test_vendor_rejects_bad_package_url(runtime: Path, tmp_path: Path, bad: str) -> None:
    with pytest.raises(vendor_pyodide.VendorError, match="package base URL"):
        vendor_pyodide.vendor(tmp_path / "p", runtime, package_base_url=bad)
