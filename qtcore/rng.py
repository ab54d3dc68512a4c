"""The one portable random-number generator qtcore uses.

Every random choice qtcore makes (shot sampling, measurement outcomes, noise
trajectories, Monte-Carlo and random sweeps) comes from :class:`Rng`, never from
NumPy's generators, so a seed gives the same samples with either kernel and on
any interpreter.

Algorithm: MT19937 as implemented by CPython's :mod:`random` (also the generator
compiled into Pyodide), seeded from a non-negative integer; ``random()`` returns
53-bit doubles in [0, 1). Child seeds for sweep points and repetitions come from
SHA-256 of the parent seed and a key (:meth:`Rng.derive_seed`), so they do not
depend on how many numbers were drawn before.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

__all__ = ["MAX_SEED", "Rng", "derive_seed", "fresh_seed"]

MAX_SEED = 2**63 - 1


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**63 - 1], got {seed}")
    return seed


def derive_seed(seed: int, *key: object) -> int:
    """Returns a child seed for ``key`` (a tuple of ints/strings) that is portable.

    Args:
        seed: the parent seed.
        *key: identifies the child, for example ``("point", 3)``.
    """
    _check_seed(seed)
    text = repr((seed, *key)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") & MAX_SEED


def fresh_seed() -> int:
    """A seed drawn from the operating system, for runs the user did not seed."""
    return random.SystemRandom().randrange(MAX_SEED + 1)


class Rng:
    """A seeded, portable stream of random numbers.

    Args:
        seed: a non-negative integer below 2**63.
    """

    __slots__ = ("_random", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = _check_seed(seed)
        self._random = random.Random(seed)

    def random(self) -> float:
        """A uniform double in [0, 1)."""
        return self._random.random()

    def randoms(self, n: int) -> list[float]:
        """``n`` uniform doubles in [0, 1)."""
        r = self._random.random
        return [r() for _ in range(n)]

    def randrange(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return self._random.randrange(n)

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        """A normal deviate (CPython's ``random.gauss``, portable across interpreters)."""
        return self._random.gauss(mu, sigma)

    def choice_index(self, weights: Sequence[float]) -> int:
        """Index ``i`` chosen with probability ``weights[i] / sum(weights)``."""
        total = sum(weights)
        u = self.random() * total
        acc = 0.0
        for i, w in enumerate(weights):
            acc += w
            if u < acc:
                return i
        return len(weights) - 1

    def child(self, *key: object) -> Rng:
        """A new independent stream derived from this stream's seed and ``key``."""
        return Rng(derive_seed(self.seed, *key))
