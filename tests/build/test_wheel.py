"""The qtcore wheel as ``make wheel`` builds it: hatchling through ``python -m build``.

Each build runs on a copy of the files the build reads (pyproject.toml, README.md,
.gitignore, hatch_build.py, kernels/, qtcore/), offline (``--no-isolation``: hatchling comes from the test group).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z
DATE = (2023, 11, 14, 22, 13, 20)

pytest.importorskip("build", reason="the test dependency group installs build and hatchling")
pytest.importorskip("hatchling")


def _version() -> str:
    text = (ROOT / "qtcore" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", text, re.MULTILINE)
    assert match is not None
    return match.group(1)


VERSION = _version()
DIST_INFO = f"qtcore-{VERSION}.dist-info/"


def _copy_tree(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", ".gitignore", "hatch_build.py"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.wasm")  # the build compiles its own
    shutil.copytree(ROOT / "qtcore", dest / "qtcore", ignore=ignore)
    shutil.copytree(ROOT / "kernels", dest / "kernels")
    return dest


def _build(tree: Path, out: Path, epoch: int = EPOCH) -> Path:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    tree = _copy_tree(base / "tree")
    # a git-ignored build output that must ship (what a compiled wasm kernel will be)
    (tree / ".gitignore").write_text(
        (tree / ".gitignore").read_text(encoding="utf-8") + "*.wasm\n", encoding="utf-8"
    )
    (tree / "qtcore" / "sim" / "kernel.wasm").write_bytes(b"\0asm\x01\0\0\0")
    return _build(tree, base / "dist")


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_wheel_name_and_tag(wheel: Path) -> None:
    assert wheel.name == f"qtcore-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        info = archive.read(DIST_INFO + "WHEEL").decode()
    assert "Tag: py3-none-any\n" in info
    assert "Root-Is-Purelib: true\n" in info
    assert "Generator: hatchling" in info


def test_wheel_contains_only_qtcore(wheel: Path) -> None:
    names = _names(wheel)
    assert len(names) == len(set(names)), "duplicate entries"
    outside = [n for n in names if not (n.startswith(("qtcore/", DIST_INFO)))]
    assert outside == []
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "qtcore").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert source <= set(names), sorted(source - set(names))
    assert "qtcore/py.typed" in names  # PEP 561: type checkers read qtcore's annotations
    assert "qtcore/README.md" not in names  # developer notes stay out of the browser's wheel
    assert "qtcore/sim/kernel.wasm" in names  # git-ignored, shipped as an artifact
    assert sorted(n[len(DIST_INFO) :] for n in names if n.startswith(DIST_INFO)) == [
        "METADATA",
        "RECORD",
        "WHEEL",
        "entry_points.txt",
    ]


def test_wheel_ships_the_compiled_webassembly_kernel(wheel: Path) -> None:
    """The build hook compiled kernels/wasm/qtkernel.c: a wasm module with SIMD, no imports."""
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("qtcore/sim/_qtkernel.wasm")
    assert data[:8] == b"\0asm\x01\0\0\0", "not a WebAssembly 1.0 binary"
    assert len(data) <= 100 * 1024, f"{len(data)} bytes: the page's extra download is capped"
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is needed to inspect the module's imports and exports")
    script = (
        "const b = require('fs').readFileSync(0); const m = new WebAssembly.Module(b);"
        "console.log(JSON.stringify([WebAssembly.Module.imports(m).length,"
        " WebAssembly.Module.exports(m).map(e => e.name)]));"
    )
    proc = subprocess.run([node, "-e", script], input=data, capture_output=True, check=True)
    imports, exports = json.loads(proc.stdout)
    assert imports == 0
    assert {"memory", "qt_alloc", "qt_apply_dense", "qt_bloch", "qt_sample"} <= set(exports)


def test_wheel_record_hashes_verify(wheel: Path) -> None:
    record_name = DIST_INFO + "RECORD"
    with zipfile.ZipFile(wheel) as archive:
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
        assert {row[0] for row in rows} == set(archive.namelist())
        for name, digest, size in rows:
            if name == record_name:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}", name
            assert int(size) == len(data), name


def test_wheel_metadata_has_no_tool_or_service_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(DIST_INFO + "METADATA").decode()
        entry_points = archive.read(DIST_INFO + "entry_points.txt").decode()
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "Name: qtcore" in headers
    assert f"Version: {VERSION}" in headers
    assert "Requires-Python: >=3.11" in headers
    requires = [h for h in headers if h.startswith("Requires-Dist:")]
    assert requires == ["Requires-Dist: numpy>=1.26; extra == 'numpy'"]  # groups are not here
    assert [h for h in headers if h.startswith("Provides-Extra:")] == ["Provides-Extra: numpy"]
    assert "qtcore = qtcore.__main__:main" in entry_points


def test_wheel_is_byte_identical_across_builds(tmp_path: Path, wheel: Path) -> None:
    a = _copy_tree(tmp_path / "a")
    b = _copy_tree(tmp_path / "b")
    for path in b.rglob("*"):  # other mtimes, and caches the build must leave out
        os.utime(path, (2_000_000_000, 2_000_000_000))
    (b / "qtcore" / "__pycache__").mkdir()
    (b / "qtcore" / "__pycache__" / "junk.cpython-311.pyc").write_bytes(b"junk")
    first = _build(a, tmp_path / "da").read_bytes()
    assert first == _build(b, tmp_path / "db").read_bytes()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {DATE}  # SOURCE_DATE_EPOCH
    later = _build(a, tmp_path / "dc", epoch=EPOCH + 86_400)
    with zipfile.ZipFile(later) as archive:
        assert {i.date_time[:3] for i in archive.infolist()} == {(2023, 11, 15)}


def test_wheel_installs_and_runs_in_a_clean_venv_without_numpy(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INDEX"] = "1"  # the wheel alone: nothing may be fetched
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    probe = (
        "import importlib.util, importlib.metadata as m, qtcore\n"
        "from qtcore import Circuit, simulate\n"
        "assert importlib.util.find_spec('numpy') is None\n"
        "r = simulate(Circuit(2, 2).h(0).cx(0, 1).measure_all(), shots=100, seed=7)\n"
        "print(qtcore.__file__, m.version('qtcore'), r.kernel, sorted(r.counts))\n"
    )
    out = subprocess.run(
        [str(python), "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    ).stdout.split(maxsplit=3)
    assert Path(out[0]).is_relative_to(venv)
    assert out[1] == VERSION
    assert out[2] == "python"  # no NumPy in the venv: the pure-Python kernel ran
    assert out[3].strip() == "['00', '11']"  # a Bell pair
    cli = subprocess.run(
        [str(venv / "bin" / "qtcore"), "--version"], capture_output=True, text=True, env=env
    )
    assert cli.stdout.strip() == f"qtcore {VERSION}"
