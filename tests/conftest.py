"""Shared pytest configuration: tests marked `numpy` are skipped where NumPy is absent."""

from __future__ import annotations

import importlib.util

import pytest

HAS_NUMPY = importlib.util.find_spec("numpy") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_NUMPY:
        return
    skip = pytest.mark.skip(reason="NumPy is not installed (bare Pyodide run)")
    for item in items:
        if "numpy" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def backends() -> tuple[str, ...]:
    """The kernels available in this interpreter."""
    return ("python", "numpy") if HAS_NUMPY else ("python",)
