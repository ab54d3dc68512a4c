"""Anomaly score of a run against the earlier runs of the same scenario.

Method: **robust z-score** (Iglewicz & Hoaglin's modified z-score). For every numeric feature
(each numeric leaf of ``results``, flattened to a dotted path, plus ``runtimeMs``) with at least
:data:`MIN_HISTORY` earlier values, ``z = 0.6745 * (x - median) / MAD``; the run's score is the
largest ``|z|``; a score ``>= THRESHOLD`` (3.5, the value Iglewicz & Hoaglin recommend) marks it
anomalous.

Why this and not a mean/standard-deviation z-score or scikit-learn: a registry's history is
small (often tens of runs) and dirty (it contains the very outliers we look for). The median
and the median absolute deviation have a 50 % breakdown point, so a few bad runs do not mask
the next one, and the score needs no training, no tuning and no dependency; it is also easy to
explain per field in the listing. An isolation forest would need far more history to beat it.

When the MAD is 0 (more than half the history identical) the mean absolute deviation is used
instead (``z = (x - median) / (1.2533 * meanAD)``); when that is 0 too the history is constant,
and a differing value gets the documented :data:`CONSTANT_HISTORY_SCORE` with
``constantHistory`` listed in the detail, never a silent clamp.
"""

from __future__ import annotations

import math
from operator import itemgetter, methodcaller
from typing import Any

__all__ = [
    "CONSTANT_HISTORY_SCORE",
    "HISTORY_LIMIT",
    "MAX_FEATURES",
    "MIN_HISTORY",
    "THRESHOLD",
    "extract_features",
    "score_run",
]

MIN_HISTORY = 5
HISTORY_LIMIT = 200
MAX_FEATURES = 64
THRESHOLD = 3.5
CONSTANT_HISTORY_SCORE = 1e6
_K = 0.6745  # Phi^-1(3/4): makes MAD consistent with sigma for normal data
_MEAN_AD_K = 1.2533  # sqrt(pi/2): the same for the mean absolute deviation


def extract_features(results: dict[str, Any], runtime_ms: float) -> dict[str, float]:
    """Flatten the numeric leaves of ``results`` (plus ``runtimeMs``) into ``{path: value}``.

    Booleans, non-finite numbers and integers beyond the float range are ignored; at most :data:`MAX_FEATURES` result paths are
    kept (in sorted order) so a huge result cannot make scoring expensive.
    """
    out: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if len(out) >= MAX_FEATURES:
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            try:
                number = float(value)  # an int beyond ~1.8e308 overflows
            except OverflowError:
                return
            if math.isfinite(number):
                out[prefix] = number
        elif isinstance(value, dict):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, list):
            for i, item in enumerate(value[:MAX_FEATURES]):
                walk(f"{prefix}[{i}]", item)

    walk("", results)
    out["runtimeMs"] = float(runtime_ms)
    return out


