"""The public surface: ``__all__`` lists name real objects (ruff RUF022 keeps them sorted)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import qtcore


def _modules() -> list[str]:
    names = ["qtcore"]
    for info in pkgutil.walk_packages(qtcore.__path__, "qtcore."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or leaf == "__main__":
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_public_api_all_resolves(name: str) -> None:
    try:
        mod = importlib.import_module(name)
    except ImportError as e:  # numpy-only modules
        pytest.skip(str(e))
    exported = getattr(mod, "__all__", None)
    if exported is None:
        return
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    for sym in exported:
        assert hasattr(mod, sym), f"{name}.__all__ names missing {sym}"


def test_public_api_top_level_names() -> None:
    for sym in ("Circuit", "simulate", "StateVector", "GATES", "iter_steps", "QasmError"):
        assert sym in qtcore.__all__
