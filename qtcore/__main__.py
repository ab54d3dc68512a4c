"""``python -m qtcore``: see :mod:`qtcore.cli`."""

from __future__ import annotations

import sys

from qtcore.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
