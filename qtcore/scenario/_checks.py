"""The ``expected`` section of a scenario: checks that CI runs against every result.

Check kinds (``check = ...``), see ``scenarios/README.md``:

* ``probabilities`` -- exact probabilities (``values``, ``atol`` default 1e-9); bitstrings
  not listed must be below ``atol``.
* ``counts`` -- sampled counts agree with probabilities ``values`` within ``sigmas``
  (default 5) binomial standard deviations; ``p = 0`` or ``1`` must hold exactly;
  ``clbits`` selects a marginal (listed clbits, highest index leftmost).
* ``value`` -- the output at ``path`` equals ``value`` within ``rtol`` / ``atol``.
* ``range`` -- the output at ``path`` lies in [``min``, ``max``].
* ``estimate`` -- an estimate at ``path`` (``value``, ``std_error``) is within ``sigmas``
  (default 4) standard errors of ``value``.
* ``trend`` -- a sweep column is ``increasing``/``decreasing``/``nondecreasing``/
  ``nonincreasing`` along the sweep (or sorted by axis ``along``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qtcore.scenario._fields import FieldReader

__all__ = ["CHECKS", "CheckResult", "lookup", "run_checks", "validate_check"]

CHECKS = ("counts", "estimate", "probabilities", "range", "trend", "value")
_TRENDS = ("decreasing", "increasing", "nondecreasing", "nonincreasing")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one expected-outcome check."""

    index: int
    check: str
    target: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "index": self.index,
            "check": self.check,
            "target": self.target,
            "passed": self.passed,
            "detail": self.detail,
        }


