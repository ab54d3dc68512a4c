"""QuantumTime registry: publish runs, share live sessions (Litestar + Postgres + Redis).

Run it with ``python -m registry_api serve``; see ``registry_api/README.md`` and
``registry_api/PROTOCOL.md``.
"""

from __future__ import annotations

from registry_api._app import create_app
from registry_api._http import BoundedHttpToolsProtocol
from registry_api._settings import Settings, get_settings

__all__ = [
    "BoundedHttpToolsProtocol",
    "Settings",
    "create_app",
    "get_settings",
]
