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
from statistics import median
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

    Booleans and non-finite numbers are ignored; at most :data:`MAX_FEATURES` result paths are
    kept (in sorted order) so a huge result cannot make scoring expensive.
    """
    out: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if len(out) >= MAX_FEATURES:
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            if math.isfinite(value):
                out[prefix] = float(value)
        elif isinstance(value, dict):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, list):
            for i, item in enumerate(value[:MAX_FEATURES]):
                walk(f"{prefix}[{i}]", item)

    walk("", results)
    out["runtimeMs"] = float(runtime_ms)
    return out


def _robust_z(x: float, values: list[float]) -> tuple[float, bool]:
    med = median(values)
    deviations = [abs(v - med) for v in values]
    mad = median(deviations)
    if mad > 0:
        return _K * (x - med) / mad, False
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (x - med) / (_MEAN_AD_K * mean_ad), False
    if math.isclose(x, med, rel_tol=1e-12, abs_tol=1e-300):
        return 0.0, False
    return math.copysign(CONSTANT_HISTORY_SCORE, x - med), True


def score_run(
    features: dict[str, float], history: list[dict[str, float]]
) -> tuple[float | None, dict[str, Any] | None]:
    """Score ``features`` against ``history`` (earlier runs' features, any order).

    Returns:
        ``(score, detail)``; ``(None, None)`` when no feature has :data:`MIN_HISTORY` values.
    """
    zs: dict[str, float] = {}
    constant: list[str] = []
    for name, x in features.items():
        values = [h[name] for h in history if isinstance(h.get(name), int | float)]
        if len(values) < MIN_HISTORY:
            continue
        z, is_constant = _robust_z(x, values)
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
    return score, detail
