"""The package's public surface: sorted __all__, every name importable, presets sourced."""

from __future__ import annotations

import importlib

import pytest

import qtcore.relativity as rel
from qtcore.relativity import BODIES, Body

MODULES = [
    "_classic",
    "_clocks",
    "_constants",
    "_flights",
    "_general",
    "_gps",
    "_kepler",
    "_special",
    "_trajectory",
    "_validate",
]


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff RUF022 / isort order: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_complete() -> None:
    assert list(rel.__all__) == sorted(rel.__all__, key=_isort_key)
    assert len(set(rel.__all__)) == len(rel.__all__)
    for name in rel.__all__:
        assert hasattr(rel, name), name


@pytest.mark.parametrize("module", MODULES)
def test_private_modules_declare_all(module: str) -> None:
    mod = importlib.import_module(f"qtcore.relativity.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), name
        if module != "_validate":
            assert name in rel.__all__, name


@pytest.mark.parametrize("key", sorted(BODIES))
def test_presets_state_their_source(key: str) -> None:
    body = BODIES[key]
    assert isinstance(body, Body)
    assert len(body.source) > 20
    assert any(ch.isdigit() for ch in body.source)  # a year or a reference number
