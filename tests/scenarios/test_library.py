"""Every library scenario loads, runs and meets the expected outcome stated in its file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from qtcore.scenario import load_scenario, run_scenario

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(p for p in LIBRARY.iterdir() if p.suffix in (".toml", ".json"))
HAS_NUMPY = importlib.util.find_spec("numpy") is not None


def test_library_is_complete() -> None:
    names = {load_scenario(str(p)).name for p in FILES}
    assert len(names) == len(FILES) >= 20
    kinds = [load_scenario(str(p)).kind for p in FILES]
    assert kinds.count("sweep") >= 2 and "sandbox" in kinds
    for p in FILES:
        assert load_scenario(str(p)).name == p.stem, "the file name is the scenario name"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_meets_expectations(path: Path) -> None:
    sc = load_scenario(str(path))
    assert sc.expected, f"{path.name} states no expected outcome"
    result = run_scenario(sc, backend="python")
    failed = [f"{c.check} {c.target}: {c.detail}" for c in result.checks if not c.passed]
    assert not failed, f"{path.name}: {failed}"


@pytest.mark.numpy
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_same_outputs_with_numpy_kernel(path: Path) -> None:
    sc = load_scenario(str(path))
    a = run_scenario(sc, backend="python")
    b = run_scenario(sc, backend="numpy")
    assert b.passed
    for key in ("counts", "montecarlo"):
        assert a.outputs.get(key) == b.outputs.get(key)
    _close(a.outputs, b.outputs)


def _close(x: object, y: object) -> None:
    if isinstance(x, dict) and isinstance(y, dict):
        assert set(x) == set(y) or {"kernel"} >= set(x) ^ set(y)
        for k in x:
            if k != "kernel" and k in y:
                _close(x[k], y[k])
    elif isinstance(x, list) and isinstance(y, list):
        assert len(x) == len(y)
        for a, b in zip(x, y):
            _close(a, b)
    elif isinstance(x, float) and isinstance(y, float):
        assert y == pytest.approx(x, rel=1e-12, abs=1e-12)
    else:
        assert x == y
