"""What every ``to_wire()`` shares: JSON that a browser reads back exactly.

The site's worker protocol is JSON parsed by JavaScript, whose numbers are doubles: an
integer beyond ``±(2**53 - 1)`` -- every seed qtcore derives for a sweep point or a
Monte-Carlo repetition is a 63-bit integer -- would come back rounded, silently. On the
wire such integers are decimal strings (``"4068605334519717489"``); everything else is
unchanged. Keys of ``to_wire()`` forms are camelCase (see ``site/PROTOCOL.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["JS_MAX_SAFE_INTEGER", "js_safe"]

#: The largest integer a JavaScript number holds exactly (``Number.MAX_SAFE_INTEGER``).
JS_MAX_SAFE_INTEGER = 2**53 - 1


def js_safe(value: Any) -> Any:
    """``value`` with every integer beyond ``±JS_MAX_SAFE_INTEGER`` as a decimal string.

    Mappings become dicts and tuples lists (as JSON would); other values are returned as
    they are.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > JS_MAX_SAFE_INTEGER else value
    if isinstance(value, Mapping):
        return {k: js_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [js_safe(v) for v in value]
    return value
