"""Shared set-up for the relativity tests: mpmath references are computed at 50 digits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

try:
    import mpmath
except ImportError:  # the files that need mpmath skip themselves with importorskip
    mpmath = None


@pytest.fixture(autouse=True)
def _fifty_digits() -> Iterator[None]:
    """Every reference in this folder is computed with 50 significant digits."""
    with mpmath.workdps(50) if mpmath is not None else contextlib.nullcontext():
        yield
