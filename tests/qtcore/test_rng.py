"""The portable RNG: fixed reference values, derived seeds, validation."""

from __future__ import annotations

import os
import sys

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


def test_fresh_seeds_are_distinct_and_in_range() -> None:
    from qtcore.rng import MAX_SEED, fresh_seed

    seeds = [fresh_seed() for _ in range(200)]  # several batches of OS draws
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s <= MAX_SEED for s in seeds)
    assert any(s > MAX_SEED >> 8 for s in seeds)  # 63 bits, not 8 bytes of something smaller


@pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "emscripten", reason="no working os.fork here"
)
def test_fresh_seeds_of_a_forked_child_are_its_own() -> None:
    """Seeds are drawn in batches: a forked child must not hand out the parent's."""
    from qtcore.rng import fresh_seed

    fresh_seed()  # the parent holds undrawn seeds now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        os.write(w, str(fresh_seed()).encode())
        os._exit(0)
    os.close(w)
    child = int(os.read(r, 64).decode())
    os.close(r)
    os.waitpid(pid, 0)
    parent = [fresh_seed() for _ in range(40)]
    assert child not in parent
