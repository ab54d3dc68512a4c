"""The site ships Pyodide's stdlib with what a page imports before its first frame precompiled
(build/compile_stdlib.mjs): Pyodide boots from it in Node.js, those modules load from bytecode,
every other module still imports from source, and qtcore runs on it."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

BOOT = """
const [pyodideDir, stdlib] = process.argv.slice(2);
const { loadPyodide } = await import(pyodideDir + "/pyodide.mjs");
const py = await loadPyodide({ indexURL: pyodideDir + "/", stdLibURL: stdlib });
const out = py.runPython(`
import json, sys, asyncio, fractions
origin = lambda m: sys.modules[m].__spec__.origin
json.dumps({"json": origin("json"), "asyncio": origin("asyncio"),
            "fractions": origin("fractions"), "half": str(fractions.Fraction(1, 2))})
`);
console.log(out);
"""


def test_the_shipped_stdlib_boots_pyodide_with_start_up_modules_as_bytecode(
    site_dir: Path, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is needed to boot Pyodide")
    shipped = site_dir / "pyodide" / "python_stdlib.zip"
    with zipfile.ZipFile(shipped) as z:
        names = set(z.namelist())
    with zipfile.ZipFile(ROOT / "node_modules" / "pyodide" / "python_stdlib.zip") as z:
        source = set(z.namelist())
    compiled = {n[:-1] for n in names if n.endswith(".pyc")}
    # Pyodide's own start-up and what the worker's bridge and first frame import
    assert {"encodings/__init__.py", "asyncio/__init__.py", "json/__init__.py"} <= compiled
    assert compiled <= source
    assert not compiled & names, "a precompiled module's source is not shipped as well"
    assert names - {n + "c" for n in compiled} == source - compiled, "nothing else changed"
    assert "fractions.py" in names, "modules the first frame does not import stay source"
    script = tmp_path / "boot.mjs"
    script.write_text(BOOT, encoding="utf-8")
    proc = subprocess.run(
        [node, str(script), str(ROOT / "node_modules" / "pyodide"), str(shipped)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["json"].endswith("/json/__init__.pyc")
    assert got["asyncio"].endswith("/asyncio/__init__.pyc")
    assert got["fractions"].endswith("/fractions.py")
    assert got["half"] == "1/2"
