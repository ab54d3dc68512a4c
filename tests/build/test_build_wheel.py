"""Tests for build/build_wheel.py: content, RECORD, reproducibility, installability."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build" / "build_wheel.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_qt_build_wheel", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _source_version() -> str:
    text = (ROOT / "qtcore" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", text, re.MULTILINE)
    assert match is not None
    return match.group(1)


def _build(out_dir: Path, root: Path = ROOT) -> Path:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(out_dir), "--root", str(root)],
        capture_output=True,
        text=True,
        check=True,
    )
    path = Path(result.stdout.strip())
    assert path.is_file(), result.stdout
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("dist"))


def test_build_wheel_name_and_tag(wheel: Path) -> None:
    assert wheel.name == f"qtcore-{_source_version()}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        info = archive.read(f"qtcore-{_source_version()}.dist-info/WHEEL").decode()
    assert "Tag: py3-none-any\n" in info
    assert "Root-Is-Purelib: true\n" in info


def test_build_wheel_contains_only_qtcore(wheel: Path) -> None:
    dist_info = f"qtcore-{_source_version()}.dist-info/"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert len(names) == len(set(names)), "duplicate entries"
    outside = [n for n in names if not (n.startswith("qtcore/") or n.startswith(dist_info))]
    assert outside == []
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "qtcore").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert source <= set(names), sorted(source - set(names))
    assert "qtcore/__init__.py" in names


def test_build_wheel_record_hashes_verify(wheel: Path) -> None:
    record_name = f"qtcore-{_source_version()}.dist-info/RECORD"
    with zipfile.ZipFile(wheel) as archive:
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
        names = set(archive.namelist())
        recorded = {row[0] for row in rows}
        assert recorded == names
        for name, digest, size in rows:
            if name == record_name:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}", name
            assert int(size) == len(data), name


def test_build_wheel_metadata_matches_pyproject(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"qtcore-{_source_version()}.dist-info/METADATA").decode()
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert headers[0] == "Metadata-Version: 2.4"
    assert "Name: qtcore" in headers
    assert f"Version: {_source_version()}" in headers
    assert "Requires-Python: >=3.11" in headers
    assert not [h for h in headers if h.startswith("Requires-Dist:") and "extra ==" not in h]


def test_build_wheel_is_byte_identical_despite_mtimes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "qtcore", tree / "qtcore", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tree / "pyproject.toml")
    first = _build(tmp_path / "a", tree).read_bytes()
    for path in tree.rglob("*"):
        os.utime(path, (2_000_000_000, 2_000_000_000))
    (tree / "qtcore" / "__pycache__").mkdir(exist_ok=True)
    (tree / "qtcore" / "__pycache__" / "junk.cpython-311.pyc").write_bytes(b"junk")
    second = _build(tmp_path / "b", tree).read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_build_wheel_rejects_tree_without_package(tmp_path: Path) -> None:
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "qtcore").mkdir()
    (tmp_path / "qtcore" / "_version.py").write_text('__version__ = "1.0"\n')
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out-dir", str(tmp_path / "d"), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "__init__.py" in result.stderr


def test_build_wheel_rejects_non_pep440_version(tmp_path: Path) -> None:
    module = _load_script()
    (tmp_path / "qtcore").mkdir()
    (tmp_path / "qtcore" / "_version.py").write_text('__version__ = "one point oh"\n')
    with pytest.raises(module.BuildError, match="one point oh"):
        module.read_version(tmp_path)


def test_build_wheel_installs_into_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(purelib)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    probe = (
        "import importlib.metadata as m, qtcore; print(qtcore.__file__); print(m.version('qtcore'))"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split()
    assert Path(out[0]).is_relative_to(Path(purelib))
    assert out[1] == _source_version()  # the venv has no NumPy: qtcore imports without it
