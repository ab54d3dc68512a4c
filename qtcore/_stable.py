"""Stable JSON: one text for one value, so results can be diffed and hashed.

Format (documented in ``scenarios/README.md``):

* keys sorted, two-space indentation, ``": "`` and ``","`` separators, UTF-8 (no
  ``\\u`` escapes for non-ASCII), a final newline;
* floats in Python's ``repr`` form: the *shortest* decimal string that round-trips to the
  same double (David Gay's algorithm, identical in CPython and Pyodide), so ``0.1`` stays
  ``0.1`` and every double is reproduced exactly; integers stay integers;
* tuples become lists, complex numbers ``[re, im]``; NaN and infinities are rejected
  (JSON has no spelling for them).

The content hash of a scenario is the SHA-256 of its normalized form written compactly
(``separators=(",", ":")``, sorted keys).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical", "content_hash", "dumps_stable"]


def canonical(value: Any) -> Any:
    """A JSON-ready copy: tuples to lists, complex to [re, im], keys to str; rejects NaN."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"stable JSON cannot hold the non-finite float {value!r}")
        return value
    if isinstance(value, complex):
        return [canonical(value.real), canonical(value.imag)]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return canonical(to_dict())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as JSON")


def dumps_stable(value: Any) -> str:
    """The stable JSON text of ``value`` (sorted keys, repr floats, final newline)."""
    return (
        json.dumps(canonical(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def content_hash(value: Any) -> str:
    """``"sha256:<hex>"`` of the compact, key-sorted JSON of ``value``."""
    text = json.dumps(
        canonical(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
