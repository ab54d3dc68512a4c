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
import os
import random
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["MAX_SEED", "Rng", "check_seed", "derive_seed", "fresh_seed"]

MAX_SEED = 2**63 - 1
_T = TypeVar("_T")
_TAIL = 2.0**-64  # binomial terms below this fraction of the mode are left out


def check_seed(seed: int) -> int:
    """Returns ``seed`` if :class:`Rng` accepts it (what ``Rng(seed)`` checks, without
    seeding a generator).

    Raises:
        TypeError: not an int.
        ValueError: outside ``[0, MAX_SEED]``.
    """
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
    check_seed(seed)
    text = repr((seed, *key)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") & MAX_SEED


_FRESH: list[int] = []  # seeds drawn from the OS and not handed out yet
_FRESH_BATCH = 32


def fresh_seed() -> int:
    """A seed drawn from the operating system, for runs the user did not seed.

    63 bits of ``os.urandom`` (uniform on ``[0, MAX_SEED]``, as ``SystemRandom().randrange``
    would draw, at a third of its cost under Pyodide). Drawn 32 at a time and each handed
    out once: under Pyodide every ``os.urandom`` call crosses into JavaScript's crypto
    (~4.5 us, a quarter of an unseeded 14-qubit GHZ run with the wasm kernel), whatever
    its length. A forked child forgets the parent's undrawn seeds.
    """
    try:
        return _FRESH.pop()  # atomic: no two callers get the same seed
    except IndexError:
        pass
    buf = os.urandom(8 * _FRESH_BATCH)
    seeds = [int.from_bytes(buf[i : i + 8], "little") & MAX_SEED for i in range(0, len(buf), 8)]
    _FRESH.extend(seeds[1:])
    return seeds[0]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_FRESH.clear)


class Rng:
    """A seeded, portable stream of random numbers.

    Args:
        seed: a non-negative integer below 2**63.
    """

    __slots__ = ("_random", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = check_seed(seed)
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

    def binomial(self, n: int, p: float) -> int:
        """A draw from Binomial(``n``, ``p``) by inversion, with exactly one uniform.

        Portable: only IEEE additions, multiplications and divisions in a fixed order
        (no ``exp``/``lgamma``, whose last bits differ between C libraries), so every
        interpreter maps the same uniform to the same count. The probability mass is
        built outward from the mode as ratios to it, up to where the terms fall below
        2**-64 of the mode (the tails beyond weigh less than a uniform can resolve);
        the count is the first whose running sum exceeds ``u`` times the total.
        ``p`` above 1/2 draws the complement from ``1 - p``. ``n == 0`` draws nothing.

        Raises:
            ValueError: ``n`` negative or ``p`` outside [0, 1].
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"binomial: n must be a non-negative int, got {n!r}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"binomial: p must be in [0, 1], got {p!r}")
        if n == 0:
            return 0
        u = self._random.random()
        flip = p > 0.5
        q = 1.0 - p if flip else p
        if q <= 0.0:
            return n if flip else 0
        odds = q / (1.0 - q)
        mode = min(int((n + 1) * q), n)
        down: list[float] = []
        w = 1.0
        k = mode
        while k > 0:
            w = w * k / ((n - k + 1) * odds)
            if w < _TAIL:
                break
            down.append(w)
            k -= 1
        up: list[float] = []
        w = 1.0
        k = mode
        while k < n:
            w = w * (n - k) * odds / (k + 1)
            if w < _TAIL:
                break
            up.append(w)
            k += 1
        weights = [*reversed(down), 1.0, *up]
        total = 0.0
        for w in weights:
            total += w
        target = u * total
        lo = mode - len(down)
        acc = 0.0
        k = lo + len(weights) - 1
        for i, w in enumerate(weights):
            acc += w
            if target < acc:
                k = lo + i
                break
        return n - k if flip else k

    def multinomial(self, n: int, weights: Sequence[float]) -> list[int]:
        """Splits ``n`` among outcomes with probabilities ``weights / sum(weights)``.

        Sequential binomials in outcome order: outcome ``i`` gets
        ``Binomial(remaining, w_i / (w_i + ... + w_last))``; the last outcome takes what
        is left. One uniform per binomial while shots remain, so the stream stays aligned
        across kernels whose weights differ in the last bits.

        Raises:
            ValueError: a negative or non-finite weight, or weights that sum to zero.
        """
        ws = [float(w) for w in weights]
        if not ws or any(not 0.0 <= w < float("inf") for w in ws):
            raise ValueError(f"multinomial: weights must be finite and >= 0, got {weights!r}")
        tails = [0.0] * len(ws)
        acc = 0.0
        for i in range(len(ws) - 1, -1, -1):
            acc += ws[i]
            tails[i] = acc
        if acc <= 0.0:
            raise ValueError("multinomial: the weights sum to zero")
        out = [0] * len(ws)
        left = n
        for i in range(len(ws) - 1):
            if left == 0:
                break
            p = ws[i] / tails[i] if tails[i] > 0.0 else 0.0
            k = self.binomial(left, min(p, 1.0))
            out[i] = k
            left -= k
        out[-1] += left
        return out

    def shuffle(self, items: list[_T]) -> None:
        """Shuffles ``items`` in place (Fisher-Yates with :meth:`randrange`)."""
        for i in range(len(items) - 1, 0, -1):
            j = self._random.randrange(i + 1)
            items[i], items[j] = items[j], items[i]

    def child(self, *key: object) -> Rng:
        """A new independent stream derived from this stream's seed and ``key``."""
        return Rng(derive_seed(self.seed, *key))