def _as_float(value: Any) -> float | None:
    """A finite float, or ``None``. Stored features come back from ``jsonb`` as numerics:
    ``1.7e308`` is read as a 309-digit ``int``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _columns(names: list[str], history: list[dict[str, float]]) -> list[list[Any]]:
    """Each feature of ``names`` across ``history`` (``None`` where a row lacks it).

    The usual case, every row holding the feature, takes one C-level pass over the rows
    (``itemgetter``); a row without it makes that feature take ``get`` instead.
    """
    columns: list[list[Any]] = []
    for name in names:
        try:
            columns.append(list(map(itemgetter(name), history)))
        except (KeyError, TypeError):  # a row without the feature
            columns.append(list(map(methodcaller("get", name), history)))
    return columns


def _median_sorted(ordered: list[float]) -> float:
    """``statistics.median`` of values already in ascending order (no second sort)."""
    n = len(ordered)
    if n % 2 == 1:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _finite_values(values: list[Any]) -> list[float]:
    """The finite values of one feature across the history (numbers that are not ``bool``,
    as floats; others skipped), in history order.

    This runs on every publish for up to :data:`HISTORY_LIMIT` rows per feature, so the usual
    case (every row holds a finite float) is checked with C-level calls only.
    """
    if set(map(type, values)) == {float}:
        try:
            if math.isfinite(math.fsum(values)):  # nan and inf propagate (or raise)
                return values
        except (OverflowError, ValueError):  # a huge sum, or inf - inf
            pass
    return [number for value in values if (number := _as_float(value)) is not None]


def _mad(ordered: list[float], med: float) -> float:
    """The median of ``|v - med|`` over ``ordered`` (ascending, finite, ``med`` their median),
    without building and sorting the deviations.

    Left of the middle the deviations ``med - v`` grow as ``v`` falls, right of it ``v - med``
    grows with ``v``: two ascending runs, the same floats ``abs(v - med)`` gives (rounding is
    monotonic and symmetric). Their ``k``-th smallest is found by bisecting how many come
    from the left run (Python's ``sorted`` would compare all of them).
    """
    n = len(ordered)
    split = n // 2  # ordered[:split] <= med <= ordered[split:]
    n_right = n - split
    take = n // 2 + 1 if n % 2 else n // 2  # the lower middle deviation is the take-th smallest
    # bisect the count taken from the left: the fewest whose next left deviation is not below
    # the last one taken from the right
    lo, hi = max(0, take - n_right), min(take, split)
    while lo < hi:
        a = (lo + hi) // 2
        if med - ordered[split - 1 - a] < ordered[split + take - a - 1] - med:
            lo = a + 1
        else:
            hi = a
    a, b = lo, take - lo
    left = med - ordered[split - a] if a else -1.0
    right = ordered[split + b - 1] - med if b else -1.0
    lower = max(left, right)
    if n % 2:
        return lower
    following = [med - ordered[split - 1 - a]] if a < split else []
    if b < n_right:
        following.append(ordered[split + b] - med)
    return (lower + min(following)) / 2


def _robust_z(x: float, values: list[float]) -> tuple[float, bool] | None:
    """``(z, constant history?)``, or ``None`` when an intermediate value overflows.

    ``values`` are finite; their median can still overflow (the mean of the two middle
    values), and so can a deviation from it.
    """
    ordered = sorted(values)
    med = _median_sorted(ordered)
    # |v - med| grows towards both ends of the sorted values: all deviations are finite when
    # the two extreme ones are (and med is)
    if not (
        math.isfinite(med - ordered[0])
        and math.isfinite(ordered[-1] - med)
        and math.isfinite(x - med)
    ):
        return None
    mad = _mad(ordered, med)
    if mad > 0:
        z = _K * (x - med) / mad
    else:  # rare: more than half the history at its median
        deviations = list(map(abs, map(med.__rsub__, ordered)))  # |v - med|
        deviations.sort()  # summed in ascending order, as always
        mean_ad = sum(deviations) / len(deviations)
        if mean_ad > 0:
            z = (x - med) / (_MEAN_AD_K * mean_ad)
        elif math.isclose(x, med, rel_tol=1e-12, abs_tol=1e-300):
            return 0.0, False
        else:
            return math.copysign(CONSTANT_HISTORY_SCORE, x - med), True
    return (z, False) if math.isfinite(z) else None


def score_run(
    features: dict[str, float], history: list[dict[str, float]]
) -> tuple[float | None, dict[str, Any] | None]:
    """Score ``features`` against ``history`` (earlier runs' features, any order).

    Returns:
        ``(score, detail)``; ``(None, None)`` when no feature has :data:`MIN_HISTORY` values.
    """
    zs: dict[str, float] = {}
    constant: list[str] = []
    unscored: list[str] = []
    names = list(features)
    for name, column in zip(names, _columns(names, history), strict=True):
        x = features[name]
        values = _finite_values(column)
        if len(values) < MIN_HISTORY or not math.isfinite(x):
            continue
        scored = _robust_z(x, values)
        if scored is None:  # x - median, the MAD or z overflowed
            unscored.append(name)
            continue
        z, is_constant = scored
        zs[name] = z
        if is_constant:
            constant.append(name)
    if not zs:
        return None, None
    top = sorted(zs.items(), key=lambda kv: -abs(kv[1]))[:5]
    score = abs(top[0][1])
    detail: dict[str, Any] = {
        "method": "robust-z (median/MAD)",
        "threshold": THRESHOLD,
        "historySize": len(history),
        "topFields": {k: round(v, 4) for k, v in top},
    }
    if constant:
        detail["constantHistory"] = sorted(constant)
    if unscored:
        detail["unscoredFields"] = sorted(unscored)
    return score, detail
