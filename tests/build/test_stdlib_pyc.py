"""build/stdlib_pyc.py in CPython: the rewritten zip imports from bytecode, keeps every other
entry byte for byte, is the same for the same input, and refuses what it cannot do."""

from __future__ import annotations

import importlib
import io
import sys
import types
import zipfile
import zipimport
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "build"))

from stdlib_pyc import StdlibError, loaded_from, precompile  # noqa: E402

SOURCES = {
    "qt_pyc_a.py": "def double(x):\n    return 2 * x\n\nVALUE = double(21)\n",
    "qt_pyc_pkg/__init__.py": "from .inner import NAME\n",
    "qt_pyc_pkg/inner.py": "NAME = 'inner'\n\ndef fail():\n    raise ValueError('boom')\n",
    "qt_pyc_b.py": "B = 'from source'\n",
    "qt_pyc_data.txt": "not python\n",
}


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 6)), text)
    return buf.getvalue()


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    """A zip path put first on sys.path; the test modules are forgotten afterwards."""
    path = tmp_path / "stdlib.zip"
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))
    sys.path_importer_cache.pop(str(path), None)
    for name in [m for m in sys.modules if m.startswith("qt_pyc_")]:
        del sys.modules[name]


def test_named_modules_import_from_bytecode_and_the_rest_from_source(on_path: Path) -> None:
    original = _zip(SOURCES)
    names = ["qt_pyc_a.py", "qt_pyc_pkg/__init__.py", "qt_pyc_pkg/inner.py"]
    data, done = precompile(original, names, str(on_path))
    assert sorted(done) == sorted(names)
    on_path.write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(io.BytesIO(original)) as o:
        members = set(z.namelist())
        assert {"qt_pyc_a.pyc", "qt_pyc_pkg/__init__.pyc", "qt_pyc_pkg/inner.pyc"} <= members
        assert not members & set(names), "the source of a precompiled module is not shipped"
        for kept in ("qt_pyc_b.py", "qt_pyc_data.txt"):
            assert z.read(kept) == o.read(kept)
        # PEP 552 header: hash-based (bit 0), unchecked (bit 1 clear)
        flags = int.from_bytes(z.read("qt_pyc_a.pyc")[4:8], "little")
        assert flags == 0b01
    importlib.invalidate_caches()
    a = importlib.import_module("qt_pyc_a")
    pkg = importlib.import_module("qt_pyc_pkg")
    b = importlib.import_module("qt_pyc_b")
    assert (a.VALUE, pkg.NAME, b.B) == (42, "inner", "from source")
    assert a.__spec__.origin.endswith("qt_pyc_a.pyc")
    assert b.__spec__.origin.endswith("qt_pyc_b.py")
    assert isinstance(a.__spec__.loader, zipimport.zipimporter)
    # code objects name the file as the zip importer would, so tracebacks point at it
    inner = sys.modules["qt_pyc_pkg.inner"]
    assert inner.fail.__code__.co_filename == f"{on_path}/qt_pyc_pkg/inner.py"
    with pytest.raises(ValueError, match="boom") as info:
        inner.fail()
    assert info.traceback[-1].lineno + 1 == 4


def test_the_output_is_the_same_for_the_same_input() -> None:
    original = _zip(SOURCES)
    first = precompile(original, ["qt_pyc_a.py"], "/lib/x.zip")
    assert precompile(original, ["qt_pyc_a.py"], "/lib/x.zip") == first
    assert precompile(original, [], "/lib/x.zip")[1] == []


def test_refuses_missing_members_non_python_files_and_bad_source() -> None:
    original = _zip({**SOURCES, "qt_pyc_bad.py": "def broken(:\n"})
    with pytest.raises(StdlibError, match=r"not in the stdlib zip: nope\.py"):
        precompile(original, ["qt_pyc_a.py", "nope.py"], "/lib/x.zip")
    with pytest.raises(StdlibError, match=r"qt_pyc_data\.txt: only \.py members"):
        precompile(original, ["qt_pyc_data.txt"], "/lib/x.zip")
    with pytest.raises(StdlibError, match=r"qt_pyc_bad\.py does not compile"):
        precompile(original, ["qt_pyc_bad.py"], "/lib/x.zip")


def test_loaded_from_lists_zip_imported_modules_only() -> None:
    class Zipped(zipimport.zipimporter):
        def __init__(self) -> None:  # no archive needed: only the type is looked at
            pass

    def module(origin: str, loader: object) -> types.ModuleType:
        m = types.ModuleType("m")
        m.__spec__ = types.SimpleNamespace(origin=origin, loader=loader)  # type: ignore[assignment]
        return m

    zipped = Zipped()
    modules = {
        "json": module("/lib/py.zip/json/__init__.py", zipped),
        "frozen": module("/lib/py.zip/importlib/_bootstrap.py", object()),
        "elsewhere": module("/home/site/qtcore/__init__.py", zipped),
        "builtin": types.ModuleType("builtin"),
        "re": module("/lib/py.zip/re/__init__.py", zipped),
    }
    assert loaded_from("/lib/py.zip", modules) == ["json/__init__.py", "re/__init__.py"]