def lookup(outputs: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` (keys may themselves contain no dots)."""
    cur: Any = outputs
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def _probs(r: FieldReader) -> dict[str, float]:
    values = r.raw("values")
    if not isinstance(values, Mapping) or not values:
        raise r.error("values", "must be a table of bitstring = probability")
    out: dict[str, float] = {}
    for k, v in values.items():
        if not isinstance(k, str) or not k or set(k) - {"0", "1"}:
            raise r.error("values", f"key {k!r} is not a bitstring")
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            raise r.error("values", f"{k} = {v!r} is not a probability in [0, 1]")
        out[k] = float(v)
    return out


def validate_check(source: str, index: int, spec: Any) -> dict[str, Any]:
    """Validates one check table at load time and returns it (errors name the field)."""
    r = FieldReader(source, spec, f"expected[{index}]")
    kind = r.string("check", required=True, choices=CHECKS)
    r.string("note")
    if kind in ("probabilities", "counts"):
        _probs(r)
        r.string("path")
        r.number("atol")
        r.number("sigmas")
        r.boolean("allow_other")
        cl = r.raw("clbits")
        if cl is not None and (not isinstance(cl, list) or not all(isinstance(c, int) for c in cl)):
            raise r.error("clbits", f"must be a list of classical-bit indices, got {cl!r}")
    elif kind in ("value", "estimate", "range"):
        r.string("path", required=True)
        if kind == "range":
            if not (r.has("min") or r.has("max")):
                raise r.error("min", "a range check needs min and/or max")
            r.number("min")
            r.number("max")
        else:
            r.number("value", required=True)
            r.number("rtol")
            r.number("atol")
            r.number("sigmas")
    else:
        r.string("column", required=True)
        r.string("monotonic", required=True, choices=_TRENDS)
        r.string("along")
    r.finish()
    return dict(spec)


def _marginal(counts: Mapping[str, int], clbits: Sequence[int] | None) -> dict[str, int]:
    if not clbits:
        return dict(counts)
    out: dict[str, int] = {}
    for key, c in counts.items():
        n = len(key)
        sub = "".join(key[n - 1 - b] for b in sorted(clbits, reverse=True))
        out[sub] = out.get(sub, 0) + c
    return out


def _check_counts(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    counts = _marginal(lookup(outputs, spec.get("path", "counts")), spec.get("clbits"))
    shots = sum(counts.values())
    if shots == 0:
        return False, "no counts (shots = 0)"
    sigmas = float(spec.get("sigmas", 5.0))
    values: dict[str, float] = dict(spec["values"])
    keys = set(values) | (set() if spec.get("allow_other") else set(counts))
    bad = []
    for k in sorted(keys):
        p = values.get(k, 0.0)
        got = counts.get(k, 0)
        sd = math.sqrt(shots * p * (1.0 - p))
        if abs(got - shots * p) > sigmas * sd + 1e-9:
            bad.append(f"{k}: {got}/{shots}, expected p = {p}")
    if bad:
        return False, "; ".join(bad)
    return True, f"{len(keys)} outcome(s) within {sigmas} sigma of {shots} shots"


def _check_probabilities(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    probs = lookup(outputs, spec.get("path", "probabilities"))
    if spec.get("clbits"):
        acc: dict[str, float] = {}
        for k, p in probs.items():
            n = len(k)
            sub = "".join(k[n - 1 - b] for b in sorted(spec["clbits"], reverse=True))
            acc[sub] = acc.get(sub, 0.0) + p
        probs = acc
    atol = float(spec.get("atol", 1e-9))
    values: dict[str, float] = dict(spec["values"])
    bad = [
        f"{k}: {probs.get(k, 0.0)!r} vs {values.get(k, 0.0)!r}"
        for k in sorted(set(values) | set(probs))
        if abs(probs.get(k, 0.0) - values.get(k, 0.0)) > atol
    ]
    return (not bad), ("; ".join(bad) if bad else f"all within atol {atol}")


def _check_value(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    got = float(lookup(outputs, spec["path"]))
    want = float(spec["value"])
    rtol = float(spec.get("rtol", 0.0 if "atol" in spec else 1e-9))
    atol = float(spec.get("atol", 0.0))
    ok = abs(got - want) <= max(atol, rtol * abs(want))
    return ok, f"got {got!r}, expected {want!r} (rtol {rtol}, atol {atol})"


def _check_range(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    got = float(lookup(outputs, spec["path"]))
    lo = float(spec.get("min", -math.inf))
    hi = float(spec.get("max", math.inf))
    return lo <= got <= hi, f"got {got!r}, allowed [{lo}, {hi}]"


def _check_estimate(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    est = lookup(outputs, spec["path"])
    value, se = float(est["value"]), float(est["std_error"])
    want = float(spec["value"])
    sigmas = float(spec.get("sigmas", 4.0))
    ok = abs(value - want) <= sigmas * se + 1e-12
    return ok, f"estimate {value!r} +- {se!r}, expected {want!r} within {sigmas} sigma"


def _check_trend(spec: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[bool, str]:
    table = lookup(outputs, "table")
    cols: list[str] = table["columns"]
    col = spec["column"]
    if col not in cols:
        return False, f"column {col!r} not in the sweep table; columns: {cols}"
    rows = list(table["rows"])
    along = spec.get("along")
    if along is not None:
        if along not in cols:
            return False, f"axis {along!r} not in the sweep table"
        rows.sort(key=lambda row: row[cols.index(along)])
    ys = [row[cols.index(col)] for row in rows]
    pairs = list(itertools.pairwise(ys))
    mode = spec["monotonic"]
    ok = {
        "increasing": all(b > a for a, b in pairs),
        "decreasing": all(b < a for a, b in pairs),
        "nondecreasing": all(b >= a for a, b in pairs),
        "nonincreasing": all(b <= a for a, b in pairs),
    }[mode]
    return ok and len(ys) >= 2, f"{col} over {len(ys)} points is {'' if ok else 'not '}{mode}"


_RUNNERS = {
    "counts": _check_counts,
    "estimate": _check_estimate,
    "probabilities": _check_probabilities,
    "range": _check_range,
    "trend": _check_trend,
    "value": _check_value,
}


def run_checks(
    expected: Sequence[Mapping[str, Any]], outputs: Mapping[str, Any]
) -> list[CheckResult]:
    """Evaluates every check; a missing output path fails its check (it does not raise)."""
    results = []
    for i, spec in enumerate(expected):
        kind = str(spec["check"])
        target = str(spec.get("path") or spec.get("column") or kind)
        try:
            ok, detail = _RUNNERS[kind](spec, outputs)
        except KeyError as e:
            ok, detail = False, f"output {e.args[0]!r} not found in the result"
        except (TypeError, ValueError) as e:
            ok, detail = False, f"cannot evaluate: {e}"
        results.append(CheckResult(i, kind, target, ok, detail))
    return results
