"""Smoke tests for the Pyodide runtime itself (run by ``node build/pyodide_test.mjs``).

They check that the run really is the browser path: Python 3.14 compiled to WebAssembly, no
NumPy (so qtcore falls back to its pure-Python kernel), pytest and hypothesis working, and
qtcore importable from the mounted tree or the installed wheel. Under CPython they are skipped.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.skipif(
    sys.platform != "emscripten", reason="checks the Pyodide runtime; run build/pyodide_test.mjs"
)


def test_runtime_platform_is_emscripten() -> None:
    assert sys.platform == "emscripten"
    assert sys.version_info[:2] == (3, 14), sys.version


def test_runtime_numpy_is_not_importable() -> None:
    assert importlib.util.find_spec("numpy") is None
    with pytest.raises(ImportError):
        __import__("numpy")


def test_runtime_kernel_env_forces_pure_python() -> None:
    assert os.environ.get("QTCORE_KERNEL") == "python"


def test_qtcore_imports_with_version() -> None:
    import qtcore
    from qtcore import _version, errors

    assert qtcore.__version__ == _version.__version__
    assert issubclass(errors.CircuitError, errors.QtcoreError)
    assert issubclass(errors.CircuitError, ValueError)


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_hypothesis_runs_int_bytes_round_trip(value: int) -> None:
    encoded = value.to_bytes(16, "little", signed=True)
    assert int.from_bytes(encoded, "little", signed=True) == value


def test_hypothesis_profile_relaxed_for_wasm() -> None:
    from hypothesis import settings

    assert settings.default.deadline is None
    assert settings.default.database is None
