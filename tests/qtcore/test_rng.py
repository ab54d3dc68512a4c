"""The portable RNG: fixed reference values, derived seeds, validation."""

from __future__ import annotations

import pytest

from qtcore.rng import Rng, derive_seed


def test_rng_reference_values_are_mt19937() -> None:
    # MT19937 init_by_array([42]) first outputs (genrand_res53), as published by CPython's
    # random module documentation examples and every conforming implementation.
    r = Rng(42)
    assert r.random() == 0.6394267984578837
    assert r.random() == 0.025010755222666936


def test_rng_same_seed_same_stream() -> None:
    assert Rng(7).randoms(100) == Rng(7).randoms(100)
    assert Rng(7).randoms(5) != Rng(8).randoms(5)


def test_rng_derived_seeds_stable_and_distinct() -> None:
    a = derive_seed(123, "point", 0)
    assert a == derive_seed(123, "point", 0)
    assert len({derive_seed(123, "point", i) for i in range(1000)}) == 1000
    assert 0 <= a < 2**63


@pytest.mark.parametrize("bad", [-1, 2**63, 1.5, "7", True])
def test_rng_rejects_bad_seeds(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        Rng(bad)  # type: ignore[arg-type]
